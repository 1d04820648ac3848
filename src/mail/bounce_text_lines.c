/*
 * bounce_text_lines.c - what one line of a bounce's text is: an address
 * line, a Sendmail transcript line, an RFC 3464 field, a section rule, a
 * label. Each question looks at no more than NDR_LINE_LOOK bytes.
 */
#include <string.h>

#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce_text_int.h"

mw_str ndr_look(mw_str line)
{
	if (line.n > NDR_LINE_LOOK)
		line.n = NDR_LINE_LOOK;
	/* One level of "> " quoting: a bounce forwarded by a person. Not
	 * ">>>", which is Sendmail's own transcript notation. */
	if (line.n >= 1 && line.p[0] == '>' &&
	    (line.n == 1 || line.p[1] == ' ')) {
		line.p++;
		line.n--;
	}
	return mw_str_trim(line);
}

bool ndr_is_blank(mw_str look)
{
	return look.n == 0;
}

bool ndr_is_section(mw_str look)
{
	size_t i = 0;
	if (i < look.n && look.p[i] == '|')
		i++;
	if (i + 3 > look.n)
		return false;
	char c = look.p[i];
	if (!strchr("-=*_~#", c) || c == '\0')
		return false;
	return look.p[i + 1] == c && look.p[i + 2] == c;
}

bool ndr_istarts(mw_str s, const char *lc)
{
	size_t i = 0;
	for (; lc[i]; i++)
		if (i >= s.n ||
		    mw_lower((unsigned char)s.p[i]) != (unsigned char)lc[i])
			return false;
	return true;
}

mw_str ndr_phrase(mw_str look)
{
	size_t i = 0;
	while (i < look.n) {
		unsigned char c = (unsigned char)look.p[i];
		if (mw_is_alnum(c) || c >= 0x80)
			break;
		i++;
	}
	return mw_str_make(look.p + i, look.n - i);
}

bool ndr_starts_phrase(mw_str look, const char *prefix)
{
	return ndr_istarts(ndr_phrase(look), prefix);
}

mw_str ndr_lower(mw_str look, char *buf)
{
	size_t n = look.n < NDR_LINE_LOOK ? look.n : NDR_LINE_LOOK;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)mw_lower((unsigned char)look.p[i]);
	return mw_str_make(buf, n);
}

bool ndr_has(mw_str lowered, const char *needle)
{
	/* Lines are short and needles rare: memchr for the first byte beats
	 * a general substring search's set-up cost here. */
	size_t m = strlen(needle);
	if (m == 0)
		return true;
	const char *p = lowered.p, *end = lowered.p + lowered.n;
	while ((size_t)(end - p) >= m) {
		p = memchr(p, needle[0], (size_t)(end - p) - m + 1);
		if (!p)
			return false;
		if (memcmp(p + 1, needle + 1, m - 1) == 0)
			return true;
		p++;
	}
	return false;
}

bool ndr_contains(mw_str look, const char *needle)
{
	char buf[NDR_LINE_LOOK];
	return ndr_has(ndr_lower(look, buf), needle);
}

/* -- addresses -------------------------------------------------------- */

static bool is_local_char(unsigned char c)
{
	return mw_is_alnum(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c));
}

static bool is_domain_char(unsigned char c)
{
	return mw_is_alnum(c) || c == '-' || c == '.';
}

size_t ndr_addr_at(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && i <= MW_ADDRESS_LOCAL_MAX &&
	       is_local_char((unsigned char)p[i]))
		i++;
	if (i == 0 || i >= n || p[i] != '@' || p[0] == '.')
		return 0;
	size_t d = i + 1, j = d;
	while (j < n && j - d <= MW_ADDRESS_DOMAIN_MAX &&
	       is_domain_char((unsigned char)p[j]))
		j++;
	/* A sentence's full stop or a dash after the address is not part of
	 * its domain. */
	while (j > d && (p[j - 1] == '.' || p[j - 1] == '-'))
		j--;
	if (j == d || memchr(p + d, '.', j - d) == NULL)
		return 0;
	if (!mw_address_is_valid(p, j))
		return 0;
	return j;
}

bool ndr_next_addr(mw_str look, size_t *at, mw_str *addr)
{
	while (*at < look.n) {
		const char *q = memchr(look.p + *at, '@', look.n - *at);
		if (!q)
			break;
		size_t k = (size_t)(q - look.p), s = k;
		/* In prose a '/' or '|' before the local part belongs to a
		 * path or a command ("/home/u/.cat/a@b", "|/bin/cat a@b"). */
		while (s > 0 && k - s < MW_ADDRESS_LOCAL_MAX &&
		       is_local_char((unsigned char)look.p[s - 1]) &&
		       look.p[s - 1] != '/' && look.p[s - 1] != '|')
			s--;
		while (s < k && (look.p[s] == '.' || look.p[s] == '\''))
			s++;
		size_t len = s < k ? ndr_addr_at(look.p + s, look.n - s) : 0;
		if (len) {
			*addr = mw_str_make(look.p + s, len);
			*at = s + len;
			return true;
		}
		*at = k + 1;
	}
	return false;
}

static bool skip_prefix(mw_str *s, const char *prefix)
{
	if (!ndr_istarts(*s, prefix))
		return false;
	size_t m = strlen(prefix);
	*s = mw_str_trim(mw_str_make(s->p + m, s->n - m));
	return true;
}

static bool skip_char(mw_str *s, char c)
{
	if (s->n == 0 || s->p[0] != c)
		return false;
	s->p++;
	s->n--;
	return true;
}

/* What may stand before the address on an address line: Sendmail's ">>>",
 * a bullet, a "Recipient:" label. */
static mw_str strip_line_lead(mw_str s)
{
	static const char *const labels[] = {
	    ">>>",
	    "* ",
	    "- ",
	    "recipient address:",
	    "recipient:",
	    "address:",
	    "failed recipient:",
	    "rcpt:",
	};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (skip_prefix(&s, labels[i]))
			break;
	return s;
}

/* "<a@b>" at the start of s: the address inside, s moved past it. */
static bool angle_addr(mw_str *s, mw_str *addr)
{
	if (s->n < 3 || s->p[0] != '<')
		return false;
	size_t len = ndr_addr_at(s->p + 1, s->n - 1);
	if (!len || len + 1 >= s->n || s->p[len + 1] != '>')
		return false;
	*addr = mw_str_make(s->p + 1, len);
	s->p += len + 2;
	s->n -= len + 2;
	return true;
}

bool ndr_address_line(mw_str look, mw_str *addr, mw_str *rest)
{
	mw_str s = strip_line_lead(look);
	skip_char(&s, '"');
	skip_char(&s, '<');
	skip_prefix(&s, "mailto:");
	size_t len = ndr_addr_at(s.p, s.n);
	if (!len)
		return false;
	*addr = mw_str_make(s.p, len);
	s = mw_str_make(s.p + len, s.n - len);
	skip_char(&s, '>');
	skip_char(&s, '"');
	if (s.n && (s.p[0] == ',' || s.p[0] == '\''))
		return false; /* a sentence that starts with an address */
	s = mw_str_trim(s);
	/* "name@x <real@y>": the angle address is the one that failed. */
	mw_str inner;
	mw_str t = s;
	if (angle_addr(&t, &inner)) {
		*addr = inner;
		s = mw_str_trim(t);
	}
	if (ndr_istarts(s, "<mailto:")) {
		const char *gt = memchr(s.p, '>', s.n);
		s = gt ? mw_str_make(gt + 1, s.n - (size_t)(gt + 1 - s.p))
		       : mw_str_make(s.p + s.n, 0);
		s = mw_str_trim(s);
	}
	if (!skip_prefix(&s, ":") && !skip_prefix(&s, "..."))
		if (ndr_istarts(s, "on ")) /* Exchange: "a@b on <date>" */
			s.n = 0;
	*rest = mw_str_trim(s);
	return true;
}

bool ndr_transcript_line(mw_str look, mw_str *addr, mw_str *reason)
{
	if (look.n < 8 || !mw_is_digit((unsigned char)look.p[0]) ||
	    !mw_is_digit((unsigned char)look.p[1]) ||
	    !mw_is_digit((unsigned char)look.p[2]) || look.p[3] != ' ')
		return false;
	if (look.p[0] != '4' && look.p[0] != '5')
		return false;
	mw_str s = mw_str_make(look.p + 4, look.n - 4);
	/* An optional enhanced status code before the address. */
	size_t i = 0;
	while (i < s.n && i < 12 &&
	       (mw_is_digit((unsigned char)s.p[i]) || s.p[i] == '.'))
		i++;
	if (i > 0 && i < s.n && s.p[i] == ' ')
		s = mw_str_make(s.p + i + 1, s.n - i - 1);
	bool angle = skip_char(&s, '<');
	size_t len = ndr_addr_at(s.p, s.n);
	if (!len)
		return false;
	*addr = mw_str_make(s.p, len);
	s = mw_str_make(s.p + len, s.n - len);
	if (angle && !skip_char(&s, '>'))
		return false;
	if (!ndr_istarts(s, "..."))
		return false;
	*reason = mw_str_trim(mw_str_make(s.p + 3, s.n - 3));
	return true;
}

bool ndr_dsn_field_line(mw_str look)
{
	/* Every name is under 20 bytes: no colon there, no field. */
	if (look.n < 5 || !memchr(look.p, ':', look.n < 20 ? look.n : 20))
		return false;
	static const char *const names[] = {
	    "final-recipient:",
	    "original-recipient:",
	    "action:",
	    "status:",
	    "diagnostic-code:",
	    "remote-mta:",
	    "reporting-mta:",
	    "last-attempt-date:",
	    "x-actual-recipient:",
	    "received-from-mta:",
	    "arrival-date:",
	    "will-retry-until:",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ndr_istarts(look, names[i]))
			return true;
	return false;
}

bool ndr_label_line(mw_str look)
{
	static const char *const labels[] = {
	    "from:",
	    "to:",
	    "cc:",
	    "sender:",
	    "reply-to:",
	    "return-path:",
	    "original sender:",
	    "from ",
	    "envelope-from",
	    "mail from",
	    ">>> mail from",
	    "subject:",
	};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (ndr_istarts(look, labels[i]))
			return true;
	return false;
}
