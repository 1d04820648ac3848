/*
 * mime_param.h - reading Content-Type and Content-Transfer-Encoding values
 * (internal to the MIME parser; callers use mime.h).
 *
 * Contract: mw_mime_ctype_parse() reads "type/subtype; name=value ..." the
 * way real mail writes it, not only the way RFC 2045 does: comments
 * anywhere, parameters without the ';' before them, values that should
 * have been quoted (spaces, '=' in boundaries), an unterminated quoted
 * string (it runs to the end), duplicate names (the first wins; an RFC 2231
 * form wins over a plain one), RFC 2231 continuations and charset'lang'
 * %XX values joined and converted to UTF-8, and RFC 2047 encoded words
 * inside values. The boundary parameter is kept byte for byte: it is
 * compared with the body, not shown to anyone. At most MW_MIME_PARAMS_MAX
 * segments are read; past that `truncated` is set.
 */
#ifndef MW_MAIL_MIME_PARAM_H
#define MW_MAIL_MIME_PARAM_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/status.h"
#include "mail/mime.h"

typedef struct mw_mime_ctype {
	const char *type;    /* lower-cased; NULL when missing or unparsable */
	const char *subtype; /* lower-cased; NULL with type */
	mw_mime_parameter *params;
	size_t nparams;
	bool truncated; /* more than MW_MIME_PARAMS_MAX parameter segments */
} mw_mime_ctype;

/* MW_OK, MW_ETRUNCATED (out usable) or MW_ENOMEM. */
mw_status mw_mime_ctype_parse(mw_arena *a, const char *v, size_t n,
			      mw_mime_ctype *out);

/* The transfer encoding named by a Content-Transfer-Encoding value. */
mw_cte mw_mime_cte_parse(const char *v, size_t n);

#endif
