/* Cancellation as OP-TEE keeps it per session: the TEE raises a flag (a client's cancel request)
 * or the call's cancellationRequestTimeout passes; the TA sees it only while it has unmasked
 * cancellation. Every entry starts masked and the mask is restored when it returns
 * (tarun_entry_begin/_end). */
#include "tarun_int.h"

bool tarun_cancel_pending(const struct tarun_call *c, uint64_t now_ns)
{
	if (!c->active || c->cancel_masked)
		return false;
	if (now_ns >= c->cancel_deadline_ns)
		return true;
	return tarun_ops && tarun_ops->cancel_requested(c->session);
}

bool TEE_GetCancellationFlag(void)
{
	return tarun_cancel_pending(tarun_current_call(), tarun_monotonic_ns());
}

/* Both return the mask as it was. */
bool TEE_UnmaskCancellation(void)
{
	struct tarun_call *c = tarun_current_call();
	bool was = c->cancel_masked;

	c->cancel_masked = false;
	return was;
}

bool TEE_MaskCancellation(void)
{
	struct tarun_call *c = tarun_current_call();
	bool was = c->cancel_masked;

	c->cancel_masked = true;
	return was;
}
