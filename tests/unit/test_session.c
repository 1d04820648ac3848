/*
 * test_session.c - the milter session, driven as the daemon drives it:
 * frames written byte by byte as an MTA writes them, through the real
 * decoder, into the session, and the reply frames read back. The first
 * group needs no policy (negotiation, macros, the outbound decision,
 * limits, resets, bad frames); the second runs the real shield on a
 * store in a temporary directory (tags, refusals, content buffering,
 * modifications that were not agreed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/limits.h"
#include "milter/decoder.h"
#include "milter/encoder.h"
#include "milter/session.h"
#include "shield/shield.h"
#include "store/store.h"

/* 2026-11-22 12:00:00 UTC: a fixed clock for the BATV day. */
#define TEST_NOW ((time_t)1795348800)

static const char test_secret[] = "0123456789abcdef0123456789abcdef";

/* -- the harness: an MTA's bytes in, the session's replies out -------- */

typedef struct harness {
	mw_milter_decoder dec;
	mw_session s;
	mw_session_env env;
	mw_session_policy policy;
	mw_buf out;
	int acquired, released;
	mw_session_result last;
	/* the real shield, when the test asks for one */
	mw_config *cfg;
	mw_store *store;
	mw_batv_ring ring;
	char dir[64];
} harness;

typedef struct reply {
	unsigned char code;
	const char *p; /* payload, valid until the next h_clear */
	size_t n;
} reply;

static const mw_session_policy *h_acquire(void *arg)
{
	harness *h = arg;
	h->acquired++;
	return &h->policy;
}

static void h_release(void *arg, const mw_session_policy *p)
{
	harness *h = arg;
	assert_ptr_equal(p, &h->policy);
	h->released++;
}

static time_t h_now(void *arg)
{
	(void)arg;
	return TEST_NOW;
}

static harness *h_new(void)
{
	harness *h = calloc(1, sizeof *h);
	assert_non_null(h);
	mw_milter_decoder_init(&h->dec);
	h->env.acquire = h_acquire;
	h->env.release = h_release;
	h->env.now = h_now;
	h->env.arg = h;
	mw_session_init(&h->s, &h->env, 7);
	mw_buf_init(&h->out, MW_SESSION_REPLY_MAX + 65536);
	mw_batv_ring_init(&h->ring);
	return h;
}

static void h_free(harness *h)
{
	mw_session_free(&h->s);
	assert_int_equal(h->acquired, h->released); /* every policy returned */
	mw_milter_decoder_free(&h->dec);
	mw_buf_free(&h->out);
	if (h->policy.shield)
		mw_shield_free(h->policy.shield);
	if (h->store)
		mw_store_close(h->store);
	mw_config_free(h->cfg);
	mw_batv_ring_clear(&h->ring);
	if (h->dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
		assert_int_equal(system(cmd), 0);
	}
	free(h);
}

/* A configuration from text; the state directory is h->dir. */
static void h_config(harness *h, const char *extra)
{
	if (!h->dir[0]) {
		snprintf(h->dir, sizeof h->dir, "/tmp/mw-test-session.XXXXXX");
		assert_non_null(mkdtemp(h->dir));
	}
	char text[2048];
	snprintf(text, sizeof text,
		 "state_dir = %s\n"
		 "local_domains = example.jp\n"
		 "our_hostnames = mx.example.jp\n"
		 "trusted_networks = 192.0.2.0/24\n"
		 "outbound_daemon_names = ORIGINATING\n"
		 "bounce_body_max = 64k\n"
		 "digest = no\n"
		 "%s",
		 h->dir, extra);
	static mw_config_errors errs;
	mw_config_free(h->cfg);
	h->cfg = NULL;
	mw_status st = mw_config_parse("test.conf", mw_str_from_cstr(text),
				       &h->cfg, &errs);
	if (st != MW_OK)
		mw_config_errors_print(&errs, stderr);
	assert_int_equal(st, MW_OK);
	h->policy.cfg = h->cfg;
}

/* The real shield on a store in h->dir, with one BATV key. */
static void h_shield(harness *h, const char *extra)
{
	h_config(h, extra);
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = h->dir;
	mw_store_error err;
	assert_int_equal(mw_store_open(&sc, &h->store, &err), MW_OK);
	mw_batv_error be;
	assert_int_equal(
	    mw_batv_ring_add(&h->ring, 1, mw_str_from_cstr(test_secret), &be),
	    MW_OK);
	mw_shield *sh = NULL;
	assert_int_equal(mw_shield_new(h->cfg, h->store, &h->ring, &sh), MW_OK);
	h->policy.shield = sh;
}

/* Feed bytes and run every whole command through the session. */
static void h_feed(harness *h, const void *p, size_t n)
{
	const unsigned char *u = p;
	while (n > 0) {
		size_t took = mw_milter_feed(&h->dec, u, n);
		u += took;
		n -= took;
		mw_milter_cmd cmd;
		mw_milter_result r;
		while ((r = mw_milter_next(&h->dec, &cmd)) != MW_MILTER_MORE &&
		       r != MW_MILTER_ERROR)
			h->last = mw_session_handle(
			    &h->s, r, &cmd, mw_milter_decoder_error(&h->dec),
			    &h->out);
		if (r == MW_MILTER_ERROR)
			return;
		assert_true(took > 0);
	}
}

static void h_send(harness *h, unsigned char code, const void *payload,
		   size_t n)
{
	unsigned char *f = malloc(n + 5);
	assert_non_null(f);
	uint32_t len = (uint32_t)n + 1;
	f[0] = (unsigned char)(len >> 24);
	f[1] = (unsigned char)(len >> 16);
	f[2] = (unsigned char)(len >> 8);
	f[3] = (unsigned char)len;
	f[4] = code;
	if (n)
		memcpy(f + 5, payload, n);
	h_feed(h, f, n + 5);
	free(f);
}

#define SEND(h, code, lit) h_send((h), (code), (lit), sizeof(lit) - 1)

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	       (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

static void h_optneg(harness *h, uint32_t version, uint32_t actions,
		     uint32_t steps)
{
	unsigned char p[12];
	put32(p, version);
	put32(p + 4, actions);
	put32(p + 8, steps);
	h_send(h, MW_SMFIC_OPTNEG, p, sizeof p);
}

/* The replies written since the last h_clear, in order. */
static size_t h_replies(harness *h, reply *r, size_t max)
{
	size_t n = 0, at = 0;
	while (at < h->out.len) {
		assert_true(h->out.len - at >= 5);
		uint32_t len = get32(h->out.data + at);
		assert_true(len >= 1 && at + 4 + len <= h->out.len);
		assert_true(n < max);
		r[n].code = (unsigned char)h->out.data[at + 4];
		r[n].p = h->out.data + at + 5;
		r[n].n = len - 1;
		n++;
		at += 4 + len;
	}
	return n;
}

static void h_clear(harness *h)
{
	mw_buf_reset(&h->out);
}

/* Exactly one reply, of this code. */
static reply h_expect(harness *h, unsigned char code)
{
	reply r[8];
	size_t n = h_replies(h, r, 8);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].code, code);
	return r[0];
}

static void h_expect_none(harness *h)
{
	assert_int_equal(h->out.len, 0);
}

/* A reply code's text: "550 5.7.1 ..." as sent (NUL-terminated). */
static void assert_replycode(reply r, const char *prefix)
{
	assert_int_equal(r.code, MW_SMFIR_REPLYCODE);
	assert_true(r.n >= strlen(prefix));
	assert_memory_equal(r.p, prefix, strlen(prefix));
	assert_int_equal(r.p[r.n - 1], '\0');
}

/* Postfix 3.7's offer: version 6, every action, every step. */
static void h_negotiate(harness *h)
{
	h_optneg(h, 6, MW_SMFIF_ALL, MW_SMFIP_ALL);
	h_clear(h);
}

static void h_connect_inet(harness *h, const char *daemon, const char *ip)
{
	char m[256];
	int n = snprintf(m, sizeof m, "C{daemon_name}%c%s", 0, daemon);
	h_send(h, MW_SMFIC_MACRO, m, (size_t)n + 1);
	n = snprintf(m, sizeof m, "client.example%c4%c%c%s", 0, 0x61, 0xa8, ip);
	h_send(h, MW_SMFIC_CONNECT, m, (size_t)n + 1);
	h_clear(h);
}

static void h_mail(harness *h, const char *addr)
{
	char m[600];
	int n = snprintf(m, sizeof m, "%s", addr);
	h_send(h, MW_SMFIC_MAIL, m, (size_t)n + 1);
}

static void h_rcpt(harness *h, const char *addr)
{
	char m[600];
	int n = snprintf(m, sizeof m, "%s", addr);
	h_send(h, MW_SMFIC_RCPT, m, (size_t)n + 1);
}

static void h_header(harness *h, const char *name, const char *value)
{
	char m[2048];
	int n = snprintf(m, sizeof m, "%s%c%s", name, 0, value);
	h_send(h, MW_SMFIC_HEADER, m, (size_t)n + 1);
}

/* -- negotiation ------------------------------------------------------ */

static void test_optneg_answers_agreed_options_and_macro_lists(void **state)
{
	(void)state;
	harness *h = h_new();
	h_optneg(h, 6, MW_SMFIF_ALL, MW_SMFIP_ALL);
	reply r = h_expect(h, MW_SMFIC_OPTNEG);
	assert_true(r.n >= 12);
	assert_int_equal(get32(r.p), 6);
	assert_int_equal(get32(r.p + 4),
			 MW_MILTER_OUR_ACTIONS | MW_SMFIF_SETSYMLIST);
	assert_int_equal(get32(r.p + 8), MW_MILTER_OUR_STEPS);
	/* Then (stage, list NUL) for each stage we set, in stage order. */
	size_t at = 12;
	int stages = 0;
	for (int i = 0; i < MW_SMFIM_COUNT; i++) {
		if (!mw_session_macro_lists[i])
			continue;
		assert_int_equal(get32(r.p + at), (uint32_t)i);
		at += 4;
		assert_string_equal(r.p + at, mw_session_macro_lists[i]);
		at += strlen(mw_session_macro_lists[i]) + 1;
		stages++;
	}
	assert_int_equal(at, r.n);
	assert_int_equal(stages, 6);
	assert_string_equal(mw_session_macro_lists[MW_SMFIM_CONNECT],
			    "{daemon_name} {client_addr} {client_name}");
	assert_string_equal(mw_session_macro_lists[MW_SMFIM_ENVFROM],
			    "{auth_authen} i");
	assert_int_equal(h->last, MW_SESSION_OK);
	h_free(h);
}

static void test_optneg_without_setsymlist_sends_no_lists(void **state)
{
	(void)state;
	harness *h = h_new();
	h_optneg(h, 6, MW_SMFIF_ALL & ~MW_SMFIF_SETSYMLIST, MW_SMFIP_ALL);
	reply r = h_expect(h, MW_SMFIC_OPTNEG);
	assert_int_equal(r.n, 12);
	assert_int_equal(get32(r.p + 4), MW_MILTER_OUR_ACTIONS);
	h_free(h);
}

static void test_optneg_of_version_1_closes_without_answer(void **state)
{
	(void)state;
	harness *h = h_new();
	h_optneg(h, 1, MW_SMFIF_ALL, MW_SMFIP_ALL);
	h_expect_none(h);
	assert_int_equal(h->last, MW_SESSION_CLOSE);
	h_free(h);
}

static void test_malformed_optneg_closes(void **state)
{
	(void)state;
	harness *h = h_new();
	SEND(h, MW_SMFIC_OPTNEG, "\0\0\0\6\0\0"); /* 6 bytes, not 12 */
	h_expect_none(h);
	assert_int_equal(h->last, MW_SESSION_CLOSE);
	assert_int_equal(h->s.bad_frames, 1);
	h_free(h);
}

/* -- macros, CONNECT and the outbound decision ------------------------- */

static void test_macros_are_copied_with_or_without_braces(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, MW_SMFIC_MACRO,
	     "C{daemon_name}\0ORIGINATING\0client_name\0mua.example.net\0"
	     "{client_addr}\0IPv6:2001:db8::7\0j\0ignored\0");
	SEND(h, MW_SMFIC_MACRO,
	     "M{auth_authen}\0alice@example.jp\0i\0"
	     "4XyZ12AbC\0");
	h_expect_none(h); /* MACRO is never answered */
	assert_string_equal(h->s.daemon_name, "ORIGINATING");
	assert_string_equal(h->s.client_name, "mua.example.net");
	assert_string_equal(h->s.auth_authen, "alice@example.jp");
	assert_string_equal(h->s.queue_id, "4XyZ12AbC");
	assert_true(h->s.has_client_ip);
	char ip[MW_IP_TEXT_MAX];
	mw_ip_format(&h->s.client_ip, ip);
	assert_string_equal(ip, "2001:db8::7");
	h_free(h);
}

static void test_long_macro_values_are_cut_to_their_bound(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	char m[1200];
	memcpy(m, "C{daemon_name}", 15);
	memset(m + 15, 'x', 1000);
	m[1015] = '\0';
	h_send(h, MW_SMFIC_MACRO, m, 1016);
	assert_int_equal(strlen(h->s.daemon_name), MW_SESSION_MACRO_MAX);
	h_free(h);
}

static void test_connect_gives_the_client_address(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, MW_SMFIC_CONNECT, "host.example\0004\0\031198.51.100.4\0");
	h_expect_none(h); /* NR_CONN was agreed */
	char ip[MW_IP_TEXT_MAX];
	assert_true(h->s.has_client_ip);
	mw_ip_format(&h->s.client_ip, ip);
	assert_string_equal(ip, "198.51.100.4");
	assert_string_equal(h->s.client_name, "host.example");
	h_free(h);
}

static void test_connect_is_answered_when_the_mta_waits(void **state)
{
	(void)state;
	harness *h = h_new();
	/* An MTA that cannot skip the CONNECT reply. */
	h_optneg(h, 6, MW_SMFIF_ALL, MW_SMFIP_ALL & ~MW_SMFIP_NR_CONN);
	h_clear(h);
	SEND(h, MW_SMFIC_CONNECT, "localhost\0U");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_false(h->s.has_client_ip);
	h_free(h);
}

static void test_auth_authen_makes_the_session_outbound(void **state)
{
	(void)state;
	harness *h = h_new();
	h_config(h, "");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	SEND(h, MW_SMFIC_MACRO, "M{auth_authen}\0alice\0");
	h_mail(h, "<alice@example.jp>");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_true(h->s.outbound);
	h_free(h);
}

static void test_outbound_daemon_name_makes_the_session_outbound(void **state)
{
	(void)state;
	harness *h = h_new();
	h_config(h, "");
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	assert_true(h->s.outbound);
	h_free(h);
}

static void test_trusted_client_makes_the_session_outbound(void **state)
{
	(void)state;
	harness *h = h_new();
	h_config(h, "");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "192.0.2.77");
	h_mail(h, "<alice@example.jp>");
	assert_true(h->s.outbound);
	h_free(h);
}

static void test_anything_else_is_inbound(void **state)
{
	(void)state;
	harness *h = h_new();
	h_config(h, "");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	SEND(h, MW_SMFIC_MACRO, "M{auth_authen}\0\0"); /* empty: no login */
	h_mail(h, "<>");
	assert_false(h->s.outbound);
	assert_string_equal(h->s.sender, "");
	h_free(h);
}

static void test_macros_postfix_did_not_send_leave_facts_unknown(void **state)
{
	(void)state;
	harness *h = h_new();
	h_config(h, "");
	h_negotiate(h);
	SEND(h, MW_SMFIC_CONNECT, "unknown\0U");
	h_mail(h, "<alice@example.jp>");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_false(h->s.has_daemon_name);
	assert_false(h->s.has_client_ip);
	assert_false(h->s.outbound);
	h_free(h);
}

/* -- the envelope ---------------------------------------------------- */

static void test_mail_strips_brackets_and_source_route(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, MW_SMFIC_MAIL, "<@relay.example:bob@example.net>\0SIZE=100\0");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_string_equal(h->s.sender, "bob@example.net");
	assert_true(mw_session_in_transaction(&h->s));
	assert_int_equal(h->acquired, 1);
	h_free(h);
}

static void test_recipients_past_the_cap_get_452(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_clear(h);
	char a[64];
	for (int i = 0; i < MW_SESSION_RCPTS_MAX; i++) {
		snprintf(a, sizeof a, "<u%d@example.org>", i);
		h_rcpt(h, a);
		h_expect(h, MW_SMFIR_CONTINUE);
		h_clear(h);
	}
	h_rcpt(h, "<one-too-many@example.org>");
	assert_replycode(h_expect(h, MW_SMFIR_REPLYCODE),
			 "452 4.5.3 too many recipients");
	assert_int_equal(h->s.nrcpts, MW_SESSION_RCPTS_MAX);
	assert_string_equal(h->s.rcpts[999], "u999@example.org");
	h_free(h);
}

static void test_overlong_recipient_is_refused_501(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_clear(h);
	char a[MW_ADDRESS_MAX + 16];
	a[0] = '<';
	memset(a + 1, 'a', MW_ADDRESS_MAX);
	memcpy(a + 1 + MW_ADDRESS_MAX, "@x.org>", 8);
	h_rcpt(h, a);
	assert_replycode(h_expect(h, MW_SMFIR_REPLYCODE), "501 5.1.3 ");
	assert_int_equal(h->s.nrcpts, 0);
	h_free(h);
}

static void test_rcpt_without_mail_is_passed(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_rcpt(h, "<x@example.org>");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_false(mw_session_in_transaction(&h->s));
	h_free(h);
}

static void test_headers_and_body_get_no_reply_when_agreed(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_rcpt(h, "<x@example.org>");
	h_clear(h);
	h_header(h, "Message-ID", " <abc.123@example.net> ");
	SEND(h, MW_SMFIC_BODY, "hello\r\n");
	h_expect_none(h);
	assert_string_equal(h->s.message_id, "abc.123@example.net");
	h_free(h);
}

static void test_eom_without_policy_continues_and_ends_txn(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_rcpt(h, "<x@example.org>");
	h_clear(h);
	SEND(h, MW_SMFIC_BODYEOB, "");
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_int_equal(h->last, MW_SESSION_OK); /* nothing to make durable */
	assert_false(mw_session_in_transaction(&h->s));
	assert_int_equal(h->released, 1);
	assert_int_equal(h->s.nmessages, 1);
	assert_int_equal(h->s.nrcpts, 0);
	h_free(h);
}

/* -- resets and ends -------------------------------------------------- */

static void test_abort_ends_transaction_and_keeps_connection(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<bob@example.net>");
	h_rcpt(h, "<x@example.org>");
	h_clear(h);
	SEND(h, MW_SMFIC_ABORT, "");
	h_expect_none(h);
	assert_false(mw_session_in_transaction(&h->s));
	assert_int_equal(h->s.nrcpts, 0);
	assert_null(h->s.sender);
	assert_int_equal(h->released, 1);
	assert_string_equal(h->s.daemon_name, "ORIGINATING");
	assert_true(h->s.has_client_ip);
	h_free(h);
}

static void test_quit_closes(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_clear(h);
	SEND(h, MW_SMFIC_QUIT, "");
	h_expect_none(h);
	assert_int_equal(h->last, MW_SESSION_CLOSE);
	assert_int_equal(h->released, 1);
	h_free(h);
}

static void test_quit_nc_forgets_the_client_keeps_options(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	SEND(h, MW_SMFIC_MACRO, "M{auth_authen}\0alice\0");
	SEND(h, MW_SMFIC_QUIT_NC, "");
	h_expect_none(h);
	assert_int_equal(h->last, MW_SESSION_OK);
	assert_false(h->s.has_client_ip);
	assert_false(h->s.has_auth_authen);
	assert_string_equal(h->s.daemon_name, "");
	assert_true(h->s.negotiated);
	assert_int_equal(h->s.agreed.protocol, MW_MILTER_OUR_STEPS);
	h_free(h);
}

/* -- bad frames ------------------------------------------------------ */

static void test_unknown_command_is_skipped_without_reply(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, 'Z', "whatever");
	h_expect_none(h);
	assert_int_equal(h->s.bad_frames, 1);
	h_mail(h, "<bob@example.net>"); /* and the stream goes on */
	h_expect(h, MW_SMFIR_CONTINUE);
	h_free(h);
}

static void test_malformed_mail_is_answered_continue(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, MW_SMFIC_MAIL, "<no-nul@example.net>"); /* no NUL */
	h_expect(h, MW_SMFIR_CONTINUE);
	assert_false(mw_session_in_transaction(&h->s));
	assert_int_equal(h->s.bad_frames, 1);
	h_free(h);
}

static void test_malformed_macro_is_ignored(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	SEND(h, MW_SMFIC_MACRO, "C{daemon_name}\0"); /* a name, no value */
	h_expect_none(h);
	assert_false(h->s.has_daemon_name);
	h_free(h);
}

static void test_replies_that_do_not_fit_become_tempfail(void **state)
{
	(void)state;
	harness *h = h_new();
	h_negotiate(h);
	h_mail(h, "<bob@example.net>");
	h_clear(h);
	mw_buf_free(&h->out);
	mw_buf_init(&h->out, 16); /* room for TEMPFAIL, not a reply text */
	SEND(h, MW_SMFIC_RCPT, "<x@example.org>\0");
	h_expect(h, MW_SMFIR_CONTINUE);
	h_clear(h);
	for (int i = 1; i < MW_SESSION_RCPTS_MAX; i++)
		h_rcpt(h, "<y@example.org>"), h_clear(h);
	h_rcpt(h, "<z@example.org>"); /* 452 4.5.3 ... does not fit */
	h_expect(h, MW_SMFIR_TEMPFAIL);
	h_free(h);
}

/* -- with the real shield --------------------------------------------- */

static void test_outbound_local_sender_gets_a_batv_tag(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	h_expect(h, MW_SMFIR_CONTINUE);
	h_clear(h);
	h_rcpt(h, "<carol@example.net>");
	h_expect(h, MW_SMFIR_CONTINUE);
	h_clear(h);
	h_header(h, "Message-ID", "<out.1@example.jp>");
	SEND(h, MW_SMFIC_BODYEOB, "");
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 2);
	assert_int_equal(r[0].code, MW_SMFIR_CHGFROM);
	assert_int_equal(r[1].code, MW_SMFIR_ACCEPT);
	/* "<prvs=1DDDSSSSSS=alice@example.jp>" and a valid tag. */
	assert_int_equal(r[0].p[0], '<');
	const char *gt = memchr(r[0].p, '>', r[0].n);
	assert_non_null(gt);
	mw_str tagged = mw_str_make(r[0].p + 1, (size_t)(gt - r[0].p - 1));
	mw_str inner;
	assert_int_equal(mw_batv_verify(&h->ring, tagged, TEST_NOW, &inner),
			 MW_BATV_VALID);
	assert_int_equal(inner.n, strlen("alice@example.jp"));
	assert_memory_equal(inner.p, "alice@example.jp", inner.n);
	h_free(h);
}

static void test_change_from_not_agreed_is_skipped(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_optneg(h, 6, MW_SMFIF_ALL & ~MW_SMFIF_CHGFROM, MW_SMFIP_ALL);
	h_clear(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	h_rcpt(h, "<carol@example.net>");
	h_clear(h);
	SEND(h, MW_SMFIC_BODYEOB, "");
	h_expect(h, MW_SMFIR_ACCEPT); /* no CHGFROM frame before it */
	h_free(h);
}

static void test_valid_tagged_bounce_is_untagged_at_eom(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	char tagged[128];
	assert_int_equal(mw_batv_sign(&h->ring, 1,
				      MW_STR_LIT("alice@example.jp"), TEST_NOW,
				      tagged, sizeof tagged),
			 MW_BATV_SIGNED);
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	h_mail(h, "<>");
	h_expect(h, MW_SMFIR_CONTINUE);
	h_clear(h);
	char rcpt[160];
	snprintf(rcpt, sizeof rcpt, "<%s>", tagged);
	h_rcpt(h, rcpt);
	h_expect(h, MW_SMFIR_CONTINUE);
	h_clear(h);
	SEND(h, MW_SMFIC_BODYEOB, "");
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 3);
	assert_int_equal(r[0].code, MW_SMFIR_DELRCPT);
	assert_string_equal(r[0].p, rcpt);
	assert_int_equal(r[1].code, MW_SMFIR_ADDRCPT);
	assert_string_equal(r[1].p, "<alice@example.jp>");
	assert_true(r[2].code == MW_SMFIR_ACCEPT ||
		    r[2].code == MW_SMFIR_CONTINUE);
	h_free(h);
}

static void test_forged_tag_is_refused_at_rcpt(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	h_mail(h, "<>");
	h_clear(h);
	h_rcpt(h, "<prvs=1000abcdef=alice@example.jp>");
	assert_replycode(h_expect(h, MW_SMFIR_REPLYCODE), "550 5.7.1 ");
	assert_int_equal(h->s.nrcpts, 0);
	h_free(h);
}

static void test_second_recipient_of_a_bounce_gets_452(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	h_mail(h, "<>");
	h_rcpt(h, "<alice@example.jp>");
	h_clear(h);
	h_rcpt(h, "<bob@example.jp>");
	assert_replycode(h_expect(h, MW_SMFIR_REPLYCODE), "452 4.5.3 ");
	assert_int_equal(h->s.nrcpts, 1);
	h_free(h);
}

static void test_untagged_bounce_content_is_buffered_and_judged(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	h_mail(h, "<>");
	h_rcpt(h, "<alice@example.jp>");
	h_clear(h);
	h_header(h, "From", "MAILER-DAEMON@remote.example");
	h_header(h, "Subject", "Undelivered Mail Returned to Sender");
	SEND(h, MW_SMFIC_BODY, "This is the mail system.\r\n");
	h_expect_none(h);
	assert_true(h->s.want_content);
	const char want[] = "From: MAILER-DAEMON@remote.example\n"
			    "Subject: Undelivered Mail Returned to Sender\n"
			    "\n"
			    "This is the mail system.\r\n";
	assert_int_equal(h->s.content.len, sizeof want - 1);
	assert_memory_equal(h->s.content.data, want, sizeof want - 1);
	SEND(h, MW_SMFIC_BODYEOB, "");
	/* No proof that the original left through us: backscatter. */
	assert_replycode(h_expect(h, MW_SMFIR_REPLYCODE), "550 5.7.1 ");
	assert_int_equal(h->last, MW_SESSION_OK); /* a refusal is not held */
	assert_int_equal(h->released, h->acquired);
	h_free(h);
}

static void test_content_stops_at_bounce_body_max(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "smtpd", "203.0.113.9");
	h_mail(h, "<>");
	h_rcpt(h, "<alice@example.jp>");
	h_header(h, "Subject", "failure notice");
	size_t chunk = 60000;
	char *body = malloc(chunk);
	assert_non_null(body);
	memset(body, 'b', chunk);
	h_send(h, MW_SMFIC_BODY, body, chunk);
	assert_false(h->s.content_truncated);
	h_send(h, MW_SMFIC_BODY, body, chunk);
	free(body);
	assert_true(h->s.content_truncated);
	assert_int_equal(h->s.content.len, 64 * 1024);
	h_free(h);
}

/* An outbound message through to its end, replies cleared before EOM. */
static void h_outbound_eom(harness *h, const char *message_id)
{
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	h_rcpt(h, "<carol@example.net>");
	char v[256];
	snprintf(v, sizeof v, "<%s>", message_id);
	h_header(h, "Message-ID", v);
	h_clear(h);
	SEND(h, MW_SMFIC_BODYEOB, "");
}

static void test_accepted_message_is_held_for_the_store(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_outbound_eom(h, "hold.1@example.jp");
	assert_int_equal(h->last, MW_SESSION_HOLD);
	assert_int_equal(h->s.held_from, 0);
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 2); /* written, not yet sent */
	assert_int_equal(r[1].code, MW_SMFIR_ACCEPT);
	/* What the hold waits for: the sent-log entry is queued, and the
	 * mark taken now covers it. */
	mw_store_mark mark = mw_store_commit_soon(h->store);
	assert_true(mark > 0);
	assert_int_equal(mw_store_flush(h->store, 5000), MW_OK);
	assert_true(mw_store_is_committed(h->store, mark));
	mw_store_sent sent;
	bool found = false;
	assert_int_equal(mw_store_sent_lookup(h->store, "hold.1@example.jp",
					      TEST_NOW, &sent, &found),
			 MW_OK);
	assert_true(found);
	assert_string_equal(sent.sender, "alice@example.jp");
	h_free(h);
}

/* An inbound message leaves no sent-log entry: its answer goes at once. */
static void test_accepted_inbound_message_is_not_held(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "", "198.51.100.7");
	h_mail(h, "<newsletter@example.net>");
	h_rcpt(h, "<alice@example.jp>");
	h_header(h, "Message-ID", "<in.1@example.net>");
	h_clear(h);
	SEND(h, MW_SMFIC_BODYEOB, "");
	assert_int_equal(h->last, MW_SESSION_OK);
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 1);
	assert_int_equal(r[0].code, MW_SMFIR_CONTINUE); /* no objection */
	h_free(h);
}

static void test_hold_expired_with_tempfail_answers_tempfail(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\nmilter_failure_action = tempfail\n");
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	h_rcpt(h, "<carol@example.net>");
	h_clear(h);
	/* A reply to an earlier command of the same read stays as it is. */
	assert_int_equal(mw_buf_append(&h->out, "\0\0\0\1c", 5), MW_OK);
	SEND(h, MW_SMFIC_BODYEOB, "");
	assert_int_equal(h->last, MW_SESSION_HOLD);
	assert_int_equal(h->s.held_from, 5);
	mw_session_hold_expired(&h->s, &h->out);
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 2);
	assert_int_equal(r[0].code, MW_SMFIR_CONTINUE);
	assert_int_equal(r[1].code, MW_SMFIR_TEMPFAIL);
	h_free(h);
}

static void test_hold_expired_with_accept_keeps_the_answer(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\nmilter_failure_action = accept\n");
	h_outbound_eom(h, "hold.2@example.jp");
	assert_int_equal(h->last, MW_SESSION_HOLD);
	size_t len = h->out.len;
	mw_session_hold_expired(&h->s, &h->out);
	assert_int_equal(h->out.len, len);
	reply r[4];
	assert_int_equal(h_replies(h, r, 4), 2);
	assert_int_equal(r[0].code, MW_SMFIR_CHGFROM);
	assert_int_equal(r[1].code, MW_SMFIR_ACCEPT);
	h_free(h);
}

static void test_outbound_mail_is_not_buffered(void **state)
{
	(void)state;
	harness *h = h_new();
	h_shield(h, "batv_mode = enforce\n");
	h_negotiate(h);
	h_connect_inet(h, "ORIGINATING", "203.0.113.9");
	h_mail(h, "<alice@example.jp>");
	h_rcpt(h, "<carol@example.net>");
	h_header(h, "Subject", "hello");
	SEND(h, MW_SMFIC_BODY, "text\r\n");
	assert_true(h->s.content_asked);
	assert_false(h->s.want_content);
	assert_int_equal(h->s.content.len, 0);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_optneg_answers_agreed_options_and_macro_lists),
	    cmocka_unit_test(test_optneg_without_setsymlist_sends_no_lists),
	    cmocka_unit_test(test_optneg_of_version_1_closes_without_answer),
	    cmocka_unit_test(test_malformed_optneg_closes),
	    cmocka_unit_test(test_macros_are_copied_with_or_without_braces),
	    cmocka_unit_test(test_long_macro_values_are_cut_to_their_bound),
	    cmocka_unit_test(test_connect_gives_the_client_address),
	    cmocka_unit_test(test_connect_is_answered_when_the_mta_waits),
	    cmocka_unit_test(test_auth_authen_makes_the_session_outbound),
	    cmocka_unit_test(
		test_outbound_daemon_name_makes_the_session_outbound),
	    cmocka_unit_test(test_trusted_client_makes_the_session_outbound),
	    cmocka_unit_test(test_anything_else_is_inbound),
	    cmocka_unit_test(
		test_macros_postfix_did_not_send_leave_facts_unknown),
	    cmocka_unit_test(test_mail_strips_brackets_and_source_route),
	    cmocka_unit_test(test_recipients_past_the_cap_get_452),
	    cmocka_unit_test(test_overlong_recipient_is_refused_501),
	    cmocka_unit_test(test_rcpt_without_mail_is_passed),
	    cmocka_unit_test(test_headers_and_body_get_no_reply_when_agreed),
	    cmocka_unit_test(test_eom_without_policy_continues_and_ends_txn),
	    cmocka_unit_test(test_abort_ends_transaction_and_keeps_connection),
	    cmocka_unit_test(test_quit_closes),
	    cmocka_unit_test(test_quit_nc_forgets_the_client_keeps_options),
	    cmocka_unit_test(test_unknown_command_is_skipped_without_reply),
	    cmocka_unit_test(test_malformed_mail_is_answered_continue),
	    cmocka_unit_test(test_malformed_macro_is_ignored),
	    cmocka_unit_test(test_replies_that_do_not_fit_become_tempfail),
	    cmocka_unit_test(test_outbound_local_sender_gets_a_batv_tag),
	    cmocka_unit_test(test_change_from_not_agreed_is_skipped),
	    cmocka_unit_test(test_valid_tagged_bounce_is_untagged_at_eom),
	    cmocka_unit_test(test_forged_tag_is_refused_at_rcpt),
	    cmocka_unit_test(test_second_recipient_of_a_bounce_gets_452),
	    cmocka_unit_test(
		test_untagged_bounce_content_is_buffered_and_judged),
	    cmocka_unit_test(test_content_stops_at_bounce_body_max),
	    cmocka_unit_test(test_outbound_mail_is_not_buffered),
	    cmocka_unit_test(test_accepted_message_is_held_for_the_store),
	    cmocka_unit_test(test_accepted_inbound_message_is_not_held),
	    cmocka_unit_test(test_hold_expired_with_tempfail_answers_tempfail),
	    cmocka_unit_test(test_hold_expired_with_accept_keeps_the_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
