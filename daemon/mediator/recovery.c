// SPDX-License-Identifier: MIT
/*
 * Recovery (docs/recovery.md): a supervised vteed keeps its VM's state in a
 * journal memfd the supervisor holds; a restarted vteed takes the VM over
 * from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vteed.h"
#include "vteed_futex.h"

int journal_map(int fd, struct vtee_vm_config *vc, char *why, size_t whylen)
{
	struct stat st;
	size_t need = vtee_journal_size(&vc->quota);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fcntl(fd, F_GET_SEALS) < 0) {
		snprintf(why, whylen, "journal fd is not a memfd");
		return -EBADF;
	}
	if (st.st_size == 0 && ftruncate(fd, (off_t)need) < 0) {
		int e = errno;
		snprintf(why, whylen, "sizing the journal: %s", strerror(e));
		return -e;
	}
	if (st.st_size != 0 && (uint64_t)st.st_size < need) {
		snprintf(why, whylen, "journal is %lld bytes, these quotas need %zu", (long long)st.st_size, need);
		return -EINVAL;
	}
	void *p = mmap(NULL, need, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		snprintf(why, whylen, "mmap journal: %s", strerror(e));
		return -e;
	}
	med.jn = p;
	med.jn_size = need;
	vc->journal = p;
	vc->journal_size = need;
	return 0;
}

/*
 * Restore: an entry made by an SMC whose answer never reached the guest is
 * rolled back: the request the previous vteed died serving (the VMM marked
 * it lost_seq; it is replayed) or one still pending in the mailbox.
 */
static bool delivered(void *ctx, uint64_t tag)
{
	struct vteed_mailbox *mb = ctx;
	uint32_t slot = (uint32_t)(tag >> 32), seq = (uint32_t)tag;
	if (slot >= med.hello.nslots)
		return false; /* not a tag this protocol makes: do not trust the entry */
	struct vteed_slot *sl = &mb->slot[slot];
	uint32_t lost = VTEED_LOAD(&sl->lost_seq), req = VTEED_LOAD(&sl->req_seq);
	if (lost && seq == lost)
		return false;
	return !(req != VTEED_LOAD(&sl->rsp_seq) && seq == req);
}

int journal_restore(char *why, size_t whylen)
{
	int n = vtee_vm_restore(med.vm, delivered, med.mb);
	if (n < 0) {
		snprintf(why, whylen, "restoring from the journal: %s", strerror(-n));
		return n;
	}
	if (med.hello.epoch)
		vteed_log(VLOG_INFO, "restart %u: took over %d sessions and shared buffers", med.hello.epoch, n);
	return 0;
}
