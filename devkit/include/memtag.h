/* SPDX-License-Identifier: MIT */
/*
 * vtee TA dev kit: OP-TEE's memory-tagging helpers, always in their
 * "disabled" form: vtee runs TAs without MTE (CFG_MEMTAG=n), so addresses
 * carry no tag and setting tags changes nothing.
 */
#ifndef __MEMTAG_H
#define __MEMTAG_H

#include <string.h>
#include <types_ext.h>
#include <util.h>

#define MEMTAG_IS_ENABLED	0
#define MEMTAG_GRANULE_SIZE	1
#define MEMTAG_TAG_WIDTH	0
#define MEMTAG_GRANULE_MASK	(MEMTAG_GRANULE_SIZE - 1)

static inline void *memtag_set_tags(void *addr, size_t size __unused,
				    uint8_t tag __unused)
{
	return addr;
}

static inline void *memtag_set_random_tags(void *addr, size_t size __unused)
{
	return addr;
}

static inline void memtag_clear_mem(void *addr, size_t size)
{
	memset(addr, 0, size);
}

static inline vaddr_t memtag_strip_tag_vaddr(const void *addr)
{
	return (vaddr_t)addr;
}

static inline const void *memtag_strip_tag_const(const void *addr)
{
	return addr;
}

static inline void *memtag_strip_tag(void *addr)
{
	return addr;
}

static inline vaddr_t memtag_insert_tag_vaddr(vaddr_t addr,
					      uint8_t tag __unused)
{
	return addr;
}

static inline void *memtag_insert_tag(void *addr, uint8_t tag __unused)
{
	return addr;
}

static inline uint8_t memtag_get_tag(const void *addr __unused)
{
	return 0;
}

static inline uint8_t memtag_read_tag(const void *addr __unused)
{
	return 0;
}

static inline void memtag_assert_tag(const void *addr __unused)
{
}

static inline void memtag_init_ops(unsigned int memtag_impl __unused)
{
}

static inline bool memtag_is_enabled(void)
{
	return false;
}

#endif /* __MEMTAG_H */
