global-incdirs-y += include
global-incdirs-y += ../lib_util/include
srcs-y += full_ta.c
srcs-y += removed_flag.c
srcs-$(CFG_FULL_YES) += enabled_by_cfg.c
srcs-$(CFG_FULL_NO) += never_built.c
srcs-$(CFG_TA_FLOAT_SUPPORT) += float_part.c
srcs-y += cxx_part.cpp
srcs-y += renamed.c
oname-renamed.c-y := renamed_object

# flags for every file of this directory, one file, and taken away again
cflags-y += -DFULL_CFLAG_ALL=1 -DFULL_CFLAG_REMOVED=1
cflags-removed_flag.c-y += -DFULL_CFLAG_ONE=1
cflags-remove-removed_flag.c-y += -DFULL_CFLAG_REMOVED=1
cppflags-y += -DFULL_CPPFLAG=1
cppflags-full_ta.c-y += -DFULL_CPPFLAG_ONE=1
cppflags-$(CFG_TA_FLOAT_SUPPORT) += -DFULL_FLOAT=1
cxxflags-y += -DFULL_CXXFLAG=1
cxxflags-cxx_part.cpp-y += -DFULL_CXXFLAG_ONE=1

ifeq ($(sm),ta_arm64)
cppflags-y += -DFULL_SM_ARM64=1
else
cppflags-y += -DFULL_SM_OTHER=1
endif
cppflags-y += -DFULL_SM='"$(sm)"'

# a source generated into the output directory
gensrcs-y += gen-value
produce-gen-value = gen_value.c
depends-gen-value := gen_value.txt
recipe-gen-value := { printf 'int full_gen_value(void);\n'; \
	printf 'int full_gen_value(void) { return %s; }\n' \
	"$$(cat gen_value.txt)"; } > $(sub-dir-out)/gen_value.c; \
	touch $(sub-dir-out)/gen_extra.txt
cleanfiles += $(sub-dir-out)/gen_extra.txt

# sources and headers outside the tree
srcs_ext_base-y := $(abspath ../ext_tree)
srcs_ext-y += ext_part.c
global-incdirs_ext-y += $(abspath ../ext_tree/include)
subdirs_ext-y += $(abspath ../ext_tree/extsub)

subdirs-y += sub

# the static library built from ../lib_util
libnames += vtutil
libdirs += $(LIBUTIL_OUT)
libdeps += $(LIBUTIL_OUT)/libvtutil.a
