/*
 * fuzz_milter.c - the milter decoder as the session drives it: bytes fed
 * in pieces of varying size, commands taken out until an error or the
 * end, every view checked against the decoder's contract, and the strings
 * it returns handed to the encoder (which must refuse or frame them, never
 * break).
 *
 * Input: byte 0 says how many of the next bytes (0-7) plan the piece
 * sizes, cycled (a plan byte of 0 feeds all that is left); the rest is the
 * MTA's stream.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "milter/decoder.h"
#include "milter/encoder.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Options wide enough that every encoder path is reachable. */
static const mw_milter_opts all_opts = {MW_MILTER_VERSION, MW_SMFIF_ALL,
					MW_SMFIP_ALL};

static const mw_milter_decoder *cur; /* for the in-buffer checks */

static void require_in_buffer(const void *p, size_t n)
{
	const char *lo = cur->buf.data, *q = p;
	FUZZ_REQUIRE(lo != NULL);
	FUZZ_REQUIRE(q >= lo && n <= cur->buf.len &&
		     (size_t)(q - lo) <= cur->buf.len - n);
}

/* A string view: in the buffer, no NUL inside, a NUL right after. */
static void check_str(mw_str s)
{
	require_in_buffer(s.p, s.n + 1);
	FUZZ_REQUIRE(memchr(s.p, '\0', s.n) == NULL);
	FUZZ_REQUIRE(s.p[s.n] == '\0');
}

static void check_list(const mw_milter_list *l, size_t max)
{
	FUZZ_REQUIRE(l->count <= max);
	if (l->bytes)
		require_in_buffer(l->p, l->bytes);
	size_t pos = 0, seen = 0;
	mw_str s;
	while (mw_milter_list_next(l, &pos, &s)) {
		check_str(s);
		FUZZ_REQUIRE(++seen <= l->count);
	}
	FUZZ_REQUIRE(seen == l->count);
}

/* An encoder result: nothing added on failure, one whole frame on
 * success. */
static void check_frame(mw_buf *out, mw_status st, unsigned char code)
{
	if (st != MW_OK) {
		FUZZ_REQUIRE(st == MW_EINVAL || st == MW_ETOOBIG ||
			     st == MW_ENOMEM);
		FUZZ_REQUIRE(out->len == 0);
		return;
	}
	FUZZ_REQUIRE(out->len >= 5);
	const unsigned char *u = (const unsigned char *)out->data;
	uint32_t len = (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
		       (uint32_t)u[2] << 8 | u[3];
	FUZZ_REQUIRE(len == out->len - 4 && len <= MW_MILTER_FRAME_MAX);
	FUZZ_REQUIRE(u[4] == code);
	mw_buf_reset(out);
}

static void encode_from(mw_buf *out, const mw_milter_cmd *c)
{
	switch (c->code) {
	case MW_SMFIC_HEADER:
		check_frame(out,
			    mw_milter_put_addheader(out, &all_opts,
						    c->u.header.name,
						    c->u.header.value),
			    MW_SMFIR_ADDHEADER);
		check_frame(out,
			    mw_milter_put_chgheader(out, &all_opts, 1,
						    c->u.header.name,
						    c->u.header.value),
			    MW_SMFIR_CHGHEADER);
		break;
	case MW_SMFIC_MAIL:
	case MW_SMFIC_RCPT:
		check_frame(out,
			    mw_milter_put_chgfrom(out, &all_opts,
						  c->u.envelope.addr,
						  c->u.envelope.addr),
			    MW_SMFIR_CHGFROM);
		check_frame(
		    out,
		    mw_milter_put_delrcpt(out, &all_opts, c->u.envelope.addr),
		    MW_SMFIR_DELRCPT);
		break;
	case MW_SMFIC_HELO:
		check_frame(
		    out,
		    mw_milter_put_replycode(out, "550", "5.7.1", c->u.helo),
		    MW_SMFIR_REPLYCODE);
		check_frame(out,
			    mw_milter_put_quarantine(out, &all_opts, c->u.helo),
			    MW_SMFIR_QUARANTINE);
		break;
	case MW_SMFIC_OPTNEG: {
		mw_milter_opts agreed;
		const mw_milter_opts want = {0, MW_MILTER_OUR_ACTIONS,
					     MW_MILTER_OUR_STEPS};
		mw_status st =
		    mw_milter_negotiate(&c->u.optneg, &want, &agreed);
		if (st == MW_EINVAL)
			break;
		FUZZ_REQUIRE((agreed.actions & ~want.actions) == 0);
		FUZZ_REQUIRE((agreed.protocol & ~want.protocol) == 0);
		FUZZ_REQUIRE(agreed.version <= MW_MILTER_VERSION);
		check_frame(out, mw_milter_put_optneg(out, &agreed, NULL),
			    MW_SMFIC_OPTNEG);
		break;
	}
	default:
		break;
	}
}

static void check_cmd(mw_milter_result r, const mw_milter_cmd *c)
{
	if (r != MW_MILTER_CMD) {
		FUZZ_REQUIRE(r == MW_MILTER_MALFORMED ||
			     r == MW_MILTER_UNRECOGNISED);
		FUZZ_REQUIRE(mw_milter_decoder_error(cur) != MW_MILTER_E_NONE);
		if (c->u.raw.n)
			require_in_buffer(c->u.raw.p, c->u.raw.n);
		FUZZ_REQUIRE(c->u.raw.n < MW_MILTER_FRAME_MAX);
		return;
	}
	FUZZ_REQUIRE(mw_milter_command_name(c->code) != NULL);
	switch (c->code) {
	case MW_SMFIC_MACRO:
		FUZZ_REQUIRE(c->u.macro.pairs.count % 2 == 0);
		check_list(&c->u.macro.pairs, 2 * MW_MILTER_MACROS_MAX);
		break;
	case MW_SMFIC_CONNECT:
		check_str(c->u.connect.hostname);
		check_str(c->u.connect.address);
		if (c->u.connect.family == MW_SMFIA_UNKNOWN)
			FUZZ_REQUIRE(c->u.connect.address.n == 0 &&
				     c->u.connect.port == 0);
		break;
	case MW_SMFIC_HELO:
		check_str(c->u.helo);
		break;
	case MW_SMFIC_MAIL:
	case MW_SMFIC_RCPT:
		check_str(c->u.envelope.addr);
		check_list(&c->u.envelope.args, MW_MILTER_ARGS_MAX - 1);
		break;
	case MW_SMFIC_HEADER:
		check_str(c->u.header.name);
		check_str(c->u.header.value);
		break;
	case MW_SMFIC_BODY:
	case MW_SMFIC_BODYEOB:
		if (c->u.body.n)
			require_in_buffer(c->u.body.p, c->u.body.n);
		FUZZ_REQUIRE(c->u.body.n < MW_MILTER_FRAME_MAX);
		break;
	case MW_SMFIC_UNKNOWN:
		check_str(c->u.unknown);
		break;
	default:
		break;
	}
}

/* Take out every buffered command; returns the last result. */
static mw_milter_result drain(mw_milter_decoder *d, mw_buf *out)
{
	mw_milter_cmd c;
	mw_milter_result r;
	while ((r = mw_milter_next(d, &c)) != MW_MILTER_MORE &&
	       r != MW_MILTER_ERROR) {
		check_cmd(r, &c);
		encode_from(out, &c);
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t nplan = data[0] % 8;
	if (nplan >= size)
		nplan = size - 1;
	const uint8_t *plan = data + 1;
	const uint8_t *p = data + 1 + nplan;
	size_t n = size - 1 - nplan;

	mw_milter_decoder d;
	mw_milter_decoder_init(&d);
	cur = &d;
	mw_buf out;
	mw_buf_init(&out, FUZZ_BUF_MAX);

	mw_milter_result r = MW_MILTER_MORE;
	for (size_t piece = 0; n > 0 && r != MW_MILTER_ERROR; piece++) {
		size_t want = nplan ? plan[piece % nplan] : 0;
		if (want == 0 || want > n)
			want = n;
		size_t took = mw_milter_feed(&d, p, want);
		/* After MORE the decoder always makes room. */
		FUZZ_REQUIRE(took > 0 || d.broken);
		FUZZ_REQUIRE(took <= want);
		FUZZ_REQUIRE(d.buf.len <= MW_MILTER_BUFFER_MAX);
		p += took;
		n -= took;
		r = drain(&d, &out);
	}

	mw_milter_result end = mw_milter_decoder_eof(&d);
	if (r == MW_MILTER_ERROR)
		FUZZ_REQUIRE(end == MW_MILTER_ERROR);
	else
		FUZZ_REQUIRE(end == MW_MILTER_DONE ||
			     end == MW_MILTER_INCOMPLETE);
	/* Anything still whole is given out, then the stop is final. */
	r = drain(&d, &out);
	FUZZ_REQUIRE(
	    r == (end == MW_MILTER_DONE ? MW_MILTER_MORE : MW_MILTER_ERROR));
	FUZZ_REQUIRE(mw_milter_feed(&d, "x", 1) == (end == MW_MILTER_DONE));

	mw_buf_free(&out);
	mw_milter_decoder_free(&d);
	cur = NULL;
	return 0;
}
