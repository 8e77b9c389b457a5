global-incdirs-y += ../../storage/ta/include
global-incdirs-y += ../../include
srcs-y += ../../storage/ta/storage_ta.c
srcs-y += ../../storage/ta/storage_cmds.c
srcs-y += ../../storage/ta/storage_data.c
srcs-y += ../../storage/ta/storage_access.c
srcs-y += ../../storage/ta/storage_info.c
