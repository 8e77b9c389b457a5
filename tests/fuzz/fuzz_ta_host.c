// SPDX-License-Identifier: MIT
/*
 * A stand-in for vtee-ta-host (fuzz_ta.h): the soft back-end runs as it
 * always does, opened with ta_dir= and ta_host= naming this very program.
 * Started that way (fd 3 its control socket, $VTEE_FUZZ_TA_RELAY set), the
 * program only hands the control socket to the fuzzer that started it and
 * exits (relay_if_asked); a thread of the fuzzer then serves the back-end's
 * START and KILL over that socket like the real fork server. An instance
 * it starts is a real channel (vtee_chan_create), a real sealed shared
 * memfd and a set-up socketpair, handed over with STARTED; its "TA" is the
 * script of the input: every byte of it is written at once (it fits in the
 * ring), but those a pause holds back while the guest is inside submit(),
 * and the instance ends (DIED) once the back-end has read them all, so no
 * call waits for bytes that will never come, whatever the timing. A KILL
 * ends it too. The guest's submit() must return within 2 s: a call runs
 * on the submitter's thread only until it is handed over, never while it
 * waits for a TA. Everything the back-end sends is read and checked:
 * known messages of the right size, memrefs inside the bulk area, one
 * ANSWER per request within the rules and with as many output bytes as its
 * sizes say.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "fdpass.h"
#include "fuzz_ta.h"
#include "ta_proc.h"

#define RELAY_ENV "VTEE_FUZZ_TA_RELAY"
#define FAKE_PID0 900000
/* The channel header's ring 1 (instance -> back-end): its head and tail (docs/tee-link.md, "Layout"). */
#define RING1_HEAD_WORD ((64 + 256) / 4)
#define RING1_TAIL_WORD ((64 + 256 + 128) / 4)
#define RX_MAX (sizeof(struct tap_hdr) + sizeof(struct tap_answer) + FT_BULK)
/* A guest's submit() runs a call at most until it hands it over (a quick one: microseconds). */
#define SUBMIT_LIMIT_NS (2ull * 1000 * 1000 * 1000)

struct fh_inst {
	bool started, gone;
	uint64_t id;
	struct ft_script *script;
	struct vtee_chan *chan;       /* side B: the TA's */
	const uint32_t *chan_hdr;     /* the channel's header page, read only */
	uint8_t *shared;              /* struct tap_shared, then the bulk area */
	int hup;                      /* the TA's end of the set-up socketpair */
	uint32_t written;             /* bytes of the script in the ring so far */
	unsigned next_pause;          /* the script's pause not yet passed */
	uint64_t paused_at;           /* when the back-end had read up to it (a slow pause) */
	unsigned next_frame;          /* the next ANSWER answers the first request from here */
	bool has_call;
	struct tap_call last_call;    /* the last OPEN or INVOKE */
	size_t rxn;
	uint8_t rx[RX_MAX];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t synced;
	pthread_t thread;
	int listen_fd, ctl, wake;
	bool active;                  /* an input runs: its VM may start instances */
	bool in_submit;               /* the guest is inside submit() ... */
	uint64_t submit_since;        /* ... since then (CLOCK_MONOTONIC ns) */
	uint32_t vm_id;
	unsigned nscripts, starts;
	uint64_t gen_asked, gen_done; /* fh_sync(): passes asked for and done */
	struct fh_inst inst[FT_MAX_INST];
} H = { .lock = PTHREAD_MUTEX_INITIALIZER, .synced = PTHREAD_COND_INITIALIZER, .listen_fd = -1, .ctl = -1 };

void ft_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz_ta_msg: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* Exec'd by the back-end as its TA host: give the fuzzer our control socket (fd 3), and go. */
__attribute__((constructor)) static void relay_if_asked(void)
{
	const char *name = getenv(RELAY_ENV);
	struct stat st;
	if (!name || fstat(3, &st) || !S_ISSOCK(st.st_mode))
		return;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int fd = 3;
	if (s < 0 || n + 1 > sizeof(a.sun_path))
		_exit(1);
	memcpy(a.sun_path + 1, name, n); /* abstract: nothing to clean up */
	if (connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) ||
	    vtee_send_fds(s, "R", 1, &fd, 1))
		_exit(1);
	_exit(0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- instances ---- */

static void send_ctl(const struct tap_ctl *m, const int *fds, unsigned n)
{
	if (vtee_send_fds(H.ctl, m, sizeof(*m), fds, n))
		ft_fail("the back-end's control socket is gone");
}

static void drain(struct fh_inst *in);

/* The instance's process has ended: its TA side goes, the back-end hears it (DIED). */
static void inst_exit(struct fh_inst *in, int status)
{
	drain(in); /* what the back-end sent before it decided this is checked */
	in->gone = true;
	struct tap_ctl m = { .type = TAP_CTL_DIED, .id = in->id, .status = status };
	send_ctl(&m, NULL, 0);
	vtee_chan_close(in->chan);
	in->chan = NULL;
	close(in->hup);
	in->hup = -1;
}

/* The back-end has read everything written so far. */
static bool all_read(const struct fh_inst *in)
{
	return __atomic_load_n(&in->chan_hdr[RING1_TAIL_WORD], __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&in->chan_hdr[RING1_HEAD_WORD], __ATOMIC_ACQUIRE);
}

/* Every byte of the script sent and read by the back-end. */
static bool consumed(const struct fh_inst *in)
{
	return in->written == in->script->n && all_read(in);
}

/* The instance's next pause holds it no longer: the back-end has read up to it, and then ... */
static bool pause_over(struct fh_inst *in)
{
	if (!all_read(in))
		return false;
	if (!in->script->pause_slow[in->next_pause])
		return !H.in_submit; /* ... the guest is not inside submit() */
	uint64_t now = now_ns();
	if (!in->paused_at)
		in->paused_at = now;
	return now - in->paused_at >= FT_SLOW_PAUSE_MS * 1000000ull; /* ... a while has passed */
}

/* More of the script into the ring, up to the next pause that still holds. */
static void feed(struct fh_inst *in)
{
	const struct ft_script *s = in->script;
	for (;;) {
		uint32_t end = in->next_pause < s->npause ? s->pause[in->next_pause] : s->n;
		while (in->written < end) { /* it fits: a script is smaller than the ring */
			struct iovec iov = { (void *)(s->bytes + in->written), end - in->written };
			ssize_t k = vtee_chan_send(in->chan, &iov, 1, VTEE_CHAN_DONTWAIT);
			if (k == -EPIPE)
				return; /* the back-end closed it: a KILL is on its way */
			if (k <= 0)
				ft_fail("a script does not fit in the ring");
			in->written += (uint32_t)k;
		}
		if (end == s->n || !pause_over(in))
			return;
		in->next_pause++;
		in->paused_at = 0;
	}
}

/* READY frames get the instance's UUID (or one that is not) now that it is known. */
static void patch_ready(struct ft_script *s, const uint8_t uuid[16])
{
	for (unsigned i = 0; i < s->nf; i++) {
		uint8_t *u = s->bytes + s->f[i].off + offsetof(struct tap_ready, uuid);
		if (s->f[i].ready_uuid == FT_UUID_AS_IS)
			continue;
		memcpy(u, uuid, 16);
		if (s->f[i].ready_uuid == FT_UUID_OTHER)
			u[15] ^= 0x5a;
	}
}

/* Where the first ANSWER's request may be: after the READY that ends the start (none: no answers). */
static unsigned first_answerable(const struct ft_script *s)
{
	unsigned i = 0;
	while (i < s->nf && ft_kind(s, i, true) == FK_LOG)
		i++;
	return i < s->nf && ft_kind(s, i, true) == FK_READY ? i + 1 : s->nf;
}

static int make_shared(void)
{
	int fd = memfd_create("fuzz-ta-shared", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct tap_shared h = { .magic = TAP_SHARED_MAGIC, .bulk_size = FT_BULK };
	if (fd < 0 || ftruncate(fd, TAP_SHARED_HDR + FT_BULK) || pwrite(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		ft_fail("shared memfd: %s", strerror(errno));
	return fd;
}

/* The channel, shared memory and set-up socket of a new instance, its script in the ring. */
static void inst_make(struct fh_inst *in, const struct tap_ctl *m, int fds[TAP_NFDS])
{
	int sv[2];
	const struct vtee_chan_opts o = { .no_spin = true };
	fds[TAP_FD_SHARED] = make_shared();
	if (vtee_chan_create(m->ring_size, &fds[TAP_FD_CHAN]) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    vtee_chan_open(fds[TAP_FD_CHAN], VTEE_CHAN_B, sv[1], &o, &in->chan))
		ft_fail("cannot make an instance's channel");
	fds[TAP_FD_HUP] = sv[0];
	in->hup = sv[1];
	in->chan_hdr = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[TAP_FD_CHAN], 0);
	in->shared = mmap(NULL, TAP_SHARED_HDR + FT_BULK, PROT_READ | PROT_WRITE, MAP_SHARED, fds[TAP_FD_SHARED], 0);
	if (in->chan_hdr == MAP_FAILED || in->shared == MAP_FAILED)
		ft_fail("mmap: %s", strerror(errno));
	patch_ready(in->script, m->uuid);
	in->next_frame = first_answerable(in->script);
	in->written = in->next_pause = 0;
	in->paused_at = 0;
	feed(in);
}

static void start(const struct tap_ctl *m)
{
	struct tap_ctl ans = { .type = TAP_CTL_STARTED, .id = m->id, .err = -ENOENT };
	if (!H.active || m->vm_id != H.vm_id)
		ft_fail("an instance for VM %u started while VM %u %s", m->vm_id, H.vm_id, H.active ? "runs" : "is gone");
	if (m->bulk_size != FT_BULK || m->ring_size != TA_RING_SIZE || !m->id)
		ft_fail("START with bulk %u, ring %u, id %llu", m->bulk_size, m->ring_size, (unsigned long long)m->id);
	for (unsigned i = 0; i < FT_MAX_INST; i++)
		if (H.inst[i].started && H.inst[i].id == m->id)
			ft_fail("START of instance id %llu twice", (unsigned long long)m->id);
	unsigned k = H.starts++;
	if (k >= H.nscripts) {
		send_ctl(&ans, NULL, 0); /* like a UUID with no file */
		return;
	}
	struct fh_inst *in = &H.inst[k];
	int fds[TAP_NFDS];
	in->id = m->id;
	inst_make(in, m, fds);
	in->started = true;
	ans.err = 0;
	ans.status = FAKE_PID0 + (int)k;
	send_ctl(&ans, fds, TAP_NFDS);
	for (unsigned i = 0; i < TAP_NFDS; i++)
		close(fds[i]);
}

/* ---- what the back-end sends an instance ---- */

static void check_call(const struct fh_inst *in, const struct tap_call *c)
{
	if (!c->session || c->types >> 16)
		ft_fail("a call with session %u, types %#x", c->session, c->types);
	for (int i = 0; i < 4; i++) {
		uint32_t t = TA_PARAM_TYPE_GET(c->types, i);
		if (vtee_param_is_memref(t) && c->p[i].a != TAP_NULL_MEMREF &&
		    (c->p[i].a > FT_BULK || c->p[i].b > FT_BULK - c->p[i].a))
			ft_fail("instance %llu: memref %d at %#llx size %#llx is not in the bulk area",
				(unsigned long long)in->id, i, (unsigned long long)c->p[i].a, (unsigned long long)c->p[i].b);
	}
}

static void check_answer(struct fh_inst *in, uint32_t len, const uint8_t *body)
{
	const struct ft_script *s = in->script;
	unsigned i = in->next_frame;
	enum ft_kind k = FK_FATAL;
	for (; i < s->nf; i++) {
		k = ft_kind(s, i, false);
		if (k == FK_ASK || k == FK_TA)
			break;
		if (k != FK_LOG && k != FK_DONE)
			ft_fail("instance %llu: an ANSWER after frame %u broke the protocol", (unsigned long long)in->id, i);
	}
	if (i == s->nf)
		ft_fail("instance %llu: an ANSWER to no request", (unsigned long long)in->id);
	in->next_frame = i + 1;
	struct tap_answer a;
	if (len < sizeof(a))
		ft_fail("an ANSWER of %u bytes", len);
	memcpy(&a, body, sizeof(a));
	uint64_t data = k == FK_TA ? ft_answer_data(s, i, &a) : 0;
	if (len - sizeof(a) != data || a.origin < TEE_ORIGIN_API || a.origin > TEE_ORIGIN_TRUSTED_APP)
		ft_fail("instance %llu: ANSWER to frame %u (type %u): %u bytes, %llu of output data expected, origin %u",
			(unsigned long long)in->id, i, s->f[i].type, len, (unsigned long long)data, a.origin);
	if (s->f[i].type == TAP_MSG_TA_OPEN && a.ret == TEE_SUCCESS && !a.session)
		ft_fail("a TA-to-TA session opened as 0");
	if (s->f[i].type == TAP_MSG_PTIME_LOAD && a.ret != TEE_SUCCESS && a.ret != TEE_ERROR_TIME_NOT_SET)
		ft_fail("PTIME_LOAD answered %#x", a.ret);
	/* the VM has no storage: nothing opens, no handle exists; a stage is only memory */
	uint32_t st_want = s->f[i].type == TAP_MSG_ST_STAGE ? TEE_SUCCESS : TEE_ERROR_ITEM_NOT_FOUND;
	if (s->f[i].type >= TAP_MSG_ST_OPEN && s->f[i].type <= TAP_MSG_ST_STAGE && a.ret != st_want)
		ft_fail("persistent-object request %u answered %#x, not %#x", s->f[i].type, a.ret, st_want);
}

static void check_msg(struct fh_inst *in, const struct tap_hdr *h, const uint8_t *body)
{
	struct tap_call c;
	switch (h->type) {
	case TAP_MSG_OPEN:
	case TAP_MSG_INVOKE:
	case TAP_MSG_CLOSE:
		if (h->len != sizeof(c))
			ft_fail("a call message of %u bytes", h->len);
		memcpy(&c, body, sizeof(c));
		check_call(in, &c);
		if (h->type != TAP_MSG_CLOSE) {
			in->last_call = c;
			in->has_call = true;
		}
		break;
	case TAP_MSG_DESTROY:
		if (h->len)
			ft_fail("DESTROY with %u bytes", h->len);
		break;
	case TAP_MSG_ANSWER:
		check_answer(in, h->len, body);
		break;
	default:
		ft_fail("the back-end sent message type %u", h->type);
	}
}

/* Read what the back-end sent the instance; check each whole message. */
static void drain(struct fh_inst *in)
{
	for (;;) {
		ssize_t k = vtee_chan_recv(in->chan, in->rx + in->rxn, RX_MAX - in->rxn, VTEE_CHAN_DONTWAIT);
		if (k == -EPROTO)
			ft_fail("the back-end broke the channel's ring");
		if (k <= 0)
			return;
		in->rxn += (size_t)k;
		struct tap_hdr h;
		while (in->rxn >= sizeof(h)) {
			memcpy(&h, in->rx, sizeof(h));
			if (h.len > RX_MAX - sizeof(h))
				ft_fail("a message of %u bytes (type %u) from the back-end", h.len, h.type);
			size_t whole = sizeof(h) + h.len;
			if (in->rxn < whole)
				break;
			check_msg(in, &h, in->rx + sizeof(h));
			memmove(in->rx, in->rx + whole, in->rxn - whole);
			in->rxn -= whole;
		}
	}
}

/* ---- the server's thread ---- */

static void take_ctl(void)
{
	struct tap_ctl m;
	int fds[VTEE_FDPASS_MAX];
	size_t got;
	unsigned nfds;
	if (vtee_recv_fds(H.ctl, &m, sizeof(m), &got, fds, VTEE_FDPASS_MAX, &nfds) || !got)
		ft_fail("the back-end closed its control socket");
	for (unsigned i = 0; i < nfds && i < VTEE_FDPASS_MAX; i++)
		close(fds[i]);
	if (got != sizeof(m) || nfds)
		ft_fail("a control message of %zu bytes and %u fds", got, nfds);
	if (m.type == TAP_CTL_START) {
		start(&m);
	} else if (m.type == TAP_CTL_KILL) {
		for (unsigned i = 0; i < FT_MAX_INST; i++)
			if (H.inst[i].started && H.inst[i].id == m.id && !H.inst[i].gone)
				inst_exit(&H.inst[i], SIGKILL);
	} else {
		ft_fail("control message type %u", m.type);
	}
}

static bool any_running(void)
{
	for (unsigned i = 0; i < FT_MAX_INST; i++)
		if (H.inst[i].started && !H.inst[i].gone)
			return true;
	return false;
}

/* One look at everything: a control message, every running instance's channel. */
static void serve_once(void)
{
	pthread_mutex_lock(&H.lock);
	bool busy = any_running();
	pthread_mutex_unlock(&H.lock);
	struct pollfd p[2] = { { H.ctl, POLLIN, 0 }, { H.wake, POLLIN, 0 } };
	struct timespec ts = { 0, busy ? 50000 : 20000000 };
	if (ppoll(p, 2, &ts, NULL) < 0 && errno != EINTR)
		ft_fail("ppoll: %s", strerror(errno));
	uint64_t v;
	if (p[1].revents && read(H.wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
		ft_fail("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&H.lock);
	uint64_t gen = H.gen_asked; /* asked before this pass reads anything */
	if (H.in_submit && now_ns() - H.submit_since > SUBMIT_LIMIT_NS)
		ft_fail("the guest's submit() has not returned in %llu s: a TA holds its thread",
			SUBMIT_LIMIT_NS / 1000000000ull);
	if (p[0].revents)
		take_ctl();
	for (unsigned i = 0; i < FT_MAX_INST; i++) {
		struct fh_inst *in = &H.inst[i];
		if (!in->started || in->gone)
			continue;
		feed(in);
		if (consumed(in))
			inst_exit(in, 0); /* nothing more to say: the process exits */
		else
			drain(in);
	}
	H.gen_done = gen;
	pthread_cond_broadcast(&H.synced);
	pthread_mutex_unlock(&H.lock);
}

static void *host_main(void *arg)
{
	(void)arg;
	struct pollfd p = { H.listen_fd, POLLIN, 0 };
	int conn = poll(&p, 1, 20000) == 1 ? accept4(H.listen_fd, NULL, NULL, SOCK_CLOEXEC) : -1;
	char c;
	size_t got;
	unsigned n;
	if (conn < 0 || vtee_recv_fds(conn, &c, 1, &got, &H.ctl, 1, &n) || got != 1 || n != 1)
		ft_fail("the relay did not hand over the control socket");
	close(conn);
	close(H.listen_fd);
	struct tap_ctl hello = { .type = TAP_CTL_STARTED, .id = 0 };
	send_ctl(&hello, NULL, 0);
	for (;;)
		serve_once();
	return NULL;
}

/* ---- the target's side ---- */

void *fh_open(void)
{
	char self[PATH_MAX], name[64], opts[PATH_MAX + 128];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		ft_fail("readlink /proc/self/exe");
	self[len] = 0;
	snprintf(name, sizeof(name), "vtee-fuzz-ta-%d", (int)getpid());
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	memcpy(a.sun_path + 1, name, strlen(name));
	H.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	H.wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (H.listen_fd < 0 || H.wake < 0 ||
	    bind(H.listen_fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))) ||
	    listen(H.listen_fd, 1) || pthread_create(&H.thread, NULL, host_main, NULL))
		ft_fail("cannot set up the stand-in TA host: %s", strerror(errno));
	setenv(RELAY_ENV, name, 1);
	snprintf(opts, sizeof(opts), "ta_dir=/nonexistent-fuzz-ta,ta_host=%s,ta_memref_max=%u", self, FT_BULK);
	void *tee = NULL;
	int r = vtee_soft_backend.open(opts, &tee);
	unsetenv(RELAY_ENV);
	if (r)
		ft_fail("the soft back-end did not open with the stand-in TA host: %s", strerror(-r));
	return tee;
}

void fh_begin(uint32_t vm_id, struct ft_script *s, unsigned n)
{
	pthread_mutex_lock(&H.lock);
	H.vm_id = vm_id;
	H.nscripts = n;
	H.starts = 0;
	for (unsigned i = 0; i < FT_MAX_INST; i++) {
		struct fh_inst *in = &H.inst[i];
		in->started = in->gone = in->has_call = false;
		in->script = i < n ? &s[i] : NULL;
		in->chan = NULL;
		in->hup = -1;
		in->rxn = 0;
	}
	H.active = true;
	pthread_mutex_unlock(&H.lock);
}

void fh_in_submit(bool inside)
{
	uint64_t one = 1;
	pthread_mutex_lock(&H.lock);
	H.in_submit = inside;
	H.submit_since = now_ns();
	pthread_mutex_unlock(&H.lock);
	if (!inside && write(H.wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		ft_fail("eventfd: %s", strerror(errno));
}

void fh_sync(void)
{
	uint64_t one = 1;
	pthread_mutex_lock(&H.lock);
	uint64_t want = ++H.gen_asked;
	if (write(H.wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		ft_fail("eventfd: %s", strerror(errno));
	while (H.gen_done < want)
		pthread_cond_wait(&H.synced, &H.lock);
	pthread_mutex_unlock(&H.lock);
}

bool fh_last_call(unsigned k, struct tap_call *call, const uint8_t **bulk)
{
	pthread_mutex_lock(&H.lock);
	const struct fh_inst *in = k < FT_MAX_INST ? &H.inst[k] : NULL;
	bool has = in && in->started && in->has_call;
	if (has) {
		*call = in->last_call;
		*bulk = in->shared + TAP_SHARED_HDR;
	}
	pthread_mutex_unlock(&H.lock);
	return has;
}

void fh_end(void)
{
	fh_sync();
	pthread_mutex_lock(&H.lock);
	H.active = false;
	for (unsigned i = 0; i < FT_MAX_INST; i++) {
		struct fh_inst *in = &H.inst[i];
		if (!in->started)
			continue;
		if (!in->gone)
			ft_fail("instance %u (id %llu) outlived its VM", i, (unsigned long long)in->id);
		munmap((void *)in->chan_hdr, 4096);
		munmap(in->shared, TAP_SHARED_HDR + FT_BULK);
		in->started = false;
	}
	pthread_mutex_unlock(&H.lock);
}
