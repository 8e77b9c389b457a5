global-incdirs-y += include
srcs-y += compat_ta.c

# To remove a certain compiler flag, add a line like this
#cflags-compat_ta.c-y += -Wno-strict-prototypes
