/* TEE_Malloc and friends with OP-TEE's semantics, on the process heap, with the TA's heap size
 * (TA_DATA_SIZE) as a budget: a TA that asks for more than its heap gets NULL as on OP-TEE.
 *
 * Every block handed out is recorded (address -> cost, no-share) so that TEE_Free and
 * TEE_Realloc give its cost back, including blocks that came from malloc() (the TA's libc shares
 * the heap on OP-TEE, so TAs mix the two: only TEE_Malloc's blocks are counted). The cost of a
 * block is its size rounded to 16 bytes plus 16, about what OP-TEE's bget spends, so a TA that
 * fits on OP-TEE fits here. TEE_MALLOC_NO_SHARE blocks have their own budget, the TA's
 * TA_NO_SHARE_DATA_SIZE (none: NULL, as on OP-TEE without a no-share heap). */
#include "tarun_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* OP-TEE's non-NULL answers to a zero-sized request, never dereferenced. */
#define NULL_SIZED_VA ((void *)1)
#define NULL_SIZED_NO_SHARE_VA ((void *)2)

#define BLOCK_ALIGN 16u
#define BLOCK_OVERHEAD 16u

struct block {
	uintptr_t addr; /* 0: free slot */
	size_t cost;
	bool no_share;
};

static struct {
	pthread_mutex_t lock;
	struct block *slots;
	size_t cap;       /* a power of two, or 0 */
	size_t used;
	size_t live[2];   /* cost of the live blocks: [0] shared heap, [1] no-share heap */
} heap = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const void *instance_data;

static size_t block_cost(size_t len)
{
	if (len > SIZE_MAX - 2 * BLOCK_ALIGN)
		return SIZE_MAX;
	return ((len + BLOCK_ALIGN - 1) & ~(size_t)(BLOCK_ALIGN - 1)) + BLOCK_OVERHEAD;
}

static size_t budget(bool no_share)
{
	if (!tarun_ta_info)
		return SIZE_MAX; /* not started (a unit test): no limit */
	return no_share ? tarun_ta_info->no_share_heap_size : tarun_ta_info->heap_size;
}

static size_t slot_of(uintptr_t addr, size_t cap)
{
	uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 17) & (cap - 1);
}

static struct block *table_find(uintptr_t addr)
{
	if (!heap.cap || !addr) /* 0 marks a free slot */
		return NULL;
	for (size_t i = slot_of(addr, heap.cap);; i = (i + 1) & (heap.cap - 1)) {
		if (heap.slots[i].addr == addr)
			return &heap.slots[i];
		if (!heap.slots[i].addr)
			return NULL;
	}
}

static void table_put(struct block *slots, size_t cap, const struct block *b)
{
	size_t i = slot_of(b->addr, cap);

	while (slots[i].addr)
		i = (i + 1) & (cap - 1);
	slots[i] = *b;
}

/* Keeps the table at most half full; -ENOMEM when it cannot grow. */
static int table_reserve(void)
{
	size_t cap = heap.cap ? heap.cap * 2 : 64;
	struct block *slots;

	if ((heap.used + 1) * 2 <= heap.cap)
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < heap.cap; i++)
		if (heap.slots[i].addr)
			table_put(slots, cap, &heap.slots[i]);
	free(heap.slots);
	heap.slots = slots;
	heap.cap = cap;
	return 0;
}

/* Removes the entry of b (backward-shift deletion keeps probe chains whole). */
static void table_remove(struct block *b)
{
	size_t i = (size_t)(b - heap.slots);
	size_t j = i;

	heap.used--;
	heap.live[b->no_share] -= b->cost;
	for (;;) {
		j = (j + 1) & (heap.cap - 1);
		if (!heap.slots[j].addr)
			break;
		size_t home = slot_of(heap.slots[j].addr, heap.cap);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			heap.slots[i] = heap.slots[j];
			i = j;
		}
	}
	heap.slots[i].addr = 0;
}

/* Records a new block; a record that cannot be made leaves the block uncounted. */
static void table_add(void *p, size_t cost, bool no_share)
{
	struct block b = { .addr = (uintptr_t)p, .cost = cost, .no_share = no_share };
	struct block *old = table_find(b.addr);

	if (old) /* the TA freed a counted block with free(): its address came back */
		table_remove(old);
	if (table_reserve())
		return;
	table_put(heap.slots, heap.cap, &b);
	heap.used++;
	heap.live[no_share] += cost;
}

static bool fits(bool no_share, size_t freed, size_t cost)
{
	size_t live = heap.live[no_share] - freed;

	return cost <= budget(no_share) && live <= budget(no_share) - cost;
}

static void *heap_alloc(size_t len, bool no_share, bool zero)
{
	size_t cost = block_cost(len);
	void *p = NULL;

	if (no_share && !budget(no_share))
		return NULL;
	pthread_mutex_lock(&heap.lock);
	if (fits(no_share, 0, cost)) {
		p = zero ? calloc(1, len) : malloc(len);
		if (p)
			table_add(p, cost, no_share);
	}
	pthread_mutex_unlock(&heap.lock);
	return p;
}

void *TEE_Malloc(size_t size, uint32_t hint)
{
	switch (hint) {
	case TEE_MALLOC_FILL_ZERO:
		return size ? heap_alloc(size, false, true) : NULL_SIZED_VA;
	case TEE_MALLOC_NO_FILL:
		tarun_panic(0); /* OP-TEE: NO_FILL alone is not a valid hint */
	case TEE_MALLOC_NO_SHARE:
		return size ? heap_alloc(size, true, true) : NULL_SIZED_NO_SHARE_VA;
	case TEE_MALLOC_NO_FILL | TEE_MALLOC_NO_SHARE:
		return size ? heap_alloc(size, true, false) : NULL_SIZED_NO_SHARE_VA;
	case TEE_USER_MEM_HINT_NO_FILL_ZERO:
		return size ? heap_alloc(size, false, false) : NULL_SIZED_VA;
	default:
		EMSG("Invalid hint %#" PRIx32, hint);
		return NULL;
	}
}

static bool is_no_share_block(const void *p)
{
	struct block *b;
	bool no_share;

	pthread_mutex_lock(&heap.lock);
	b = table_find((uintptr_t)p);
	no_share = b && b->no_share;
	pthread_mutex_unlock(&heap.lock);
	return no_share;
}

void TEE_Free(void *buffer)
{
	struct block *b;

	if (!buffer || buffer == NULL_SIZED_VA || buffer == NULL_SIZED_NO_SHARE_VA)
		return;
	pthread_mutex_lock(&heap.lock);
	b = table_find((uintptr_t)buffer);
	if (b)
		table_remove(b);
	pthread_mutex_unlock(&heap.lock);
	free(buffer);
}

/* Resizes a live block within its budget; the old block stays valid when this fails. */
static void *heap_resize(void *buffer, size_t size)
{
	struct block *b;
	void *p = NULL;

	pthread_mutex_lock(&heap.lock);
	b = table_find((uintptr_t)buffer);
	if (!b) { /* a malloc() block: the TA's libc, not counted */
		p = realloc(buffer, size);
	} else {
		bool no_share = b->no_share;
		size_t cost = block_cost(size);

		if (fits(no_share, b->cost, cost)) {
			p = realloc(buffer, size);
			if (p) {
				table_remove(b);
				table_add(p, cost, no_share);
			}
		}
	}
	pthread_mutex_unlock(&heap.lock);
	return p;
}

void *TEE_Realloc(void *buffer, size_t newSize)
{
	if (!newSize) {
		void *marker = is_no_share_block(buffer) ? NULL_SIZED_NO_SHARE_VA : NULL_SIZED_VA;

		TEE_Free(buffer);
		return marker;
	}
	if (buffer == NULL_SIZED_VA)
		return heap_alloc(newSize, false, true);
	if (buffer == NULL_SIZED_NO_SHARE_VA)
		return heap_alloc(newSize, true, true);
	if (!buffer)
		return heap_alloc(newSize, false, false);
	return heap_resize(buffer, newSize);
}

bool tarun_heap_overlaps_no_share(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;
	bool hit = false;

	if (!len || !budget(true))
		return false;
	pthread_mutex_lock(&heap.lock);
	for (size_t i = 0; i < heap.cap && !hit; i++) {
		const struct block *b = &heap.slots[i];
		size_t size = b->cost - BLOCK_OVERHEAD; /* the rounded size: an upper bound */

		hit = b->addr && b->no_share && a < b->addr + size && b->addr < a + len;
	}
	pthread_mutex_unlock(&heap.lock);
	return hit;
}

void *TEE_MemMove(void *dest, const void *src, size_t size)
{
	return memmove(dest, src, size);
}

/* Constant time: every byte is read whatever the contents; the sign is the first difference's. */
int32_t TEE_MemCompare(const void *buffer1, const void *buffer2, size_t size)
{
	const unsigned char *a = buffer1;
	const unsigned char *b = buffer2;
	int32_t first = 0;

	for (size_t i = size; i-- > 0;) {
		int32_t d = (int32_t)a[i] - (int32_t)b[i];
		int32_t differs = -(int32_t)((uint32_t)(d | -d) >> 31); /* -1 if d != 0, else 0 */

		first = (first & ~differs) | (d & differs);
	}
	return (first > 0) - (first < 0);
}

void TEE_MemFill(void *buff, uint32_t x, size_t size)
{
	memset(buff, (int)(uint8_t)x, size);
}

void TEE_SetInstanceData(const void *instanceData)
{
	instance_data = instanceData;
}

const void *TEE_GetInstanceData(void)
{
	return instance_data;
}

/* Zero-initialised pages outside the heap (OP-TEE uses them to stage TA-to-TA parameters). */
TARUN_EXPORT void *tee_map_zi(size_t len, uint32_t flags)
{
	return tee_map_zi_va(0, len, flags);
}

/* The same at a chosen address (never over an existing mapping); va 0: anywhere. */
TARUN_EXPORT void *tee_map_zi_va(vaddr_t va, size_t len, uint32_t flags)
{
	void *p;

	if (!len || (flags & ~(uint32_t)TEE_MEMORY_ACCESS_ANY_OWNER))
		return NULL;
	p = mmap((void *)va, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | (va ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

TARUN_EXPORT TEE_Result tee_unmap(void *buf, size_t len)
{
	if (!len || munmap(buf, len))
		return TEE_ERROR_BAD_PARAMETERS;
	return TEE_SUCCESS;
}

/* OP-TEE's heap-leak helpers exist only in debug allocators; here they do nothing. */
TARUN_EXPORT void tee_user_mem_mark_heap(void)
{
}

TARUN_EXPORT size_t tee_user_mem_check_heap(void)
{
	return 0;
}
