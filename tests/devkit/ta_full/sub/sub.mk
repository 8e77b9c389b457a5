srcs-y += sub_part.c
incdirs-y += private
cflags-y += -DSUB_CFLAG=1
cflags-sub_part.c-y += -DSUB_CFLAG_ONE=1
global-cppflags-y += -DFROM_GLOBAL_CPPFLAGS=7
