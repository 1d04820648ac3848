/*
 * notice_kinds.c - what each kind of notice says between its greeting
 * and its footer: what happened, the evidence, what mailwarden did, what
 * to do now.
 *
 * Each function writes one language at a time (ja true: Japanese), so a
 * translator reads one text from top to bottom. Outside values are
 * cleaned (mw_notice_clean) before they are written; the account and
 * the addresses were checked by mw_notice_compose.
 */
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"

/* "(score 130, threshold 100)", or nothing when the caller gave none. */
static void score_text(const mw_notice_facts *f, bool ja, char *out,
		       size_t outsz)
{
	if (f->threshold <= 0)
		snprintf(out, outsz, "%s", "");
	else if (ja)
		snprintf(out, outsz, " (点数 %d、停止の基準 %d)", f->score,
			 f->threshold);
	else
		snprintf(out, outsz, " (score %d, threshold %d)", f->score,
			 f->threshold);
}

/* -- SUSPENDED -------------------------------------------------------- */

static mw_status put_suspended_what(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	char score[96];
	score_text(f, ja, score, sizeof score);
	mw_status rc;
	if (ja)
		rc = mw_buf_printf(
		    o,
		    "■ 何が起きたか\r\n"
		    "%sアカウント %s のパスワードが他人に知られ、\r\n"
		    "迷惑メールの送信に使われているおそれがあります。\r\n"
		    "mailwarden がログインと送信の記録から、"
		    "次の兆候を見つけました%s。\r\n",
		    f->admin_copy ? "" : "あなたの", f->account, score);
	else
		rc = mw_buf_printf(
		    o,
		    "What happened\r\n"
		    "The password of %saccount %s appears to be known to "
		    "someone\r\n"
		    "else, who is using it to send spam. mailwarden found "
		    "these "
		    "signs\r\n"
		    "in its record of logins and messages sent%s:\r\n",
		    f->admin_copy ? "the " : "your ", f->account, score);
	if (rc == MW_OK)
		rc = f->nsignals
			 ? mw_notice_put_signals(o, f, ja)
			 : mw_buf_puts(o, ja ? "    - (記録なし)\r\n"
					     : "    - (none given)\r\n");
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}

static mw_status put_suspended_done(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	if (ja)
		return mw_buf_printf(
		    o,
		    "■ mailwarden が行ったこと\r\n"
		    "%sアカウントからのメール送信を止めました。\r\n"
		    "%s名前で、"
		    "これ以上迷惑メールが送られないようにするためです。\r\n"
		    "送信しようとするとエラーになります。\r\n"
		    "メールの受信と閲覧は、これまでどおりできます。\r\n\r\n",
		    c->f->admin_copy ? "この" : "あなたの",
		    c->f->admin_copy ? "持ち主の" : "あなたの");
	return mw_buf_printf(
	    o,
	    "What mailwarden did\r\n"
	    "It suspended sending from %s account, so that no more spam "
	    "goes\r\n"
	    "out in %s name. Sending fails with an error until this is "
	    "lifted;\r\n"
	    "receiving and reading mail work as before.\r\n\r\n",
	    c->f->admin_copy ? "this" : "your",
	    c->f->admin_copy ? "its owner's" : "your");
}

static mw_status put_suspended_todo(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = mw_buf_puts(o, ja ? "■ 今すぐしていただきたいこと\r\n"
					 : "What to do now\r\n");
	if (rc == MW_OK)
		rc = mw_notice_put_steps(o, c, ja);
	if (rc == MW_OK)
		rc = mw_buf_printf(
		    o,
		    ja ? "\r\n"
			 "ウイルス対策ソフトの検査だけでは解決しません。\r\n"
			 "パスワードを使っている人は、あなたの機器ではなく、"
			 "\r\n"
			 "インターネットの別の場所からログインしています。\r\n"
			 "パスワードを変えれば止まります。\r\n"
			 "送信の再開は、パスワードを変えたうえで"
			 "管理者 (%s) にご連絡ください。\r\n\r\n"
		       : "\r\n"
			 "A virus scan alone will not stop this: whoever has "
			 "the password logs\r\n"
			 "in from elsewhere on the Internet, not from your "
			 "device. Changing\r\n"
			 "the password stops them. To send again, change it "
			 "and then contact\r\n"
			 "your administrator (%s).\r\n\r\n",
		    c->f->from);
	return rc;
}

mw_status mw_notice_put_suspended(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = put_suspended_what(o, c, ja);
	if (rc == MW_OK)
		rc = mw_notice_put_evidence(o, c, ja);
	if (rc == MW_OK)
		rc = put_suspended_done(o, c, ja);
	if (rc == MW_OK)
		rc = c->f->admin_copy ? mw_notice_put_unlock(o, c, ja)
				      : put_suspended_todo(o, c, ja);
	return rc;
}

/* -- LOGIN_ALERT ------------------------------------------------------ */

/* "country", "asn", "device", or several of them, as words. */
static void what_new_text(const char *w, bool ja, char *out, size_t outsz)
{
	static const struct {
		const char *word, *ja, *en;
	} parts[] = {
	    {"country", "国", "country"},
	    {"asn", "ネットワーク (プロバイダー)", "network (provider)"},
	    {"device", "機器 (メールソフト)", "device (mail program)"},
	};
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; w && i < sizeof parts / sizeof parts[0]; i++) {
		if (!strstr(w, parts[i].word))
			continue;
		int n = snprintf(out + o, outsz - o, "%s%s",
				 o ? (ja ? "・" : " and ") : "",
				 ja ? parts[i].ja : parts[i].en);
		if (n < 0 || (size_t)n >= outsz - o)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(out, outsz, "%s", ja ? "場所" : "place");
}

static mw_status put_alert_what(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	char what[160];
	what_new_text(f->what_new, ja, what, sizeof what);
	mw_status rc = mw_buf_printf(
	    o,
	    ja ? "■ 何があったか\r\n"
		 "アカウント %s に、\r\n"
		 "これまでになかった%sからのログインがありました。\r\n"
	       : "What happened\r\n"
		 "The account %s was logged in to from a %s never seen "
		 "before.\r\n",
	    f->account, what);
	if (rc == MW_OK && f->nlogins) {
		char when[MW_NOTICE_TIME_SIZE], other[MW_NOTICE_TIME_SIZE];
		char ip[MW_NOTICE_CLEAN_SIZE], cc[MW_NOTICE_CLEAN_SIZE + 64];
		mw_notice_time(f->logins[0].t, ja, when, sizeof when);
		mw_notice_time(f->logins[0].t, !ja, other, sizeof other);
		mw_notice_country(f->logins[0].country, ja, cc, sizeof cc);
		mw_notice_clean(f->logins[0].ip, "-", ip, sizeof ip);
		rc = mw_buf_printf(o,
				   ja ? "  日時: %s (%s)\r\n  国: %s\r\n"
					"  IP アドレス: %s\r\n"
				      : "  When: %s (%s)\r\n  Country: %s\r\n"
					"  IP address: %s\r\n",
				   when, other, cc, ip);
	}
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}

static mw_status put_alert_advice(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = mw_buf_puts(
	    o, ja ? "■ ご自身のログインなら\r\n"
		    "何もする必要はありません。\r\n"
		    "旅行先や新しいスマートフォン、新しいインターネット回線"
		    "から\r\n"
		    "使い始めたときにも、このお知らせが届きます。\r\n"
		    "\r\n"
		    "■ 心当たりがなければ\r\n"
		    "パスワードが他人に知られているおそれがあります。\r\n"
		    "今すぐ次のことをしてください。\r\n"
		  : "If this was you\r\n"
		    "There is nothing to do. This notice also comes when you "
		    "start using\r\n"
		    "mail on a trip, on a new phone or on a new Internet "
		    "connection.\r\n"
		    "\r\n"
		    "If this was not you\r\n"
		    "Someone else may know your password. Do this now:\r\n");
	if (rc == MW_OK)
		rc = mw_notice_put_steps(o, c, ja);
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}

mw_status mw_notice_put_login_alert(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = put_alert_what(o, c, ja);
	if (rc == MW_OK)
		rc = mw_notice_put_evidence(o, c, ja);
	if (rc == MW_OK)
		rc = mw_buf_puts(
		    o, ja ? "■ mailwarden が行ったこと\r\n"
			    "このお知らせを送っただけです。\r\n"
			    "ログインも送信も止めていません。\r\n\r\n"
			  : "What mailwarden did\r\n"
			    "Only this notice: no login and no sending was "
			    "stopped.\r\n\r\n");
	if (rc == MW_OK)
		rc = put_alert_advice(o, c, ja);
	return rc;
}
