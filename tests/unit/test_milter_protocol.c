/*
 * test_milter_protocol.c - option negotiation against what Postfix offers,
 * and which reply may answer which command once options are agreed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "milter/protocol.h"

static const mw_milter_opts wanted = {MW_MILTER_VERSION, MW_MILTER_OUR_ACTIONS,
				      MW_MILTER_OUR_STEPS};

/* Postfix 3.7 (Debian 12) with milter_protocol = 6 offers version 6,
 * every action (0x1ff) and every step bit of version 6 (0x1fffff). */
static const mw_milter_opts postfix_3_7 = {6, 0x1ff, 0x1fffff};

static void test_postfix_3_7_grants_all_we_want(void **state)
{
	(void)state;
	mw_milter_opts agreed;
	assert_int_equal(mw_milter_negotiate(&postfix_3_7, &wanted, &agreed),
			 MW_OK);
	assert_int_equal(agreed.version, 6);
	assert_int_equal(agreed.actions, 0x7d);
	assert_int_equal(agreed.protocol, 0x0813c2);
	/* What we ask for, spelled out. */
	assert_int_equal(MW_MILTER_OUR_ACTIONS,
			 MW_SMFIF_ADDHDRS | MW_SMFIF_CHGHDRS |
			     MW_SMFIF_ADDRCPT | MW_SMFIF_DELRCPT |
			     MW_SMFIF_QUARANTINE | MW_SMFIF_CHGFROM);
	assert_int_equal(MW_SMFIF_ALL, 0x1ff);
	assert_int_equal(MW_SMFIP_ALL, 0x1fffff);
}

static void test_postfix_protocol_2_grants_less(void **state)
{
	(void)state;
	/* milter_protocol = 2: version 2, the version 2 actions (0x3f) and
	 * steps (NOCONNECT..NOEOH, 0x7f). */
	static const mw_milter_opts v2 = {2, 0x3f, 0x7f};
	mw_milter_opts agreed;
	assert_int_equal(mw_milter_negotiate(&v2, &wanted, &agreed),
			 MW_ETRUNCATED);
	assert_int_equal(agreed.version, 2);
	/* No CHGFROM before version 6. */
	assert_int_equal(agreed.actions, MW_MILTER_OUR_ACTIONS & 0x3f);
	assert_int_equal(agreed.actions & MW_SMFIF_CHGFROM, 0);
	/* Only the skips it knows; every command must then be answered. */
	assert_int_equal(agreed.protocol, MW_SMFIP_NOHELO | MW_SMFIP_NOEOH);
	assert_true(mw_milter_expects_reply(&agreed, MW_SMFIC_CONNECT));
	assert_true(mw_milter_expects_reply(&agreed, MW_SMFIC_HEADER));
	assert_true(mw_milter_expects_reply(&agreed, MW_SMFIC_BODY));
}

static void test_no_header_reply_extension_of_protocol_2(void **state)
{
	(void)state;
	/* milter_protocol = "2 no_header_reply" adds SMFIP_NOHREPL. */
	static const mw_milter_opts v2nh = {2, 0x3f, 0x7f | MW_SMFIP_NR_HDR};
	mw_milter_opts agreed;
	assert_int_equal(mw_milter_negotiate(&v2nh, &wanted, &agreed),
			 MW_ETRUNCATED);
	assert_false(mw_milter_expects_reply(&agreed, MW_SMFIC_HEADER));
}

static void test_version_below_two_cannot_be_agreed(void **state)
{
	(void)state;
	static const mw_milter_opts v1 = {1, 0xf, 0x3f};
	mw_milter_opts agreed;
	assert_int_equal(mw_milter_negotiate(&v1, &wanted, &agreed), MW_EINVAL);
}

static void test_never_above_our_version(void **state)
{
	(void)state;
	/* A future MTA offering more: we stay at 6, and take no bit we do
	 * not know (0x10000000 is Sendmail's SMFIP_MDS_256K). */
	static const mw_milter_opts future = {7, 0xffffffff, 0xffffffff};
	mw_milter_opts all = {0, 0xffffffff, 0xffffffff};
	mw_milter_opts agreed;
	assert_int_equal(mw_milter_negotiate(&future, &all, &agreed),
			 MW_ETRUNCATED);
	assert_int_equal(agreed.version, MW_MILTER_VERSION);
	assert_int_equal(agreed.actions, MW_SMFIF_ALL);
	assert_int_equal(agreed.protocol, MW_SMFIP_ALL);
}

static void test_expects_reply_follows_the_agreed_steps(void **state)
{
	(void)state;
	mw_milter_opts a;
	assert_int_equal(mw_milter_negotiate(&postfix_3_7, &wanted, &a), MW_OK);
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_OPTNEG));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_CONNECT));
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_MAIL));
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_RCPT));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_HEADER));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_BODY));
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_BODYEOB));
	/* Skipped steps keep their replies should they come anyway. */
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_HELO));
	assert_true(mw_milter_expects_reply(&a, MW_SMFIC_DATA));
	/* Never a reply to these. */
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_MACRO));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_ABORT));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_QUIT));
	assert_false(mw_milter_expects_reply(&a, MW_SMFIC_QUIT_NC));
	assert_false(mw_milter_expects_reply(&a, 'Z'));
}

static void test_modifications_only_at_end_of_message(void **state)
{
	(void)state;
	mw_milter_opts a;
	mw_milter_negotiate(&postfix_3_7, &wanted, &a);
	static const unsigned char mods[] = {
	    MW_SMFIR_ADDHEADER, MW_SMFIR_INSHEADER, MW_SMFIR_CHGHEADER,
	    MW_SMFIR_ADDRCPT,	MW_SMFIR_DELRCPT,   MW_SMFIR_CHGFROM,
	    MW_SMFIR_QUARANTINE};
	static const unsigned char before[] = {MW_SMFIC_MAIL, MW_SMFIC_RCPT,
					       MW_SMFIC_DATA, MW_SMFIC_EOH,
					       MW_SMFIC_HELO};
	for (size_t i = 0; i < sizeof mods; i++) {
		assert_true(
		    mw_milter_reply_allowed(&a, MW_SMFIC_BODYEOB, mods[i]));
		for (size_t k = 0; k < sizeof before; k++)
			assert_false(
			    mw_milter_reply_allowed(&a, before[k], mods[i]));
	}
}

static void test_modifications_need_their_agreed_action(void **state)
{
	(void)state;
	mw_milter_opts a;
	mw_milter_negotiate(&postfix_3_7, &wanted, &a);
	/* Not asked for, so not agreed. */
	assert_false(mw_milter_reply_allowed(&a, MW_SMFIC_BODYEOB,
					     MW_SMFIR_ADDRCPT_PAR));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_BODYEOB, MW_SMFIR_REPLBODY));
	mw_milter_opts none = {6, 0, 0};
	assert_false(
	    mw_milter_reply_allowed(&none, MW_SMFIC_BODYEOB, MW_SMFIR_CHGFROM));
	assert_int_equal(mw_milter_reply_action(MW_SMFIR_INSHEADER),
			 MW_SMFIF_ADDHDRS);
	assert_int_equal(mw_milter_reply_action(MW_SMFIR_CHGHEADER),
			 MW_SMFIF_CHGHDRS);
	assert_int_equal(mw_milter_reply_action(MW_SMFIR_REJECT), 0);
}

static void test_decisions_where_a_reply_is_expected(void **state)
{
	(void)state;
	mw_milter_opts a;
	mw_milter_negotiate(&postfix_3_7, &wanted, &a);
	assert_true(
	    mw_milter_reply_allowed(&a, MW_SMFIC_RCPT, MW_SMFIR_REPLYCODE));
	assert_true(
	    mw_milter_reply_allowed(&a, MW_SMFIC_MAIL, MW_SMFIR_TEMPFAIL));
	assert_true(
	    mw_milter_reply_allowed(&a, MW_SMFIC_BODYEOB, MW_SMFIR_ACCEPT));
	assert_true(
	    mw_milter_reply_allowed(&a, MW_SMFIC_BODYEOB, MW_SMFIR_PROGRESS));
	/* No reply at all where none is expected. */
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_CONNECT, MW_SMFIR_CONTINUE));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_HEADER, MW_SMFIR_REJECT));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_MACRO, MW_SMFIR_CONTINUE));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_ABORT, MW_SMFIR_CONTINUE));
	/* OPTNEG is answered with OPTNEG only. */
	assert_true(
	    mw_milter_reply_allowed(&a, MW_SMFIC_OPTNEG, MW_SMFIC_OPTNEG));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_OPTNEG, MW_SMFIR_CONTINUE));
	/* Replies we never send. */
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_RCPT, MW_SMFIR_SHUTDOWN));
	assert_false(
	    mw_milter_reply_allowed(&a, MW_SMFIC_RCPT, MW_SMFIR_CONN_FAIL));
}

static void test_discard_not_at_connect_or_helo(void **state)
{
	(void)state;
	mw_milter_opts replies_all = {6, MW_SMFIF_ALL, 0};
	assert_false(mw_milter_reply_allowed(&replies_all, MW_SMFIC_CONNECT,
					     MW_SMFIR_DISCARD));
	assert_false(mw_milter_reply_allowed(&replies_all, MW_SMFIC_HELO,
					     MW_SMFIR_DISCARD));
	assert_true(mw_milter_reply_allowed(&replies_all, MW_SMFIC_RCPT,
					    MW_SMFIR_DISCARD));
	assert_true(mw_milter_reply_allowed(&replies_all, MW_SMFIC_CONNECT,
					    MW_SMFIR_REJECT));
}

static void test_skip_only_to_body_and_only_when_agreed(void **state)
{
	(void)state;
	mw_milter_opts with_skip = {6, 0, MW_SMFIP_SKIP};
	mw_milter_opts without = {6, 0, 0};
	mw_milter_opts no_body_reply = {6, 0, MW_SMFIP_SKIP | MW_SMFIP_NR_BODY};
	assert_true(
	    mw_milter_reply_allowed(&with_skip, MW_SMFIC_BODY, MW_SMFIR_SKIP));
	assert_false(
	    mw_milter_reply_allowed(&without, MW_SMFIC_BODY, MW_SMFIR_SKIP));
	assert_false(
	    mw_milter_reply_allowed(&with_skip, MW_SMFIC_RCPT, MW_SMFIR_SKIP));
	assert_false(mw_milter_reply_allowed(&no_body_reply, MW_SMFIC_BODY,
					     MW_SMFIR_SKIP));
}

static void test_command_names(void **state)
{
	(void)state;
	assert_string_equal(mw_milter_command_name(MW_SMFIC_CONNECT),
			    "CONNECT");
	assert_string_equal(mw_milter_command_name(MW_SMFIC_BODYEOB), "EOB");
	assert_string_equal(mw_milter_command_name(MW_SMFIC_QUIT_NC),
			    "QUIT_NC");
	assert_null(mw_milter_command_name('Z'));
	assert_null(mw_milter_command_name(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_postfix_3_7_grants_all_we_want),
	    cmocka_unit_test(test_postfix_protocol_2_grants_less),
	    cmocka_unit_test(test_no_header_reply_extension_of_protocol_2),
	    cmocka_unit_test(test_version_below_two_cannot_be_agreed),
	    cmocka_unit_test(test_never_above_our_version),
	    cmocka_unit_test(test_expects_reply_follows_the_agreed_steps),
	    cmocka_unit_test(test_modifications_only_at_end_of_message),
	    cmocka_unit_test(test_modifications_need_their_agreed_action),
	    cmocka_unit_test(test_decisions_where_a_reply_is_expected),
	    cmocka_unit_test(test_discard_not_at_connect_or_helo),
	    cmocka_unit_test(test_skip_only_to_body_and_only_when_agreed),
	    cmocka_unit_test(test_command_names),
	};
	return cmocka_run_group_tests_name("milter_protocol", tests, NULL,
					   NULL);
}
