/*
 * test_milter_encoder.c - every reply comes out byte for byte as the
 * protocol writes it (expected bytes written by hand), and a reply the MTA
 * would refuse is refused here, leaving the buffer as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "milter/encoder.h"

/* What mailwarden agrees with Postfix 3.7 (see test_milter_protocol.c). */
static const mw_milter_opts ours = {6, MW_MILTER_OUR_ACTIONS,
				    MW_MILTER_OUR_STEPS};
static const mw_milter_opts everything = {6, MW_SMFIF_ALL, MW_SMFIP_ALL};
static const mw_milter_opts nothing = {6, 0, 0};

#define S(lit) MW_STR_LIT(lit)
#define NONE mw_str_make("", 0)

static void assert_bytes(const mw_buf *b, const char *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->data, want, n);
}

#define ASSERT_BYTES(b, lit) assert_bytes((b), (lit), sizeof(lit) - 1)

/* -- decisions --------------------------------------------------------- */

static void test_simple_replies_are_one_byte_frames(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_continue(&b), MW_OK);
	assert_int_equal(mw_milter_put_accept(&b), MW_OK);
	assert_int_equal(mw_milter_put_reject(&b), MW_OK);
	assert_int_equal(mw_milter_put_tempfail(&b), MW_OK);
	assert_int_equal(mw_milter_put_discard(&b), MW_OK);
	assert_int_equal(mw_milter_put_progress(&b), MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x01"
			 "c"
			 "\x00\x00\x00\x01"
			 "a"
			 "\x00\x00\x00\x01"
			 "r"
			 "\x00\x00\x00\x01"
			 "t"
			 "\x00\x00\x00\x01"
			 "d"
			 "\x00\x00\x00\x01"
			 "p");
	mw_buf_free(&b);
}

static void test_simple_reply_refuses_replies_with_payload(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_simple(&b, MW_SMFIR_ADDHEADER),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_simple(&b, MW_SMFIR_REPLYCODE),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_simple(&b, MW_SMFIR_SKIP), MW_EINVAL);
	assert_int_equal(mw_milter_put_simple(&b, MW_SMFIR_SHUTDOWN),
			 MW_EINVAL);
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_skip_needs_the_skip_step(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_skip(&b, &ours), MW_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(mw_milter_put_skip(&b, &everything), MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x01"
			 "s");
	mw_buf_free(&b);
}

/* -- option negotiation ------------------------------------------------ */

static void test_optneg_reply_carries_the_agreed_words(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_optneg(&b, &ours, NULL), MW_OK);
	/* actions 0x7d = ADDHDRS|ADDRCPT|DELRCPT|CHGHDRS|QUARANTINE|CHGFROM
	 * steps 0x0813c2 = NOHELO|NOEOH|NR_HDR|NOUNKNOWN|NODATA|NR_CONN|
	 * NR_BODY */
	ASSERT_BYTES(&b, "\x00\x00\x00\x0d"
			 "O"
			 "\x00\x00\x00\x06"
			 "\x00\x00\x00\x7d"
			 "\x00\x08\x13\xc2");
	mw_buf_free(&b);
}

static void test_optneg_reply_with_macro_lists(void **state)
{
	(void)state;
	const char *lists[MW_SMFIM_COUNT] = {NULL};
	lists[MW_SMFIM_ENVFROM] = "{auth_authen}";
	lists[MW_SMFIM_EOM] = "i";
	mw_milter_opts agreed = {6, MW_SMFIF_ADDHDRS | MW_SMFIF_SETSYMLIST, 0};
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_optneg(&b, &agreed, lists), MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x25"
			 "O"
			 "\x00\x00\x00\x06"
			 "\x00\x00\x01\x01"
			 "\x00\x00\x00\x00"
			 "\x00\x00\x00\x02"
			 "{auth_authen}\0"
			 "\x00\x00\x00\x05"
			 "i\0");
	mw_buf_free(&b);
}

static void test_optneg_macro_lists_need_setsymlist(void **state)
{
	(void)state;
	const char *lists[MW_SMFIM_COUNT] = {"{daemon_name}"};
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_optneg(&b, &ours, lists), MW_EINVAL);
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

/* -- reply codes ------------------------------------------------------- */

static void test_replycode_is_code_xcode_text_and_nul(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5.7.1",
						 S("forged bounce refused")),
			 MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x21"
			 "y"
			 "550 5.7.1 forged bounce refused\0");
	mw_buf_free(&b);
}

static void test_replycode_doubles_percent_signs(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "452", "4.5.3", S("100% of %d used")),
	    MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x1d"
			 "y"
			 "452 4.5.3 100%% of %%d used\0");
	mw_buf_free(&b);
}

static void test_replycode_without_text(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_replycode(&b, "421", "4.3.2", NONE),
			 MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x0b"
			 "y"
			 "421 4.3.2\0");
	mw_buf_free(&b);
}

static void test_replycode_refuses_what_postfix_would_refuse(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	mw_str t = S("text");
	assert_int_equal(mw_milter_put_replycode(&b, "250", "2.0.0", t),
			 MW_EINVAL); /* not a refusal */
	assert_int_equal(mw_milter_put_replycode(&b, "55", "5.7.1", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "5500", "5.7.1", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "5x0", "5.7.1", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "4.7.1", t),
			 MW_EINVAL); /* class differs from the code */
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5.7", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5.7.1000", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5..1", t),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "", t), MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", NULL, t),
			 MW_EINVAL);
	assert_int_equal(b.len, 0);
	/* The longest parts RFC 3463 allows are fine. */
	assert_int_equal(mw_milter_put_replycode(&b, "554", "5.123.456", t),
			 MW_OK);
	mw_buf_free(&b);
}

static void test_replycode2_is_two_lines_english_then_local(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_replycode2(&b, "550", "5.7.1",
						  S("Sending is 100% stopped"),
						  S("送信を停止しました")),
			 MW_OK);
	const char want[] = "550-5.7.1 Sending is 100%% stopped\r\n"
			    "550 5.7.1 送信を停止しました";
	assert_int_equal(b.len, 4 + 1 + sizeof want);
	assert_int_equal((unsigned char)b.data[4], 'y');
	assert_memory_equal(b.data + 5, want, sizeof want);
	mw_buf_free(&b);
}

static void test_replycode2_refuses_bad_lines(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 4096);
	/* the English line stays ASCII; the local line UTF-8 without
	 * controls; neither may be empty */
	assert_int_equal(mw_milter_put_replycode2(&b, "550", "5.7.1",
						  S("送信"), S("送信")),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode2(&b, "550", "5.7.1", S("x"),
						  S("\xe9\x80")),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode2(&b, "550", "5.7.1", S("x"),
						  S("a\r\n250 ok")),
			 MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_replycode2(&b, "550", "5.7.1", S("x"), NONE),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_replycode2(&b, "550", "5.7.1", NONE, S("x")),
	    MW_EINVAL);
	char long_line[600];
	memset(long_line, 'a', sizeof long_line);
	assert_int_equal(
	    mw_milter_put_replycode2(&b, "550", "5.7.1", S("x"),
				     mw_str_make(long_line, sizeof long_line)),
	    MW_EINVAL);
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_replycode_refuses_line_breaks_and_controls(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", S("one\r\n250 ok")),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", S("bare\nLF")),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", S("nul\0inside")),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", S("tab\there")),
	    MW_EINVAL);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5.7.1",
						 S("\xe6\x97\xa5\xe6\x9c\xac")),
			 MW_EINVAL); /* 8-bit text has no place in a reply */
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_replycode_line_fits_smtp_limit(void **state)
{
	(void)state;
	/* "550 5.7.1 " is 10 bytes; 500 more make the 510 allowed. */
	char text[502];
	memset(text, 'x', sizeof text);
	mw_buf b;
	mw_buf_init(&b, 4096);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", mw_str_make(text, 500)),
	    MW_OK);
	assert_int_equal(b.len, 4 + 1 + 510 + 1);
	assert_int_equal(
	    mw_milter_put_replycode(&b, "550", "5.7.1", mw_str_make(text, 501)),
	    MW_EINVAL);
	assert_int_equal(b.len, 4 + 1 + 510 + 1);
	mw_buf_free(&b);
}

/* -- modifications ----------------------------------------------------- */

static void test_quarantine(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_quarantine(&b, &ours, S("backscatter")),
			 MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x0d"
			 "q"
			 "backscatter\0");
	assert_int_equal(mw_milter_put_quarantine(&b, &ours, NONE), MW_EINVAL);
	assert_int_equal(mw_milter_put_quarantine(&b, &nothing, S("x")),
			 MW_EINVAL);
	assert_int_equal(b.len, 17);
	mw_buf_free(&b);
}

static void test_chgfrom_with_and_without_args(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_chgfrom(
			     &b, &ours, S("<prvs=0123abcdef=a@ex.jp>"), NONE),
			 MW_OK);
	assert_int_equal(
	    mw_milter_put_chgfrom(&b, &ours, S("<a@ex.jp>"), S("SIZE=10")),
	    MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x1b"
			 "e"
			 "<prvs=0123abcdef=a@ex.jp>\0"
			 "\x00\x00\x00\x13"
			 "e"
			 "<a@ex.jp>\0SIZE=10\0");
	mw_buf_free(&b);
}

static void test_recipient_changes(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(
	    mw_milter_put_delrcpt(&b, &ours, S("<prvs=0123abcdef=u@ex.jp>")),
	    MW_OK);
	assert_int_equal(mw_milter_put_addrcpt(&b, &ours, S("<u@ex.jp>"), NONE),
			 MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x1b"
			 "-"
			 "<prvs=0123abcdef=u@ex.jp>\0"
			 "\x00\x00\x00\x0b"
			 "+"
			 "<u@ex.jp>\0");
	mw_buf_free(&b);
}

static void test_addrcpt_with_args_needs_addrcpt_par(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(
	    mw_milter_put_addrcpt(&b, &ours, S("<u@ex.jp>"), S("NOTIFY=NEVER")),
	    MW_EINVAL);
	assert_int_equal(mw_milter_put_addrcpt(&b, &everything, S("<u@ex.jp>"),
					       S("NOTIFY=NEVER")),
			 MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x18"
			 "2"
			 "<u@ex.jp>\0NOTIFY=NEVER\0");
	mw_buf_free(&b);
}

static void test_modifications_need_their_action(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	mw_str a = S("<u@ex.jp>");
	assert_int_equal(mw_milter_put_chgfrom(&b, &nothing, a, NONE),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_addrcpt(&b, &nothing, a, NONE),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_delrcpt(&b, &nothing, a), MW_EINVAL);
	assert_int_equal(mw_milter_put_addheader(&b, &nothing, S("X"), S("y")),
			 MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_chgheader(&b, &nothing, 1, S("X"), S("y")),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_insheader(&b, &nothing, 0, S("X"), S("y")),
	    MW_EINVAL);
	assert_int_equal(b.len, 0);
	mw_buf_free(&b);
}

static void test_addresses_must_be_one_nonempty_line(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_chgfrom(&b, &ours, NONE, NONE),
			 MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_chgfrom(&b, &ours, S("<a@b>\r\nRCPT"), NONE),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_chgfrom(&b, &ours, S("<a@b>"), S("X=1\0Y=2")),
	    MW_EINVAL);
	assert_int_equal(mw_milter_put_delrcpt(&b, &ours, S("<a\0@b>")),
			 MW_EINVAL);
	assert_int_equal(b.len, 0);
	/* UTF-8 addresses (SMTPUTF8) are fine. */
	assert_int_equal(mw_milter_put_addrcpt(&b, &ours,
					       S("<\xe5\xa4\xaa\xe9\x83\x8e@"
						 "ex.jp>"),
					       NONE),
			 MW_OK);
	mw_buf_free(&b);
}

static void test_header_replies(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_addheader(&b, &ours,
						 S("X-Mailwarden-Backscatter"),
						 S("refused; no tag")),
			 MW_OK);
	assert_int_equal(
	    mw_milter_put_chgheader(&b, &ours, 1, S("Subject"), S("[SPAM] hi")),
	    MW_OK);
	assert_int_equal(
	    mw_milter_put_chgheader(&b, &ours, 2, S("X-Spam"), NONE), MW_OK);
	assert_int_equal(
	    mw_milter_put_insheader(&b, &ours, 0, S("X-Top"), S("a\n\tb")),
	    MW_OK);
	ASSERT_BYTES(&b, "\x00\x00\x00\x2a"
			 "h"
			 "X-Mailwarden-Backscatter\0refused; no tag\0"
			 "\x00\x00\x00\x17"
			 "m"
			 "\x00\x00\x00\x01"
			 "Subject\0[SPAM] hi\0"
			 "\x00\x00\x00\x0d"
			 "m"
			 "\x00\x00\x00\x02"
			 "X-Spam\0\0"
			 "\x00\x00\x00\x10"
			 "i"
			 "\x00\x00\x00\x00"
			 "X-Top\0a\n\tb\0");
	mw_buf_free(&b);
}

static void test_header_names_and_values_are_checked(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_milter_put_addheader(&b, &ours, NONE, S("v")),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_addheader(&b, &ours, S("X-A:"), S("v")),
			 MW_EINVAL);
	assert_int_equal(mw_milter_put_addheader(&b, &ours, S("X A"), S("v")),
			 MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X-A"), S("v\r\nBcc: x")),
	    MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X-A"), S("v\nBcc: x")),
	    MW_EINVAL); /* a line break must fold */
	assert_int_equal(mw_milter_put_addheader(&b, &ours, S("X-A"), S("v\n")),
			 MW_EINVAL);
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X-A"), S("v\0w")), MW_EINVAL);
	assert_int_equal(b.len, 0);
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X-A"), S("v\n w\tx")), MW_OK);
	mw_buf_free(&b);
}

/* -- caps -------------------------------------------------------------- */

static void test_reply_over_the_buffer_cap_leaves_it_untouched(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 12);
	assert_int_equal(mw_milter_put_continue(&b), MW_OK);
	assert_int_equal(mw_milter_put_replycode(&b, "550", "5.7.1", S("no")),
			 MW_ETOOBIG);
	ASSERT_BYTES(&b, "\x00\x00\x00\x01"
			 "c");
	assert_string_equal(mw_buf_cstr(&b), "");
	/* A frame that fits exactly still goes. */
	assert_int_equal(mw_milter_put_quarantine(&b, &ours, S("a")), MW_OK);
	assert_int_equal(b.len, 12);
	assert_int_equal(mw_milter_put_accept(&b), MW_ETOOBIG);
	mw_buf_free(&b);
}

static void test_frame_over_the_limit_is_refused(void **state)
{
	(void)state;
	size_t n = MW_MILTER_FRAME_MAX;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'a', n);
	mw_buf b;
	mw_buf_init(&b, 4 * MW_MILTER_FRAME_MAX);
	/* payload n - 1 plus the NUL plus the code: one over. */
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X"), mw_str_make(big, n - 3)),
	    MW_EINVAL);
	assert_int_equal(b.len, 0);
	/* One less fits exactly. */
	assert_int_equal(
	    mw_milter_put_addheader(&b, &ours, S("X"), mw_str_make(big, n - 4)),
	    MW_OK);
	assert_int_equal(b.len, 4 + MW_MILTER_FRAME_MAX);
	mw_buf_free(&b);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_replies_are_one_byte_frames),
	    cmocka_unit_test(test_simple_reply_refuses_replies_with_payload),
	    cmocka_unit_test(test_skip_needs_the_skip_step),
	    cmocka_unit_test(test_optneg_reply_carries_the_agreed_words),
	    cmocka_unit_test(test_optneg_reply_with_macro_lists),
	    cmocka_unit_test(test_optneg_macro_lists_need_setsymlist),
	    cmocka_unit_test(test_replycode_is_code_xcode_text_and_nul),
	    cmocka_unit_test(test_replycode_doubles_percent_signs),
	    cmocka_unit_test(test_replycode_without_text),
	    cmocka_unit_test(test_replycode_refuses_what_postfix_would_refuse),
	    cmocka_unit_test(test_replycode_refuses_line_breaks_and_controls),
	    cmocka_unit_test(test_replycode2_is_two_lines_english_then_local),
	    cmocka_unit_test(test_replycode2_refuses_bad_lines),
	    cmocka_unit_test(test_replycode_line_fits_smtp_limit),
	    cmocka_unit_test(test_quarantine),
	    cmocka_unit_test(test_chgfrom_with_and_without_args),
	    cmocka_unit_test(test_recipient_changes),
	    cmocka_unit_test(test_addrcpt_with_args_needs_addrcpt_par),
	    cmocka_unit_test(test_modifications_need_their_action),
	    cmocka_unit_test(test_addresses_must_be_one_nonempty_line),
	    cmocka_unit_test(test_header_replies),
	    cmocka_unit_test(test_header_names_and_values_are_checked),
	    cmocka_unit_test(
		test_reply_over_the_buffer_cap_leaves_it_untouched),
	    cmocka_unit_test(test_frame_over_the_limit_is_refused),
	};
	return cmocka_run_group_tests_name("milter_encoder", tests, NULL, NULL);
}
