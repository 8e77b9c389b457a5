/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: IS_ENABLED(CFG_X), 1 when CFG_X is defined to 1 (as the
 * dev kit passes every CFG_X=y), 0 when it is undefined, usable in C
 * expressions where #ifdef is not.
 */
#ifndef __CONFIG_H_
#define __CONFIG_H_

#define IS_ENABLED(cfg)			__vtee_is_enabled1(cfg)
#define __vtee_is_enabled1(cfg)		__vtee_is_enabled2(__vtee_probe_##cfg)
/* only a macro that expands to 1 pastes into this one, adding an argument */
#define __vtee_probe_1			0,
#define __vtee_is_enabled2(arg)		__vtee_is_enabled3(arg 1, 0)
#define __vtee_is_enabled3(ignored, val, ...) val

#endif /* __CONFIG_H_ */
