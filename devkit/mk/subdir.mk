# vtee TA dev kit: reads the TA's sub.mk files, from $(subdirs) down.
#
# Every sub.mk is included with $(sub-dir) (its directory, as written) and
# $(sub-dir-out) (where its generated files go) set; after each one the
# per-directory variables are turned into per-object ones and cleared:
#   srcs                 every source, in order
#   obj-of-<src>         its object file
#   cflags-<obj> cflags-remove-<obj> (and cxxflags-, cppflags-, aflags-)
#   incdirs-<obj>        its include directories
#   incdirs$(sm)         the TA-wide include directories
# An object name never leaves $(out-dir): "../" in a path becomes "__/".

srcs :=
gen-srcs :=

# $1: source as given, $2: its path from the TA's top directory
define vtee-object-name
$(subst //,/,$(out-dir)/$(subst ../,__/,$(patsubst ./%,%,$(basename $(if $(oname-$1-y),$(dir $2)$(oname-$1-y),$2)))).o)
endef

# the per-object flags of source $1 (as written in sub.mk), object $2
define vtee-object-flags
cflags-$2 := $$(cflags-y) $$(cflags-$1-y)
cflags-remove-$2 := $$(cflags-remove-y) $$(cflags-remove-$1-y)
cxxflags-$2 := $$(cxxflags-y) $$(cxxflags-$1-y)
cxxflags-remove-$2 := $$(cxxflags-remove-y) $$(cxxflags-remove-$1-y)
cppflags-$2 := $$(cppflags-y) $$(cppflags-$1-y)
cppflags-remove-$2 := $$(cppflags-remove-y) $$(cppflags-remove-$1-y)
aflags-$2 := $$(aflags-y) $$(aflags-$1-y)
aflags-remove-$2 := $$(aflags-remove-y) $$(aflags-remove-$1-y)
incdirs-$2 := $$(thissubdir-incdirs) $$(addprefix $(sub-dir)/,$$(incdirs-$1-y))
cflags-$1-y :=
cflags-remove-$1-y :=
cxxflags-$1-y :=
cxxflags-remove-$1-y :=
cppflags-$1-y :=
cppflags-remove-$1-y :=
aflags-$1-y :=
aflags-remove-$1-y :=
incdirs-$1-y :=
oname-$1-y :=
endef

# $1: source relative to the sub.mk's directory (or absolute)
define process-subdir-srcs-y
vtee-src := $(if $(filter /%,$1),$1,$(patsubst ./%,%,$(sub-dir)/$1))
vtee-obj := $$(call vtee-object-name,$1,$$(vtee-src))
srcs += $$(vtee-src)
obj-of-$$(vtee-src) := $$(vtee-obj)
$$(eval $$(call vtee-object-flags,$1,$$(vtee-obj)))
endef

# $1: source relative to $(srcs_ext_base-y) (which may be absolute)
define process-subdir-srcs_ext-y
vtee-src := $(patsubst %/,%,$(srcs_ext_base-y))/$1
vtee-obj := $$(call vtee-object-name,$1,$(patsubst ./%,%,$(sub-dir)/$1))
srcs += $$(vtee-src)
obj-of-$$(vtee-src) := $$(vtee-obj)
$$(eval $$(call vtee-object-flags,$1,$$(vtee-obj)))
endef

# $1: gensrcs-y element; the file is $(sub-dir-out)/$(produce-$1)
define process-subdir-gensrcs-y
vtee-gen := $(sub-dir-out)/$(produce-$1)
gen-srcs += $$(vtee-gen)
cleanfiles += $$(vtee-gen)
obj-of-$$(vtee-gen) := $$(basename $$(vtee-gen)).o
FORCE-GENSRC$(sm): $(if $(filter y,$(force-gensrc-$1)),$$(vtee-gen))
$$(addprefix $(sub-dir-out)/,$$(produce-additional-$1)): $$(vtee-gen)
recipe-$$(vtee-gen) := $$(recipe-$1)
$$(vtee-gen): $$(depends-$1)
	@$$(cmd-echo-silent) '  GEN     $$@'
	$$(q)mkdir -p $(sub-dir-out)
	$$(q)$$(recipe-$$@)
$$(eval $$(call vtee-object-flags,$1,$$(basename $$(vtee-gen)).o))
endef

define process-subdir-asm-defines-y
$$(error $(sub-dir)/sub.mk: asm-defines-y is not supported by the vtee TA dev kit)
endef

# $1: directory holding a sub.mk (relative to the TA, or absolute)
define process-subdir
sub-dir := $1
sub-dir-out := $(if $(filter .,$1),$(out-dir),$(out-dir)/$(subst ../,__/,$(patsubst ./%,%,$1)))
include $1/sub.mk
sub-subdirs := $$(addprefix $1/,$$(subdirs-y)) $$(subdirs_ext-y)
incdirs$(sm) := $$(incdirs$(sm)) $$(addprefix $1/,$$(global-incdirs-y)) \
	$$(global-incdirs_ext-y)
cppflags$(sm) := $$(cppflags$(sm)) $$(global-cppflags-y)
thissubdir-incdirs := $$(sub-dir-out) $$(addprefix $1/,$$(incdirs-y)) \
	$$(incdirs_ext-y)
ifneq ($$(libname),)
incdirs-lib$$(libname)-$$(sm) := $$(incdirs-lib$$(libname)-$$(sm)) \
	$$(addprefix $1/,$$(incdirs-lib-y))
cflags-lib$$(libname)-$$(sm) := $$(cflags-lib$$(libname)-$$(sm)) $$(cflags-lib-y)
cxxflags-lib$$(libname)-$$(sm) := $$(cxxflags-lib$$(libname)-$$(sm)) \
	$$(cxxflags-lib-y)
cppflags-lib$$(libname)-$$(sm) := $$(cppflags-lib$$(libname)-$$(sm)) \
	$$(cppflags-lib-y)
endif
$$(foreach g,$$(gensrcs-y),$$(eval $$(call process-subdir-gensrcs-y,$$(g))))
$$(foreach s,$$(srcs-y),$$(eval $$(call process-subdir-srcs-y,$$(s))))
$$(foreach s,$$(srcs_ext-y),$$(eval $$(call process-subdir-srcs_ext-y,$$(s))))
$$(foreach a,$$(asm-defines-y),$$(eval $$(call process-subdir-asm-defines-y,$$(a))))
srcs-y :=
srcs_ext-y :=
srcs_ext_base-y :=
gensrcs-y :=
asm-defines-y :=
cflags-y :=
cflags-lib-y :=
cflags-remove-y :=
cxxflags-y :=
cxxflags-lib-y :=
cxxflags-remove-y :=
cppflags-y :=
cppflags-lib-y :=
cppflags-remove-y :=
aflags-y :=
aflags-remove-y :=
global-cppflags-y :=
subdirs-y :=
subdirs_ext-y :=
global-incdirs-y :=
global-incdirs_ext-y :=
incdirs-lib-y :=
incdirs-y :=
incdirs_ext-y :=
$$(foreach sd,$$(sub-subdirs),$$(eval $$(call process-subdir,$$(sd))))
endef

$(foreach sd,$(subdirs),$(eval $(call process-subdir,$(sd))))
