// SPDX-License-Identifier: MIT
/*
 * A supervised vteed's TEE source (client.h): the one place where the
 * supervisor picks, by the back-end named in vteed_start()'s configuration,
 * what holds the VM's TEE state across vteed restarts. Each source says
 * itself, in the endpoint it hands every new vteed, which back-end vteed
 * opens and with which options and fds (HELLO's TEE descriptor), so neither
 * the supervisor's other parts nor vteed know any back-end by name.
 *
 *   "soft" (NULL)  tee_process.c: vtee-tee, the built-in TEE in its own process
 *   "teedev"       tee_device.c: the host's /dev/teeN, one context for the VM
 *   "remote"       tee_remote.c: this process's connections to vtee-served
 */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct vteed_tee_source_ops *const sources[] = {
	&vteed_tee_process_source,
	&vteed_tee_device_source,
	&vteed_tee_remote_source,
};

int vteed_tee_source_open(struct vteed_tee_source *ts, const struct vteed_config *cfg, char *msg, size_t msglen)
{
	const char *backend = cfg->backend ? cfg->backend : "soft";
	const struct vteed_tee_source_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]) && !ops; i++)
		if (!strcmp(sources[i]->backend, backend))
			ops = sources[i];
	if (!ops) {
		vteed_set_msg(msg, msglen, "vteed_start supervises the built-in TEE (soft), teedev and remote");
		return -EINVAL;
	}
	int err = ops->open(cfg, &ts->state, msg, msglen);
	if (!err)
		ts->ops = ops;
	return err;
}

int vteed_tee_source_connect(struct vteed_tee_source *ts, uint32_t vm_id, uint32_t epoch,
			     struct vteed_tee_endpoint *ep)
{
	vteed_tee_endpoint_init(ep, "", ""); /* nothing to close yet, whatever happens */
	if (!ts->ops)
		return -EINVAL;
	int err = ts->ops->connect(ts->state, vm_id, epoch, ep);
	if (err)
		vteed_tee_endpoint_close(ep);
	return err;
}

void vteed_tee_source_info(const struct vteed_tee_source *ts, struct vteed_info *info)
{
	if (ts->ops && ts->ops->info)
		ts->ops->info(ts->state, info);
}

void vteed_tee_source_close(struct vteed_tee_source *ts, int wait_ms)
{
	if (ts->ops)
		ts->ops->close(ts->state, wait_ms);
	ts->ops = NULL;
	ts->state = NULL;
}

int vteed_tee_endpoint_init(struct vteed_tee_endpoint *ep, const char *backend, const char *options)
{
	memset(ep, 0, sizeof(*ep));
	for (unsigned i = 0; i < VTEED_MAX_TEE_FDS; i++)
		ep->fds[i] = -1;
	if (strlen(backend) >= sizeof(ep->backend) || strlen(options) >= sizeof(ep->desc.options))
		return -E2BIG;
	snprintf(ep->backend, sizeof(ep->backend), "%s", backend);
	snprintf(ep->desc.options, sizeof(ep->desc.options), "%s", options);
	return 0;
}

int vteed_tee_endpoint_add_fd(struct vteed_tee_endpoint *ep, const char *key, int fd)
{
	unsigned i = ep->desc.nfds;
	if (i == VTEED_MAX_TEE_FDS || strlen(key) >= sizeof(ep->desc.fd_keys[i])) {
		close(fd);
		return -E2BIG;
	}
	snprintf(ep->desc.fd_keys[i], sizeof(ep->desc.fd_keys[i]), "%s", key);
	ep->fds[i] = fd;
	ep->desc.nfds = i + 1;
	return 0;
}

void vteed_tee_endpoint_close(struct vteed_tee_endpoint *ep)
{
	for (unsigned i = 0; i < ep->desc.nfds; i++)
		if (ep->fds[i] >= 0)
			close(ep->fds[i]);
	ep->desc.nfds = 0;
}
