/* SPDX-License-Identifier: MIT */
/* vtee TA dev kit: the helper macros of OP-TEE's util.h. */
#ifndef UTIL_H
#define UTIL_H

#include <compiler.h>
#include <inttypes.h>
#include <stddef.h>

#define SIZE_4K	UINTPTR_C(0x1000)
#define SIZE_1M	UINTPTR_C(0x100000)
#define SIZE_2M	UINTPTR_C(0x200000)
#define SIZE_4M	UINTPTR_C(0x400000)
#define SIZE_8M	UINTPTR_C(0x800000)
#define SIZE_2G	UINTPTR_C(0x80000000)

#ifndef MAX
#define MAX(a, b) (__extension__({ __typeof__(a) _a = (a); \
				   __typeof__(b) _b = (b); _a > _b ? _a : _b; }))
#define MIN(a, b) (__extension__({ __typeof__(a) _a = (a); \
				   __typeof__(b) _b = (b); _a < _b ? _a : _b; }))
#endif
#define MAX_UNSAFE(a, b)	(((a) > (b)) ? (a) : (b))
#define MIN_UNSAFE(a, b)	(((a) < (b)) ? (a) : (b))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

/* size must be a power of two */
#define ROUNDUP(v, size) (((v) + ((__typeof__(v))(size) - 1)) & \
			  ~((__typeof__(v))(size) - 1))
#define ROUNDDOWN(v, size) ((v) & ~((__typeof__(v))(size) - 1))
/* 1 if rounding up overflows, else 0 with *res set */
#define ROUNDUP_OVERFLOW(v, size, res) (__extension__({ \
	__typeof__(*(res)) __ru_tmp = 0; \
	__typeof__(v) __ru_mask = (__typeof__(v))(size) - 1; \
	ADD_OVERFLOW((v), __ru_mask, &__ru_tmp) ? 1 : \
		((void)(*(res) = __ru_tmp & ~__ru_mask), 0); }))
#define ROUNDUP_DIV(x, y) (__extension__({ \
	__typeof__(x) __rd_x = (x); \
	__typeof__(y) __rd_mask = (__typeof__(x))(y) - 1; \
	(__rd_x / (y)) + (__rd_x & __rd_mask ? 1 : 0); }))
#define UDIV_ROUND_NEAREST(x, y) (__extension__({ \
	__typeof__(x) _x = (x); __typeof__(y) _y = (y); (_x + (_y / 2)) / _y; }))

#define IS_POWER_OF_TWO(x) (((x) != 0) && (((x) & (~(x) + 1)) == (x)))
#define ALIGNMENT_IS_OK(p, type) \
	(((uintptr_t)(p) & (__alignof__(type) - 1)) == 0)

#define TO_STR(x) _TO_STR(x)
#define _TO_STR(x) #x
#define CONCAT(x, y) _CONCAT(x, y)
#define _CONCAT(x, y) x##y

#define container_of(ptr, type, member) (__extension__({ \
	const __typeof__(((type *)0)->member) *__cof_ptr = (ptr); \
	(type *)((unsigned long)(__cof_ptr) - offsetof(type, member)); }))
#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)

#define BIT32(nr)		(UINT32_C(1) << (nr))
#define BIT64(nr)		(UINT64_C(1) << (nr))
#define SHIFT_U32(v, shift)	((uint32_t)(v) << (shift))
#define SHIFT_U64(v, shift)	((uint64_t)(v) << (shift))
#define BIT(nr)			BIT32(nr)

/* bits l..h set, e.g. GENMASK_32(13, 0) == 0x3fff */
#define GENMASK_32(h, l) \
	(((~UINT32_C(0)) << (l)) & (~UINT32_C(0) >> (32 - 1 - (h))))
#define GENMASK_64(h, l) \
	(((~UINT64_C(0)) << (l)) & (~UINT64_C(0) >> (64 - 1 - (h))))

/* true when the result does not fit *res (then *res is not to be used) */
#define ADD_OVERFLOW(a, b, res) __compiler_add_overflow((a), (b), (res))
#define SUB_OVERFLOW(a, b, res) __compiler_sub_overflow((a), (b), (res))
#define MUL_OVERFLOW(a, b, res) __compiler_mul_overflow((a), (b), (res))

#define CMP_TRILEAN(a, b) (__extension__({ \
	__typeof__(a) _a = (a); __typeof__(b) _b = (b); \
	_a > _b ? 1 : _a < _b ? -1 : 0; }))

static inline uint64_t reg_pair_to_64(uint32_t reg0, uint32_t reg1)
{
	return (uint64_t)reg0 << 32 | reg1;
}

static inline void reg_pair_from_64(uint64_t val, uint32_t *reg0,
				    uint32_t *reg1)
{
	*reg0 = (uint32_t)(val >> 32);
	*reg1 = (uint32_t)val;
}

#endif /* UTIL_H */
