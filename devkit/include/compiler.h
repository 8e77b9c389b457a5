/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: the attribute shorthands OP-TEE's compiler.h gives TAs.
 *
 * TAs are compiled against the host's libc headers too, so a shorthand that
 * glibc uses as an identifier is not defined here: __data and __bss (members
 * of pthread types) are left out, the kernel-only section helpers as well.
 */
#ifndef COMPILER_H
#define COMPILER_H

#define __deprecated	__attribute__((deprecated))
#ifndef __packed
#define __packed	__attribute__((packed))
#endif
#define __weak		__attribute__((weak))
#define __alias(x)	__attribute__((alias(x)))
#ifndef __noreturn
#define __noreturn	__attribute__((__noreturn__))
#endif
#define __pure		__attribute__((pure))
#define __aligned(x)	__attribute__((aligned(x)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define __noinline	__attribute__((noinline))
#define __attr_const	__attribute__((__const__))
#ifndef __unused
#define __unused	__attribute__((unused))
#endif
#define __maybe_unused	__attribute__((unused))
#ifndef __used
#define __used		__attribute__((__used__))
#endif
#define __must_check	__attribute__((warn_unused_result))
#define __cold		__attribute__((__cold__))
#define __section(x)	__attribute__((section(x)))
#define __noprof	__attribute__((no_instrument_function))
#define __nostackcheck	__attribute__((no_instrument_function))
#define __no_stack_protector __attribute__((__optimize__("-fno-stack-protector")))

#define __compiler_bswap64(x)	__builtin_bswap64((x))
#define __compiler_bswap32(x)	__builtin_bswap32((x))
#define __compiler_bswap16(x)	__builtin_bswap16((x))

#define __GCC_VERSION (__GNUC__ * 10000 + __GNUC_MINOR__ * 100 + \
		       __GNUC_PATCHLEVEL__)

/* Every compiler the kit accepts (gcc >= 5, clang) has the builtins. */
#define __HAVE_BUILTIN_OVERFLOW 1
#define __HAVE_SINGLE_ARGUMENT_STATIC_ASSERT 1
#define __compiler_add_overflow(a, b, res) __builtin_add_overflow((a), (b), (res))
#define __compiler_sub_overflow(a, b, res) __builtin_sub_overflow((a), (b), (res))
#define __compiler_mul_overflow(a, b, res) __builtin_mul_overflow((a), (b), (res))

#define __compiler_compare_and_swap(p, oval, nval) \
	__atomic_compare_exchange_n((p), (oval), (nval), 1, \
				    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define __compiler_atomic_load(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define __compiler_atomic_store(p, val) \
	__atomic_store_n((p), (val), __ATOMIC_RELAXED)

#define barrier() __asm__ volatile ("" : : : "memory")

#ifndef __has_attribute
#define __has_attribute(x) 0
#endif
#if __has_attribute(__fallthrough__)
#define fallthrough __attribute__((__fallthrough__))
#else
#define fallthrough do {} while (0) /* fallthrough */
#endif

#ifdef __clang__
#define __no_stackprot
#else
#define __no_stackprot __attribute__((__optimize__("-fno-stack-protector")))
#endif
#define __inhibit_loop_to_libcall \
	__attribute__((__optimize__("-fno-tree-loop-distribute-patterns")))

#endif /* COMPILER_H */
