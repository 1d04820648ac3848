/* test_bounce.c - what mw_bounce_analyse() makes of small hand-written
 * bounces: the kinds, the RFC 3464 and ARF fields, the original message
 * wherever it is carried, and the bounds on hostile input. */
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
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/bounce.h"

typedef struct fixture {
	mw_arena a;
	mw_bounce b;
	mw_status st;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	mw_arena_init(&f->a, MW_PARSE_MEMORY_MAX);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	mw_arena_free(&f->a);
	free(f);
	return 0;
}

static const mw_bounce *analyse_n(void **state, const char *msg, size_t n)
{
	fixture *f = *state;
	f->st = mw_bounce_analyse(&f->a, msg, n, &f->b);
	return &f->b;
}

static const mw_bounce *analyse(void **state, const char *msg)
{
	return analyse_n(state, msg, strlen(msg));
}

static const mw_bounce_rcpt *rcpt(const mw_bounce *b, const char *addr)
{
	for (size_t i = 0; i < b->nrecipients; i++)
		if (strcmp(b->recipients[i].address, addr) == 0)
			return &b->recipients[i];
	return NULL;
}

/* -- RFC 3464 ---------------------------------------------------------- */

#define DSN_HEAD                                                               \
	"Return-Path: <>\n"                                                    \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"          \
	"To: sender@example.com\n"                                             \
	"Subject: Undelivered Mail Returned to Sender\n"                       \
	"MIME-Version: 1.0\n"                                                  \
	"Content-Type: multipart/report; report-type=delivery-status;\n"       \
	"\tboundary=\"BOUND\"\n"                                               \
	"\n"                                                                   \
	"--BOUND\n"                                                            \
	"Content-Type: text/plain\n"                                           \
	"\n"                                                                   \
	"I'm sorry to have to inform you that your message could not\n"        \
	"be delivered to one or more recipients.\n"                            \
	"\n"

static const char minimal_dsn[] = DSN_HEAD
    "--BOUND\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.net\n"
    "Arrival-Date: Thu, 29 Apr 2021 23:34:45 +0900\n"
    "\n"
    "Final-Recipient: rfc822; User@Example.ORG\n"
    "Original-Recipient: rfc822;User@Example.ORG\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.org\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <User@Example.ORG>: Recipient\n"
    "    address rejected: User unknown in local recipient table\n"
    "\n"
    "--BOUND\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Return-Path: <sender@example.com>\n"
    "Received: from client.example.com (client.example.com [192.0.2.1])\n"
    "\tby mx.example.net (Postfix) with ESMTPSA id 4AB12\n"
    "\tfor <User@Example.ORG>; Thu, 29 Apr 2021 23:34:44 +0900\n"
    "From: Sender <sender@example.com>\n"
    "To: User@Example.ORG\n"
    "Subject: Hello\n"
    "Date: Thu, 29 Apr 2021 23:34:40 +0900\n"
    "Message-ID: <orig.1@example.com>\n"
    "\n"
    "--BOUND--\n";

static void test_minimal_dsn_gives_recipient_codes_and_original(void **state)
{
	const mw_bounce *b = analyse(state, minimal_dsn);
	fixture *f = *state;
	assert_int_equal(f->st, MW_OK);
	assert_true(b->is_bounce);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_false(b->truncated);
	assert_string_equal(b->reporting_mta, "mx.example.net");
	assert_int_equal(b->nrecipients, 1);
	const mw_bounce_rcpt *r = &b->recipients[0];
	assert_string_equal(r->address, "User@example.org");
	assert_string_equal(r->status, "5.1.1");
	assert_string_equal(r->reply_code, "550");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->diagnostic,
			    "550 5.1.1 <User@Example.ORG>: Recipient address "
			    "rejected: User unknown in local recipient table");
	assert_string_equal(b->original.message_id, "orig.1@example.com");
	assert_string_equal(b->original.subject, "Hello");
	assert_string_equal(b->original.from, "Sender <sender@example.com>");
	assert_string_equal(b->original.to, "User@Example.ORG");
	assert_string_equal(b->original.date,
			    "Thu, 29 Apr 2021 23:34:40 +0900");
	assert_string_equal(b->original.return_path, "sender@example.com");
	assert_int_equal(b->original.nreceived, 1);
	assert_string_equal(b->original.received[0].from_ip, "192.0.2.1");
}

static void test_dsn_with_base64_delivery_status_is_decoded(void **state)
{
	static const char msg[] = DSN_HEAD
	    "--BOUND\n"
	    "Content-Type: message/delivery-status\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlLm5ldAoKRmluYWwtUmVjaXBp"
	    "ZW50OiByZmM4\n"
	    "MjI7IGtpaml0b3JhQGV4YW1wbGUub3JnCkFjdGlvbjogZmFpbGVkClN0YXR1czog"
	    "NS4yLjIKRGlh\n"
	    "Z25vc3RpYy1Db2RlOiBzbXRwOyA1NTIgNS4yLjIgTWFpbGJveCBmdWxsCg==\n"
	    "\n"
	    "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "kijitora@example.org");
	assert_string_equal(b->recipients[0].status, "5.2.2");
	assert_string_equal(b->recipients[0].reply_code, "552");
	assert_string_equal(b->recipients[0].diagnostic,
			    "552 5.2.2 Mailbox full");
	assert_string_equal(b->reporting_mta, "mx.example.net");
}

static void test_class_only_status_is_refined_by_diagnostic(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Final-Recipient: rfc822; a@example.org\n"
		     "Action: failed\n"
		     "Status: 5.0.0 (permanent failure)\n"
		     "Diagnostic-Code: smtp; 554 5.7.1 Rejected by policy\n"
		     "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].status, "5.7.1");
	assert_string_equal(b->recipients[0].reply_code, "554");
}

static void test_groups_split_without_blank_lines(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Reporting-MTA: dns; mx.example.net\n"
		     "Final-Recipient: rfc822; a@example.org\n"
		     "Action: failed\n"
		     "Status: 5.1.1\n"
		     "Final-Recipient: rfc822; b@example.org\n"
		     "Action: delayed\n"
		     "Status: 4.4.1\n"
		     "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->nrecipients, 2);
	assert_string_equal(rcpt(b, "a@example.org")->status, "5.1.1");
	assert_string_equal(rcpt(b, "a@example.org")->action, "failed");
	assert_string_equal(rcpt(b, "b@example.org")->status, "4.4.1");
	assert_string_equal(rcpt(b, "b@example.org")->action, "delayed");
}

static void test_blank_line_inside_group_keeps_its_facts(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Final-Recipient: rfc822; a@example.org\n"
		     "\n"
		     "Action: failed\n"
		     "Status: 5.2.2\n"
		     "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].status, "5.2.2");
	assert_string_equal(b->recipients[0].action, "failed");
}

static void test_source_routed_final_recipient_gives_way(void **state)
{
	static const char msg[] = DSN_HEAD
	    "--BOUND\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Action: failed\n"
	    "Status: 5.0.0\n"
	    "Original-recipient: rfc822;kijitora@example.net\n"
	    "Final-recipient: rfc822;@smtp.example.net:kijitora@server\n"
	    "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "kijitora@example.net");
}

static void test_dsn_fields_in_plain_text_are_read(void **state)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@mx.example.net\n"
	    "Subject: Delivery Notification: Delivery has failed\n"
	    "\n"
	    "This report relates to a message you sent.\n"
	    "\n"
	    "Reporting-MTA: dns; mx.example.net\n"
	    "\n"
	    "  Action: failed\n"
	    "  Status: 5.1.1\n"
	    "  Final-recipient: rfc822;x@example.org\n"
	    "  Diagnostic-code: smtp; 550 5.1.1 unknown user\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "x@example.org");
	assert_string_equal(b->recipients[0].reply_code, "550");
	assert_string_equal(b->reporting_mta, "mx.example.net");
}

static void test_crlf_and_bare_cr_read_alike(void **state)
{
	static const char crlf[] =
	    "From: MAILER-DAEMON@mx.example.net\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"B\"\r\n"
	    "\r\n"
	    "--B\r\n"
	    "Content-Type: message/delivery-status\r\n"
	    "\r\n"
	    "Final-Recipient: rfc822; a@example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.1.1\r\n"
	    "\r\n"
	    "--B--\r\n";
	const mw_bounce *b = analyse(state, crlf);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].status, "5.1.1");

	char cr[sizeof(crlf)];
	size_t n = 0;
	for (size_t i = 0; crlf[i]; i++)
		if (crlf[i] != '\n')
			cr[n++] = crlf[i];
	b = analyse_n(state, cr, n);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "a@example.org");
	assert_string_equal(b->recipients[0].action, "failed");
}

/* -- the original ------------------------------------------------------ */

static void test_original_from_message_rfc822_part(void **state)
{
	static const char msg[] = DSN_HEAD
	    "--BOUND\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; a@example.org\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "\n"
	    "--BOUND\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Return-Path: <prvs=1234abcd=sender@example.com>\n"
	    "Received: from relay.example.com (relay.example.com "
	    "[198.51.100.7])\n"
	    "\tby mx.example.net with ESMTP id X2; Thu, 29 Apr 2021 "
	    "23:34:45 +0900\n"
	    "Received: from laptop ([203.0.113.9])\n"
	    "\tby relay.example.com with ESMTPSA id X1; Thu, 29 Apr 2021 "
	    "23:34:44 +0900\n"
	    "Message-ID: <  abc.def@example.com >\n"
	    "From: =?UTF-8?B?5aSq6YOO?= <sender@example.com>\n"
	    "To: a@example.org\n"
	    "Subject: Report\n"
	    "Date: Thu, 29 Apr 2021 23:34:40 +0900\n"
	    "\n"
	    "Body text with Message-ID: <not.this@example.com>\n"
	    "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_string_equal(b->original.message_id, "abc.def@example.com");
	assert_string_equal(b->original.from, "太郎 <sender@example.com>");
	assert_string_equal(b->original.return_path,
			    "prvs=1234abcd=sender@example.com");
	assert_int_equal(b->original.nreceived, 2);
	/* origin first */
	assert_string_equal(b->original.received[0].from_ip, "203.0.113.9");
	assert_string_equal(b->original.received[1].from_ip, "198.51.100.7");
}

static void test_original_from_text_rfc822_headers_part(void **state)
{
	const mw_bounce *b = analyse(state, minimal_dsn);
	assert_string_equal(b->original.message_id, "orig.1@example.com");
	assert_string_equal(b->original.return_path, "sender@example.com");
}

static void test_japanese_subject_of_original_decoded_to_utf8(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Final-Recipient: rfc822; a@example.org\n"
		     "Action: failed\n"
		     "Status: 5.1.1\n"
		     "\n"
		     "--BOUND\n"
		     "Content-Type: message/rfc822\n"
		     "\n"
		     "Message-ID: <jp.1@example.jp>\n"
		     "From: sender@example.jp\n"
		     "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\n"
		     "Content-Type: text/plain; charset=ISO-2022-JP\n"
		     "\n"
		     "body\n"
		     "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_string_equal(b->original.subject, "テスト");
}

static void test_raw_iso2022jp_subject_uses_part_charset(void **state)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@mx.example.jp\n"
	    "Subject: Returned mail: see transcript for details\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"B\"\n"
	    "\n"
	    "--B\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; a@example.org\n"
	    "Action: failed\n"
	    "\n"
	    "--B\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Message-ID: <jp.2@example.jp>\n"
	    "Subject: \x1b$B%F%9%H\x1b(B\n"
	    "Content-Type: text/plain; charset=iso-2022-jp\n"
	    "\n"
	    "body\n"
	    "--B--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_string_equal(b->original.message_id, "jp.2@example.jp");
	assert_string_equal(b->original.subject, "テスト");
}

static void test_indented_quoted_original_after_marker(void **state)
{
	static const char msg[] =
	    "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
	    "Subject: Returned mail: User unknown\n"
	    "\n"
	    "Your message could not be delivered to x@example.org.\n"
	    "\n"
	    "----- Original message -----\n"
	    "\n"
	    "   Received: from a.example.com ([192.0.2.5])\n"
	    "   \tby mx.example.net; Thu, 29 Apr 2021 23:34:45 +0900\n"
	    "   Message-ID: <indented.1@example.com>\n"
	    "   From: sender@example.com\n"
	    "   Subject: Indented\n"
	    "\n"
	    "   body\n";
	const mw_bounce *b = analyse(state, msg);
	assert_true(b->is_bounce);
	assert_string_equal(b->original.message_id, "indented.1@example.com");
	assert_string_equal(b->original.subject, "Indented");
	assert_int_equal(b->original.nreceived, 1);
}

static void test_quoted_bounce_header_is_passed_over(void **state)
{
	static const char msg[] =
	    "From: Someone <someone@example.jp>\n"
	    "Subject: Fwd: Returned mail: see transcript for details\n"
	    "\n"
	    "Begin forwarded message:\n"
	    "\n"
	    "> From: Mail Delivery Subsystem <MAILER-DAEMON>\n"
	    "> Subject: Returned mail: see transcript for details\n"
	    "> Message-Id: <bounce.1@mx.example.jp>\n"
	    ">\n"
	    ">    ----- The following addresses had permanent fatal errors\n"
	    "> <kijitora@example.com>\n"
	    ">\n"
	    "> Return-Path: <someone@example.jp>\n"
	    "> Message-Id: <the.original@example.jp>\n"
	    "> Subject: TEST\n";
	const mw_bounce *b = analyse(state, msg);
	assert_true(b->is_bounce);
	assert_string_equal(b->original.message_id, "the.original@example.jp");
	assert_string_equal(b->original.subject, "TEST");
}

static void test_in_reply_to_names_original_when_nothing_quoted(void **state)
{
	static const char msg[] =
	    "From: Mail Delivery Subsystem <mailer-daemon@example.com>\n"
	    "Subject: Delivery Status Notification (Failure)\n"
	    "In-Reply-To: <replied.1@example.jp>\n"
	    "X-Failed-Recipients: gone@example.org\n"
	    "\n"
	    "Delivery to the following recipient failed permanently.\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_NDR);
	assert_string_equal(b->original.message_id, "replied.1@example.jp");
	assert_non_null(rcpt(b, "gone@example.org"));
}

static void test_forwarded_bounce_is_read_through(void **state)
{
	static const char msg[] =
	    "From: admin@example.jp\n"
	    "Subject: Fwd: bounce\n"
	    "Content-Type: multipart/mixed; boundary=\"OUT\"\n"
	    "\n"
	    "--OUT\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "See the attached bounce.\n"
	    "--OUT\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "From: MAILER-DAEMON@mx.example.jp\n"
	    "Message-Id: <the.bounce@mx.example.jp>\n"
	    "Content-Type: multipart/report; report-type=delivery-status;"
	    " boundary=\"IN\"\n"
	    "\n"
	    "--IN\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; inner@example.org\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "\n"
	    "--IN\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Message-Id: <the.original@example.jp>\n"
	    "Subject: inner\n"
	    "\n"
	    "x\n"
	    "--IN--\n"
	    "--OUT--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_non_null(rcpt(b, "inner@example.org"));
	assert_string_equal(b->original.message_id, "the.original@example.jp");
}

static void test_summary_of_original_gives_its_subject(void **state)
{
	static const char msg[] =
	    "From: Postmaster <postmaster@example.net>\n"
	    "Subject: Undeliverable: x@example.org\n"
	    "\n"
	    "Your Message\n"
	    "\n"
	    "To:      <x@example.org>\n"
	    "\n"
	    "Subject: Summarised\n"
	    "\n"
	    "Did not reach the following recipient: x@example.org\n";
	const mw_bounce *b = analyse(state, msg);
	assert_true(b->is_bounce);
	assert_string_equal(b->original.subject, "Summarised");
	assert_string_equal(b->original.to, "<x@example.org>");
	assert_null(b->original.message_id);
}

static void test_blank_line_before_enclosed_header_is_skipped(void **state)
{
	static const char msg[] = DSN_HEAD
	    "--BOUND\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; a@example.org\n"
	    "Action: failed\n"
	    "\n"
	    "--BOUND\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "\n"
	    "Received: from a.example.com by b.example.net; Thu, 29 Apr 2021 "
	    "23:34:45 +0900\n"
	    "Message-ID: <late.header@example.com>\n"
	    "Subject: late\n"
	    "\n"
	    "x\n"
	    "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_string_equal(b->original.message_id, "late.header@example.com");
	assert_string_equal(b->original.subject, "late");
}

static void test_misspelt_boundary_still_finds_original(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Final-Recipient: rfc822; a@example.org\n"
		     "Action: failed\n"
		     "\n"
		     "--B0UND\n"
		     "Content-Type: message/rfc822\n"
		     "\n"
		     "Return-Path: <s@example.com>\n"
		     "Message-Id: <hidden@example.com>\n"
		     "\n"
		     "x\n"
		     "--BOUND--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_non_null(rcpt(b, "a@example.org"));
	assert_string_equal(b->original.message_id, "hidden@example.com");
	assert_string_equal(b->original.return_path, "s@example.com");
}

static void test_original_header_pasted_as_part_header(void **state)
{
	static const char msg[] =
	    "From: \"Mail Deliver System\" <MAILER-DAEMON@example.jp>\n"
	    "Subject: Returned Mail: User unknown\n"
	    "Content-Type: multipart/mixed; boundary=\"P\"\n"
	    "\n"
	    "--P\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "---The following addresses had delivery errors---\n"
	    "\n"
	    "k@example.co.jp [User unknown]\n"
	    "\n"
	    "--P\n"
	    "Received: from x.example.jp ([192.0.2.153])\n"
	    "  by mx.example.co.jp with ESMTP; 29 Apr 2010 23:34:45 +0900\n"
	    "Message-Id: <pasted@example.jp>\n"
	    "From: s@example.jp\n"
	    "Subject: pasted\n"
	    "--P--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_true(b->is_bounce);
	assert_string_equal(b->original.message_id, "pasted@example.jp");
	assert_string_equal(b->original.subject, "pasted");
}

static void test_ses_complaint_notice_is_feedback(void **state)
{
	static const char msg[] =
	    "From: no-reply@sns.example.com\n"
	    "Subject: AWS Notification Message\n"
	    "\n"
	    "{\"notificationType\":\"Complaint\",\"complaint\":"
	    "{\"complainedRecipients\":[{\"emailAddress\":"
	    "\"c@example.org\"}]}}\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_FEEDBACK);
}

/* -- ARF, auto-replies, not bounces ------------------------------------- */

static const char arf_report[] =
    "From: feedback@fbl.example.net\n"
    "Subject: Abuse Report\n"
    "Content-Type: multipart/report; report-type=feedback-report;\n"
    " boundary=\"ARF\"\n"
    "\n"
    "--ARF\n"
    "Content-Type: text/plain\n"
    "\n"
    "This is an email abuse report for an email message received from "
    "IP 192.0.2.1.\n"
    "\n"
    "More words.\n"
    "--ARF\n"
    "Content-Type: message/feedback-report\n"
    "\n"
    "Feedback-Type: abuse\n"
    "User-Agent: SomeFBL/1.0\n"
    "Version: 1\n"
    "Original-Mail-From: <sender@example.com>\n"
    "Original-Rcpt-To: <Complainer@Example.NET>\n"
    "Reporting-MTA: dns; fbl.example.net\n"
    "Source-IP: 192.0.2.1\n"
    "\n"
    "--ARF\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: sender@example.com\n"
    "To: someone-else@example.net\n"
    "Subject: Spam?\n"
    "Message-ID: <arf.orig@example.com>\n"
    "\n"
    "buy\n"
    "--ARF--\n";

static void test_arf_report_is_feedback_with_original_rcpt_to(void **state)
{
	const mw_bounce *b = analyse(state, arf_report);
	assert_true(b->is_bounce);
	assert_int_equal(b->kind, MW_BOUNCE_FEEDBACK);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "Complainer@example.net");
	assert_string_equal(b->recipients[0].diagnostic,
			    "This is an email abuse report for an email "
			    "message received from IP 192.0.2.1.");
	assert_string_equal(b->reporting_mta, "fbl.example.net");
	assert_string_equal(b->original.message_id, "arf.orig@example.com");
}

static void test_arf_without_rcpt_fields_names_original_to(void **state)
{
	char *msg = strdup(arf_report);
	assert_non_null(msg);
	char *p = strstr(msg, "Original-Rcpt-To");
	assert_non_null(p);
	memcpy(p, "X-Original-Rcpt-X", 17);
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_FEEDBACK);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address,
			    "someone-else@example.net");
	free(msg);
}

static void test_autoreply_names_the_replier(void **state)
{
	static const char msg[] =
	    "Return-Path: <>\n"
	    "From: \"Neko, Nyaan\" <Nyaan@Example.ORG>\n"
	    "To: Kijitora <kijitora@example.com>\n"
	    "Subject: Automatic reply: Nyaan\n"
	    "Auto-Submitted: auto-replied\n"
	    "In-Reply-To: <asked.1@example.com>\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "I'm out of the office until Monday. Contact help@example.org.\n"
	    "\n"
	    "Nyaan\n";
	const mw_bounce *b = analyse(state, msg);
	assert_true(b->is_bounce);
	assert_int_equal(b->kind, MW_BOUNCE_AUTOREPLY);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "Nyaan@example.org");
	assert_string_equal(b->recipients[0].diagnostic,
			    "I'm out of the office until Monday. Contact "
			    "help@example.org.");
	assert_string_equal(b->original.message_id, "asked.1@example.com");
}

static void test_mailer_daemon_marked_auto_replied_is_a_bounce(void **state)
{
	static const char msg[] =
	    "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	    "Subject: Mail delivery failed: returning message to sender\n"
	    "Auto-Submitted: auto-replied\n"
	    "X-Failed-Recipients: lost@example.jp\n"
	    "\n"
	    "This message was created automatically by mail delivery "
	    "software.\n";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_NDR);
	assert_non_null(rcpt(b, "lost@example.jp"));
}

static void test_ordinary_message_is_not_a_bounce(void **state)
{
	static const char msg[] =
	    "From: Alice <alice@example.com>\n"
	    "To: bob@example.org\n"
	    "Subject: lunch\n"
	    "Message-ID: <lunch@example.com>\n"
	    "Content-Type: multipart/mixed; boundary=\"M\"\n"
	    "\n"
	    "--M\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "See the mail below, forwarded. Reach me at alice@example.com.\n"
	    "--M\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "From: carol@example.net\n"
	    "Message-ID: <old@example.net>\n"
	    "Subject: old\n"
	    "\n"
	    "old\n"
	    "--M--\n";
	const mw_bounce *b = analyse(state, msg);
	assert_false(b->is_bounce);
	assert_int_equal(b->kind, MW_BOUNCE_NONE);
	assert_int_equal(b->nrecipients, 0);
	assert_null(b->original.message_id);
	assert_null(b->reporting_mta);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(mw_bounce_kind_name(MW_BOUNCE_DSN), "dsn");
	assert_string_equal(mw_bounce_kind_name(MW_BOUNCE_NDR), "ndr");
	assert_string_equal(mw_bounce_kind_name(MW_BOUNCE_AUTOREPLY),
			    "autoreply");
	assert_string_equal(mw_bounce_kind_name(MW_BOUNCE_FEEDBACK),
			    "feedback");
	assert_string_equal(mw_bounce_kind_name(MW_BOUNCE_NONE), "none");
	assert_string_equal(mw_bounce_kind_name((mw_bounce_kind)99), "none");
}

/* -- bounds and damage --------------------------------------------------- */

static char *build_dsn(size_t groups, bool distinct, size_t *len)
{
	mw_buf b;
	mw_buf_init(&b, (size_t)64 << 20);
	mw_buf_puts(&b, DSN_HEAD "--BOUND\n"
				 "Content-Type: message/delivery-status\n\n"
				 "Reporting-MTA: dns; mx.example.net\n\n");
	for (size_t i = 0; i < groups; i++)
		mw_buf_printf(&b,
			      "Final-Recipient: rfc822; u%zu@example.org\n"
			      "Action: failed\nStatus: 5.1.1\n\n",
			      distinct ? i : (size_t)7);
	mw_buf_puts(&b, "--BOUND--\n");
	*len = b.len;
	return b.data;
}

static void test_hostile_100000_recipient_groups_are_bounded(void **state)
{
	size_t len;
	char *msg = build_dsn(100000, true, &len);
	assert_non_null(msg);
	clock_t t0 = clock();
	const mw_bounce *b = analyse_n(state, msg, len);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	fixture *f = *state;
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_int_equal(b->nrecipients, MW_BOUNCE_RECIPIENTS_MAX);
	assert_true(b->truncated);
	assert_int_equal(f->st, MW_ETRUNCATED);
	assert_string_equal(b->recipients[0].address, "u0@example.org");
	/* A generous bound, even under sanitizers: linear work finishes in
	 * a small fraction of it. */
	assert_true(secs < 20.0);
	free(msg);
}

/* The hostile inputs of the project's brief, through the whole analyser:
 * each finishes, with a defined answer, well inside the time bound. */
static void test_hostile_inputs_finish_with_defined_result(void **state)
{
	fixture *f = *state;
	mw_buf m;
	mw_buf_init(&m, (size_t)32 << 20);
	clock_t t0 = clock();

	/* a 10 MB header line */
	mw_buf_puts(&m, "From: MAILER-DAEMON@example.net\nSubject: ");
	for (size_t i = 0; i < 10u << 20; i += 64)
		mw_buf_append(&m,
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			      "aaaaaaaaaaaaaaaa",
			      64);
	mw_buf_puts(&m, "\n\nbody\n");
	analyse_n(state, m.data, m.len);
	assert_true(f->b.truncated);

	/* 10,000 nested multiparts */
	mw_buf_reset(&m);
	for (int i = 0; i < 10000; i++)
		mw_buf_printf(
		    &m,
		    "Content-Type: multipart/mixed; boundary=\"b%d\"\n"
		    "\n--b%d\n",
		    i, i);
	mw_buf_puts(&m, "Content-Type: text/plain\n\nleaf\n");
	analyse_n(state, m.data, m.len);
	assert_true(f->b.truncated);
	assert_false(f->b.is_bounce);

	/* 100,000 parts */
	mw_buf_reset(&m);
	mw_buf_puts(&m, "Content-Type: multipart/mixed; boundary=\"p\"\n\n");
	for (int i = 0; i < 100000; i++)
		mw_buf_puts(&m, "--p\n\nx\n");
	mw_buf_puts(&m, "--p--\n");
	analyse_n(state, m.data, m.len);
	assert_true(f->b.truncated);
	assert_false(f->b.is_bounce);

	/* broken base64 in the report, an unknown charset in the original */
	static const char broken[] = DSN_HEAD
	    "--BOUND\n"
	    "Content-Type: message/delivery-status\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "!!!!RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGJAZXhhbXBsZS5vcmcK*=*=\n"
	    "--BOUND\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "Subject: =?x-no-such-charset?B?/////w==?=\n"
	    "Message-ID: <u@example.com>\n"
	    "\n"
	    "--BOUND--\n";
	const mw_bounce *b = analyse(state, broken);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_string_equal(b->original.message_id, "u@example.com");
	assert_non_null(b->original.subject);

	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	assert_true(secs < 30.0);
	mw_buf_free(&m);
}

static void test_repeated_recipient_is_held_once(void **state)
{
	size_t len;
	char *msg = build_dsn(5000, false, &len);
	assert_non_null(msg);
	const mw_bounce *b = analyse_n(state, msg, len);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].address, "u7@example.org");
	assert_false(b->truncated);
	free(msg);
}

static void test_text_past_limit_gives_truncated(void **state)
{
	mw_buf m;
	mw_buf_init(&m, (size_t)8 << 20);
	mw_buf_puts(&m, "From: MAILER-DAEMON@mx.example.net\n"
			"Subject: Undelivered Mail Returned to Sender\n"
			"X-Failed-Recipients: far@example.org\n"
			"\n");
	while (m.len < MW_BOUNCE_TEXT_MAX + 4096)
		mw_buf_puts(&m, "The mail system could not deliver it. ");
	const mw_bounce *b = analyse_n(state, m.data, m.len);
	fixture *f = *state;
	assert_true(b->is_bounce);
	assert_true(b->truncated);
	assert_int_equal(f->st, MW_ETRUNCATED);
	assert_non_null(rcpt(b, "far@example.org"));
	mw_buf_free(&m);
}

static void test_too_many_parts_gives_truncated(void **state)
{
	mw_buf m;
	mw_buf_init(&m, (size_t)16 << 20);
	mw_buf_puts(&m, minimal_dsn);
	/* replace the final close with many more parts */
	m.len -= strlen("--BOUND--\n");
	for (size_t i = 0; i < MW_MIME_PARTS_MAX + 100; i++)
		mw_buf_puts(&m, "--BOUND\nContent-Type: text/plain\n\nx\n");
	mw_buf_puts(&m, "--BOUND--\n");
	const mw_bounce *b = analyse_n(state, m.data, m.len);
	assert_true(b->truncated);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_non_null(rcpt(b, "User@example.org"));
	mw_buf_free(&m);
}

static void test_diagnostic_is_folded_and_capped(void **state)
{
	mw_buf m;
	mw_buf_init(&m, (size_t)1 << 20);
	mw_buf_puts(&m, DSN_HEAD "--BOUND\n"
				 "Content-Type: message/delivery-status\n\n"
				 "Final-Recipient: rfc822; a@example.org\n"
				 "Action: failed\n"
				 "Diagnostic-Code: smtp; 550\t5.1.1  too\n");
	for (int i = 0; i < 2000; i++)
		mw_buf_puts(&m, "  long \x01 text\n");
	mw_buf_puts(&m, "\n--BOUND--\n");
	const mw_bounce *b = analyse_n(state, m.data, m.len);
	assert_int_equal(b->nrecipients, 1);
	const char *d = b->recipients[0].diagnostic;
	assert_non_null(d);
	assert_true(strlen(d) <= MW_BOUNCE_DIAGNOSTIC_MAX);
	assert_true(strncmp(d, "550 5.1.1 too long text long", 28) == 0);
	assert_null(strstr(d, "  "));
	assert_null(strchr(d, '\n'));
	assert_string_equal(b->recipients[0].status, "5.1.1");
	mw_buf_free(&m);
}

static void test_nul_bytes_and_empty_input_are_harmless(void **state)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@mx.example.net\n"
	    "Content-Type: multipart/report; boundary=\"B\"\n"
	    "\n"
	    "--B\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Final-Recipient: rfc822; a@example.org\n"
	    "Action: failed\n"
	    "Diagnostic-Code: smtp; 550 bad\0byte\n"
	    "\n"
	    "--B--\n";
	const mw_bounce *b = analyse_n(state, msg, sizeof(msg) - 1);
	assert_int_equal(b->nrecipients, 1);
	assert_string_equal(b->recipients[0].diagnostic, "550 bad byte");

	b = analyse_n(state, "", 0);
	assert_false(b->is_bounce);
	assert_int_equal(b->nrecipients, 0);
}

static void test_unclosed_boundary_still_reads_report(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BOUND\n"
		     "Content-Type: message/delivery-status\n"
		     "\n"
		     "Final-Recipient: rfc822; cut@example.org\n"
		     "Action: failed\n"
		     "Status: 5.1";
	const mw_bounce *b = analyse(state, msg);
	assert_int_equal(b->kind, MW_BOUNCE_DSN);
	assert_non_null(rcpt(b, "cut@example.org"));
	assert_null(rcpt(b, "cut@example.org")->status);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_minimal_dsn_gives_recipient_codes_and_original),
	    T(test_dsn_with_base64_delivery_status_is_decoded),
	    T(test_class_only_status_is_refined_by_diagnostic),
	    T(test_groups_split_without_blank_lines),
	    T(test_blank_line_inside_group_keeps_its_facts),
	    T(test_source_routed_final_recipient_gives_way),
	    T(test_dsn_fields_in_plain_text_are_read),
	    T(test_crlf_and_bare_cr_read_alike),
	    T(test_original_from_message_rfc822_part),
	    T(test_original_from_text_rfc822_headers_part),
	    T(test_japanese_subject_of_original_decoded_to_utf8),
	    T(test_raw_iso2022jp_subject_uses_part_charset),
	    T(test_indented_quoted_original_after_marker),
	    T(test_quoted_bounce_header_is_passed_over),
	    T(test_in_reply_to_names_original_when_nothing_quoted),
	    T(test_forwarded_bounce_is_read_through),
	    T(test_summary_of_original_gives_its_subject),
	    T(test_blank_line_before_enclosed_header_is_skipped),
	    T(test_misspelt_boundary_still_finds_original),
	    T(test_original_header_pasted_as_part_header),
	    T(test_ses_complaint_notice_is_feedback),
	    T(test_arf_report_is_feedback_with_original_rcpt_to),
	    T(test_arf_without_rcpt_fields_names_original_to),
	    T(test_autoreply_names_the_replier),
	    T(test_mailer_daemon_marked_auto_replied_is_a_bounce),
	    T(test_ordinary_message_is_not_a_bounce),
	    T(test_kind_names),
	    T(test_hostile_100000_recipient_groups_are_bounded),
	    T(test_repeated_recipient_is_held_once),
	    T(test_hostile_inputs_finish_with_defined_result),
	    T(test_text_past_limit_gives_truncated),
	    T(test_too_many_parts_gives_truncated),
	    T(test_diagnostic_is_folded_and_capped),
	    T(test_nul_bytes_and_empty_input_are_harmless),
	    T(test_unclosed_boundary_still_reads_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
