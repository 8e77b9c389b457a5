global-incdirs-y += include
srcs-y += vtshared_b.c
