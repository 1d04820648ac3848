/* test_address.c - address lists with the real world's mistakes. */
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
#include "mail/address.h"

static mw_arena arena;

static int setup(void **state)
{
	(void)state;
	mw_arena_init(&arena, (size_t)256 * 1024 * 1024);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mw_arena_free(&arena);
	return 0;
}

typedef struct list {
	mw_address *v;
	size_t n;
	mw_status st;
} list;

static list parse(const char *s)
{
	list l;
	l.st = mw_address_parse_list(&arena, s, strlen(s), &l.v, &l.n);
	return l;
}

static void assert_mailbox(const mw_address *a, const char *display,
			   const char *addr)
{
	if (display)
		assert_string_equal(a->display, display);
	else
		assert_null(a->display);
	assert_string_equal(a->addr, addr);
}

static void test_unquoted_dots_in_display_name(void **state)
{
	(void)state;
	list l = parse("John Q. Public <jqp@example.com>");
	assert_int_equal(l.st, MW_OK);
	assert_int_equal(l.n, 1);
	assert_mailbox(&l.v[0], "John Q. Public", "jqp@example.com");
	assert_string_equal(l.v[0].local, "jqp");
	assert_string_equal(l.v[0].domain, "example.com");
}

static void test_bare_address_and_angle_without_name(void **state)
{
	(void)state;
	list l = parse("jqp@Example.COM, <Kiji.Tora@EXAMPLE.JP>");
	assert_int_equal(l.n, 2);
	assert_mailbox(&l.v[0], NULL, "jqp@example.com");
	/* local parts keep their case, domains are lower-cased */
	assert_mailbox(&l.v[1], NULL, "Kiji.Tora@example.jp");
}

static void test_display_name_in_rfc2047_and_raw_utf8(void **state)
{
	(void)state;
	list l = parse("=?UTF-8?B?5bGx55Sw5aSq6YOO?= <taro@example.jp>, "
		       "\xe5\xb1\xb1\xe7\x94\xb0 <hanako@example.jp>, "
		       "\"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\" <a@example.jp>");
	assert_int_equal(l.n, 3);
	assert_mailbox(&l.v[0],
		       "\xe5\xb1\xb1\xe7\x94\xb0\xe5\xa4\xaa\xe9\x83\x8e",
		       "taro@example.jp");
	assert_mailbox(&l.v[1], "\xe5\xb1\xb1\xe7\x94\xb0",
		       "hanako@example.jp");
	assert_mailbox(&l.v[2], "\xe5\xb1\xb1\xe7\x94\xb0", "a@example.jp");
}

static void test_raw_japanese_names_in_jis_sjis_and_euc(void **state)
{
	(void)state;
	/* ';' and ',' inside raw ISO-2022-JP are halves of kanji */
	list l = parse("\x1b$B;3ED\x1b(B <a@example.jp>, "
		       "\x8eR\x93\x63 <b@example.jp>, "
		       "\xbb\xb3\xc5\xc4 <c@example.jp>");
	assert_int_equal(l.n, 3);
	for (size_t k = 0; k < 3; k++)
		assert_string_equal(l.v[k].display, "\xe5\xb1\xb1\xe7\x94\xb0");
	assert_string_equal(l.v[2].addr, "c@example.jp");
}

static void test_comments_anywhere_even_nested(void **state)
{
	(void)state;
	list l = parse("jdoe@example.com (John (the man) Doe), "
		       "Jane (work) <jane(x)@(y)example.org> (ignored), "
		       "(only a comment)");
	assert_int_equal(l.n, 2);
	/* a comment inside the comment is dropped like any other */
	assert_mailbox(&l.v[0], "John Doe", "jdoe@example.com");
	assert_mailbox(&l.v[1], "Jane", "jane@example.org");
}

static void test_rfc822_prefix_and_stray_semicolons(void **state)
{
	(void)state;
	list l = parse("rfc822; user@example.com");
	assert_int_equal(l.n, 1);
	assert_mailbox(&l.v[0], NULL, "user@example.com");
	l = parse(";;a@example.com;; ; b@example.com;");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[1].addr, "b@example.com");
}

static void test_groups_are_flattened(void **state)
{
	(void)state;
	list l = parse("Friends: a@example.com, \"B C\" <b@example.com>;, "
		       "undisclosed-recipients:;, d@example.com");
	assert_int_equal(l.n, 3);
	assert_mailbox(&l.v[0], NULL, "a@example.com");
	assert_mailbox(&l.v[1], "B C", "b@example.com");
	assert_mailbox(&l.v[2], NULL, "d@example.com");
	l = parse("undisclosed-recipients:;");
	assert_int_equal(l.st, MW_OK);
	assert_int_equal(l.n, 0);
}

static void test_trailing_dot_is_dropped_from_domain(void **state)
{
	(void)state;
	list l = parse("user@example.com., <x@Example.ORG.>");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].addr, "user@example.com");
	assert_string_equal(l.v[1].addr, "x@example.org");
	/* a dot at the end of a local part is a real docomo address */
	l = parse("taro..@docomo.ne.jp");
	assert_string_equal(l.v[0].local, "taro..");
}

static void test_quoted_local_part_loses_quotes_only_if_harmless(void **state)
{
	(void)state;
	list l = parse("\"john smith\"@example.com, \"john\"@example.com, "
		       "\"Doe, J\" <\"j.doe\"@example.com>");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].local, "\"john smith\"");
	assert_string_equal(l.v[0].addr, "\"john smith\"@example.com");
	assert_string_equal(l.v[1].addr, "john@example.com");
	assert_mailbox(&l.v[2], "Doe, J", "j.doe@example.com");
}

static void test_source_route_is_dropped(void **state)
{
	(void)state;
	list l = parse("<@relay1.example,@relay2.example:user@Example.com>, "
		       "x@example.org");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].addr, "user@example.com");
	assert_string_equal(l.v[1].addr, "x@example.org");
}

static void test_missing_closing_angle_bracket(void **state)
{
	(void)state;
	list l = parse("Alice <alice@example.com, Bob <bob@example.com>");
	assert_int_equal(l.n, 2);
	assert_mailbox(&l.v[0], "Alice", "alice@example.com");
	assert_mailbox(&l.v[1], "Bob", "bob@example.com");
}

static void test_idn_domain_kept_and_ascii_lowered(void **state)
{
	(void)state;
	list l = parse("taro@\xe4\xbe\x8b\xe3\x81\x88.JP");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].domain, "\xe4\xbe\x8b\xe3\x81\x88.jp");
}

static void test_domain_literals(void **state)
{
	(void)state;
	list l = parse("user@[192.0.2.1], <u2@[IPv6:2001:DB8::1]>");
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].domain, "[192.0.2.1]");
	assert_string_equal(l.v[1].addr, "u2@[IPv6:2001:db8::1]");
}

static void test_name_split_at_unquoted_comma_is_joined(void **state)
{
	(void)state;
	list l = parse("Doe, John <jd@example.com>, Jane Roe, jr@example.com");
	assert_int_equal(l.n, 2);
	assert_mailbox(&l.v[0], "Doe, John", "jd@example.com");
	assert_mailbox(&l.v[1], NULL, "jr@example.com");
}

static void test_bare_local_part_only_inside_angles(void **state)
{
	(void)state;
	list l = parse("<MAILER-DAEMON>");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].addr, "MAILER-DAEMON");
	assert_null(l.v[0].domain);
	l = parse("John Doe, <>, @example.com, user@, a@b@");
	assert_int_equal(l.n, 0);
	l = parse("John Doe");
	assert_int_equal(l.n, 0);
}

static void test_lone_word_is_a_local_part(void **state)
{
	(void)state;
	list l = parse("MAILER-DAEMON (Mail Delivery System)");
	assert_int_equal(l.n, 1);
	assert_mailbox(&l.v[0], "Mail Delivery System", "MAILER-DAEMON");
	assert_null(l.v[0].domain);
	l = parse("postmaster, ");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].local, "postmaster");
	/* with other entries it is a name cut off at a comma, or junk */
	l = parse("root, daemon");
	assert_int_equal(l.n, 0);
}

static void test_obsolete_spaces_around_dots_and_at(void **state)
{
	(void)state;
	list l = parse("john . doe @ example . com");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].addr, "john.doe@example.com");
	l = parse("John Smith john@example.com");
	assert_mailbox(&l.v[0], "John Smith", "john@example.com");
}

static void test_parse_one_gives_first_mailbox(void **state)
{
	(void)state;
	const char *s = "junk, \"A\" <a@example.com>, b@example.com";
	const mw_address *a = mw_address_parse_one(&arena, s, strlen(s));
	assert_non_null(a);
	assert_string_equal(a->addr, "a@example.com");
	assert_null(mw_address_parse_one(&arena, "", 0));
	assert_null(mw_address_parse_one(&arena, NULL, 0));
}

static char *many(size_t count, const char *fmt)
{
	size_t cap = count * 40 + 1, k = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	for (size_t i = 0; i < count; i++)
		k += (size_t)snprintf(s + k, cap - k, fmt, i);
	return s;
}

static void test_list_is_bounded_at_addresses_max(void **state)
{
	(void)state;
	char *s = many(MW_ADDRESSES_MAX, "u%zu@example.com, ");
	list l = parse(s);
	assert_int_equal(l.st, MW_OK);
	assert_int_equal(l.n, MW_ADDRESSES_MAX);
	free(s);

	s = many(MW_ADDRESSES_MAX + 500, "\"N\" <u%zu@example.com>, ");
	l = parse(s);
	assert_int_equal(l.st, MW_ETRUNCATED);
	assert_int_equal(l.n, MW_ADDRESSES_MAX);
	assert_string_equal(l.v[MW_ADDRESSES_MAX - 1].addr, "u999@example.com");
	free(s);
}

static char *repeat(const char *head, const char *unit, size_t bytes,
		    const char *tail)
{
	size_t h = strlen(head), u = strlen(unit), t = strlen(tail);
	size_t n = bytes / u;
	char *s = malloc(h + n * u + t + 1);
	assert_non_null(s);
	memcpy(s, head, h);
	for (size_t k = 0; k < n; k++)
		memcpy(s + h + k * u, unit, u);
	memcpy(s + h + n * u, tail, t + 1);
	return s;
}

static void test_hostile_values_finish_fast(void **state)
{
	(void)state;
	static const char *const units[] = {
	    "(", ")", "\"", "<",     ">", "[", "@[",  "\\",
	    ",", ";", ":",  "\x1b$", "a", "@", "<@,", "a (b) "};
	for (size_t k = 0; k < sizeof units / sizeof *units; k++) {
		clock_t t0 = clock();
		char *s = repeat("x ", units[k], (size_t)1024 * 1024,
				 " <last@example.com>");
		list l = parse(s);
		(void)l;
		size_t end;
		mw_address_find(&arena, s, strlen(s), &end);
		assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
		free(s);
	}
	/* a 10 MB field of valid addresses stops at the bound */
	char *s = repeat("", "a@example.com, ", (size_t)10 * 1024 * 1024, "");
	list l = parse(s);
	assert_int_equal(l.st, MW_ETRUNCATED);
	free(s);
}

static void test_unclosed_comment_still_finds_address(void **state)
{
	(void)state;
	list l = parse("John (Doe <jd@example.com>");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].addr, "jd@example.com");
	l = parse("\"John <jd@example.com>");
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].addr, "jd@example.com");
}

static void test_nul_bytes_do_not_cut_or_leak(void **state)
{
	(void)state;
	static const char v[] = "A\0B <a@example.com>, b\0c@example.com, "
				"c@example.org";
	mw_address *out;
	size_t n;
	assert_int_equal(
	    mw_address_parse_list(&arena, v, sizeof v - 1, &out, &n), MW_OK);
	/* a NUL is white space, as the header parser makes it */
	assert_int_equal(n, 3);
	assert_string_equal(out[0].display, "A B");
	assert_mailbox(&out[1], "b", "c@example.com");
	assert_string_equal(out[2].addr, "c@example.org");
}

static void find_is(const char *text, const char *want, const char *rest)
{
	size_t end = 0;
	char *got = mw_address_find(&arena, text, strlen(text), &end);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_string_equal(text + end, rest);
}

static void test_find_in_diagnostic_texts(void **state)
{
	(void)state;
	find_is("550 5.1.1 <Foo@Example.JP>... User unknown", "Foo@example.jp",
		">... User unknown");
	find_is("smtp; 550 'user@Example.org' no mailbox", "user@example.org",
		"' no mailbox");
	find_is("RCPT TO:<neko@EXAMPLE.co.jp>: 550 Unknown",
		"neko@example.co.jp", ">: 550 Unknown");
	find_is("User unknown: kijitora@example.jp.", "kijitora@example.jp",
		".");
	find_is("\xe5\xae\x9b\xe5\x85\x88\xe3\x80\x8c"
		"kijitora@example.jp\xe3\x80\x8d",
		"kijitora@example.jp", "\xe3\x80\x8d");
	find_is("\"john smith\"@Example.com rejected",
		"\"john smith\"@example.com", " rejected");
	find_is("mailbox <root@localhost> unavailable", "root@localhost",
		"> unavailable");
	find_is("user@localhost is unknown, try x@example.net", "x@example.net",
		"");
	find_is("no address here @ all", NULL, NULL);
	find_is("@@@@", NULL, NULL);
	find_is("", NULL, NULL);
	assert_null(mw_address_find(&arena, NULL, 0, NULL));
}

static void test_find_goes_on_after_end(void **state)
{
	(void)state;
	const char *t = "a@example.com, b@Example.NET and c@x";
	size_t end, pos = 0;
	char *a = mw_address_find(&arena, t, strlen(t), &end);
	assert_string_equal(a, "a@example.com");
	pos = end;
	char *b = mw_address_find(&arena, t + pos, strlen(t) - pos, &end);
	assert_string_equal(b, "b@example.net");
	pos += end;
	assert_null(mw_address_find(&arena, t + pos, strlen(t) - pos, &end));
}

static bool valid(const char *s)
{
	return mw_address_is_valid(s, strlen(s));
}

static void test_is_valid(void **state)
{
	(void)state;
	assert_true(valid("user@example.com"));
	assert_true(valid("first.last+tag@sub.example.co.jp"));
	assert_true(valid("\"john smith\"@example.com"));
	assert_true(valid("taro..@docomo.ne.jp"));
	assert_true(valid("user@[192.0.2.1]"));
	assert_true(valid("user@\xe4\xbe\x8b\xe3\x81\x88.jp"));
	assert_false(valid(""));
	assert_false(valid("user"));
	assert_false(valid("user@localhost"));
	assert_false(valid("user@example..com"));
	assert_false(valid("user@.example.com"));
	assert_false(valid("user@example.com."));
	assert_false(valid("@example.com"));
	assert_false(valid("a@b@example.com"));
	assert_false(valid("john smith@example.com"));
	assert_false(valid(".user@example.com"));
	assert_false(valid("user@exa mple.com"));
	assert_false(valid("<user@example.com>"));
	assert_false(mw_address_is_valid("a@b.c\0d", 7));
	assert_false(mw_address_is_valid(NULL, 0));
}

/* Found by fuzzing: a NUL inside a quoted local part used to be returned
 * inside the address, so the C string ended before its '@'. */
static void test_find_stops_quoted_local_part_at_control_bytes(void **state)
{
	(void)state;
	static const char text[] = "\"\0\"@p.m";
	size_t end = 0;
	char *got = mw_address_find(&arena, text, sizeof text - 1, &end);
	if (got)
		assert_non_null(strchr(got, '@'));
}

/* Found by fuzzing: a quoted string running past the end of its token
 * was copied whole into a buffer sized for the phrase. */
static void test_quote_running_past_its_token_stays_in_bounds(void **state)
{
	(void)state;
	static const char v[] = "Nobody\"x <a@example.jp>, \"tail";
	const mw_address *a = mw_address_parse_one(&arena, v, sizeof v - 1);
	if (a && a->display)
		assert_true(strlen(a->display) <= sizeof v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unquoted_dots_in_display_name),
	    cmocka_unit_test(test_bare_address_and_angle_without_name),
	    cmocka_unit_test(test_display_name_in_rfc2047_and_raw_utf8),
	    cmocka_unit_test(test_raw_japanese_names_in_jis_sjis_and_euc),
	    cmocka_unit_test(test_comments_anywhere_even_nested),
	    cmocka_unit_test(test_rfc822_prefix_and_stray_semicolons),
	    cmocka_unit_test(test_groups_are_flattened),
	    cmocka_unit_test(test_trailing_dot_is_dropped_from_domain),
	    cmocka_unit_test(
		test_quoted_local_part_loses_quotes_only_if_harmless),
	    cmocka_unit_test(test_source_route_is_dropped),
	    cmocka_unit_test(test_missing_closing_angle_bracket),
	    cmocka_unit_test(test_idn_domain_kept_and_ascii_lowered),
	    cmocka_unit_test(test_domain_literals),
	    cmocka_unit_test(test_name_split_at_unquoted_comma_is_joined),
	    cmocka_unit_test(test_bare_local_part_only_inside_angles),
	    cmocka_unit_test(test_lone_word_is_a_local_part),
	    cmocka_unit_test(test_obsolete_spaces_around_dots_and_at),
	    cmocka_unit_test(test_parse_one_gives_first_mailbox),
	    cmocka_unit_test(test_list_is_bounded_at_addresses_max),
	    cmocka_unit_test(test_hostile_values_finish_fast),
	    cmocka_unit_test(test_unclosed_comment_still_finds_address),
	    cmocka_unit_test(test_nul_bytes_do_not_cut_or_leak),
	    cmocka_unit_test(test_find_in_diagnostic_texts),
	    cmocka_unit_test(test_find_goes_on_after_end),
	    cmocka_unit_test(test_is_valid),
	    cmocka_unit_test(test_find_stops_quoted_local_part_at_control_bytes),
	    cmocka_unit_test(test_quote_running_past_its_token_stays_in_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
