/* SPDX-License-Identifier: MIT */
/*
 * Many VMs over one TLS connection (docs/remote.md): each VM's link stream is
 * a channel. The mux thread moves bytes between each channel's local stream
 * socket and the TLS stream, in frames:
 *
 *   u32 channel (little-endian), u32 word (little-endian): bit 31 OPEN,
 *   bit 30 CLOSE, bits 0..15 the length of the data that follows (at most
 *   MUX_MAX_DATA)
 *
 * OPEN names a new channel (client to server only), CLOSE ends one (either
 * way; the receiver shuts its local socket down, so that side's link code
 * sees EOF). When the TLS stream ends, every channel's local socket is shut
 * down: every VM on the connection sees its link end at once.
 */
#ifndef VTEE_REMOTE_MUX_H
#define VTEE_REMOTE_MUX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define MUX_MAX_DATA     16384u
#define MUX_MAX_CHANNELS 1024u
#define MUX_OPEN         0x80000000u
#define MUX_CLOSE        0x40000000u

struct mux_chan {
	uint32_t id;
	int fd;        /* our end of the channel's socketpair, -1 once closed */
	bool opened;   /* client: OPEN sent */
};

struct mux {
	SSL *ssl;
	pthread_mutex_t lock; /* the table, and `dead` */
	struct mux_chan chan[MUX_MAX_CHANNELS];
	unsigned nchan;
	uint32_t next_id;
	int wake[2];          /* a pipe: a channel was added, or stop */
	bool dead;            /* the TLS stream ended: no new channels */
	bool stop;
	/* server: a new channel asks for a local stream (-errno: refuse, CLOSE goes back) */
	int (*on_open)(void *ctx, uint32_t channel);
	void *ctx;
};

int mux_init(struct mux *m, SSL *ssl);
/* Client: add a channel on fd (taken); its OPEN goes out from the mux thread. -EPIPE if the stream is dead. */
int mux_add(struct mux *m, int fd);
/* Channels open now. */
unsigned mux_channels(struct mux *m);
/* The mux thread's body: returns when the TLS stream ends, or mux_stop() and no channel is left. */
void mux_run(struct mux *m);
/* Make mux_run() return once its channels are gone (it shuts them down). */
void mux_stop(struct mux *m);
void mux_destroy(struct mux *m);

#endif
