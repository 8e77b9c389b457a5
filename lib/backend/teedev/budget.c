// SPDX-License-Identifier: MIT
/*
 * What all teedev VMs of this process share. File descriptors and mappings
 * are per process, and so is the kernel memory behind copies: a per-VM bound
 * alone lets several VMs together exhaust them, and the VMM with them. Each is
 * also held to a host-wide budget, set when a back-end opens: half of
 * RLIMIT_NOFILE, half of vm.max_map_count (the rest is the VMM's), and
 * TEEDEV_HOST_COPY_MAX bytes of copies.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "teedev_int.h"

#define TEEDEV_HOST_COPY_MAX (256ull << 20)

static struct {
	pthread_mutex_t lock;
	uint64_t now[HOST_N], max[HOST_N];
	bool fixed; /* teedev_set_host_limits() */
} host = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void host_limits_set(uint64_t fds, uint64_t maps)
{
	pthread_mutex_lock(&host.lock);
	if (!host.fixed) {
		host.max[HOST_FDS] = fds / 2;
		host.max[HOST_MAPS] = maps / 2;
		host.max[HOST_COPY] = TEEDEV_HOST_COPY_MAX;
	}
	pthread_mutex_unlock(&host.lock);
}

/* Linux's defaults for both (RLIMIT_NOFILE's soft limit, vm.max_map_count), unless set already */
void teedev_host_limits_default(void)
{
	pthread_mutex_lock(&host.lock);
	bool set = host.max[HOST_FDS] != 0;
	pthread_mutex_unlock(&host.lock);
	if (!set)
		host_limits_set(1024, 65530);
}

void teedev_host_limits_read(void)
{
	struct rlimit rl;
	uint64_t fds = 1024, maps = 65530;
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		fds = rl.rlim_cur == RLIM_INFINITY ? (1u << 20) : (uint64_t)rl.rlim_cur;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	unsigned long long v;
	if (f) {
		if (fscanf(f, "%llu", &v) == 1 && v > 0)
			maps = v;
		fclose(f);
	}
	host_limits_set(fds, maps);
}

void teedev_set_host_limits(uint64_t fds, uint64_t maps, uint64_t copy_bytes)
{
	pthread_mutex_lock(&host.lock);
	host.fixed = fds || maps || copy_bytes;
	host.max[HOST_FDS] = fds;
	host.max[HOST_MAPS] = maps;
	host.max[HOST_COPY] = copy_bytes;
	pthread_mutex_unlock(&host.lock);
	if (!host.fixed)
		teedev_host_limits_read();
}

uint64_t teedev_host_room(int what)
{
	pthread_mutex_lock(&host.lock);
	uint64_t r = host.max[what] > host.now[what] ? host.max[what] - host.now[what] : 0;
	pthread_mutex_unlock(&host.lock);
	return r;
}

int teedev_host_take(int what, uint64_t n)
{
	pthread_mutex_lock(&host.lock);
	bool fits = n <= host.max[what] && host.now[what] <= host.max[what] - n;
	if (fits)
		host.now[what] += n;
	pthread_mutex_unlock(&host.lock);
	return fits ? 0 : -ENOSPC;
}

void teedev_host_give(int what, uint64_t n)
{
	pthread_mutex_lock(&host.lock);
	host.now[what] -= n;
	pthread_mutex_unlock(&host.lock);
}

void teedev_host_usage(uint64_t now[HOST_N])
{
	pthread_mutex_lock(&host.lock);
	for (int i = 0; i < HOST_N; i++)
		now[i] = host.now[i];
	pthread_mutex_unlock(&host.lock);
}
