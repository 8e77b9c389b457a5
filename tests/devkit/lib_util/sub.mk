srcs-y += vtutil.c
incdirs-lib-y += include
cflags-lib-y += -DVTUTIL_LIB_CFLAG=1
cppflags-lib-y += -DVTUTIL_LIB_CPPFLAG=1
