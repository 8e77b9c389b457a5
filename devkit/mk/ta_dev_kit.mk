# vtee TA dev kit: the entry point a TA's Makefile includes, as with OP-TEE:
#
#   BINARY = <uuid>            (or LIBNAME = <name>, or SHLIBNAME + SHLIBUUID)
#   include $(TA_DEV_KIT_DIR)/mk/ta_dev_kit.mk
#
# reads ./sub.mk (and the sub.mk files it names) and builds $(O)/<uuid>.ta,
# a host-native shared object (O defaults to "."), with `all` and `clean`.
# V=1 shows the commands. Every make variable CFG_*/_CFG_* set to y becomes
# -DNAME=1, any other value but n/empty -DNAME='value'.

ta-dev-kit-dir := $(patsubst %/,%,$(abspath $(dir $(lastword $(MAKEFILE_LIST)))..))

.PHONY: all
all:

include $(ta-dev-kit-dir)/mk/conf.mk
ta-dev-kit-dir$(sm) := $(ta-dev-kit-dir)

ifneq (1,$(words $(BINARY) $(LIBNAME) $(SHLIBNAME)))
$(error You must specify exactly one of BINARY, LIBNAME or SHLIBNAME)
endif
ifneq ($(SHLIBNAME),)
ifeq ($(SHLIBUUID),)
$(error SHLIBNAME needs SHLIBUUID)
endif
endif

comma := ,
out-dir := $(if $(O),$(patsubst %/,%,$(O)),.)
link-out-dir := $(out-dir)
link-out-dir$(sm) := $(out-dir)

binary := $(BINARY)
user-ta-uuid := $(BINARY)
user-ta-version := $(if $(CFG_TA_VERSION),$(CFG_TA_VERSION),0)
user-ta-ldadd := $(LDADD)
libname := $(LIBNAME)
shlibname := $(SHLIBNAME)
shlibuuid := $(SHLIBUUID)

# CFLAGS64 or CFLAGS32 (as the target's pointer size) reach every C compile
arch-bits-$(sm) := $(if $(findstring __LP64__,$(shell echo __LP64__ | $(CC$(sm)) -E -P - 2>/dev/null)),32,64)
ifdef CFLAGS
CFLAGS32 ?= $(CFLAGS)
CFLAGS64 ?= $(CFLAGS)
endif

ifneq ($(V),1)
q := @
cmd-echo := true
cmd-echo-silent := echo
else
q :=
cmd-echo := echo
cmd-echo-silent := true
endif
ifneq ($(findstring s,$(firstword x$(MAKEFLAGS))),)
cmd-echo-silent := true
endif

# TAs are position-independent shared objects
cppflags$(sm) := $($(sm)-platform-cppflags) $(CPPFLAGS_$(sm))
aflags$(sm) := $($(sm)-platform-aflags) -fPIC
cflags$(sm) := $($(sm)-platform-cflags) $(CFLAGS_$(sm)) -fPIC
cxxflags$(sm) := $($(sm)-platform-cxxflags) $(CXXFLAGS_$(sm)) -fPIC
ifneq ($(shlibname),)
cxxflags$(sm) += -fno-exceptions
endif

ifeq ($(CFG_TA_OPTEE_CORE_API_COMPAT_1_1),y)
cppflags$(sm) += -D__OPTEE_CORE_API_COMPAT_1_1=1
endif
CFG_TEE_TA_LOG_LEVEL ?= 2
cppflags$(sm) += -DTRACE_LEVEL=$(CFG_TEE_TA_LOG_LEVEL)
cppflags$(sm) += -I. -I$(ta-dev-kit-dir$(sm))/include

# glibc stands in for OP-TEE's libutils and libdl; the GP API is resolved
# at load time. A TA's own libraries come from sub.mk (libnames/libdirs).
# (simple variables, so that a sub.mk's $(sub-dir-out) is taken as it was)
libdirs := $(libdirs)
libnames := $(libnames)
libdeps := $(libdeps)
cleanfiles := $(cleanfiles)

cppflags$(sm) += $(strip \
	$(foreach var,$(filter CFG_% _CFG_%,$(.VARIABLES)), \
		$(if $(filter y,$($(var))), \
			-D$(var)=1, \
			$(if $(filter xn x,x$($(var))),,-D$(var)='$($(var))'))))

RMDIR := rmdir --ignore-fail-on-non-empty

.PHONY: clean
clean:
	@$(cmd-echo-silent) '  CLEAN   $(out-dir)'
	$(q)rm -f $(cleanfiles)
	$(q)for d in $(vtee-cleandirs); do \
		while [ "$$d" != "$(out-dir)" ] && [ "$$d" != . ] && \
		      rmdir "$$d" 2>/dev/null; do d=$$(dirname "$$d"); done; \
	done
	$(q)if [ -n "$(O)" ] && [ -d "$(O)" ]; then $(RMDIR) $(O); fi

subdirs = .
include $(ta-dev-kit-dir$(sm))/mk/subdir.mk

ifneq ($(user-ta-uuid),)
# the TA's header, built with the TA's own flags
spec-srcs += $(ta-dev-kit-dir$(sm))/src/user_ta_header.c
spec-out-dir := $(out-dir)
endif

include $(ta-dev-kit-dir$(sm))/mk/compile.mk
include $(ta-dev-kit-dir$(sm))/mk/link.mk

# the directories of the outputs below $(out-dir); clean removes each one,
# then its parents up to $(out-dir), while they are empty
vtee-cleandirs = $(patsubst %/,%,$(sort $(filter-out $(out-dir)/ ./,\
	$(filter $(out-dir)/%,$(dir $(cleanfiles))))))
