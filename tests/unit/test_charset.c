/* test_charset.c - every declared charset comes out as UTF-8, never fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lib/limits.h"
#include "mail/charset.h"

#define FFFD "\xEF\xBF\xBD"

static char res[8192];

/* in[0..n) converted from cs, as a C string; asserts MW_OK. */
static const char *conv_n(const char *cs, const char *in, size_t n)
{
	mw_buf b;

	mw_buf_init(&b, sizeof(res) - 1);
	assert_int_equal(mw_charset_to_utf8(cs, in, n, &b), MW_OK);
	assert_true(b.len < sizeof(res));
	memcpy(res, mw_buf_cstr(&b), b.len + 1);
	mw_buf_free(&b);
	return res;
}

static const char *conv(const char *cs, const char *in)
{
	return conv_n(cs, in, strlen(in));
}

static const char *sanitize(const char *in, size_t n)
{
	mw_buf b;

	mw_buf_init(&b, sizeof(res) - 1);
	assert_int_equal(mw_utf8_sanitize(in, n, &b), MW_OK);
	memcpy(res, mw_buf_cstr(&b), b.len + 1);
	mw_buf_free(&b);
	return res;
}

static void test_utf8_valid_accepts_well_formed_text(void **state)
{
	(void)state;
	assert_true(mw_utf8_valid("", 0));
	assert_true(mw_utf8_valid("plain", 5));
	assert_true(mw_utf8_valid("テスト", strlen("テスト")));
	assert_true(mw_utf8_valid("\xF0\x9F\x98\x80", 4)); /* U+1F600 */
	assert_true(mw_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
}

static void test_utf8_valid_rejects_overlongs_surrogates_and_cuts(void **state)
{
	(void)state;
	assert_false(mw_utf8_valid("\xC0\x80", 2));	    /* overlong NUL */
	assert_false(mw_utf8_valid("\xE0\x80\xAF", 3));	    /* overlong '/' */
	assert_false(mw_utf8_valid("\xED\xA0\x80", 3));	    /* surrogate */
	assert_false(mw_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(mw_utf8_valid("\xE3\x83", 2));	    /* cut short */
	assert_false(mw_utf8_valid("\x80", 1));		    /* lone tail */
	assert_false(mw_utf8_valid("\xFF", 1));
}

static void test_sanitize_replaces_each_invalid_run_once(void **state)
{
	(void)state;
	assert_string_equal(sanitize("a\xFF"
				     "b",
				     3),
			    "a" FFFD "b");
	assert_string_equal(sanitize("a\xFF\xFE\x80z", 5), "a" FFFD "z");
	assert_string_equal(sanitize("\xE3\x83", 2), FFFD);
	assert_string_equal(sanitize("x\xE3\x83\x86y", 5), "x\xE3\x83\x86y");
	assert_string_equal(sanitize("\xC0\x80ok", 4), FFFD "ok");
}

static void test_null_or_empty_charset_reads_utf8_leniently(void **state)
{
	(void)state;
	assert_string_equal(conv(NULL, "caf\xC3\xA9"), "caf\xC3\xA9");
	assert_string_equal(conv("", "a\xFF"), "a" FFFD);
}

static void test_us_ascii_with_8bit_bytes_is_read_as_utf8(void **state)
{
	(void)state;
	assert_string_equal(conv("us-ascii", "テスト"), "テスト");
	assert_string_equal(conv("US-ASCII", "x\x83y"), "x" FFFD "y");
	assert_string_equal(conv("unknown-8bit", "テ\x83"), "テ" FFFD);
}

static void test_utf8_aliases_and_quoted_names(void **state)
{
	(void)state;
	assert_string_equal(conv("UTF8", "テスト\xFF"), "テスト" FFFD);
	assert_string_equal(conv("\"utf-8\"", "テスト"), "テスト");
	assert_string_equal(conv(" Utf-8 ", "テスト"), "テスト");
}

static void test_shift_jis_and_its_aliases_read_as_cp932(void **state)
{
	(void)state;
	const char *sjis = "\x83\x65\x83\x58\x83\x67"; /* テスト */

	assert_string_equal(conv("Shift_JIS", sjis), "テスト");
	assert_string_equal(conv("x-sjis", sjis), "テスト");
	assert_string_equal(conv("SJIS", sjis), "テスト");
	assert_string_equal(conv("windows-31j", sjis), "テスト");
	/* NEC row 13 and IBM extensions exist only in CP932. */
	assert_string_equal(conv("shift_jis", "\x87\x40\xFA\x40"), "①ⅰ");
	/* The wave dash as Windows maps it. */
	assert_string_equal(conv("shift_jis", "\x81\x60"), "\xEF\xBD\x9E");
}

static void test_euc_jp_decodes(void **state)
{
	(void)state;
	assert_string_equal(conv("EUC-JP", "\xA5\xC6\xA5\xB9\xA5\xC8"),
			    "テスト");
	assert_string_equal(conv("x-euc-jp", "\xA4\xA2\x8E\xB1"), "あｱ");
	assert_string_equal(conv("euc-jp", "\xAD\xA1"), "①");
}

static void test_iso_2022_jp_decodes(void **state)
{
	(void)state;
	assert_string_equal(conv("ISO-2022-JP", "\x1B$B%F%9%H\x1B(B"),
			    "テスト");
	assert_string_equal(conv("iso-2022-jp", "Re: \x1B$B%F%9%H\x1B(B!"),
			    "Re: テスト!");
	/* ESC $ @ (JIS C 6226-1978) and ESC ( J (JIS Roman) are common too. */
	assert_string_equal(conv("iso-2022-jp", "\x1B$@$\"\x1B(Jx"), "あx");
}

static void test_iso_2022_jp_keeps_cp50221_extensions(void **state)
{
	(void)state;
	/* NEC row 13 circled digit, which glibc's ISO-2022-JP refuses. */
	assert_string_equal(conv("iso-2022-jp", "\x1B$B-!-\"\x1B(B"), "①②");
	/* Half-width kana by ESC ( I and by SO/SI. */
	assert_string_equal(conv("iso-2022-jp", "\x1B(I123\x1B(B"), "ｱｲｳ");
	assert_string_equal(conv("iso-2022-jp", "a\x0E"
						"1\x0F"
						"b"),
			    "aｱb");
	/* JIS X 0212 by ESC $ ( D. */
	assert_string_equal(conv("iso-2022-jp", "\x1B$(D\x30\x21\x1B(B"), "丂");
}

static void test_iso_2022_jp_without_final_reset_still_decodes(void **state)
{
	(void)state;
	assert_string_equal(conv("iso-2022-jp", "\x1B$B%F%9%H"), "テスト");
}

static void test_iso_2022_jp_broken_bytes_become_replacement(void **state)
{
	(void)state;
	/* Half a double-byte character at the end. */
	assert_string_equal(conv("iso-2022-jp", "\x1B$B%F%"), "テ" FFFD);
	/* An escape nobody knows, then text. */
	assert_string_equal(conv("iso-2022-jp", "a\x1B$Zb"), "a" FFFD "$Zb");
	/* 8-bit junk that is not kana. */
	assert_string_equal(conv("iso-2022-jp", "a\xFF\xFE"
						"b"),
			    "a" FFFD "b");
}

static void test_korean_and_chinese_names_read_as_supersets(void **state)
{
	(void)state;
	assert_string_equal(conv("ks_c_5601-1987", "\xC7\xD1\xB1\xB9"), "한국");
	assert_string_equal(conv("euc-kr", "\xC7\xD1\xB1\xB9"), "한국");
	assert_string_equal(conv("gb2312", "\xD6\xD0\xCE\xC4"), "中文");
	/* 0x81 0x40 is GBK, outside GB2312, and still decodes. */
	assert_string_equal(conv("gb2312", "\x81\x40"), "丂");
	assert_string_equal(conv("big5", "\xA4\xA4\xA4\xE5"), "中文");
}

static void test_latin1_is_read_as_windows_1252(void **state)
{
	(void)state;
	assert_string_equal(conv("ISO-8859-1", "caf\xE9 \x80"), "café €");
	assert_string_equal(conv("windows-1252", "\x93q\x94"), "“q”");
	assert_string_equal(conv("iso-8859-15", "\xA4"), "€");
	assert_string_equal(conv("windows-1251", "\xCF\xF0\xE8"), "При");
}

static void test_utf7_decodes(void **state)
{
	(void)state;
	assert_string_equal(conv("UTF-7", "+ZeVnLIqe-"), "日本語");
	assert_string_equal(conv("unicode-1-1-utf-7", "a+AOk-b"), "aéb");
}

static void test_invalid_bytes_become_one_replacement_per_run(void **state)
{
	(void)state;
	assert_string_equal(conv("euc-jp", "a\xFF\xFF\xFF"
					   "b\xFF"
					   "c"),
			    "a" FFFD "b" FFFD "c");
	/* A lead byte cut off by the end of input. */
	assert_string_equal(conv("shift_jis", "\x83\x65\x83"), "テ" FFFD);
}

static void test_unknown_charset_gives_replacement_char(void **state)
{
	(void)state;
	assert_string_equal(conv("x-no-such-charset", "ok\xFF"), "ok" FFFD);
	assert_string_equal(conv("x-no-such-charset", "テスト"), "テスト");
	/* Asked again, from the remembered refusal. */
	assert_string_equal(conv("x-no-such-charset", "\xFF"), FFFD);
}

static void test_charset_names_that_could_steer_iconv_are_unknown(void **state)
{
	(void)state;
	char longname[MW_CHARSET_NAME_MAX + 10];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "utf-7", 5);
	assert_string_equal(conv(longname, "+ZeVnLIqe-\xFF"),
			    "+ZeVnLIqe-" FFFD);
	/* glibc's "//TRANSLIT" and "//IGNORE" suffixes are not names. */
	assert_string_equal(conv("UTF-7//IGNORE", "+ZeVnLIqe-"), "+ZeVnLIqe-");
	assert_string_equal(conv("../../etc/x", "a\xFF"), "a" FFFD);
}

static void test_rfc2231_language_suffix_is_ignored(void **state)
{
	(void)state;
	assert_string_equal(conv("shift_jis*ja", "\x83\x65"), "テ");
}

static void test_output_over_cap_keeps_what_fitted(void **state)
{
	(void)state;
	mw_buf b;

	mw_buf_init(&b, 7);
	assert_int_equal(
	    mw_charset_to_utf8("euc-jp", "\xA5\xC6\xA5\xB9\xA5\xC8", 6, &b),
	    MW_ETOOBIG);
	assert_true(b.len <= 7);
	assert_memory_equal(b.data, "テス", 6);
	mw_buf_free(&b);
	mw_buf_init(&b, 2);
	assert_int_equal(mw_utf8_sanitize("abc", 3, &b), MW_ETOOBIG);
	assert_string_equal(mw_buf_cstr(&b), "ab");
	mw_buf_free(&b);
}

static void test_many_charsets_in_turn_all_convert(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "iso-8859-2",   "iso-8859-3",   "iso-8859-4",   "iso-8859-5",
	    "iso-8859-6",   "iso-8859-7",   "iso-8859-8",   "iso-8859-9",
	    "iso-8859-10",  "iso-8859-13",  "iso-8859-14",  "iso-8859-15",
	    "iso-8859-16",  "windows-1250", "windows-1251", "windows-1253",
	    "windows-1254", "windows-1255", "windows-1256", "windows-1257",
	    "windows-1258", "koi8-r",	    "koi8-u",	    "tis-620",
	    "cp850",	    "cp866",	    "euc-jp",	    "shift_jis",
	    "cp949",	    "gb18030"};

	/* More names than the descriptor pool holds, twice over. */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			assert_string_equal(conv(names[i], "plain ascii"),
					    "plain ascii");
	assert_string_equal(conv("koi8-r", "\xF0\xD2\xC9"), "При");
	mw_charset_cleanup();
	assert_string_equal(conv("euc-jp", "\xA4\xA2"), "あ");
	mw_charset_cleanup();
}

static void test_empty_input_may_be_a_null_pointer(void **state)
{
	(void)state;
	mw_buf b;

	mw_buf_init(&b, 16);
	assert_int_equal(mw_charset_to_utf8("shift_jis", NULL, 0, &b), MW_OK);
	assert_int_equal(mw_charset_to_utf8(NULL, NULL, 0, &b), MW_OK);
	assert_int_equal(mw_utf8_sanitize(NULL, 0, &b), MW_OK);
	assert_true(mw_utf8_valid(NULL, 0));
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_embedded_nul_bytes_pass_through(void **state)
{
	(void)state;
	mw_buf b;

	mw_buf_init(&b, 64);
	assert_int_equal(mw_charset_to_utf8("shift_jis", "a\0\x83\x65", 4, &b),
			 MW_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "a\0テ", 5);
	mw_buf_free(&b);
}

/* glibc folds names like "ut)f-8" to its own UTF-8 decoder, which passes
 * code points beyond U+10FFFF through; the output must still be UTF-8. */
static void test_iconv_output_is_always_valid_utf8(void **state)
{
	(void)state;
	mw_buf out;
	mw_buf_init(&out, 1024);
	assert_int_equal(
		mw_charset_to_utf8("ut)f-8", "a\xf5\xb4\xb5\x84" "b\n", 7, &out),
		MW_OK);
	assert_true(mw_utf8_valid(out.data, out.len));
	assert_int_equal(out.data[0], 'a');
	assert_string_equal(out.data + out.len - 2, "b\n");
	mw_buf_free(&out);
}

/* ISO-2022-JP is 7-bit: 8-bit bytes under that label are really Shift_JIS,
 * EUC-JP or UTF-8, as in lhost-postfix-09 of the Sisimai corpus. */
static void test_mislabelled_iso2022jp_is_read_as_what_it_is(void **state)
{
	(void)state;
	static const struct {
		const char *bytes, *text;
	} cases[] = {
		{"\x83\x65\x83\x58\x83\x67", "テスト"}, /* Shift_JIS */
		{"\xa5\xc6\xa5\xb9\xa5\xc8", "テスト"}, /* EUC-JP */
		{"テスト", "テスト"},                      /* UTF-8 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mw_buf out;
		mw_buf_init(&out, 1024);
		assert_int_equal(mw_charset_to_utf8("ISO-2022-JP", cases[i].bytes,
						    strlen(cases[i].bytes), &out),
				 MW_OK);
		assert_string_equal(mw_buf_cstr(&out), cases[i].text);
		mw_buf_free(&out);
	}
	assert_string_equal(mw_charset_guess_japanese("\x83\x65", 2),
			    "Shift_JIS");
	assert_null(mw_charset_guess_japanese("abc", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_valid_accepts_well_formed_text),
	    cmocka_unit_test(
		test_utf8_valid_rejects_overlongs_surrogates_and_cuts),
	    cmocka_unit_test(test_sanitize_replaces_each_invalid_run_once),
	    cmocka_unit_test(test_null_or_empty_charset_reads_utf8_leniently),
	    cmocka_unit_test(test_us_ascii_with_8bit_bytes_is_read_as_utf8),
	    cmocka_unit_test(test_utf8_aliases_and_quoted_names),
	    cmocka_unit_test(test_shift_jis_and_its_aliases_read_as_cp932),
	    cmocka_unit_test(test_euc_jp_decodes),
	    cmocka_unit_test(test_iso_2022_jp_decodes),
	    cmocka_unit_test(test_iso_2022_jp_keeps_cp50221_extensions),
	    cmocka_unit_test(
		test_iso_2022_jp_without_final_reset_still_decodes),
	    cmocka_unit_test(test_iso_2022_jp_broken_bytes_become_replacement),
	    cmocka_unit_test(test_korean_and_chinese_names_read_as_supersets),
	    cmocka_unit_test(test_latin1_is_read_as_windows_1252),
	    cmocka_unit_test(test_utf7_decodes),
	    cmocka_unit_test(test_invalid_bytes_become_one_replacement_per_run),
	    cmocka_unit_test(test_unknown_charset_gives_replacement_char),
	    cmocka_unit_test(
		test_charset_names_that_could_steer_iconv_are_unknown),
	    cmocka_unit_test(test_rfc2231_language_suffix_is_ignored),
	    cmocka_unit_test(test_output_over_cap_keeps_what_fitted),
	    cmocka_unit_test(test_many_charsets_in_turn_all_convert),
	    cmocka_unit_test(test_empty_input_may_be_a_null_pointer),
	    cmocka_unit_test(test_embedded_nul_bytes_pass_through),
	    cmocka_unit_test(test_iconv_output_is_always_valid_utf8),
	    cmocka_unit_test(test_mislabelled_iso2022jp_is_read_as_what_it_is),
	};
	return cmocka_run_group_tests_name("charset", tests, NULL, NULL);
}
