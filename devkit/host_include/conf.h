/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: the TEE's configuration as C macros, for normal-world
 * builds (`-include conf.h`); the same values as conf.mk beside it. Options
 * that are off are left undefined, as OP-TEE's generated conf.h does.
 */
#ifndef VTEE_TA_DEV_KIT_CONF_H
#define VTEE_TA_DEV_KIT_CONF_H

#define CFG_VTEE_TA_DEV_KIT 1
#define CFG_TEE_TA_LOG_LEVEL 1
#define CFG_TA_FLOAT_SUPPORT 1
#define CFG_CACHE_API 1

#endif /* VTEE_TA_DEV_KIT_CONF_H */
