/*
 * notice_limit.c - the texts of the LIMIT and UNLOCKED notices.
 *
 * Seed 002: sending failed for three days and the user learnt why only
 * from the provider's help desk. So a limit's notice names the limit in
 * words, the count, when it lifts in both time zones (or that an admin
 * must lift it), and what was done; and it says what the reader should
 * suspect when they did not send that much.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"

typedef enum limit_action {
	ACTION_ALERT = 0,
	ACTION_BLOCK_TOMORROW,
	ACTION_BLOCK_ADMIN,
	ACTION_OTHER,
} limit_action;

static limit_action action_of(const char *a)
{
	if (!a || !a[0] || !strcmp(a, "alert"))
		return ACTION_ALERT;
	if (!strcmp(a, "block_until_tomorrow"))
		return ACTION_BLOCK_TOMORROW;
	if (!strcmp(a, "block_until_admin"))
		return ACTION_BLOCK_ADMIN;
	return ACTION_OTHER;
}

/* "1 時間に 200 通まで" / "200 messages an hour", from the name of the
 * configuration key (send_limit_messages_hour ...); other names as
 * given. */
static void limit_text(const mw_notice_facts *f, bool ja, char *out,
		       size_t outsz)
{
	const char *n = f->limit_name;
	long long v = (long long)f->limit_value;
	bool msgs = strstr(n, "message") != NULL;
	bool rcpts = strstr(n, "recipient") != NULL;
	bool hour = strstr(n, "hour") != NULL;
	bool day = strstr(n, "day") != NULL;
	if (msgs && hour)
		snprintf(out, outsz,
			 ja ? "1 時間に %lld 通まで" : "%lld messages an hour",
			 v);
	else if (msgs && day)
		snprintf(out, outsz,
			 ja ? "1 日に %lld 通まで" : "%lld messages a day", v);
	else if (rcpts && hour)
		snprintf(out, outsz,
			 ja ? "1 時間に宛先 %lld 件まで"
			    : "%lld recipients an hour",
			 v);
	else if (rcpts && day)
		snprintf(
		    out, outsz,
		    ja ? "1 日に宛先 %lld 件まで" : "%lld recipients a day", v);
	else
		snprintf(out, outsz, "%lld", v);
}

static void lifts_text(const mw_notice_facts *f, bool ja, char *out,
		       size_t outsz)
{
	if (action_of(f->limit_action) == ACTION_BLOCK_ADMIN) {
		snprintf(out, outsz, "%s",
			 ja ? "管理者が解除するまで"
			    : "when an administrator lifts it");
		return;
	}
	if (f->limit_lifts <= 0) {
		snprintf(out, outsz, "%s", ja ? "不明" : "unknown");
		return;
	}
	char a[MW_NOTICE_TIME_SIZE], b[MW_NOTICE_TIME_SIZE];
	mw_notice_time(f->limit_lifts, ja, a, sizeof a);
	mw_notice_time(f->limit_lifts, !ja, b, sizeof b);
	snprintf(out, outsz, "%s (%s)", a, b);
}

static mw_status put_limit_what(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	char limit[160], name[MW_NOTICE_CLEAN_SIZE], lifts[128];
	limit_text(f, ja, limit, sizeof limit);
	mw_notice_clean(f->limit_name, "-", name, sizeof name);
	lifts_text(f, ja, lifts, sizeof lifts);
	long long count = (long long)f->limit_count;
	if (ja)
		return mw_buf_printf(o,
				     "■ 何が起きたか\r\n"
				     "アカウント %s から送るメールが、\r\n"
				     "送信の上限に達しました。\r\n"
				     "  上限: %s (%s)\r\n"
				     "  数えた数: %lld\r\n"
				     "  上限が解除される時: %s\r\n\r\n",
				     f->account, limit, name, count, lifts);
	return mw_buf_printf(o,
			     "What happened\r\n"
			     "The account %s reached a sending limit.\r\n"
			     "  Limit: %s (%s)\r\n"
			     "  Count reached: %lld\r\n"
			     "  The limit lifts: %s\r\n\r\n",
			     f->account, limit, name, count, lifts);
}

static mw_status put_limit_done(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	char lifts[128], other[MW_NOTICE_CLEAN_SIZE];
	lifts_text(f, ja, lifts, sizeof lifts);
	mw_status rc = mw_buf_puts(
	    o, ja ? "■ mailwarden が行ったこと\r\n"
		    "上限を超えたメールは、一時エラー (451) "
		    "で受け付けませんでした。\r\n"
		  : "What mailwarden did\r\n"
		    "The message over the limit was refused with a temporary "
		    "error (451).\r\n");
	if (rc != MW_OK)
		return rc;
	switch (action_of(f->limit_action)) {
	case ACTION_ALERT:
		return mw_buf_puts(
		    o, ja ? "ほかには何も止めていません。\r\n"
			    "上限が解除されたら、受け付けられなかったメールを"
			    "もう一度送ってください。\r\n\r\n"
			  : "Nothing else was stopped. Once the limit lifts, "
			    "send the refused\r\n"
			    "message again.\r\n\r\n");
	case ACTION_BLOCK_TOMORROW:
		return mw_buf_printf(
		    o,
		    ja ? "このアカウントからの送信を、\r\n"
			 "%s まで止めています。\r\n"
			 "メールの受信と閲覧は、これまでどおりできます。\r\n\r"
			 "\n"
		       : "Sending from this account is stopped until\r\n%s.\r\n"
			 "Receiving and reading mail work as before.\r\n\r\n",
		    lifts);
	case ACTION_BLOCK_ADMIN:
		return mw_buf_puts(
		    o, ja ? "管理者が解除するまで、"
			    "このアカウントからの送信を止めています。\r\n"
			    "メールの受信と閲覧は、これまでどおりできます。\r\n"
			    "\r\n"
			  : "Sending from this account is stopped until an "
			    "administrator lifts\r\n"
			    "it. Receiving and reading mail work as "
			    "before.\r\n\r\n");
	case ACTION_OTHER:
		break;
	}
	mw_notice_clean(f->limit_action, "-", other, sizeof other);
	return mw_buf_printf(o, ja ? "対応: %s\r\n\r\n" : "Action: %s\r\n\r\n",
			     other);
}

static mw_status put_limit_advice(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = mw_buf_printf(
	    o,
	    ja ? "■ 今すぐしていただきたいこと\r\n"
		 "ご自身でこれだけの数のメールを送った覚えがあれば "
		 "(案内の一斉送信など)、\r\n"
		 "上限が解除されるのを待つか、管理者 (%s) "
		 "に相談してください。\r\n"
		 "覚えがなければ、パスワードが盗まれ、\r\n"
		 "あなたのアカウントから迷惑メールが送られているおそれが"
		 "あります。\r\n"
		 "今すぐ次のことをしてください。\r\n"
	       : "What to do now\r\n"
		 "If you did send that much mail yourself (a newsletter, an "
		 "invitation\r\n"
		 "to many people), wait until the limit lifts or ask your "
		 "administrator\r\n"
		 "(%s).\r\n"
		 "If you did not, your password may have been stolen and your "
		 "account\r\n"
		 "used to send spam. Do this now:\r\n",
	    c->f->from);
	if (rc == MW_OK)
		rc = mw_notice_put_steps(o, c, ja);
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}

mw_status mw_notice_put_limit(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	mw_status rc = put_limit_what(o, c, ja);
	if (rc == MW_OK)
		rc = put_limit_done(o, c, ja);
	if (rc == MW_OK)
		rc = mw_notice_put_evidence(o, c, ja);
	if (rc == MW_OK)
		rc = put_limit_advice(o, c, ja);
	if (rc == MW_OK && c->f->admin_copy &&
	    action_of(c->f->limit_action) == ACTION_BLOCK_ADMIN)
		rc = mw_notice_put_unlock(o, c, ja);
	return rc;
}

/* -- UNLOCKED --------------------------------------------------------- */

/* "admin root" -> "管理者 (root)", "password change" -> in words. */
static void unlocked_by_text(const char *by, bool ja, char *out, size_t outsz)
{
	char who[MW_NOTICE_CLEAN_SIZE];
	if (by && !strcmp(by, "password change")) {
		snprintf(out, outsz, "%s",
			 ja ? "パスワードの変更 (新しいパスワードでのログイン)"
			    : "your password change (a login with the new "
			      "password)");
	} else if (by && !strncmp(by, "admin", 5) &&
		   (by[5] == '\0' || by[5] == ' ')) {
		mw_notice_clean(by[5] ? by + 6 : "", "", who, sizeof who);
		if (who[0])
			snprintf(out, outsz,
				 ja ? "管理者 (%s)" : "an administrator (%s)",
				 who);
		else
			snprintf(out, outsz, "%s",
				 ja ? "管理者" : "an administrator");
	} else {
		mw_notice_clean(by, ja ? "不明" : "unknown", out, outsz);
	}
}

mw_status mw_notice_put_unlocked(mw_buf *o, const mw_notice_ctx *c, bool ja)
{
	const mw_notice_facts *f = c->f;
	char by[MW_NOTICE_CLEAN_SIZE + 96];
	unlocked_by_text(f->unlocked_by, ja, by, sizeof by);
	mw_status rc = mw_buf_printf(
	    o,
	    ja ? "■ 何があったか\r\n"
		 "アカウント %s からのメール送信の停止を解除しました。"
		 "\r\n"
		 "今からまたメールを送れます。\r\n"
		 "  解除: %s\r\n"
		 "  日時: %s (%s)\r\n\r\n"
	       : "What happened\r\n"
		 "Sending from the account %s is allowed again: it can send "
		 "mail\r\n"
		 "from now on.\r\n"
		 "  Lifted by: %s\r\n"
		 "  When: %s (%s)\r\n\r\n",
	    f->account, by, ja ? c->now_jst : c->now_utc,
	    ja ? c->now_utc : c->now_jst);
	if (rc == MW_OK && f->nlogins)
		rc = mw_notice_put_evidence(o, c, ja);
	if (rc == MW_OK)
		rc = mw_buf_puts(
		    o, ja ? "■ 念のため\r\n"
			    "送信が止められたのは、"
			    "パスワードが他人に知られたおそれがあったからです。"
			    "\r\n"
			    "まだでしたら、今すぐ次のことをしてください。\r\n"
			  : "To be safe\r\n"
			    "Sending was stopped because someone else may "
			    "have known the\r\n"
			    "password. If you have not yet done so, do this "
			    "now:\r\n");
	if (rc == MW_OK)
		rc = mw_notice_put_steps(o, c, ja);
	return rc == MW_OK ? mw_buf_puts(o, "\r\n") : rc;
}
