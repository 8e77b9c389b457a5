// SPDX-License-Identifier: MIT
/*
 * The registries (lib/core/registry.c), built twice: against the static
 * libvtee.a (linked whole, as every program in the tree is) and against
 * libvtee.so. Each back-end and front-end registers itself in a linker
 * section that nothing else references, so a plain archive link would drop
 * it; both programs must see every one. VTEE_EXPECT_BACKENDS names them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "vtee/vtee.h"

static bool listed(const char *name)
{
	for (const char *const *n = vtee_backend_names(); *n; n++)
		if (!strcmp(*n, name))
			return true;
	return false;
}

static void test_expected(void)
{
	char want[] = VTEE_EXPECT_BACKENDS;
	size_t nwant = 0;
	for (char *save, *name = strtok_r(want, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		const struct vtee_backend_ops *ops = vtee_backend_find(name);
		if (!ops)
			fprintf(stderr, "back-end '%s' is not registered\n", name);
		CHECK(ops != NULL);
		CHECK(ops && !strcmp(ops->name, name));
		CHECK(listed(name));
		nwant++;
	}
	size_t n = 0, pos = 0;
	const struct vtee_backend_ops *ops;
	while ((ops = vtee_backend_next(&pos))) {
		n++;
		CHECK(ops->name && *ops->name);
		CHECK(ops->description && *ops->description && !strchr(ops->description, '\n'));
		CHECK(vtee_backend_find(ops->name) == ops); /* names are unique */
	}
	CHECK_EQ(n, nwant);
	size_t nnames = 0;
	for (const char *const *p = vtee_backend_names(); *p; p++)
		nnames++;
	CHECK_EQ(nnames, nwant);
	CHECK(vtee_backend_next(&pos) == NULL); /* stays at the end */
	CHECK(vtee_backend_next(NULL) == NULL);
	CHECK(vtee_backend_find(NULL) == NULL);
	CHECK(vtee_backend_find("nonesuch") == NULL);
	CHECK(vtee_backend_find("soft") == &vtee_soft_backend);
}

static void test_open_by_name(void)
{
	struct vtee_tee *tee;
	CHECK_EQ(vtee_tee_open("nonesuch", NULL, &tee), (unsigned long long)-ENOENT);
	CHECK_EQ(vtee_tee_open(NULL, NULL, &tee), (unsigned long long)-ENOENT);
	if (vtee_tee_open("soft", NULL, &tee)) {
		CHECK(!"soft opens");
		return;
	}
	CHECK(vtee_tee_backend_priv(tee, &vtee_soft_backend) != NULL);
	CHECK(vtee_tee_backend_priv(tee, vtee_backend_find("link")) == NULL);
	CHECK(vtee_tee_backend_priv(NULL, &vtee_soft_backend) == NULL);
	struct vtee_vm *vm;
	CHECK_EQ(vtee_vm_create(tee, &(struct vtee_vm_config){ .vm_id = 5, .name = "reg" }, &vm), 0);
	CHECK(vtee_vm_backend_priv(vm, &vtee_soft_backend) != NULL);
	CHECK(vtee_vm_backend_priv(vm, vtee_backend_find("teedev")) == NULL);
	vtee_vm_destroy(vm);
	vtee_tee_close(tee);
}

int main(void)
{
	test_expected();
	test_open_by_name();
	return check_report();
}
