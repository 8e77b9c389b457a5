/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: OP-TEE's snprintk()/vsnprintk(), snprintf() without
 * floating point; in a vtee TA they format as the host's snprintf() does.
 */
#ifndef PRINTK_H
#define PRINTK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int vsnprintk(char *str, size_t size, const char *fmt,
			    va_list ap)
{
	return vsnprintf(str, size, fmt, ap);
}

static inline int __attribute__((format(printf, 3, 4)))
snprintk(char *str, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(str, size, fmt, ap);
	va_end(ap);
	return n;
}

#endif /* PRINTK_H */
