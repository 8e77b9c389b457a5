/* base64 the way OP-TEE's libutee treats binary-block properties: a TA writes the value as
 * base64 text in its property table; the decoder is lenient (characters outside the alphabet
 * are skipped, '=' or NUL ends the input, a trailing partial group is dropped), so "", "===="
 * and "-%@&" all decode to zero bytes. The encoder pads with '=' and ends with a NUL. */
#include "tarun_int.h"

#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int sextet(char c)
{
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

size_t tarun_base64_decode(const char *in, void *out, size_t size)
{
	unsigned char *o = out;
	uint32_t acc = 0;
	unsigned int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		int v = sextet(*in);

		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o && n < size)
				o[n] = (unsigned char)(acc >> bits);
			n++;
		}
	}
	return n;
}

size_t tarun_base64_encode_len(size_t n)
{
	return 4 * ((n + 2) / 3) + 1;
}

void tarun_base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *d = in;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t group = (uint32_t)d[i] << 16;

		if (i + 1 < n)
			group |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < n)
			group |= d[i + 2];
		*out++ = alphabet[(group >> 18) & 0x3f];
		*out++ = alphabet[(group >> 12) & 0x3f];
		*out++ = i + 1 < n ? alphabet[(group >> 6) & 0x3f] : '=';
		*out++ = i + 2 < n ? alphabet[group & 0x3f] : '=';
	}
	*out = '\0';
}
