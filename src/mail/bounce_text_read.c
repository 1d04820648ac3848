/*
 * bounce_text_read.c - reading the failed recipients out of a bounce's
 * report, line by line.
 *
 * One forward pass recognises the shapes every engine is built from:
 *   - an address line opening a block whose following lines, up to a few
 *     paragraphs or the next structural line, are its diagnostic (qmail,
 *     Exim, Postfix, Gmail, Yahoo, Exchange, Office 365, OpenSMTPD, GMX,
 *     Domino, m-FILTER, the Japanese carriers ...); when nothing follows,
 *     the paragraph before it is the reason (Notes, EZweb);
 *   - Sendmail transcript lines "550 <a@b>... User unknown", with the
 *     remote's "<<< 550 ..." reply before them;
 *   - RFC 3464 fields written into the text rather than sent as a
 *     message/delivery-status part (Amazon WorkMail, old Sendmail,
 *     bounces forwarded by hand with "> " quoting).
 * A second pass, used only when the first found nobody, takes the
 * addresses mentioned in the prose ("There was an error delivering your
 * mail to <a@b>.", "Unknown user: a@b").
 */
#include <stdint.h>
#include <string.h>

#include "lib/str.h"
#include "mail/bounce_text_int.h"

/* Paragraphs of text after an address line still read as its diagnostic
 * while none of them has given an SMTP code (Gmail puts the address, the
 * explanation and the remote's reply in three paragraphs). */
#define NDR_BLOCK_PARAGRAPHS 3
/* Lines read after a mentioned address: the main pass does not move past
 * them, so this bound keeps a text of repeated mentions linear. */
#define NDR_MENTION_LINES 16

static bool structural(mw_str look)
{
	mw_str a, r;
	return ndr_address_line(look, &a, &r) ||
	       ndr_transcript_line(look, &a, &r) || ndr_dsn_field_line(look);
}

/* The lines text[from .. to) as a diagnostic: the paragraph just before
 * an address line that had nothing after it. */
static void diag_from_span(ndr_diag *d, mw_str text, size_t from, size_t to)
{
	mw_str span = mw_str_make(text.p + from, to - from), line;
	size_t pos = 0;
	while (mw_line_next(span, &pos, &line)) {
		mw_str look = ndr_look(line);
		if (!ndr_is_section(look))
			ndr_diag_add(d, look);
	}
}

/* The lines after an address: up to NDR_BLOCK_PARAGRAPHS paragraphs, ending
 * early after a paragraph that gave an SMTP code, and before any line that
 * starts something else. Returns where reading stopped. */
static size_t collect_block(mw_str rep, size_t p, ndr_diag *d, bool in_para,
			    size_t max_lines)
{
	int paras = 0;
	size_t before;
	mw_str line;
	for (size_t k = 0; k < max_lines; k++) {
		before = p;
		if (!mw_line_next(rep, &p, &line))
			break;
		mw_str look = ndr_look(line);
		if (ndr_is_blank(look) || ndr_is_section(look)) {
			if (!in_para)
				continue;
			in_para = false;
			if (++paras >= NDR_BLOCK_PARAGRAPHS ||
			    ndr_diag_has_code(d))
				break;
			continue;
		}
		if (structural(look)) {
			p = before;
			break;
		}
		ndr_diag_add(d, look);
		in_para = true;
	}
	return p;
}

static void read_block(ndr_scan *s, mw_str rep, size_t *pos, mw_str addr,
		       mw_str rest, size_t para_start, size_t line_start)
{
	ndr_diag d;
	ndr_diag_init(&d);
	ndr_diag_add(&d, rest);
	*pos = collect_block(rep, *pos, &d, rest.n > 0, SIZE_MAX);
	if (d.n == 0 && para_start < line_start)
		diag_from_span(&d, rep, para_start, line_start);
	/* The sender's own address on a line of its own ("A message sent by
	 * <a@b> could not be delivered") is a failure only when an SMTP code
	 * says so (a copy edited so that sender and recipient are one). */
	if (ndr_is_excluded(s, addr) && !ndr_diag_has_code(&d))
		return;
	ndr_add(s, addr, &d, NULL, NULL, NDR_RANK_LINE);
}

/* "554 <a@b>... 550 Host unknown": the remote's own reply ("<<< 550 ...")
 * when one came before, then the reason; the whole line when neither
 * carries a code. */
static void read_transcript(ndr_scan *s, mw_str look, mw_str addr,
			    mw_str reason, mw_str *pending)
{
	ndr_diag d;
	ndr_diag_init(&d);
	if (pending->n)
		ndr_diag_add(&d, *pending);
	ndr_diag_add(&d, reason);
	if (!ndr_diag_has_code(&d)) {
		ndr_diag_init(&d);
		ndr_diag_add(&d, look);
		if (pending->n)
			ndr_diag_add(&d, *pending);
	}
	*pending = mw_str_make(NULL, 0);
	/* "553 <sender@x>... Domain of sender address does not exist" is
	 * about the sender, not a recipient. */
	if (!ndr_is_excluded(s, addr))
		ndr_add(s, addr, &d, NULL, NULL, NDR_RANK_LINE);
}

/* -- RFC 3464 fields in the text --------------------------------------- */

typedef struct dsn_group {
	bool open;
	bool in_diag; /* continuation lines belong to Diagnostic-Code */
	mw_str final, original, status, action;
	ndr_diag diag;
} dsn_group;

static mw_str field_value(mw_str look)
{
	const char *colon = memchr(look.p, ':', look.n);
	if (!colon)
		return mw_str_make(look.p + look.n, 0);
	size_t k = (size_t)(colon + 1 - look.p);
	return mw_str_trim(mw_str_make(look.p + k, look.n - k));
}

/* "rfc822; a@b", "dns; mx.example.jp", "smtp; 550 ...": the part after
 * the type. */
static mw_str after_type(mw_str v)
{
	const char *semi = memchr(v.p, ';', v.n);
	if (!semi)
		return v;
	size_t k = (size_t)(semi + 1 - v.p);
	return mw_str_trim(mw_str_make(v.p + k, v.n - k));
}

static mw_str bare_address(mw_str v)
{
	v = after_type(v);
	if (v.n && v.p[0] == '<') {
		v.p++;
		v.n--;
	}
	size_t len = ndr_addr_at(v.p, v.n);
	return mw_str_make(v.p, len);
}

static char *token_copy(mw_arena *a, mw_str v, size_t max)
{
	size_t i = 0;
	while (i < v.n && i < max && !mw_is_space((unsigned char)v.p[i]) &&
	       v.p[i] != ';' && v.p[i] != '(')
		i++;
	return i ? mw_arena_strndup(a, v.p, i) : NULL;
}

static void group_field(ndr_scan *s, dsn_group *g, mw_str look)
{
	mw_str v = field_value(look);
	if (!g->open) {
		memset(g, 0, offsetof(dsn_group, diag));
		ndr_diag_init(&g->diag);
		g->open = true;
	}
	g->in_diag = false;
	if (ndr_istarts(look, "final-recipient:"))
		g->final = bare_address(v);
	else if (ndr_istarts(look, "original-recipient:"))
		g->original = bare_address(v);
	else if (ndr_istarts(look, "status:"))
		g->status = v;
	else if (ndr_istarts(look, "action:"))
		g->action = v;
	else if (ndr_istarts(look, "diagnostic-code:")) {
		ndr_diag_add(&g->diag, after_type(v));
		g->in_diag = true;
	} else if (ndr_istarts(look, "reporting-mta:") && !s->reporting_mta) {
		mw_str host = after_type(v);
		if (host.n && host.p[0] == '<') {
			host.p++;
			host.n--;
		}
		s->reporting_mta = token_copy(s->a, host, 255);
	}
}

static void group_flush(ndr_scan *s, dsn_group *g)
{
	if (!g->open)
		return;
	g->open = false;
	mw_str addr = g->final.n ? g->final : g->original;
	if (!addr.n)
		return;
	char status[16] = "", action[16] = "";
	size_t i = 0;
	while (i < g->status.n && i < 15 &&
	       (mw_is_digit((unsigned char)g->status.p[i]) ||
		g->status.p[i] == '.'))
		i++;
	if (i >= 5)
		memcpy(status, g->status.p, i);
	status[i >= 5 ? i : 0] = '\0';
	for (i = 0; i < g->action.n && i < 15 &&
		    mw_is_alpha((unsigned char)g->action.p[i]);
	     i++)
		action[i] = (char)mw_lower((unsigned char)g->action.p[i]);
	action[i] = '\0';
	ndr_add(s, addr, &g->diag, status[0] ? status : NULL,
		action[0] ? action : NULL, NDR_RANK_FIELDS);
}

/* -- the pass ---------------------------------------------------------- */

typedef struct line_state {
	size_t para_start;
	bool para_open;
	mw_str pending; /* the last "<<< reply" of a Sendmail transcript */
} line_state;

static void read_one(ndr_scan *s, mw_str rep, size_t *pos, mw_str line,
		     line_state *st)
{
	size_t line_start = (size_t)(line.p - rep.p);
	mw_str look = ndr_look(line), addr, rest;
	if (!st->para_open) {
		st->para_start = line_start;
		st->para_open = true;
	}
	if (ndr_address_line(look, &addr, &rest)) {
		read_block(s, rep, pos, addr, rest, st->para_start, line_start);
		st->para_open = false;
		return;
	}
	if (ndr_transcript_line(look, &addr, &rest)) {
		read_transcript(s, look, addr, rest, &st->pending);
		return;
	}
	if (ndr_istarts(look, "<<<") || ndr_istarts(look, "received >>>"))
		st->pending = mw_str_trim(mw_str_make(look.p + 3, look.n - 3));
	else if (ndr_starts_phrase(look, "while talking to"))
		st->pending = mw_str_make(NULL, 0);
}

void ndr_read_lines(ndr_scan *s)
{
	mw_str rep = mw_str_make(s->text.p, s->report_end), line;
	size_t pos = 0;
	line_state st = {0, false, {NULL, 0}};
	dsn_group *g = mw_arena_alloc(s->a, sizeof *g);
	if (!g)
		return;
	while (!s->full && mw_line_next(rep, &pos, &line)) {
		mw_str look = ndr_look(line);
		/* A folded field line, also under "> " quoting. */
		mw_str raw = line;
		if (raw.n >= 2 && raw.p[0] == '>' && raw.p[1] == ' ')
			raw = mw_str_make(raw.p + 2, raw.n - 2);
		bool cont = raw.n && mw_is_wsp((unsigned char)raw.p[0]);
		if (g->open && g->in_diag && cont && look.n) {
			ndr_diag_add(&g->diag, look);
			continue;
		}
		if (ndr_dsn_field_line(look)) {
			group_field(s, g, look);
			continue;
		}
		group_flush(s, g);
		if (ndr_is_blank(look) || ndr_is_section(look)) {
			st.para_open = false;
			continue;
		}
		read_one(s, rep, &pos, line, &st);
	}
	group_flush(s, g);
}

/* -- mentions ---------------------------------------------------------- */

/* The line that mentions the address and the block after it ("There was
 * an error delivering your mail to <a@b>." then the remote's reply). */
static void mention_diag(ndr_diag *d, mw_str rep, size_t pos, mw_str look)
{
	ndr_diag_add(d, look);
	(void)collect_block(rep, pos, d, true, NDR_MENTION_LINES);
}

void ndr_read_mentions(ndr_scan *s)
{
	mw_str rep = mw_str_make(s->text.p, s->report_end), line;
	size_t pos = 0;
	while (!s->full && mw_line_next(rep, &pos, &line)) {
		mw_str look = ndr_look(line), addr;
		if (ndr_label_line(look))
			continue;
		size_t at = 0;
		while (!s->full && ndr_next_addr(look, &at, &addr)) {
			if (ndr_is_excluded(s, addr))
				continue;
			ndr_diag d;
			ndr_diag_init(&d);
			mention_diag(&d, rep, pos, look);
			ndr_add(s, addr, &d, NULL, NULL, NDR_RANK_MENTION);
		}
	}
}
