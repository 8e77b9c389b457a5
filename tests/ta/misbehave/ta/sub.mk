global-incdirs-y += include
srcs-y += misbehave_ta.c
# the hogs and the forbidden calls go straight to the host libc
srcs-y += misbehave_host.c
