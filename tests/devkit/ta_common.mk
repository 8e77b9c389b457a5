# Shared by TA trees laid out as optee_test's: BINARY comes on the command
# line from the tree's own Makefile, which reads the kit's conf.mk itself.
include $(TA_DEV_KIT_DIR)/mk/ta_dev_kit.mk

# set after the kit: still reaches every compile
CFLAGS += -DOS_STYLE_LATE_CFLAGS=1
