/*
 * test_notice.c - the guard's notice mails: each kind composes, parses
 * back with our own header and MIME parsers into the Japanese and the
 * English text with the evidence in it; hostile values cannot add a
 * header or a line that looks like ours; unusable addresses are refused;
 * the evidence and the whole message stay under their caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guard/notice.h"
#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "mail/header.h"
#include "mail/mime.h"

#define NOW ((time_t)1700000100) /* 2023-11-14 22:15:00 UTC, 07:15 JST */
#define ACCT "taro@example.jp"
#define POSTMASTER "postmaster@example.jp"

#define assert_contains(hay, needle)                                           \
	do {                                                                   \
		if (!strstr((hay), (needle)))                                  \
			fail_msg("missing \"%s\" in:\n%s", (needle), (hay));   \
	} while (0)

#define assert_lacks(hay, needle)                                              \
	do {                                                                   \
		if (strstr((hay), (needle)))                                   \
			fail_msg("unexpected \"%s\" in:\n%s", (needle),        \
				 (hay));                                       \
	} while (0)

static const mw_notice_login three_logins[] = {
    {1700000000, "203.0.113.5", "CN", 4134, "CHINANET-BACKBONE", "smtp",
     "success"},
    {1699990000, "2001:db8::1", "", 0, "", "imap", "failure"},
    {1699980000, "198.51.100.7", "JP", 2516, "KDDI", "submission", "sent"},
};

static const char *const two_signals[] = {
    "5 countries in 24 h",
    "new country CN, then 12 messages",
};

static mw_notice_facts facts_of(mw_notice_kind kind)
{
	mw_notice_facts f;
	memset(&f, 0, sizeof f);
	f.kind = kind;
	f.now = NOW;
	f.host = "mx.example.jp";
	f.from = POSTMASTER;
	f.to = ACCT;
	f.account = ACCT;
	f.score = 130;
	f.threshold = 100;
	f.signals = two_signals;
	f.nsignals = 2;
	f.logins = three_logins;
	f.nlogins = 3;
	f.what_new = "country";
	f.limit_name = "messages per hour";
	f.limit_value = 200;
	f.limit_count = 201;
	f.limit_lifts = 1700002800; /* 23:00 UTC, 08:00 JST */
	f.limit_action = "block_until_tomorrow";
	f.unlocked_by = "admin root";
	return f;
}

/* A composed notice read back the way a mail program would. */
typedef struct parsed {
	mw_buf msg;
	mw_arena arena;
	mw_headers h;
	const char *subject; /* decoded */
	mw_buf text;	     /* the body, decoded, "\n" line ends */
} parsed;

static void compose_and_parse(const mw_notice_facts *f, parsed *p)
{
	mw_buf_init(&p->msg, MW_NOTICE_MAX);
	mw_buf_init(&p->text, MW_NOTICE_MAX);
	mw_arena_init(&p->arena, 4 * 1024 * 1024);
	assert_int_equal(mw_notice_compose(f, &p->msg), MW_OK);
	assert_int_equal(
	    mw_headers_parse(&p->arena, p->msg.data, p->msg.len, &p->h), MW_OK);
	const char *raw = mw_headers_get(&p->h, "Subject");
	assert_non_null(raw);
	p->subject = mw_header_decode(&p->arena, raw, strlen(raw), NULL);
	assert_non_null(p->subject);
	mw_mime_part *root = NULL;
	assert_int_equal(
	    mw_mime_parse(&p->arena, p->msg.data, p->msg.len, &root), MW_OK);
	assert_int_equal(root->cte, MW_CTE_BASE64);
	assert_int_equal(mw_mime_text_utf8(root, &p->text), MW_OK);
}

static void parsed_free(parsed *p)
{
	mw_buf_free(&p->msg);
	mw_buf_free(&p->text);
	mw_arena_free(&p->arena);
}

/* Japanese first: ja appears, and before en. */
static void assert_japanese_first(const char *text, const char *ja,
				  const char *en)
{
	const char *j = strstr(text, ja), *e = strstr(text, en);
	assert_non_null(j);
	assert_non_null(e);
	assert_true(j < e);
}

/* -- each kind -------------------------------------------------------- */

static void
test_suspended_notice_tells_what_happened_in_both_languages(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(p.subject,
			    "【重要】アカウントからのメール送信を止めました / "
			    "Important: sending from your mail account was "
			    "suspended");
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, ACCT " 様");
	assert_contains(t, "Dear " ACCT ",");
	assert_japanese_first(t, "迷惑メールの送信に使われているおそれ",
			      "who is using it to send spam");
	assert_contains(t, "(点数 130、停止の基準 100)");
	assert_contains(t, "(score 130, threshold 100)");
	assert_contains(t, "    - 5 countries in 24 h\n");
	assert_contains(t, "    - new country CN, then 12 messages\n");
	assert_contains(t, "アカウントからのメール送信を止めました");
	assert_contains(t, "It suspended sending from your account");
	/* what to do now */
	assert_contains(t, "パスワードを今すぐ変更してください");
	assert_contains(t, "すべての機器");
	assert_contains(t, "使い回さないでください");
	assert_contains(t, "「送信済み」フォルダー");
	assert_contains(t, "管理者 (" POSTMASTER ")");
	assert_contains(t, "Change your password now");
	assert_contains(t, "every device");
	assert_contains(t, "never reuse an old password");
	assert_contains(t, "Sent folder");
	assert_contains(t, "ウイルス対策ソフトの検査だけでは解決しません");
	/* the anti-phishing lines */
	assert_contains(t, "メールでパスワードを尋ねることは決してありません");
	assert_contains(t, "will ever ask for your\npassword by mail");
	/* the user's copy has no admin command */
	assert_lacks(t, "mailwarden account unlock");
	parsed_free(&p);
}

static void
test_evidence_shows_times_in_utc_and_jst_and_named_countries(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "   1. 2023-11-15 07:13 JST (2023-11-14 22:13 UTC)\n"
			   "      IP 203.0.113.5 / 中国 (CN) / AS4134 "
			   "CHINANET-BACKBONE / SMTP / ログイン成功\n");
	assert_contains(t, "   1. 2023-11-14 22:13 UTC (2023-11-15 07:13 JST)\n"
			   "      IP 203.0.113.5 / China (CN) / AS4134 "
			   "CHINANET-BACKBONE / SMTP / login succeeded\n");
	assert_contains(t, "      IP 2001:db8::1 / 国は不明 / ネットワーク不明 "
			   "/ IMAP / ログイン失敗 (パスワード誤り)\n");
	assert_contains(t, "      IP 2001:db8::1 / country unknown / network "
			   "unknown / IMAP / login failed (wrong password)\n");
	assert_contains(t, "日本 (JP) / AS2516 KDDI / SUBMISSION / "
			   "メールを送信\n");
	assert_contains(t, "Japan (JP) / AS2516 KDDI / SUBMISSION / "
			   "message sent\n");
	assert_lacks(t, "   4. ");
	parsed_free(&p);
}

static void test_unknown_country_shows_its_code(void **state)
{
	(void)state;
	mw_notice_login l = {1700000000, "192.0.2.1", "zz",	64500,
			     "TEST-NET", "pop3",      "success"};
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.logins = &l;
	f.nlogins = 1;
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "IP 192.0.2.1 / ZZ / AS64500 TEST-NET / POP3 / "
			   "ログイン成功\n");
	assert_contains(t, "  国: ZZ\n");
	assert_contains(t, "  Country: ZZ\n");
	parsed_free(&p);
}

static void test_admin_copy_of_suspension_gives_the_unlock_command(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.admin_copy = 1;
	f.to = "admin@example.jp";
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(p.subject, "[mailwarden] 送信を停止: " ACCT
				       " / sending suspended: " ACCT);
	assert_string_equal(mw_headers_get(&p.h, "To"), "<admin@example.jp>");
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "管理者の方へ (アカウント " ACCT);
	assert_contains(
	    t, "To the administrator (a notice about the account " ACCT ")");
	assert_japanese_first(t, "    mailwarden account unlock " ACCT "\n",
			      "How to lift it");
	assert_contains(t, "How to lift it\n");
	assert_contains(t, "AS4134 CHINANET-BACKBONE");
	parsed_free(&p);
}

static void test_unlock_command_quotes_an_account_for_the_shell(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.admin_copy = 1;
	f.to = "admin@example.jp";
	f.account = "o'neil&$x@example.jp";
	parsed p;
	compose_and_parse(&f, &p);
	assert_contains(mw_buf_cstr(&p.text), "    mailwarden account unlock "
					      "'o'\\''neil&$x@example.jp'\n");
	parsed_free(&p);
}

static void test_login_alert_says_nothing_to_do_if_it_was_you(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(p.subject, "新しい場所からのログインがありました / "
				       "New login to your mail account");
	const char *t = mw_buf_cstr(&p.text);
	assert_japanese_first(t,
			      "これまでになかった国からのログインがありました",
			      "logged in to from a country never seen before");
	assert_contains(t,
			"  日時: 2023-11-15 07:13 JST (2023-11-14 22:13 UTC)\n"
			"  国: 中国 (CN)\n"
			"  IP アドレス: 203.0.113.5\n");
	assert_contains(t,
			"  When: 2023-11-14 22:13 UTC (2023-11-15 07:13 JST)\n"
			"  Country: China (CN)\n"
			"  IP address: 203.0.113.5\n");
	assert_contains(t,
			"■ ご自身のログインなら\n何もする必要はありません。");
	assert_contains(t, "■ 心当たりがなければ\n");
	assert_contains(t, "If this was you\nThere is nothing to do.");
	assert_contains(t, "If this was not you\n");
	assert_contains(t, "Change your password now");
	assert_contains(t, "no login and no sending was stopped");
	assert_contains(t, "This notice contains no links.");
	parsed_free(&p);
}

static void test_login_alert_names_a_new_network_and_device(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.what_new = "asn,device";
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t,
			"これまでになかったネットワーク (プロバイダー)・機器 "
			"(メールソフト)からのログイン");
	assert_contains(t, "from a network (provider) and device (mail "
			   "program) never seen before");
	parsed_free(&p);
}

static void test_limit_notice_names_limit_count_and_when_it_lifts(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LIMIT);
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(p.subject, "メール送信の上限に達しました / Your "
				       "mail account reached a sending limit");
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "  上限: 1 時間に 200 通まで (messages per hour)\n"
			   "  数えた数: 201\n"
			   "  上限が解除される時: 2023-11-15 08:00 JST "
			   "(2023-11-14 23:00 UTC)\n");
	assert_contains(t, "  Limit: 200 messages an hour (messages per hour)\n"
			   "  Count reached: 201\n"
			   "  The limit lifts: 2023-11-14 23:00 UTC "
			   "(2023-11-15 08:00 JST)\n");
	assert_contains(t, "一時エラー (451)");
	assert_contains(t, "2023-11-15 08:00 JST (2023-11-14 23:00 UTC) "
			   "まで止めています");
	assert_contains(t, "Sending from this account is stopped until\n"
			   "2023-11-14 23:00 UTC (2023-11-15 08:00 JST).");
	assert_contains(t, "覚えがなければ、パスワードが盗まれ");
	assert_contains(t,
			"If you did not, your password may have been stolen");
	assert_lacks(t, "mailwarden account unlock");
	parsed_free(&p);
}

static void test_limit_for_recipients_a_day_reads_as_such(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LIMIT);
	f.limit_name = "recipients per day";
	f.limit_value = 2000;
	f.limit_count = 2003;
	f.limit_action = "alert";
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "  上限: 1 日に宛先 2000 件まで (recipients per "
			   "day)\n  数えた数: 2003\n");
	assert_contains(t, "  Limit: 2000 recipients a day");
	assert_contains(t, "ほかには何も止めていません。");
	assert_contains(t, "Nothing else was stopped.");
	parsed_free(&p);
}

static void test_limit_until_admin_says_an_admin_lifts_it(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LIMIT);
	f.limit_action = "block_until_admin";
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "  上限が解除される時: 管理者が解除するまで\n");
	assert_contains(t,
			"  The limit lifts: when an administrator lifts it\n");
	assert_lacks(t, "mailwarden account unlock");
	parsed_free(&p);

	f.admin_copy = 1;
	compose_and_parse(&f, &p);
	assert_contains(mw_buf_cstr(&p.text),
			"    mailwarden account unlock " ACCT "\n");
	parsed_free(&p);
}

static void test_unlocked_notice_says_who_lifted_it(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_UNLOCKED);
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(p.subject, "メール送信の停止を解除しました / "
				       "Sending from your mail account is "
				       "restored");
	const char *t = mw_buf_cstr(&p.text);
	assert_japanese_first(t,
			      "  解除: 管理者 (root)\n"
			      "  日時: 2023-11-15 07:15 JST (2023-11-14 "
			      "22:15 UTC)\n",
			      "  Lifted by: an administrator (root)\n"
			      "  When: 2023-11-14 22:15 UTC (2023-11-15 "
			      "07:15 JST)\n");
	assert_contains(t, "まだでしたら、今すぐ次のことをしてください。");
	assert_contains(t, "If you have not yet done so, do this now:");
	parsed_free(&p);

	f.unlocked_by = "password change";
	compose_and_parse(&f, &p);
	assert_contains(mw_buf_cstr(&p.text),
			"  Lifted by: your password change (a login with the "
			"new password)\n");
	parsed_free(&p);
}

/* -- the message's form ----------------------------------------------- */

static void test_headers_are_complete_and_lines_short(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(mw_headers_get(&p.h, "From"),
			    "mailwarden <" POSTMASTER ">");
	assert_string_equal(mw_headers_get(&p.h, "To"), "<" ACCT ">");
	assert_string_equal(mw_headers_get(&p.h, "Date"),
			    "Tue, 14 Nov 2023 22:15:00 +0000");
	const char *id = mw_headers_get(&p.h, "Message-ID");
	assert_non_null(id);
	assert_true(!strncmp(id, "<mailwarden.", 12));
	assert_contains(id, "@mx.example.jp>");
	assert_string_equal(mw_headers_get(&p.h, "MIME-Version"), "1.0");
	assert_string_equal(mw_headers_get(&p.h, "Content-Type"),
			    "text/plain; charset=UTF-8");
	assert_string_equal(mw_headers_get(&p.h, "Content-Transfer-Encoding"),
			    "base64");
	assert_string_equal(mw_headers_get(&p.h, "Auto-Submitted"),
			    "auto-generated");
	assert_string_equal(mw_headers_get(&p.h, "X-Mailwarden-Notice"),
			    "suspended");
	assert_int_equal(p.h.count, 11);
	/* every line CRLF-ended, none past 78; the base64 ones 76 */
	const char *m = p.msg.data, *end = m + p.msg.len;
	while (m < end) {
		const char *nl = memchr(m, '\n', (size_t)(end - m));
		assert_non_null(nl);
		size_t n = (size_t)(nl - m);
		assert_true(n >= 1 && m[n - 1] == '\r');
		assert_true(n - 1 <= 78);
		if (m >= p.msg.data + p.h.body_offset)
			assert_true(n - 1 <= 76);
		for (const char *c = m; c < nl - 1; c++)
			assert_true(*c >= 0x20 && *c < 0x7f);
		m = nl + 1;
	}
	parsed_free(&p);
}

static void test_hostile_org_protocol_and_result_cannot_add_a_line(void **state)
{
	(void)state;
	mw_notice_login l = {1700000000,
			     "203.0.113.5\r\nBcc: a@example.net",
			     "C\nN",
			     666,
			     "EVIL\r\nBcc: evil@example.net\r\n\r\nSend your "
			     "password",
			     "imap\rX-Evil: 1",
			     "success\n\nreply with your password"};
	const char *sig[] = {"one\r\nSubject: two"};
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.logins = &l;
	f.nlogins = 1;
	f.signals = sig;
	f.nsignals = 1;
	f.what_new = "country\r\nBcc: x@y";
	parsed p;
	compose_and_parse(&f, &p);
	assert_null(mw_headers_find(&p.h, "Bcc"));
	assert_null(mw_headers_find(&p.h, "X-Evil"));
	assert_int_equal(p.h.count, 11);
	assert_lacks(p.msg.data, "evil");
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "IP 203.0.113.5??Bcc: a@example.net / C?N / AS666 "
			   "EVIL??Bcc: evil@example.net????Send your password "
			   "/ IMAP?X-EVIL: 1 / success??reply with your "
			   "password\n");
	assert_contains(t, "    - one??Subject: two\n");
	/* no line of the text starts with what the values carried */
	assert_lacks(t, "\nBcc:");
	assert_lacks(t, "\nSend your");
	assert_lacks(t, "\nreply with");
	parsed_free(&p);
}

static void test_invisible_and_invalid_bytes_become_question_marks(void **state)
{
	(void)state;
	/* a right-to-left override, a zero-width space, a stray byte, an
	 * overlong '/', a tab */
	mw_notice_login l = {1700000000,
			     "192.0.2.1",
			     "US",
			     1,
			     "Evil\xe2\x80\xae"
			     "Corp\xe2\x80\x8b\xff\xc0\xaf\tInc",
			     "imap",
			     "success"};
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.logins = &l;
	f.nlogins = 1;
	parsed p;
	compose_and_parse(&f, &p);
	assert_contains(mw_buf_cstr(&p.text),
			"アメリカ合衆国 (US) / AS1 Evil?Corp???? Inc / IMAP");
	parsed_free(&p);
}

static void test_long_value_is_cut_with_a_visible_mark(void **state)
{
	(void)state;
	char org[300];
	memset(org, 'A', sizeof org - 1);
	org[sizeof org - 1] = '\0';
	mw_notice_login l = {1700000000, "192.0.2.1", "JP",	1,
			     org,	 "imap",      "success"};
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.logins = &l;
	f.nlogins = 1;
	parsed p;
	compose_and_parse(&f, &p);
	char want[MW_NOTICE_FIELD_MAX + 16];
	memcpy(want, " AS1 ", 5);
	memset(want + 5, 'A', MW_NOTICE_FIELD_MAX);
	strcpy(want + 5 + MW_NOTICE_FIELD_MAX, "… / IMAP");
	assert_contains(mw_buf_cstr(&p.text), want);
	parsed_free(&p);
}

static void test_long_japanese_value_is_cut_between_characters(void **state)
{
	(void)state;
	char org[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(org, "網"); /* 3 bytes each */
	mw_notice_login l = {1700000000, "192.0.2.1", "JP",	1,
			     org,	 "imap",      "success"};
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.logins = &l;
	f.nlogins = 1;
	parsed p;
	compose_and_parse(&f, &p);
	char want[400] = " AS1 ";
	for (int i = 0; i < MW_NOTICE_FIELD_MAX / 3; i++)
		strcat(want, "網");
	strcat(want, "… / IMAP");
	assert_contains(mw_buf_cstr(&p.text), want);
	parsed_free(&p);
}

/* -- refusals --------------------------------------------------------- */

static mw_status compose_status(const mw_notice_facts *f, size_t *len);

static void test_a_given_message_id_is_used_and_a_bad_one_refused(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_LOGIN_ALERT);
	f.message_id = "mailwarden.digest.0123abcd@mx.example.jp";
	parsed p;
	compose_and_parse(&f, &p);
	assert_string_equal(mw_headers_get(&p.h, "Message-ID"),
			    "<mailwarden.digest.0123abcd@mx.example.jp>");
	parsed_free(&p);
	static const char *const bad[] = {
	    "no-at", "a@b@c", "<x@y>", "x@y\r\nBcc: e@v", "x @y", "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t len = 99;
		f.message_id = bad[i];
		assert_int_equal(compose_status(&f, &len), MW_EINVAL);
		assert_int_equal(len, 0);
	}
}

static mw_status compose_status(const mw_notice_facts *f, size_t *len)
{
	mw_buf b;
	mw_buf_init(&b, MW_NOTICE_MAX);
	assert_int_equal(mw_buf_puts(&b, "left over"), MW_OK);
	mw_status rc = mw_notice_compose(f, &b);
	*len = b.len;
	mw_buf_free(&b);
	return rc;
}

static void test_missing_or_unusable_addresses_are_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    NULL,
	    "",
	    "no-at-sign",
	    "@example.jp",
	    "taro@",
	    "taro@@example.jp",
	    "a@b@c",
	    "taro@example.jp\r\nBcc: evil@example.net",
	    "taro@example.jp\n",
	    "<taro@example.jp>",
	    "taro @example.jp",
	    "Taro <taro@example.jp>",
	    "taro@example.jp,evil@example.net",
	    "taro\xe2\x80\xae@example.jp",
	    "taro\xff@example.jp",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t len = 99;
		mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
		f.to = bad[i];
		assert_int_equal(compose_status(&f, &len), MW_EINVAL);
		assert_int_equal(len, 0);
		f = facts_of(MW_NOTICE_SUSPENDED);
		f.from = bad[i];
		assert_int_equal(compose_status(&f, &len), MW_EINVAL);
		assert_int_equal(len, 0);
	}
	/* an account may be a bare user name, not a broken one */
	size_t len;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.account = "taro";
	assert_int_equal(compose_status(&f, &len), MW_OK);
	f.account = "taro\r\nBcc: evil@example.net";
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f.account = NULL;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f.account = "";
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
}

static void test_missing_facts_are_refused(void **state)
{
	(void)state;
	size_t len;
	mw_notice_facts f = facts_of(MW_NOTICE_LIMIT);
	f.limit_name = NULL;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f.limit_name = "";
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f = facts_of(MW_NOTICE_SUSPENDED);
	f.now = 0;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f = facts_of(MW_NOTICE_SUSPENDED);
	f.kind = (mw_notice_kind)7;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f = facts_of(MW_NOTICE_SUSPENDED);
	f.logins = NULL;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f = facts_of(MW_NOTICE_SUSPENDED);
	f.signals = NULL;
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	f = facts_of(MW_NOTICE_SUSPENDED);
	f.host = "mx.example.jp>\r\nBcc: evil@example.net";
	assert_int_equal(compose_status(&f, &len), MW_EINVAL);
	assert_int_equal(mw_notice_compose(NULL, NULL), MW_EINVAL);
}

static void test_optional_facts_may_be_absent(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_UNLOCKED);
	f.logins = NULL;
	f.nlogins = 0;
	f.signals = NULL;
	f.nsignals = 0;
	f.unlocked_by = NULL;
	f.host = NULL;
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "  解除: 不明\n");
	assert_contains(t, "  Lifted by: unknown\n");
	assert_contains(mw_headers_get(&p.h, "Message-ID"), "@localhost>");
	parsed_free(&p);

	f = facts_of(MW_NOTICE_SUSPENDED);
	f.nlogins = 0;
	f.nsignals = 0;
	f.threshold = 0;
	compose_and_parse(&f, &p);
	t = mw_buf_cstr(&p.text);
	assert_contains(t, "  (記録はありません)\n");
	assert_contains(t, "  (none recorded)\n");
	assert_contains(t, "次の兆候を見つけました。\n");
	assert_contains(t, "messages sent:\n");
	parsed_free(&p);
}

/* -- caps ------------------------------------------------------------- */

static void test_many_logins_are_capped_with_and_n_more(void **state)
{
	(void)state;
	enum { N = 1000 };
	mw_notice_login *l = calloc(N, sizeof *l);
	assert_non_null(l);
	for (size_t i = 0; i < N; i++)
		l[i] = (mw_notice_login){1700000000 - (time_t)i * 60,
					 "203.0.113.9",
					 "RU",
					 12389,
					 "ROSTELECOM",
					 "smtp",
					 "failure"};
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.logins = l;
	f.nlogins = N;
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	char last[16];
	snprintf(last, sizeof last, "  %2d. ", MW_NOTICE_LOGINS_MAX);
	assert_contains(t, last);
	snprintf(last, sizeof last, "  %2d. ", MW_NOTICE_LOGINS_MAX + 1);
	assert_lacks(t, last);
	char more[64];
	snprintf(more, sizeof more, "  ほか %d 件\n", N - MW_NOTICE_LOGINS_MAX);
	assert_contains(t, more);
	snprintf(more, sizeof more, "  and %d more\n",
		 N - MW_NOTICE_LOGINS_MAX);
	assert_contains(t, more);
	assert_contains(t, "ロシア (RU)");
	assert_contains(t, "Russia (RU)");
	parsed_free(&p);
	free(l);
}

static void test_many_signals_are_capped_with_and_n_more(void **state)
{
	(void)state;
	enum { N = 500 };
	const char **sig = calloc(N, sizeof *sig);
	assert_non_null(sig);
	for (size_t i = 0; i < N; i++)
		sig[i] = "a signal";
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	f.signals = sig;
	f.nsignals = N;
	parsed p;
	compose_and_parse(&f, &p);
	char more[64];
	snprintf(more, sizeof more, "    and %d more\n",
		 N - MW_NOTICE_SIGNALS_MAX);
	assert_contains(mw_buf_cstr(&p.text), more);
	parsed_free(&p);
	free(sig);
}

/* Every outside value as long as it may be (the org 10 MB): the notice
 * is still whole and under MW_NOTICE_MAX. */
static void test_largest_notice_stays_under_the_cap(void **state)
{
	(void)state;
	size_t big = 10 * 1024 * 1024;
	char *huge = malloc(big + 1);
	assert_non_null(huge);
	memset(huge, 'W', big);
	huge[big] = '\0';
	char acct[MW_ADDRESS_MAX + 1];
	memset(acct, 'a', MW_ADDRESS_MAX);
	memcpy(acct + MW_ADDRESS_MAX - 12, "@example.jp", 12);
	enum { N = 1000 };
	mw_notice_login *l = calloc(N, sizeof *l);
	const char **sig = calloc(N, sizeof *sig);
	assert_non_null(l);
	assert_non_null(sig);
	for (size_t i = 0; i < N; i++) {
		l[i] = (mw_notice_login){1700000000, huge, huge, UINT32_MAX,
					 huge,	     huge, huge};
		sig[i] = huge;
	}
	for (int k = MW_NOTICE_SUSPENDED; k <= MW_NOTICE_UNLOCKED; k++) {
		mw_notice_facts f = facts_of((mw_notice_kind)k);
		f.account = acct;
		f.to = acct;
		f.from = acct;
		f.admin_copy = 1;
		f.logins = l;
		f.nlogins = N;
		f.signals = sig;
		f.nsignals = N;
		f.what_new = huge;
		f.limit_name = huge;
		f.limit_action = huge;
		f.unlocked_by = huge;
		f.limit_value = INT64_MAX;
		f.limit_count = INT64_MIN;
		mw_buf b;
		mw_buf_init(&b, 16 * MW_NOTICE_MAX);
		assert_int_equal(mw_notice_compose(&f, &b), MW_OK);
		assert_true(b.len > 0 && b.len <= MW_NOTICE_MAX);
		mw_buf_free(&b);
	}
	free(huge);
	free(l);
	free(sig);
}

static void test_too_small_a_buffer_gives_etoobig_and_nothing(void **state)
{
	(void)state;
	mw_notice_facts f = facts_of(MW_NOTICE_SUSPENDED);
	mw_buf b;
	mw_buf_init(&b, 1000);
	assert_int_equal(mw_notice_compose(&f, &b), MW_ETOOBIG);
	assert_int_equal(b.len, 0);
	assert_string_equal(mw_buf_cstr(&b), "");
	mw_buf_free(&b);
}

static void test_times_out_of_range_show_a_dash(void **state)
{
	(void)state;
	mw_notice_login l = {INT64_MAX, "192.0.2.1", "JP",     0,
			     "",	"imap",	     "success"};
	mw_notice_facts f = facts_of(MW_NOTICE_LIMIT);
	f.logins = &l;
	f.nlogins = 1;
	f.limit_lifts = -5;
	parsed p;
	compose_and_parse(&f, &p);
	const char *t = mw_buf_cstr(&p.text);
	assert_contains(t, "   1. - (-)\n");
	assert_contains(t, "  上限が解除される時: 不明\n");
	assert_contains(t, "  The limit lifts: unknown\n");
	parsed_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_suspended_notice_tells_what_happened_in_both_languages),
	    cmocka_unit_test(
		test_evidence_shows_times_in_utc_and_jst_and_named_countries),
	    cmocka_unit_test(test_unknown_country_shows_its_code),
	    cmocka_unit_test(
		test_admin_copy_of_suspension_gives_the_unlock_command),
	    cmocka_unit_test(
		test_unlock_command_quotes_an_account_for_the_shell),
	    cmocka_unit_test(test_login_alert_says_nothing_to_do_if_it_was_you),
	    cmocka_unit_test(test_login_alert_names_a_new_network_and_device),
	    cmocka_unit_test(
		test_limit_notice_names_limit_count_and_when_it_lifts),
	    cmocka_unit_test(test_limit_for_recipients_a_day_reads_as_such),
	    cmocka_unit_test(test_limit_until_admin_says_an_admin_lifts_it),
	    cmocka_unit_test(test_unlocked_notice_says_who_lifted_it),
	    cmocka_unit_test(test_headers_are_complete_and_lines_short),
	    cmocka_unit_test(
		test_a_given_message_id_is_used_and_a_bad_one_refused),
	    cmocka_unit_test(
		test_hostile_org_protocol_and_result_cannot_add_a_line),
	    cmocka_unit_test(
		test_invisible_and_invalid_bytes_become_question_marks),
	    cmocka_unit_test(test_long_value_is_cut_with_a_visible_mark),
	    cmocka_unit_test(
		test_long_japanese_value_is_cut_between_characters),
	    cmocka_unit_test(test_missing_or_unusable_addresses_are_refused),
	    cmocka_unit_test(test_missing_facts_are_refused),
	    cmocka_unit_test(test_optional_facts_may_be_absent),
	    cmocka_unit_test(test_many_logins_are_capped_with_and_n_more),
	    cmocka_unit_test(test_many_signals_are_capped_with_and_n_more),
	    cmocka_unit_test(test_largest_notice_stays_under_the_cap),
	    cmocka_unit_test(test_too_small_a_buffer_gives_etoobig_and_nothing),
	    cmocka_unit_test(test_times_out_of_range_show_a_dash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
