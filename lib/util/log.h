/* SPDX-License-Identifier: MIT */
/*
 * libvtee's own log: every line goes to the callback the embedder set with
 * vtee_set_log() (include/vtee/vtee.h), formatted once, in one call; with no
 * callback it is dropped. The library never writes to stderr itself.
 */
#ifndef VTEE_UTIL_LOG_H
#define VTEE_UTIL_LOG_H

#include "vtee/vtee.h"

void vtee_log(enum vtee_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
