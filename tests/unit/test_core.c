// SPDX-License-Identifier: MIT
/* Unit tests of core building blocks: the id map, guest-memory bounds, RAM regions, shm accessors. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../check.h"
#include "idmap.h"
#include "vtee/frontend.h"

static void test_idmap(void)
{
	struct idmap m = { 0 };
	static int vals[5000];

	CHECK(idmap_get(&m, 1) == NULL);
	CHECK(idmap_del(&m, 1) == NULL);
	for (int i = 0; i < 5000; i++)
		CHECK_EQ(idmap_put(&m, (uint64_t)i * 0x1000 + 7, &vals[i]), 0);
	CHECK_EQ(idmap_put(&m, 7, &vals[0]), (unsigned long long)-EEXIST);
	CHECK_EQ(m.count, 5000);
	int bad = 0;
	for (int i = 0; i < 5000; i++)
		bad += idmap_get(&m, (uint64_t)i * 0x1000 + 7) != &vals[i];
	CHECK_EQ(bad, 0);
	for (int i = 0; i < 5000; i += 2)
		CHECK(idmap_del(&m, (uint64_t)i * 0x1000 + 7) == &vals[i]);
	CHECK_EQ(m.count, 2500);
	size_t pos = 0, seen = 0;
	uint64_t key;
	void *v;
	while ((v = idmap_next(&m, &pos, &key))) {
		seen++;
		bad += ((key - 7) / 0x1000) % 2 == 0;
	}
	CHECK_EQ(seen, 2500);
	CHECK_EQ(bad, 0);
	/* keys the guest picks, extremes included */
	CHECK_EQ(idmap_put(&m, 0, &vals[0]), 0);
	CHECK_EQ(idmap_put(&m, UINT64_MAX, &vals[1]), 0);
	CHECK(idmap_get(&m, 0) == &vals[0]);
	CHECK(idmap_get(&m, UINT64_MAX) == &vals[1]);
	/* churn: deleted markers must not fill the table */
	for (int round = 0; round < 100000; round++) {
		if (idmap_put(&m, 1ull << 40 | (uint64_t)round, &vals[2]))
			bad++;
		if (idmap_del(&m, 1ull << 40 | (uint64_t)round) != &vals[2])
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(m.cap < 16384);
	idmap_free(&m);
	CHECK(m.slots == NULL && m.count == 0);
	/* emptying a map gives its memory back */
	CHECK_EQ(idmap_put(&m, 5, &vals[0]), 0);
	CHECK(idmap_del(&m, 5) == &vals[0]);
	CHECK(m.slots == NULL);
}

static void test_memory(struct vtee_tee *tee)
{
	struct vtee_vm *vm, *vm2;
	size_t sz = 16 * 4096;
	uint8_t *ram = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ram != MAP_FAILED);

	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 0 }, &vm), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 3, .name = "u" }, &vm), 0);
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 3 }, &vm2), (unsigned long long)-EEXIST);

	/* alignment, overlap, wrap-around */
	CHECK_EQ(vtee_vm_add_ram(vm, 0x1001, 4096, ram, -1, 0), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x1000, 4095, ram, -1, 0), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x1000, 4096, ram + 1, -1, 0), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_vm_add_ram(vm, UINT64_MAX - 4095, 8192, ram, -1, 0), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x40000000, 8 * 4096, ram, -1, 0), 0);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x40004000, 4096, ram, -1, 0), (unsigned long long)-EEXIST);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x50000000, 8 * 4096, ram + 8 * 4096, 5, 0x1000), 0);

	/* ranges must lie inside one region */
	CHECK(vtee_gpa_to_hva(vm, 0x40000000, 8 * 4096) == ram);
	CHECK(vtee_gpa_to_hva(vm, 0x40000000, 8 * 4096 + 1) == NULL);
	CHECK(vtee_gpa_to_hva(vm, 0x40007fff, 1) == ram + 0x7fff);
	CHECK(vtee_gpa_to_hva(vm, 0x40007fff, 2) == NULL);
	CHECK(vtee_gpa_to_hva(vm, 0x40008000, 0) == ram + 0x8000); /* empty range at the end */
	CHECK(vtee_gpa_to_hva(vm, 0x3fffffff, 1) == NULL);
	CHECK(vtee_gpa_to_hva(vm, 0x40001000, UINT64_MAX) == NULL);
	CHECK(vtee_gpa_to_hva(vm, UINT64_MAX, 2) == NULL);
	CHECK(vtee_gpa_to_hva(vm, 0x48000000, 1) == NULL);

	/* shm accessors across pages, fd view of each page */
	struct vtee_shm *shm = NULL;
	CHECK_EQ(vtee_shm_new(vm, 3 * 4096, 100, &shm), 0);
	CHECK_EQ(vtee_shm_num_pages(shm), 4);
	CHECK_EQ(vtee_shm_set_page(shm, 0, 0x50003000), 0);
	CHECK_EQ(vtee_shm_set_page(shm, 1, 0x40001000), 0);
	CHECK_EQ(vtee_shm_set_page(shm, 2, 0x50000000), 0);
	CHECK_EQ(vtee_shm_set_page(shm, 3, 0x40008000), (unsigned long long)-EINVAL); /* outside RAM */
	CHECK_EQ(vtee_shm_set_page(shm, 3, 0x40001001), (unsigned long long)-EINVAL); /* unaligned */
	CHECK_EQ(vtee_shm_set_page(shm, 4, 0x40001000), (unsigned long long)-EINVAL); /* past the end */
	CHECK_EQ(vtee_shm_set_page(shm, 3, 0x40002000), 0);
	uint8_t pat[3 * 4096], back[3 * 4096];
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(vtee_shm_write(shm, 0, pat, sizeof(pat)), 0);
	CHECK_EQ(vtee_shm_read(shm, 0, back, sizeof(back)), 0);
	CHECK(!memcmp(pat, back, sizeof(pat)));
	CHECK(!memcmp(ram + 8 * 4096 + 3 * 4096 + 100, pat, 4096 - 100));
	CHECK(!memcmp(ram + 4096, pat + 4096 - 100, 4096));
	CHECK_EQ(vtee_shm_read(shm, 1, back, sizeof(back)), (unsigned long long)-EFAULT);
	CHECK_EQ(vtee_shm_read(shm, UINT64_MAX, back, 1), (unsigned long long)-EFAULT);
	CHECK_EQ(vtee_shm_write(shm, sizeof(pat), pat, 0), 0);
	struct vtee_shm_page pg;
	vtee_shm_page(shm, 0, &pg);
	CHECK(pg.hva == ram + 8 * 4096 + 3 * 4096);
	CHECK_EQ(pg.fd, 5);
	CHECK_EQ(pg.fd_offset, 0x1000 + 3 * 4096);
	vtee_shm_page(shm, 1, &pg);
	CHECK_EQ(pg.fd, -1);
	vtee_shm_page(shm, 9, &pg);
	CHECK(pg.hva == NULL);

	/* registration: duplicate cookie, busy, not found (a replayed UNREGISTER finds it done) */
	struct vtee_smc smc = { .vm = vm }, replay = { .vm = vm, .replay = true };
	CHECK_EQ(vtee_shm_register(&smc, shm, 0xc0ffee), 0);
	struct vtee_shm *dup = NULL, *ref = NULL;
	CHECK_EQ(vtee_shm_new(vm, 4096, 0, &dup), 0);
	CHECK_EQ(vtee_shm_set_page(dup, 0, 0x40000000), 0);
	CHECK_EQ(vtee_shm_register(&smc, dup, 0xc0ffee), (unsigned long long)-EEXIST);
	vtee_shm_free(dup);
	CHECK_EQ(vtee_shm_get(vm, 0xc0ffee, &ref), 0);
	CHECK(ref == shm);
	CHECK_EQ(vtee_shm_get(vm, 0xbad, &ref), (unsigned long long)-ENOENT);
	CHECK_EQ(vtee_shm_unregister(&smc, 0xc0ffee), (unsigned long long)-EBUSY);
	vtee_shm_put(ref);
	CHECK_EQ(vtee_shm_unregister(&smc, 0xc0ffee), 0);
	CHECK_EQ(vtee_shm_unregister(&smc, 0xc0ffee), (unsigned long long)-ENOENT);
	CHECK_EQ(vtee_shm_unregister(&replay, 0xc0ffee), 0);

	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	CHECK_EQ(st.shm_pages, 0);
	CHECK_EQ(st.shm_buffers, 0);

	/* bad sizes never allocate */
	CHECK_EQ(vtee_shm_new(vm, 0, 0, &dup), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_shm_new(vm, UINT64_MAX, 0, &dup), (unsigned long long)-EDQUOT);
	CHECK_EQ(vtee_shm_new(vm, 4096, 4096, &dup), (unsigned long long)-EINVAL);
	vtee_vm_destroy(vm);
	munmap(ram, sz);
}

static void test_quota(struct vtee_tee *tee)
{
	struct vtee_vm *vm;
	struct vtee_vm_config c = { .vm_id = 4, .quota = { .max_shm_pages = 10, .max_shm = 2 } };
	static uint8_t ram[4 * 4096] __attribute__((aligned(4096)));
	CHECK_EQ(vtee_vm_create(tee, &c, &vm), 0);
	CHECK_EQ(vtee_vm_add_ram(vm, 0x1000, sizeof(ram), ram, -1, 0), 0);
	struct vtee_shm *a = NULL, *b = NULL, *over = NULL;
	CHECK_EQ(vtee_shm_new(vm, 6 * 4096, 0, &a), 0);
	CHECK_EQ(vtee_shm_new(vm, 5 * 4096, 0, &over), (unsigned long long)-EDQUOT);
	CHECK_EQ(vtee_shm_new(vm, 4 * 4096, 0, &b), 0);
	struct vtee_vm_stats st;
	vtee_vm_get_stats(vm, &st);
	CHECK_EQ(st.shm_pages, 10);
	CHECK_EQ(st.quota_denials, 1);
	vtee_shm_free(a);
	vtee_shm_free(b);
	vtee_vm_get_stats(vm, &st);
	CHECK_EQ(st.shm_pages, 0);
	vtee_vm_destroy(vm);
}

int main(void)
{
	struct vtee_tee *tee;
	test_idmap();
	CHECK_EQ(vtee_tee_open("nonesuch", NULL, &tee), (unsigned long long)-ENOENT);
	struct vtee_backend_ops partial = { .name = "partial", .open = vtee_soft_backend.open };
	CHECK_EQ(vtee_tee_open_ops(NULL, NULL, &tee), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_tee_open_ops(&partial, NULL, &tee), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_tee_open("soft", "no-such-option", &tee), (unsigned long long)-EINVAL);
	CHECK_EQ(vtee_tee_open("soft", NULL, &tee), 0);
	test_memory(tee);
	test_quota(tee);
	vtee_tee_close(tee);
	return check_report();
}
