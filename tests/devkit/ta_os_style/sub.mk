cppflags-$(CFG_TA_FLOAT_SUPPORT) += -DCFG_TA_FLOAT_SUPPORT=1

global-incdirs-y += include
cflags-y += -Wno-float-equal
srcs-y += os_style_ta.c
cflags-os_style_ta.c-y += -Wno-declaration-after-statement
# decided by running the TA compiler while sub.mk is read, as os_test does
c++-supported := $(shell echo '__GNUC__' | $(CC$(sm)) -E -P - | grep -q '^[0-9]' && echo y)
ifeq ($(c++-supported),y)
srcs-y += os_style_cxx.cpp
cxxflags-remove-os_style_cxx.cpp-y += -pg
endif
