# vtee TA dev kit: links a TA, a static library or a TA shared library.
#
# A TA is a host-native shared object. Its GP API symbols stay undefined:
# the TA host process has libvtee_ta loaded and resolves them when it
# dlopen()s the TA (hence no -z defs). -Bsymbolic binds the TA's references
# to its own functions to its own definitions, as OP-TEE's static link does.
# <uuid>.elf keeps the debug information, <uuid>.ta is the file to install.

# C++ objects need the C++ driver for libstdc++
vtee-link-driver = $(if $(vtee-has-cxx),$(CXX$(sm)),$(CC$(sm)))
vtee-link-libs = $(addprefix -L,$(libdirs)) \
	-Wl,--start-group $(addprefix -l,$(libnames)) -Wl,--end-group
# $ORIGIN: a TA's shared libraries (DT_NEEDED <uuid>.ta) are found beside it
vtee-link-flags = -shared -Wl,-Bsymbolic -Wl,-z,relro -Wl,-z,now \
	-Wl,-z,noexecstack -Wl,--build-id -Wl,-rpath,'$$ORIGIN' \
	$(LDFLAGS) $(LDFLAGS_$(sm))

# $1: output, $2: extra flags; rebuilt when the objects, the libraries or the
# command line change
define vtee-link-rule
vtee-link-cmd-$1 = $$(vtee-link-driver) $$(vtee-link-flags) $2 -o $1 \
	$$(objs) $$(user-ta-ldadd) $$(vtee-link-libs)
vtee-link-cmd-file-$1 := $$(dir $1).$$(notdir $1).cmd
cleanfiles += $1 $$(vtee-link-cmd-file-$1)
-include $$(vtee-link-cmd-file-$1)
$1: $$(objs) $$(libdeps) FORCE-GENSRC$(sm)
	$$(if $$(strip $$(filter-out FORCE-GENSRC$(sm),$$?) \
		$$(filter-out $$(vtee-link-cmd-$1),$$(old-cmd-$1)) \
		$$(filter-out $$(old-cmd-$1),$$(vtee-link-cmd-$1))), \
		@set -e; \
		mkdir -p $$(dir $1); \
		$$(cmd-echo-silent) '  LD      $1'; \
		$$(cmd-echo) '$$(subst ','\'',$$(vtee-link-cmd-$1))'; \
		$$(vtee-link-cmd-$1); \
		echo 'old-cmd-$1 := $$(subst ','\'',$$(subst $$$$,$$$$$$$$,$$(vtee-link-cmd-$1)))' \
			> $$(vtee-link-cmd-file-$1))
endef

# $1: unstripped input, $2: installed copy
define vtee-strip-rule
cleanfiles += $2
$2: $1
	@$$(cmd-echo-silent) '  OBJCOPY $2'
	$$(q)$$(OBJCOPY$(sm)) --strip-debug $1 $2
endef

ifneq ($(user-ta-uuid),)
vtee-ta-elf := $(link-out-dir)/$(user-ta-uuid).elf
vtee-ta-map := $(link-out-dir)/$(user-ta-uuid).map
cleanfiles += $(vtee-ta-map)
all: $(link-out-dir)/$(user-ta-uuid).ta
$(eval $(call vtee-link-rule,$(vtee-ta-elf),-Wl$(comma)-Map=$(vtee-ta-map)))
$(eval $(call vtee-strip-rule,$(vtee-ta-elf),$(link-out-dir)/$(user-ta-uuid).ta))
endif

ifneq ($(libname),)
vtee-lib := $(out-dir)/$(libname).a
all: $(vtee-lib)
cleanfiles += $(vtee-lib)
$(vtee-lib): $(objs)
	@$(cmd-echo-silent) '  AR      $@'
	$(q)rm -f $@ && $(AR$(sm)) rcs $@ $^
endif

ifneq ($(shlibname),)
# a TA shared library: <SHLIBNAME>.so to link TAs against, and <SHLIBUUID>.ta
# to install beside them. Its soname is <SHLIBUUID>.ta (OP-TEE's is the bare
# UUID): so the dynamic loader finds it in the TA's directory by that name.
vtee-shlib := $(link-out-dir)/$(shlibname).so
all: $(link-out-dir)/$(shlibuuid).ta
$(eval $(call vtee-link-rule,$(vtee-shlib),-Wl$(comma)-soname=$(shlibuuid).ta))
$(eval $(call vtee-strip-rule,$(vtee-shlib),$(link-out-dir)/$(shlibuuid).ta))
endif
