/*
 * notice_evidence.c - the evidence a notice shows: the logins and
 * submissions, and the signals that made a takeover score.
 *
 * Each login takes two short lines instead of one wide table row: mail
 * programs show text in proportional fonts and on phones, where the
 * columns of a table never line up and long rows wrap anyway. The
 * reader's own time zone comes first (JST in Japanese, UTC in English),
 * the other in brackets, so that the reader and the admin's logs agree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "guard/notice_int.h"

typedef struct result_word {
	const char *word; /* as the guard writes it */
	const char *ja;
	const char *en;
} result_word;

static const result_word results[] = {
    {"success", "ログイン成功", "login succeeded"},
    {"failure", "ログイン失敗 (パスワード誤り)",
     "login failed (wrong password)"},
    {"policy_reject", "mailwarden が拒否", "refused by mailwarden"},
    {"sent", "メールを送信", "message sent"},
    {"refused", "送信を拒否", "message refused"},
    {"unknown", "結果不明", "result unknown"},
};

static void result_text(const char *r, bool ja, char *out, size_t outsz)
{
	for (size_t i = 0; r && i < sizeof results / sizeof results[0]; i++) {
		if (!strcmp(r, results[i].word)) {
			snprintf(out, outsz, "%s",
				 ja ? results[i].ja : results[i].en);
			return;
		}
	}
	mw_notice_clean(r, "-", out, outsz);
}

/* "AS4134 CHINANET-BACKBONE", "AS4134", the name alone, or unknown. */
static void network_text(const mw_notice_login *l, bool ja, char *out,
			 size_t outsz)
{
	char org[MW_NOTICE_CLEAN_SIZE];
	mw_notice_clean(l->asn_org, "", org, sizeof org);
	if (l->asn && org[0])
		snprintf(out, outsz, "AS%" PRIu32 " %s", l->asn, org);
	else if (l->asn)
		snprintf(out, outsz, "AS%" PRIu32, l->asn);
	else if (org[0])
		snprintf(out, outsz, "%s", org);
	else
		snprintf(out, outsz, "%s",
			 ja ? "ネットワーク不明" : "network unknown");
}

static void protocol_text(const char *p, char *out, size_t outsz)
{
	mw_notice_clean(p, "-", out, outsz);
	/* imap -> IMAP: the names users see in their mail settings */
	for (char *c = out; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
}

static mw_status put_login(mw_buf *o, size_t nr, const mw_notice_login *l,
			   bool ja)
{
	char local[MW_NOTICE_TIME_SIZE], other[MW_NOTICE_TIME_SIZE];
	char ip[MW_NOTICE_CLEAN_SIZE], cc[MW_NOTICE_CLEAN_SIZE + 64];
	char net[MW_NOTICE_CLEAN_SIZE + 16], proto[MW_NOTICE_CLEAN_SIZE];
	char res[MW_NOTICE_CLEAN_SIZE];
	mw_notice_time(l->t, ja, local, sizeof local);
	mw_notice_time(l->t, !ja, other, sizeof other);
	mw_notice_clean(l->ip, ja ? "不明" : "unknown", ip, sizeof ip);
	mw_notice_country(l->country, ja, cc, sizeof cc);
	network_text(l, ja, net, sizeof net);
	protocol_text(l->protocol, proto, sizeof proto);
	result_text(l->result, ja, res, sizeof res);
	return mw_buf_printf(o,
			     "  %2zu. %s (%s)\r\n"
			     "      IP %s / %s / %s / %s / %s\r\n",
			     nr, local, other, ip, cc, net, proto, res);
}

mw_status mw_notice_put_logins(mw_buf *o, const mw_notice_facts *f, bool ja)
{
	size_t shown = f->nlogins < MW_NOTICE_LOGINS_MAX ? f->nlogins
							 : MW_NOTICE_LOGINS_MAX;
	mw_status rc = MW_OK;
	if (!f->nlogins)
		return mw_buf_puts(o, ja ? "  (記録はありません)\r\n"
					 : "  (none recorded)\r\n");
	for (size_t i = 0; i < shown && rc == MW_OK; i++)
		rc = put_login(o, i + 1, &f->logins[i], ja);
	if (rc == MW_OK && f->nlogins > shown)
		rc = mw_buf_printf(
		    o, ja ? "  ほか %zu 件\r\n" : "  and %zu more\r\n",
		    f->nlogins - shown);
	return rc;
}

mw_status mw_notice_put_signals(mw_buf *o, const mw_notice_facts *f, bool ja)
{
	size_t shown = f->nsignals < MW_NOTICE_SIGNALS_MAX
			   ? f->nsignals
			   : MW_NOTICE_SIGNALS_MAX;
	mw_status rc = MW_OK;
	for (size_t i = 0; i < shown && rc == MW_OK; i++) {
		char s[MW_NOTICE_CLEAN_SIZE];
		mw_notice_clean(f->signals[i], "-", s, sizeof s);
		rc = mw_buf_printf(o, "    - %s\r\n", s);
	}
	if (rc == MW_OK && f->nsignals > shown)
		rc = mw_buf_printf(
		    o, ja ? "    ほか %zu 件\r\n" : "    and %zu more\r\n",
		    f->nsignals - shown);
	return rc;
}
