/* libutee's buffering of block modes, which fixes what each update call outputs: whole blocks
 * go through, the tail waits in the operation. ECB, CBC and CCM keep less than one block back;
 * CTS and XTS keep between one and two blocks, so that the final call has the last two blocks
 * for ciphertext stealing. Stream modes (CTR, GCM) are not buffered. */
#include "crypto_int.h"

#include <string.h>

size_t op_buffer_out_len(TEE_OperationHandle op, size_t len)
{
	size_t bs = op->ai->block_size;
	size_t total = op->buf_offs + len;

	if (bs <= 1)
		return len;
	if (op->ai->two_blocks)
		return total > 2 * bs ? (total - 2 * bs + bs - 1) / bs * bs : 0;
	return total / bs * bs;
}

size_t op_buffer_feed(TEE_OperationHandle op, block_fn fn, const uint8_t *src, size_t len,
		      uint8_t *dst)
{
	size_t bs = op->ai->block_size;
	size_t out = op_buffer_out_len(op, len);
	size_t pending = out;
	TEE_Result res;

	/* first what waits in the buffer, topped up to a block boundary */
	if (op->buf_offs && pending) {
		size_t fill = (bs - op->buf_offs % bs) % bs;
		size_t n;

		if (fill > len)
			fill = len;
		if (fill) {
			memcpy(op->buf + op->buf_offs, src, fill);
			op->buf_offs += fill;
			src += fill;
			len -= fill;
		}
		n = op->buf_offs / bs * bs;
		if (n > pending)
			n = pending;
		res = fn(op, op->buf, n, dst);
		if (res)
			tarun_panic(res);
		memmove(op->buf, op->buf + n, op->buf_offs - n);
		op->buf_offs -= n;
		dst += n;
		pending -= n;
	}
	/* then whole blocks straight from the input */
	if (pending) {
		res = fn(op, src, pending, dst);
		if (res)
			tarun_panic(res);
		src += pending;
		len -= pending;
	}
	/* the rest waits (less than two blocks by construction) */
	PANIC_UNLESS(op->buf_offs + len <= sizeof(op->buf), TEE_ERROR_GENERIC);
	if (len)
		memcpy(op->buf + op->buf_offs, src, len);
	op->buf_offs += len;
	return out;
}
