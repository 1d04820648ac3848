/*
 * bounce_text_rcpt.c - the failed-recipient table of a free-text bounce,
 * the diagnostics of its entries and the SMTP codes read out of them.
 */
#include <string.h>

#include "lib/arena.h"
#include "lib/str.h"
#include "mail/bounce_text_int.h"

void ndr_diag_init(ndr_diag *d)
{
	d->n = 0;
	d->buf[0] = '\0';
}

/* Control bytes (NUL included) count as white space: a diagnostic is one
 * folded line of text. */
static bool is_fold_space(unsigned char c)
{
	return c < 0x20 || c == ' ' || c == 0x7f;
}

void ndr_diag_add(ndr_diag *d, mw_str s)
{
	bool space = d->n > 0;
	for (size_t i = 0; i < s.n && d->n < MW_BOUNCE_DIAGNOSTIC_MAX; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (is_fold_space(c)) {
			space = d->n > 0;
			continue;
		}
		if (space) {
			if (d->n + 1 >= MW_BOUNCE_DIAGNOSTIC_MAX)
				break;
			d->buf[d->n++] = ' ';
			space = false;
		}
		d->buf[d->n++] = (char)c;
	}
	/* Never end inside a UTF-8 sequence cut by the cap. */
	if (d->n >= MW_BOUNCE_DIAGNOSTIC_MAX) {
		size_t k = d->n;
		while (k > 0 && ((unsigned char)d->buf[k - 1] & 0xc0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)d->buf[k - 1] & 0xc0) == 0xc0)
			d->n = k - 1;
	}
	d->buf[d->n] = '\0';
}

/* 2 for a reply code, 1 for an enhanced status alone, 0 for neither. */
static int code_score(const char *p, size_t n)
{
	char reply[4], status[16];
	ndr_find_codes(p, n, reply, status);
	return reply[0] ? 2 : status[0] ? 1 : 0;
}

bool ndr_diag_has_code(const ndr_diag *d)
{
	return code_score(d->buf, d->n) > 0;
}

/* -- codes ------------------------------------------------------------ */

static bool digit_at(const char *p, size_t n, size_t i)
{
	return i < n && mw_is_digit((unsigned char)p[i]);
}

/* "5.1.1", "4.4.7", "5.1.10": class, subject and detail, not a piece of an
 * IP address or a version number. Returns its length or 0. */
static size_t status_at(const char *p, size_t n, size_t i)
{
	char c = p[i];
	if (c != '2' && c != '4' && c != '5')
		return 0;
	if (i > 0) {
		unsigned char b = (unsigned char)p[i - 1];
		if (mw_is_alnum(b) || b == '.' || b == '_')
			return 0;
	}
	size_t j = i + 1;
	if (j >= n || p[j] != '.' || !digit_at(p, n, j + 1))
		return 0;
	j += 2;
	if (digit_at(p, n, j))
		j++;
	if (digit_at(p, n, j))
		j++;
	if (j >= n || p[j] != '.' || !digit_at(p, n, j + 1))
		return 0;
	j += 2;
	for (int k = 0; k < 2 && digit_at(p, n, j); k++)
		j++;
	if (digit_at(p, n, j) || mw_is_alpha((unsigned char)(j < n ? p[j] : 0)))
		return 0;
	if (j + 1 < n && p[j] == '.' && mw_is_digit((unsigned char)p[j + 1]))
		return 0;
	return j - i;
}

/* Where a reply code may stand: first in the text, after ": ", "; ", "[",
 * "(", a quote, "<<<" or ">>>", or right before an enhanced status code.
 * This keeps "in 500 minutes" and phone numbers out. */
static bool reply_at(const char *p, size_t n, size_t i)
{
	char c = p[i];
	if (c < '2' || c > '5' || !digit_at(p, n, i + 1) ||
	    !digit_at(p, n, i + 2))
		return false;
	size_t e = i + 3;
	if (e < n) {
		unsigned char a = (unsigned char)p[e];
		if (mw_is_alnum(a) || a == '.' || a == '/' || a == '@' ||
		    a == '_')
			return false;
	}
	if (i > 0) {
		unsigned char b = (unsigned char)p[i - 1];
		if (mw_is_alnum(b) || b == '.' || b == '_' || b == '=' ||
		    b == '+' || b == '#' || b == '/' || b == '-' || b == '$')
			return false;
	}
	if (e < n && (p[e] == ' ' || p[e] == '-') && e + 1 < n &&
	    status_at(p, n, e + 1))
		return true;
	size_t k = i;
	while (k > 0 && p[k - 1] == ' ')
		k--;
	if (k == 0)
		return true;
	if (strchr(":;[('\"<>`", p[k - 1]) != NULL)
		return true;
	/* "ResponseCode 421", "reply code 550" */
	return k >= 4 && mw_lower((unsigned char)p[k - 4]) == 'c' &&
	       mw_lower((unsigned char)p[k - 3]) == 'o' &&
	       mw_lower((unsigned char)p[k - 2]) == 'd' &&
	       mw_lower((unsigned char)p[k - 1]) == 'e';
}

void ndr_find_codes(const char *p, size_t n, char reply[4], char status[16])
{
	reply[0] = '\0';
	status[0] = '\0';
	/* The first failure reply, and the first status of its class (a
	 * transcript says "250 2.1.5 Ok" before "451 4.3.0 Error"). */
	char first[16] = "";
	for (size_t i = 0; i < n && (!reply[0] || !status[0]); i++) {
		if (!reply[0] && reply_at(p, n, i) && p[i] != '2' &&
		    p[i] != '3') {
			memcpy(reply, p + i, 3);
			reply[3] = '\0';
		}
		size_t l = status_at(p, n, i);
		if (!l || l >= 16)
			continue;
		if (!first[0]) {
			memcpy(first, p + i, l);
			first[l] = '\0';
		}
		if (reply[0] && p[i] == reply[0]) {
			memcpy(status, p + i, l);
			status[l] = '\0';
		}
	}
	if (!status[0])
		memcpy(status, first, sizeof first);
	/* A success reply counts only beside a success status (Amazon SES
	 * delivery notices); otherwise it is a transcript's "250 ok". */
	if (!reply[0] && status[0] == '2') {
		for (size_t i = 0; i < n; i++)
			if (p[i] == '2' && reply_at(p, n, i)) {
				memcpy(reply, p + i, 3);
				reply[3] = '\0';
				break;
			}
	}
}

/* -- the table -------------------------------------------------------- */

static bool addr_ieq(const char *a, mw_str b)
{
	return mw_str_ieq(mw_str_from_cstr(a), b);
}

bool ndr_is_excluded(const ndr_scan *s, mw_str addr)
{
	for (size_t i = 0; i < s->nexclude; i++)
		if (addr_ieq(s->exclude[i], addr))
			return true;
	return false;
}

void ndr_exclude(ndr_scan *s, const char *addr, size_t n)
{
	if (s->nexclude >= NDR_EXCLUDE_MAX || n == 0 || n > MW_ADDRESS_MAX)
		return;
	if (ndr_is_excluded(s, mw_str_make(addr, n)))
		return;
	char *c = mw_arena_strndup(s->a, addr, n);
	if (c)
		s->exclude[s->nexclude++] = c;
}

/* local@domain with the domain lower-cased, as the contract wants. */
static char *copy_address(mw_arena *a, mw_str addr)
{
	char *c = mw_arena_strndup(a, addr.p, addr.n);
	if (!c)
		return NULL;
	char *at = strrchr(c, '@');
	if (at)
		mw_ascii_lower(at + 1, strlen(at + 1));
	return c;
}

static bool better(const ndr_scan *s, size_t i, const ndr_diag *d,
		   enum ndr_rank rank)
{
	if (rank != s->rank[i])
		return rank > s->rank[i];
	const char *old = s->rcpt[i].diagnostic;
	if (!old)
		return d && d->n > 0;
	if (!d || d->n == 0)
		return false;
	/* Office 365 names the recipient twice: first with advice that cites
	 * "DSN 5.1.10", then with the remote's "550 5.1.10" reply. */
	return code_score(d->buf, d->n) > code_score(old, strlen(old));
}

static void set_info(ndr_scan *s, size_t i, const ndr_diag *d,
		     const char *status, const char *action, enum ndr_rank rank)
{
	mw_bounce_rcpt *r = &s->rcpt[i];
	r->diagnostic =
	    (d && d->n) ? mw_arena_strndup(s->a, d->buf, d->n) : NULL;
	r->status = status ? mw_arena_strdup(s->a, status) : NULL;
	r->action = action ? mw_arena_strdup(s->a, action) : NULL;
	s->rank[i] = (unsigned char)rank;
}

static size_t addr_hash(mw_str addr)
{
	size_t h = 2166136261u;
	for (size_t i = 0; i < addr.n; i++)
		h = (h ^ mw_lower((unsigned char)addr.p[i])) * 16777619u;
	return h & (NDR_SLOTS - 1);
}

void ndr_add(ndr_scan *s, mw_str addr, const ndr_diag *d, const char *status,
	     const char *action, enum ndr_rank rank)
{
	if (addr.n == 0 || addr.n > MW_ADDRESS_MAX)
		return;
	/* Only a mention in prose may be the sender; an address line is a
	 * failed recipient even when it is also the bounce's addressee. */
	if (rank == NDR_RANK_MENTION && ndr_is_excluded(s, addr))
		return;
	size_t h = addr_hash(addr);
	for (size_t probe = 0; probe < NDR_SLOTS && s->slot[h];
	     probe++, h = (h + 1) & (NDR_SLOTS - 1)) {
		size_t i = s->slot[h] - 1u;
		if (!addr_ieq(s->rcpt[i].address, addr))
			continue;
		if (better(s, i, d, rank))
			set_info(s, i, d, status, action, rank);
		return;
	}
	if (s->full || s->nrcpt >= MW_BOUNCE_RECIPIENTS_MAX) {
		s->full = true;
		return;
	}
	char *c = copy_address(s->a, addr);
	if (!c) {
		s->full = true;
		return;
	}
	s->rcpt[s->nrcpt].address = c;
	set_info(s, s->nrcpt, d, status, action, rank);
	s->slot[h] = (unsigned short)(++s->nrcpt);
}

/* A class-only status ("5.0.0") from the reply when the text gives none:
 * RFC 3463 X.0.0 means "no more detail". */
static const char *status_from_reply(const char *reply)
{
	if (reply[0] == '5')
		return "5.0.0";
	if (reply[0] == '4')
		return "4.0.0";
	if (reply[0] == '2')
		return "2.0.0";
	return NULL;
}

static const char *decide_action(const ndr_scan *s, const char *status)
{
	if (status && status[0] == '2')
		return "delivered";
	if (s->delayed && (!status || status[0] == '4'))
		return "delayed";
	return "failed";
}

void ndr_finish_codes(ndr_scan *s)
{
	for (size_t i = 0; i < s->nrcpt; i++) {
		mw_bounce_rcpt *r = &s->rcpt[i];
		char reply[4] = "", status[16] = "";
		if (r->diagnostic)
			ndr_find_codes(r->diagnostic, strlen(r->diagnostic),
				       reply, status);
		if (reply[0] && !r->reply_code)
			r->reply_code = mw_arena_strdup(s->a, reply);
		if (!r->status && status[0])
			r->status = mw_arena_strdup(s->a, status);
		if (!r->status && reply[0])
			r->status = status_from_reply(reply);
		if (!r->action)
			r->action = decide_action(s, r->status);
	}
}
