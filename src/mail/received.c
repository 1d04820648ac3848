/*
 * received.c - one Received: field value, read as the MTAs write it.
 *
 * The value is read in one pass as a stream of words, comments and
 * semicolons. The RFC 5321 clause keywords (from, by, via, with, id, for)
 * switch the clause that the following words and comments belong to; the
 * rest is recognised by its shape wherever it stands, because every MTA
 * puts its comments somewhere else. The date is whatever follows the last
 * ';' outside comments.
 *
 * The from-clause is the hard part: the first word is the HELO name for
 * Postfix, Sendmail and Exchange ("from helo (rdns [ip])") but the
 * resolved name for qmail and Exim, which say so by writing the HELO in a
 * comment of its own ("(HELO x)", "helo=x"). An IP in a comment is the
 * address the server saw and wins over an IP literal in the first word,
 * which is only what the client claimed.
 *
 * "unknown": Postfix and qmail write it when the client's address has no
 * reverse DNS. We keep from_host = "unknown" rather than fall back to the
 * HELO name: it is what the server recorded, and it is the signal a
 * reader of a trace needs ("no rDNS"); showing the claimed HELO there
 * would make a forged name look verified.
 */
#include "mail/received.h"

#include <string.h>

#include "lib/date.h"
#include "lib/limits.h"
#include "lib/net.h"
#include "lib/str.h"

typedef enum clause {
	CL_NONE,
	CL_FROM,
	CL_BY,
	CL_VIA,
	CL_WITH,
	CL_ID,
	CL_FOR,
	CL_COUNT
} clause;

typedef enum rtok_kind { RT_END, RT_WORD, RT_COMMENT, RT_SEMI } rtok_kind;

/* Comments in the from-clause that may name hosts; later ones (TLS,
 * authentication) are read for their own content only. */
#define FROM_HOST_COMMENTS 4

/* How far from the end a date missing its ';' is looked for: a date
 * with its zone comment is under 64 bytes, a trailing "(envelope-from x)"
 * adds a few dozen. */
#define DATE_TAIL 256

/* Words a protocol may take: "Microsoft SMTP Server", "Mail2000 ESMTP
 * Server V4.49". */
#define PROTOCOL_WORDS_MAX 4

typedef struct rparse {
	mw_arena *a;
	mw_received *out;
	const char *s; /* the part before the date */
	size_t n;
	bool no_gt; /* a '<' found no '>': stop looking for one */
	clause cl;
	bool want_value;
	bool seen[CL_COUNT];
	size_t from_comments;
	mw_str first; /* the word after "from" */
	mw_str rdns;  /* host name from a from-clause comment */
	mw_str helo;  /* HELO from "(HELO x)" or "helo=x" */
	char comment_ip[MW_IP_TEXT_MAX];
	char word_ip[MW_IP_TEXT_MAX];
	bool proto_open;
	size_t proto_b, proto_e, proto_words;
	bool want_auth_id; /* the previous word was "authenticated_id" */
} rparse;

static bool is_tok_end(unsigned char c)
{
	return mw_is_space(c) || c == '\0' || c == '(' || c == ')' || c == ';';
}

/* The next token of s[*i..n). A comment runs to its balancing ')' or, when
 * there is none, to the end; tok then holds its inside. */
static rtok_kind rtok(rparse *rp, size_t *i, mw_str *tok)
{
	const char *s = rp->s;
	size_t n = rp->n, j = *i;

	while (j < n && (mw_is_space((unsigned char)s[j]) || s[j] == '\0' ||
			 s[j] == ')'))
		j++;
	if (j >= n) {
		*i = j;
		return RT_END;
	}
	if (s[j] == ';') {
		*i = j + 1;
		*tok = mw_str_make(s + j, 1);
		return RT_SEMI;
	}
	if (s[j] == '(') {
		size_t depth = 0, b = j + 1;
		for (; j < n; j++) {
			if (s[j] == '\\') {
				j++;
				continue;
			}
			if (s[j] == '(')
				depth++;
			else if (s[j] == ')' && --depth == 0)
				break;
		}
		size_t e = j < n ? j : n;
		*tok = mw_str_trim(mw_str_make(s + b, e - b));
		*i = j < n ? j + 1 : n;
		return RT_COMMENT;
	}
	size_t b = j;
	if (s[j] == '<' && !rp->no_gt) {
		const char *gt = memchr(s + j, '>', n - j);
		if (gt) {
			*i = (size_t)(gt - s) + 1;
			*tok = mw_str_make(s + b, *i - b);
			return RT_WORD;
		}
		rp->no_gt = true;
	}
	while (j < n && !is_tok_end((unsigned char)s[j]))
		j++;
	*i = j;
	*tok = mw_str_make(s + b, j - b);
	return RT_WORD;
}

/* A copy of a word for the result, or NULL when it is empty or too long
 * to be a host, id or address (junk, or an attack on memory). */
static const char *keep(rparse *rp, mw_str w)
{
	if (w.n == 0 || w.n > MW_RECEIVED_TOKEN_MAX)
		return NULL;
	return mw_arena_strndup(rp->a, w.p, w.n);
}

static mw_str strip_angles(mw_str w)
{
	while (w.n > 0 && w.p[0] == '<') {
		w.p++;
		w.n--;
	}
	while (w.n > 0 && w.p[w.n - 1] == '>')
		w.n--;
	return mw_str_trim(w);
}

static mw_str strip_trailing(mw_str w, const char *chars)
{
	while (w.n > 0 && w.p[w.n - 1] && strchr(chars, w.p[w.n - 1]))
		w.n--;
	return w;
}

/* Canonical text of an IP written as "[ip]", "[IPv6:ip]", "[ip]:port",
 * "[a.b.c.d:port]", "ip", "user@ip" or "ip:port"; false if it is none. */
static bool ip_from_word(mw_str w, char out[MW_IP_TEXT_MAX])
{
	mw_ip ip;

	w = strip_trailing(w, ",;.");
	if (w.n > 0 && w.p[0] == '[') {
		const char *close = memchr(w.p, ']', w.n);
		if (!close)
			return false;
		w = mw_str_make(w.p + 1, (size_t)(close - w.p) - 1);
	} else {
		const char *at = NULL;
		for (size_t k = 0; k < w.n; k++)
			if (w.p[k] == '@')
				at = w.p + k;
		if (at)
			w = mw_str_make(at + 1, w.n - (size_t)(at + 1 - w.p));
	}
	if (mw_str_istarts(w, "IPv6:"))
		w = mw_str_make(w.p + 5, w.n - 5);
	if (w.n == 0 || w.n >= 64)
		return false;
	if (!mw_ip_parse(w.p, w.n, &ip)) {
		/* "192.0.2.1:318": an IPv4 address with its port */
		const char *colon = memchr(w.p, ':', w.n);
		if (!colon || !memchr(w.p, '.', (size_t)(colon - w.p)) ||
		    !mw_ip_parse(w.p, (size_t)(colon - w.p), &ip) ||
		    ip.family != 4)
			return false;
	}
	mw_ip_format(&ip, out);
	return true;
}

static bool is_hostname(mw_str w)
{
	if (w.n == 0 || w.n > 255)
		return false;
	for (size_t k = 0; k < w.n; k++) {
		unsigned char c = (unsigned char)w.p[k];
		if (!mw_is_alnum(c) && c != '.' && c != '-' && c != '_')
			return false;
	}
	return true;
}

/* Split a comment into its first few space-separated words. */
static size_t comment_words(mw_str c, mw_str *w, size_t max)
{
	size_t count = 0, k = 0;

	while (k < c.n && count < max) {
		while (k < c.n &&
		       (mw_is_space((unsigned char)c.p[k]) || c.p[k] == ','))
			k++;
		size_t b = k;
		while (k < c.n && !mw_is_space((unsigned char)c.p[k]) &&
		       c.p[k] != ',')
			k++;
		if (k > b)
			w[count++] = mw_str_make(c.p + b, k - b);
	}
	return count;
}

/* "(rdns [ip])", "(unknown [ip])", "([ip])", "(ip)", "(HELO x)",
 * "([ip] helo=x)", "(port=1 helo=x)", "(user@ip)", "(localhost)". */
static void from_comment_hosts(rparse *rp, mw_str c)
{
	mw_str w[8];
	char ip[MW_IP_TEXT_MAX];
	size_t nw = comment_words(c, w, 8);

	for (size_t k = 0; k < nw; k++) {
		if ((mw_str_ieq_cstr(w[k], "HELO") ||
		     mw_str_ieq_cstr(w[k], "EHLO")) &&
		    k + 1 < nw) {
			rp->helo = w[++k];
		} else if (mw_str_istarts(w[k], "helo=")) {
			rp->helo = mw_str_make(w[k].p + 5, w[k].n - 5);
		} else if (ip_from_word(w[k], ip)) {
			if (!rp->comment_ip[0])
				memcpy(rp->comment_ip, ip, sizeof ip);
		}
	}
	if (nw == 0 || rp->rdns.n || !is_hostname(w[0]))
		return;
	/* A lone name, or a name followed by the address it resolved from. */
	if (nw == 1 ? !ip_from_word(w[0], ip)
		    : (w[1].p[0] == '[' || ip_from_word(w[1], ip)))
		rp->rdns = strip_trailing(w[0], ".");
}

/* The identity after a marker in a comment, e.g. "Authenticated sender:". */
static void take_identity(rparse *rp, mw_str c, size_t from)
{
	size_t k = from;

	while (k < c.n && mw_is_wsp((unsigned char)c.p[k]))
		k++;
	size_t b = k;
	while (k < c.n && !mw_is_space((unsigned char)c.p[k]) &&
	       c.p[k] != ',' && c.p[k] != ')' && c.p[k] != ';')
		k++;
	mw_str id = strip_angles(mw_str_make(c.p + b, k - b));
	rp->out->authenticated = true;
	if (id.n && !rp->out->authenticated_as)
		rp->out->authenticated_as = keep(rp, id);
}

static const char *const identity_markers[] = {
    "authenticated sender:", /* Postfix, Exim (cPanel) */
    "authenticated user:",
    "authenticated user ", /* SquirrelMail */
    "authenticated as ",   /* Sendmail, Domino */
    "authenticated_id:",   /* Exim received_header_text variants */
    "authenticated_id=",
    "authenticated-id:",
    "auth=", /* Exim "(auth=x)" */
    "smtp-auth:",
    "smtp auth as ",
};

static void comment_auth(rparse *rp, mw_str c)
{
	long at;

	for (size_t k = 0;
	     k < sizeof identity_markers / sizeof *identity_markers; k++) {
		at = mw_str_ifind(c, identity_markers[k]);
		if (at < 0)
			continue;
		/* "auth=" only as a word of its own, not in "x-auth=..." */
		if (at > 0 && !mw_is_space((unsigned char)c.p[at - 1]))
			continue;
		take_identity(rp, c, (size_t)at + strlen(identity_markers[k]));
		return;
	}
	/* Courier: "(AUTH: LOGIN user@example.com, TLS: TLSv1/SSLv3,...)" */
	if (mw_str_istarts(c, "AUTH:")) {
		mw_str w[3];
		if (comment_words(mw_str_make(c.p + 5, c.n - 5), w, 2) == 2)
			take_identity(rp, c, (size_t)(w[1].p - c.p));
		else
			rp->out->authenticated = true;
		return;
	}
	/* Sendmail "(authenticated bits=0)"; qmail "(192.0.2.1 with login)" */
	if (mw_str_ifind(c, "authenticated bits=") >= 0 ||
	    mw_str_ifind(c, " with plain") >= 0 ||
	    mw_str_ifind(c, " with login") >= 0 ||
	    mw_str_ifind(c, " with cram-md5") >= 0)
		rp->out->authenticated = true;
}

static void comment_tls(rparse *rp, mw_str c)
{
	if (mw_str_istarts(c, "TLS") || mw_str_ifind(c, "using TLS") >= 0 ||
	    mw_str_ifind(c, "version=TLS") >= 0 ||
	    mw_str_ifind(c, "version=3DTLS") >= 0 ||
	    mw_str_ifind(c, "TLS: ") >= 0 || mw_str_ifind(c, "SSLv3") >= 0)
		rp->out->tls = true;
}

static void on_comment(rparse *rp, mw_str c)
{
	comment_auth(rp, c);
	comment_tls(rp, c);
	if (rp->cl == CL_FROM && rp->from_comments++ < FROM_HOST_COMMENTS)
		from_comment_hosts(rp, c);
	rp->proto_open = false;
}

static clause keyword(mw_str w)
{
	static const char *const names[CL_COUNT] = {
	    [CL_FROM] = "from", [CL_BY] = "by", [CL_VIA] = "via",
	    [CL_WITH] = "with", [CL_ID] = "id", [CL_FOR] = "for",
	};
	if (w.n < 2 || w.n > 4)
		return CL_NONE;
	for (int k = CL_FROM; k < CL_COUNT; k++)
		if (mw_str_ieq_cstr(w, names[k]))
			return (clause)k;
	return CL_NONE;
}

static void clause_value(rparse *rp, mw_str w)
{
	mw_received *out = rp->out;

	switch (rp->cl) {
	case CL_FROM:
		rp->first = w;
		break;
	case CL_BY:
		out->by_host = keep(rp, strip_trailing(w, "."));
		break;
	case CL_WITH:
		rp->proto_open = true;
		rp->proto_b = (size_t)(w.p - rp->s);
		rp->proto_e = rp->proto_b + w.n;
		rp->proto_words = 1;
		break;
	case CL_ID:
		out->id = keep(rp, strip_angles(strip_trailing(w, ",;")));
		break;
	case CL_FOR: {
		mw_str f = strip_angles(strip_trailing(w, ",;"));
		/* An address has no blanks, and no brackets once stripped:
		 * "for < <>" names nobody. */
		bool plain = f.n && !memchr(f.p, ' ', f.n) &&
			     !memchr(f.p, '\t', f.n) && !memchr(f.p, '<', f.n) &&
			     !memchr(f.p, '>', f.n);
		if (plain)
			out->for_addr = keep(rp, f);
		break;
	}
	default:
		break;
	}
}

static void on_word(rparse *rp, mw_str w)
{
	clause k = keyword(w);

	if (rp->want_auth_id) {
		rp->want_auth_id = false;
		if (k == CL_NONE) {
			take_identity(rp, w, 0);
			return;
		}
	}
	if (k != CL_NONE) {
		rp->proto_open = false;
		rp->cl = rp->seen[k] ? CL_NONE : k;
		rp->seen[k] = true;
		rp->want_value = rp->cl != CL_NONE;
		return;
	}
	if (rp->want_value) {
		rp->want_value = false;
		clause_value(rp, w);
		return;
	}
	if (rp->proto_open && rp->proto_words < PROTOCOL_WORDS_MAX) {
		rp->proto_e = (size_t)(w.p - rp->s) + w.n;
		rp->proto_words++;
		return;
	}
	rp->proto_open = false;
	/* "from helo [ip]" (SMTPD32, SurfControl): the server's view */
	if (rp->cl == CL_FROM && w.p[0] == '[' && !rp->comment_ip[0]) {
		char ip[MW_IP_TEXT_MAX];
		if (ip_from_word(w, ip))
			memcpy(rp->comment_ip, ip, sizeof ip);
	}
	/* Exim "tls TLS_AES_256_GCM_SHA384"; Microsoft "over TLS secured" */
	if (mw_str_ieq_cstr(w, "tls"))
		rp->out->tls = true;
	if (mw_str_ieq_cstr(w, "authenticated_id") ||
	    mw_str_ieq_cstr(w, "authenticated_id:"))
		rp->want_auth_id = true;
	else if (mw_str_istarts(w, "authenticated_id="))
		take_identity(rp, w, strlen("authenticated_id="));
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* RFC 3848: ESMTPS/ESMTPSA/LMTPS... mean TLS, ...A means SMTP AUTH. */
static void protocol_meaning(rparse *rp, const char *p)
{
	size_t n1 = strcspn(p, " /");
	bool smtpish = false;

	for (size_t k = 0; k + 4 <= n1; k++)
		if (!memcmp(p + k, "SMTP", 4) || !memcmp(p + k, "LMTP", 4) ||
		    !memcmp(p + k, "HTTP", 4))
			smtpish = true;
	if (smtpish && (ends_with(p, n1, "S") || ends_with(p, n1, "SA")))
		rp->out->tls = true;
	if (smtpish && ends_with(p, n1, "A") && memcmp(p, "HTTP", 4) != 0)
		rp->out->authenticated = true;
	if (strstr(p, "/TLS") || strstr(p, " ENCRYPTED"))
		rp->out->tls = true;
	/* Outlook's MAPI submission needs a mailbox login. */
	if (!strcmp(p, "MAPI") || strstr(p, " AUTH"))
		rp->out->authenticated = true;
}

static void finish_protocol(rparse *rp)
{
	size_t len = rp->proto_e - rp->proto_b;
	char *p;
	size_t k = 0;

	if (!rp->seen[CL_WITH] || len == 0 || len > MW_RECEIVED_TOKEN_MAX)
		return;
	p = mw_arena_alloc(rp->a, len + 1);
	if (!p)
		return;
	for (size_t j = rp->proto_b; j < rp->proto_e; j++) {
		unsigned char c = (unsigned char)rp->s[j];
		if (mw_is_space(c) || c == '\0') {
			if (k > 0 && p[k - 1] != ' ')
				p[k++] = ' ';
			continue;
		}
		p[k++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
	}
	p[k] = '\0';
	rp->out->protocol = p;
	protocol_meaning(rp, p);
}

static void finish_from(rparse *rp)
{
	mw_received *out = rp->out;
	mw_str first = strip_trailing(rp->first, ".");
	mw_str rdns = rp->rdns;
	char ip[MW_IP_TEXT_MAX] = "";
	bool first_is_ip = first.n && ip_from_word(first, ip);

	if (first_is_ip)
		memcpy(rp->word_ip, ip, sizeof ip);
	/* qmail and Exim write the resolved name first and the HELO apart. */
	if (rp->helo.n) {
		out->from_helo = keep(rp, rp->helo);
		if (!rdns.n && !first_is_ip) {
			const char *at =
				first.n ? memchr(first.p, '@', first.n) : NULL;
			rdns = at ? mw_str_make(at + 1,
						first.n -
						    (size_t)(at + 1 - first.p))
				  : first;
		}
	} else {
		out->from_helo = keep(rp, rp->first);
	}
	out->from_host = rdns.n ? keep(rp, rdns) : out->from_helo;
	if (rp->comment_ip[0])
		out->from_ip = mw_arena_strdup(rp->a, rp->comment_ip);
	else if (rp->word_ip[0])
		out->from_ip = mw_arena_strdup(rp->a, rp->word_ip);
}

/* Offset of the ';' that starts the date: the last one outside comments
 * with something after it; n when there is none. */
static size_t date_semicolon(const char *s, size_t n)
{
	size_t depth = 0, last = n, prev = n, any = n;

	for (size_t k = 0; k < n; k++) {
		char c = s[k];
		if (c == '\\' && depth) {
			k++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth)
				depth--;
		} else if (c == ';') {
			any = k;
			if (!depth) {
				prev = last;
				last = k;
			}
		}
	}
	/* A comment that never closes must not hide the date after it. */
	if (depth && any != n && (last == n || any > last)) {
		prev = last;
		last = any;
	}
	if (last < n) {
		mw_str after =
		    mw_str_trim(mw_str_make(s + last + 1, n - last - 1));
		if (after.n == 0)
			last = prev;
	}
	return last;
}

/* The date as written, without what Sendmail and PowerMTA append after
 * it ("+0900 (JST) (envelope-from x)"): the text up to the end of its
 * first comment, else up to that comment, else all of it, whichever
 * first reads as a date. */
static bool read_date(mw_str d, mw_str *used, time_t *t)
{
	const char *open = memchr(d.p, '(', d.n);
	mw_str cand[3];
	size_t nc = 0;

	if (open) {
		const char *close =
		    memchr(open, ')', d.n - (size_t)(open - d.p));
		if (close)
			cand[nc++] =
			    mw_str_make(d.p, (size_t)(close + 1 - d.p));
		cand[nc++] =
		    mw_str_trim(mw_str_make(d.p, (size_t)(open - d.p)));
	}
	cand[nc++] = d;
	for (size_t k = 0; k < nc; k++)
		if (cand[k].n && mw_date_parse(cand[k].p, cand[k].n, t)) {
			*used = cand[k];
			return true;
		}
	return false;
}

static bool parse_date(rparse *rp, const char *s, size_t n, bool keep_bad)
{
	mw_received *out = rp->out;
	mw_str d = mw_str_trim(mw_str_make(s, n)), used;
	time_t t;

	if (d.n == 0 || d.n > MW_RECEIVED_TOKEN_MAX)
		return false;
	if (read_date(d, &used, &t)) {
		out->has_date = true;
		out->date_unix = t;
		d = used;
	} else if (!keep_bad) {
		return false;
	}
	out->date = mw_arena_strndup(rp->a, d.p, d.n);
	return true;
}

/* Some MTAs forget the ';' ("id 0LvVA5 Sat, 29 Nov 2014 00:32:10 +0100"):
 * the last "Day," that starts a readable date, or n. */
static size_t date_without_semicolon(rparse *rp, const char *s, size_t n)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	size_t found = n;

	/* Only near the end: that is where the date stands. */
	size_t from = n > DATE_TAIL ? n - DATE_TAIL : 1;

	for (size_t k = from; k + 4 < n; k++) {
		if (s[k + 3] != ',' || s[k - 1] != ' ')
			continue;
		for (size_t d = 0; d < 7; d++) {
			if (memcmp(s + k, days + 3 * d, 3) != 0)
				continue;
			/* a window: a date is short, and a full-length
			 * parse at every "Mon," would be quadratic */
			size_t len = n - k < 64 ? n - k : 64;
			time_t t;
			if (mw_date_parse(s + k, len, &t))
				found = k;
		}
	}
	if (found < n && !parse_date(rp, s + found, n - found, false))
		found = n;
	return found;
}

void mw_received_parse(mw_arena *a, const char *value, size_t n,
		       mw_received *out)
{
	rparse rp;
	size_t i = 0, semi;
	mw_str tok;
	rtok_kind kind;

	memset(out, 0, sizeof *out);
	if (!value)
		return;
	semi = date_semicolon(value, n);
	memset(&rp, 0, sizeof rp);
	rp.a = a;
	rp.out = out;
	rp.s = value;
	rp.n = semi;
	if (semi < n)
		parse_date(&rp, value + semi + 1, n - semi - 1, true);
	else
		rp.n = date_without_semicolon(&rp, value, n);
	while ((kind = rtok(&rp, &i, &tok)) != RT_END) {
		if (kind == RT_WORD) {
			on_word(&rp, tok);
		} else if (kind == RT_COMMENT) {
			on_comment(&rp, tok);
		} else {
			rp.proto_open = false;
			rp.want_value = false;
			rp.cl = CL_NONE;
		}
	}
	finish_protocol(&rp);
	if (rp.seen[CL_FROM])
		finish_from(&rp);
}
