global-incdirs-y += include
srcs-y += vtstat.c
