// SPDX-License-Identifier: MIT
/*
 * The soft back-end's table of open persistent objects (lib/backend/soft/
 * ta_storage.c) driven directly with requests as a hostile instance could
 * send them, past what the GP runtime would ever ask (the runtime checks
 * handle flags before it asks): a handle of another instance breaks the
 * protocol; reads, writes and truncates without the access, delete and
 * rename without WRITE_META are ACCESS_CONFLICT (a refused delete keeps the
 * handle); a meta blob larger than the room is SHORT_BUFFER with no handle;
 * an unknown handle is ITEM_NOT_FOUND; a dead instance gains no handle; the
 * store's quota is STORAGE_NO_SPACE; stages are bounded and taken whole;
 * handle ids count up, wrap past 2^32-1 skipping those in use, and one
 * instance holds at most its share; an instance gone releases its handles. A
 * commit stalled on the state's lock file (an export holding LOCK_SH) holds
 * only its own VM's table: an instance's death notice returns at once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "ta_storage.h"
#include "vstore.h"
#include "vtee/vtee.h"

static char tmp[64];
static struct ta_proc_vm pv;
static struct ta_inst one, two;

static struct st_req req(uint32_t type, uint32_t obj, const char *id)
{
	struct st_req r = { .type = type, .q = { .obj = obj } };
	if (id) {
		r.q.id_len = (uint32_t)strlen(id);
		memcpy(r.id, id, r.q.id_len);
	}
	return r;
}

/* Run r for in: its result (ret), the handle an OPEN/CREATE gave in *obj; frees what the answer holds. */
static uint32_t run(struct ta_inst *in, struct st_req *r, uint32_t *obj)
{
	struct st_ans ans = { 0 };
	int e = ta_st_run(in, r, &ans);
	REQUIRE(e == 0);
	free(r->meta);
	free(r->data);
	r->meta = r->data = NULL;
	if (obj)
		*obj = ans.a.session;
	free(ans.out[0]);
	free(ans.out[1]);
	return ans.a.ret;
}

static uint32_t create(struct ta_inst *in, const char *id, uint32_t flags, const char *meta, uint32_t *obj)
{
	struct st_req r = req(TAP_MSG_ST_CREATE, 0, id);
	r.q.flags = flags;
	r.q.meta_len = (uint32_t)strlen(meta);
	r.meta = (uint8_t *)strdup(meta);
	return run(in, &r, obj);
}

static uint32_t open_obj(struct ta_inst *in, const char *id, uint32_t flags, uint32_t room, uint32_t *obj)
{
	struct st_req r = req(TAP_MSG_ST_OPEN, 0, id);
	r.q.flags = flags;
	r.q.meta_room = room;
	*obj = 0;
	return run(in, &r, obj);
}

static uint32_t on_handle(struct ta_inst *in, uint32_t type, uint32_t obj, uint64_t pos, uint32_t flags)
{
	struct st_req r = req(type, obj, type == TAP_MSG_ST_RENAME ? "elsewhere" : NULL);
	r.q.pos = pos;
	r.q.flags = flags;
	if (type == TAP_MSG_ST_READ)
		r.q.read_len = 4;
	if (type == TAP_MSG_ST_WRITE) {
		r.data = (uint8_t *)strdup("abcd");
		r.data_len = 4;
	}
	return run(in, &r, NULL);
}

static void attach(uint32_t max_objects)
{
	char state[128], anchors[128], key[128], msg[256];
	snprintf(state, sizeof(state), "%s/state", tmp);
	snprintf(anchors, sizeof(anchors), "%s/anchors", tmp);
	snprintf(key, sizeof(key), "%s/host.key", tmp);
	struct vstore_host_key hk;
	struct vstore_handoff h;
	struct vstore_quota q = { .max_objects = max_objects };
	REQUIRE(vstore_host_key_load(key, true, &hk, msg, sizeof(msg)) == 0);
	REQUIRE(vstore_prepare(state, anchors, "table", &hk, &q, &h, msg, sizeof(msg)) == 0);
	struct vtee_storage st = { .dir_fd = h.dir_fd, .anchor_fd = h.anchor_fd, .max_objects = max_objects };
	memcpy(st.vm_key, h.vm_key, sizeof(st.vm_key));
	memcpy(st.state_id, h.state_id, sizeof(st.state_id));
	CHECK_EQ(ta_st_attach(&pv, &st), 0);
	CHECK_EQ(st.dir_fd, -1); /* taken */
}

static void access_rules(void)
{
	uint32_t ro, wo, h;
	CHECK_EQ(create(&one, "a", ST_ACCESS_READ | ST_SHARE_READ | ST_SHARE_WRITE, "meta-a", &ro), TEE_SUCCESS);
	CHECK(ro != 0);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_WRITE, ro, 0, 0), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_TRUNCATE, ro, 0, 0), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_RENAME, ro, 0, 0), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, ro, 0, TAP_ST_DELETE), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_READ, ro, 0, 0), TEE_SUCCESS); /* the refused delete kept it */
	CHECK_EQ(open_obj(&two, "a", ST_ACCESS_WRITE | ST_SHARE_READ | ST_SHARE_WRITE, 64, &wo), TEE_SUCCESS);
	CHECK(wo > ro);
	CHECK_EQ(on_handle(&two, TAP_MSG_ST_READ, wo, 0, 0), TEE_ERROR_ACCESS_CONFLICT);
	CHECK_EQ(on_handle(&two, TAP_MSG_ST_WRITE, wo, 0, 0), TEE_SUCCESS);
	CHECK_EQ(on_handle(&two, TAP_MSG_ST_SIZE, wo, 0, 0), TEE_SUCCESS);
	/* another instance's handle: a broken rule, whatever the request */
	struct st_ans ans = { 0 };
	struct st_req r = req(TAP_MSG_ST_SIZE, ro, NULL);
	CHECK_EQ(ta_st_run(&two, &r, &ans), -EPROTO);
	r = req(TAP_MSG_ST_CLOSE, wo, NULL);
	CHECK_EQ(ta_st_run(&one, &r, &ans), -EPROTO);
	/* unknown: not found (the runtime panics on it) */
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_SIZE, 999999, 0, 0), TEE_ERROR_ITEM_NOT_FOUND);
	/* meta larger than the room: SHORT_BUFFER, and no handle */
	CHECK_EQ(open_obj(&one, "a", ST_ACCESS_READ | ST_SHARE_READ | ST_SHARE_WRITE, 3, &h), TEE_ERROR_SHORT_BUFFER);
	CHECK_EQ(h, 0);
	/* instance two is gone: its handle with it; one's stays */
	ta_st_inst_gone(&two);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_READ, ro, 0, 0), TEE_SUCCESS);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, ro, 0, 0), TEE_SUCCESS);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, ro, 0, 0), TEE_ERROR_ITEM_NOT_FOUND);
	/* nothing holds it now: exclusive again */
	CHECK_EQ(open_obj(&one, "a", ST_ACCESS_READ | ST_ACCESS_WRITE_META, 64, &h), TEE_SUCCESS);
	CHECK(h > wo); /* never reused */
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, h, 0, TAP_ST_DELETE), TEE_SUCCESS);
	CHECK_EQ(open_obj(&one, "a", ST_ACCESS_READ, 64, &h), TEE_ERROR_ITEM_NOT_FOUND);
	/* a dead instance gains nothing */
	atomic_store(&two.dead, true);
	CHECK_EQ(create(&two, "b", ST_ACCESS_READ, "", &h), TEE_ERROR_TARGET_DEAD);
	atomic_store(&two.dead, false);
}

static void stages_and_quota(void)
{
	uint8_t *buf;
	uint64_t n;
	uint8_t chunk[100] = { 1 };
	CHECK_EQ(ta_st_stage_add(&one, chunk, sizeof(chunk)), 0);
	CHECK_EQ(ta_st_stage_add(&one, chunk, sizeof(chunk)), 0);
	ta_st_stage_take(&one, &buf, &n);
	CHECK_EQ(n, 200);
	CHECK(buf && buf[0] == 1 && buf[100] == 1);
	free(buf);
	ta_st_stage_take(&one, &buf, &n); /* taken whole: empty now */
	CHECK_EQ(n, 0);
	CHECK(buf == NULL);
	CHECK_EQ(ta_st_stage_add(&one, chunk, sizeof(chunk)), 0);
	CHECK_EQ(ta_st_stage_add(&one, NULL, TAP_ST_STAGE_MAX), -EPROTO); /* beyond the bound: dropped */
	ta_st_stage_take(&one, &buf, &n);
	CHECK_EQ(n, 0);
	CHECK_EQ(ta_st_stage_add(&two, chunk, sizeof(chunk)), 0);
	ta_st_inst_gone(&two); /* and its stage with it */
	ta_st_stage_take(&two, &buf, &n);
	CHECK_EQ(n, 0);
	/* the store's quota (3 objects): STORAGE_NO_SPACE */
	uint32_t h;
	CHECK_EQ(create(&one, "q1", ST_ACCESS_READ, "", &h), TEE_SUCCESS);
	CHECK_EQ(create(&one, "q2", ST_ACCESS_READ, "", &h), TEE_SUCCESS);
	CHECK_EQ(create(&one, "q3", ST_ACCESS_READ, "", &h), TEE_SUCCESS);
	CHECK_EQ(create(&one, "q4", ST_ACCESS_READ, "", &h), TEE_ERROR_STORAGE_NO_SPACE);
	/* an existing id without OVERWRITE: ACCESS_CONFLICT (vstore: -EEXIST) */
	ta_st_inst_gone(&one);
	CHECK_EQ(create(&one, "q1", ST_ACCESS_READ, "", &h), TEE_ERROR_ACCESS_CONFLICT);
	ta_st_inst_gone(&one);
}

static void *create_slow(void *arg)
{
	uint32_t h;
	*(uint32_t *)arg = create(&one, "slow", ST_ACCESS_READ, "", &h);
	return NULL;
}

static atomic_bool gone_done;

static void *note_gone(void *arg)
{
	ta_st_inst_gone(arg); /* as the monitor thread, under the process-wide st->lock */
	atomic_store(&gone_done, true);
	return NULL;
}

static void stalled_commit(void)
{
	uint32_t h;
	CHECK_EQ(open_obj(&one, "q3", ST_ACCESS_WRITE_META, 64, &h), TEE_SUCCESS); /* room under the quota */
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, h, 0, TAP_ST_DELETE), TEE_SUCCESS);
	char path[128];
	snprintf(path, sizeof(path), "%s/state/lock", tmp);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	REQUIRE(fd >= 0 && flock(fd, LOCK_SH) == 0); /* as `vtee state export` reading */
	uint32_t ret = 0;
	pthread_t slow, gone;
	REQUIRE(pthread_create(&slow, NULL, create_slow, &ret) == 0);
	nanosleep(&(struct timespec){ 0, 300 * 1000000L }, NULL); /* the commit waits for the flock now */
	REQUIRE(pthread_create(&gone, NULL, note_gone, &two) == 0);
	for (int i = 0; i < 300 && !atomic_load(&gone_done); i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	CHECK(atomic_load(&gone_done)); /* within 3 s, while the commit still waits */
	flock(fd, LOCK_UN);
	close(fd);
	pthread_join(slow, NULL);
	pthread_join(gone, NULL);
	CHECK_EQ(ret, TEE_SUCCESS);
	ta_st_inst_gone(&one);
}

/* NEXT after `after` (NULL: from the start): its result; the id it named in id (or ""), *named: p[0].b. */
static uint32_t next_obj(const char *after, uint32_t flags, char id[TAP_ST_ID_MAX + 1], uint32_t *named)
{
	struct st_req r = req(TAP_MSG_ST_NEXT, 0, after);
	struct st_ans ans = { 0 };
	r.q.flags = flags | (after ? 0 : TAP_ST_FROM_START);
	r.q.meta_room = flags & TAP_ST_ID_ONLY ? 0 : 64;
	REQUIRE(ta_st_run(&one, &r, &ans) == 0);
	size_t n = ans.out[0] ? ans.out_len[0] : 0;
	memcpy(id, ans.out[0] ? ans.out[0] : "", n);
	id[n] = 0;
	*named = (uint32_t)ans.a.p[0].b;
	if (flags & TAP_ST_ID_ONLY)
		CHECK(ans.out[1] == NULL && ans.a.p[1].a == 0); /* no meta: nothing read */
	free(ans.out[0]);
	free(ans.out[1]);
	return ans.a.ret;
}

/* The object file written n-th (0: the oldest) of those there: overwritten with garbage. */
static void damage_object_file(int n)
{
	char dir[128], path[400];
	snprintf(dir, sizeof(dir), "%s/state", tmp);
	struct dirent **names;
	int count = scandir(dir, &names, NULL, alphasort), seen = 0;
	REQUIRE(count > 0);
	for (int i = 0; i < count; i++) {
		if (!strncmp(names[i]->d_name, "obj-", 4) && seen++ == n) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			FILE *f = fopen(path, "r+");
			REQUIRE(f && fputs("garbage garbage garbage", f) >= 0 && fclose(f) == 0);
		}
		free(names[i]);
	}
	free(names);
	REQUIRE(seen > n);
}

/* A corrupt object is named with CORRUPT_OBJECT once and enumeration goes on; a start reads nothing. */
static void enumerate_past_corrupt(void)
{
	char id[TAP_ST_ID_MAX + 1];
	uint32_t named;
	damage_object_file(1); /* q1, q2, slow are there: q2's file */
	CHECK_EQ(next_obj(NULL, TAP_ST_ID_ONLY, id, &named), TEE_SUCCESS);
	CHECK(!strcmp(id, "q1"));
	CHECK_EQ(next_obj(NULL, 0, id, &named), TEE_SUCCESS);
	CHECK_EQ(next_obj("q1", 0, id, &named), TEE_ERROR_CORRUPT_OBJECT);
	CHECK(!strcmp(id, "q2") && named == 1);
	CHECK_EQ(next_obj("q2", 0, id, &named), TEE_SUCCESS);
	CHECK(!strcmp(id, "slow"));
	CHECK_EQ(next_obj("slow", 0, id, &named), TEE_ERROR_ITEM_NOT_FOUND);
	/* a start finds q2 first without reading it: SUCCESS (the first next names it corrupt) */
	CHECK_EQ(next_obj("q1", TAP_ST_ID_ONLY, id, &named), TEE_SUCCESS);
	CHECK(!strcmp(id, "q2"));
}

/* RESTRICT_USAGE from any handle ANDs the usage word of the stored meta, and changes nothing else. */
static void restrict_usage(void)
{
	uint32_t h, ro;
	CHECK_EQ(open_obj(&one, "slow", ST_ACCESS_WRITE_META, 64, &h), TEE_SUCCESS); /* room under the quota */
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, h, 0, TAP_ST_DELETE), TEE_SUCCESS);
	char meta[] = "vtom-type-size-maxx-UUUUattrs"; /* the usage word: "UUUU" at TAP_ST_META_USAGE_AT */
	REQUIRE(!memcmp(meta + TAP_ST_META_USAGE_AT, "UUUU", 4));
	CHECK_EQ(create(&one, "u", ST_ACCESS_READ | ST_SHARE_READ, meta, &h), TEE_SUCCESS);
	CHECK_EQ(open_obj(&two, "u", ST_SHARE_READ, 64, &ro), TEE_SUCCESS); /* no access right at all */
	CHECK_EQ(on_handle(&two, TAP_MSG_ST_RESTRICT_USAGE, ro, 0, 0x41414141u), TEE_SUCCESS); /* 'U' & 'A' = 'A' */
	CHECK_EQ(on_handle(&two, TAP_MSG_ST_RESTRICT_USAGE, ro, 0, 0xffffffffu), TEE_SUCCESS); /* never widens */
	ta_st_inst_gone(&one);
	ta_st_inst_gone(&two);
	struct st_req r = req(TAP_MSG_ST_OPEN, 0, "u");
	struct st_ans ans = { 0 };
	r.q.flags = ST_ACCESS_READ;
	r.q.meta_room = 64;
	REQUIRE(ta_st_run(&one, &r, &ans) == 0 && ans.a.ret == TEE_SUCCESS); /* from the store: nothing open */
	memcpy(meta + TAP_ST_META_USAGE_AT, "AAAA", 4);
	CHECK(ans.out_len[0] == strlen(meta) && !memcmp(ans.out[0], meta, strlen(meta)));
	free(ans.out[0]);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_CLOSE, ans.a.session, 0, 0), TEE_SUCCESS);
	/* a blob too short to hold the word: corrupt */
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ, 64, &h), TEE_SUCCESS);
	CHECK_EQ(on_handle(&one, TAP_MSG_ST_RESTRICT_USAGE, h, 0, 0), TEE_ERROR_CORRUPT_OBJECT);
	ta_st_inst_gone(&one);
}

static unsigned warnings;

static void count_warnings(void *ctx, enum vtee_log_level level, const char *line)
{
	(void)ctx;
	(void)line;
	if (level == VTEE_LOG_WARNING)
		warnings++;
}

/* A VM whose whole state fails its checks: its first CORRUPT_OBJECT is logged, the rest counted. */
static void corrupt_state_logs_once(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/state/manifest", tmp);
	FILE *f = fopen(path, "r+");
	REQUIRE(f && fputs("garbage garbage garbage", f) >= 0 && fclose(f) == 0);
	REQUIRE(ta_st_vm_new(&pv.stv) == 0);
	attach(3); /* opens, corrupt: every call -EBADMSG */
	struct vtee_storage_stats stats;
	CHECK(ta_st_stats(&pv, &stats) == 0 && (stats.flags & VTEE_STORAGE_STATE_CORRUPT));
	vtee_set_log(count_warnings, NULL);
	uint32_t h;
	int64_t ms;
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ, 64, &h), TEE_ERROR_CORRUPT_OBJECT);
		CHECK_EQ(ta_st_ptime_load(&one, &ms), -ENOENT);
	}
	vtee_set_log(NULL, NULL);
	CHECK_EQ(warnings, 1);
	ta_st_vm_free(pv.stv);
}

/* Handle ids wrap past 2^32-1 (skipping 0 and ids in use); one instance holds at most its share. */
static void handle_ids(void)
{
	uint32_t held, h;
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &held), TEE_SUCCESS);
	pv.stv->next_handle = UINT32_MAX - 1;
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h), TEE_SUCCESS);
	CHECK_EQ(h, UINT32_MAX);
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h), TEE_SUCCESS);
	CHECK_EQ(h, 1); /* wrapped, 0 skipped */
	pv.stv->next_handle = held - 1;
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h), TEE_SUCCESS);
	CHECK_EQ(h, held + 1); /* held is still in the table */
	ta_st_inst_gone(&one);
	unsigned got = 0;
	while (got < TA_ST_MAX_INST_HANDLES + 1 &&
	       open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h) == TEE_SUCCESS)
		got++;
	CHECK_EQ(got, TA_ST_MAX_INST_HANDLES);
	CHECK_EQ(open_obj(&one, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h), TEE_ERROR_OUT_OF_MEMORY);
	CHECK_EQ(open_obj(&two, "q1", ST_ACCESS_READ | ST_SHARE_READ, 64, &h), TEE_SUCCESS); /* the others still can */
	ta_st_inst_gone(&one);
	ta_st_inst_gone(&two);
}

int main(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/vtee-st-table-XXXXXX");
	REQUIRE(mkdtemp(tmp));
	snprintf(pv.name, sizeof(pv.name), "table");
	REQUIRE(ta_st_vm_new(&pv.stv) == 0);
	one = (struct ta_inst){ .pv = &pv, .id = 1, .uuid = { { 0x11, 0x22 } } };
	two = (struct ta_inst){ .pv = &pv, .id = 2, .uuid = { { 0x11, 0x22 } } };
	/* without a store: nothing opens */
	uint32_t h;
	CHECK_EQ(create(&one, "a", ST_ACCESS_READ, "", &h), TEE_ERROR_ITEM_NOT_FOUND);
	CHECK_EQ(open_obj(&one, "a", ST_ACCESS_READ, 64, &h), TEE_ERROR_ITEM_NOT_FOUND);
	attach(3);
	access_rules();
	stages_and_quota();
	stalled_commit();
	enumerate_past_corrupt();
	handle_ids();
	restrict_usage();
	struct vtee_storage again = { .dir_fd = -1, .anchor_fd = -1 };
	CHECK_EQ(ta_st_attach(&pv, &again), -EALREADY); /* given once */
	ta_st_vm_free(pv.stv);
	corrupt_state_logs_once();
	char cmdline[128];
	snprintf(cmdline, sizeof(cmdline), "rm -rf %s", tmp);
	if (system(cmdline) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_report();
}
