/*
 * mime_mailwarden.c - the MIME benchmark's mailwarden side: mw_mime_parse
 * of each message into a fresh arena (as the daemon does), then a walk of
 * every part reading its type and charset; with --decode, every text/ leaf
 * converted to UTF-8 (mw_mime_text_utf8). See bench/README.md.
 */
#include <stdio.h>

#include "bench_main.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/mime.h"

static mw_buf text; /* reused, as a long-running reader would */

void bench_parse(const char *msg, size_t len, bool decode, bench_tally *t)
{
	mw_arena a;
	mw_arena_init(&a, MW_PARSE_MEMORY_MAX);
	mw_mime_part *root = NULL;
	mw_status st = mw_mime_parse(&a, msg, len, &root);
	if (st != MW_OK && st != MW_ETRUNCATED) {
		t->failures++;
		mw_arena_free(&a);
		return;
	}
	for (mw_mime_part *p = root; p; p = mw_mime_walk(root, p)) {
		t->parts++;
		const char *charset = mw_mime_param(p, "charset");
		if (p->type[0] == 0 || p->subtype[0] == 0 || charset == msg)
			t->failures++; /* never: keeps the reads */
		if (decode && !p->child && mw_mime_is(p, "text", NULL)) {
			mw_buf_reset(&text);
			(void)mw_mime_text_utf8(p, &text);
			t->text_bytes += text.len;
		}
	}
	mw_arena_free(&a);
}

int main(int argc, char **argv)
{
	mw_buf_init(&text, MW_MESSAGE_MAX);
	int rc = bench_main("mailwarden", argc, argv);
	mw_buf_free(&text);
	return rc;
}
