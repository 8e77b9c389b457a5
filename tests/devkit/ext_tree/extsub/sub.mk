srcs-y += extsub_part.c
