global-incdirs-y += include
srcs-y += gp_peer_ta.c
