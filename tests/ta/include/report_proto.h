/* SPDX-License-Identifier: MIT */
/*
 * The report protocol of the in-tree test TAs (crypto_kat, gp_core), shared
 * by the TAs (ta_report.h) and their clients (host/report_client.h).
 *
 * A "report" command runs checks inside the TA and answers:
 *   [0] VALUE_OUTPUT  a = checks run, b = checks failed
 *   [1] MEMREF_OUTPUT one line per check, "PASS <what>" or "FAIL <what>: <why>",
 *                     or NONE for the counts only
 * with TEE_SUCCESS once the checks ran (whatever they found);
 * TEE_ERROR_SHORT_BUFFER with [1].size = the report's length if [1] is too
 * small (the values are set all the same); TEE_ERROR_BAD_PARAMETERS for
 * other parameter types. [2] and [3] are the command's own (NONE unless the
 * command says otherwise).
 */
#ifndef TA_REPORT_PROTO_H
#define TA_REPORT_PROTO_H

/* A report never grows beyond this; an output buffer this big always fits. */
#define TA_REPORT_MAX (32 * 1024)

#endif
