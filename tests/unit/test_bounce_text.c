/* test_bounce_text.c - free-text bounces: one layout family per case, in
 * the style of each engine (hand-written, not corpus copies), then hostile
 * input. */
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
#include "mail/bounce_text.h"
#include "mail/header.h"

typedef struct fixture {
	mw_arena a;
	mw_headers h;
	mw_ndr out;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
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

/* Scan text[0..n) under the header section hdr ("Name: value\n" lines). */
static const mw_ndr *scan_n(void **state, const char *hdr, const char *text,
			    size_t n)
{
	fixture *f = *state;
	assert_int_not_equal(mw_headers_parse(&f->a, hdr, strlen(hdr), &f->h),
			     MW_ENOMEM);
	mw_ndr_scan(&f->a, &f->h, text, n, &f->out);
	return &f->out;
}

static const mw_ndr *scan(void **state, const char *hdr, const char *text)
{
	return scan_n(state, hdr, text, strlen(text));
}

static long offset_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	assert_non_null(p);
	return (long)(p - text);
}

static void assert_rcpt(const mw_bounce_rcpt *r, const char *addr,
			const char *status, const char *reply,
			const char *action)
{
	assert_string_equal(r->address, addr);
	if (status)
		assert_string_equal(r->status, status);
	else
		assert_null(r->status);
	if (reply)
		assert_string_equal(r->reply_code, reply);
	else
		assert_null(r->reply_code);
	assert_string_equal(r->action, action);
}

static const char daemon_hdr[] = "From: MAILER-DAEMON@mx.example.org\n"
				 "To: sender@example.net\n"
				 "Subject: failure notice\n\n";

/* -- layout families ---------------------------------------------------- */

static void test_qmail_blocks_give_each_recipient_its_reply(void **state)
{
	const char *t =
	    "Hi. This is the qmail-send program at mx.example.org.\n"
	    "I'm afraid I wasn't able to deliver your message to the "
	    "following addresses.\n"
	    "This is a permanent error; I've given up. Sorry it didn't "
	    "work out.\n\n"
	    "<alice@Example.COM>:\n"
	    "192.0.2.1 does not like recipient.\n"
	    "Remote host said: 550 5.1.1 <alice@example.com>... No such "
	    "user\n"
	    "Giving up on 192.0.2.1.\n\n"
	    "<bob@example.com>:\n"
	    "192.0.2.1 does not like recipient.\n"
	    "Remote host said: 552 5.2.2 Mailbox full\n\n"
	    "--- Below this line is a copy of the message.\n\n"
	    "Return-Path: <sender@example.net>\n"
	    "Message-ID: <m1@example.net>\n\nhello\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_true(o->recognised);
	assert_string_equal(o->engine, "qmail");
	assert_string_equal(o->reporting_mta, "mx.example.org");
	assert_int_equal(o->nrecipients, 2);
	assert_rcpt(&o->recipients[0], "alice@example.com", "5.1.1", "550",
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "192.0.2.1 does not like recipient. Remote host "
			    "said: 550 5.1.1 <alice@example.com>... No such "
			    "user Giving up on 192.0.2.1.");
	assert_rcpt(&o->recipients[1], "bob@example.com", "5.2.2", "552",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "Return-Path:"));
}

static void test_sendmail_list_and_transcript_merge(void **state)
{
	const char *t =
	    "The original message was received at Thu, 1 May 2025 "
	    "10:00:00 +0900\nfrom [192.0.2.9]\n\n"
	    "   ----- The following addresses had permanent fatal errors "
	    "-----\n"
	    "<carol@example.com>\n"
	    "    (reason: 550 5.1.1 <carol@example.com>... User unknown)\n"
	    "\n"
	    "   ----- Transcript of session follows -----\n"
	    "... while talking to mx.example.com.:\n"
	    ">>> RCPT To:<carol@example.com>\n"
	    "<<< 550 5.1.1 <carol@example.com>... User unknown\n"
	    "550 5.1.1 <carol@example.com>... User unknown\n\n"
	    "   ----- Original message follows -----\n"
	    "Received: from a.example.net by b.example.net\n"
	    "Subject: hi\n\nbody\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "sendmail");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "carol@example.com", "5.1.1", "550",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "Received:"));
}

static void test_old_sendmail_transcript_takes_the_remote_reply(void **state)
{
	const char *t =
	    "   ----- Transcript of session follows -----\n"
	    "While talking to mail.example.edu:\n"
	    ">>> RCPT To:<dave@example.edu>\n"
	    "<<< 550 Requested mailbox not found\n"
	    "550 <dave@example.edu>... User unknown\n"
	    "554 <erin@example.org>... 550 Host unknown\n\n"
	    "   ----- Unsent message follows -----\n"
	    "Received: by mx.example.com; Thu, 1 May 1997 10:00:00\n"
	    "From: sender@example.net\n\nbody\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_int_equal(o->nrecipients, 2);
	assert_rcpt(&o->recipients[0], "dave@example.edu", "5.0.0", "550",
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "550 Requested mailbox not found User unknown");
	assert_rcpt(&o->recipients[1], "erin@example.org", "5.0.0", "550",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "Received:"));
}

static void test_postfix_address_colon_diagnostic(void **state)
{
	const char *t =
	    "This is the mail system at host relay.example.jp.\n\n"
	    "I'm sorry to have to inform you that your message could not\n"
	    "be delivered to one or more recipients.\n\n"
	    "                   The mail system\n\n"
	    "<frank@example.com>: host mx.example.com[192.0.2.5] said: 550\n"
	    "    5.1.1 <frank@example.com>: Recipient address rejected: "
	    "User unknown\n"
	    "    (in reply to RCPT TO command)\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "postfix");
	assert_string_equal(o->reporting_mta, "relay.example.jp");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "frank@example.com", "5.1.1", "550",
		    "failed");
	assert_int_equal(o->original_offset, -1);
}

static void test_exim_indented_address_and_smtp_error(void **state)
{
	const char *t =
	    "This message was created automatically by mail delivery "
	    "software.\n\n"
	    "A message that you sent could not be delivered to one or "
	    "more of its\nrecipients. This is a permanent error. The "
	    "following address(es) failed:\n\n"
	    "  grace@example.jp\n"
	    "    SMTP error from remote mail server after RCPT "
	    "TO:<grace@example.jp>:\n"
	    "    host mx.example.jp [192.0.2.7]: 550 5.1.1 User unknown\n"
	    "  heidi@example.jp\n"
	    "    retry timeout exceeded\n\n"
	    "------ This is a copy of the message, including all the "
	    "headers. ------\n\n"
	    "Return-path: <sender@example.net>\n"
	    "Message-Id: <e1@example.net>\n\nbody\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "exim");
	assert_int_equal(o->nrecipients, 2);
	assert_rcpt(&o->recipients[0], "grace@example.jp", "5.1.1", "550",
		    "failed");
	assert_rcpt(&o->recipients[1], "heidi@example.jp", NULL, NULL,
		    "failed");
	assert_string_equal(o->recipients[1].diagnostic,
			    "retry timeout exceeded");
	assert_int_equal(o->original_offset, offset_of(t, "Return-path:"));
}

static void test_exchange_recipient_on_date(void **state)
{
	const char *t =
	    "Your message did not reach some or all of the intended "
	    "recipients.\n\n"
	    "      To:\tsender@example.net\n"
	    "      Subject:\tLunch\n\n"
	    "The following recipient(s) could not be reached:\n\n"
	    "      ivan@example.com on 5/1/2025 10:00 AM\n"
	    "            The e-mail account does not exist.\n"
	    "            <mx.example.com #5.1.1>\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "exchange");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "ivan@example.com", "5.1.1", NULL,
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "The e-mail account does not exist. "
			    "<mx.example.com #5.1.1>");
}

static void test_office365_prefers_the_remote_reply(void **state)
{
	const char *t =
	    "Delivery has failed to these recipients or groups:\n\n"
	    "judy@example.com<mailto:judy@example.com>\n"
	    "The email address wasn't found. See DSN 5.1.10 for help.\n\n"
	    "Diagnostic information for administrators:\n\n"
	    "Generating server: BN1PR.prod.outlook.com\n\n"
	    "judy@example.com\n"
	    "Remote Server returned '550 5.1.10 RESOLVER.ADR."
	    "RecipientNotFound; not found'\n\n"
	    "Original message headers:\n\n"
	    "Received: from a.example.net\n"
	    "Message-ID: <o365@example.net>\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "office365");
	assert_string_equal(o->reporting_mta, "bn1pr.prod.outlook.com");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "judy@example.com", "5.1.10", "550",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "Received:"));
}

static void test_gmail_reply_two_paragraphs_below_address(void **state)
{
	const char *t =
	    "Delivery to the following recipient failed permanently:\n\n"
	    "     ken@example.jp\n\n"
	    "Technical details of permanent failure:\n"
	    "Google tried to deliver your message, but it was rejected.\n\n"
	    "The error that the other server returned was:\n"
	    "550 5.2.2 <ken@example.jp>... Mailbox Full\n\n"
	    "----- Original message -----\n\n"
	    "DKIM-Signature: v=1; a=rsa-sha256;\n"
	    "Message-Id: <g@example.net>\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "gmail");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "ken@example.jp", "5.2.2", "550",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "DKIM-Signature:"));
}

static void test_mention_in_prose_with_reply_after_blank(void **state)
{
	const char *t =
	    "This is the DragonFly Mail Agent v0.13 at df.example.jp.\n\n"
	    "There was an error delivering your mail to "
	    "<leo@example.org>.\n\n"
	    "mx.example.org [192.0.2.25] did not like our RCPT TO:\n"
	    "550 5.7.1 <leo@example.org>: Relay access denied\n\n"
	    "Message headers follow.\n\n"
	    "Received: from root (uid 0)\n"
	    "Message-Id: <df@example.jp>\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "dragonfly");
	assert_string_equal(o->reporting_mta, "df.example.jp");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "leo@example.org", "5.7.1", "550",
		    "failed");
	assert_int_equal(o->original_offset, offset_of(t, "Received:"));
}

static void test_opensmtpd_address_colon_reason_lines(void **state)
{
	const char *t =
	    "    Hi!\n\n"
	    "    This is the MAILER-DAEMON, please DO NOT REPLY to this "
	    "e-mail.\n\n"
	    "    An error has occurred while attempting to deliver a "
	    "message for\n    the following list of recipients:\n\n"
	    "mike@example.jp: 550 5.2.2 <mike@example.jp>... Mailbox Full\n"
	    "nina@example.jp: Domain does not exist\n\n"
	    "    Below is a copy of the original message:\n\n"
	    "Received: from [127.0.0.1] (localhost [127.0.0.1]);\n"
	    "Subject: t\n\nt\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "opensmtpd");
	assert_int_equal(o->nrecipients, 2);
	assert_rcpt(&o->recipients[0], "mike@example.jp", "5.2.2", "550",
		    "failed");
	assert_rcpt(&o->recipients[1], "nina@example.jp", NULL, NULL, "failed");
	assert_string_equal(o->recipients[1].diagnostic,
			    "Domain does not exist");
}

static void test_notes_reason_comes_before_the_address(void **state)
{
	const char *t = "------- Failure Reasons  --------\n\n"
			"User not listed in public Name & Address Book\n"
			"olga@example.com\n\n"
			"------- Returned Message --------\n"
			"Received: from a.example.net by b.example.com\n"
			"Subject: x\n\nx\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_string_equal(o->engine, "notes");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "olga@example.com", NULL, NULL,
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "User not listed in public Name & Address Book");
	assert_int_equal(o->original_offset, offset_of(t, "Received:"));
}

static void test_japanese_carrier_recipient_label(void **state)
{
	/* au/EZweb: Japanese explanation (already UTF-8), then English. */
	const char *t =
	    "\xe6\xac\xa1\xe3\x81\xae\xe3\x81\x82\xe3\x81\xa6\xe5\x85\x88"
	    "\xe3\x81\xb8\xe3\x81\xae\xe3\x83\xa1\xe3\x83\x83\xe3\x82\xbb"
	    "\xe3\x83\xbc\xe3\x82\xb8\xe3\x81\xaf\xe9\x80\x81\xe4\xbf\xa1"
	    "\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93"
	    "\xe3\x81\xa7\xe3\x81\x97\xe3\x81\x9f\xe3\x80\x82\n"
	    "Each of the following recipients was rejected by a remote\n"
	    "mail server.\n\n"
	    "    Recipient: <paul@ezweb.example.jp>\n"
	    "    >>> RCPT TO:<paul@ezweb.example.jp>\n"
	    "    <<< 550 <paul@ezweb.example.jp>: User unknown\n";
	const mw_ndr *o = scan(state,
			       "From: Postmaster@ezweb.example.jp\n"
			       "To: sender@example.net\n"
			       "Subject: Mail System Error - Returned Mail\n\n",
			       t);
	assert_string_equal(o->engine, "ezweb");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "paul@ezweb.example.jp", "5.0.0", "550",
		    "failed");
}

static void test_kddi_sentence_names_the_recipient(void **state)
{
	const char *t = "Your mail sent on: Thu, 1 May 2025 10:00:00 +0900\n\n"
			"     Could not be delivered to: "
			"<quinn@x123.dion.example.jp>\n"
			"     As their mailbox is full.\n";
	const mw_ndr *o = scan(state,
			       "From: no-reply@x123.dion.example.jp\n"
			       "To: sender@example.net\n\n",
			       t);
	assert_string_equal(o->engine, "kddi");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "quinn@x123.dion.example.jp", NULL, NULL,
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "Could not be delivered to: "
			    "<quinn@x123.dion.example.jp> As their mailbox is "
			    "full.");
}

static void test_dsn_fields_quoted_in_forwarded_text(void **state)
{
	const char *t =
	    "Forwarding this bounce.\n\n"
	    "> Reporting-MTA: dns; mx.example.jp\n"
	    ">\n"
	    "> Final-Recipient: RFC822; rita@Example.com\n"
	    "> Action: failed\n"
	    "> Status: 5.1.1\n"
	    "> Diagnostic-Code: SMTP; 550 5.1.1 <rita@example.com>...\n"
	    ">     User unknown\n";
	const mw_ndr *o =
	    scan(state,
		 "From: sender@example.net\n"
		 "Subject: Fwd: Returned mail: see transcript\n\n",
		 t);
	assert_string_equal(o->reporting_mta, "mx.example.jp");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "rita@example.com", "5.1.1", "550",
		    "failed");
	assert_string_equal(o->recipients[0].diagnostic,
			    "550 5.1.1 <rita@example.com>... User unknown");
}

static void test_failed_header_names_who_the_text_hid(void **state)
{
	const char *t =
	    "This message was created automatically by mail delivery "
	    "software.\n\n"
	    "A message that you sent could not be delivered to one or "
	    "more of its\nrecipients. The following address(es) failed:\n\n"
	    "  pipe to |/usr/local/bin/filter\n"
	    "    generated by sam@example.com\n";
	const mw_ndr *o = scan(state,
			       "From: Mail Delivery System "
			       "<Mailer-Daemon@mx.example.com>\n"
			       "To: sender@example.net\n"
			       "X-Failed-Recipients: sam@Example.COM\n\n",
			       t);
	assert_int_equal(o->nrecipients, 1);
	assert_string_equal(o->recipients[0].address, "sam@example.com");
	assert_string_equal(o->recipients[0].action, "failed");
}

static void test_amazon_ses_json_notification(void **state)
{
	const char *t =
	    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":"
	    "\"Permanent\",\"bouncedRecipients\":[{\"emailAddress\":"
	    "\"tom@example.com\",\"action\":\"failed\",\"status\":\"5.1.1\","
	    "\"diagnosticCode\":\"smtp; 550 5.1.1 user unknown [RCPT]\"}],"
	    "\"reportingMTA\":\"dsn; a1.smtp-out.example.com\"},\"mail\":{"
	    "\"destination\":[\"tom@example.com\"]}}\n";
	const mw_ndr *o = scan(state,
			       "From: no-reply@sns.example.com\n"
			       "Subject: AWS Notification Message\n\n",
			       t);
	assert_true(o->recognised);
	assert_string_equal(o->engine, "amazonses");
	assert_string_equal(o->reporting_mta, "a1.smtp-out.example.com");
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "tom@example.com", "5.1.1", "550",
		    "failed");
}

static void test_delay_warning_gives_delayed_action(void **state)
{
	const char *t =
	    "This is an automatically generated Delivery Status "
	    "Notification\n\n"
	    "THIS IS A WARNING MESSAGE ONLY.\n\n"
	    "Delivery to the following recipient has been delayed:\n\n"
	    "     uma@example.jp\n\n"
	    "Message will be retried for 2 more day(s)\n\n"
	    "Technical details of temporary failure:\n"
	    "The recipient server did not accept our requests to connect.\n";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_int_equal(o->nrecipients, 1);
	assert_rcpt(&o->recipients[0], "uma@example.jp", NULL, NULL, "delayed");
}

static void test_crlf_and_bare_cr_read_alike(void **state)
{
	const char *forms[] = {
	    "Hi. This is the qmail-send program at mx.example.org.\r\n\r\n"
	    "<vic@example.com>:\r\nRemote host said: 550 5.1.1 No\r\n\r\n"
	    "--- Below this line is a copy of the message.\r\n\r\n"
	    "Return-Path: <s@example.net>\r\n",
	    "Hi. This is the qmail-send program at mx.example.org.\r\r"
	    "<vic@example.com>:\rRemote host said: 550 5.1.1 No\r\r"
	    "--- Below this line is a copy of the message.\r\r"
	    "Return-Path: <s@example.net>\r",
	};
	for (size_t i = 0; i < 2; i++) {
		const mw_ndr *o = scan(state, daemon_hdr, forms[i]);
		assert_int_equal(o->nrecipients, 1);
		assert_rcpt(&o->recipients[0], "vic@example.com", "5.1.1",
			    "550", "failed");
		assert_int_equal(o->original_offset,
				 offset_of(forms[i], "Return-Path:"));
	}
}

static void test_ordinary_letter_is_not_recognised(void **state)
{
	const char *t = "Hello,\n\nwendy@example.com: see you at noon.\n"
			"Thanks.\n";
	const mw_ndr *o = scan(state,
			       "From: xavier@example.net\n"
			       "To: wendy@example.com\n"
			       "Subject: lunch\n\n",
			       t);
	assert_false(o->recognised);
	assert_int_equal(o->nrecipients, 0);
	assert_null(o->recipients);
}

/* -- hostile input ------------------------------------------------------ */

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_empty_text_gives_nothing(void **state)
{
	const mw_ndr *o = scan_n(state, daemon_hdr, "", 0);
	assert_false(o->recognised);
	assert_int_equal(o->nrecipients, 0);
	assert_int_equal(o->original_offset, -1);
	o = scan_n(state, daemon_hdr, NULL, 0);
	assert_int_equal(o->nrecipients, 0);
	assert_int_equal(o->original_offset, -1);
}

static void test_ten_megabytes_without_markers_is_fast(void **state)
{
	size_t n = (size_t)10 * 1024 * 1024;
	char *t = malloc(n);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = (i % 61 == 60) ? '\n' : (char)('a' + i % 26);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const mw_ndr *o = scan_n(state, daemon_hdr, t, n);
	double dt = seconds_since(&t0);
	assert_int_equal(o->nrecipients, 0);
	assert_int_equal(o->original_offset, -1);
	assert_true(dt < 2.0);
	/* One 10 MB line, no line ending at all. */
	memset(t, 'x', n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o = scan_n(state, daemon_hdr, t, n);
	assert_int_equal(o->nrecipients, 0);
	assert_true(seconds_since(&t0) < 2.0);
	free(t);
}

static void test_hundred_thousand_address_lines_are_bounded(void **state)
{
	size_t lines = 100000, cap = lines * 64 + 64;
	char *t = malloc(cap);
	assert_non_null(t);
	size_t n = 0;
	n += (size_t)sprintf(t + n, "Delivery to the following recipient "
				    "failed permanently:\n");
	for (size_t i = 0; i < lines; i++)
		n += (size_t)sprintf(t + n, "<u%zu@example.com>:\n", i);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const mw_ndr *o = scan_n(state, daemon_hdr, t, n);
	assert_int_equal(o->nrecipients, MW_BOUNCE_RECIPIENTS_MAX);
	assert_string_equal(o->recipients[0].address, "u0@example.com");
	assert_true(seconds_since(&t0) < 2.0);
	/* The same address again and again: one recipient, still fast. */
	n = 0;
	n += (size_t)sprintf(t + n, "Delivery to the following recipient "
				    "failed permanently:\n");
	for (size_t i = 0; i < lines; i++)
		n += (size_t)sprintf(t + n, "There was an error with "
					    "<same@example.com> here\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	o = scan_n(state, daemon_hdr, t, n);
	assert_int_equal(o->nrecipients, 1);
	assert_true(seconds_since(&t0) < 2.0);
	free(t);
}

static void test_nul_bytes_are_white_space_in_diagnostics(void **state)
{
	static const char t[] =
	    "Hi. This is the qmail-send program at mx.example.org.\n\n"
	    "<yan@example.com>:\nRemote host said: 550\0 5.1.1 No\0user\n";
	const mw_ndr *o = scan_n(state, daemon_hdr, t, sizeof t - 1);
	assert_int_equal(o->nrecipients, 1);
	assert_string_equal(o->recipients[0].address, "yan@example.com");
	assert_string_equal(o->recipients[0].diagnostic,
			    "Remote host said: 550 5.1.1 No user");
	assert_string_equal(o->recipients[0].reply_code, "550");
}

static void test_marker_at_the_very_end_gives_no_original(void **state)
{
	const char *t = "Hi. This is the qmail-send program at mx.example.org."
			"\n\n<zoe@example.com>:\nRemote host said: 550 no\n\n"
			"--- Below this line is a copy of the message.";
	const mw_ndr *o = scan(state, daemon_hdr, t);
	assert_int_equal(o->original_offset, -1);
	assert_int_equal(o->nrecipients, 1);
	/* A marker followed by prose, not a header section. */
	const char *u = "Hi. This is the qmail-send program at mx.example.org."
			"\n\n<zoe@example.com>:\nRemote host said: 550 no\n\n"
			"--- Below this line is a copy of the message.\n\n"
			"just some words\n";
	o = scan(state, daemon_hdr, u);
	assert_int_equal(o->original_offset, -1);
}

static void test_long_diagnostic_is_capped(void **state)
{
	size_t n = MW_BOUNCE_DIAGNOSTIC_MAX * 3;
	char *t = malloc(n + 200);
	assert_non_null(t);
	int k = sprintf(t, "Hi. This is the qmail-send program at "
			   "mx.example.org.\n\n<al@example.com>:\n550 ");
	memset(t + k, 'w', n);
	t[k + n] = '\n';
	const mw_ndr *o = scan_n(state, daemon_hdr, t, (size_t)k + n + 1);
	assert_int_equal(o->nrecipients, 1);
	assert_true(strlen(o->recipients[0].diagnostic) <=
		    MW_BOUNCE_DIAGNOSTIC_MAX);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_qmail_blocks_give_each_recipient_its_reply),
	    T(test_sendmail_list_and_transcript_merge),
	    T(test_old_sendmail_transcript_takes_the_remote_reply),
	    T(test_postfix_address_colon_diagnostic),
	    T(test_exim_indented_address_and_smtp_error),
	    T(test_exchange_recipient_on_date),
	    T(test_office365_prefers_the_remote_reply),
	    T(test_gmail_reply_two_paragraphs_below_address),
	    T(test_mention_in_prose_with_reply_after_blank),
	    T(test_opensmtpd_address_colon_reason_lines),
	    T(test_notes_reason_comes_before_the_address),
	    T(test_japanese_carrier_recipient_label),
	    T(test_kddi_sentence_names_the_recipient),
	    T(test_dsn_fields_quoted_in_forwarded_text),
	    T(test_failed_header_names_who_the_text_hid),
	    T(test_amazon_ses_json_notification),
	    T(test_delay_warning_gives_delayed_action),
	    T(test_crlf_and_bare_cr_read_alike),
	    T(test_ordinary_letter_is_not_recognised),
	    T(test_empty_text_gives_nothing),
	    T(test_ten_megabytes_without_markers_is_fast),
	    T(test_hundred_thousand_address_lines_are_bounded),
	    T(test_nul_bytes_are_white_space_in_diagnostics),
	    T(test_marker_at_the_very_end_gives_no_original),
	    T(test_long_diagnostic_is_capped),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
