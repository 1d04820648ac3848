/*
 * bounce_text_json.c - Amazon SES notifications relayed by SNS as e-mail.
 *
 * The text is one JSON object: {"notificationType":"Bounce","bounce":{
 * "bouncedRecipients":[{"emailAddress":..,"action":..,"status":..,
 * "diagnosticCode":..}], "reportingMTA":"dsn; host"}, ...}, with
 * "complainedRecipients" for complaints and "delivery":{"recipients":[..],
 * "smtpResponse":".."} for delivery notices. It is read by a flat token
 * walk (strings, brackets, colons), not a JSON parser: one pass, bounded
 * by the text, no recursion, nothing kept but the fields named above.
 */
#include <string.h>

#include "lib/arena.h"
#include "lib/str.h"
#include "mail/bounce_text_int.h"

/* The notification says what it is within its first bytes. */
#define SES_SNIFF 128

typedef struct ses_walk {
	mw_str t;
	size_t i;
	int depth;	 /* of [ and { together */
	int list_depth;	 /* depth inside a recipients array, or -1 */
	bool plain_list; /* delivery "recipients": an array of strings */
	mw_str key;	 /* the last key read at this point */
	mw_str email, action, status, diag, response;
	mw_str plain[MW_BOUNCE_RECIPIENTS_MAX];
	size_t nplain;
} ses_walk;

/* The raw string starting at t[i] == '"'; i moves past its closing quote.
 * Escapes are kept as written: addresses and codes have none. */
static mw_str json_string(ses_walk *w)
{
	size_t start = ++w->i;
	while (w->i < w->t.n && w->t.p[w->i] != '"') {
		if (w->t.p[w->i] == '\\')
			w->i++;
		w->i++;
	}
	size_t end = w->i < w->t.n ? w->i : w->t.n;
	w->i++;
	return mw_str_make(w->t.p + start, end - start);
}

static bool key_is(mw_str k, const char *name)
{
	return mw_str_eq(k, mw_str_from_cstr(name));
}

static void add_object(ndr_scan *s, ses_walk *w)
{
	if (w->email.n) {
		ndr_diag d;
		char status[16] = "", action[16] = "";
		ndr_diag_init(&d);
		ndr_diag_add(&d, w->diag);
		if (w->status.n && w->status.n < sizeof status)
			memcpy(status, w->status.p, w->status.n);
		if (w->action.n && w->action.n < sizeof action)
			memcpy(action, w->action.p, w->action.n);
		ndr_add(s, w->email, &d, status[0] ? status : NULL,
			action[0] ? action : NULL, NDR_RANK_FIELDS);
	}
	w->email = w->action = w->status = w->diag = mw_str_make(NULL, 0);
}

static void take_value(ndr_scan *s, ses_walk *w, mw_str v)
{
	if (w->list_depth >= 0 && w->plain_list && w->depth == w->list_depth) {
		if (w->nplain < MW_BOUNCE_RECIPIENTS_MAX)
			w->plain[w->nplain++] = v;
		return;
	}
	if (key_is(w->key, "emailAddress"))
		w->email = v;
	else if (key_is(w->key, "action"))
		w->action = v;
	else if (key_is(w->key, "status"))
		w->status = v;
	else if (key_is(w->key, "diagnosticCode"))
		w->diag = v;
	else if (key_is(w->key, "smtpResponse"))
		w->response = v;
	else if (key_is(w->key, "reportingMTA") && !s->reporting_mta) {
		const char *semi = memchr(v.p, ';', v.n);
		mw_str h =
		    semi ? mw_str_make(semi + 1, v.n - (size_t)(semi + 1 - v.p))
			 : v;
		h = mw_str_trim(h);
		if (h.n && h.n < 256)
			s->reporting_mta =
			    mw_arena_strndup_lower(s->a, h.p, h.n);
	}
	w->key = mw_str_make(NULL, 0);
}

static void open_bracket(ses_walk *w, char c)
{
	w->depth++;
	if (c == '[' && w->list_depth < 0) {
		if (key_is(w->key, "bouncedRecipients") ||
		    key_is(w->key, "complainedRecipients")) {
			w->list_depth = w->depth;
			w->plain_list = false;
		} else if (key_is(w->key, "recipients")) {
			w->list_depth = w->depth;
			w->plain_list = true;
		}
	}
	w->key = mw_str_make(NULL, 0);
}

static void close_bracket(ndr_scan *s, ses_walk *w, char c)
{
	if (c == '}' && w->list_depth >= 0 && w->depth == w->list_depth + 1)
		add_object(s, w);
	if (c == ']' && w->depth == w->list_depth)
		w->list_depth = -1;
	if (w->depth > 0)
		w->depth--;
}

/* SNS wraps the notification as a string: "Message" : "{\"notificationType
 * \":...}". Undo the string's escapes into the arena. */
static mw_str unwrap_sns(ndr_scan *s, mw_str t)
{
	long at = -1;
	for (size_t i = 0; i + 2 < t.n && i < SES_SNIFF * 8; i++)
		if (t.p[i] == '"' && t.p[i + 1] == '{' && t.p[i + 2] == '\\') {
			at = (long)i + 1;
			break;
		}
	if (at < 0)
		return mw_str_make(NULL, 0);
	char *buf = mw_arena_alloc(s->a, t.n - (size_t)at + 1);
	if (!buf)
		return mw_str_make(NULL, 0);
	size_t n = 0;
	for (size_t i = (size_t)at; i < t.n && t.p[i] != '"'; i++) {
		if (t.p[i] == '\\' && i + 1 < t.n) {
			char c = t.p[++i];
			buf[n++] = c == 'n' || c == 'r' || c == 't' ? ' ' : c;
			continue;
		}
		buf[n++] = t.p[i];
	}
	return mw_str_make(buf, n);
}

bool ndr_read_ses_json(ndr_scan *s)
{
	mw_str t = mw_str_trim(mw_str_make(s->text.p, s->report_end));
	if (t.n < 2 || t.p[0] != '{')
		return false;
	mw_str sniff = mw_str_make(t.p, t.n < SES_SNIFF ? t.n : SES_SNIFF);
	if (!ndr_contains(sniff, "\"notificationtype\"")) {
		t = unwrap_sns(s, t);
		sniff = mw_str_make(t.p, t.n < SES_SNIFF ? t.n : SES_SNIFF);
		if (!ndr_contains(sniff, "\"notificationtype\""))
			return false;
	}
	ses_walk *w = mw_arena_alloc(s->a, sizeof *w);
	if (!w)
		return false;
	w->t = t;
	w->list_depth = -1;
	while (w->i < t.n && !s->full) {
		char c = t.p[w->i];
		if (c == '"') {
			mw_str v = json_string(w);
			size_t j = w->i;
			while (j < t.n && mw_is_space((unsigned char)t.p[j]))
				j++;
			if (j < t.n && t.p[j] == ':') {
				w->key = v;
				w->i = j + 1;
			} else {
				take_value(s, w, v);
			}
			continue;
		}
		if (c == '{' || c == '[')
			open_bracket(w, c);
		else if (c == '}' || c == ']')
			close_bracket(s, w, c);
		w->i++;
	}
	for (size_t k = 0; k < w->nplain; k++) {
		ndr_diag d;
		ndr_diag_init(&d);
		ndr_diag_add(&d, w->response);
		ndr_add(s, w->plain[k], &d, NULL, "delivered", NDR_RANK_FIELDS);
	}
	return true;
}
