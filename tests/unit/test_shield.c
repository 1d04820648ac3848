/*
 * test_shield.c - the backscatter shield's decisions, stage by stage, on
 * a real SQLite store in a fresh directory with the time injected:
 * outbound tagging and the sent log, address states, BATV recipients,
 * one recipient per null-sender message, the end-of-message proof (sent
 * log, our tag in the Return-Path, our host in the Received: chain), the
 * Sisimai corpus as forged bounces, tag and off modes, floods and the
 * own-bounce signal, and hostile input.
 *
 * Run from the repository root (scripts/run-tests.sh does): the corpus
 * is read from ../shared/corpus/sisimai/eml (or $MW_SISIMAI_EML), and the
 * bounces kept in fuzz/corpus/bounce/ stand in when it is absent.
 * Digests and the SMTP client are in test_shield_digest.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "lib/limits.h"
#include "mail/bounce.h"
#include "shield/addr_state.h"
#include "shield/shield.h"
#include "shield/shield_int.h"
#include "store/store.h"

#define HOUR 3600
#define DAY 86400
/* 2023-11-14 22:13:20 UTC. */
#define T0 ((time_t)1700000000)

#define DOMAIN "mailwarden-test.jp"
#define TARO "taro@" DOMAIN
#define HANAKO "hanako@" DOMAIN
#define SECRET "correct horse battery staple"

/* Read by the store's writer thread too. */
static _Atomic time_t g_now = T0;
static mw_config_errors g_errs; /* 20 KiB: not on cmocka's stack */

static time_t test_clock(void *arg)
{
	(void)arg;
	return g_now;
}

typedef struct fx {
	char dir[64];
	mw_store *st;
	mw_config *cfg;
	mw_batv_ring ring;
	mw_shield *sh;
	mw_verdict v;
} fx;

/* -- the fixture ------------------------------------------------------ */

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		char p[512];
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static mw_config *config_for(const char *dir, const char *mode,
			     const char *extra)
{
	char text[2048];
	snprintf(text, sizeof text,
		 "state_dir = %s\n"
		 "local_domains = " DOMAIN ", example-local.jp\n"
		 "our_hostnames = mx1." DOMAIN ", smtp." DOMAIN "\n"
		 "batv_mode = %s\n"
		 "flood_threshold = 5\n"
		 "flood_window = 1h\n"
		 "own_bounce_threshold = 3\n"
		 "digest = no\n"
		 "%s",
		 dir, mode, extra ? extra : "");
	mw_config *cfg = NULL;
	mw_status rc = mw_config_parse("shield-test.conf",
				       mw_str_from_cstr(text), &cfg, &g_errs);
	if (rc != MW_OK)
		mw_config_errors_print(&g_errs, stderr);
	assert_int_equal(rc, MW_OK);
	return cfg;
}

/* (Re)build the shield on the fixture's store with another mode. */
static void reconfigure(fx *f, const char *mode, const char *extra)
{
	mw_shield_free(f->sh);
	mw_config_free(f->cfg);
	f->cfg = config_for(f->dir, mode, extra);
	assert_int_equal(mw_shield_new(f->cfg, f->st, &f->ring, &f->sh), MW_OK);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	g_now = T0;
	snprintf(f->dir, sizeof f->dir, "/tmp/mw-shield-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	mw_store_config sc;
	mw_store_config_init(&sc);
	sc.state_dir = f->dir;
	sc.clock = test_clock;
	mw_store_error err;
	if (mw_store_open(&sc, &f->st, &err) != MW_OK)
		fail_msg("store: %s", err.msg);
	mw_batv_ring_init(&f->ring);
	mw_batv_error be;
	assert_int_equal(
	    mw_batv_ring_add(&f->ring, 1, mw_str_from_cstr(SECRET), &be),
	    MW_OK);
	reconfigure(f, "enforce", NULL);
	mw_verdict_init(&f->v);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	mw_verdict_free(&f->v);
	mw_shield_free(f->sh);
	mw_config_free(f->cfg);
	mw_store_close(f->st);
	mw_batv_ring_clear(&f->ring);
	remove_dir(f->dir);
	free(f);
	return 0;
}

/* -- facts and stages ------------------------------------------------- */

static mw_msg_facts facts(bool outbound, const char *sender,
			  const char *const *rcpts, size_t nrcpts)
{
	mw_msg_facts m;
	memset(&m, 0, sizeof m);
	m.outbound = outbound;
	m.sender = sender;
	m.rcpts = rcpts;
	m.nrcpts = nrcpts;
	m.client_name = "mx.remote.example";
	m.has_client_ip = mw_ip_parse("192.0.2.10", 10, &m.client_ip);
	m.now = g_now;
	return m;
}

static mw_verdict *fresh(fx *f)
{
	mw_verdict_free(&f->v);
	return &f->v;
}

static mw_verdict *mail(fx *f, const mw_msg_facts *m)
{
	mw_verdict *v = fresh(f);
	assert_int_equal(mw_shield_mail(f->sh, m, v), MW_OK);
	return v;
}

static mw_verdict *rcpt(fx *f, const mw_msg_facts *m, const char *r)
{
	mw_verdict *v = fresh(f);
	assert_int_equal(mw_shield_rcpt(f->sh, m, r, v), MW_OK);
	return v;
}

static mw_verdict *eom(fx *f, const mw_msg_facts *m)
{
	mw_verdict *v = fresh(f);
	assert_int_equal(mw_shield_eom(f->sh, m, v), MW_OK);
	return v;
}

static void assert_reply(const mw_verdict *v, mw_verdict_kind kind,
			 const char *code, const char *xcode,
			 const char *text_part)
{
	assert_int_equal(v->kind, kind);
	assert_string_equal(v->code, code);
	assert_string_equal(v->xcode, xcode);
	assert_non_null(v->text);
	if (!strstr(v->text, text_part))
		fail_msg("reply text \"%s\" lacks \"%s\"", v->text, text_part);
}

static void sign(const fx *f, const char *addr, time_t now, char *out,
		 size_t outsz)
{
	assert_int_equal(
	    mw_batv_sign(&f->ring, 1, mw_str_from_cstr(addr), now, out, outsz),
	    MW_BATV_SIGNED);
}

/* Send one outbound message from sender with this Message-ID. */
static void send_out(fx *f, const char *sender, const char *mid)
{
	static const char *const to[] = {"friend@remote.example"};
	mw_msg_facts m = facts(true, sender, to, 1);
	m.message_id = mid;
	(void)eom(f, &m);
}

/* -- store readings --------------------------------------------------- */

static int64_t counter(fx *f, const char *ns, const char *id,
		       const char *metric, time_t window)
{
	char key[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(key, sizeof key, ns, id, metric), MW_OK);
	int64_t n = -1;
	assert_int_equal(mw_store_counter_sum(f->st, key, window, g_now, &n),
			 MW_OK);
	return n;
}

/* Events of `type` under ns:id; the newest one's payload into *last
 * (json, to be decref'd) when last is not NULL. */
static size_t events(fx *f, const char *ns, const char *id, const char *type,
		     json_t **last)
{
	char key[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(key, sizeof key, ns, id, NULL), MW_OK);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_store_event_read(f->st, key, g_now, 0, 100, &l),
			 MW_OK);
	size_t n = 0;
	if (last)
		*last = NULL;
	for (size_t i = 0; i < l.n; i++) {
		json_t *j = json_loads(l.items[i].value, 0, NULL);
		assert_non_null(j);
		const char *t = json_string_value(json_object_get(j, "type"));
		if (t && strcmp(t, type) == 0) {
			if (last && !*last) {
				*last = j;
				j = NULL;
			}
			n++;
		}
		json_decref(j);
	}
	mw_store_list_free(&l);
	return n;
}

static bool setting_present(fx *f, const char *ns, const char *id,
			    const char *name)
{
	char key[MW_STORE_KEY_MAX + 1];
	assert_int_equal(mw_store_key(key, sizeof key, ns, id, NULL), MW_OK);
	mw_buf b;
	mw_buf_init(&b, MW_STORE_VALUE_MAX);
	bool found = false;
	assert_int_equal(mw_store_setting_get(f->st, key, name, &b, &found),
			 MW_OK);
	mw_buf_free(&b);
	return found;
}

static void set_state(fx *f, const char *addr, mw_addr_state s)
{
	assert_int_equal(mw_addr_state_set(f->st, addr, s, g_now), MW_OK);
}

/* -- bounces to build ------------------------------------------------- */

/* A Postfix-style DSN to rcpt whose enclosed original has this
 * Return-Path, this Received: hop and this Message-ID. */
static void make_dsn(mw_buf *b, const char *to, const char *return_path,
		     const char *received, const char *mid)
{
	mw_buf_reset(b);
	assert_int_equal(
	    mw_buf_printf(
		b,
		"From: MAILER-DAEMON@mx.remote.example (Mail Delivery System)\n"
		"To: %s\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Message-ID: <bounce.1@mx.remote.example>\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		" boundary=\"BB\"\n"
		"\n"
		"--BB\n"
		"Content-Type: text/plain\n"
		"\n"
		"This is the mail system at host mx.remote.example.\n"
		"I'm sorry to have to inform you that your message could not\n"
		"be delivered to one or more recipients.\n"
		"\n"
		"<nobody@remote.example>: user unknown\n"
		"--BB\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.remote.example\n"
		"\n"
		"Final-Recipient: rfc822; nobody@remote.example\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
		"\n"
		"--BB\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"Return-Path: <%s>\n"
		"Received: %s\n"
		"From: Taro <%s>\n"
		"To: nobody@remote.example\n"
		"Subject: hello\n"
		"Message-ID: <%s>\n"
		"\n"
		"Hello.\n"
		"--BB--\n",
		to, return_path, received, TARO, mid),
	    MW_OK);
}

#define FOREIGN_HOP                                                            \
	"from bot.example.net (bot.example.net [198.51.100.7]) by "            \
	"mx.remote.example (Postfix) with ESMTP id 4AB; Tue, 14 Nov 2023 "     \
	"22:00:00 +0000"

/* A null-sender message to one local recipient carrying msg. */
static mw_msg_facts bounce_facts(const char *const *to, const mw_buf *msg)
{
	mw_msg_facts m = facts(false, "", to, 1);
	m.message_id = "bounce.1@mx.remote.example";
	m.msg = msg ? msg->data : NULL;
	m.msg_len = msg ? msg->len : 0;
	return m;
}

/* One tick, and its round (which runs on a thread of the shield) done. */
static void tick(fx *f, time_t now)
{
	mw_shield_tick(f->sh, now);
	mws_tick_wait(f->sh);
}

/* -- outbound --------------------------------------------------------- */

static void test_outbound_local_sender_gets_a_valid_batv_tag(void **state)
{
	fx *f = *state;
	static const char *const to[] = {"friend@remote.example"};
	mw_msg_facts m = facts(true, TARO, to, 1);
	m.message_id = "m1@" DOMAIN;
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_non_null(v->new_sender);
	assert_true(strncmp(v->new_sender, "prvs=1", 6) == 0);
	mw_str inner;
	assert_int_equal(mw_batv_verify(&f->ring,
					mw_str_from_cstr(v->new_sender), g_now,
					&inner),
			 MW_BATV_VALID);
	assert_true(mw_str_eq(inner, mw_str_from_cstr(TARO)));
	assert_int_equal(v->ndel_rcpts, 0);
	assert_int_equal(v->nadd_headers, 0);
}

static void
test_outbound_message_id_is_logged_with_the_untagged_sender(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	static const char *const to[] = {"friend@remote.example"};
	mw_msg_facts m = facts(true, tagged, to, 1);
	m.message_id = "resent@" DOMAIN;
	mw_verdict *v = eom(f, &m);
	/* already tagged: never tagged twice */
	assert_null(v->new_sender);
	mw_store_sent s;
	bool found = false;
	assert_int_equal(
	    mw_store_sent_lookup(f->st, "resent@" DOMAIN, g_now, &s, &found),
	    MW_OK);
	assert_true(found);
	assert_string_equal(s.sender, TARO);
	assert_int_equal(s.t, g_now);
}

static void test_outbound_foreign_sender_is_logged_but_not_tagged(void **state)
{
	fx *f = *state;
	static const char *const to[] = {"friend@remote.example"};
	mw_msg_facts m = facts(true, "someone@gmail.example", to, 1);
	m.message_id = "foreign@gmail.example";
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_CONTINUE);
	assert_null(v->new_sender);
	mw_store_sent s;
	bool found = false;
	assert_int_equal(mw_store_sent_lookup(f->st, "foreign@gmail.example",
					      g_now, &s, &found),
			 MW_OK);
	assert_true(found);
}

static void
test_outbound_is_not_tagged_when_batv_is_off_or_keyless(void **state)
{
	fx *f = *state;
	static const char *const to[] = {"friend@remote.example"};
	mw_msg_facts m = facts(true, TARO, to, 1);
	m.message_id = "off@" DOMAIN;
	reconfigure(f, "off", NULL);
	assert_null(eom(f, &m)->new_sender);

	/* tag mode signs; a shield without keys cannot */
	reconfigure(f, "tag", NULL);
	assert_non_null(eom(f, &m)->new_sender);
	mw_shield_free(f->sh);
	assert_int_equal(mw_shield_new(f->cfg, f->st, NULL, &f->sh), MW_OK);
	assert_null(eom(f, &m)->new_sender);
}

static void test_receive_only_sender_is_refused_at_mail(void **state)
{
	fx *f = *state;
	set_state(f, TARO, MW_ADDR_RECEIVE_ONLY);
	mw_msg_facts m = facts(true, TARO, NULL, 0);
	assert_reply(mail(f, &m), MW_VERDICT_REJECT, "550", "5.7.1",
		     "receive-only");
	/* the same address, already tagged, is the same sender */
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	m.sender = tagged;
	assert_reply(mail(f, &m), MW_VERDICT_REJECT, "550", "5.7.1",
		     "receive-only");
	/* another user is not concerned; inbound MAIL is not judged */
	m.sender = HANAKO;
	assert_int_equal(mail(f, &m)->kind, MW_VERDICT_CONTINUE);
	m = facts(false, TARO, NULL, 0);
	assert_int_equal(mail(f, &m)->kind, MW_VERDICT_CONTINUE);
}

static void test_retired_sender_is_refused_at_mail(void **state)
{
	fx *f = *state;
	set_state(f, "Old.Alias@" DOMAIN, MW_ADDR_RETIRED);
	mw_msg_facts m = facts(true, "old.alias@" DOMAIN, NULL, 0);
	assert_reply(mail(f, &m), MW_VERDICT_REJECT, "550", "5.7.1", "retired");
}

/* -- addresses at RCPT ------------------------------------------------ */

static void test_retired_address_is_refused_for_any_sender(void **state)
{
	fx *f = *state;
	set_state(f, TARO, MW_ADDR_RETIRED);
	mw_msg_facts m = facts(false, "friend@remote.example", NULL, 0);
	assert_reply(rcpt(f, &m, TARO), MW_VERDICT_REJECT, "550", "5.1.1",
		     "is retired");
	assert_string_equal(f->v.reason, "retired address");
	/* upper case, a tag, a null sender, outbound: still retired */
	assert_reply(rcpt(f, &m, "TARO@MAILWARDEN-TEST.JP"), MW_VERDICT_REJECT,
		     "550", "5.1.1", "retired");
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	m = facts(false, "", NULL, 0);
	assert_reply(rcpt(f, &m, tagged), MW_VERDICT_REJECT, "550", "5.1.1",
		     "retired");
	m = facts(true, HANAKO, NULL, 0);
	assert_reply(rcpt(f, &m, TARO), MW_VERDICT_REJECT, "550", "5.1.1",
		     "retired");
	/* retirement does not depend on BATV */
	reconfigure(f, "off", NULL);
	m = facts(false, "friend@remote.example", NULL, 0);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_REJECT);
	/* restored: welcome again */
	set_state(f, TARO, MW_ADDR_ACTIVE);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
}

static void test_foreign_and_ordinary_recipients_pass(void **state)
{
	fx *f = *state;
	mw_msg_facts m = facts(false, "friend@remote.example", NULL, 0);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
	m = facts(false, "", NULL, 0);
	assert_int_equal(rcpt(f, &m, "user@elsewhere.example")->kind,
			 MW_VERDICT_CONTINUE);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
}

static void test_bounce_to_receive_only_address_is_refused_at_rcpt(void **state)
{
	fx *f = *state;
	set_state(f, TARO, MW_ADDR_RECEIVE_ONLY);
	mw_msg_facts m =
	    facts(false, "MAILER-DAEMON@mx.remote.example", NULL, 0);
	assert_reply(rcpt(f, &m, TARO), MW_VERDICT_REJECT, "550", "5.7.1",
		     "receive-only");
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR), 1);
	/* ordinary mail to it is welcome */
	m = facts(false, "friend@remote.example", NULL, 0);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
}

static void test_tag_mode_labels_a_bounce_to_receive_only_address(void **state)
{
	fx *f = *state;
	reconfigure(f, "tag", NULL);
	set_state(f, TARO, MW_ADDR_RECEIVE_ONLY);
	static const char *const to[] = {TARO};
	mw_msg_facts m = facts(false, "", NULL, 0);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
	m = bounce_facts(to, NULL);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_int_equal(v->nadd_headers, 1);
	assert_string_equal(v->add_headers[0].name, "X-Mailwarden-Backscatter");
	assert_string_equal(v->add_headers[0].value,
			    "suspected; reason=receive-only");
}

/* -- BATV recipients -------------------------------------------------- */

static void
test_valid_tagged_recipient_is_swapped_for_the_bare_one(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now - 2 * DAY, tagged, sizeof tagged);
	mw_msg_facts m = facts(false, "", NULL, 0);
	mw_verdict *v = rcpt(f, &m, tagged);
	assert_int_equal(v->kind, MW_VERDICT_CONTINUE);
	assert_string_equal(v->reason, "valid BATV tag");

	const char *to[] = {tagged};
	m = bounce_facts(to, NULL);
	assert_false(mw_shield_wants_content(f->sh, &m));
	v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_int_equal(v->ndel_rcpts, 1);
	assert_string_equal(v->del_rcpts[0], tagged);
	assert_int_equal(v->nadd_rcpts, 1);
	assert_string_equal(v->add_rcpts[0], TARO);
	assert_int_equal(v->nadd_headers, 0);
	assert_string_equal(v->reason, "tagged bounce");
	/* a bounce of Taro's own mail */
	assert_int_equal(counter(f, "rcpt", TARO, "own_bounce", HOUR), 1);
}

static void test_tagged_recipient_of_ordinary_mail_is_untagged_too(void **state)
{
	fx *f = *state;
	/* a challenge-response system answering the envelope sender */
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, HANAKO, g_now, tagged, sizeof tagged);
	const char *to[] = {tagged, "friend@remote.example"};
	mw_msg_facts m = facts(false, "confirm@cr.example", to, 2);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_int_equal(v->ndel_rcpts, 1);
	assert_string_equal(v->add_rcpts[0], HANAKO);
	assert_string_equal(v->reason, "tagged recipient");
	assert_int_equal(counter(f, "rcpt", HANAKO, "own_bounce", HOUR), 0);
}

static void test_forged_tag_is_refused_saying_so(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	/* flip one hex digit of the signature */
	char *sig = tagged + strlen("prvs=1ddd");
	*sig = *sig == '0' ? '1' : '0';
	mw_msg_facts m = facts(false, "", NULL, 0);
	assert_reply(rcpt(f, &m, tagged), MW_VERDICT_REJECT, "550", "5.7.1",
		     "is forged");
	assert_string_equal(f->v.reason, "bad BATV tag (bad-hash)");
	assert_non_null(strstr(f->v.text, "Backscatter"));
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR), 1);
}

static void test_expired_tag_is_refused_saying_so(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now - 9 * DAY, tagged, sizeof tagged);
	mw_msg_facts m =
	    facts(false, "MAILER-DAEMON@mx.remote.example", NULL, 0);
	assert_reply(rcpt(f, &m, tagged), MW_VERDICT_REJECT, "550", "5.7.1",
		     "has expired");
}

static void test_tag_of_unknown_key_or_malformed_is_refused(void **state)
{
	fx *f = *state;
	mw_batv_ring other;
	mw_batv_error be;
	mw_batv_ring_init(&other);
	assert_int_equal(mw_batv_ring_add(&other, 7,
					  mw_str_from_cstr("another secret, "
							   "long enough"),
					  &be),
			 MW_OK);
	char tagged[MW_ADDRESS_MAX + 1];
	assert_int_equal(mw_batv_sign(&other, 7, mw_str_from_cstr(TARO), g_now,
				      tagged, sizeof tagged),
			 MW_BATV_SIGNED);
	mw_batv_ring_clear(&other);
	mw_msg_facts m = facts(false, "", NULL, 0);
	assert_reply(rcpt(f, &m, tagged), MW_VERDICT_REJECT, "550", "5.7.1",
		     "key not in use");
	assert_reply(rcpt(f, &m, "prvs=zzz=" TARO), MW_VERDICT_REJECT, "550",
		     "5.7.1", "malformed");
}

static void test_tag_mode_lets_a_bad_tag_through_with_a_label(void **state)
{
	fx *f = *state;
	reconfigure(f, "tag", NULL);
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now - 9 * DAY, tagged, sizeof tagged);
	mw_msg_facts m = facts(false, "", NULL, 0);
	assert_int_equal(rcpt(f, &m, tagged)->kind, MW_VERDICT_CONTINUE);
	const char *to[] = {tagged};
	m = bounce_facts(to, NULL);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_int_equal(v->ndel_rcpts, 1);
	assert_string_equal(v->add_rcpts[0], TARO);
	assert_int_equal(v->nadd_headers, 1);
	assert_string_equal(v->add_headers[0].value,
			    "suspected; reason=expired");
}

static void test_null_sender_gets_one_recipient_per_message(void **state)
{
	fx *f = *state;
	static const char *const first[] = {TARO};
	mw_msg_facts m = facts(false, "", NULL, 0);
	assert_int_equal(rcpt(f, &m, TARO)->kind, MW_VERDICT_CONTINUE);
	m = facts(false, "", first, 1);
	assert_reply(rcpt(f, &m, HANAKO), MW_VERDICT_TEMPFAIL, "452", "4.5.3",
		     "One recipient per bounce");
	/* MAILER-DAEMON@ with a real address may have several */
	m = facts(false, "MAILER-DAEMON@mx.remote.example", first, 1);
	assert_int_equal(rcpt(f, &m, HANAKO)->kind, MW_VERDICT_CONTINUE);
	/* and BATV off leaves the envelope alone */
	reconfigure(f, "off", NULL);
	m = facts(false, "", first, 1);
	assert_int_equal(rcpt(f, &m, HANAKO)->kind, MW_VERDICT_CONTINUE);
}

/* -- what needs content ----------------------------------------------- */

static void test_content_is_wanted_only_for_untagged_bounces(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	static const char *const local[] = {TARO};
	static const char *const foreign[] = {"user@elsewhere.example"};
	const char *tagged_only[] = {tagged};

	mw_msg_facts m = facts(false, "", local, 1);
	assert_true(mw_shield_wants_content(f->sh, &m));
	m.sender = "MAILER-DAEMON@mx.remote.example";
	assert_true(mw_shield_wants_content(f->sh, &m));
	m.sender = "Postmaster@mx.remote.example";
	assert_true(mw_shield_wants_content(f->sh, &m));
	m.sender = "friend@remote.example";
	assert_false(mw_shield_wants_content(f->sh, &m));
	m = facts(false, "", tagged_only, 1);
	assert_false(mw_shield_wants_content(f->sh, &m));
	m = facts(false, "", foreign, 1);
	assert_false(mw_shield_wants_content(f->sh, &m));
	m = facts(true, "", local, 1);
	assert_false(mw_shield_wants_content(f->sh, &m));
	reconfigure(f, "off", NULL);
	m = facts(false, "", local, 1);
	assert_false(mw_shield_wants_content(f->sh, &m));
}

/* -- the proof at end of message -------------------------------------- */

static void test_bounce_of_a_logged_message_id_is_accepted(void **state)
{
	fx *f = *state;
	send_out(f, TARO, "real.1@" DOMAIN);
	g_now += 3 * DAY;
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	/* a server that bounces to the header From: no tag */
	make_dsn(&b, TARO, TARO, FOREIGN_HOP, "real.1@" DOMAIN);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	assert_true(mw_shield_wants_content(f->sh, &m));
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_string_equal(v->reason, "bounce proven (sent-log)");
	assert_int_equal(v->nadd_headers, 0);
	assert_int_equal(counter(f, "rcpt", TARO, "own_bounce", HOUR), 1);
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR), 0);

	/* after sent_log_days (14) the Message-ID is forgotten */
	g_now += 12 * DAY;
	m = bounce_facts(to, &b);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	mw_buf_free(&b);
}

static void test_bounce_whose_return_path_is_our_tag_is_accepted(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now - DAY, tagged, sizeof tagged);
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, TARO, tagged, FOREIGN_HOP, "never.logged@" DOMAIN);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_string_equal(v->reason, "bounce proven (batv-return-path)");

	/* a forged tag proves nothing */
	char *sig = tagged + strlen("prvs=1ddd");
	*sig = *sig == 'a' ? 'b' : 'a';
	make_dsn(&b, TARO, tagged, FOREIGN_HOP, "never.logged@" DOMAIN);
	m = bounce_facts(to, &b);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	mw_buf_free(&b);
}

static void test_bounce_that_passed_our_host_is_accepted(void **state)
{
	fx *f = *state;
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, TARO, TARO,
		 "from [10.0.0.5] (client.lan [10.0.0.5]) by SMTP."
		 "MAILWARDEN-TEST.JP (Postfix) with ESMTPSA id 9F; Tue, 14 Nov "
		 "2023 21:00:00 +0900",
		 "unlogged@" DOMAIN);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_string_equal(v->reason, "bounce proven (received-chain)");
	mw_buf_free(&b);
}

static void test_unproven_bounce_is_refused_naming_backscatter(void **state)
{
	fx *f = *state;
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, TARO, TARO, FOREIGN_HOP, "spam.1@bot.example.net");
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	assert_reply(eom(f, &m), MW_VERDICT_REJECT, "550", "5.7.1",
		     "Backscatter: this bounce is for a message that was not "
		     "sent from here");
	assert_string_equal(f->v.reason, "backscatter (no proof)");
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR), 1);
	assert_int_equal(counter(f, "rcpt", TARO, "own_bounce", HOUR), 0);
	mw_buf_free(&b);
}

static void test_missing_content_is_no_proof(void **state)
{
	fx *f = *state;
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, NULL);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	/* not a bounce at all, and empty */
	mw_buf b;
	mw_buf_init(&b, 1024);
	assert_int_equal(mw_buf_puts(&b, "Subject: hi\n\nhello\n"), MW_OK);
	m = bounce_facts(to, &b);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	mw_buf_free(&b);
}

static void test_read_receipt_of_our_message_is_accepted(void **state)
{
	fx *f = *state;
	send_out(f, TARO, "asked.receipt@" DOMAIN);
	mw_buf b;
	mw_buf_init(&b, 1 << 16);
	assert_int_equal(
	    mw_buf_puts(
		&b, "From: friend@remote.example\n"
		    "To: " TARO "\n"
		    "Subject: Read: hello\n"
		    "MIME-Version: 1.0\n"
		    "Content-Type: multipart/report; "
		    "report-type=disposition-notification; boundary=\"R\"\n"
		    "\n"
		    "--R\n"
		    "Content-Type: text/plain\n"
		    "\n"
		    "Your message was displayed.\n"
		    "--R\n"
		    "Content-Type: message/disposition-notification\n"
		    "\n"
		    "Reporting-UA: mua.remote.example; Mailer\n"
		    "Final-Recipient: rfc822;friend@remote.example\n"
		    "Original-Message-ID: <asked.receipt@" DOMAIN ">\n"
		    "Disposition: manual-action/MDN-sent-manually; displayed\n"
		    "--R--\n"),
	    MW_OK);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_string_equal(v->reason, "bounce proven (sent-log)");
	mw_buf_free(&b);
}

static void test_tag_mode_delivers_unproven_bounce_with_header(void **state)
{
	fx *f = *state;
	reconfigure(f, "tag", NULL);
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, TARO, TARO, FOREIGN_HOP, "spam.2@bot.example.net");
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_int_equal(v->nadd_headers, 1);
	assert_string_equal(v->add_headers[0].name, "X-Mailwarden-Backscatter");
	assert_string_equal(v->add_headers[0].value,
			    "suspected; reason=no-proof");
	assert_null(v->text);
	/* nothing was refused, so nothing counts toward a flood */
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR), 0);
	mw_buf_free(&b);
}

static void test_off_mode_decides_nothing(void **state)
{
	fx *f = *state;
	reconfigure(f, "off", NULL);
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, TARO, TARO, FOREIGN_HOP, "spam.3@bot.example.net");
	const char *to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &b);
	mw_verdict *v = eom(f, &m);
	assert_int_equal(v->kind, MW_VERDICT_CONTINUE);
	assert_int_equal(v->nadd_headers, 0);
	to[0] = tagged;
	m = bounce_facts(to, &b);
	assert_int_equal(rcpt(f, &m, tagged)->kind, MW_VERDICT_CONTINUE);
	assert_int_equal(eom(f, &m)->ndel_rcpts, 0);
	mw_buf_free(&b);
}

/* -- the Sisimai corpus as forged bounces ----------------------------- */

static const char *corpus_dir(void)
{
	const char *d = getenv("MW_SISIMAI_EML");
	return d && d[0] ? d : "../shared/corpus/sisimai/eml";
}

/* Run one file as a forged bounce to TARO: it must be refused. */
static void refuse_file(fx *f, const char *path, mw_buf *msg)
{
	bool truncated = false;
	mw_buf_reset(msg);
	if (mw_file_read(path, MW_MESSAGE_MAX, msg, &truncated) != MW_OK)
		fail_msg("cannot read %s", path);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, msg);
	m.message_id = NULL;
	assert_true(mw_shield_wants_content(f->sh, &m));
	mw_verdict *v = eom(f, &m);
	if (v->kind != MW_VERDICT_REJECT || strcmp(v->code, "550") != 0)
		fail_msg("%s: not refused (kind %d, reason %s)", path,
			 (int)v->kind, v->reason ? v->reason : "-");
	assert_string_equal(v->xcode, "5.7.1");
}

static void test_sisimai_bounces_are_refused_as_forged(void **state)
{
	fx *f = *state;
	static const char *const picks[] = {
	    "lhost-postfix-01.eml",	 "lhost-qmail-01.eml",
	    "lhost-sendmail-01.eml",	 "lhost-exim-01.eml",
	    "lhost-office365-01.eml",	 "lhost-gmail-01.eml",
	    "lhost-exchange2007-01.eml", "lhost-ezweb-01.eml",
	    "rhost-nttdocomo-01.eml",	 "rfc3464-01.eml",
	};
	mw_buf msg;
	mw_buf_init(&msg, MW_MESSAGE_MAX);
	char path[512];
	size_t done = 0;
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", corpus_dir(), picks[i]);
		if (access(path, R_OK) != 0)
			snprintf(path, sizeof path,
				 "fuzz/corpus/bounce/sisimai-%s", picks[i]);
		if (access(path, R_OK) != 0)
			continue;
		refuse_file(f, path, &msg);
		done++;
	}
	/* every bounce engine kept in the repository, whatever happens to
	 * the shared corpus */
	DIR *d = opendir("fuzz/corpus/bounce");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "sisimai-", 8) != 0)
			continue;
		snprintf(path, sizeof path, "fuzz/corpus/bounce/%s", e->d_name);
		refuse_file(f, path, &msg);
		done++;
	}
	closedir(d);
	assert_true(done >= 40);
	assert_int_equal(counter(f, "rcpt", TARO, "backscatter", HOUR),
			 (int64_t)done);
	mw_buf_free(&msg);
}

static void test_every_sisimai_message_is_refused_as_forged(void **state)
{
	fx *f = *state;
	DIR *d = opendir(corpus_dir());
	if (!d) {
		print_message("no corpus at %s\n", corpus_dir());
		skip();
	}
	mw_buf msg;
	mw_buf_init(&msg, MW_MESSAGE_MAX);
	char path[1024];
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".eml") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", corpus_dir(), e->d_name);
		refuse_file(f, path, &msg);
		n++;
	}
	closedir(d);
	assert_true(n >= 500);
	mw_buf_free(&msg);
}

static void test_genuine_qmail_bounce_to_header_from_is_accepted(void **state)
{
	fx *f = *state;
	char path[512];
	snprintf(path, sizeof path, "%s/lhost-qmail-01.eml", corpus_dir());
	if (access(path, R_OK) != 0)
		snprintf(path, sizeof path,
			 "fuzz/corpus/bounce/sisimai-lhost-qmail-03.eml");
	mw_buf msg;
	mw_buf_init(&msg, MW_MESSAGE_MAX);
	bool truncated;
	assert_int_equal(mw_file_read(path, MW_MESSAGE_MAX, &msg, &truncated),
			 MW_OK);
	/* The message it returns is one we really sent. */
	mw_arena a;
	mw_arena_init(&a, MW_PARSE_MEMORY_MAX);
	mw_bounce bo;
	assert_true(mw_bounce_analyse(&a, msg.data, msg.len, &bo) >= 0);
	assert_non_null(bo.original.message_id);
	send_out(f, TARO, bo.original.message_id);
	mw_arena_free(&a);
	static const char *const to[] = {TARO};
	mw_msg_facts m = bounce_facts(to, &msg);
	m.sender = "MAILER-DAEMON@mx.remote.example";
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_ACCEPT);
	assert_string_equal(f->v.reason, "bounce proven (sent-log)");
	mw_buf_free(&msg);
}

/* -- floods ----------------------------------------------------------- */

static void refuse_forged(fx *f, const char *to_addr, const char *client)
{
	mw_buf b;
	mw_buf_init(&b, 1 << 20);
	make_dsn(&b, to_addr, to_addr, FOREIGN_HOP, "spam@bot.example.net");
	const char *to[] = {to_addr};
	mw_msg_facts m = bounce_facts(to, &b);
	m.client_name = client;
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	mw_buf_free(&b);
}

static void test_flood_event_comes_once_after_the_threshold(void **state)
{
	fx *f = *state;
	time_t start = g_now;
	for (int i = 0; i < 4; i++) {
		refuse_forged(f, TARO, i % 2 ? "mx.a.example" : "mx.b.example");
		g_now += 60;
	}
	assert_int_equal(events(f, "rcpt", TARO, "flood", NULL), 0);
	assert_false(setting_present(f, "rcpt", TARO, "digest_due"));
	for (int i = 0; i < 20; i++) {
		refuse_forged(f, TARO, "mx.a.example");
		g_now += 10;
	}
	json_t *ev;
	assert_int_equal(events(f, "rcpt", TARO, "flood", &ev), 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(ev, "first_unix")),
			 start);
	assert_string_equal(json_string_value(json_object_get(ev, "address")),
			    TARO);
	assert_int_equal(json_integer_value(json_object_get(ev, "servers")), 2);
	json_t *top = json_object_get(ev, "top");
	assert_int_equal(json_array_size(top), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(top, 0), "server")),
			    "mx.a.example");
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(top, 0), "count")),
			 3);
	json_decref(ev);
	assert_true(setting_present(f, "rcpt", TARO, "digest_due"));
	/* another user is not flooded */
	assert_int_equal(events(f, "rcpt", HANAKO, "flood", NULL), 0);
}

static void
test_flood_ends_after_a_quiet_window_and_can_start_again(void **state)
{
	fx *f = *state;
	for (int i = 0; i < 8; i++) {
		refuse_forged(f, TARO, "mx.a.example");
		g_now += 30;
	}
	assert_int_equal(events(f, "rcpt", TARO, "flood", NULL), 1);
	/* still open within the window: the tick closes nothing */
	g_now += 10 * 60;
	tick(f, g_now);
	assert_int_equal(events(f, "rcpt", TARO, "flood_end", NULL), 0);
	/* a quiet hour (and the bucket's slack) later: closed, with totals */
	g_now += 2 * HOUR + 120;
	tick(f, g_now);
	json_t *ev;
	assert_int_equal(events(f, "rcpt", TARO, "flood_end", &ev), 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 8);
	json_decref(ev);
	tick(f, g_now + 60);
	assert_int_equal(events(f, "rcpt", TARO, "flood_end", NULL), 1);
	/* a new flood is a new event */
	for (int i = 0; i < 6; i++)
		refuse_forged(f, TARO, "mx.c.example");
	assert_int_equal(events(f, "rcpt", TARO, "flood", NULL), 2);
}

static void test_own_bounces_over_threshold_make_one_event_an_hour(void **state)
{
	fx *f = *state;
	char tagged[MW_ADDRESS_MAX + 1];
	sign(f, TARO, g_now, tagged, sizeof tagged);
	const char *to[] = {tagged};
	for (int i = 0; i < 10; i++) {
		mw_msg_facts m = bounce_facts(to, NULL);
		assert_int_equal(eom(f, &m)->kind, MW_VERDICT_ACCEPT);
		g_now += 60;
	}
	json_t *ev;
	assert_int_equal(events(f, "acct", TARO, "own_bounces", &ev), 1);
	/* over own_bounce_threshold (3): the fourth one made it */
	assert_int_equal(json_integer_value(json_object_get(ev, "count")), 4);
	json_decref(ev);
	g_now += HOUR;
	for (int i = 0; i < 5; i++) {
		mw_msg_facts m = bounce_facts(to, NULL);
		(void)eom(f, &m);
	}
	assert_int_equal(events(f, "acct", TARO, "own_bounces", NULL), 2);
}

/* -- hostile input ---------------------------------------------------- */

static void test_reply_text_stays_printable_and_short(void **state)
{
	fx *f = *state;
	char addr[600];
	memset(addr, 'x', 450);
	memcpy(addr + 450, "\xe5\xa4\xaa%%@" DOMAIN,
	       sizeof("\xe5\xa4\xaa%%@" DOMAIN));
	set_state(f, addr, MW_ADDR_RETIRED);
	mw_msg_facts m = facts(false, "friend@remote.example", NULL, 0);
	mw_verdict *v = rcpt(f, &m, addr);
	assert_int_equal(v->kind, MW_VERDICT_REJECT);
	size_t cost = 0;
	for (const char *p = v->text; *p; p++) {
		assert_true(*p >= 0x20 && *p < 0x7f);
		cost += *p == '%' ? 2 : 1;
	}
	assert_true(strlen("550 5.1.1 ") + cost <= 510);
	assert_non_null(strstr(v->text, "..."));
}

static void test_hostile_bounces_are_decided_quickly(void **state)
{
	fx *f = *state;
	static const char *const to[] = {TARO};
	mw_buf b;
	mw_buf_init(&b, (size_t)4 << 20);
	/* 1 MiB of NUL bytes and junk, cut as a session would cut it */
	for (size_t i = 0; i < (1u << 20); i++)
		assert_int_equal(mw_buf_putc(&b, (char)(i % 7 ? 0 : 'A')),
				 MW_OK);
	mw_msg_facts m = bounce_facts(to, &b);
	m.msg_truncated = true;
	clock_t c0 = clock();
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	/* a boundary that never closes, 10,000 nested multiparts */
	mw_buf_reset(&b);
	assert_int_equal(mw_buf_puts(&b, "Content-Type: multipart/mixed; "
					 "boundary=\"x\"\n\n"),
			 MW_OK);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(
		    mw_buf_printf(&b, "--x\nContent-Type: multipart/mixed; "
				      "boundary=\"x\"\n\n"),
		    MW_OK);
	m = bounce_facts(to, &b);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	/* a 10 MB header line */
	mw_buf big;
	mw_buf_init(&big, (size_t)11 << 20);
	assert_int_equal(mw_buf_puts(&big, "Subject: "), MW_OK);
	for (size_t i = 0; i < ((size_t)10 << 20) / 64; i++)
		assert_int_equal(
		    mw_buf_puts(&big, "Returned mail: see transcript for "
				      "details =?UTF-8?B?5aSq?= xx "),
		    MW_OK);
	assert_int_equal(mw_buf_puts(&big, "\n\nbody\n"), MW_OK);
	m = bounce_facts(to, &big);
	assert_int_equal(eom(f, &m)->kind, MW_VERDICT_REJECT);
	mw_buf_free(&big);
	double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	assert_true(secs < 10.0);
	mw_buf_free(&b);
}

/* The same bytes with every LF turned into CRLF or into a bare CR. */
static void relined(const mw_buf *in, mw_buf *out, const char *eol)
{
	mw_buf_reset(out);
	for (size_t i = 0; i < in->len; i++) {
		if (in->data[i] == '\n')
			assert_int_equal(mw_buf_puts(out, eol), MW_OK);
		else
			assert_int_equal(mw_buf_putc(out, in->data[i]), MW_OK);
	}
}

static void test_proof_holds_with_every_line_ending(void **state)
{
	fx *f = *state;
	send_out(f, TARO, "eol.1@" DOMAIN);
	mw_buf lf, other;
	mw_buf_init(&lf, 1 << 20);
	mw_buf_init(&other, 1 << 20);
	make_dsn(&lf, TARO, TARO, FOREIGN_HOP, "eol.1@" DOMAIN);
	static const char *const to[] = {TARO};
	const char *const eols[] = {"\n", "\r\n", "\r"};
	for (size_t i = 0; i < 3; i++) {
		relined(&lf, &other, eols[i]);
		mw_msg_facts m = bounce_facts(to, &other);
		mw_verdict *v = eom(f, &m);
		if (v->kind != MW_VERDICT_ACCEPT)
			fail_msg("line ending %zu: not accepted (%s)", i,
				 v->reason ? v->reason : "-");
		assert_string_equal(v->reason, "bounce proven (sent-log)");
	}
	mw_buf_free(&lf);
	mw_buf_free(&other);
}

static void test_store_failure_answers_per_failure_action(void **state)
{
	fx *f = *state;
	/* milter_failure_action = accept (the default): fail open */
	mw_verdict *v = fresh(f);
	assert_int_equal(mws_fail_action(f->sh, v, MW_EIO, "RCPT", false),
			 MW_OK);
	assert_int_equal(v->kind, MW_VERDICT_CONTINUE);
	assert_string_equal(v->reason, "store unavailable, accepted");
	v = fresh(f);
	v->new_sender = "prvs=kept@" DOMAIN;
	assert_int_equal(mws_fail_action(f->sh, v, MW_EIO, "EOM", true), MW_OK);
	assert_int_equal(v->kind, MW_VERDICT_ACCEPT);
	assert_non_null(v->new_sender);
	/* tempfail: 451 4.3.0, and no modification survives */
	reconfigure(f, "enforce", "milter_failure_action = tempfail\n");
	v = fresh(f);
	v->new_sender = "prvs=dropped@" DOMAIN;
	assert_int_equal(mws_fail_action(f->sh, v, MW_EIO, "EOM", true), MW_OK);
	assert_reply(v, MW_VERDICT_TEMPFAIL, "451", "4.3.0", "try again later");
	assert_null(v->new_sender);
}

/* -- address states --------------------------------------------------- */

static void test_address_states_round_trip_and_list(void **state)
{
	fx *f = *state;
	mw_addr_state s;
	assert_int_equal(mw_addr_state_get(f->st, TARO, &s), MW_OK);
	assert_int_equal(s, MW_ADDR_ACTIVE);
	set_state(f, TARO, MW_ADDR_RECEIVE_ONLY);
	set_state(f, "Old@" DOMAIN, MW_ADDR_RETIRED);
	assert_int_equal(mw_addr_state_get(f->st, "TARO@" DOMAIN, &s), MW_OK);
	assert_int_equal(s, MW_ADDR_RECEIVE_ONLY);
	mw_store_list l;
	mw_store_list_init(&l);
	assert_int_equal(mw_addr_state_list(f->st, 100, &l), MW_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].key, "addr:old@" DOMAIN);
	assert_string_equal(l.items[0].value, "retired");
	assert_string_equal(l.items[1].key, "addr:" TARO);
	assert_string_equal(l.items[1].value, "receive-only");
	set_state(f, TARO, MW_ADDR_ACTIVE);
	assert_int_equal(mw_addr_state_list(f->st, 100, &l), MW_OK);
	assert_int_equal(l.n, 1);
	mw_store_list_free(&l);
	assert_true(mw_addr_state_parse("Receive-Only", &s));
	assert_int_equal(s, MW_ADDR_RECEIVE_ONLY);
	assert_false(mw_addr_state_parse("gone", &s));
	assert_string_equal(mw_addr_state_name(MW_ADDR_RETIRED), "retired");
	assert_int_equal(mw_addr_state_get(f->st, "with space@x", &s),
			 MW_EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_outbound_local_sender_gets_a_valid_batv_tag),
	    T(test_outbound_message_id_is_logged_with_the_untagged_sender),
	    T(test_outbound_foreign_sender_is_logged_but_not_tagged),
	    T(test_outbound_is_not_tagged_when_batv_is_off_or_keyless),
	    T(test_receive_only_sender_is_refused_at_mail),
	    T(test_retired_sender_is_refused_at_mail),
	    T(test_retired_address_is_refused_for_any_sender),
	    T(test_foreign_and_ordinary_recipients_pass),
	    T(test_bounce_to_receive_only_address_is_refused_at_rcpt),
	    T(test_tag_mode_labels_a_bounce_to_receive_only_address),
	    T(test_valid_tagged_recipient_is_swapped_for_the_bare_one),
	    T(test_tagged_recipient_of_ordinary_mail_is_untagged_too),
	    T(test_forged_tag_is_refused_saying_so),
	    T(test_expired_tag_is_refused_saying_so),
	    T(test_tag_of_unknown_key_or_malformed_is_refused),
	    T(test_tag_mode_lets_a_bad_tag_through_with_a_label),
	    T(test_null_sender_gets_one_recipient_per_message),
	    T(test_content_is_wanted_only_for_untagged_bounces),
	    T(test_bounce_of_a_logged_message_id_is_accepted),
	    T(test_bounce_whose_return_path_is_our_tag_is_accepted),
	    T(test_bounce_that_passed_our_host_is_accepted),
	    T(test_unproven_bounce_is_refused_naming_backscatter),
	    T(test_missing_content_is_no_proof),
	    T(test_read_receipt_of_our_message_is_accepted),
	    T(test_tag_mode_delivers_unproven_bounce_with_header),
	    T(test_off_mode_decides_nothing),
	    T(test_sisimai_bounces_are_refused_as_forged),
	    T(test_every_sisimai_message_is_refused_as_forged),
	    T(test_genuine_qmail_bounce_to_header_from_is_accepted),
	    T(test_flood_event_comes_once_after_the_threshold),
	    T(test_flood_ends_after_a_quiet_window_and_can_start_again),
	    T(test_own_bounces_over_threshold_make_one_event_an_hour),
	    T(test_reply_text_stays_printable_and_short),
	    T(test_hostile_bounces_are_decided_quickly),
	    T(test_proof_holds_with_every_line_ending),
	    T(test_store_failure_answers_per_failure_action),
	    T(test_address_states_round_trip_and_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
