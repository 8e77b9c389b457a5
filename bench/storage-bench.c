// SPDX-License-Identifier: MIT
/*
 * Per-VM secure storage (issue 14), through the storage TA (tests/ta/storage,
 * run by vtee-ta-host) on the soft back-end in this process, a modelled guest
 * whose VM has its storage in a fresh temporary directory:
 *
 *   storage_small_create        create + write + close of 1,000 objects of 64
 *                               bytes, in the TA (one command), per object
 *   storage_1m_write, _read     a 1 MiB object written (created with its data)
 *                               and read back, the guest's memref copied in/out
 *   storage_export_100m         vtee_state_export of the VM with 100 MiB of
 *                               objects (100 x 1 MiB), MiB/s and the file's size
 *   storage_write_amp_*         bytes this process wrote to the file system
 *                               per payload byte, and bytes on disk per byte
 *                               stored, for the small objects and the 1 MiB ones
 *
 * Usage: storage-bench TA_DIR TA_HOST   (the folder holding the storage TA's
 * .ta file, i.e. the build's tests/ta, and vtee-ta-host)
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"
#include "vtee/backend.h"

#define BENCH_NAME "storage-bench"
#include "bench.h"

#define ROUNDS      5
#define SMALL_ROUNDS 3   /* each adds 1,000 objects: the state grows round by round */
#define SMALL       1000
#define SMALL_SIZE  64
#define BIG         (1u << 20)
#define EXPORT_MIB  100

/* TA_STORAGE_UUID (tests/ta/storage/ta/include/storage_ta.h) as the guest sends it */
static const uint8_t storage_uuid[16] = { 0xee, 0x8e, 0x63, 0x64, 0x99, 0x09, 0x44, 0x6b,
					  0x9e, 0x13, 0x69, 0x93, 0x2b, 0x70, 0x0d, 0x6c };
enum { CMD_PUT = 4, CMD_GET = 5, CMD_FILL = 13, PRIVATE = 1 };

struct sb {
	char dir[PATH_MAX - 64], state[PATH_MAX], key[PATH_MAX];
	struct vtee_tee *tee;
	struct guest *g;
	uint32_t sess;
	struct guest_buf *id, *big; /* the object's id; 1 MiB */
};

static void invoke(struct sb *b, uint32_t cmd, struct guest_param *p, unsigned n)
{
	uint32_t origin;
	uint32_t r = guest_invoke(b->g, b->sess, cmd, p, n, 0, &origin);
	if (r != TEE_SUCCESS)
		die("invoke %u: 0x%x origin %u", cmd, r, origin);
}

/* Bytes this process has handed to write(2) and friends so far (/proc/self/io wchar). */
static uint64_t wchar(void)
{
	char line[128];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/io", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* The state directory's files: their sizes, and the blocks they take. */
static void disk_usage(const char *dir, uint64_t *bytes, uint64_t *blocks_bytes)
{
	char path[PATH_MAX + 256];
	struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);
	*bytes = *blocks_bytes = 0;
	while (d && (e = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			*bytes += (uint64_t)st.st_size;
			*blocks_bytes += (uint64_t)st.st_blocks * 512;
		}
	}
	if (d)
		closedir(d);
}

/* FILL: count objects of size bytes from first on; us per object. */
static double fill_us(struct sb *b, uint32_t count, uint32_t size, uint32_t first)
{
	struct guest_param p[3] = {
		guest_param_value(VTEE_PARAM_VALUE_IN, count, size, 0),
		guest_param_value(VTEE_PARAM_VALUE_IN, first, PRIVATE, 0),
		guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
	};
	double t0 = now_us();
	invoke(b, CMD_FILL, p, 3);
	if (p[2].u.value.a != count)
		die("FILL made %llu of %u objects", (unsigned long long)p[2].u.value.a, count);
	return (now_us() - t0) / count;
}

/* PUT (write) or GET (read) of the 1 MiB object "big"; ms. */
static double big_ms(struct sb *b, bool write)
{
	struct guest_param p[4] = {
		guest_param_tmem(VTEE_PARAM_MEMREF_IN, b->id, 0, 3, false),
		guest_param_tmem(write ? VTEE_PARAM_MEMREF_IN : VTEE_PARAM_MEMREF_OUT, b->big, 0, BIG,
				 true),
		guest_param_value(VTEE_PARAM_VALUE_IN, PRIVATE, 0, 0),
		guest_param_value(VTEE_PARAM_VALUE_OUT, 0, 0, 0),
	};
	double t0 = now_us();
	invoke(b, write ? CMD_PUT : CMD_GET, p, write ? 3 : 4);
	if (!write && p[1].u.memref.size != BIG)
		die("read %llu bytes of 1 MiB", (unsigned long long)p[1].u.memref.size);
	return (now_us() - t0) / 1000.0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

static void set_up(struct sb *b, const char *ta_dir, const char *ta_host)
{
	char opts[2 * PATH_MAX + 32], msg[256] = "";
	struct vtee_storage st;
	snprintf(b->dir, sizeof(b->dir), "%s/vtee-storage-bench-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(b->dir))
		die("mkdtemp %s", b->dir);
	snprintf(b->state, sizeof(b->state), "%s/state", b->dir);
	snprintf(b->key, sizeof(b->key), "%s/host.key", b->dir);
	snprintf(opts, sizeof(opts), "ta_dir=%s,ta_host=%s", ta_dir, ta_host);
	if (vtee_tee_open("soft", opts, &b->tee))
		die("vtee_tee_open soft %s", opts);
	if (guest_create_vm(b->tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "storage-bench" },
			    &(struct guest_config){ .ram_size = 16u << 20 }, &b->g))
		die("guest_create_vm");
	int e = vtee_storage_prepare(b->state, b->dir, "storage-bench", b->key, 0, 0, &st, msg,
				     sizeof(msg));
	if (e || (e = vtee_vm_set_storage(guest_vm(b->g), &st)))
		die("storage in %s: %d %s", b->state, e, msg);
	if (guest_probe(b->g))
		die("guest_probe");
	uint32_t origin;
	uint32_t r = guest_open_session(b->g, storage_uuid, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0,
					&b->sess, &origin);
	if (r != TEE_SUCCESS)
		die("open a session to the storage TA: 0x%x origin %u", r, origin);
	if (guest_buf_alloc(b->g, 3, 0, GUEST_BUF_CONTIG, &b->id) ||
	    guest_buf_write(b->g, b->id, 0, "big", 3) ||
	    guest_buf_alloc(b->g, BIG, 0, GUEST_BUF_SCATTER, &b->big))
		die("guest buffers");
	uint8_t *plain = malloc(BIG);
	if (!plain)
		die("malloc");
	for (unsigned i = 0; i < BIG; i++)
		plain[i] = (uint8_t)(i * 2654435761u >> 24);
	if (guest_buf_write(b->g, b->big, 0, plain, BIG))
		die("guest_buf_write");
	free(plain);
}

/* The 100 MiB VM exported to a file in the temporary directory. */
static void bench_export(struct sb *b, uint64_t stored)
{
	char path[PATH_MAX + 16], msg[256] = "";
	struct stat st;
	snprintf(path, sizeof(path), "%s/export", b->dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die("open %s", path);
	double t0 = now_us();
	int e = vtee_state_export(b->state, NULL, NULL, b->key, NULL, fd, msg, sizeof(msg));
	double s = (now_us() - t0) / 1e6;
	if (e || fstat(fd, &st))
		die("vtee_state_export: %d %s", e, msg);
	close(fd);
	printf("BENCH storage_export_100m %.0f ms (%.0f MiB/s of objects; a VM with %.1f MiB stored "
	       "while it runs)\n", s * 1000, (double)stored / (1 << 20) / s, (double)stored / (1 << 20));
	printf("BENCH storage_export_file %.3f bytes per byte stored (%.1f MiB)\n",
	       (double)st.st_size / (double)stored, (double)st.st_size / (1 << 20));
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		die("usage: storage-bench TA_DIR TA_HOST");
	char ta_dir[PATH_MAX], ta_host[PATH_MAX];
	if (!realpath(argv[1], ta_dir) || !realpath(argv[2], ta_host))
		die("%s or %s: not found", argv[1], argv[2]);
	static struct sb b;
	set_up(&b, ta_dir, ta_host);
	double small[SMALL_ROUNDS], wr[ROUNDS], rd[ROUNDS];
	uint64_t disk0, disk1, blocks0, blocks1, w0 = wchar();
	for (int r = 0; r < SMALL_ROUNDS; r++)
		small[r] = fill_us(&b, SMALL, SMALL_SIZE, (uint32_t)r * SMALL);
	uint64_t small_io = wchar() - w0, small_payload = (uint64_t)SMALL_ROUNDS * SMALL * SMALL_SIZE;
	disk_usage(b.state, &disk0, &blocks0);
	w0 = wchar();
	for (int r = 0; r < ROUNDS; r++)
		wr[r] = big_ms(&b, true);
	uint64_t big_io = wchar() - w0;
	for (int r = 0; r < ROUNDS; r++)
		rd[r] = big_ms(&b, false);
	printf("# storage-bench: %d rounds, medians; a VM's storage in %s\n", ROUNDS, b.dir);
	printf("BENCH storage_small_create %.1f us per object (create + write + close of %d objects "
	       "of %d bytes in the TA; median of %d rounds, %d objects stored by the last)\n",
	       median(small, SMALL_ROUNDS), SMALL, SMALL_SIZE, SMALL_ROUNDS, SMALL_ROUNDS * SMALL);
	printf("BENCH storage_1m_write %.2f ms (%.0f MiB/s)\n", median(wr, ROUNDS),
	       1000.0 / median(wr, ROUNDS));
	printf("BENCH storage_1m_read %.2f ms (%.0f MiB/s)\n", median(rd, ROUNDS),
	       1000.0 / median(rd, ROUNDS));
	printf("BENCH storage_write_amp_small_io %.1f bytes written per byte stored (%d-byte objects)\n",
	       (double)small_io / (double)small_payload, SMALL_SIZE);
	printf("BENCH storage_write_amp_1m_io %.3f bytes written per byte stored (1 MiB objects)\n",
	       (double)big_io / ((double)ROUNDS * BIG));
	printf("BENCH storage_write_amp_small_disk %.1f bytes on disk per byte stored (%.1f with "
	       "blocks; %d objects)\n", (double)disk0 / (double)small_payload,
	       (double)blocks0 / (double)small_payload, SMALL_ROUNDS * SMALL);
	for (uint32_t i = 0; i < EXPORT_MIB; i++)
		fill_us(&b, 1, BIG, 1000000 + i);
	disk_usage(b.state, &disk1, &blocks1);
	printf("BENCH storage_write_amp_1m_disk %.3f bytes on disk per byte stored (%.3f with "
	       "blocks; %d objects of 1 MiB)\n", (double)(disk1 - disk0) / ((double)EXPORT_MIB * BIG),
	       (double)(blocks1 - blocks0) / ((double)EXPORT_MIB * BIG), EXPORT_MIB);
	bench_export(&b, small_payload + BIG + (uint64_t)EXPORT_MIB * BIG);
	guest_close_session(b.g, b.sess);
	guest_shutdown(b.g);
	guest_destroy(b.g);
	vtee_tee_close(b.tee);
	nftw(b.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
