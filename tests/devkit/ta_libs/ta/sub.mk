global-incdirs-y += include
global-incdirs-y += ../libstat/include
global-incdirs-y += ../libshared_a/include
global-incdirs-y += ../libshared_b/include
srcs-y += libs_ta.c
