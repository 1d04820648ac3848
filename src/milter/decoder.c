/*
 * decoder.c - framing and command parsing for the MTA-to-filter stream.
 *
 * Framing is checked as bytes arrive (frame_scan): each length is judged
 * the moment its four bytes are in, so a hostile length is refused before
 * a single byte of its payload is buffered. Parsing (parse_*) runs only on
 * whole frames, with a cursor that cannot step past the frame. Data moves
 * only in mw_milter_feed(), which is what lets every view handed out stay
 * put until the next feed.
 */
#include "milter/decoder.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/log.h"

/* -- the buffer and the framing ------------------------------------- */

void mw_milter_decoder_init(mw_milter_decoder *d)
{
	mw_buf_init(&d->buf, MW_MILTER_BUFFER_MAX);
	d->pos = 0;
	d->scan = 0;
	d->error = MW_MILTER_E_NONE;
	d->broken = 0;
}

void mw_milter_decoder_free(mw_milter_decoder *d)
{
	mw_buf_free(&d->buf);
	mw_milter_decoder_init(d);
}

void mw_milter_decoder_reset(mw_milter_decoder *d)
{
	mw_milter_decoder_free(d);
}

static uint32_t get_be32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	       (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

/* Drop the frames already given out, so the buffer starts at the next. A
 * big buffer with nothing left in it is released (MW_MILTER_BUFFER_KEEP). */
static void compact(mw_milter_decoder *d)
{
	if (d->pos == 0)
		return;
	size_t rest = d->buf.len - d->pos;
	if (rest == 0 && d->buf.alloc > MW_MILTER_BUFFER_KEEP) {
		mw_buf_free(&d->buf);
	} else {
		memmove(d->buf.data, d->buf.data + d->pos, rest);
		d->buf.len = rest;
		d->buf.data[rest] = '\0';
	}
	d->scan -= d->pos;
	d->pos = 0;
}

static void break_stream(mw_milter_decoder *d, mw_milter_error e)
{
	d->broken = 1;
	d->error = e;
}

/* Move d->scan past every whole frame and judge each length as soon as it
 * is complete. Returns how many buffered bytes to keep: all of them, or
 * up to the end of a bad length (what follows it is not ours to take). */
static size_t frame_scan(mw_milter_decoder *d)
{
	while (d->buf.len - d->scan >= MW_MILTER_LEN_BYTES) {
		uint32_t len = get_be32(d->buf.data + d->scan);
		if (len == 0 || len > MW_MILTER_FRAME_MAX) {
			break_stream(d, len == 0 ? MW_MILTER_E_ZERO_LENGTH
						 : MW_MILTER_E_TOO_LONG);
			return d->scan + MW_MILTER_LEN_BYTES;
		}
		if (d->buf.len - d->scan - MW_MILTER_LEN_BYTES < len)
			break;
		d->scan += MW_MILTER_LEN_BYTES + len;
	}
	return d->buf.len;
}

size_t mw_milter_feed(mw_milter_decoder *d, const void *p, size_t n)
{
	if (d->broken)
		return 0;
	compact(d);
	size_t room = d->buf.max - d->buf.len;
	size_t take = n < room ? n : room;
	if (take == 0)
		return 0;
	size_t before = d->buf.len;
	if (mw_buf_append(&d->buf, p, take) != MW_OK) {
		break_stream(d, MW_MILTER_E_NOMEM);
		return 0;
	}
	size_t keep = frame_scan(d);
	if (keep < d->buf.len) {
		MW_ASSERT(keep > before);
		d->buf.len = keep;
		d->buf.data[keep] = '\0';
	}
	return d->buf.len - before;
}

mw_milter_result mw_milter_decoder_eof(mw_milter_decoder *d)
{
	if (d->broken)
		return MW_MILTER_ERROR;
	if (d->buf.len > d->scan) {
		break_stream(d, MW_MILTER_E_TRUNCATED);
		return MW_MILTER_INCOMPLETE;
	}
	return MW_MILTER_DONE;
}

mw_milter_error mw_milter_decoder_error(const mw_milter_decoder *d)
{
	return d->error;
}

const char *mw_milter_error_str(mw_milter_error e)
{
	switch (e) {
	case MW_MILTER_E_NONE:
		return "no error";
	case MW_MILTER_E_ZERO_LENGTH:
		return "frame of length 0";
	case MW_MILTER_E_TOO_LONG:
		return "frame longer than the limit";
	case MW_MILTER_E_TRUNCATED:
		return "input ended inside a frame";
	case MW_MILTER_E_SHORT:
		return "payload too short";
	case MW_MILTER_E_NO_NUL:
		return "string without its NUL";
	case MW_MILTER_E_TRAILING:
		return "bytes after the last field";
	case MW_MILTER_E_ODD_MACROS:
		return "macro name without a value";
	case MW_MILTER_E_TOO_MANY:
		return "too many strings";
	case MW_MILTER_E_NO_ARGS:
		return "command without its address";
	case MW_MILTER_E_FAMILY:
		return "unknown address family";
	case MW_MILTER_E_UNKNOWN_CMD:
		return "unknown command byte";
	case MW_MILTER_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/* -- the payload ------------------------------------------------------ */

/* What is left of one frame's payload. */
typedef struct cursor {
	const char *p;
	size_t n;
} cursor;

static void skip(cursor *c, size_t k)
{
	c->p += k;
	c->n -= k;
}

static mw_milter_error take_u32(cursor *c, uint32_t *v)
{
	if (c->n < 4)
		return MW_MILTER_E_SHORT;
	*v = get_be32(c->p);
	skip(c, 4);
	return MW_MILTER_E_NONE;
}

static mw_milter_error take_u16(cursor *c, uint16_t *v)
{
	if (c->n < 2)
		return MW_MILTER_E_SHORT;
	const unsigned char *u = (const unsigned char *)c->p;
	*v = (uint16_t)(u[0] << 8 | u[1]);
	skip(c, 2);
	return MW_MILTER_E_NONE;
}

static mw_milter_error take_byte(cursor *c, unsigned char *v)
{
	if (c->n < 1)
		return MW_MILTER_E_SHORT;
	*v = (unsigned char)c->p[0];
	skip(c, 1);
	return MW_MILTER_E_NONE;
}

static mw_milter_error take_string(cursor *c, mw_str *s)
{
	if (c->n == 0)
		return MW_MILTER_E_SHORT;
	const char *nul = memchr(c->p, '\0', c->n);
	if (!nul)
		return MW_MILTER_E_NO_NUL;
	*s = mw_str_make(c->p, (size_t)(nul - c->p));
	skip(c, s->n + 1);
	return MW_MILTER_E_NONE;
}

/* The rest of the payload as NUL-terminated strings, at most max of them
 * (counting stops there, so a list of a million costs no more). */
static mw_milter_error take_list(cursor *c, mw_milter_list *l, size_t max)
{
	l->p = c->p;
	l->bytes = c->n;
	l->count = 0;
	if (c->n > 0 && c->p[c->n - 1] != '\0')
		return MW_MILTER_E_NO_NUL;
	const char *q = c->p, *end = c->p + c->n;
	while (q < end) {
		if (l->count == max)
			return MW_MILTER_E_TOO_MANY;
		const char *nul = memchr(q, '\0', (size_t)(end - q));
		MW_ASSERT(nul != NULL); /* the last byte is a NUL */
		l->count++;
		q = nul + 1;
	}
	skip(c, c->n);
	return MW_MILTER_E_NONE;
}

static mw_milter_error expect_end(const cursor *c)
{
	return c->n == 0 ? MW_MILTER_E_NONE : MW_MILTER_E_TRAILING;
}

/* Evaluate a step; leave with its error if it failed. */
#define TRY(step)                                                              \
	do {                                                                   \
		mw_milter_error e_ = (step);                                   \
		if (e_ != MW_MILTER_E_NONE)                                    \
			return e_;                                             \
	} while (0)

static mw_milter_error parse_optneg(cursor *c, mw_milter_cmd *cmd)
{
	TRY(take_u32(c, &cmd->u.optneg.version));
	TRY(take_u32(c, &cmd->u.optneg.actions));
	TRY(take_u32(c, &cmd->u.optneg.protocol));
	return expect_end(c);
}

static mw_milter_error parse_macro(cursor *c, mw_milter_cmd *cmd)
{
	TRY(take_byte(c, &cmd->u.macro.for_cmd));
	TRY(take_list(c, &cmd->u.macro.pairs, 2 * MW_MILTER_MACROS_MAX));
	if (cmd->u.macro.pairs.count % 2 != 0)
		return MW_MILTER_E_ODD_MACROS;
	return MW_MILTER_E_NONE;
}

static mw_milter_error parse_connect(cursor *c, mw_milter_cmd *cmd)
{
	mw_str *host = &cmd->u.connect.hostname;
	TRY(take_string(c, host));
	/* Without an address, an empty view on the host name's NUL. */
	cmd->u.connect.address = mw_str_make(host->p + host->n, 0);
	cmd->u.connect.port = 0;
	TRY(take_byte(c, &cmd->u.connect.family));
	switch (cmd->u.connect.family) {
	case MW_SMFIA_UNKNOWN:
		return expect_end(c);
	case MW_SMFIA_UNIX:
	case MW_SMFIA_INET:
	case MW_SMFIA_INET6:
		TRY(take_u16(c, &cmd->u.connect.port));
		TRY(take_string(c, &cmd->u.connect.address));
		return expect_end(c);
	default:
		return MW_MILTER_E_FAMILY;
	}
}

static mw_milter_error parse_one_string(cursor *c, mw_str *s)
{
	TRY(take_string(c, s));
	return expect_end(c);
}

/* MAIL and RCPT: the address, then its ESMTP arguments. */
static mw_milter_error parse_envelope(cursor *c, mw_milter_cmd *cmd)
{
	mw_milter_list all;
	TRY(take_list(c, &all, MW_MILTER_ARGS_MAX));
	if (all.count == 0)
		return MW_MILTER_E_NO_ARGS;
	cursor first = {all.p, all.bytes};
	TRY(take_string(&first, &cmd->u.envelope.addr));
	cmd->u.envelope.args =
	    (mw_milter_list){first.p, first.n, all.count - 1};
	return MW_MILTER_E_NONE;
}

static mw_milter_error parse_header(cursor *c, mw_milter_cmd *cmd)
{
	TRY(take_string(c, &cmd->u.header.name));
	TRY(take_string(c, &cmd->u.header.value));
	return expect_end(c);
}

static mw_milter_error parse_body(cursor *c, mw_milter_cmd *cmd)
{
	cmd->u.body.p = (const unsigned char *)c->p;
	cmd->u.body.n = c->n;
	skip(c, c->n);
	return MW_MILTER_E_NONE;
}

static mw_milter_error parse_payload(cursor *c, mw_milter_cmd *cmd)
{
	switch (cmd->code) {
	case MW_SMFIC_OPTNEG:
		return parse_optneg(c, cmd);
	case MW_SMFIC_MACRO:
		return parse_macro(c, cmd);
	case MW_SMFIC_CONNECT:
		return parse_connect(c, cmd);
	case MW_SMFIC_HELO:
		return parse_one_string(c, &cmd->u.helo);
	case MW_SMFIC_MAIL:
	case MW_SMFIC_RCPT:
		return parse_envelope(c, cmd);
	case MW_SMFIC_HEADER:
		return parse_header(c, cmd);
	case MW_SMFIC_BODY:
	case MW_SMFIC_BODYEOB:
		return parse_body(c, cmd);
	case MW_SMFIC_UNKNOWN:
		return parse_one_string(c, &cmd->u.unknown);
	case MW_SMFIC_DATA:
	case MW_SMFIC_EOH:
	case MW_SMFIC_ABORT:
	case MW_SMFIC_QUIT:
	case MW_SMFIC_QUIT_NC:
		return expect_end(c);
	default:
		return MW_MILTER_E_UNKNOWN_CMD;
	}
}

mw_milter_result mw_milter_next(mw_milter_decoder *d, mw_milter_cmd *cmd)
{
	if (d->pos >= d->scan)
		return d->broken ? MW_MILTER_ERROR : MW_MILTER_MORE;

	const char *frame = d->buf.data + d->pos;
	uint32_t len = get_be32(frame);
	d->pos += MW_MILTER_LEN_BYTES + len;

	cursor c = {frame + MW_MILTER_LEN_BYTES + 1, len - 1};
	memset(cmd, 0, sizeof *cmd);
	cmd->code = (unsigned char)frame[MW_MILTER_LEN_BYTES];
	mw_milter_error e = parse_payload(&c, cmd);
	if (e == MW_MILTER_E_NONE)
		return MW_MILTER_CMD;

	d->error = e;
	cmd->u.raw.p = (const unsigned char *)frame + MW_MILTER_LEN_BYTES + 1;
	cmd->u.raw.n = len - 1;
	return e == MW_MILTER_E_UNKNOWN_CMD ? MW_MILTER_UNRECOGNISED
					    : MW_MILTER_MALFORMED;
}

/* -- lists ------------------------------------------------------------ */

bool mw_milter_list_next(const mw_milter_list *l, size_t *pos, mw_str *s)
{
	if (*pos >= l->bytes)
		return false;
	const char *start = l->p + *pos;
	const char *nul = memchr(start, '\0', l->bytes - *pos);
	if (!nul)
		return false; /* not a list the decoder checked */
	*s = mw_str_make(start, (size_t)(nul - start));
	*pos += s->n + 1;
	return true;
}

bool mw_milter_macro_next(const mw_milter_cmd *cmd, size_t *pos, mw_str *name,
			  mw_str *value)
{
	if (cmd->code != MW_SMFIC_MACRO)
		return false;
	const mw_milter_list *l = &cmd->u.macro.pairs;
	return mw_milter_list_next(l, pos, name) &&
	       mw_milter_list_next(l, pos, value);
}

bool mw_milter_macro_get(const mw_milter_cmd *cmd, const char *name,
			 mw_str *value)
{
	mw_str want = mw_str_from_cstr(name);
	size_t pos = 0;
	mw_str n, v;
	while (mw_milter_macro_next(cmd, &pos, &n, &v)) {
		if (mw_str_eq(n, want)) {
			*value = v;
			return true;
		}
	}
	return false;
}
