/*
 * decoder.h - a bounded push decoder for the commands an MTA sends to a
 * milter.
 *
 * Contract: the session feeds the bytes it reads, in chunks split
 * anywhere (one byte at a time works), and takes parsed commands out one
 * at a time:
 *
 *	while (n > 0) {
 *		size_t took = mw_milter_feed(d, p, n);
 *		p += took, n -= took;
 *		while ((r = mw_milter_next(d, &cmd)) != MW_MILTER_MORE &&
 *		       r != MW_MILTER_ERROR)
 *			handle(r, &cmd);
 *		if (r == MW_MILTER_ERROR)
 *			close the connection;
 *	}
 *	at end of input: mw_milter_decoder_eof(d) says whether the peer
 *	stopped between frames (MW_MILTER_DONE) or inside one
 *	(MW_MILTER_INCOMPLETE).
 *
 * Memory: the decoder copies what it is fed into one capped buffer of at
 * most MW_MILTER_BUFFER_MAX bytes (one frame of MW_MILTER_FRAME_MAX and a
 * length), so mw_milter_feed() may take fewer bytes than offered while
 * commands wait to be taken; once mw_milter_next() has returned
 * MW_MILTER_MORE it takes at least one byte. A drained buffer larger than
 * MW_MILTER_BUFFER_KEEP is released. Nothing else is allocated.
 *
 * Lifetime: every view in a mw_milter_cmd (the mw_str fields, the body
 * chunk, the lists) points into the decoder's buffer and stays valid
 * until the next mw_milter_feed(), mw_milter_decoder_reset() or
 * mw_milter_decoder_free(); mw_milter_next() moves nothing, so all the
 * commands taken since the last feed stay readable together. A session
 * that needs a value longer (a macro, the sender) copies it. Every string
 * view is followed by a NUL in the buffer (s.p[s.n] == '\0') and holds no
 * NUL itself; body chunks are raw bytes.
 *
 * Errors, two kinds:
 *   - a broken frame (length 0, length over MW_MILTER_FRAME_MAX): the
 *     stream cannot be followed any further (nor when the buffer cannot
 *     grow: MW_MILTER_E_NOMEM). Commands of the frames before
 *     it are still given out, then mw_milter_next() returns
 *     MW_MILTER_ERROR for good and mw_milter_feed() takes nothing more;
 *     the bytes of the broken frame after its length are never taken. The
 *     session closes the connection and Postfix applies its
 *     milter_default_action.
 *   - a whole frame whose payload is wrong (a string without its NUL, an
 *     odd macro list, too many macros, bytes left over, a short OPTNEG) or
 *     whose command byte the protocol does not define: the frame is
 *     skipped, reported (MW_MILTER_MALFORMED, MW_MILTER_UNRECOGNISED) with
 *     its command byte and raw payload, and decoding goes on with the next
 *     frame. The session decides (ignore a bad macro list, refuse the
 *     rest).
 * mw_milter_decoder_error() names the last error either way.
 */
#ifndef MW_MILTER_DECODER_H
#define MW_MILTER_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "milter/protocol.h"

typedef enum mw_milter_result {
	MW_MILTER_MORE = 0,	/* no whole frame buffered: feed more */
	MW_MILTER_CMD,		/* a well-formed command in *cmd */
	MW_MILTER_UNRECOGNISED, /* a frame with a command byte we don't know */
	MW_MILTER_MALFORMED,	/* a known command with a bad payload */
	MW_MILTER_ERROR,	/* broken framing: the decoder has stopped */
	MW_MILTER_DONE,		/* eof between frames */
	MW_MILTER_INCOMPLETE,	/* eof inside a frame */
} mw_milter_result;

typedef enum mw_milter_error {
	MW_MILTER_E_NONE = 0,
	MW_MILTER_E_ZERO_LENGTH, /* frame length 0: not even a command byte */
	MW_MILTER_E_TOO_LONG,	 /* frame length over MW_MILTER_FRAME_MAX */
	MW_MILTER_E_TRUNCATED,	 /* the input ended inside a frame */
	MW_MILTER_E_SHORT,	 /* payload shorter than its fixed fields */
	MW_MILTER_E_NO_NUL,	 /* a string runs to the end without a NUL */
	MW_MILTER_E_TRAILING,	 /* bytes after the last field */
	MW_MILTER_E_ODD_MACROS,	 /* a macro name without a value */
	MW_MILTER_E_TOO_MANY,	 /* over MW_MILTER_MACROS_MAX/_ARGS_MAX */
	MW_MILTER_E_NO_ARGS,	 /* MAIL/RCPT without an address */
	MW_MILTER_E_FAMILY,	 /* CONNECT with an unknown address family */
	MW_MILTER_E_UNKNOWN_CMD, /* a command byte the protocol lacks */
	MW_MILTER_E_NOMEM,	 /* the buffer could not grow: broken */
} mw_milter_error;

/* A list of NUL-terminated strings as it came: walk it with
 * mw_milter_list_next(). The decoder has checked every NUL and the count;
 * `bytes` includes the last NUL. */
typedef struct mw_milter_list {
	const char *p;
	size_t bytes;
	size_t count; /* strings (for macros: names and values together) */
} mw_milter_list;

typedef struct mw_milter_cmd {
	unsigned char code; /* the command byte (MW_SMFIC_* when known) */
	union {
		/* OPTNEG: what the MTA offers. */
		mw_milter_opts optneg;
		/* MACRO: the command the macros go with, and name/value pairs
		 * (count is twice the pairs). */
		struct {
			unsigned char for_cmd;
			mw_milter_list pairs;
		} macro;
		/* CONNECT: port 0 and an empty address for MW_SMFIA_UNKNOWN. */
		struct {
			mw_str hostname;
			unsigned char family; /* MW_SMFIA_* */
			uint16_t port;
			mw_str address;
		} connect;
		/* HELO: the name the client gave. */
		mw_str helo;
		/* MAIL and RCPT: the address as sent ("<a@b>") and the ESMTP
		 * arguments ("SIZE=123"), possibly none. */
		struct {
			mw_str addr;
			mw_milter_list args;
		} envelope;
		/* HEADER: name and value; the value lost the one space after
		 * the colon unless MW_SMFIP_HDR_LEADSPC was agreed, and a
		 * folded value has its line breaks as "\n". */
		struct {
			mw_str name;
			mw_str value;
		} header;
		/* BODY, and EOB when the MTA sends a last chunk with it
		 * (Sendmail may; Postfix sends EOB empty). */
		struct {
			const unsigned char *p;
			size_t n;
		} body;
		/* UNKNOWN: the SMTP command line the MTA did not know. */
		mw_str unknown;
		/* MW_MILTER_UNRECOGNISED and MW_MILTER_MALFORMED: the payload.
		 */
		struct {
			const unsigned char *p;
			size_t n;
		} raw;
	} u;
} mw_milter_cmd;

typedef struct mw_milter_decoder {
	mw_buf buf;	       /* fed bytes; [pos, scan) are whole frames */
	size_t pos;	       /* start of the next frame to give out */
	size_t scan;	       /* start of the first frame not yet whole */
	mw_milter_error error; /* last error, E_NONE if none */
	int broken;	       /* framing broken: nothing more is taken */
} mw_milter_decoder;

void mw_milter_decoder_init(mw_milter_decoder *d);
void mw_milter_decoder_free(mw_milter_decoder *d);
/* Forget everything buffered and any error (a new connection). */
void mw_milter_decoder_reset(mw_milter_decoder *d);

/* Take up to n bytes; returns how many were taken (0 once broken). */
size_t mw_milter_feed(mw_milter_decoder *d, const void *p, size_t n);

/* The next command, if a whole frame is buffered. *cmd is written for
 * MW_MILTER_CMD, MW_MILTER_UNRECOGNISED and MW_MILTER_MALFORMED. */
mw_milter_result mw_milter_next(mw_milter_decoder *d, mw_milter_cmd *cmd);

/* The input has ended: MW_MILTER_DONE if it ended between frames,
 * MW_MILTER_INCOMPLETE if inside one (the decoder is then broken, with
 * MW_MILTER_E_TRUNCATED), MW_MILTER_ERROR if it was already broken.
 * Whole frames not yet taken are still given out by mw_milter_next(). */
mw_milter_result mw_milter_decoder_eof(mw_milter_decoder *d);

/* The last error, and its name for logs. */
mw_milter_error mw_milter_decoder_error(const mw_milter_decoder *d);
const char *mw_milter_error_str(mw_milter_error e);

/* Walk a list: *pos starts at 0; returns false after the last string. */
bool mw_milter_list_next(const mw_milter_list *l, size_t *pos, mw_str *s);

/* Walk a MACRO command's pairs: *pos starts at 0. */
bool mw_milter_macro_next(const mw_milter_cmd *cmd, size_t *pos, mw_str *name,
			  mw_str *value);

/* The value of macro `name` ("{auth_authen}", "i") in a MACRO command, or
 * false if the MTA did not send it. Linear: the list is bounded. */
bool mw_milter_macro_get(const mw_milter_cmd *cmd, const char *name,
			 mw_str *value);

#endif
