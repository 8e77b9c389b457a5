# vtee TA dev kit: one rule per object, as OP-TEE's compile.mk makes them.
#
# Flags, in order: the caller's CFLAGS (CFLAGS64/CFLAGS32), the warning
# level (WARNS), the kit's and the TA's flags, the per-object ones; then the
# preprocessor flags: CPPFLAGS, TA-wide include directories, the object's
# include directories, the kit's -D/-I flags, the object's cppflags. The
# *-remove-* lists are filtered out of the whole line. An object is rebuilt
# when a prerequisite changed or its command line did (.<obj>.cmd).

objs :=

.SUFFIXES:

comp-cflags$(sm) = -std=gnu11 -fdiagnostics-show-option
ifeq ($(CFG_WERROR),y)
comp-cflags$(sm) += -Werror
endif

comp-cflags-warns-high = \
	-Wall -Wcast-align \
	-Werror-implicit-function-declaration -Wextra -Wfloat-equal \
	-Wformat-nonliteral -Wformat-security -Wformat=2 -Winit-self \
	-Wmissing-declarations -Wmissing-format-attribute \
	-Wmissing-include-dirs -Wmissing-noreturn \
	-Wmissing-prototypes -Wnested-externs -Wpointer-arith \
	-Wshadow -Wstrict-prototypes -Wswitch-default \
	-Wwrite-strings \
	-Wno-missing-field-initializers -Wno-format-zero-length
comp-cflags-warns-medium = -Wredundant-decls
comp-cflags-warns-low = -Wold-style-definition -Wstrict-aliasing=2 -Wundef
comp-cflags-warns-1 = $(comp-cflags-warns-high)
comp-cflags-warns-2 = $(comp-cflags-warns-1) $(comp-cflags-warns-medium)
comp-cflags-warns-3 = $(comp-cflags-warns-2) $(comp-cflags-warns-low)
WARNS ?= 3
comp-cflags$(sm) += $(comp-cflags-warns-$(WARNS))

# C++ gets the warnings that exist for it
comp-cxxflags$(sm) = -fdiagnostics-show-option \
	$(filter-out -std=% -Werror-implicit-function-declaration \
		-Wmissing-prototypes -Wnested-externs -Wstrict-prototypes \
		-Wold-style-definition -Wmissing-declarations, \
		$(comp-cflags-warns-$(WARNS)))
ifeq ($(CFG_WERROR),y)
comp-cxxflags$(sm) += -Werror
endif

.PHONY: FORCE FORCE-GENSRC$(sm)
FORCE:
FORCE-GENSRC$(sm):

# CFLAGS64/CFLAGS32 are CFLAGS as it was when the kit was read; CFLAGS set
# only later (optee_test's ta_common.mk adds to it) is taken as it is then
vtee-cflags-env = $(or $(if $(filter 32,$(arch-bits-$(sm))),$(CFLAGS32),$(CFLAGS64)),$(CFLAGS))

# $1: source, $2: object
define process_srcs
objs += $2
comp-dep-$2 := $$(dir $2).$$(notdir $2).d
comp-cmd-file-$2 := $$(dir $2).$$(notdir $2).cmd
comp-lib-$2 := $(libname)-$(sm)
cleanfiles := $$(cleanfiles) $$(comp-dep-$2) $$(comp-cmd-file-$2) $2

ifneq ($(filter %.c,$1),)
comp-q-$2 := CC
comp-compiler-$2 = $$(CC$(sm))
comp-flags-$2 = $$(filter-out $$(CFLAGS_REMOVE) $$(cflags-remove) \
		$$(cflags-remove-$(sm)) $$(cflags-remove-$2), \
	$$(vtee-cflags-env) $$(CFLAGS_WARNS) $$(comp-cflags$(sm)) \
	$$(cflags$(sm)) $$(cflags-lib$$(comp-lib-$2)) $$(cflags-$2))
else ifneq ($(filter %.S,$1),)
comp-q-$2 := AS
comp-compiler-$2 = $$(CC$(sm))
comp-flags-$2 = $$(filter-out $$(AFLAGS_REMOVE) $$(aflags-remove) \
		$$(aflags-remove-$(sm)) $$(aflags-remove-$2), \
	$$(AFLAGS) $$(aflags$(sm)) $$(aflags-$2))
else ifneq ($(filter %.cpp %.cc %.cxx,$1),)
comp-q-$2 := CXX
comp-compiler-$2 = $$(CXX$(sm))
comp-flags-$2 = $$(filter-out $$(CXXFLAGS_REMOVE) $$(cxxflags-remove) \
		$$(cxxflags-remove-$(sm)) $$(cxxflags-remove-$2), \
	$$(CXXFLAGS) $$(comp-cxxflags$(sm)) $$(cxxflags$(sm)) \
	$$(cxxflags-lib$$(comp-lib-$2)) $$(cxxflags-$2))
vtee-has-cxx := y
else
$$(error Don't know what to do with $1)
endif

comp-cppflags-$2 = $$(filter-out $$(CPPFLAGS_REMOVE) $$(cppflags-remove) \
		$$(cppflags-remove-$(sm)) $$(cppflags-remove-$2), \
	$$(CPPFLAGS) $$(addprefix -I,$$(incdirs$(sm))) \
	$$(addprefix -I,$$(incdirs-lib$$(comp-lib-$2))) \
	$$(addprefix -I,$$(incdirs-$2)) $$(cppflags$(sm)) \
	$$(cppflags-lib$$(comp-lib-$2)) $$(cppflags-$2))

comp-cmd-$2 = $$(comp-compiler-$2) $$(comp-flags-$2) $$(comp-cppflags-$2) \
	-MD -MF $$(comp-dep-$2) -MT $2 -c $1 -o $2

-include $$(comp-cmd-file-$2)
-include $$(comp-dep-$2)

$2: $1 FORCE-GENSRC$(sm)
	$$(if $$(strip $$(filter-out FORCE FORCE-GENSRC$(sm),$$?) \
		$$(filter-out $$(comp-cmd-$2),$$(old-cmd-$2)) \
		$$(filter-out $$(old-cmd-$2),$$(comp-cmd-$2))), \
		@set -e; \
		mkdir -p $$(dir $2); \
		$$(cmd-echo-silent) '  $$(comp-q-$2)     $2'; \
		$$(cmd-echo) '$$(subst ','\'',$$(comp-cmd-$2))'; \
		$$(comp-cmd-$2); \
		echo 'old-cmd-$2 := $$(subst ','\'',$$(subst $$$$,$$$$$$$$,$$(comp-cmd-$2)))' \
			> $$(comp-cmd-file-$2))
endef

$(foreach f,$(srcs),$(eval $(call process_srcs,$(f),$(obj-of-$(f)))))
$(foreach f,$(gen-srcs),$(eval $(call process_srcs,$(f),$(obj-of-$(f)))))
$(foreach f,$(spec-srcs),$(eval $(call process_srcs,$(f),$(spec-out-dir)/$(notdir $(basename $(f))).o)))
