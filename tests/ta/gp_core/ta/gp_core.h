/* SPDX-License-Identifier: MIT */
/*
 * What gp_core's files share: the report commands, each filling a report
 * from the command's own parameter [2].
 */
#ifndef GP_CORE_H
#define GP_CORE_H

#include <tee_internal_api.h>

#include <ta_report.h>

void gp_core_properties(struct ta_report *r, uint32_t types, TEE_Param params[4]);
void gp_core_memory(struct ta_report *r, uint32_t types, TEE_Param params[4]);
void gp_core_time(struct ta_report *r, uint32_t types, TEE_Param params[4]);
void gp_core_ta2ta(struct ta_report *r, uint32_t types, TEE_Param params[4]);

/* Milliseconds from a to b (b later). */
uint32_t gp_core_ms_between(const TEE_Time *a, const TEE_Time *b);

#endif
