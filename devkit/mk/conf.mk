# vtee TA dev kit: the build configuration a TA tree sees (OP-TEE's
# export-ta_<arch>/mk/conf.mk). TA Makefiles may include this file on its own
# (optee_test does) before ta_dev_kit.mk includes it again.
#
# TAs are host-native shared objects, so the "secure-world" architecture is
# the target of the C compiler: sm is ta_<arch> of `<compiler> -dumpmachine`
# (ta_arm64 on aarch64, ta_x86_64 on x86-64). The compiler is
# $(CROSS_COMPILE_ta_<arch>)gcc (or clang with COMPILER=clang), the prefix
# defaulting to CROSS_COMPILE64/CROSS_COMPILE32 and then CROSS_COMPILE.

ifndef vtee-ta-conf-included
vtee-ta-conf-included := y

COMPILER ?= gcc
PYTHON3 ?= python3

# The prefix that picks the target: the most specific one given.
vtee-probe-prefix := $(firstword $(CROSS_COMPILE_ta_arm64) $(CROSS_COMPILE64) \
			$(CROSS_COMPILE))
ifeq ($(COMPILER),clang)
vtee-probe-cc := clang $(if $(vtee-probe-prefix),--target=$(patsubst %-,%,$(vtee-probe-prefix)))
else
vtee-probe-cc := $(vtee-probe-prefix)gcc
endif
vtee-machine := $(shell $(vtee-probe-cc) -dumpmachine 2>/dev/null)
ifeq ($(vtee-machine),)
$(error vtee TA dev kit: cannot run '$(vtee-probe-cc) -dumpmachine' (CROSS_COMPILE=$(CROSS_COMPILE)))
endif
vtee-arch := $(firstword $(subst -, ,$(vtee-machine)))
ifeq ($(vtee-arch),aarch64)
sm := ta_arm64
else ifneq ($(filter arm%,$(vtee-arch)),)
sm := ta_arm32
else
sm := ta_$(vtee-arch)
endif
sm-$(sm) := y
ta-target := $(sm)

# Toolchain prefixes as OP-TEE's conf.mk derives them
CROSS_COMPILE64 ?= $(CROSS_COMPILE)
CROSS_COMPILE32 ?= $(CROSS_COMPILE)
CROSS_COMPILE_ta_arm64 ?= $(CROSS_COMPILE64)
CROSS_COMPILE_ta_arm32 ?= $(CROSS_COMPILE32)
CROSS_COMPILE_$(sm) ?= $(CROSS_COMPILE)
COMPILER_$(sm) ?= $(COMPILER)

ifeq ($(COMPILER_$(sm)),clang)
vtee-clang-target := $(if $(CROSS_COMPILE_$(sm)),--target=$(patsubst %-,%,$(CROSS_COMPILE_$(sm))))
CC$(sm) ?= clang $(vtee-clang-target)
CXX$(sm) ?= clang++ $(vtee-clang-target)
CPP$(sm) ?= clang $(vtee-clang-target) -E
# LLVM's tools if installed, else binutils'
AR$(sm) ?= $(if $(shell command -v llvm-ar),llvm-ar,$(CROSS_COMPILE_$(sm))ar)
OBJCOPY$(sm) ?= $(if $(shell command -v llvm-objcopy),llvm-objcopy,$(CROSS_COMPILE_$(sm))objcopy)
else
CC$(sm) ?= $(CROSS_COMPILE_$(sm))gcc
CXX$(sm) ?= $(CROSS_COMPILE_$(sm))g++
CPP$(sm) ?= $(CROSS_COMPILE_$(sm))cpp
AR$(sm) ?= $(CROSS_COMPILE_$(sm))ar
OBJCOPY$(sm) ?= $(CROSS_COMPILE_$(sm))objcopy
endif

ifeq ($(sm),ta_arm64)
CFG_ARM64_$(sm) ?= y
endif

# OP-TEE builds TAs with -Os and debug information (kept in <uuid>.elf)
CFG_CC_OPT_LEVEL ?= s
$(sm)-platform-cflags ?= -O$(CFG_CC_OPT_LEVEL) -g
$(sm)-platform-cxxflags ?= -O$(CFG_CC_OPT_LEVEL) -g
$(sm)-platform-aflags ?= -g

# What this TA environment offers (OP-TEE exports these from its build).
# Floating point and the C++ runtime come with the host toolchain; there is
# no mbedTLS, no pseudo-TA, no BTI/PAuth/MTE, no ftrace/gprof in a vtee TA.
CFG_TEE_TA_LOG_LEVEL ?= 1
CFG_TA_FLOAT_SUPPORT ?= y
CFG_CACHE_API ?= y
CFG_SECURE_DATA_PATH ?= n
CFG_TA_MBEDTLS ?= n
CFG_TA_MBEDTLS_MPI ?= n
CFG_TA_MBEDTLS_SELF_TEST ?= n
CFG_SYSTEM_PTA ?= n
CFG_ATTESTATION_PTA ?= n
CFG_FTRACE_SUPPORT ?= n
CFG_UNWIND ?= n
CFG_TA_MCOUNT ?= n
CFG_TA_BTI ?= n
CFG_TA_PAUTH ?= n
CFG_MEMTAG ?= n
CFG_CORE_TPM_EVENT_LOG ?= n
CFG_TA_BGET_TEST ?= n
CFG_TA_LIBGCC ?= y
CFG_TA_SANITIZE_UNDEFINED ?= n
CFG_TA_SANITIZE_KADDRESS ?= n

# the vtee kit (TAs and tests can tell it from OP-TEE's)
CFG_VTEE_TA_DEV_KIT ?= y

endif # vtee-ta-conf-included
