global-incdirs-y += include
global-incdirs-y += ../../include
srcs-y += storage_ta.c
srcs-y += storage_cmds.c
srcs-y += storage_data.c
srcs-y += storage_access.c
srcs-y += storage_info.c
