/*
 * bounce_text.c - mw_ndr_scan(): bounces written for people.
 *
 * The text is cut in two: the report, and the quoted original that follows
 * a marker such as "--- Below this line is a copy of the message." (or, for
 * engines that use no marker, the first "Received:" or "Return-Path:" field
 * standing at the start of a line). Recipients are read from the report
 * only, so that the original's own To and Cc are never taken for failures.
 * Which engine wrote the report, whether it reports a delay and which host
 * it names come from its first lines; the recipients from the line readings
 * of bounce_text_read.c; X-Failed-Recipients in the bounce's header, when
 * present, is the authoritative list.
 */
#include <string.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "lib/str.h"
#include "mail/address.h"
#include "mail/bounce_text_int.h"

/* Lines at the top of the report searched for the engine's greeting, a
 * delay notice and the reporting host: every engine says who it is in its
 * first screenful. */
#define NDR_HEAD_LINES 80

/* Lines after a marker searched for the first field of the original:
 * markers are followed by a blank line or a rule at most. */
#define NDR_MARKER_GAP 6

/* Fields of the quoted original read for its sender (to exclude it) and
 * its To (the last resort for the recipient). */
#define NDR_ORIGINAL_FIELDS 200

/* -- the quoted original ------------------------------------------------ */

static const char *const original_markers[] = {
    "below this line is a copy of the message",
    "this is a copy of the message",
    "this is a copy of your message",
    "original message",
    "original mail",
    "unsent message follows",
    "message headers follow",
    "below is a copy of the original message",
    "returned message",
    "the header of the original message",
    "included is a copy of the message header",
    "enclosed is a copy of the message",
    "message text follows",
    "intestazioni originali del messaggio",
    "en-t\xc3\xaates de message d'origine",
};

static bool is_original_marker(mw_str look)
{
	if (look.n < 8)
		return false;
	mw_str ph = ndr_phrase(look);
	for (size_t i = 0;
	     i < sizeof original_markers / sizeof original_markers[0]; i++)
		if (ndr_istarts(ph, original_markers[i]))
			return true;
	return false;
}

/* "Name: value" at the very start of a line. */
static bool is_field_line(mw_str line)
{
	size_t i = 0;
	while (i < line.n && i < 80 &&
	       (mw_is_alnum((unsigned char)line.p[i]) || line.p[i] == '-'))
		i++;
	return i >= 2 && i < line.n && line.p[i] == ':';
}

/* An original quoted with no marker before it starts with its trace. */
static bool is_unmarked_original(mw_str line)
{
	return ndr_istarts(line, "received: from") ||
	       ndr_istarts(line, "received:from") ||
	       ndr_istarts(line, "return-path:");
}

/* The first field line within a few lines after a marker, or -1. */
static long field_after_marker(mw_str text, size_t pos)
{
	mw_str line;
	for (int k = 0; k < NDR_MARKER_GAP && mw_line_next(text, &pos, &line);
	     k++) {
		mw_str look = mw_str_trim(line);
		if (look.n == 0 || ndr_is_section(look) ||
		    ndr_istarts(line, "from "))
			continue;
		if (is_field_line(line))
			return (long)(line.p - text.p);
		return -1;
	}
	return -1;
}

static void find_original(ndr_scan *s, long *original_offset)
{
	mw_str line;
	size_t pos = 0;
	*original_offset = -1;
	s->report_end = s->text.n;
	while (mw_line_next(s->text, &pos, &line)) {
		size_t start = (size_t)(line.p - s->text.p);
		mw_str look = ndr_look(line);
		if (is_original_marker(look)) {
			s->report_end = start;
			*original_offset = field_after_marker(s->text, pos);
			return;
		}
		if (is_unmarked_original(line)) {
			s->report_end = start;
			*original_offset = (long)start;
			return;
		}
	}
}

/* The original's From, Sender and Return-Path are the sender, not failed
 * recipients; its To is kept for the last resort. */
static mw_str read_original_fields(ndr_scan *s, long offset)
{
	mw_str to = {NULL, 0}, line;
	if (offset < 0)
		return to;
	size_t pos = (size_t)offset;
	for (int k = 0;
	     k < NDR_ORIGINAL_FIELDS && mw_line_next(s->text, &pos, &line);
	     k++) {
		if (line.n == 0)
			break;
		mw_str look = ndr_look(line), addr;
		size_t at = 0;
		if (ndr_istarts(look, "to:")) {
			if (!to.n && ndr_next_addr(look, &at, &addr))
				to = addr;
		} else if (ndr_istarts(look, "from:") ||
			   ndr_istarts(look, "sender:") ||
			   ndr_istarts(look, "return-path:")) {
			if (ndr_next_addr(look, &at, &addr))
				ndr_exclude(s, addr.p, addr.n);
		}
	}
	return to;
}

/* -- the bounce's own header ------------------------------------------- */

static void exclude_header(ndr_scan *s, const mw_headers *h, const char *name)
{
	const char *v = h ? mw_headers_get(h, name) : NULL;
	if (!v)
		return;
	mw_str look = mw_str_make(v, strlen(v)), addr;
	if (look.n > NDR_LINE_LOOK)
		look.n = NDR_LINE_LOOK;
	size_t at = 0;
	if (ndr_next_addr(look, &at, &addr))
		ndr_exclude(s, addr.p, addr.n);
}

static bool header_has(const mw_headers *h, const char *name,
		       const char *const *words, size_t nwords)
{
	const char *v = h ? mw_headers_get(h, name) : NULL;
	if (!v)
		return false;
	mw_str look = mw_str_make(v, strlen(v));
	if (look.n > NDR_LINE_LOOK)
		look.n = NDR_LINE_LOOK;
	for (size_t i = 0; i < nwords; i++)
		if (ndr_contains(look, words[i]))
			return true;
	return false;
}

/* Does the bounce's header say it is a bounce? Free text is read for
 * recipients only then, or when an engine's greeting is recognised, so
 * that an ordinary letter with an address at the start of a line is not
 * taken for a failure. */
static bool header_says_bounce(const mw_headers *h)
{
	static const char *const senders[] = {
	    "mailer-daemon", "postmaster", "mail delivery", "mailer_daemon",
	    "post_master",   "mmsc",	   "mail.delivery",
	};
	static const char *const subjects[] = {
	    "undeliver",
	    "returned mail",
	    "failure",
	    "failed",
	    "delivery status",
	    "not delivered",
	    "delivery notification",
	    "mail system error",
	    "unzustellbar",
	    "non remis",
	    "delivery problem",
	    "error sending",
	    "failed delivery",
	    "non-delivery",
	};
	if (!h)
		return false;
	if (mw_headers_get(h, "X-Failed-Recipients"))
		return true;
	const char *rp = mw_headers_get(h, "Return-Path");
	if (rp && (strcmp(rp, "<>") == 0 || rp[0] == '\0'))
		return true;
	return header_has(h, "From", senders,
			  sizeof senders / sizeof *senders) ||
	       header_has(h, "Subject", subjects,
			  sizeof subjects / sizeof *subjects);
}

/* -- the report's first lines ----------------------------------------- */

typedef struct engine_marker {
	const char *phrase;
	const char *engine;
} engine_marker;

static const engine_marker engines[] = {
    {"hi. this is the qmail-send program", "qmail"},
    {"this is the qmail-send program", "qmail"},
    {"this is the postfix program", "postfix"},
    {"this is the mail system at host", "postfix"},
    {"this message was created automatically by mail delivery software",
     "exim"},
    {"a message that you sent could not be delivered", "exim"},
    {"a message that you sent has not yet been delivered", "exim"},
    {"a message that you sent contained one or more recipient", "exim"},
    {"the following addresses had", "sendmail"},
    {"transcript of session follows", "sendmail"},
    {"the original message was received at", "sendmail"},
    {"delivery to the following recipient", "gmail"},
    {"delivery has failed to these recipients or groups", "office365"},
    {"your message did not reach some or all of the intended", "exchange"},
    {"did not reach the following recipient", "exchange"},
    {"sorry, we were unable to deliver your message", "yahoo"},
    {"this is the dragonfly mail agent", "dragonfly"},
    {"this is the mailer-daemon, please do not reply", "opensmtpd"},
    {"an error has occurred while attempting to deliver a message",
     "opensmtpd"},
    {"failure reasons", "notes"},
    {"was not delivered to:", "domino"},
    {"each of the following recipients was rejected", "ezweb"},
    {"the following recipients did not receive this message", "ezweb"},
    {"the user(s) account is disabled", "ezweb"},
    {"your mail sent on:", "kddi"},
    {"could not be delivered to:", "kddi"},
    {"non-delivered information", "biglobe"},
    {"this is the courier mail server", "courier"},
    {"message from interscan messaging security suite", "interscanmss"},
    {"sent <<< rcpt to:", "interscanmss"},
    {"\xe3\x81\x93\xe3\x81\xae\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x81"
     "\xaf\xe3\x80\x8cm-filter",
     "mfilter"},
    {"unable to deliver message to the following address", "generic"},
    {"unable to deliver message to:", "mailfoundry"},
    {"we had trouble delivering your message", "generic"},
    {"an error occurred while trying to deliver the mail", "amazonworkmail"},
    {"message could not be delivered to mobile", "verizon"},
    {"you are not a member of this mailing list", "fml"},
    {"duplicated message-id in", "fml"},
    {"delivery failed for the following reason", "mailfoundry"},
    {"your mail message to the following address(es) could not be", "generic"},
    {"we're writing to let you know that the group", "googlegroups"},
};

static const char *const delay_phrases[] = {
    "has been delayed",
    "will be retried",
    "warning message only",
    "not yet been delivered",
    "delivery attempts will continue",
    "is delayed",
    "was not delivered within",
};

static const char *match_engine(mw_str look)
{
	mw_str ph = ndr_phrase(look);
	for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
		if (ndr_istarts(ph, engines[i].phrase))
			return engines[i].engine;
	return NULL;
}

/* A host name at the start of h ("mx.example.jp." gives mx.example.jp). */
static const char *host_token(mw_arena *a, mw_str h)
{
	if (ndr_istarts(h, "host "))
		h = mw_str_make(h.p + 5, h.n - 5);
	size_t i = 0;
	while (i < h.n && i < 255 &&
	       (mw_is_alnum((unsigned char)h.p[i]) || h.p[i] == '.' ||
		h.p[i] == '-'))
		i++;
	while (i > 0 && h.p[i - 1] == '.')
		i--;
	if (i < 3 || !memchr(h.p, '.', i))
		return NULL;
	return mw_arena_strndup_lower(a, h.p, i);
}

/* "This is the qmail-send program at mx.example.jp." and its kin: the
 * host after the last " at ". */
static const char *host_after_at(mw_arena *a, mw_str look)
{
	size_t k = look.n;
	while (k >= 4 && !(look.p[k - 4] == ' ' &&
			   mw_lower((unsigned char)look.p[k - 3]) == 'a' &&
			   mw_lower((unsigned char)look.p[k - 2]) == 't' &&
			   look.p[k - 1] == ' '))
		k--;
	if (k < 4)
		return NULL;
	return host_token(a, mw_str_make(look.p + k, look.n - k));
}

static void read_head(ndr_scan *s, const char **engine)
{
	mw_str rep = mw_str_make(s->text.p, s->report_end), line;
	size_t pos = 0;
	for (int k = 0; k < NDR_HEAD_LINES && mw_line_next(rep, &pos, &line);
	     k++) {
		mw_str look = ndr_look(line);
		if (look.n == 0)
			continue;
		if (!*engine)
			*engine = match_engine(look);
		char buf[NDR_LINE_LOOK];
		mw_str low = ndr_lower(look, buf);
		for (size_t i = 0; !s->delayed && i < sizeof delay_phrases /
							  sizeof *delay_phrases;
		     i++)
			s->delayed = ndr_has(low, delay_phrases[i]);
		if (!s->reporting_mta && ndr_has(low, "this is the "))
			s->reporting_mta = host_after_at(s->a, look);
		if (!s->reporting_mta &&
		    ndr_istarts(look, "generating server:")) {
			mw_str v = mw_str_make(look.p + 18, look.n - 18);
			s->reporting_mta = host_token(s->a, mw_str_trim(v));
		}
	}
}

static bool subject_says_delay(const mw_headers *h)
{
	static const char *const words[] = {"(delay)", "delayed", "warning:"};
	return header_has(h, "Subject", words, sizeof words / sizeof *words);
}

/* -- X-Failed-Recipients and the last resort ---------------------------- */

/* Exim, Gmail and Mail.ru name the failed recipients in the header. The
 * text is preferred when it names them (the two disagree only in edited
 * copies), but when its layout hid them (Exim's "pipe to |command",
 * Google Groups' prose) the header's list is taken, each address borrowing
 * the diagnostic of the text's only recipient if it had one. */
static void apply_failed_header(ndr_scan *s, const mw_headers *h)
{
	mw_bounce_rcpt *list = NULL;
	size_t n = 0, i = 0;
	const mw_header_field *f;
	for (size_t k = 0; k < s->nrcpt; k++)
		if (s->rank[k] > NDR_RANK_MENTION)
			return;
	while (h && (f = mw_headers_next(h, "X-Failed-Recipients", &i))) {
		mw_address *addrs = NULL;
		size_t count = 0;
		mw_address_parse_list(s->a, f->value, f->value_len, &addrs,
				      &count);
		for (size_t j = 0; j < count && n < MW_BOUNCE_RECIPIENTS_MAX;
		     j++) {
			if (!addrs[j].domain)
				continue;
			if (!list)
				list = mw_arena_calloc(s->a,
						       MW_BOUNCE_RECIPIENTS_MAX,
						       sizeof *list);
			if (!list)
				return;
			mw_str a = mw_str_from_cstr(addrs[j].addr);
			bool dup = false;
			for (size_t k = 0; k < n && !dup; k++)
				dup = mw_str_ieq_cstr(a, list[k].address);
			if (dup)
				continue;
			mw_bounce_rcpt r = {.address = addrs[j].addr};
			if (s->nrcpt == 1) {
				r = s->rcpt[0];
				r.address = addrs[j].addr;
			}
			list[n++] = r;
		}
	}
	if (!n)
		return;
	memcpy(s->rcpt, list, n * sizeof *list);
	s->nrcpt = n;
}

static void original_to_fallback(ndr_scan *s, mw_str to)
{
	if (s->nrcpt || !to.n)
		return;
	ndr_add(s, to, NULL, NULL, NULL, NDR_RANK_MENTION);
}

/* -- the entry point -------------------------------------------------- */

void mw_ndr_scan(mw_arena *a, const mw_headers *bounce_headers,
		 const char *text, size_t n, mw_ndr *out)
{
	memset(out, 0, sizeof *out);
	out->original_offset = -1;
	if (!text)
		n = 0;
	if (n > MW_BOUNCE_TEXT_MAX)
		n = MW_BOUNCE_TEXT_MAX;

	ndr_scan s;
	memset(&s, 0, sizeof s);
	s.a = a;
	s.text = mw_str_make(text ? text : "", n);
	s.rcpt = mw_arena_calloc(a, MW_BOUNCE_RECIPIENTS_MAX, sizeof *s.rcpt);
	s.rank = mw_arena_calloc(a, MW_BOUNCE_RECIPIENTS_MAX, 1);
	s.slot = mw_arena_calloc(a, NDR_SLOTS, sizeof *s.slot);
	if (!s.rcpt || !s.rank || !s.slot)
		return;

	find_original(&s, &out->original_offset);
	exclude_header(&s, bounce_headers, "To");
	exclude_header(&s, bounce_headers, "From");
	exclude_header(&s, bounce_headers, "Sender");
	mw_str original_to = read_original_fields(&s, out->original_offset);

	const char *engine = NULL;
	read_head(&s, &engine);
	if (!s.delayed)
		s.delayed = subject_says_delay(bounce_headers);
	if (ndr_read_ses_json(&s)) {
		engine = "amazonses";
	} else {
		if (!engine && !header_says_bounce(bounce_headers))
			return;
		ndr_read_lines(&s);
		if (s.nrcpt == 0)
			ndr_read_mentions(&s);
	}
	apply_failed_header(&s, bounce_headers);
	original_to_fallback(&s, original_to);
	ndr_finish_codes(&s);

	out->recognised = engine != NULL || s.nrcpt > 0;
	out->engine = engine ? engine : (s.nrcpt ? "generic" : NULL);
	out->recipients = s.nrcpt ? s.rcpt : NULL;
	out->nrecipients = s.nrcpt;
	out->reporting_mta = s.reporting_mta;
}
