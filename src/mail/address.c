/*
 * address.c - address lists as mail software really writes them.
 *
 * A list is first split into entries at the commas and semicolons that
 * stand outside quotes, comments, domain literals and angle brackets; a
 * colon outside them ends a group name (or a "mailto:" prefix) and is
 * dropped with what precedes it. Each entry is then read on its own: an
 * angle address if it has one, else a bare addr-spec, else nothing.
 *
 * Leniency has to stay linear on hostile input. A quote, comment or
 * domain literal that never closes is taken as plain text, and after the
 * first such failure no more look-aheads of that kind are tried, so a
 * value of 100,000 '(' costs one scan, not 100,000.
 */
#include "mail/address.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/charset.h"
#include "mail/header.h"
#include "mail/address_int.h"

typedef struct lexer {
	const char *s;
	size_t n;
	bool quotes_literal;
	bool parens_literal;
	bool brackets_literal;
	bool jis_literal;
} lexer;

typedef struct span {
	size_t b, e;
} span;

static size_t jis_end(lexer *lx, size_t i);

/* Offset just past the '"' that closes the quoted string at i, or 0. */
static size_t quoted_end(lexer *lx, size_t i)
{
	if (lx->quotes_literal)
		return 0;
	for (size_t j = i + 1; j < lx->n; j++) {
		if (lx->s[j] == '\\') {
			j++;
			continue;
		}
		if (lx->s[j] == 0x1b) {
			size_t e = jis_end(lx, j);
			if (e) {
				j = e - 1;
				continue;
			}
		}
		if (lx->s[j] == '"')
			return j + 1;
	}
	lx->quotes_literal = true;
	return 0;
}

/* Offset just past the ')' that balances the '(' at i, or 0. */
static size_t comment_end(lexer *lx, size_t i)
{
	size_t depth = 0;

	if (lx->parens_literal)
		return 0;
	for (size_t j = i; j < lx->n; j++) {
		char c = lx->s[j];
		if (c == '\\') {
			j++;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && --depth == 0) {
			return j + 1;
		}
	}
	lx->parens_literal = true;
	return 0;
}

/* Offset just past the ']' of a domain literal "@[...]" at i, or 0. */
static size_t literal_end(lexer *lx, size_t i)
{
	if (lx->brackets_literal || i == 0 || lx->s[i - 1] != '@')
		return 0;
	for (size_t j = i + 1; j < lx->n; j++) {
		if (lx->s[j] == ']')
			return j + 1;
		if (lx->s[j] == '[')
			break;
	}
	lx->brackets_literal = true;
	return 0;
}

/* Offset just past a raw ISO-2022-JP run "ESC $ B ... ESC ( B" at i, or
 * 0. Japanese mailers put such names in headers unencoded, and their
 * two-byte characters are made of ASCII bytes: ';', ',', '"', '<' and '('
 * inside them are halves of kanji, not syntax. */
static size_t jis_end(lexer *lx, size_t i)
{
	if (lx->jis_literal || i + 1 >= lx->n || lx->s[i + 1] != '$')
		return 0;
	for (size_t j = i + 2; j + 2 < lx->n; j++)
		if (lx->s[j] == 0x1b && lx->s[j + 1] == '(')
			return j + 3;
	lx->jis_literal = true;
	return 0;
}

/* If a quoted string, comment, domain literal or raw ISO-2022-JP run
 * starts at i, the offset past it; else 0. */
static size_t skip_construct(lexer *lx, size_t i)
{
	switch (lx->s[i]) {
	case '"':
		return quoted_end(lx, i);
	case '(':
		return comment_end(lx, i);
	case '[':
		return literal_end(lx, i);
	case 0x1b:
		return jis_end(lx, i);
	default:
		return 0;
	}
}

static bool next_nonspace_is(const lexer *lx, size_t i, char c)
{
	while (i < lx->n && mw_is_space((unsigned char)lx->s[i]))
		i++;
	return i < lx->n && lx->s[i] == c;
}

/* The next entry of the list from *pos: its span and whether it ended at
 * a comma (so that a name cut at an unquoted comma can be joined). */
static bool next_entry(lexer *lx, size_t *pos, span *out, bool *comma)
{
	size_t i = *pos, b = *pos;
	bool in_angle = false;

	if (i >= lx->n)
		return false;
	while (i < lx->n) {
		char c = lx->s[i];
		size_t skip = skip_construct(lx, i);
		if (skip) {
			i = skip;
			continue;
		}
		if (in_angle) {
			/* A comma inside <> belongs to a source route
			 * "<@a,@b:u@c>"; any other means the '>' is missing. */
			if (c == '>')
				in_angle = false;
			else if ((c == ',' &&
				  !next_nonspace_is(lx, i + 1, '@')) ||
				 c == ';')
				break;
		} else if (c == '<') {
			in_angle = true;
		} else if (c == ',' || c == ';') {
			break;
		} else if (c == ':') {
			b = i + 1;
		}
		i++;
	}
	out->b = b;
	out->e = i;
	*comma = i < lx->n && lx->s[i] == ',';
	*pos = i < lx->n ? i + 1 : i;
	return true;
}

typedef enum tok_kind { TOK_END, TOK_WORD, TOK_COMMENT } tok_kind;

/* Words (runs without white space, quoted strings inside them kept) and
 * comments of lx->s[*i..e). */
static tok_kind next_tok(lexer *lx, size_t *i, size_t e, span *t)
{
	const char *s = lx->s;
	size_t j = *i;

	while (j < e && (mw_is_space((unsigned char)s[j]) || s[j] == '\0'))
		j++;
	if (j >= e) {
		*i = j;
		return TOK_END;
	}
	if (s[j] == '(') {
		size_t ce = comment_end(lx, j);
		if (ce && ce <= e) {
			t->b = j + 1;
			t->e = ce - 1;
			*i = ce;
			return TOK_COMMENT;
		}
	}
	t->b = j;
	while (j < e && !mw_is_space((unsigned char)s[j]) && s[j] != '\0') {
		if (s[j] == '(' && j > t->b && comment_end(lx, j))
			break;
		size_t q = s[j] == '"'	  ? quoted_end(lx, j)
			   : s[j] == 0x1b ? jis_end(lx, j)
					  : 0;
		j = q && q <= e ? q : j + 1;
	}
	t->e = j;
	*i = j;
	return TOK_WORD;
}

static bool has_inner_at(lexer *lx, span w)
{
	for (size_t j = w.b; j < w.e; j++) {
		size_t q = lx->s[j] == '"'    ? quoted_end(lx, j)
			   : lx->s[j] == 0x1b ? jis_end(lx, j)
					      : 0;
		if (q) {
			j = q - 1;
			continue;
		}
		if (lx->s[j] == '@' && j > w.b && j + 1 < w.e)
			return true;
	}
	return false;
}

typedef struct addr_text {
	char p[MW_ADDRESS_MAX + 1];
	size_t n;
	bool too_long;
} addr_text;

static void addr_append(addr_text *t, const char *p, size_t n)
{
	if (t->n + n > MW_ADDRESS_MAX) {
		t->too_long = true;
		return;
	}
	memcpy(t->p + t->n, p, n);
	t->n += n;
}

/* The words of lx->s[r.b..r.e) joined without white space or comments:
 * RFC 5322's obsolete syntax allows "john . doe @ example . com". The
 * first comment is handed back as a possible display name. */
static void join_words(lexer *lx, span r, addr_text *t, span *comment)
{
	size_t i = r.b;
	span w;
	tok_kind k;

	while ((k = next_tok(lx, &i, r.e, &w)) != TOK_END) {
		if (k == TOK_COMMENT) {
			if (comment->e == 0)
				*comment = w;
			continue;
		}
		addr_append(t, lx->s + w.b, w.e - w.b);
	}
}

bool mw_address_atext(unsigned char c)
{
	return mw_is_alnum(c) || c >= 0x80 ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool is_dot_atom(const char *p, size_t n)
{
	if (n == 0 || p[0] == '.' || p[n - 1] == '.')
		return false;
	for (size_t k = 0; k < n; k++) {
		if (p[k] == '.' ? p[k + 1] == '.'
				: !mw_address_atext((unsigned char)p[k]))
			return false;
	}
	return true;
}

static bool is_domain_char(unsigned char c)
{
	return mw_is_alnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

/* A quoted local part loses its quotes only when they change nothing:
 * "\"john\"" is john, "\"john smith\"" stays quoted. */
static char *local_part(mw_arena *a, const char *p, size_t n)
{
	if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
		char buf[MW_ADDRESS_LOCAL_MAX + 1];
		size_t k = 0;
		for (size_t j = 1; j + 1 < n && k < sizeof buf - 1; j++) {
			if (p[j] == '\\' && j + 2 < n)
				j++;
			buf[k++] = p[j];
		}
		if (is_dot_atom(buf, k))
			return mw_arena_strndup(a, buf, k);
	}
	return mw_arena_strndup(a, p, n);
}

static char *domain_part(mw_arena *a, const char *p, size_t n)
{
	char *d = mw_arena_strndup_lower(a, p, n);

	/* "[IPv6:2001:db8::1]": the tag keeps its registered spelling. */
	if (d && n > 6 && !memcmp(d, "[ipv6:", 6))
		memcpy(d + 1, "IPv6", 4);
	return d;
}

static bool valid_domain(const char *p, size_t n)
{
	if (n == 0 || n > MW_ADDRESS_DOMAIN_MAX)
		return false;
	if (p[0] == '[')
		return n > 2 && p[n - 1] == ']' && !memchr(p + 1, '[', n - 2) &&
		       !memchr(p + 1, ']', n - 2);
	if (p[0] == '.' || p[0] == '-')
		return false;
	for (size_t k = 0; k < n; k++)
		if (!is_domain_char((unsigned char)p[k]))
			return false;
	return true;
}

/* Offset of the '@' that splits local part and domain (the last one
 * outside quotes), or n. */
size_t mw_address_split_at(const char *p, size_t n)
{
	size_t at = n;
	bool quoted = false;

	for (size_t k = 0; k < n; k++) {
		if (p[k] == '\\' && quoted)
			k++;
		else if (p[k] == '"')
			quoted = !quoted;
		else if (p[k] == '@' && !quoted)
			at = k;
	}
	return at;
}

/* Fill r from an address text; false when it holds no usable address.
 * bare_ok: a local part alone is an address (it stood in <>). */
static bool finish_addr(mw_arena *a, addr_text *t, bool bare_ok, mw_address *r)
{
	const char *p = t->p;
	size_t n = t->n;

	if (t->too_long)
		return false;
	while (n > 0 && (p[0] == '<' || p[0] == '>')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == '>' || p[n - 1] == '<' || p[n - 1] == '.'))
		n--;
	if (n > 7 && mw_str_istarts(mw_str_make(p, n), "mailto:")) {
		p += 7;
		n -= 7;
	}
	/* Source route "@a,@b:user@c": keep what follows the route. */
	if (n > 0 && p[0] == '@') {
		const char *colon = memchr(p, ':', n);
		if (!colon)
			return false;
		n -= (size_t)(colon + 1 - p);
		p = colon + 1;
	}
	size_t at = mw_address_split_at(p, n);
	if (at == n) {
		if (!bare_ok || !is_dot_atom(p, n) || n > MW_ADDRESS_LOCAL_MAX)
			return false;
		r->local = mw_arena_strndup(a, p, n);
		r->domain = NULL;
		r->addr = r->local;
		return r->local != NULL;
	}
	if (at == 0 || at > MW_ADDRESS_LOCAL_MAX ||
	    !valid_domain(p + at + 1, n - at - 1))
		return false;
	if (memchr(p, '\0', n))
		return false;
	r->local = local_part(a, p, at);
	r->domain = domain_part(a, p + at + 1, n - at - 1);
	if (!r->local || !r->domain)
		return false;
	size_t ln = strlen(r->local), dn = strlen(r->domain);
	char *full = mw_arena_alloc(a, ln + dn + 2);
	if (!full)
		return false;
	memcpy(full, r->local, ln);
	full[ln] = '@';
	memcpy(full + ln + 1, r->domain, dn + 1);
	r->addr = full;
	return true;
}

/* Append the text of a phrase: quoted strings unquoted, comments dropped,
 * runs of white space made one space. */
static size_t phrase_text(lexer *lx, span r, char *out, size_t k)
{
	size_t i = r.b;
	span w;
	tok_kind kind;

	while ((kind = next_tok(lx, &i, r.e, &w)) != TOK_END) {
		if (kind == TOK_COMMENT)
			continue;
		if (k > 0 && out[k - 1] != ' ')
			out[k++] = ' ';
		for (size_t j = w.b; j < w.e; j++) {
			char c = lx->s[j];
			size_t q = c == '"' ? quoted_end(lx, j) : 0;
			size_t jis = c == 0x1b ? jis_end(lx, j) : 0;
			/* Only what lies inside this token is copied: the
			 * buffer is sized for the phrase, not the value. */
			if (q > w.e)
				q = 0;
			if (jis && jis <= w.e) {
				memcpy(out + k, lx->s + j, jis - j);
				k += jis - j;
				j = jis - 1;
				continue;
			}
			if (!q) {
				out[k++] = c == '\0' ? ' ' : c;
				continue;
			}
			for (size_t m = j + 1; m + 1 < q; m++) {
				if (lx->s[m] == '\\' && m + 2 < q)
					m++;
				out[k++] = lx->s[m] == '\0' ? ' ' : lx->s[m];
			}
			j = q - 1;
		}
	}
	return k;
}

/* The charset of a raw name that is not UTF-8. Japanese mail is what we
 * meet: ISO-2022-JP by its escapes, EUC-JP when every 8-bit byte is in
 * its range, else Shift_JIS. */

static bool needs_decoding(const char *p, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];
		if (c >= 0x80 || c == 0x1b ||
		    (c == '=' && k + 1 < n && p[k + 1] == '?'))
			return true;
	}
	return false;
}

/* The display name from the phrase before '<' (and a part cut off at an
 * unquoted comma before it, "Doe, John <jd@example.com>"), decoded. */
static const char *display_name(mw_arena *a, lexer *lx, span phrase, lexer *plx,
				span pending)
{
	size_t cap = (phrase.e - phrase.b) + (pending.e - pending.b) + 3;
	char *buf = mw_arena_alloc(a, cap);
	size_t k = 0;

	if (!buf)
		return NULL;
	if (pending.e > pending.b) {
		k = phrase_text(plx, pending, buf, 0);
		if (k > 0 && phrase.e > phrase.b) {
			buf[k++] = ',';
			buf[k++] = ' ';
		}
	}
	k = phrase_text(lx, phrase, buf, k);
	while (k > 0 && buf[k - 1] == ' ')
		k--;
	size_t start = 0;
	while (start < k && buf[start] == ' ')
		start++;
	if (start == k)
		return NULL;
	buf[k] = '\0';
	if (!needs_decoding(buf + start, k - start))
		return buf + start;
	return mw_header_decode(a, buf + start, k - start,
				mw_charset_guess_japanese(buf + start, k - start));
}

/* First top-level '<' of the entry and the '>' that closes it (or the
 * entry's end); false when there is none. */
static bool find_angle(lexer *lx, span *inner)
{
	size_t i = 0;

	while (i < lx->n) {
		size_t skip = skip_construct(lx, i);
		if (skip) {
			i = skip;
			continue;
		}
		if (lx->s[i] == '<')
			break;
		i++;
	}
	if (i >= lx->n)
		return false;
	inner->b = i + 1;
	for (i = i + 1; i < lx->n; i++) {
		size_t skip = skip_construct(lx, i);
		if (skip) {
			i = skip - 1;
			continue;
		}
		if (lx->s[i] == '>')
			break;
	}
	inner->e = i;
	return true;
}

/* An entry without '<': the one word with an '@' inside it is the
 * address and the words before it a display name; with no such word the
 * words are joined ("john . doe @ example . com"). */
static size_t read_bare(lexer *lx, addr_text *t, span *phrase, span *comment)
{
	size_t i = 0, words = 0;
	span w, found = {0, 0};
	tok_kind k;

	while ((k = next_tok(lx, &i, lx->n, &w)) != TOK_END) {
		if (k == TOK_COMMENT) {
			if (comment->e == 0)
				*comment = w;
		} else {
			words++;
			if (!found.e && has_inner_at(lx, w))
				found = w;
		}
	}
	if (found.e) {
		addr_append(t, lx->s + found.b, found.e - found.b);
		phrase->b = 0;
		phrase->e = found.b;
		return words;
	}
	join_words(lx, (span){0, lx->n}, t, comment);
	return words;
}

static void first_comment(lexer *lx, span r, span *comment)
{
	size_t i = r.b;
	span w;
	tok_kind k;

	while ((k = next_tok(lx, &i, r.e, &w)) != TOK_END)
		if (k == TOK_COMMENT) {
			*comment = w;
			return;
		}
}

typedef struct list_state {
	mw_arena *a;
	lexer *lx;
	span pending; /* an entry cut off at a comma, maybe half a name */
} list_state;

/* lone: the entry is the whole list, and a single word in it is a local
 * part ("From: MAILER-DAEMON", "Return-Path: postmaster"). */
static bool read_entry(list_state *st, span ent, bool lone, mw_address *r)
{
	lexer lx = *st->lx;
	addr_text text = {.n = 0}, *t = &text;
	span inner, phrase = {0, 0}, comment = {0, 0}, none = {0, 0};
	bool angle, ok, bare_ok;

	lx.s = st->lx->s + ent.b;
	lx.n = ent.e - ent.b;
	angle = find_angle(&lx, &inner);
	if (angle) {
		phrase.e = inner.b - 1;
		join_words(&lx, inner, t, &comment);
		/* "<jd@example.com> (John Doe)" */
		if (inner.e < lx.n && comment.e == 0)
			first_comment(&lx, (span){inner.e + 1, lx.n}, &comment);
		bare_ok = true;
	} else {
		bare_ok = read_bare(&lx, t, &phrase, &comment) == 1 && lone;
	}
	memset(r, 0, sizeof *r);
	ok = finish_addr(st->a, t, bare_ok, r);
	if (!ok)
		return false;
	if (angle && st->pending.e > st->pending.b) {
		lexer plx = *st->lx;
		r->display =
		    display_name(st->a, &lx, phrase, &plx, st->pending);
	} else if (phrase.e > phrase.b) {
		r->display = display_name(st->a, &lx, phrase, &lx, none);
	}
	if (!r->display && comment.e > comment.b)
		r->display = display_name(st->a, &lx, comment, &lx, none);
	return true;
}

static bool is_blank(const lexer *lx, span ent)
{
	for (size_t k = ent.b; k < ent.e; k++)
		if (!mw_is_space((unsigned char)lx->s[k]) && lx->s[k] != '\0')
			return false;
	return true;
}

/* Does the entry hold nothing that could make an address? Then it may be
 * the first half of "Doe, John <jd@example.com>". */
static bool is_name_fragment(const lexer *lx, span ent)
{
	return !memchr(lx->s + ent.b, '@', ent.e - ent.b) &&
	       !memchr(lx->s + ent.b, '<', ent.e - ent.b);
}

/* max: addresses kept; more gives MW_ETRUNCATED, unless stop_at_max, when
 * the caller wants only the first ones and reading on is wasted work. */
static mw_status parse_list(mw_arena *a, const char *s, size_t n, size_t max,
			    bool stop_at_max, mw_address **out, size_t *count)
{
	lexer lx = {.s = s, .n = s ? n : 0};
	list_state st = {.a = a, .lx = &lx};
	size_t pos = 0, cap = 0, have = 0;
	mw_address *v = NULL, r;
	span ent, first = {0, 0};
	size_t entries = 0;
	bool comma;
	bool refused_before = a->refused;

	*out = NULL;
	*count = 0;
	while (next_entry(&lx, &pos, &ent, &comma)) {
		if (!is_blank(&lx, ent) && ++entries == 1)
			first = ent;
		if (is_name_fragment(&lx, ent)) {
			st.pending = comma ? ent : (span){0, 0};
			continue;
		}
		bool ok = read_entry(&st, ent, false, &r);
		st.pending = (span){0, 0};
		if (!ok)
			continue;
		if (have == max) {
			*out = v;
			*count = have;
			return MW_ETRUNCATED;
		}
		if (have == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			if (ncap > max)
				ncap = max;
			mw_address *nv =
			    mw_arena_grow(a, v, cap, ncap, sizeof *v);
			if (!nv)
				break;
			v = nv;
			cap = ncap;
		}
		v[have++] = r;
		if (stop_at_max && have == max)
			break;
	}
	if (have == 0 && entries == 1 && max > 0) {
		st.pending = (span){0, 0};
		v = mw_arena_alloc(a, sizeof *v);
		if (v && read_entry(&st, first, true, v))
			have = 1;
	}
	*out = v;
	*count = have;
	return !refused_before && a->refused ? MW_ENOMEM : MW_OK;
}

mw_status mw_address_parse_list(mw_arena *a, const char *s, size_t n,
				mw_address **out, size_t *count)
{
	return parse_list(a, s, n, MW_ADDRESSES_MAX, false, out, count);
}

const mw_address *mw_address_parse_one(mw_arena *a, const char *s, size_t n)
{
	mw_address *v;
	size_t count;

	parse_list(a, s, n, 1, true, &v, &count);
	return count ? &v[0] : NULL;
}
