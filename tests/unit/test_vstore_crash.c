// SPDX-License-Identifier: MIT
/*
 * The crash loop: a child process serves two VMs' stores and runs random puts, renames and
 * deletes on them until it is SIGKILLed at a random moment; 100 times. After each kill both
 * stores are reopened and every object is compared with a model: each VM must hold exactly the
 * model after the operations the child finished, or (for the VM of the operation in flight) the
 * model after that one too; never a mix, never a corrupt object, no orphan files left.
 *
 * The child and this process run the same generator over the same model (fork copies it), so
 * replaying the child's first `done` operations here tells what each VM should hold.
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "vstore_test_util.h"

#define VMS 2
#define KEYS 10
#define KILLS 100

struct obj {
	bool exists;
	uint32_t n, len;
};
struct model {
	struct obj o[VMS][KEYS];
};

struct op {
	unsigned vm, kind, key, to; /* kind: 0 put, 1 rename, 2 delete */
	uint32_t n, len;
};

struct shared {
	_Atomic int ready, done, failed;
};

static struct vstore_host_key hk;
static const char *state_names[VMS] = { "vm-a", "vm-b" };

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static struct vstore_key key_of(unsigned k)
{
	char id[16];
	snprintf(id, sizeof(id), "key-%u", k);
	return vt_key(k % 2 ? 0x10 : 0x20, VSTORE_NS_TA, id); /* two TAs */
}

static struct op next_op(uint64_t *x)
{
	struct op op = { .vm = (unsigned)(rnd(x) % VMS) };
	unsigned c = (unsigned)(rnd(x) % 10);
	op.kind = c < 6 ? 0 : c < 8 ? 1 : 2;
	op.key = (unsigned)(rnd(x) % KEYS);
	op.to = (unsigned)(rnd(x) % KEYS);
	op.n = (uint32_t)rnd(x);
	op.len = (uint32_t)(rnd(x) % 8 ? rnd(x) % 3000 : rnd(x) % 70000);
	if (op.kind == 1 && (op.key % 2) != (op.to % 2)) /* rename stays within a TA */
		op.to = (op.to + 1) % KEYS;
	return op;
}

/* What the store must answer, and the model afterwards. */
static int apply(struct model *m, const struct op *op)
{
	struct obj *o = m->o[op->vm];
	switch (op->kind) {
	case 0:
		o[op->key] = (struct obj){ true, op->n, op->len };
		return 0;
	case 1:
		if (!o[op->key].exists)
			return -ENOENT;
		if (o[op->to].exists)
			return -EEXIST;
		o[op->to] = o[op->key];
		o[op->key].exists = false;
		return 0;
	default:
		if (!o[op->key].exists)
			return -ENOENT;
		o[op->key].exists = false;
		return 0;
	}
}

static int run_op(struct vstore *s, const struct op *op)
{
	struct vstore_key k = key_of(op->key), to = key_of(op->to);
	switch (op->kind) {
	case 0:
		return vt_put(s, &k, op->n, op->len, 0);
	case 1:
		return vstore_rename(s, &k, to.id, to.id_len);
	default:
		return vstore_delete(s, &k);
	}
}

static void child(struct model m, uint64_t seed, struct shared *sh)
{
	struct vstore *s[VMS];
	for (unsigned v = 0; v < VMS; v++)
		if (vt_open(state_names[v], state_names[v], &hk, NULL, &s[v]))
			_exit(2);
	sh->ready = 1;
	for (int i = 0; i < 1000000; i++) {
		struct op op = next_op(&seed);
		int want = apply(&m, &op), got = run_op(s[op.vm], &op);
		if (got != want) {
			fprintf(stderr, "child: op %d kind %u: %d, want %d\n", i, op.kind, got, want);
			sh->failed = 1;
			_exit(3);
		}
		sh->done = i + 1;
	}
	_exit(0);
}

/* Does the VM's store hold exactly the model's objects? */
static bool holds(struct vstore *s, const struct obj *o)
{
	unsigned n = 0;
	for (unsigned k = 0; k < KEYS; k++) {
		struct vstore_key key = key_of(k);
		int r = vt_check(s, &key, o[k].n, o[k].len);
		if (r != (o[k].exists ? 0 : -ENOENT))
			return false;
		n += o[k].exists;
	}
	struct vstore_stats st;
	vstore_get_stats(s, &st);
	return st.objects == n && !st.state_corrupt;
}

static unsigned obj_files(const char *state)
{
	char p[512];
	unsigned n = 0;
	DIR *d = opendir(vt_path(p, sizeof(p), state));
	for (struct dirent *e; d && (e = readdir(d));)
		n += !strncmp(e->d_name, "obj-", 4);
	if (d)
		closedir(d);
	return n;
}

/* After a kill: each VM holds the old model or (the op in flight) the new one. */
static void check_after_kill(struct model *m, uint64_t seed, int done)
{
	for (int i = 0; i < done; i++) {
		struct op op = next_op(&seed);
		apply(m, &op);
	}
	struct model next = *m;
	struct op op = next_op(&seed);
	apply(&next, &op);
	for (unsigned v = 0; v < VMS; v++) {
		struct vstore *s;
		REQUIRE_EQ(vt_open(state_names[v], state_names[v], &hk, NULL, &s), 0);
		bool old = holds(s, m->o[v]), new = holds(s, next.o[v]);
		CHECK(old || new);
		if (!old && !new)
			fprintf(stderr, "vm %u after %d ops (in flight: kind %u key %u to %u)\n", v, done,
				op.kind, op.key, op.to);
		if (new && !old)
			memcpy(m->o[v], next.o[v], sizeof(m->o[v]));
		struct vstore_stats st;
		vstore_get_stats(s, &st);
		CHECK_EQ(obj_files(state_names[v]), st.objects); /* orphans gone */
		vstore_close(s);
	}
}

int main(void)
{
	vt_setup("test-vstore-crash");
	vt_host_key("host.key", &hk);
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED);
	struct model m;
	memset(&m, 0, sizeof(m));
	uint64_t pick = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	printf("seed %llu\n", (unsigned long long)pick);
	int total = 0;
	for (int k = 0; k < KILLS; k++) {
		uint64_t seed = rnd(&pick) | 1;
		sh->ready = sh->done = sh->failed = 0;
		pid_t pid = fork();
		REQUIRE(pid >= 0);
		if (!pid)
			child(m, seed, sh);
		while (!sh->ready && !waitpid(pid, NULL, WNOHANG))
			usleep(200);
		usleep((useconds_t)(rnd(&pick) % 120000));
		kill(pid, SIGKILL);
		int status;
		REQUIRE_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK_EQ(sh->failed, 0);
		total += sh->done;
		check_after_kill(&m, seed, sh->done);
	}
	printf("%d operations in %d runs\n", total, KILLS);
	CHECK_CMP(total, >, KILLS);
	return check_report();
}
