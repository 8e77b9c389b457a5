#error "srcs-$(CFG_FULL_NO) must not be built"
