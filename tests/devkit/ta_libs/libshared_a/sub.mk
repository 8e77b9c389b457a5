global-incdirs-y += include
global-incdirs-y += ../libshared_b/include
srcs-y += vtshared_a.c
