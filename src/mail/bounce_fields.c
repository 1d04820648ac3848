/*
 * bounce_fields.c - the machine-readable field blocks of bounces: RFC 3464
 * delivery-status groups and RFC 5965 feedback-report fields.
 *
 * The blocks are read line by line, not with the header parser, because
 * the real world bends them: blank lines inside a recipient group, no
 * blank line between groups, the per-message block missing, the fields
 * indented inside a text part by MTAs that never used MIME. A recipient
 * group ends at a blank line once it has a recipient, at a field that the
 * group already holds, or (in text) at a line that is not a field.
 */
#include <string.h>

#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce_impl.h"

typedef enum field_kind {
	FK_UNKNOWN = 0,
	FK_REPORTING_MTA,
	FK_MSG_OTHER,
	FK_FINAL_RCPT,
	FK_ORIG_RCPT,
	FK_X_ACTUAL_RCPT,
	FK_ACTION,
	FK_STATUS,
	FK_DIAGNOSTIC,
	FK_REMOTE_MTA,
	FK_RCPT_OTHER,
	FK_COUNT
} field_kind;

static const struct {
	const char *name;
	field_kind kind;
} dsn_fields[] = {
    {"Reporting-MTA", FK_REPORTING_MTA},
    {"Original-Envelope-Id", FK_MSG_OTHER},
    {"Received-From-MTA", FK_MSG_OTHER},
    {"Arrival-Date", FK_MSG_OTHER},
    {"DSN-Gateway", FK_MSG_OTHER},
    {"X-Postfix-Queue-ID", FK_MSG_OTHER},
    {"X-Postfix-Sender", FK_MSG_OTHER},
    {"Final-Recipient", FK_FINAL_RCPT},
    {"Original-Recipient", FK_ORIG_RCPT},
    {"X-Actual-Recipient", FK_X_ACTUAL_RCPT},
    {"Action", FK_ACTION},
    {"Status", FK_STATUS},
    {"Diagnostic-Code", FK_DIAGNOSTIC},
    {"Remote-MTA", FK_REMOTE_MTA},
    {"Last-Attempt-Date", FK_RCPT_OTHER},
    {"Final-Log-ID", FK_RCPT_OTHER},
    {"Will-Retry-Until", FK_RCPT_OTHER},
};

/* One "Name: value" line, or what else a line can be. */
typedef enum line_kind {
	LK_BLANK,
	LK_FIELD,
	LK_CONTINUATION,
	LK_OTHER,
} line_kind;

typedef struct field_line {
	mw_str name;
	const char *value; /* first byte of the value, after the colon */
	const char *end;   /* end of the line */
} field_line;

/* "Name:" at the start of s (after leading white space if indented):
 * the name and the value that follows; false if s is no field line. */
static bool split_field(mw_str s, bool indented, field_line *f)
{
	size_t i = 0;
	if (indented)
		while (i < s.n && mw_is_wsp((unsigned char)s.p[i]))
			i++;
	size_t start = i;
	while (i < s.n && i - start < 64) {
		unsigned char c = (unsigned char)s.p[i];
		if (!mw_is_alnum(c) && c != '-' && c != '_')
			break;
		i++;
	}
	if (i == start || !mw_is_alpha((unsigned char)s.p[start]))
		return false;
	size_t name_end = i;
	while (i < s.n && mw_is_wsp((unsigned char)s.p[i]))
		i++;
	if (i >= s.n || s.p[i] != ':')
		return false;
	f->name = mw_str_make(s.p + start, name_end - start);
	f->value = s.p + i + 1;
	f->end = s.p + s.n;
	return true;
}

static field_kind dsn_kind(mw_str name)
{
	for (size_t i = 0; i < sizeof(dsn_fields) / sizeof(dsn_fields[0]); i++)
		if (mw_str_ieq_cstr(name, dsn_fields[i].name))
			return dsn_fields[i].kind;
	return FK_UNKNOWN;
}

static bool is_blank(mw_str s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!mw_is_space((unsigned char)s.p[i]))
			return false;
	return true;
}

/* -- RFC 3464 ----------------------------------------------------------- */

typedef struct dsn_group {
	mw_str f[FK_COUNT]; /* value spans, continuation lines included */
	unsigned seen;	    /* bit per field_kind */
} dsn_group;

typedef struct dsn_reader {
	mw_arena *a;
	mwb_rcpts *set;
	mwb_fields_result *res;
	bool in_text;
	dsn_group g;
	field_kind open;      /* field continuation lines extend */
	mw_bounce_rcpt *last; /* the recipient the last group gave */
} dsn_reader;

#define HAS(g, k) (((g)->seen >> (k)) & 1u)

static bool group_has_rcpt(const dsn_group *g)
{
	return HAS(g, FK_FINAL_RCPT) || HAS(g, FK_ORIG_RCPT);
}

static bool group_has_facts(const dsn_group *g)
{
	return HAS(g, FK_ACTION) || HAS(g, FK_STATUS) || HAS(g, FK_DIAGNOSTIC);
}

/* The first word of a value, lower-cased: "failed (bad mailbox)" gives
 * "failed". */
static const char *first_word_lower(mw_arena *a, mw_str s)
{
	s = mw_str_trim(s);
	size_t i = 0;
	while (i < s.n && !mw_is_space((unsigned char)s.p[i]) &&
	       s.p[i] != '(' && s.p[i] != ';')
		i++;
	if (i == 0)
		return NULL;
	return mw_arena_strndup_lower(a, s.p, i);
}

/* The host of "dns; mx.example.com (comment)". */
static const char *mta_name(mw_arena *a, mw_str s)
{
	s = mwb_strip_type(s);
	size_t i = 0;
	while (i < s.n && !mw_is_space((unsigned char)s.p[i]) && s.p[i] != '(')
		i++;
	while (i > 0 && (s.p[i - 1] == '.' || s.p[i - 1] == ';'))
		i--;
	if (i == 0)
		return NULL;
	return mw_arena_strndup_lower(a, s.p, i);
}

static void group_fill(dsn_reader *r, mw_bounce_rcpt *t)
{
	const dsn_group *g = &r->g;
	memset(t, 0, sizeof(*t));
	if (HAS(g, FK_ACTION))
		t->action = first_word_lower(r->a, g->f[FK_ACTION]);
	if (HAS(g, FK_STATUS))
		t->status =
		    mwb_status_find(r->a, g->f[FK_STATUS].p, g->f[FK_STATUS].n);
	if (HAS(g, FK_DIAGNOSTIC)) {
		mw_str d = mwb_strip_type(g->f[FK_DIAGNOSTIC]);
		t->diagnostic = mwb_text_fold(r->a, d.p, d.n,
					      MW_BOUNCE_DIAGNOSTIC_MAX, NULL);
	}
	mwb_rcpt_codes_from_diagnostic(r->a, t);
}

/* Final-Recipient, unless it is no real address ("user@server", a
 * source route) and Original-Recipient or X-Actual-Recipient is. */
static const char *group_address(dsn_reader *r)
{
	static const field_kind order[] = {FK_FINAL_RCPT, FK_ORIG_RCPT,
					   FK_X_ACTUAL_RCPT};
	const char *first = NULL;
	for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++) {
		if (!HAS(&r->g, order[i]))
			continue;
		const char *addr =
		    mwb_addr_norm(r->a, r->g.f[order[i]].p, r->g.f[order[i]].n);
		if (!addr)
			continue;
		if (mw_address_is_valid(addr, strlen(addr)))
			return addr;
		if (!first)
			first = addr;
	}
	return first;
}

static void group_flush(dsn_reader *r)
{
	dsn_group *g = &r->g;
	if (!g->seen)
		return;
	mw_bounce_rcpt t;
	if (!group_has_rcpt(g)) {
		/* Facts cut from their recipient by a stray blank line. */
		if (r->last && group_has_facts(g)) {
			group_fill(r, &t);
			mwb_rcpt_merge(r->last, &t);
		}
		memset(g, 0, sizeof(*g));
		return;
	}
	if (r->in_text && !group_has_facts(g)) {
		memset(g, 0, sizeof(*g));
		return;
	}
	mw_bounce_rcpt *rc = NULL;
	const char *addr = group_address(r);
	if (addr && !r->set->full && !r->set->nomem)
		rc = mwb_rcpt_add_addr(r->a, r->set, addr);
	if (rc) {
		group_fill(r, &t);
		mwb_rcpt_merge(rc, &t);
		r->res->groups++;
		r->last = rc;
	}
	if (r->set->full)
		r->res->limited = true;
	memset(g, 0, sizeof(*g));
}

static bool is_rcpt_field(field_kind k)
{
	return k >= FK_FINAL_RCPT && k <= FK_RCPT_OTHER;
}

static void dsn_field(dsn_reader *r, field_kind k, const field_line *f)
{
	dsn_group *g = &r->g;
	mw_str v = mw_str_make(f->value, (size_t)(f->end - f->value));
	if (k == FK_REPORTING_MTA) {
		if (group_has_rcpt(g))
			group_flush(r);
		if (!r->res->reporting_mta)
			r->res->reporting_mta = mta_name(r->a, v);
		r->open = FK_UNKNOWN;
		return;
	}
	if (!is_rcpt_field(k)) {
		r->open = FK_UNKNOWN;
		return;
	}
	if (k != FK_RCPT_OTHER && HAS(g, k))
		group_flush(r);
	g->f[k] = v;
	g->seen |= 1u << k;
	r->open = k;
}

static void dsn_continue(dsn_reader *r, mw_str line)
{
	if (r->open == FK_UNKNOWN || r->open == FK_RCPT_OTHER)
		return;
	mw_str *v = &r->g.f[r->open];
	/* The span runs on to the end of this line; folding later turns the
	 * line breaks and indentation into single spaces. */
	v->n = (size_t)(line.p + line.n - v->p);
}

/* "> > Final-Recipient: ..." in a forwarded bounce: the marks go, the
 * indentation after them stays. */
static mw_str strip_quote_marks(mw_str line)
{
	size_t i = 0, cut = 0;
	while (i < line.n && i < 32) {
		if (line.p[i] == '>') {
			cut = ++i;
			if (i < line.n && line.p[i] == ' ')
				cut = ++i;
		} else if (mw_is_wsp((unsigned char)line.p[i])) {
			i++;
		} else {
			break;
		}
	}
	return mw_str_make(line.p + cut, line.n - cut);
}

void mwb_dsn_read(mw_arena *a, const char *text, size_t n, bool in_text,
		  mwb_rcpts *set, mwb_fields_result *res)
{
	dsn_reader r = {.a = a, .set = set, .res = res, .in_text = in_text};
	mw_str t = mw_str_make(text, n);
	size_t pos = 0;
	mw_str line;
	while (mw_line_next(t, &pos, &line)) {
		if (set->full || set->nomem) {
			res->limited = true;
			return;
		}
		if (in_text)
			line = strip_quote_marks(line);
		if (is_blank(line)) {
			r.open = FK_UNKNOWN;
			if (group_has_rcpt(&r.g))
				group_flush(&r);
			continue;
		}
		bool starts_wsp = mw_is_wsp((unsigned char)line.p[0]);
		field_line f;
		if (split_field(line, in_text, &f)) {
			field_kind k = dsn_kind(f.name);
			if (k != FK_UNKNOWN || (!in_text && !starts_wsp)) {
				dsn_field(&r, k, &f);
				continue;
			}
		}
		if (starts_wsp && r.open != FK_UNKNOWN) {
			dsn_continue(&r, line);
			continue;
		}
		/* Not a field: in a text it ends the block around it. */
		r.open = FK_UNKNOWN;
		if (in_text && group_has_rcpt(&r.g))
			group_flush(&r);
	}
	group_flush(&r);
}

/* -- RFC 5965 ----------------------------------------------------------- */

static const char *field_value(mw_arena *a, const field_line *f)
{
	mw_str v =
	    mw_str_trim(mw_str_make(f->value, (size_t)(f->end - f->value)));
	return v.n ? mw_arena_strndup(a, v.p, v.n) : NULL;
}

void mwb_arf_read(mw_arena *a, const char *text, size_t n, mwb_rcpts *set,
		  mwb_arf *out)
{
	mw_str t = mw_str_make(text, n);
	size_t pos = 0;
	mw_str line;
	while (mw_line_next(t, &pos, &line) && !set->full && !set->nomem) {
		field_line f;
		if (!split_field(line, false, &f))
			continue;
		mw_str v = mw_str_make(f.value, (size_t)(f.end - f.value));
		if (mw_str_ieq_cstr(f.name, "Original-Rcpt-To") ||
		    mw_str_ieq_cstr(f.name, "Removal-Recipient"))
			(void)mwb_rcpt_add(a, set, v.p, v.n);
		else if (mw_str_ieq_cstr(f.name, "Feedback-Type") &&
			 !out->feedback_type)
			out->feedback_type = first_word_lower(a, v);
		else if (mw_str_ieq_cstr(f.name, "Reporting-MTA") &&
			 !out->reporting_mta)
			out->reporting_mta = mta_name(a, v);
		else if (mw_str_ieq_cstr(f.name, "Source-IP") &&
			 !out->source_ip)
			out->source_ip = field_value(a, &f);
	}
}
