/*
 * bounce_marks.c - the header marks that tell a mailer daemon's bounce
 * and a person's auto-reply from other mail.
 *
 * These decide only when the body gave no structure (no report part, no
 * free-text layout the scanner knows). The word lists are the phrases MTAs
 * and mail clients put in From and Subject, in the languages of the
 * corpus; a match is evidence, not proof, and the caller weighs it with
 * what else it found.
 */
#include <stdbool.h>
#include <stddef.h>

#include "lib/str.h"
#include "mail/bounce_impl.h"
#include "mail/header.h"

static bool value_has_any(const char *v, const char *const *words,
			  size_t nwords)
{
	if (!v)
		return false;
	for (size_t i = 0; i < nwords; i++)
		if (mw_cstr_ifind(v, words[i]))
			return true;
	return false;
}

bool mwb_from_mailer_daemon(const mw_headers *h)
{
	static const char *const who[] = {
	    "mailer-daemon", "mailer_daemon", "postmaster",
	    "mail delivery", "maildelivery",  "mail administrator",
	    "mail system",   "mailsystem",    "delivery subsystem",
	    "mail router",   "mmsadmin",      "mail-notify",
	};
	return value_has_any(mw_headers_get(h, "From"), who,
			     sizeof(who) / sizeof(*who));
}

bool mwb_subject_of_bounce(const mw_headers *h)
{
	static const char *const subj[] = {
	    "undeliver",
	    "undelivered",
	    "returned mail",
	    "return to sender",
	    "returned to sender",
	    "failure notice",
	    "delivery status notification",
	    "delivery failure",
	    "delivery failed",
	    "delivery has failed",
	    "failed delivery",
	    "non-delivery",
	    "nondeliver",
	    "non delivery",
	    "delivery notification",
	    "mail system error",
	    "could not be delivered",
	    "not delivered",
	    "delivery problem",
	    "delivery error",
	    "mail error",
	    "warning: message",
	    "delayed mail",
	    "message delayed",
	    "rejected",
	    "bounce",
	    "unzustellbar",
	    "nicht zustellbar",
	    "non remis",
	    "échec de la remise",
	    "no se puede entregar",
	    "olevererbart",
	    "niet bestelbaar",
	    "不達",
	    "配信エラー",
	    "送信エラー",
	    "配送エラー",
	    "配信不能",
	    "送信できません",
	    "エラーメール",
	};
	return value_has_any(mw_headers_get(h, "Subject"), subj,
			     sizeof(subj) / sizeof(*subj));
}

bool mwb_marks_of_autoreply(const mw_headers *h)
{
	const char *v = mw_headers_get(h, "Auto-Submitted");
	if (v && mw_cstr_ifind(v, "auto-replied"))
		return true;
	if (mw_headers_find(h, "X-Autoreply") ||
	    mw_headers_find(h, "X-Autorespond") ||
	    mw_headers_find(h, "X-Autoresponder"))
		return true;
	v = mw_headers_get(h, "Precedence");
	if (v && mw_cstr_ifind(v, "auto_reply"))
		return true;
	v = mw_headers_get(h, "X-Apple-Action");
	if (v && mw_cstr_ifind(v, "vacation"))
		return true;
	static const char *const subj[] = {
	    "out of office",
	    "out of the office",
	    "automatic reply",
	    "auto reply",
	    "auto-reply",
	    "autoreply",
	    "auto response",
	    "autoresponse",
	    "vacation",
	    "abwesenheit",
	    "réponse automatique",
	    "自動応答",
	    "自動返信",
	    "不在通知",
	};
	v = mw_headers_get(h, "Subject");
	if (v && mw_str_istarts(mw_str_from_cstr(v), "auto:"))
		return true;
	return value_has_any(v, subj, sizeof(subj) / sizeof(*subj));
}
