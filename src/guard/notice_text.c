/*
 * notice_text.c - the words of the guard's notices, Japanese first, then
 * English, in one text/plain part that every mail program shows.
 *
 * Written for the people of seeds 001, 002 and 004: they saw thousands
 * of bounces or a send that failed for days and did not know why; one ran
 * virus scans for days; one had reused a password from an old account.
 * So each notice says, in plain words and in this order: what happened,
 * the evidence, what mailwarden did, what to do now (change the password,
 * on every device, never reuse it, look at the Sent folder, contact the
 * admin), and that nobody will ever ask for the password by mail, since a
 * notice like this one is what phishing imitates.
 */
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"

/* -- what every notice has -------------------------------------------- */

static mw_status put_greeting(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	mw_status rc;
	if (ja)
		rc = f->admin_copy
			 ? mw_buf_printf(o,
					 "管理者の方へ (アカウント %s "
					 "についてのお知らせです)\r\n",
					 f->account)
			 : mw_buf_printf(o, "%s 様\r\n", f->account);
	else
		rc = f->admin_copy
			 ? mw_buf_printf(o,
					 "To the administrator (a notice about "
					 "the account %s)\r\n",
					 f->account)
			 : mw_buf_printf(o, "Dear %s,\r\n", f->account);
	if (rc == MW_OK)
		rc = mw_buf_printf(
		    o,
		    ja ? "\r\nメールサーバーの見張り役 mailwarden "
			 "からの自動のお知らせです (%s)。\r\n\r\n"
		       : "\r\nThis is an automatic notice from mailwarden, "
			 "the guard of your mail\r\nserver (%s).\r\n\r\n",
		    ja ? c->now_jst : c->now_utc);
	return rc;
}

/* Japanese lines end after a sentence or a comma: Japanese has no spaces
 * to break at, and mail programs do not rewrap text/plain. */
mw_status mw_notice_put_steps(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	if (ja)
		return mw_buf_printf(
		    o,
		    "  1. パスワードを今すぐ変更してください。\r\n"
		    "     長く (16 文字以上)、"
		    "ほかのどこでも使っていないものにしてください。\r\n"
		    "     以前のパスワードや、ほかのサイトと同じものは"
		    "使い回さないでください。\r\n"
		    "  2. パソコン・スマートフォン・タブレットなど、\r\n"
		    "     このアカウントを設定しているすべての機器の"
		    "メールソフトで、\r\n"
		    "     パスワードを新しいものに設定し直してください。\r\n"
		    "  3. メールソフトの「送信済み」フォルダーに、\r\n"
		    "     "
		    "自分で書いていないメールがないか確かめてください。\r\n"
		    "  4. わからないことがあれば、管理者 (%s) "
		    "に連絡してください。\r\n",
		    c->f->from);
	return mw_buf_printf(
	    o,
	    "  1. Change your password now. Make it long (16 characters or "
	    "more)\r\n"
	    "     and use it nowhere else: never reuse an old password or "
	    "one\r\n"
	    "     from another site.\r\n"
	    "  2. Enter the new password in the mail program of every "
	    "device\r\n"
	    "     that uses this account: computers, phones, tablets.\r\n"
	    "  3. Look in your mail program's Sent folder for messages you "
	    "did\r\n"
	    "     not write.\r\n"
	    "  4. If anything is unclear, contact your administrator: %s\r\n",
	    c->f->from);
}

mw_status mw_notice_put_evidence(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = mw_buf_puts(
	    o, ja ? "■ 記録: 最近のログインと送信 (新しい順)\r\n"
		  : "The record: recent logins and messages sent, newest "
		    "first\r\n");
	if (rc == MW_OK)
		rc = mw_notice_put_logins(o, c->f, ja);
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}

mw_status mw_notice_put_unlock(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	if (ja)
		return mw_buf_printf(
		    o,
		    "■ 解除の方法\r\n"
		    "利用者がパスワードを変更し、"
		    "すべての機器の設定を直したことを確かめてから、\r\n"
		    "次のコマンドで送信を再開してください。\r\n"
		    "\r\n"
		    "    mailwarden account unlock %s\r\n"
		    "\r\n"
		    "パスワードが同じままで解除すると、"
		    "同じ相手にまた使われます。\r\n\r\n",
		    c->unlock_arg);
	return mw_buf_printf(
	    o,
	    "How to lift it\r\n"
	    "Make sure the user has changed the password and set the new "
	    "one on\r\n"
	    "every device, then let the account send again with:\r\n"
	    "\r\n"
	    "    mailwarden account unlock %s\r\n"
	    "\r\n"
	    "Lifted with the same password, the account would be used "
	    "again by\r\n"
	    "the same people.\r\n\r\n",
	    c->unlock_arg);
}

static mw_status put_footer(mw_buf *o, bool ja)
{
	return mw_buf_puts(
	    o,
	    ja ? "※ mailwarden も管理者も、"
		 "メールでパスワードを尋ねることは決してありません。\r\n"
		 "   パスワードを求めるメールやリンクには応じないで"
		 "ください。\r\n"
		 "   このお知らせにリンクはありません。\r\n"
		 "※ このメールは自動で送られています。返信は不要です。\r\n"
	       : "Neither mailwarden nor your administrator will ever ask "
		 "for your\r\n"
		 "password by mail. Do not answer a message or follow a link "
		 "that\r\n"
		 "asks for it. This notice contains no links.\r\n"
		 "This notice was sent automatically; there is no need to "
		 "reply.\r\n");
}
/* -- the kinds -------------------------------------------------------- */

static mw_status put_kind(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	switch (c->f->kind) {
	case MW_NOTICE_SUSPENDED:
		return mw_notice_put_suspended(o, c, ja);
	case MW_NOTICE_LOGIN_ALERT:
		return mw_notice_put_login_alert(o, c, ja);
	case MW_NOTICE_LIMIT:
		return mw_notice_put_limit(o, c, ja);
	case MW_NOTICE_UNLOCKED:
		return mw_notice_put_unlocked(o, c, ja);
	}
	return MW_EINVAL;
}

static mw_status put_language(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = put_greeting(o, c, ja);
	if (rc == MW_OK)
		rc = put_kind(o, c, ja);
	if (rc == MW_OK)
		rc = put_footer(o, ja);
	return rc;
}

mw_status mw_notice_put_text(mw_buf *o, const mw_notice_facts *f)
{
	mw_notice_ctx c;
	memset(&c, 0, sizeof c);
	c.f = f;
	mw_notice_time(f->now, true, c.now_jst, sizeof c.now_jst);
	mw_notice_time(f->now, false, c.now_utc, sizeof c.now_utc);
	mw_status rc = mw_notice_shell_quote(f->account, c.unlock_arg,
					     sizeof c.unlock_arg);
	if (rc == MW_OK)
		rc = put_language(o, &c, true);
	if (rc == MW_OK)
		rc = mw_buf_puts(o, "\r\n"
				    "------------------------------------------"
				    "------------------------------\r\n"
				    "\r\n");
	if (rc == MW_OK)
		rc = put_language(o, &c, false);
	return rc;
}

/* -- the Subject ------------------------------------------------------ */

const char *mw_notice_kind_word(mw_notice_kind k)
{
	switch (k) {
	case MW_NOTICE_SUSPENDED:
		return "suspended";
	case MW_NOTICE_LOGIN_ALERT:
		return "login-alert";
	case MW_NOTICE_LIMIT:
		return "limit";
	case MW_NOTICE_UNLOCKED:
		return "unlocked";
	}
	return "unknown";
}

void mw_notice_subject(const mw_notice_facts *f, char *out, size_t outsz)
{
	static const char *const user[][2] = {
	    [MW_NOTICE_SUSPENDED] = {"【重要】アカウントからのメール送信を"
				     "止めました",
				     "Important: sending from your mail "
				     "account was suspended"},
	    [MW_NOTICE_LOGIN_ALERT] = {"新しい場所からのログインがありました",
				       "New login to your mail account"},
	    [MW_NOTICE_LIMIT] = {"メール送信の上限に達しました",
				 "Your mail account reached a sending limit"},
	    [MW_NOTICE_UNLOCKED] = {"メール送信の停止を解除しました",
				    "Sending from your mail account is "
				    "restored"},
	};
	static const char *const admin[][2] = {
	    [MW_NOTICE_SUSPENDED] = {"送信を停止", "sending suspended"},
	    [MW_NOTICE_LOGIN_ALERT] = {"新しい場所からのログイン", "new login"},
	    [MW_NOTICE_LIMIT] = {"送信の上限", "send limit reached"},
	    [MW_NOTICE_UNLOCKED] = {"送信の停止を解除", "suspension lifted"},
	};
	unsigned k = (unsigned)f->kind <= MW_NOTICE_UNLOCKED
			 ? (unsigned)f->kind
			 : MW_NOTICE_SUSPENDED;
	if (!f->admin_copy) {
		snprintf(out, outsz, "%s / %s", user[k][0], user[k][1]);
		return;
	}
	char acct[MW_NOTICE_CLEAN_SIZE];
	mw_notice_clean(f->account, "-", acct, sizeof acct);
	snprintf(out, outsz, "[mailwarden] %s: %s / %s: %s", admin[k][0], acct,
		 admin[k][1], acct);
}
