// SPDX-License-Identifier: MIT
/*
 * A VM's storage counters where the operator sees them (docs/storage.md, "What a TA and the
 * operator see"), with a guest driving the storage test TA (ta_storage.c, TST_CMD_*):
 *
 *   - in process: the soft back-end with TAs in processes, the VM's store given with
 *     vtee_vm_set_storage(), the counters from vtee_vm_get_stats();
 *   - supervised: vteed_start() with a state directory (vteed, vtee-tee, the link back-end's
 *     STORAGE_STATS), the counters from vteed's status socket (vteed_status()) and in
 *     `vtee status`'s columns; a tool of protocol version 3 still gets the 176 bytes it knows.
 *
 * Each time: three objects written, then the first one's file altered on disk: the TA's open of
 * it is CORRUPT_OBJECT (the object is removed, as OP-TEE does), the others still open, and the
 * counters say 2 objects, 1 corrupt read; a VM without storage says it has none.
 *
 * argv: VTEED VTEE-TEE VTEE-TA-HOST STORAGE-TA (the storage TA's <uuid>.ta) VTEE (the command)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../check.h"
#include "guest.h"
#include "ta_proc_test.h"
#include "vtee/vteed.h"
#include "vtee/vtee.h"

#define RD 0x1u
#define WR 0x2u
#define CORRUPT_OBJECT 0xF0100001u

static const uint8_t storage_ta[16] = { 0x5c, 0xe0, 0xc7, 0xa1, 0x00, 0x01, 0x40, 0x00,
					0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20 };
static char tmp[64];
static const char *vtee_cmd;
static unsigned corrupt_log_lines;

/* in process: the library's log, where the back-end reports a corrupt object */
static void count_log(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	(void)level;
	if (strstr(line, "failed its checks: CORRUPT_OBJECT"))
		corrupt_log_lines++;
	if (getenv("STORAGE_STATUS_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

/* The counters as either path gives them: served 1 (with its counters), 0 none, -1 unknown. */
struct counters {
	int served;
	uint64_t objects, bytes, on_disk, corrupt;
	bool state_corrupt;
};

struct vm_side {
	struct guest *g;
	struct vteed *v;   /* supervised; NULL in process */
	char state[128];   /* its state directory, "" without storage */
};

static void counters_of(struct vm_side *s, struct counters *c)
{
	memset(c, 0, sizeof(*c));
	c->served = -1;
	if (!s->v) {
		struct vtee_vm_stats st;
		vtee_vm_get_stats(guest_vm(s->g), &st);
		if (st.storage_status == -ENOENT)
			c->served = 0;
		if (st.storage_status)
			return;
		*c = (struct counters){ 1, st.storage.objects, st.storage.bytes, st.storage.bytes_on_disk,
					st.storage.corrupt_objects, st.storage.flags & VTEE_STORAGE_STATE_CORRUPT };
		return;
	}
	struct vteed_status st;
	REQUIRE_EQ(vteed_status(s->v, &st), 0);
	CHECK_EQ(st.hdr.version, VTEED_VERSION);
	if (st.storage == VTEED_STORAGE_NONE)
		c->served = 0;
	if (st.storage != VTEED_STORAGE_SERVED)
		return;
	*c = (struct counters){ 1, st.storage_objects, st.storage_bytes, st.storage_bytes_on_disk,
				st.storage_corrupt_objects, st.storage_flags & VTEED_STORAGE_STATE_CORRUPT };
}

/* One TST_CMD_*: [0] VALUE_INOUT a, b; [1] the id; [2] data (NULL: none). The TA's result. */
static uint32_t tst(struct vm_side *s, uint32_t sess, uint32_t cmd, uint32_t a, uint32_t b, const char *id,
		    const char *data)
{
	struct guest_buf *ib = NULL, *db = NULL;
	struct guest_param p[3] = { guest_param_value(VTEE_PARAM_VALUE_INOUT, a, b, 0) };
	REQUIRE_EQ(guest_buf_alloc(s->g, 4096, 0, GUEST_BUF_CONTIG, &ib), 0);
	REQUIRE_EQ(guest_buf_alloc(s->g, 4096, 0, GUEST_BUF_CONTIG, &db), 0);
	REQUIRE_EQ(guest_buf_write(s->g, ib, 0, id, strlen(id)), 0);
	p[1] = guest_param_tmem(VTEE_PARAM_MEMREF_IN, ib, 0, strlen(id), false);
	if (data) {
		REQUIRE_EQ(guest_buf_write(s->g, db, 0, data, strlen(data)), 0);
		p[2] = guest_param_tmem(VTEE_PARAM_MEMREF_IN, db, 0, strlen(data), false);
	}
	uint32_t r = guest_invoke(s->g, sess, cmd, p, 3, 0, NULL);
	guest_buf_free(s->g, ib);
	guest_buf_free(s->g, db);
	return r;
}

/* The object files in dir (obj-*): how many; the first one's name in *name. */
static unsigned object_files(const char *dir, char *name, size_t len)
{
	DIR *d = opendir(dir);
	REQUIRE(d != NULL);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "obj-", 4) && n++ == 0)
			snprintf(name, len, "%s", e->d_name);
	closedir(d);
	return n;
}

/* Flip a byte in the middle of dir/name: the object no longer passes its checks. */
static void alter(const char *dir, const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0);
	struct stat sb;
	REQUIRE(fstat(fd, &sb) == 0 && sb.st_size > 0);
	uint8_t b;
	off_t at = sb.st_size / 2;
	REQUIRE(pread(fd, &b, 1, at) == 1);
	b ^= 0x5a;
	REQUIRE(pwrite(fd, &b, 1, at) == 1);
	close(fd);
}

/* Three objects, the first one's file altered: CORRUPT_OBJECT for it, and the counters say so. */
static void corrupt_one(struct vm_side *s)
{
	REQUIRE_EQ(guest_probe(s->g), 0);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(s->g, storage_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL),
		   TEE_SUCCESS);
	struct counters c;
	counters_of(s, &c);
	CHECK(c.served == 1 && c.objects == 0 && c.corrupt == 0 && !c.state_corrupt);

	char first[256] = "";
	CHECK_EQ(tst(s, sess, TST_CMD_CREATE, TST_NO_SLOT, RD | WR, "a", "alpha"), TEE_SUCCESS);
	REQUIRE_EQ(object_files(s->state, first, sizeof(first)), 1); /* a's own file */
	CHECK_EQ(tst(s, sess, TST_CMD_CREATE, TST_NO_SLOT, RD | WR, "b", "bravo"), TEE_SUCCESS);
	CHECK_EQ(tst(s, sess, TST_CMD_CREATE, TST_NO_SLOT, RD | WR, "c", "charlie"), TEE_SUCCESS);
	counters_of(s, &c);
	CHECK(c.served == 1 && c.objects == 3 && c.corrupt == 0);
	CHECK(c.bytes >= strlen("alphabravocharlie") && c.on_disk > c.bytes);

	alter(s->state, first);
	CHECK_EQ(tst(s, sess, TST_CMD_OPEN, 0, RD, "a", NULL), CORRUPT_OBJECT);
	CHECK_EQ(tst(s, sess, TST_CMD_OPEN, 1, RD, "b", NULL), TEE_SUCCESS);
	CHECK_EQ(tst(s, sess, TST_CMD_CLOSE, 1, 0, "", NULL), TEE_SUCCESS);
	/* removed, as OP-TEE removes a corrupt object: found no more, and not counted again */
	CHECK_EQ(tst(s, sess, TST_CMD_OPEN, 0, RD, "a", NULL), TEE_ERROR_ITEM_NOT_FOUND);
	counters_of(s, &c);
	CHECK(c.served == 1);
	CHECK_EQ(c.objects, 2);
	CHECK_EQ(c.corrupt, 1);
	CHECK(!c.state_corrupt);
	CHECK_EQ(guest_close_session(s->g, sess), TEE_SUCCESS);
}

/* No storage: the TA's objects are not found, and the counters say there is none. */
static void without_storage(struct vm_side *s)
{
	REQUIRE_EQ(guest_probe(s->g), 0);
	uint32_t sess = 0;
	REQUIRE_EQ(guest_open_session(s->g, storage_ta, TEE_LOGIN_PUBLIC, NULL, NULL, 0, 0, &sess, NULL),
		   TEE_SUCCESS);
	CHECK_EQ(tst(s, sess, TST_CMD_CREATE, TST_NO_SLOT, RD | WR, "a", "alpha"), TEE_ERROR_ITEM_NOT_FOUND);
	struct counters c;
	counters_of(s, &c);
	CHECK_EQ(c.served, 0);
	CHECK(c.objects == 0 && c.corrupt == 0);
	CHECK_EQ(guest_close_session(s->g, sess), TEE_SUCCESS);
}

/* ---- in process ---- */

static void in_process(const char *ta_dir, const char *host)
{
	char opts[512], anchors[128], key[128], msg[256] = "";
	snprintf(opts, sizeof(opts), "ta_dir=%s,ta_host=%s", ta_dir, host);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmp);
	snprintf(key, sizeof(key), "%s/host.key", tmp);
	struct vtee_tee *tee;
	REQUIRE_EQ(vtee_tee_open("soft", opts, &tee), 0);
	struct guest_config gc = { .quiet = true };

	struct vm_side s = { 0 };
	snprintf(s.state, sizeof(s.state), "%s/state/inproc", tmp);
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 1, .name = "inproc" }, &gc, &s.g), 0);
	struct vtee_storage st;
	int r = vtee_storage_prepare(s.state, anchors, "inproc", key, 0, 0, &st, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "vtee_storage_prepare: %s\n", msg);
	REQUIRE_EQ(r, 0);
	REQUIRE_EQ(vtee_vm_set_storage(guest_vm(s.g), &st), 0);
	corrupt_one(&s);
	CHECK_EQ(corrupt_log_lines, 1);
	guest_destroy(s.g);

	struct vm_side none = { 0 };
	REQUIRE_EQ(guest_create_vm(tee, &(struct vtee_vm_config){ .vm_id = 2, .name = "nostore" }, &gc, &none.g), 0);
	without_storage(&none);
	guest_destroy(none.g);
	vtee_tee_close(tee);
}

/* ---- supervised: vteed + vtee-tee ---- */

/* ctx: the side's vteed pointer, set once vteed_start() made it */
static void vteed_guest_smc(void *ctx, uint64_t regs[8])
{
	vteed_smc(*(struct vteed **)ctx, 0, regs);
}

/* A guest served by its own vteed and vtee-tee; with storage unless state is NULL. */
static void supervised_vm(struct vm_side *s, struct vteed_config *vc, const char *state)
{
	char msg[VTEED_MSG_MAX] = "";
	uint64_t ram_size = 16ull << 20;
	struct guest_config gc = { .ram_size = ram_size, .quiet = true, .smc_fn = vteed_guest_smc, .smc_ctx = &s->v };
	REQUIRE_EQ(guest_create(NULL, &gc, &s->g), 0);
	struct vteed_ram ram = { .gpa = GUEST_RAM0_GPA, .size = ram_size, .fd = guest_ram_fd(s->g) };
	vc->state_dir = state;
	snprintf(s->state, sizeof(s->state), "%s", state ? state : "");
	int r = vteed_start(vc, &ram, 1, &s->v, msg, sizeof(msg));
	if (r)
		fprintf(stderr, "vteed_start: %d (%s)\n", r, msg);
	REQUIRE_EQ(r, 0);
}

static void supervised_end(struct vm_side *s)
{
	vteed_close(s->v);
	guest_destroy(s->g);
}

/* A tool of protocol version 3 asks: the reply is the 176 bytes it knows, then the end. */
static void old_tool_asks(pid_t pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, VTEED_STATUS_PREFIX "%d", (int)pid);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	REQUIRE(fd >= 0);
	REQUIRE(connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) == 0);
	struct vteed_msg_hdr h = { VTEED_MAGIC, 3, VTEED_MSG_STATUS, sizeof(h), 0 };
	REQUIRE(write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h));
	uint8_t buf[sizeof(struct vteed_status) + 16];
	size_t got = 0;
	ssize_t k;
	while (got < sizeof(buf) && (k = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)k;
	close(fd);
	CHECK_EQ(got, VTEED_STATUS_V3_SIZE);
	struct vteed_msg_hdr rh;
	memcpy(&rh, buf, sizeof(rh));
	CHECK(rh.magic == VTEED_MAGIC && rh.type == VTEED_MSG_STATUS_REPLY && rh.version == 3 &&
	      rh.size == VTEED_STATUS_V3_SIZE);
}

/* `vtee status --pid PID`: the VM's line's last three columns (OBJECTS STORED CORRUPT) in *cols. */
static void tool_columns(pid_t pid, const char *name, char *cols, size_t len)
{
	char cmd[512], line[512];
	snprintf(cmd, sizeof(cmd), "'%s' status --pid %d", vtee_cmd, (int)pid);
	FILE *f = popen(cmd, "r");
	REQUIRE(f != NULL);
	cols[0] = 0;
	bool header = false;
	while (fgets(line, sizeof(line), f)) {
		header |= strstr(line, "OBJECTS") && strstr(line, "STORED") && strstr(line, "CORRUPT");
		if (strncmp(line, name, strlen(name)) || line[strlen(name)] != ' ')
			continue;
		char *tok[32];
		size_t n = 0;
		for (char *t = strtok(line, " \n"); t && n < 32; t = strtok(NULL, " \n"))
			tok[n++] = t;
		REQUIRE(n >= 3);
		snprintf(cols, len, "%s %s %s", tok[n - 3], tok[n - 2], tok[n - 1]);
	}
	CHECK_EQ(pclose(f), 0);
	CHECK(header);
}

static void supervised(const char *vteed, const char *tee, const char *ta_dir, const char *host)
{
	char opts[512], anchors[128], key[128], state[128];
	snprintf(opts, sizeof(opts), "ta_dir=%s,ta_host=%s", ta_dir, host);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmp);
	snprintf(key, sizeof(key), "%s/host.key", tmp);
	snprintf(state, sizeof(state), "%s/state/sup9", tmp);
	struct vteed_config vc = { .vm_id = 9, .name = "sup9", .nvcpus = 1, .vteed_path = vteed, .tee_path = tee,
				   .backend_options = opts, .state_anchor_dir = anchors, .host_key = key };
	struct vm_side s = { 0 };
	supervised_vm(&s, &vc, state);
	corrupt_one(&s);
	struct vteed_info info;
	vteed_get_info(s.v, &info);
	old_tool_asks(info.pid);
	struct vteed_status st;
	REQUIRE_EQ(vteed_status(s.v, &st), 0);
	char cols[128], want[128];
	snprintf(want, sizeof(want), "2 %llu 1", (unsigned long long)st.storage_bytes);
	tool_columns(info.pid, "sup9", cols, sizeof(cols));
	if (strcmp(cols, want))
		fprintf(stderr, "vtee status: \"%s\", expected \"%s\"\n", cols, want);
	CHECK(!strcmp(cols, want));
	supervised_end(&s);

	struct vm_side none = { 0 };
	vc.vm_id = 10;
	vc.name = "sup10";
	supervised_vm(&none, &vc, NULL);
	without_storage(&none);
	vteed_get_info(none.v, &info);
	tool_columns(info.pid, "sup10", cols, sizeof(cols));
	CHECK(!strcmp(cols, "- - -"));
	supervised_end(&none);
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: %s VTEED VTEE-TEE VTEE-TA-HOST STORAGE-TA VTEE\n", argv[0]);
		return 2;
	}
	vtee_cmd = argv[5];
	signal(SIGPIPE, SIG_IGN);
	snprintf(tmp, sizeof(tmp), "/tmp/vtee-storage-status-XXXXXX");
	REQUIRE(mkdtemp(tmp) != NULL);
	chmod(tmp, 0755); /* vtee-tee started as root runs as nobody: it reads the TAs */
	char ta_dir[128], cmd[512];
	snprintf(ta_dir, sizeof(ta_dir), "%s/tas", tmp);
	REQUIRE(mkdir(ta_dir, 0755) == 0);
	const char *base = strrchr(argv[4], '/');
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/%s'", argv[4], ta_dir, base ? base + 1 : argv[4]);
	REQUIRE(system(cmd) == 0);
	vtee_set_log(count_log, NULL);

	in_process(ta_dir, argv[3]);
	supervised(argv[1], argv[2], ta_dir, argv[3]);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_report();
}
