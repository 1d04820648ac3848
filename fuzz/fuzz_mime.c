/*
 * fuzz_mime.c - the MIME tree, as the bounce analyser and the policy
 * engine walk it: parse, visit every part in document order, and turn
 * every leaf into UTF-8 text (a header-section leaf into fields).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "mail/mime.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_part(const mw_mime_part *p, const mw_mime_part *root)
{
	FUZZ_REQUIRE(p->type != NULL && p->subtype != NULL);
	FUZZ_REQUIRE(p->type[0] != '\0' && p->subtype[0] != '\0');
	FUZZ_REQUIRE(fuzz_no_upper(p->type) && fuzz_no_upper(p->subtype));
	FUZZ_REQUIRE(p->depth <= MW_MIME_DEPTH_MAX);
	FUZZ_REQUIRE(p->nparams <= MW_MIME_PARAMS_MAX);
	FUZZ_REQUIRE(p->body != NULL || p->body_len == 0);
	FUZZ_REQUIRE(p->headers.count <= MW_HEADER_FIELDS_MAX);
	if (p == root)
		FUZZ_REQUIRE(p->parent == NULL && p->depth == 0);
	else
		FUZZ_REQUIRE(p->parent != NULL &&
			     p->depth == p->parent->depth + 1);
	for (const mw_mime_part *c = p->child; c; c = c->next)
		FUZZ_REQUIRE(c->parent == p);
	for (size_t i = 0; i < p->nparams; i++) {
		FUZZ_REQUIRE(p->params[i].name && p->params[i].value);
		FUZZ_REQUIRE(fuzz_no_upper(p->params[i].name));
		fuzz_require_utf8(p->params[i].value);
	}
	for (size_t i = 0; i < p->headers.count; i++)
		fuzz_touch(p->headers.fields[i].value);
	/* The parameter the text conversion will ask for. */
	fuzz_touch(mw_mime_param(p, "charset"));
	(void)mw_mime_is(p, "message", NULL);
}

/* What the policy engine reads of attachments: the file name, and the
 * disposition field's own parameters. */
static void read_disposition(mw_arena *a, const mw_mime_part *p)
{
	fuzz_require_utf8(mw_mime_filename(a, p));
	const mw_header_field *cd =
	    mw_headers_find(&p->headers, "Content-Disposition");
	if (!cd)
		return;
	const char *token = NULL;
	mw_mime_parameter *params = NULL;
	size_t n = 0;
	mw_status st = mw_mime_field_params(a, cd->value, cd->value_len, &token,
					    &params, &n);
	if (st != MW_OK && st != MW_ETRUNCATED)
		return;
	FUZZ_REQUIRE(n <= MW_MIME_PARAMS_MAX);
	FUZZ_REQUIRE(fuzz_no_upper(token));
	for (size_t i = 0; i < n; i++)
		fuzz_require_utf8(params[i].value);
	fuzz_touch(mw_mime_params_find(params, n, "filename"));
}

static void read_leaf(mw_arena *a, const mw_mime_part *p, mw_buf *text)
{
	mw_buf_reset(text);
	mw_status st = mw_mime_text_utf8(p, text);
	FUZZ_REQUIRE(st == MW_OK || st == MW_ETOOBIG);
	FUZZ_REQUIRE(text->len <= FUZZ_BUF_MAX);
	if (st == MW_OK)
		FUZZ_REQUIRE(fuzz_utf8_valid(mw_buf_cstr(text), text->len));

	if (mw_mime_is(p, "text", "rfc822-headers")) {
		mw_headers h;
		(void)mw_headers_parse(a, p->body, p->body_len, &h);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mw_arena a;
	mw_arena_init(&a, FUZZ_ARENA_MAX);
	mw_buf text;
	mw_buf_init(&text, FUZZ_BUF_MAX);

	mw_mime_part *root = NULL;
	mw_status st = mw_mime_parse(&a, (const char *)data, size, &root);
	if (st == MW_OK || st == MW_ETRUNCATED) {
		FUZZ_REQUIRE(root != NULL);
		FUZZ_REQUIRE(root->truncated == (st == MW_ETRUNCATED));
		const char *in = (const char *)data;
		FUZZ_REQUIRE(root->body_len == 0 ||
			     (root->body >= in &&
			      root->body + root->body_len <= in + size));
		size_t parts = 0;
		for (mw_mime_part *p = root; p; p = mw_mime_walk(root, p)) {
			/* The walk must end: one visit per part at most. */
			FUZZ_REQUIRE(++parts <= MW_MIME_PARTS_MAX + 1);
			check_part(p, root);
			read_disposition(&a, p);
			if (!p->child)
				read_leaf(&a, p, &text);
		}
	} else {
		FUZZ_REQUIRE(st == MW_ENOMEM);
	}

	mw_buf_free(&text);
	mw_arena_free(&a);
	return 0;
}
