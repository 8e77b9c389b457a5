/* The meta blob of a persistent object: what the TEE stores beside the data stream so that an
 * open handle carries its type, sizes, usage and attributes in memory like a transient object.
 *
 * Format, version 1, all integers little-endian:
 *   u32 magic "vtom" | u16 version (1) | u16 attribute count
 *   u32 objectType | u32 objectSize | u32 maxObjectSize | u32 objectUsage
 *   then per attribute: u32 attributeID | u32 length | length bytes
 *     (value attributes: 4 bytes, the first word, the only one the core keeps;
 *      bignums without leading zero bytes, as the object holds them)
 * A blob comes back from storage: it is parsed as hostile input, every length bounded, and
 * anything that does not describe an object populate could have made is CORRUPT_OBJECT. */
#include "obj_persistent.h"

#include <stdlib.h>
#include <string.h>

#define META_MAGIC 0x6d6f7476u /* "vtom" */
#define META_VERSION 1
#define META_HEAD 24
#define META_ATTR_HEAD 8
#define META_VALUE_LEN 4

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_u32(const uint8_t *p)
{
	return get_u16(p) | (uint32_t)get_u16(p + 2) << 16;
}

static size_t attr_len(const struct obj_type *t, int i, const struct obj_attr *a)
{
	return t->attrs[i].kind == ATTR_VALUE ? META_VALUE_LEN : a->len;
}

static size_t encoded_size(TEE_ObjectHandle src, uint16_t *count)
{
	size_t n = META_HEAD;

	*count = 0;
	for (int i = 0; src && src->t && i < src->t->nattrs; i++) {
		if (!src->attr[i].set)
			continue;
		n += META_ATTR_HEAD + attr_len(src->t, i, &src->attr[i]);
		(*count)++;
	}
	return n;
}

TEE_Result meta_encode(TEE_ObjectHandle src, uint32_t usage, uint8_t **out, size_t *len)
{
	uint16_t count;
	size_t n = encoded_size(src, &count);
	uint8_t *b = malloc(n), *p;

	if (!b)
		return TEE_ERROR_OUT_OF_MEMORY;
	put_u32(b, META_MAGIC);
	put_u16(b + 4, META_VERSION);
	put_u16(b + 6, count);
	put_u32(b + 8, src ? src->info.objectType : TEE_TYPE_DATA);
	put_u32(b + 12, src ? src->info.objectSize : 0);
	put_u32(b + 16, src ? src->info.maxObjectSize : 0);
	put_u32(b + TARUN_ST_META_USAGE_AT, usage); /* the TEE restricts it in place */
	p = b + META_HEAD;
	for (int i = 0; src && src->t && i < src->t->nattrs; i++) {
		const struct obj_attr *a = &src->attr[i];
		size_t l = attr_len(src->t, i, a);

		if (!a->set)
			continue;
		put_u32(p, src->t->attrs[i].id);
		put_u32(p + 4, (uint32_t)l);
		if (src->t->attrs[i].kind == ATTR_VALUE)
			put_u32(p + META_ATTR_HEAD, a->a);
		else if (l)
			memcpy(p + META_ATTR_HEAD, a->buf, l);
		p += META_ATTR_HEAD + l;
	}
	*out = b;
	*len = n;
	return TEE_SUCCESS;
}

/* One attribute at *off: known to the type, not seen before, its length within the blob and
 * what its kind allows. */
static TEE_Result decode_attr(TEE_ObjectHandle o, const uint8_t *m, size_t len, size_t *off,
			      uint32_t *seen)
{
	uint32_t id, l;
	int i;
	TEE_Result res;

	if (len - *off < META_ATTR_HEAD)
		return TEE_ERROR_CORRUPT_OBJECT;
	id = get_u32(m + *off);
	l = get_u32(m + *off + 4);
	*off += META_ATTR_HEAD;
	i = obj_type_attr_index(o->t, id);
	if (i < 0 || (*seen & (1u << i)) || l > len - *off)
		return TEE_ERROR_CORRUPT_OBJECT;
	*seen |= 1u << i;
	if (o->t->attrs[i].kind == ATTR_VALUE) {
		if (l != META_VALUE_LEN)
			return TEE_ERROR_CORRUPT_OBJECT;
		o->attr[i].a = get_u32(m + *off);
		o->attr[i].b = 0;
		o->attr[i].set = true;
	} else {
		res = obj_attr_store(o, i, m + *off, l);
		if (res)
			return res == TEE_ERROR_OUT_OF_MEMORY ? res : TEE_ERROR_CORRUPT_OBJECT;
	}
	*off += l;
	return TEE_SUCCESS;
}

/* Every attribute populate requires is there. */
static bool has_required(const struct obj_type *t, uint32_t seen)
{
	for (int i = 0; i < t->nattrs; i++)
		if ((t->attrs[i].flags & ATTR_REQUIRED) && !(seen & (1u << i)))
			return false;
	return true;
}

/* The header: a known version, a type this runtime has, sizes its rules allow. */
static TEE_Result decode_head(const uint8_t *m, size_t len, TEE_ObjectHandle *out,
			      uint16_t *count)
{
	uint32_t type, size, max;
	TEE_Result res;

	if (len < META_HEAD || len > TARUN_ST_META_MAX || get_u32(m) != META_MAGIC ||
	    get_u16(m + 4) != META_VERSION)
		return TEE_ERROR_CORRUPT_OBJECT;
	*count = get_u16(m + 6);
	type = get_u32(m + 8);
	size = get_u32(m + 12);
	max = get_u32(m + 16);
	if (type == TEE_TYPE_DATA && (size || *count))
		return TEE_ERROR_CORRUPT_OBJECT;
	if (size > max)
		return TEE_ERROR_CORRUPT_OBJECT;
	res = obj_new(type, max, out);
	if (res)
		return res == TEE_ERROR_OUT_OF_MEMORY ? res : TEE_ERROR_CORRUPT_OBJECT;
	(*out)->info.objectSize = size;
	(*out)->info.objectUsage = get_u32(m + TARUN_ST_META_USAGE_AT);
	return TEE_SUCCESS;
}

TEE_Result meta_decode(const void *meta, size_t len, TEE_ObjectHandle *out)
{
	const uint8_t *m = meta;
	TEE_ObjectHandle o = NULL;
	uint32_t seen = 0;
	uint16_t count = 0;
	size_t off = META_HEAD;
	TEE_Result res = decode_head(m, len, &o, &count);

	if (res)
		return res;
	if (o->t && count > o->t->nattrs)
		res = TEE_ERROR_CORRUPT_OBJECT;
	for (uint16_t n = 0; n < count && !res; n++)
		res = decode_attr(o, m, len, &off, &seen);
	if (!res && (off != len || (o->t && !has_required(o->t, seen))))
		res = TEE_ERROR_CORRUPT_OBJECT;
	if (res) {
		obj_destroy(o);
		return res;
	}
	*out = o;
	return TEE_SUCCESS;
}
