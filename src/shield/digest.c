/*
 * digest.c - composing the daily backscatter notice.
 *
 * The users are Japanese (DESIGN.md section 1), so the Japanese text
 * comes first and the English one follows, both in one UTF-8 text/plain
 * part: every mail program shows it, none has to choose an alternative.
 * The text answers the three questions the people of seeds 000, 001 and
 * 004 asked themselves: what are these bounces, was my account used, and
 * what should I do.
 */
#include "shield/digest.h"

#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/limits.h"

/* Japan has one time zone and no summer time. */
#define JST_OFFSET (9 * 3600)

/* -- small encoders --------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static mw_status put_base64(mw_buf *out, const unsigned char *p, size_t n)
{
	mw_status rc = MW_OK;
	for (size_t i = 0; i < n && rc == MW_OK; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
			     i + 1 < n ? b64[(v >> 6) & 63] : '=',
			     i + 2 < n ? b64[v & 63] : '='};
		rc = mw_buf_append(out, q, 4);
	}
	return rc;
}

/* Bytes of UTF-8 text per encoded word: 42 bytes make 56 base64
 * characters, a 68-character word, which fits after "Subject: " within
 * 78 characters and, on a continuation line, within RFC 2047's 75. */
#define WORD_BYTES 42

mw_status mw_digest_put_subject(mw_buf *out, const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t n = strlen(utf8);
	mw_status rc = mw_buf_puts(out, "Subject:");
	while (rc == MW_OK && n) {
		size_t k = n < WORD_BYTES ? n : WORD_BYTES;
		/* Never cut a character: back up to a lead byte. */
		while (k < n && k > 1 && (p[k] & 0xC0) == 0x80)
			k--;
		rc = mw_buf_puts(out, p == (const unsigned char *)utf8
					  ? " =?UTF-8?B?"
					  : "\r\n =?UTF-8?B?");
		if (rc == MW_OK)
			rc = put_base64(out, p, k);
		if (rc == MW_OK)
			rc = mw_buf_puts(out, "?=");
		p += k;
		n -= k;
	}
	return rc == MW_OK ? mw_buf_puts(out, "\r\n") : rc;
}

/* -- checks and times ------------------------------------------------- */

static bool header_safe(const char *s)
{
	if (!s || !s[0] || strlen(s) > MW_ADDRESS_MAX)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '"' ||
		    c == '(' || c == ')' || c == ',' || c == ';')
			return false;
	}
	return true;
}

static void fmt_time(time_t t, int offset, const char *zone, char *out,
		     size_t outsz)
{
	if (!t) {
		snprintf(out, outsz, "-");
		return;
	}
	time_t shifted = t + offset;
	struct tm tm;
	gmtime_r(&shifted, &tm);
	snprintf(out, outsz, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, zone);
}

mw_status mw_digest_put_date(mw_buf *out, time_t now)
{
	static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	if (!gmtime_r(&now, &tm) || tm.tm_year + 1900 > 9999)
		return MW_EINVAL;
	return mw_buf_printf(
	    out, "Date: %s, %d %s %04d %02d:%02d:%02d +0000\r\n",
	    wd[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* -- the texts -------------------------------------------------------- */

typedef struct facts {
	const char *rcpt, *admin;
	long long refused;
	char servers[32];
	char first_jst[40], last_jst[40], first_utc[40], last_utc[40];
} facts;

static mw_status put_japanese(mw_buf *o, const facts *f)
{
	return mw_buf_printf(
	    o,
	    "%s 様\r\n"
	    "\r\n"
	    "メールの安全に関するお知らせです (このメールは自動送信です)。\r\n"
	    "\r\n"
	    "過去 24 時間に、あなたのアドレス %s 宛てに届いた\r\n"
	    "「配信不能通知」(エラーメール。差出人が MAILER-DAEMON "
	    "で、件名が\r\n"
	    "\"Undelivered Mail Returned to Sender\" や \"failure notice\" "
	    "などのもの)\r\n"
	    "%lld 通を、偽物と判断して受け取りを拒否しました。\r\n"
	    "  送ってきたサーバーの数: %s\r\n"
	    "  今回の始まり: %s / 最後に拒否: %s\r\n"
	    "\r\n"
	    "■ 何が起きているのか\r\n"
	    "迷惑メールの送信者が、あなたのアドレスを差出人として勝手に名乗り、"
	    "\r\n"
	    "大量の迷惑メールを送っています。受け取れなかった相手のサーバーが、"
	    "\r\n"
	    "差出人とされたあなたに配信不能通知を返してきているのです。\r\n"
	    "\r\n"
	    "■ あなたのアカウントは使われていません\r\n"
	    "拒否した通知はどれも、このサーバーから送られたメールへの通知では\r"
	    "\n"
	    "ありませんでした (送信時に付ける署名がなく、送信の記録にもない\r\n"
	    "メールです)"
	    "。使われたのはあなたのアドレスの名前だけで、あなたの\r\n"
	    "アカウントやパスワードで送られたものではありません。拒否した通知は"
	    "\r\n"
	    "あなたのメールボックスには届きません。特に何もする必要はありません"
	    "。\r\n"
	    "\r\n"
	    "■ ただし、次の場合はすぐに対応してください\r\n"
	    "「送信済み」に自分が書いていないメールがある、または身に覚えのない"
	    "\r\n"
	    "メールへの返信や配信不能通知が受信箱に届いている場合は、パスワード"
	    "が\r\n"
	    "盗まれ、あなたのアカウントから迷惑メールが送られているおそれが\r\n"
	    "あります。\r\n"
	    "  1. すぐにパスワードを変更してください "
	    "(長く、ほかのサービスで\r\n"
	    "     使っていないものにしてください)。\r\n"
	    "  2. 管理者 (%s) に連絡してください。\r\n"
	    "\r\n"
	    "このお知らせは 1 日に 1 通までです。\r\n",
	    f->rcpt, f->rcpt, f->refused, f->servers, f->first_jst, f->last_jst,
	    f->admin);
}

static mw_status put_english(mw_buf *o, const facts *f)
{
	return mw_buf_printf(
	    o,
	    "Dear %s,\r\n"
	    "\r\n"
	    "This is an automatic notice about the safety of your mail.\r\n"
	    "\r\n"
	    "In the last 24 hours we refused %lld forged bounces "
	    "(\"Undelivered "
	    "Mail\r\n"
	    "Returned to Sender\", \"failure notice\", MAILER-DAEMON ...) "
	    "addressed to\r\n"
	    "%s.\r\n"
	    "  Servers that sent them: %s\r\n"
	    "  This run began: %s; the latest was refused: %s\r\n"
	    "\r\n"
	    "What is happening\r\n"
	    "A spammer is sending mail with your address forged as its "
	    "sender.\r\n"
	    "Servers that could not deliver that spam send their bounces to "
	    "you.\r\n"
	    "\r\n"
	    "Your account was NOT used\r\n"
	    "None of the refused bounces was for a message sent from this "
	    "server:\r\n"
	    "they carried no signature of ours, and their messages are not in "
	    "our\r\n"
	    "record of sent mail. Only your address was forged; your account "
	    "and\r\n"
	    "your password were not used to send that spam. The refused "
	    "bounces\r\n"
	    "never reach your mailbox, and you need not do anything.\r\n"
	    "\r\n"
	    "But act at once if ...\r\n"
	    "... you see messages in your Sent folder that you did not write, "
	    "or\r\n"
	    "replies and bounces about mail you did not send reach your "
	    "inbox.\r\n"
	    "Then your password may have been stolen and your account used to "
	    "send\r\n"
	    "spam:\r\n"
	    "  1. Change your password now (a long one that you use nowhere "
	    "else).\r\n"
	    "  2. Tell your mail administrator: %s\r\n"
	    "\r\n"
	    "You receive at most one such notice a day.\r\n",
	    f->rcpt, f->refused, f->rcpt, f->servers, f->first_utc, f->last_utc,
	    f->admin);
}

static void gather(const mw_digest *d, facts *f)
{
	f->rcpt = d->rcpt;
	f->admin = d->admin && header_safe(d->admin) ? d->admin : d->from;
	f->refused = (long long)d->refused;
	if (d->servers)
		snprintf(f->servers, sizeof f->servers, "%llu",
			 (unsigned long long)d->servers);
	else
		snprintf(f->servers, sizeof f->servers, "-");
	fmt_time(d->first, JST_OFFSET, "JST", f->first_jst,
		 sizeof f->first_jst);
	fmt_time(d->last, JST_OFFSET, "JST", f->last_jst, sizeof f->last_jst);
	fmt_time(d->first, 0, "UTC", f->first_utc, sizeof f->first_utc);
	fmt_time(d->last, 0, "UTC", f->last_utc, sizeof f->last_utc);
}

static mw_status put_headers(mw_buf *o, const mw_digest *d)
{
	char subject[256];
	snprintf(subject, sizeof subject,
		 "偽の配信不能通知 %lld 通を拒否しました / %lld forged "
		 "bounces to your address were refused",
		 (long long)d->refused, (long long)d->refused);
	mw_status rc = mw_buf_printf(o,
				     "From: mailwarden <%s>\r\n"
				     "To: <%s>\r\n",
				     d->from, d->rcpt);
	if (rc == MW_OK)
		rc = mw_digest_put_subject(o, subject);
	if (rc == MW_OK)
		rc = mw_digest_put_date(o, d->now);
	if (rc == MW_OK)
		rc = mw_buf_printf(o,
				   "Message-ID: <%s>\r\n"
				   "MIME-Version: 1.0\r\n"
				   "Content-Type: text/plain; charset=UTF-8\r\n"
				   "Content-Transfer-Encoding: 8bit\r\n"
				   "Auto-Submitted: auto-generated\r\n"
				   "X-Mailwarden-Digest: backscatter\r\n"
				   "\r\n",
				   d->message_id);
	return rc;
}

mw_status mw_digest_compose(const mw_digest *d, mw_buf *out)
{
	if (!header_safe(d->rcpt) || !header_safe(d->from) ||
	    !header_safe(d->message_id) || d->refused < 0)
		return MW_EINVAL;
	facts f;
	gather(d, &f);
	size_t start = out->len;
	mw_status rc = put_headers(out, d);
	if (rc == MW_OK)
		rc = put_japanese(out, &f);
	if (rc == MW_OK)
		rc = mw_buf_puts(out,
				 "\r\n"
				 "------------------------------------------"
				 "------------------------------\r\n"
				 "\r\n");
	if (rc == MW_OK)
		rc = put_english(out, &f);
	if (rc != MW_OK && out->data) {
		out->len = start; /* nothing half-written */
		out->data[start] = '\0';
	}
	return rc;
}

mw_status mw_digest_message_id(const char *host, char *out, size_t outsz)
{
	unsigned char r[12];
	if (RAND_bytes(r, sizeof r) != 1)
		return MW_EIO;
	char hex[2 * sizeof r + 1];
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	int n = snprintf(out, outsz, "mailwarden.digest.%s@%s", hex,
			 host && host[0] ? host : "localhost");
	return n > 0 && (size_t)n < outsz ? MW_OK : MW_ETOOBIG;
}
