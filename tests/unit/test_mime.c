/*
 * test_mime.c - the MIME tree: splitting, enclosed messages, parameters,
 * decoding on request, and the bounds that hostile input runs into.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "mail/mime.h"

static mw_arena arena;

static int setup(void **state)
{
	(void)state;
	mw_arena_init(&arena, MW_PARSE_MEMORY_MAX);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mw_arena_free(&arena);
	return 0;
}

/* -- helpers --------------------------------------------------------- */

static mw_mime_part *parse_n(const char *msg, size_t n, mw_status want)
{
	mw_mime_part *root = NULL;
	mw_status st = mw_mime_parse(&arena, msg, n, &root);
	assert_int_equal(st, want);
	assert_non_null(root);
	return root;
}

static mw_mime_part *parse(const char *msg)
{
	return parse_n(msg, strlen(msg), MW_OK);
}

/* The tree as "depth type/subtype" entries in document order, joined with
 * '|': one string to compare shapes exactly. */
static const char *shape(mw_mime_part *root)
{
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	for (mw_mime_part *p = root; p; p = mw_mime_walk(root, p)) {
		if (p != root)
			mw_buf_putc(&b, '|');
		mw_buf_printf(&b, "%u %s/%s", p->depth, p->type, p->subtype);
	}
	char *s = mw_arena_strdup(&arena, mw_buf_cstr(&b));
	mw_buf_free(&b);
	return s;
}

static size_t count_parts(mw_mime_part *root)
{
	size_t n = 0;
	for (mw_mime_part *p = root; p; p = mw_mime_walk(root, p))
		n++;
	return n;
}

static unsigned max_depth(mw_mime_part *root)
{
	unsigned d = 0;
	for (mw_mime_part *p = root; p; p = mw_mime_walk(root, p))
		if (p->depth > d)
			d = p->depth;
	return d;
}

/* The n-th part in document order (0 = root). */
static mw_mime_part *nth(mw_mime_part *root, size_t n)
{
	mw_mime_part *p = root;
	while (p && n--)
		p = mw_mime_walk(root, p);
	assert_non_null(p);
	return p;
}

static const char *body(const mw_mime_part *p)
{
	return mw_arena_strndup(&arena, p->body, p->body_len);
}

static const char *decoded(const mw_mime_part *p)
{
	mw_buf b;
	mw_buf_init(&b, 1 << 24);
	assert_int_equal(mw_mime_decode_body(p, &b), MW_OK);
	char *s = mw_arena_strndup(&arena, mw_buf_cstr(&b), b.len);
	mw_buf_free(&b);
	return s;
}

static const char *text(const mw_mime_part *p)
{
	mw_buf b;
	mw_buf_init(&b, 1 << 24);
	assert_int_equal(mw_mime_text_utf8(p, &b), MW_OK);
	char *s = mw_arena_strndup(&arena, mw_buf_cstr(&b), b.len);
	mw_buf_free(&b);
	return s;
}

/* msg with every "\n" turned into eol. */
static char *with_eol(const char *msg, const char *eol)
{
	size_t el = strlen(eol), n = 0;
	for (const char *s = msg; *s; s++)
		n += *s == '\n' ? el : 1;
	char *out = mw_arena_alloc(&arena, n + 1);
	char *o = out;
	for (const char *s = msg; *s; s++) {
		if (*s == '\n') {
			memcpy(o, eol, el);
			o += el;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* -- single parts ---------------------------------------------------- */

static void test_single_part_keeps_type_charset_and_body(void **state)
{
	(void)state;
	mw_mime_part *r = parse("From: a@example.com\n"
				"Content-Type: Text/Plain; charset=\"UTF-8\"\n"
				"\n"
				"hello\n");
	assert_string_equal(shape(r), "0 text/plain");
	assert_string_equal(mw_mime_param(r, "charset"), "UTF-8");
	assert_string_equal(body(r), "hello\n");
	assert_int_equal(r->cte, MW_CTE_7BIT);
	assert_null(r->child);
	assert_false(r->truncated);
	assert_true(mw_mime_is(r, "text", "plain"));
	assert_true(mw_mime_is(r, "TEXT", NULL));
	assert_false(mw_mime_is(r, "text", "html"));
	assert_string_equal(mw_headers_get(&r->headers, "From"),
			    "a@example.com");
}

static void test_missing_content_type_defaults_to_text_plain(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Subject: x\n\nbody\n");
	assert_string_equal(shape(r), "0 text/plain");
	assert_int_equal(r->nparams, 0);
	assert_null(mw_mime_param(r, "charset"));
}

static void test_unparsable_content_type_defaults_to_text_plain(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: garbage; charset=koi8-r\n\nx");
	assert_string_equal(shape(r), "0 text/plain");
	/* the parameters after the broken type are still read */
	assert_string_equal(mw_mime_param(r, "charset"), "koi8-r");
}

static void test_transfer_encodings_are_recognised(void **state)
{
	(void)state;
	assert_int_equal(parse("Content-Transfer-Encoding: BASE64\n\n")->cte,
			 MW_CTE_BASE64);
	assert_int_equal(
	    parse("Content-Transfer-Encoding: Quoted-Printable (c)\n\n")->cte,
	    MW_CTE_QP);
	assert_int_equal(parse("Content-Transfer-Encoding: 8bit\n\n")->cte,
			 MW_CTE_7BIT);
	assert_int_equal(parse("Content-Transfer-Encoding: x-uue\n\n")->cte,
			 MW_CTE_7BIT);
}

/* -- multiparts ------------------------------------------------------ */

static void test_multipart_mixed_splits_three_parts(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("From: a@example.com\n"
		  "Content-Type: multipart/mixed; boundary=\"XX\"\n"
		  "\n"
		  "--XX\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "one\n"
		  "--XX\n"
		  "Content-Type: text/html\n"
		  "\n"
		  "<p>two</p>\n"
		  "--XX\n"
		  "Content-Type: application/octet-stream\n"
		  "Content-Transfer-Encoding: base64\n"
		  "\n"
		  "aGVsbG8=\n"
		  "--XX--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|1 text/plain|"
				      "1 text/html|1 application/octet-stream");
	assert_string_equal(body(nth(r, 1)), "one");
	assert_string_equal(body(nth(r, 2)), "<p>two</p>");
	assert_string_equal(body(nth(r, 3)), "aGVsbG8=");
	assert_string_equal(decoded(nth(r, 3)), "hello");
	assert_ptr_equal(nth(r, 2)->parent, r);
	assert_null(nth(r, 3)->next);
}

static void test_nested_alternative_inside_mixed(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=out\n"
				"\n"
				"--out\n"
				"Content-Type: multipart/alternative; "
				"boundary=\"alt\"\n"
				"\n"
				"--alt\n"
				"Content-Type: text/plain\n"
				"\n"
				"plain\n"
				"--alt\n"
				"Content-Type: text/html\n"
				"\n"
				"<b>html</b>\n"
				"--alt--\n"
				"--out\n"
				"Content-Type: image/png\n"
				"\n"
				"PNG\n"
				"--out--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|"
				      "1 multipart/alternative|"
				      "2 text/plain|2 text/html|1 image/png");
	assert_string_equal(body(nth(r, 2)), "plain");
	assert_string_equal(body(nth(r, 3)), "<b>html</b>");
	assert_string_equal(body(nth(r, 4)), "PNG");
}

static void
test_boundary_that_prefixes_inner_boundary_is_not_confused(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=abc\n"
				"\n"
				"--abc\n"
				"Content-Type: multipart/alternative; "
				"boundary=abcdef\n"
				"\n"
				"--abcdef\n"
				"\n"
				"a\n"
				"--abcdef\n"
				"\n"
				"b\n"
				"--abcdef--\n"
				"--abc--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|"
				      "1 multipart/alternative|"
				      "2 text/plain|2 text/plain");
	assert_string_equal(body(nth(r, 2)), "a");
	assert_string_equal(body(nth(r, 3)), "b");
}

static void test_boundary_with_trailing_whitespace(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"--B \t\n"
				"\n"
				"first\n"
				"--B  \n"
				"\n"
				"second\n"
				"--B-- \n"
				"epilogue\n");
	assert_string_equal(shape(r),
			    "0 multipart/mixed|1 text/plain|1 text/plain");
	assert_string_equal(body(nth(r, 1)), "first");
	assert_string_equal(body(nth(r, 2)), "second");
}

static void
test_line_with_boundary_and_more_text_is_not_a_delimiter(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"--B\n"
				"\n"
				"x --B\n"
				"--Bx\n"
				"--B--x\n"
				"--B--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|1 text/plain");
	assert_string_equal(body(nth(r, 1)), "x --B\n--Bx\n--B--x");
}

static void test_boundary_that_never_closes_ends_at_input_end(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"--B\n"
				"\n"
				"one\n"
				"--B\n"
				"\n"
				"two\n"
				"and more\n");
	assert_string_equal(shape(r),
			    "0 multipart/mixed|1 text/plain|1 text/plain");
	assert_string_equal(body(nth(r, 1)), "one");
	assert_string_equal(body(nth(r, 2)), "two\nand more\n");
	assert_false(r->truncated);
}

static void test_preamble_and_epilogue_are_ignored(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"This is a multi-part message in MIME format.\n"
				"--B is mentioned here but not as a line\n"
				"\n"
				"--B\n"
				"\n"
				"only\n"
				"--B--\n"
				"epilogue text\n"
				"--B\n"
				"\n"
				"not a part\n");
	assert_string_equal(shape(r), "0 multipart/mixed|1 text/plain");
	assert_string_equal(body(nth(r, 1)), "only");
}

static void test_empty_parts_between_adjacent_delimiters(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\n"
				"\n"
				"--B\n"
				"--B\n"
				"\n"
				"x\n"
				"--B--\n");
	assert_string_equal(shape(r),
			    "0 multipart/mixed|1 text/plain|1 text/plain");
	assert_int_equal(nth(r, 1)->body_len, 0);
	assert_string_equal(body(nth(r, 2)), "x");
}

static void test_missing_boundary_parameter_is_leaf_text(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed\n"
				"\n"
				"--B\n"
				"\n"
				"x\n"
				"--B--\n");
	assert_string_equal(shape(r), "0 text/plain");
	assert_string_equal(body(r), "--B\n\nx\n--B--\n");
	assert_false(r->truncated);
}

static void test_empty_boundary_parameter_is_leaf_text(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n");
	assert_string_equal(shape(r), "0 text/plain");
}

static void test_boundary_not_found_is_leaf_text(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=ZZ\n"
				"\n"
				"--B\n"
				"\n"
				"x\n");
	assert_string_equal(shape(r), "0 text/plain");
	assert_string_equal(body(r), "--B\n\nx\n");
}

static void
test_multipart_digest_children_default_to_message_rfc822(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/digest; boundary=D\n"
				"\n"
				"--D\n"
				"\n"
				"Subject: first\n"
				"\n"
				"body one\n"
				"--D\n"
				"Content-Type: text/plain\n"
				"\n"
				"not a message\n"
				"--D--\n");
	assert_string_equal(shape(r), "0 multipart/digest|1 message/rfc822|"
				      "2 text/plain|1 text/plain");
	assert_string_equal(mw_headers_get(&nth(r, 2)->headers, "Subject"),
			    "first");
	assert_string_equal(body(nth(r, 2)), "body one");
}

/* -- enclosed messages and reports ----------------------------------- */

static void test_message_rfc822_child_has_its_own_multipart(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: multipart/mixed; boundary=outer\n"
		  "\n"
		  "--outer\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "see attached\n"
		  "--outer\n"
		  "Content-Type: message/rfc822\n"
		  "\n"
		  "Subject: inner\n"
		  "Content-Type: multipart/alternative; "
		  "boundary=inner\n"
		  "\n"
		  "--inner\n"
		  "Content-Type: text/plain\n"
		  "\n"
		  "plain\n"
		  "--inner\n"
		  "Content-Type: text/html\n"
		  "\n"
		  "html\n"
		  "--inner--\n"
		  "--outer--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|1 text/plain|"
				      "1 message/rfc822|"
				      "2 multipart/alternative|"
				      "3 text/plain|3 text/html");
	mw_mime_part *msg = nth(r, 2);
	assert_non_null(msg->child);
	assert_null(msg->child->next);
	assert_string_equal(mw_headers_get(&msg->child->headers, "Subject"),
			    "inner");
	assert_string_equal(body(nth(r, 4)), "plain");
	assert_string_equal(body(nth(r, 5)), "html");
}

static void test_base64_message_rfc822_is_decoded_and_parsed(void **state)
{
	(void)state;
	mw_mime_part *r = parse(
	    "Content-Type: multipart/mixed; boundary=B\n"
	    "\n"
	    "--B\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "U3ViamVjdDogaW5uZXIgaGkNCkNvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L2FsdG"
	    "VybmF0aXZlOyBib3VuZGFyeT0iaW4iDQoNCi0taW4NCkNvbnRlbnQtVHlwZTog"
	    "dGV4dC9wbGFpbg0KDQpwbGFpbiBib2R5DQotLWluDQpDb250ZW50LVR5cGU6IH"
	    "RleHQvaHRtbA0KDQo8Yj5odG1sPC9iPg0KLS1pbi0tDQo=\n"
	    "--B--\n");
	assert_string_equal(shape(r), "0 multipart/mixed|1 message/rfc822|"
				      "2 multipart/alternative|"
				      "3 text/plain|3 text/html");
	assert_string_equal(mw_headers_get(&nth(r, 2)->headers, "Subject"),
			    "inner hi");
	assert_string_equal(body(nth(r, 3)), "plain body");
	assert_string_equal(body(nth(r, 4)), "<b>html</b>");
}

static void test_quoted_printable_message_rfc822_is_decoded(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: message/rfc822\n"
				"Content-Transfer-Encoding: quoted-printable\n"
				"\n"
				"Subject: caf=C3=A9\n"
				"\n"
				"a very long line that was soft=\n"
				"-broken\n");
	assert_string_equal(shape(r), "0 message/rfc822|1 text/plain");
	assert_string_equal(body(nth(r, 1)),
			    "a very long line that was soft-broken\n");
}

static void test_text_rfc822_headers_stays_leaf(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: text/rfc822-headers\n"
				"\n"
				"From: me@example.com\n"
				"Subject: orig\n");
	assert_string_equal(shape(r), "0 text/rfc822-headers");
	mw_headers h;
	assert_int_equal(mw_headers_parse(&arena, r->body, r->body_len, &h),
			 MW_OK);
	assert_string_equal(mw_headers_get(&h, "Subject"), "orig");
}

static void test_multipart_report_with_delivery_status(void **state)
{
	(void)state;
	mw_mime_part *r = parse("From: MAILER-DAEMON@mx.example.com\n"
				"Content-Type: multipart/report; "
				"report-type=delivery-status;\n"
				"\tboundary=\"R/mx.example.com\"\n"
				"\n"
				"--R/mx.example.com\n"
				"Content-Type: text/plain; charset=us-ascii\n"
				"\n"
				"delivery failed\n"
				"--R/mx.example.com\n"
				"Content-Type: message/delivery-status\n"
				"\n"
				"Reporting-MTA: dns; mx.example.com\n"
				"\n"
				"Final-Recipient: rfc822; x@example.com\n"
				"Action: failed\n"
				"Status: 5.1.1\n"
				"--R/mx.example.com\n"
				"Content-Type: text/rfc822-headers\n"
				"\n"
				"From: me@example.com\n"
				"Subject: orig\n"
				"--R/mx.example.com--\n");
	assert_string_equal(shape(r), "0 multipart/report|1 text/plain|"
				      "1 message/delivery-status|"
				      "1 text/rfc822-headers");
	assert_string_equal(mw_mime_param(r, "report-type"), "delivery-status");
	assert_string_equal(body(nth(r, 2)),
			    "Reporting-MTA: dns; mx.example.com\n\n"
			    "Final-Recipient: rfc822; x@example.com\n"
			    "Action: failed\nStatus: 5.1.1");
	assert_string_equal(body(nth(r, 3)),
			    "From: me@example.com\nSubject: orig");
}

/* -- parameters ------------------------------------------------------ */

static void test_rfc2231_filename_continuation_with_charset(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: application/pdf;\n"
				" name*0*=UTF-8''%E5%A0%B1%E5%91%8A;\n"
				" name*1*=%E6%9B%B8; name*2=\".pdf\"\n"
				"Content-Disposition: attachment;\n"
				" filename*1=\"-menu.txt\";\n"
				" filename*0*=iso-8859-1'en'caf%E9\n"
				"\n"
				"x");
	assert_string_equal(mw_mime_param(r, "name"),
			    "\xe5\xa0\xb1\xe5\x91\x8a\xe6\x9b\xb8.pdf");
	assert_string_equal(mw_mime_filename(&arena, r),
			    "caf\xc3\xa9-menu.txt");
}

static void test_rfc2231_single_extended_value(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: text/plain; "
		  "title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun;"
		  " name*=''plain%zzkept\n\n");
	assert_string_equal(mw_mime_param(r, "title"), "This is ***fun");
	assert_string_equal(mw_mime_param(r, "name"), "plain%zzkept");
}

static void test_rfc2231_form_wins_over_plain_duplicate(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: application/octet-stream;\n"
				" name=\"fallback.txt\";\n"
				" name*=utf-8''r%C3%A9sum%C3%A9.txt\n\n");
	assert_string_equal(mw_mime_param(r, "name"),
			    "r\xc3\xa9sum\xc3\xa9.txt");
	assert_int_equal(r->nparams, 1);
}

static void test_encoded_word_in_quoted_parameter_is_decoded(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: text/plain;\n"
		  " name=\"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=.txt\"\n\n");
	assert_string_equal(mw_mime_param(r, "name"),
			    "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88.txt");
}

static void test_comments_case_and_sloppy_quoting_in_content_type(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: Text/HTML (a comment) ; CHARSET = "
		  "\"iso-8859-1\" (latin);\n"
		  " charset=utf-8; Name=my file.txt; "
		  "boundary=----=_Part_1;\n"
		  " title=\"quote \\\"inside\\\"\"; format=flowed\n\n");
	assert_string_equal(r->type, "text");
	assert_string_equal(r->subtype, "html");
	/* duplicate: the first wins */
	assert_string_equal(mw_mime_param(r, "charset"), "iso-8859-1");
	assert_string_equal(mw_mime_param(r, "name"), "my file.txt");
	assert_string_equal(mw_mime_param(r, "boundary"), "----=_Part_1");
	assert_string_equal(mw_mime_param(r, "title"), "quote \"inside\"");
	assert_string_equal(mw_mime_param(r, "FORMAT"), "flowed");
	assert_int_equal(r->nparams, 5);
	assert_string_equal(r->params[0].name, "charset");
	assert_string_equal(r->params[1].name, "name");
}

static void test_missing_semicolon_and_unterminated_quote(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: text/plain charset=utf-8 "
				"format=flowed; name=\"never closed.txt\n\n");
	assert_string_equal(mw_mime_param(r, "charset"), "utf-8");
	assert_string_equal(mw_mime_param(r, "format"), "flowed");
	assert_string_equal(mw_mime_param(r, "name"), "never closed.txt");
}

static void test_too_many_parameters_are_bounded(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	mw_buf_puts(&b, "Content-Type: text/plain");
	for (int i = 0; i < 200; i++)
		mw_buf_printf(&b, "; p%d=v%d", i, i);
	mw_buf_puts(&b, "\n\nbody");
	mw_mime_part *r = parse_n(b.data, b.len, MW_ETRUNCATED);
	assert_true(r->truncated);
	assert_int_equal(r->nparams, MW_MIME_PARAMS_MAX);
	assert_string_equal(mw_mime_param(r, "p0"), "v0");
	assert_null(mw_mime_param(r, "p64"));
	assert_string_equal(body(r), "body");
	mw_buf_free(&b);
}

static void test_field_params_reads_content_disposition(void **state)
{
	(void)state;
	const char *v = "Attachment; filename=\"a b.pdf\"; size=12";
	const char *token;
	mw_mime_parameter *ps;
	size_t n;
	assert_int_equal(
	    mw_mime_field_params(&arena, v, strlen(v), &token, &ps, &n), MW_OK);
	assert_string_equal(token, "attachment");
	assert_int_equal(n, 2);
	assert_string_equal(mw_mime_params_find(ps, n, "filename"), "a b.pdf");
	assert_string_equal(mw_mime_params_find(ps, n, "size"), "12");
}

/* -- decoding -------------------------------------------------------- */

static void test_quoted_printable_latin1_text_to_utf8(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: text/plain; charset=iso-8859-1\n"
				"Content-Transfer-Encoding: quoted-printable\n"
				"\n"
				"caf=E9 =\n"
				"au lait\n");
	assert_string_equal(text(r), "caf\xc3\xa9 au lait\n");
}

static void test_iso_2022_jp_text_to_utf8(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: text/plain; charset=ISO-2022-JP\n"
		  "\n"
		  "\x1b$B%F%9%H\x1b(B\r\n");
	assert_string_equal(text(r), "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88\n");
}

static void test_text_without_charset_is_read_as_utf8(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Subject: x\n\nna\xc3\xafve \xff end\n");
	assert_string_equal(text(r), "na\xc3\xafve \xef\xbf\xbd end\n");
}

/* glibc's iconv reads "ut)f-8" as its own UTF-8 and lets 0xF5.. through;
 * the text must come out valid UTF-8 all the same. */
static void test_text_is_valid_utf8_even_from_a_lax_converter(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: text/plain; charset=\"ut)f-8\"\n"
				"\n"
				"a\xf5\xb4\xb5\x84"
				"b\n");
	assert_string_equal(text(r), "a\xef\xbf\xbd"
				     "b\n");
}

static void test_broken_base64_body_decodes_what_it_can(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: application/octet-stream\n"
				"Content-Transfer-Encoding: base64\n"
				"\n"
				"SGVs!!\n"
				"b*G8=\n");
	assert_string_equal(decoded(r), "Hello");
}

static void test_decode_body_reports_full_buffer(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Subject: x\n\n0123456789");
	mw_buf b;
	mw_buf_init(&b, 4);
	assert_int_equal(mw_mime_decode_body(r, &b), MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "0123");
	mw_buf_free(&b);
}

/* -- line endings ---------------------------------------------------- */

static const char *eol_message =
    "From: a@example.com\n"
    "Subject: endings\n"
    "Content-Type: multipart/mixed; boundary=\"E\"\n"
    "\n"
    "preamble\n"
    "--E\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "line one\n"
    "line two\n"
    "--E\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=E9=\n"
    " cr=C3=A8me\n"
    "--E\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "bGluZSBvbmUNCmxp\n"
    "bmUgdHdvDQo=\n"
    "--E\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: inner\n"
    "Content-Type: multipart/alternative; boundary=I\n"
    "\n"
    "--I\n"
    "\n"
    "inner text\n"
    "--I--\n"
    "--E--\n";

static void check_eol_tree(mw_mime_part *r)
{
	assert_string_equal(shape(r),
			    "0 multipart/mixed|1 text/plain|"
			    "1 text/plain|1 application/octet-stream|"
			    "1 message/rfc822|2 multipart/alternative|"
			    "3 text/plain");
	assert_string_equal(mw_headers_get(&r->headers, "Subject"), "endings");
	assert_string_equal(text(nth(r, 1)), "line one\nline two");
	assert_string_equal(text(nth(r, 2)),
			    "caf\xc3\xa9 cr\xc3\x83\xc2\xa8me");
	assert_string_equal(decoded(nth(r, 3)), "line one\r\nline two\r\n");
	assert_string_equal(mw_headers_get(&nth(r, 5)->headers, "Subject"),
			    "inner");
	assert_string_equal(text(nth(r, 6)), "inner text");
}

static void test_lf_crlf_and_cr_messages_give_the_same_tree(void **state)
{
	(void)state;
	check_eol_tree(parse(eol_message));
	check_eol_tree(parse(with_eol(eol_message, "\r\n")));
	check_eol_tree(parse(with_eol(eol_message, "\r")));
}

/* -- hostile input --------------------------------------------------- */

static void test_ten_thousand_nested_multiparts_are_bounded(void **state)
{
	(void)state;
	enum { LEVELS = 10000 };
	mw_buf b;
	mw_buf_init(&b, 16 << 20);
	for (int i = 0; i < LEVELS; i++)
		mw_buf_printf(&b,
			      "Content-Type: multipart/mixed; boundary=b%d\n"
			      "\n--b%d\n",
			      i, i);
	mw_buf_puts(&b, "Content-Type: text/plain\n\ndeep\n");
	for (int i = LEVELS - 1; i >= 0; i--)
		mw_buf_printf(&b, "--b%d--\n", i);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mw_mime_part *r = parse_n(b.data, b.len, MW_ETRUNCATED);
	assert_true(seconds_since(&t0) < 2.0);
	assert_true(r->truncated);
	assert_int_equal(max_depth(r), MW_MIME_DEPTH_MAX - 1);
	assert_int_equal(count_parts(r), MW_MIME_DEPTH_MAX);
	mw_mime_part *deepest = nth(r, MW_MIME_DEPTH_MAX - 1);
	assert_string_equal(deepest->type, "multipart");
	assert_null(deepest->child);
	mw_buf_free(&b);
}

static void test_hundred_thousand_parts_are_bounded(void **state)
{
	(void)state;
	enum { PARTS = 100000 };
	mw_buf b;
	mw_buf_init(&b, 16 << 20);
	mw_buf_puts(&b, "Content-Type: multipart/mixed; boundary=P\n\n");
	for (int i = 0; i < PARTS; i++)
		mw_buf_printf(&b, "--P\nContent-Type: text/plain\n\n%d\n", i);
	mw_buf_puts(&b, "--P--\n");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mw_mime_part *r = parse_n(b.data, b.len, MW_ETRUNCATED);
	assert_true(seconds_since(&t0) < 2.0);
	assert_true(r->truncated);
	assert_int_equal(count_parts(r), MW_MIME_PARTS_MAX);
	assert_string_equal(body(nth(r, 1)), "0");
	assert_string_equal(body(nth(r, MW_MIME_PARTS_MAX - 1)), "1998");
	mw_buf_free(&b);
}

static void test_nul_bytes_in_headers_and_bodies(void **state)
{
	(void)state;
	static const char msg[] = "Subject: a\0b\n"
				  "Content-Type: multipart/mixed; boundary=N\n"
				  "\n"
				  "--N\n"
				  "Content-Type: application/octet-stream\n"
				  "\n"
				  "x\0y\0\n"
				  "--N\n"
				  "\n"
				  "\0\n"
				  "--N--\n";
	mw_mime_part *r = parse_n(msg, sizeof msg - 1, MW_OK);
	assert_string_equal(shape(r), "0 multipart/mixed|"
				      "1 application/octet-stream|"
				      "1 text/plain");
	assert_string_equal(mw_headers_get(&r->headers, "Subject"), "a b");
	assert_int_equal(nth(r, 1)->body_len, 4);
	assert_memory_equal(nth(r, 1)->body, "x\0y\0", 4);
	assert_int_equal(nth(r, 2)->body_len, 1);
	assert_int_equal(nth(r, 2)->body[0], '\0');
}

static void test_ten_megabyte_header_line_is_bounded(void **state)
{
	(void)state;
	size_t big = (size_t)10 << 20;
	mw_buf b;
	mw_buf_init(&b, big + 1024);
	mw_buf_puts(&b, "Content-Type: text/plain; name=");
	for (size_t i = 0; i < big; i += 4096) {
		char chunk[4096];
		memset(chunk, 'a', sizeof chunk);
		mw_buf_append(&b, chunk, sizeof chunk);
	}
	mw_buf_puts(&b, "\nSubject: after\n\nbody\n");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mw_mime_part *r = parse_n(b.data, b.len, MW_ETRUNCATED);
	assert_true(seconds_since(&t0) < 2.0);
	assert_true(r->truncated);
	assert_string_equal(shape(r), "0 text/plain");
	const char *name = mw_mime_param(r, "name");
	assert_non_null(name);
	assert_true(strlen(name) <= MW_HEADER_VALUE_MAX);
	mw_buf_free(&b);
}

static void test_arena_refusal_gives_partial_tree_or_enomem(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	mw_buf_puts(&b, "Content-Type: multipart/mixed; boundary=P\n\n");
	for (int i = 0; i < 1000; i++)
		mw_buf_printf(&b, "--P\nContent-Type: text/plain\n\n%d\n", i);
	mw_buf_puts(&b, "--P--\n");

	mw_arena small;
	mw_arena_init(&small, 64 * 1024);
	mw_mime_part *r = NULL;
	assert_int_equal(mw_mime_parse(&small, b.data, b.len, &r),
			 MW_ETRUNCATED);
	assert_non_null(r);
	assert_true(r->truncated);
	size_t n = count_parts(r);
	assert_true(n > 10 && n < 1001);
	mw_arena_free(&small);

	mw_arena tiny;
	mw_arena_init(&tiny, 16);
	r = (mw_mime_part *)1;
	assert_int_equal(mw_mime_parse(&tiny, b.data, b.len, &r), MW_ENOMEM);
	assert_null(r);
	mw_arena_free(&tiny);
	mw_buf_free(&b);
}

static void test_encoded_word_in_unknown_charset_parameter(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: text/plain;\n"
				" name=\"=?x-no-such-charset?B?YWJj?=.txt\";\n"
				" title*=x-no-such-charset''%41%FF\n\n");
	/* ASCII survives an unknown charset; the rest is U+FFFD */
	assert_string_equal(mw_mime_param(r, "name"), "abc.txt");
	assert_string_equal(mw_mime_param(r, "title"), "A\xef\xbf\xbd");
}

static void test_rfc2231_value_in_iso_2022_jp(void **state)
{
	(void)state;
	mw_mime_part *r =
	    parse("Content-Type: text/plain;\n"
		  " name*=iso-2022-jp'ja'%1B%24B%25F%259%25H%1B%28B"
		  ".txt\n\n");
	assert_string_equal(mw_mime_param(r, "name"),
			    "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88.txt");
}

static void test_cr_only_delimiter_at_end_of_input(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=B\r"
				"\r"
				"--B\r"
				"\r"
				"one\r"
				"--B--");
	assert_string_equal(shape(r), "0 multipart/mixed|1 text/plain");
	assert_string_equal(body(nth(r, 1)), "one");
}

static void test_ten_thousand_nested_messages_are_bounded(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 16 << 20);
	for (int i = 0; i < 10000; i++)
		mw_buf_puts(&b, "Content-Type: message/rfc822\n\n");
	mw_buf_puts(&b, "Subject: deepest\n\nbody\n");
	mw_mime_part *r = parse_n(b.data, b.len, MW_ETRUNCATED);
	assert_true(r->truncated);
	assert_int_equal(max_depth(r), MW_MIME_DEPTH_MAX - 1);
	assert_int_equal(count_parts(r), MW_MIME_DEPTH_MAX);
	assert_true(
	    mw_mime_is(nth(r, MW_MIME_DEPTH_MAX - 1), "message", "rfc822"));
	mw_buf_free(&b);
}

/* Each level base64-encodes the one inside: the decoding is repeated per
 * level, so the depth bound is what keeps the work small. */
static void test_nested_base64_messages_are_bounded(void **state)
{
	(void)state;
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				  "qrstuvwxyz0123456789+/";
	mw_buf in, out;
	mw_buf_init(&in, 64 << 20);
	mw_buf_init(&out, 64 << 20);
	mw_buf_puts(&in, "Subject: deepest\n\nbody\n");
	for (int level = 0; level < MW_MIME_DEPTH_MAX + 2; level++) {
		mw_buf_reset(&out);
		mw_buf_puts(&out, "Content-Type: message/rfc822\n"
				  "Content-Transfer-Encoding: base64\n\n");
		const unsigned char *p = (const unsigned char *)in.data;
		for (size_t i = 0; i < in.len; i += 3) {
			unsigned v = (unsigned)p[i] << 16;
			if (i + 1 < in.len)
				v |= (unsigned)p[i + 1] << 8;
			if (i + 2 < in.len)
				v |= p[i + 2];
			char q[4] = {tab[v >> 18], tab[(v >> 12) & 63],
				     i + 1 < in.len ? tab[(v >> 6) & 63] : '=',
				     i + 2 < in.len ? tab[v & 63] : '='};
			mw_buf_append(&out, q, 4);
			if (i % 57 == 54)
				mw_buf_putc(&out, '\n');
		}
		mw_buf_putc(&out, '\n');
		mw_buf tmp = in;
		in = out;
		out = tmp;
	}
	mw_mime_part *r = parse_n(in.data, in.len, MW_ETRUNCATED);
	assert_true(r->truncated);
	assert_int_equal(max_depth(r), MW_MIME_DEPTH_MAX - 1);
	assert_int_equal(count_parts(r), MW_MIME_DEPTH_MAX);
	mw_buf_free(&in);
	mw_buf_free(&out);
}

static void test_walk_stays_inside_the_given_subtree(void **state)
{
	(void)state;
	mw_mime_part *r = parse("Content-Type: multipart/mixed; boundary=out\n"
				"\n"
				"--out\n"
				"Content-Type: multipart/alternative; "
				"boundary=alt\n"
				"\n"
				"--alt\n"
				"\n"
				"a\n"
				"--alt--\n"
				"--out\n"
				"\n"
				"b\n"
				"--out--\n");
	mw_mime_part *alt = nth(r, 1);
	mw_mime_part *a = mw_mime_walk(alt, alt);
	assert_string_equal(body(a), "a");
	assert_null(mw_mime_walk(alt, a));
	assert_null(mw_mime_walk(r, nth(r, 3)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_single_part_keeps_type_charset_and_body),
	    T(test_missing_content_type_defaults_to_text_plain),
	    T(test_unparsable_content_type_defaults_to_text_plain),
	    T(test_transfer_encodings_are_recognised),
	    T(test_multipart_mixed_splits_three_parts),
	    T(test_nested_alternative_inside_mixed),
	    T(test_boundary_that_prefixes_inner_boundary_is_not_confused),
	    T(test_boundary_with_trailing_whitespace),
	    T(test_line_with_boundary_and_more_text_is_not_a_delimiter),
	    T(test_boundary_that_never_closes_ends_at_input_end),
	    T(test_preamble_and_epilogue_are_ignored),
	    T(test_empty_parts_between_adjacent_delimiters),
	    T(test_missing_boundary_parameter_is_leaf_text),
	    T(test_empty_boundary_parameter_is_leaf_text),
	    T(test_boundary_not_found_is_leaf_text),
	    T(test_multipart_digest_children_default_to_message_rfc822),
	    T(test_message_rfc822_child_has_its_own_multipart),
	    T(test_base64_message_rfc822_is_decoded_and_parsed),
	    T(test_quoted_printable_message_rfc822_is_decoded),
	    T(test_text_rfc822_headers_stays_leaf),
	    T(test_multipart_report_with_delivery_status),
	    T(test_rfc2231_filename_continuation_with_charset),
	    T(test_rfc2231_single_extended_value),
	    T(test_rfc2231_form_wins_over_plain_duplicate),
	    T(test_encoded_word_in_quoted_parameter_is_decoded),
	    T(test_comments_case_and_sloppy_quoting_in_content_type),
	    T(test_missing_semicolon_and_unterminated_quote),
	    T(test_too_many_parameters_are_bounded),
	    T(test_field_params_reads_content_disposition),
	    T(test_quoted_printable_latin1_text_to_utf8),
	    T(test_iso_2022_jp_text_to_utf8),
	    T(test_text_without_charset_is_read_as_utf8),
	    T(test_text_is_valid_utf8_even_from_a_lax_converter),
	    T(test_broken_base64_body_decodes_what_it_can),
	    T(test_decode_body_reports_full_buffer),
	    T(test_lf_crlf_and_cr_messages_give_the_same_tree),
	    T(test_ten_thousand_nested_multiparts_are_bounded),
	    T(test_hundred_thousand_parts_are_bounded),
	    T(test_nul_bytes_in_headers_and_bodies),
	    T(test_ten_megabyte_header_line_is_bounded),
	    T(test_arena_refusal_gives_partial_tree_or_enomem),
	    T(test_encoded_word_in_unknown_charset_parameter),
	    T(test_rfc2231_value_in_iso_2022_jp),
	    T(test_cr_only_delimiter_at_end_of_input),
	    T(test_ten_thousand_nested_messages_are_bounded),
	    T(test_nested_base64_messages_are_bounded),
	    T(test_walk_stays_inside_the_given_subtree),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
