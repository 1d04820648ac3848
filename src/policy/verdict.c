/*
 * verdict.c - a verdict's life: an empty CONTINUE with its own arena.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/limits.h"
#include "policy/verdict.h"

void mw_verdict_init(mw_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->kind = MW_VERDICT_CONTINUE;
	mw_arena_init(&v->arena, MW_SHIELD_VERDICT_MEMORY);
}

void mw_verdict_free(mw_verdict *v)
{
	mw_arena_free(&v->arena);
	mw_verdict_init(v);
}

/* -- replies ---------------------------------------------------------- */

mw_status mw_verdict_vreply(mw_verdict *v, mw_verdict_kind kind,
			    const char *code, const char *xcode,
			    const char *reason, const char *fmt, va_list ap)
{
	char raw[1024];
	vsnprintf(raw, sizeof raw, fmt, ap);
	char text[MW_VERDICT_REPLY_ROOM + 1];
	size_t n = 0, cost = 0;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		size_t c = *p == '%' ? 2 : 1; /* the encoder doubles '%' */
		if (cost + c > MW_VERDICT_REPLY_ROOM)
			break;
		text[n++] = *p >= 0x20 && *p < 0x7f ? (char)*p : '?';
		cost += c;
	}
	text[n] = '\0';
	v->kind = kind;
	snprintf(v->code, sizeof v->code, "%s", code ? code : "");
	snprintf(v->xcode, sizeof v->xcode, "%s", xcode ? xcode : "");
	v->reason = reason;
	v->text = mw_arena_strdup(&v->arena, text);
	return v->text ? MW_OK : MW_ENOMEM;
}

mw_status mw_verdict_reply_local(mw_verdict *v, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	const unsigned char *p = (const unsigned char *)raw;
	size_t n = 0, cost = 0;
	while (p[n]) {
		if (p[n] < 0x20 || p[n] == 0x7f)
			return MW_OK; /* no line at all rather than a broken one
				       */
		size_t len = p[n] < 0x80   ? 1
			     : p[n] < 0xe0 ? 2
			     : p[n] < 0xf0 ? 3
					   : 4;
		size_t c = len + (p[n] == '%');
		if (cost + c > MW_VERDICT_REPLY_ROOM)
			break;
		n += len;
		cost += c;
	}
	raw[n] = '\0';
	v->text_local = n ? mw_arena_strdup(&v->arena, raw) : NULL;
	return MW_OK;
}
