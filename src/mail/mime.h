/*
 * mime.h - the MIME structure of a message, as a tree of parts.
 *
 * Contract: mw_mime_parse() splits msg[0..len) into a tree. Every part has
 * its header section, its content type (lower-cased, "text/plain" when
 * absent or unparsable, as RFC 2045 says; "message/rfc822" as the default
 * inside multipart/digest), its parameters (RFC 2231 continuations and
 * charset-encoded values joined and decoded to UTF-8) and its body, still in
 * its transfer encoding, as a slice of the input. Multiparts have their
 * parts as children; message/rfc822 and message/global parts have one
 * child, the enclosed message, parsed from the body (decoded first if it
 * was base64 or quoted-printable, into the arena). text/rfc822-headers
 * stays a leaf: its body is a header section, read with mw_headers_parse.
 * Bodies are not decoded while the tree is built; that happens on request.
 *
 * Bounds and damage: at most MW_MIME_DEPTH_MAX levels and MW_MIME_PARTS_MAX
 * parts; deeper or further parts are left unsplit inside their parent's
 * body and the root is marked truncated. A boundary that never closes ends
 * its multipart at the end of the input. A multipart with no boundary
 * parameter, or whose boundary never appears, is treated as a leaf text
 * (its type and subtype become "text" and "plain"; its header keeps what
 * it claimed).
 * Parsing is linear in the input times the depth.
 */
#ifndef MW_MAIL_MIME_H
#define MW_MAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/status.h"
#include "mail/header.h"

typedef enum mw_cte {
	MW_CTE_7BIT = 0, /* also 8bit, binary and anything unknown */
	MW_CTE_BASE64,
	MW_CTE_QP,
} mw_cte;

/* (Named mw_mime_parameter, not mw_mime_param: a typedef and the function
 * mw_mime_param() below cannot share one name in C.) */
typedef struct mw_mime_parameter {
	const char *name;  /* lower-cased */
	const char *value; /* decoded to UTF-8 */
} mw_mime_parameter;

typedef struct mw_mime_part mw_mime_part;
struct mw_mime_part {
	mw_headers headers;
	const char *type;    /* "text", lower-cased */
	const char *subtype; /* "plain", lower-cased */
	mw_mime_parameter *params;
	size_t nparams;
	mw_cte cte;
	const char *body; /* raw body, still transfer-encoded */
	size_t body_len;
	unsigned depth;       /* 0 for the root */
	mw_mime_part *parent;
	mw_mime_part *child;  /* first child */
	mw_mime_part *next;   /* next sibling */
	bool truncated;       /* on the root: some bound was hit somewhere */
};

/* MW_OK, MW_ETRUNCATED (a bound was hit; the tree is usable) or MW_ENOMEM
 * (nothing usable). */
mw_status mw_mime_parse(mw_arena *a, const char *msg, size_t len,
			mw_mime_part **root);

/* Is the part of this type? ("message", "rfc822"); subtype NULL = any. */
bool mw_mime_is(const mw_mime_part *p, const char *type, const char *subtype);
/* A Content-Type parameter's decoded value, or NULL. */
const char *mw_mime_param(const mw_mime_part *p, const char *name);

/* Depth-first, document order: the part after p in the whole tree under
 * root, or NULL at the end. Start with p = root. */
mw_mime_part *mw_mime_walk(mw_mime_part *root, mw_mime_part *p);

/* Undo the transfer encoding of the part's body into out. Broken base64 is
 * decoded as far as it makes sense (bad characters skipped); broken
 * quoted-printable is kept literally. MW_ETOOBIG when out filled. */
mw_status mw_mime_decode_body(const mw_mime_part *p, mw_buf *out);
/* The body decoded and converted to UTF-8 from the part's charset (none,
 * or "us-ascii", is read leniently as UTF-8), with every line ending (CRLF,
 * LF, bare CR) turned into "\n" so that readers of text see one form. */
mw_status mw_mime_text_utf8(const mw_mime_part *p, mw_buf *out);

/* Read any parameterised field value ("attachment; filename*0*=...") the
 * way Content-Type parameters are read: *token gets its leading token,
 * lower-cased ("attachment"; NULL if none), *params its parameters.
 * MW_OK, MW_ETRUNCATED (more than MW_MIME_PARAMS_MAX) or MW_ENOMEM. */
mw_status mw_mime_field_params(mw_arena *a, const char *value, size_t n,
			       const char **token, mw_mime_parameter **params,
			       size_t *nparams);
/* The value of parameter `name` (case-insensitive) in such a list. */
const char *mw_mime_params_find(const mw_mime_parameter *params, size_t n,
				const char *name);
/* The part's file name, decoded to UTF-8: the Content-Disposition filename,
 * else the Content-Type name; NULL if neither. */
const char *mw_mime_filename(mw_arena *a, const mw_mime_part *p);

#endif
