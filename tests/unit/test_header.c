/* test_header.c - header sections split, unfold, bound and decode exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/header.h"

#define FFFD "\xEF\xBF\xBD"

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

static mw_status parse_n(const char *msg, size_t len, mw_headers *h)
{
	return mw_headers_parse(&arena, msg, len, h);
}

static mw_status parse(const char *msg, mw_headers *h)
{
	return parse_n(msg, strlen(msg), h);
}

static const char *decode(const char *v, const char *fallback)
{
	char *s = mw_header_decode(&arena, v, strlen(v), fallback);
	assert_non_null(s);
	return s;
}

static const char *msgid(const char *v)
{
	return mw_header_msgid(&arena, v, strlen(v));
}

static double seconds_since(clock_t t0)
{
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* -- parsing --------------------------------------------------------- */

static void test_splits_fields_in_order_with_names_as_written(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "From: a@example.com\nTo: b@example.com\n"
			  "X-Mixed-CASE:value\n\nbody\n";

	assert_int_equal(parse(msg, &h), MW_OK);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.fields[0].name, "From");
	assert_string_equal(h.fields[0].value, "a@example.com");
	assert_int_equal(h.fields[0].value_len, 13);
	assert_string_equal(h.fields[1].name, "To");
	assert_string_equal(h.fields[2].name, "X-Mixed-CASE");
	assert_string_equal(h.fields[2].value, "value");
	assert_true(h.has_body);
	assert_false(h.truncated);
	assert_string_equal(msg + h.body_offset, "body\n");
}

static void test_body_offset_is_exact_for_lf(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "A: 1\nB: 2\n\nBODY";

	parse(msg, &h);
	assert_int_equal(h.body_offset, 11);
	assert_true(h.has_body);
}

static void test_body_offset_is_exact_for_crlf(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "A: 1\r\nB: 2\r\n\r\nBODY";

	parse(msg, &h);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.fields[1].value, "2");
	assert_int_equal(h.body_offset, 14);
	assert_string_equal(msg + h.body_offset, "BODY");
}

static void test_body_offset_is_exact_for_bare_cr(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "A: 1\rB: 2\r\rBODY\rmore";

	parse(msg, &h);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.fields[0].value, "1");
	assert_string_equal(h.fields[1].value, "2");
	assert_int_equal(h.body_offset, 11);
	assert_string_equal(msg + h.body_offset, "BODY\rmore");
}

static void test_unfolds_continuation_lines_keeping_white_space(void **state)
{
	(void)state;
	mw_headers h;

	parse("Subject: one\r\n two\r\n\tthree\r\nX: y\r\n\r\n", &h);
	assert_string_equal(h.fields[0].value, "one two\tthree");
	parse("Subject: one\n  two\n\n", &h);
	assert_string_equal(h.fields[0].value, "one  two");
	parse("Subject: one\r two\r\r", &h);
	assert_string_equal(h.fields[0].value, "one two");
	/* A value that starts on the next line. */
	parse("To:\r\n a@example.com,\r\n b@example.com\r\n\r\n", &h);
	assert_string_equal(h.fields[0].value, "a@example.com, b@example.com");
}

static void test_trims_values_at_both_ends(void **state)
{
	(void)state;
	mw_headers h;

	parse("Subject: \t  padded \t \nEmpty:\nBlank:   \n\n", &h);
	assert_int_equal(h.count, 3);
	assert_string_equal(h.fields[0].value, "padded");
	assert_int_equal(h.fields[0].value_len, 6);
	assert_string_equal(h.fields[1].value, "");
	assert_string_equal(h.fields[2].value, "");
	assert_int_equal(h.fields[2].value_len, 0);
}

static void test_white_space_before_colon_is_tolerated(void **state)
{
	(void)state;
	mw_headers h;

	parse("Subject : obsolete\n\n", &h);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.fields[0].name, "Subject");
	assert_string_equal(h.fields[0].value, "obsolete");
}

static void test_skips_mbox_from_line(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "From MAILER-DAEMON Thu Apr 29 00:00:00 2009\n"
			  "From: a@example.com\n\nbody";

	assert_int_equal(parse(msg, &h), MW_OK);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.fields[0].name, "From");
	assert_string_equal(h.fields[0].value, "a@example.com");
	assert_string_equal(msg + h.body_offset, "body");
}

static void test_leading_utf8_bom_is_skipped(void **state)
{
	(void)state;
	mw_headers h;

	parse("\xEF\xBB\xBF"
	      "From: a@example.com\n\n",
	      &h);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.fields[0].name, "From");
}

static void test_skips_lines_without_colon(void **state)
{
	(void)state;
	mw_headers h;

	parse("A: 1\nthis is junk\n continuation of nothing\nB: 2\n\nbody", &h);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.fields[0].value, "1");
	assert_string_equal(h.fields[1].value, "2");
	assert_true(h.has_body);
}

static void test_leading_continuation_line_is_skipped(void **state)
{
	(void)state;
	mw_headers h;

	parse(" orphan\nA: 1\n\n", &h);
	assert_int_equal(h.count, 1);
	assert_string_equal(h.fields[0].name, "A");
}

static void test_mime_boundary_line_ends_a_section_without_blank(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "Content-Type: text/plain\n--b1\nbody";

	assert_int_equal(parse(msg, &h), MW_OK);
	assert_int_equal(h.count, 1);
	assert_false(h.has_body);
	assert_string_equal(msg + h.body_offset, "--b1\nbody");
}

static void test_text_before_any_field_is_the_body(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "Hello world\nA: 1\n\nmore";

	assert_int_equal(parse(msg, &h), MW_OK);
	assert_int_equal(h.count, 0);
	assert_false(h.has_body);
	assert_int_equal(h.body_offset, 0);
	/* After the mbox line the same holds. */
	parse("From x@y Mon Jan 1 00:00:00 2024\nplain text\n", &h);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.body_offset, 33);
}

static void test_empty_input_gives_no_fields(void **state)
{
	(void)state;
	mw_headers h;

	assert_int_equal(parse_n("", 0, &h), MW_OK);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.body_offset, 0);
	assert_false(h.has_body);
	assert_false(h.truncated);
	assert_null(mw_headers_get(&h, "Subject"));
}

static void test_leading_blank_line_means_no_headers(void **state)
{
	(void)state;
	mw_headers h;

	parse("\r\nA: not a header\r\n", &h);
	assert_int_equal(h.count, 0);
	assert_true(h.has_body);
	assert_int_equal(h.body_offset, 2);
}

static void test_headers_without_blank_line_end_at_len(void **state)
{
	(void)state;
	mw_headers h;
	const char *msg = "A: 1\nB: 2\n";

	assert_int_equal(parse(msg, &h), MW_OK);
	assert_int_equal(h.count, 2);
	assert_false(h.has_body);
	assert_int_equal(h.body_offset, strlen(msg));
}

static void test_section_ending_exactly_at_len(void **state)
{
	(void)state;
	mw_headers h;

	/* No terminator on the last line. */
	parse("A: 1\nB: 2", &h);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.fields[1].value, "2");
	assert_false(h.has_body);
	assert_int_equal(h.body_offset, 9);
	/* The empty line is the last thing: a body of zero bytes. */
	parse("A: 1\r\n\r\n", &h);
	assert_true(h.has_body);
	assert_int_equal(h.body_offset, 8);
	/* Cut between CR and LF of the empty line. */
	parse("A: 1\r\n\r", &h);
	assert_true(h.has_body);
	assert_int_equal(h.body_offset, 7);
	/* Parsing only a prefix never reads the byte after it. */
	char *cut = malloc(4);
	memcpy(cut, "A: 1", 4);
	parse_n(cut, 4, &h);
	assert_string_equal(h.fields[0].value, "1");
	free(cut);
}

static void test_nul_bytes_in_values_become_spaces(void **state)
{
	(void)state;
	mw_headers h;
	const char msg[] = "Subject: a\0b\0\nX: y\n\n";

	assert_int_equal(parse_n(msg, sizeof(msg) - 1, &h), MW_OK);
	assert_int_equal(h.count, 2);
	assert_string_equal(h.fields[0].value, "a b");
	assert_int_equal(h.fields[0].value_len, 3);
}

static void test_ten_megabyte_header_line_is_truncated_fast(void **state)
{
	(void)state;
	size_t n = 10u << 20;
	char *msg = malloc(n + 32);
	mw_headers h;
	clock_t t0 = clock();

	memcpy(msg, "Subject: ", 9);
	memset(msg + 9, 'x', n - 9);
	memcpy(msg + n, "\r\nB: 2\r\n\r\nbody", 14);
	assert_int_equal(parse_n(msg, n + 14, &h), MW_ETRUNCATED);
	assert_true(h.truncated);
	assert_int_equal(h.fields[0].value_len, MW_HEADER_VALUE_MAX);
	assert_int_equal(strlen(h.fields[0].value), MW_HEADER_VALUE_MAX);
	/* Past the section cap nothing is kept, but the body is found. */
	assert_int_equal(h.count, 1);
	assert_true(h.has_body);
	assert_int_equal(h.body_offset, n + 10);
	assert_true(seconds_since(t0) < 1.0);
	free(msg);
}

static void test_ten_megabyte_line_with_bare_cr_is_linear(void **state)
{
	(void)state;
	size_t lines = 1000000; /* "a:b\r" a million times, then the body */
	size_t n = lines * 4;
	char *msg = malloc(n + 8);
	mw_headers h;
	clock_t t0 = clock();

	for (size_t i = 0; i < lines; i++)
		memcpy(msg + 4 * i, "a:b\r", 4);
	memcpy(msg + n, "\rbody", 5);
	assert_int_equal(parse_n(msg, n + 5, &h), MW_ETRUNCATED);
	assert_int_equal(h.count, MW_HEADER_FIELDS_MAX);
	assert_true(h.has_body);
	assert_int_equal(h.body_offset, n + 1);
	assert_true(seconds_since(t0) < 1.0);
	free(msg);
}

static void test_hundred_thousand_fields_are_capped(void **state)
{
	(void)state;
	size_t lines = 100000;
	char *msg = malloc(lines * 16 + 16);
	size_t len = 0;
	mw_headers h;
	clock_t t0 = clock();

	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(msg + len, "X-N: %zu\n", i);
	len += (size_t)sprintf(msg + len, "\nbody");
	assert_int_equal(parse_n(msg, len, &h), MW_ETRUNCATED);
	assert_true(h.truncated);
	assert_int_equal(h.count, MW_HEADER_FIELDS_MAX);
	assert_string_equal(h.fields[0].value, "0");
	assert_string_equal(h.fields[MW_HEADER_FIELDS_MAX - 1].value, "1999");
	assert_string_equal(msg + h.body_offset, "body");
	assert_true(seconds_since(t0) < 1.0);
	free(msg);
}

static void test_folded_value_is_cut_at_value_max(void **state)
{
	(void)state;
	size_t lines = MW_HEADER_VALUE_MAX / 7 + 10;
	char *msg = malloc(lines * 10 + 64);
	size_t len = 0;
	mw_headers h;

	len += (size_t)sprintf(msg + len, "To: a");
	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(msg + len, "\r\n bcdefg");
	len += (size_t)sprintf(msg + len, "\r\nB: 2\r\n\r\n");
	assert_int_equal(parse_n(msg, len, &h), MW_ETRUNCATED);
	assert_int_equal(h.count, 2);
	assert_int_equal(h.fields[0].value_len, MW_HEADER_VALUE_MAX);
	assert_memory_equal(h.fields[0].value, "a bcdefg bcdefg", 15);
	assert_string_equal(h.fields[1].value, "2");
	free(msg);
}

static void test_arena_refusal_gives_enomem_and_partial_result(void **state)
{
	(void)state;
	mw_arena small;
	mw_headers h;
	char msg[4096];
	size_t len = 0;

	for (int i = 0; i < 200; i++)
		len += (size_t)sprintf(msg + len, "X-%d: value\n", i);
	mw_arena_init(&small, 1024);
	assert_int_equal(mw_headers_parse(&small, msg, len, &h), MW_ENOMEM);
	assert_true(h.truncated);
	assert_true(h.count < 200);
	for (size_t i = 0; i < h.count; i++)
		assert_string_equal(h.fields[i].value, "value");
	mw_arena_free(&small);
}

/* -- lookup ---------------------------------------------------------- */

static void test_lookup_is_case_insensitive(void **state)
{
	(void)state;
	mw_headers h;

	parse("Message-ID: <a@b>\nSUBJECT: hi\n\n", &h);
	assert_string_equal(mw_headers_get(&h, "message-id"), "<a@b>");
	assert_string_equal(mw_headers_get(&h, "Subject"), "hi");
	assert_ptr_equal(mw_headers_find(&h, "subject"), &h.fields[1]);
	assert_null(mw_headers_get(&h, "Subjec"));
	assert_null(mw_headers_get(&h, "Subjects"));
	assert_null(mw_headers_find(&h, "To"));
}

static void test_next_walks_every_field_of_a_name(void **state)
{
	(void)state;
	mw_headers h;
	size_t i = 0;
	const mw_header_field *f;

	parse("Received: one\nX: y\nreceived: two\nReceived: three\n\n", &h);
	f = mw_headers_next(&h, "Received", &i);
	assert_string_equal(f->value, "one");
	assert_int_equal(i, 1);
	f = mw_headers_next(&h, "Received", &i);
	assert_string_equal(f->value, "two");
	f = mw_headers_next(&h, "Received", &i);
	assert_string_equal(f->value, "three");
	assert_null(mw_headers_next(&h, "Received", &i));
	assert_null(mw_headers_next(&h, "Received", &i));
}

/* -- decoding -------------------------------------------------------- */

static void test_plain_ascii_value_is_unchanged(void **state)
{
	(void)state;
	assert_string_equal(decode("Hello, world = ? ok", NULL),
			    "Hello, world = ? ok");
	assert_string_equal(decode("", NULL), "");
}

static void test_decodes_iso_2022_jp_b_word(void **state)
{
	(void)state;
	assert_string_equal(decode("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", NULL),
			    "テスト");
	assert_string_equal(
	    decode("Re: =?iso-2022-jp?b?GyRCJUYlOSVIGyhC?= mail", NULL),
	    "Re: テスト mail");
}

static void test_decodes_shift_jis_and_euc_jp_words(void **state)
{
	(void)state;
	/* テスト in Shift_JIS and in EUC-JP. */
	assert_string_equal(decode("=?Shift_JIS?B?g2WDWINn?=", NULL), "テスト");
	assert_string_equal(decode("=?x-sjis?Q?=83e=83X=83g?=", NULL),
			    "テスト");
	assert_string_equal(decode("=?EUC-JP?B?pcaluaXI?=", NULL), "テスト");
}

static void test_decodes_q_words_with_underscores(void **state)
{
	(void)state;
	assert_string_equal(decode("=?UTF-8?Q?caf=C3=A9_au_lait?=", NULL),
			    "café au lait");
	assert_string_equal(decode("=?iso-8859-1?q?a=E9_b?=", NULL), "aé b");
	/* '?' inside Q text, which some clients write. */
	assert_string_equal(decode("=?utf-8?q?why?_not?=", NULL), "why? not");
}

static void test_joins_adjacent_words_without_their_white_space(void **state)
{
	(void)state;
	assert_string_equal(decode("=?UTF-8?Q?a?= =?UTF-8?Q?b?=", NULL), "ab");
	assert_string_equal(decode("=?UTF-8?Q?a?=\t  =?UTF-8?Q?b?=", NULL),
			    "ab");
	assert_string_equal(decode("=?UTF-8?Q?a?=  x  =?UTF-8?Q?b?=", NULL),
			    "a  x  b");
	/* Different charsets join too. */
	assert_string_equal(
	    decode("=?UTF-8?Q?a?= =?ISO-2022-JP?B?GyRCJUYbKEI=?=", NULL),
	    "aテ");
	/* White space between a word and text stays. */
	assert_string_equal(decode("x =?UTF-8?Q?a?= y", NULL), "x a y");
}

static void test_character_split_across_words_comes_out_whole(void **state)
{
	(void)state;
	/* テ (E3 83 86) cut after its first byte. */
	assert_string_equal(decode("=?UTF-8?B?4w==?= =?UTF-8?B?g4Y=?=", NULL),
			    "テ");
	assert_string_equal(decode("=?UTF-8?Q?=E3=83?= =?utf-8?q?=86x?=", NULL),
			    "テx");
	/* ISO-2022-JP: the escape in one word, the kana in the next, and
	 * テ itself ("%F") cut between its two bytes. */
	assert_string_equal(decode("=?ISO-2022-JP?B?GyRCJQ==?=\r\n "
				   "=?ISO-2022-JP?B?RiU5JUgbKEI=?=",
				   NULL),
			    "テスト");
}

static void test_base64_cut_mid_quantum_across_words_is_joined(void **state)
{
	(void)state;
	/* "GyRCJUYlOSVIGyhC" split after 6 characters, no padding. */
	assert_string_equal(decode("=?ISO-2022-JP?B?GyRCJU?= "
				   "=?ISO-2022-JP?B?YlOSVIGyhC?=",
				   NULL),
			    "テスト");
	/* A short final word without padding still gives its bytes. */
	assert_string_equal(decode("=?UTF-8?B?YWI?=", NULL), "ab");
}

static void test_long_japanese_subject_from_corpus_decodes(void **state)
{
	(void)state;
	assert_string_equal(decode("=?iso-2022-jp?B?"
				   "VW5kZWxpdmVyYWJsZTogGyRCJS0lOCVIJWkhJiVVJWk"
				   "lQyU3JWUbKEIvGyRCJUsl=?=\n"
				   " =?iso-2022-jp?B?YyE8JXMbKEIK=?=",
				   NULL),
			    "Undeliverable: キジトラ・フラッシュ/ニャーン ");
}

static void test_unknown_charset_gives_replacement_char(void **state)
{
	(void)state;
	assert_string_equal(decode("=?x-bogus?B?/w==?=", NULL), FFFD);
	assert_string_equal(decode("=?x-bogus?Q?ok?=", NULL), "ok");
	/* UTF-8 text in a bogus label still reads. */
	assert_string_equal(decode("=?x-bogus?B?44OG?=", NULL), "テ");
}

static void test_rfc2231_language_in_word_is_tolerated(void **state)
{
	(void)state;
	assert_string_equal(decode("=?UTF-8*ja?B?44OG44K544OI?=", NULL),
			    "テスト");
	assert_string_equal(
	    decode("=?UTF-8*ja?B?44OG?= =?utf-8*en?B?44K5?=", NULL), "テス");
}

static void test_broken_base64_word_is_kept_as_written(void **state)
{
	(void)state;
	/* A character outside the alphabet: the word is text. */
	assert_string_equal(decode("=?UTF-8?B?4@OG?=", NULL),
			    "=?UTF-8?B?4@OG?=");
	/* Its neighbours still decode, and the white space around the
	 * broken word is text too. */
	assert_string_equal(
	    decode("=?UTF-8?Q?a?= =?UTF-8?B?#?= =?UTF-8?Q?b?=", NULL),
	    "a =?UTF-8?B?#?= b");
	/* A lone sextet carries no byte: the word decodes to nothing. */
	assert_string_equal(decode("x=?UTF-8?B?Q?=y", NULL), "xy");
}

static void test_malformed_words_are_kept_as_written(void **state)
{
	(void)state;
	assert_string_equal(decode("=?UTF-8?X?abc?=", NULL), "=?UTF-8?X?abc?=");
	assert_string_equal(decode("=?UTF-8?B?YWJj", NULL), "=?UTF-8?B?YWJj");
	assert_string_equal(decode("=?UTF-8?B? YWJj?=", NULL),
			    "=?UTF-8?B? YWJj?=");
	assert_string_equal(decode("=?"
				   "?B?YWJj?=",
				   NULL),
			    "=?"
			    "?B?YWJj?=");
	assert_string_equal(decode("=?", NULL), "=?");
	assert_string_equal(decode("=?=?utf-8?Q?a?=", NULL), "=?a");
	assert_string_equal(decode("=?a?Q?x =?b?Q?y?=", NULL), "=?a?Q?x y");
	assert_string_equal(decode("a=?UTF-8?Q?", NULL), "a=?UTF-8?Q?");
	/* An empty word decodes to nothing. */
	assert_string_equal(decode("a=?UTF-8?B?"
				   "?=b",
				   NULL),
			    "ab");
}

static void test_words_without_surrounding_space_decode(void **state)
{
	(void)state;
	assert_string_equal(decode("Re:=?UTF-8?B?44OG?=", NULL), "Re:テ");
	assert_string_equal(decode("=?UTF-8?B?44OG?==?UTF-8?B?44K5?=", NULL),
			    "テス");
}

static void test_words_inside_quotes_and_comments_decode(void **state)
{
	(void)state;
	assert_string_equal(
	    decode("\"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\" <a@example.jp>",
		   NULL),
	    "\"テスト\" <a@example.jp>");
	assert_string_equal(
	    decode("a@example.jp (=?UTF-8?Q?caf=C3=A9?=)", NULL),
	    "a@example.jp (café)");
}

static void test_raw_utf8_is_kept(void **state)
{
	(void)state;
	assert_string_equal(decode("件名 テスト", "shift_jis"), "件名 テスト");
}

static void test_raw_8bit_uses_fallback_charset(void **state)
{
	(void)state;
	assert_string_equal(decode("\x83\x65\x83\x58\x83\x67", "shift_jis"),
			    "テスト");
	assert_string_equal(decode("caf\xE9", "iso-8859-1"), "café");
	/* Without a fallback: U+FFFD. */
	assert_string_equal(decode("ab\x83\x65"
				   "c",
				   NULL),
			    "ab" FFFD "ec");
}

static void test_raw_iso_2022_jp_is_detected(void **state)
{
	(void)state;
	assert_string_equal(decode("Re: \x1B$B%F%9%H\x1B(B", NULL),
			    "Re: テスト");
	assert_string_equal(decode("\x1B$B%F%9%H\x1B(B =?UTF-8?Q?x?=", NULL),
			    "テスト x");
}

static void test_decoded_line_breaks_and_nuls_become_spaces(void **state)
{
	(void)state;
	assert_string_equal(decode("=?UTF-8?Q?a=0D=0Ab=00c?=", NULL), "a  b c");
	assert_string_equal(decode("x\r\n y", NULL), "x   y");
}

static void test_many_encoded_words_are_bounded_and_fast(void **state)
{
	(void)state;
	size_t words = 100000;
	char *v = malloc(words * 20 + 1);
	size_t len = 0;
	clock_t t0 = clock();
	const char *s;

	for (size_t i = 0; i < words; i++)
		len += (size_t)sprintf(v + len, "=?x-%zu?Q?a?= ", i % 50);
	s = mw_header_decode(&arena, v, len, NULL);
	assert_non_null(s);
	/* MW_ENCODED_WORDS_MAX words decoded, the rest kept as text. */
	assert_memory_equal(s, "aaaa", 4);
	assert_int_equal(strspn(s, "a"), MW_ENCODED_WORDS_MAX);
	assert_memory_equal(s + MW_ENCODED_WORDS_MAX, " =?x-", 5);
	assert_true(seconds_since(t0) < 1.0);
	free(v);
}

static void test_unterminated_word_floods_are_linear(void **state)
{
	(void)state;
	size_t n = MW_HEADER_VALUE_MAX;
	char *v = malloc(n);
	clock_t t0 = clock();
	const char *s;

	for (size_t i = 0; i + 7 <= n; i += 7)
		memcpy(v + i, "=?x?B?=", 7);
	s = mw_header_decode(&arena, v, n - n % 7, NULL);
	assert_non_null(s);
	assert_true(seconds_since(t0) < 1.0);
	/* No "?=" anywhere: every candidate is text. */
	for (size_t i = 0; i + 7 <= n; i += 7)
		memcpy(v + i, "=?x?Q?a", 7);
	s = mw_header_decode(&arena, v, n - n % 7, NULL);
	assert_non_null(s);
	assert_int_equal(strlen(s), n - n % 7);
	assert_true(seconds_since(t0) < 2.0);
	free(v);
}

/* -- Message-ID ------------------------------------------------------ */

static void test_msgid_takes_the_bracketed_id(void **state)
{
	(void)state;
	assert_string_equal(msgid("<abc@example.com>"), "abc@example.com");
	assert_string_equal(msgid("  <abc@example.com> (comment)"),
			    "abc@example.com");
	assert_string_equal(msgid("<a@b> <c@d>"), "a@b");
	assert_string_equal(msgid("<no-at-sign>"), "no-at-sign");
}

static void test_msgid_strips_white_space_and_comments(void **state)
{
	(void)state;
	assert_string_equal(msgid("< abc@example.com\r\n >"),
			    "abc@example.com");
	assert_string_equal(msgid("(see <x@y>) <abc@example.com>"),
			    "abc@example.com");
	assert_string_equal(msgid("(nested (<x@y>)) <real@z>"), "real@z");
	assert_string_equal(msgid("<> <real@z>"), "real@z");
}

static void test_msgid_without_brackets_takes_token_with_at(void **state)
{
	(void)state;
	assert_string_equal(msgid("abc@example.com"), "abc@example.com");
	assert_string_equal(msgid("(comment) junk abc@example.com more"),
			    "abc@example.com");
	assert_string_equal(msgid("<abc@example.com"), "abc@example.com");
	/* A lone token without '@' is still the id (seen in ARF reports). */
	assert_string_equal(msgid(" 000000-FFFFFF-22-ARF "),
			    "000000-FFFFFF-22-ARF");
}

static void test_msgid_absent_gives_null(void **state)
{
	(void)state;
	assert_null(msgid(""));
	assert_null(msgid("   "));
	assert_null(msgid("no id here"));
	assert_null(msgid("<>"));
	assert_null(msgid("(only@comment)"));
}

/* Found by fuzzing: "<<" gave "<", an id that still had its bracket. */
static void test_msgid_never_keeps_angle_brackets(void **state)
{
	(void)state;
	assert_null(mw_header_msgid(&arena, "<<", 2));
	assert_string_equal(mw_header_msgid(&arena, "<<a@b>>", 7), "a@b");
	assert_string_equal(mw_header_msgid(&arena, "<a@b", 4), "a@b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_msgid_never_keeps_angle_brackets),
	    cmocka_unit_test(test_splits_fields_in_order_with_names_as_written),
	    cmocka_unit_test(test_body_offset_is_exact_for_lf),
	    cmocka_unit_test(test_body_offset_is_exact_for_crlf),
	    cmocka_unit_test(test_body_offset_is_exact_for_bare_cr),
	    cmocka_unit_test(
		test_unfolds_continuation_lines_keeping_white_space),
	    cmocka_unit_test(test_trims_values_at_both_ends),
	    cmocka_unit_test(test_white_space_before_colon_is_tolerated),
	    cmocka_unit_test(test_skips_mbox_from_line),
	    cmocka_unit_test(test_leading_utf8_bom_is_skipped),
	    cmocka_unit_test(test_skips_lines_without_colon),
	    cmocka_unit_test(test_leading_continuation_line_is_skipped),
	    cmocka_unit_test(
		test_mime_boundary_line_ends_a_section_without_blank),
	    cmocka_unit_test(test_text_before_any_field_is_the_body),
	    cmocka_unit_test(test_empty_input_gives_no_fields),
	    cmocka_unit_test(test_leading_blank_line_means_no_headers),
	    cmocka_unit_test(test_headers_without_blank_line_end_at_len),
	    cmocka_unit_test(test_section_ending_exactly_at_len),
	    cmocka_unit_test(test_nul_bytes_in_values_become_spaces),
	    cmocka_unit_test(test_ten_megabyte_header_line_is_truncated_fast),
	    cmocka_unit_test(test_ten_megabyte_line_with_bare_cr_is_linear),
	    cmocka_unit_test(test_hundred_thousand_fields_are_capped),
	    cmocka_unit_test(test_folded_value_is_cut_at_value_max),
	    cmocka_unit_test(
		test_arena_refusal_gives_enomem_and_partial_result),
	    cmocka_unit_test(test_lookup_is_case_insensitive),
	    cmocka_unit_test(test_next_walks_every_field_of_a_name),
	    cmocka_unit_test(test_plain_ascii_value_is_unchanged),
	    cmocka_unit_test(test_decodes_iso_2022_jp_b_word),
	    cmocka_unit_test(test_decodes_shift_jis_and_euc_jp_words),
	    cmocka_unit_test(test_decodes_q_words_with_underscores),
	    cmocka_unit_test(
		test_joins_adjacent_words_without_their_white_space),
	    cmocka_unit_test(test_character_split_across_words_comes_out_whole),
	    cmocka_unit_test(
		test_base64_cut_mid_quantum_across_words_is_joined),
	    cmocka_unit_test(test_long_japanese_subject_from_corpus_decodes),
	    cmocka_unit_test(test_unknown_charset_gives_replacement_char),
	    cmocka_unit_test(test_rfc2231_language_in_word_is_tolerated),
	    cmocka_unit_test(test_broken_base64_word_is_kept_as_written),
	    cmocka_unit_test(test_malformed_words_are_kept_as_written),
	    cmocka_unit_test(test_words_without_surrounding_space_decode),
	    cmocka_unit_test(test_words_inside_quotes_and_comments_decode),
	    cmocka_unit_test(test_raw_utf8_is_kept),
	    cmocka_unit_test(test_raw_8bit_uses_fallback_charset),
	    cmocka_unit_test(test_raw_iso_2022_jp_is_detected),
	    cmocka_unit_test(test_decoded_line_breaks_and_nuls_become_spaces),
	    cmocka_unit_test(test_many_encoded_words_are_bounded_and_fast),
	    cmocka_unit_test(test_unterminated_word_floods_are_linear),
	    cmocka_unit_test(test_msgid_takes_the_bracketed_id),
	    cmocka_unit_test(test_msgid_strips_white_space_and_comments),
	    cmocka_unit_test(test_msgid_without_brackets_takes_token_with_at),
	    cmocka_unit_test(test_msgid_absent_gives_null),
	};
	return cmocka_run_group_tests_name("header", tests, setup, teardown);
}
