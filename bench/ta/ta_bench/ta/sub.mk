global-incdirs-y += include
srcs-y += ta_bench.c
