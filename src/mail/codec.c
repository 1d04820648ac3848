/*
 * codec.c - base64 and quoted-printable decoding (RFC 2045, RFC 2047 Q).
 *
 * Both decoders are single passes driven by 256-entry tables, write into a
 * small stack chunk and hand it to the capped mw_buf in large appends, so
 * that a body costs a few cycles a byte and no allocation per byte.
 */
#include "mail/codec.h"

#include <string.h>

#include "lib/str.h"

/* Output is staged here and appended to the mw_buf in large pieces. */
#define CODEC_CHUNK 4096

typedef struct chunk_out {
	mw_buf *out;
	size_t n;
	unsigned char data[CODEC_CHUNK];
} chunk_out;

static mw_status chunk_flush(chunk_out *c)
{
	mw_status st = MW_OK;

	if (c->n > 0)
		st = mw_buf_append_some(c->out, c->data, c->n);
	c->n = 0;
	return st;
}

/* Room for at least `need` more bytes, flushing when the chunk is full. */
static mw_status chunk_reserve(chunk_out *c, size_t need)
{
	if (CODEC_CHUNK - c->n >= need)
		return MW_OK;
	return chunk_flush(c);
}

static mw_status chunk_put(chunk_out *c, unsigned char byte)
{
	mw_status st = chunk_reserve(c, 1);

	if (st != MW_OK)
		return st;
	c->data[c->n++] = byte;
	return MW_OK;
}

static mw_status chunk_write(chunk_out *c, const char *p, size_t n)
{
	while (n > 0) {
		size_t room;
		mw_status st = chunk_reserve(c, 1);

		if (st != MW_OK)
			return st;
		room = CODEC_CHUNK - c->n;
		if (room > n)
			room = n;
		memcpy(c->data + c->n, p, room);
		c->n += room;
		p += room;
		n -= room;
	}
	return MW_OK;
}

/* -- base64 ---------------------------------------------------------- */

enum { B64_SKIP = -1, B64_PAD = -2 };

/* Sextet value of each byte; B64_PAD (-2) for '=', B64_SKIP (-1) for the
 * rest. */
static const signed char b64_table[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, 62, -1, -1, -1, 63, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, -1, -1, -1, -2, -1, -1, -1, 0,	1,  2,	3,  4,	5,  6,	7,  8,	9,  10,
    11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1,
    -1, -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* The whole bytes a partial quantum of `have` sextets carries. */
static mw_status b64_flush_partial(chunk_out *c, unsigned long acc, int have)
{
	mw_status st = MW_OK;

	if (have == 2) {
		st = chunk_put(c, (unsigned char)(acc >> 4));
	} else if (have == 3) {
		st = chunk_put(c, (unsigned char)(acc >> 10));
		if (st == MW_OK)
			st = chunk_put(c, (unsigned char)(acc >> 2));
	}
	return st;
}

mw_status mw_base64_decode(const char *in, size_t n, mw_buf *out)
{
	chunk_out c = {.out = out, .n = 0};
	unsigned long acc = 0;
	int have = 0;
	mw_status st = MW_OK;

	for (size_t i = 0; i < n; i++) {
		int v = b64_table[(unsigned char)in[i]];

		if (v >= 0) {
			acc = (acc << 6) | (unsigned long)v;
			if (++have < 4)
				continue;
			if ((st = chunk_reserve(&c, 3)) != MW_OK)
				return st;
			c.data[c.n++] = (unsigned char)(acc >> 16);
			c.data[c.n++] = (unsigned char)(acc >> 8);
			c.data[c.n++] = (unsigned char)acc;
			acc = 0;
			have = 0;
		} else if (v == B64_PAD && have >= 2) {
			/* A real pad ends the data; a stray '=' at the start
			 * of a quantum is junk and skipped like any other. */
			break;
		}
	}
	st = b64_flush_partial(&c, acc, have);
	if (st != MW_OK)
		return st;
	return chunk_flush(&c);
}

/* -- quoted-printable ------------------------------------------------ */

/* Bytes that interrupt a run of literal text. */
enum { QP_PLAIN = 0, QP_EQ, QP_CR, QP_LF, QP_WSP, QP_UNDERSCORE };

static const unsigned char qp_class[256] = {
    ['='] = QP_EQ,  ['\r'] = QP_CR,  ['\n'] = QP_LF,
    [' '] = QP_WSP, ['\t'] = QP_WSP, ['_'] = QP_UNDERSCORE,
};

/* Length of the line ending at in[i] (CRLF, LF or CR), or 0 if none. */
static size_t eol_len(const char *in, size_t n, size_t i)
{
	if (i >= n)
		return 0;
	if (in[i] == '\n')
		return 1;
	if (in[i] == '\r')
		return (i + 1 < n && in[i + 1] == '\n') ? 2 : 1;
	return 0;
}

/* After a '=' at in[i]: if only white space and a line end (or the end of
 * input) follow, the offset just past them (a soft line break); else 0. */
static size_t qp_soft_break_end(const char *in, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && mw_is_wsp((unsigned char)in[j]))
		j++;
	if (j == n)
		return j;
	size_t e = eol_len(in, n, j);
	return e ? j + e : 0;
}

/* RFC 2045 rule 3: white space at the end of a line was added in transit
 * and is dropped; white space before more text is kept. Returns the offset
 * after the run starting at in[i]. */
static size_t qp_wsp_run(chunk_out *c, const char *in, size_t n, size_t i,
			 mw_status *st)
{
	size_t j = i;

	while (j < n && mw_is_wsp((unsigned char)in[j]))
		j++;
	if (j == n || eol_len(in, n, j) > 0)
		return j;
	*st = chunk_write(c, in + i, j - i);
	return j;
}

/* "=XX" at in[i] gives the byte; else -1. */
static int qp_hex_pair(const char *in, size_t n, size_t i)
{
	if (n - i < 3)
		return -1;
	int hi = mw_hexval((unsigned char)in[i + 1]);
	int lo = mw_hexval((unsigned char)in[i + 2]);

	if (hi < 0 || lo < 0)
		return -1;
	return (hi << 4) | lo;
}

mw_status mw_qp_decode(const char *in, size_t n, bool header_q, mw_buf *out)
{
	chunk_out c = {.out = out, .n = 0};
	mw_status st = MW_OK;
	size_t i = 0;

	while (i < n && st == MW_OK) {
		size_t start = i;

		while (i < n && qp_class[(unsigned char)in[i]] == QP_PLAIN)
			i++;
		if (i > start &&
		    (st = chunk_write(&c, in + start, i - start)) != MW_OK)
			break;
		if (i >= n)
			break;

		unsigned char ch = (unsigned char)in[i];
		int cls = qp_class[ch];
		int byte;

		if (cls == QP_EQ) {
			byte = qp_hex_pair(in, n, i);
			if (byte >= 0) {
				st = chunk_put(&c, (unsigned char)byte);
				i += 3;
				continue;
			}
			size_t soft =
			    header_q ? 0 : qp_soft_break_end(in, n, i);
			if (soft) {
				i = soft;
				continue;
			}
			st = chunk_put(&c, '=');
			i++;
		} else if (header_q) {
			st = chunk_put(&c, cls == QP_UNDERSCORE ? ' ' : ch);
			i++;
		} else if (cls == QP_CR || cls == QP_LF) {
			st = chunk_put(&c, '\n');
			i += eol_len(in, n, i);
		} else if (cls == QP_WSP) {
			i = qp_wsp_run(&c, in, n, i, &st);
		} else {
			st = chunk_put(&c, ch); /* '_' outside Q encoding */
			i++;
		}
	}
	if (st != MW_OK)
		return st;
	return chunk_flush(&c);
}
