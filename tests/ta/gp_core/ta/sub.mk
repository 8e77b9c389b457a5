global-incdirs-y += include
global-incdirs-y += ../../include
global-incdirs-y += ../../gp_peer/ta/include
srcs-y += gp_core_ta.c
srcs-y += gp_core_props.c
srcs-y += gp_core_mem.c
srcs-y += gp_core_time.c
srcs-y += gp_core_ta2ta.c
