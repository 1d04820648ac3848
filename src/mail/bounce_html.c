/*
 * bounce_html.c - the text of an HTML part, for bounces that carry no
 * plain text (some Exchange and Office 365 notices).
 *
 * Not an HTML parser: tags go, block-level tags become line breaks so that
 * the free-text scanner sees lines, style and script contents and comments
 * go, and the few entities that matter in addresses and replies ("&lt;",
 * "&gt;", "&amp;" ...) are decoded. One pass, linear in the input.
 */
#include <string.h>

#include "lib/buf.h"
#include "lib/str.h"
#include "mail/bounce_impl.h"

static bool tag_breaks_line(const char *tag, size_t n)
{
	static const char *const blocks[] = {
	    "br", "p",	"div",	 "tr", "li",	     "h1",
	    "h2", "h3", "table", "td", "blockquote", "pre"};
	size_t k = 0;
	if (k < n && tag[k] == '/')
		k++;
	size_t s = k;
	while (k < n && mw_is_alnum((unsigned char)tag[k]))
		k++;
	mw_str name = mw_str_make(tag + s, k - s);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(*blocks); i++)
		if (mw_str_ieq_cstr(name, blocks[i]))
			return true;
	return false;
}

static size_t skip_element(const char *s, size_t n, size_t i, const char *close)
{
	mw_str rest = mw_str_make(s + i, n - i);
	long at = mw_str_ifind(rest, close);
	return at < 0 ? n : i + (size_t)at + strlen(close);
}

static const struct {
	const char *ent;
	char c;
} entities[] = {{"&lt;", '<'},	 {"&gt;", '>'},	  {"&amp;", '&'},
		{"&quot;", '"'}, {"&nbsp;", ' '}, {"&#39;", '\''}};

/* Tags out, block tags to line breaks, the common entities decoded. */
void mwb_html_to_text(const char *s, size_t n, mw_buf *out)
{
	size_t i = 0;
	while (i < n) {
		if (s[i] == '<') {
			mw_str rest = mw_str_make(s + i, n - i);
			if (mw_str_istarts(rest, "<style"))
				i = skip_element(s, n, i, "</style>");
			else if (mw_str_istarts(rest, "<script"))
				i = skip_element(s, n, i, "</script>");
			else if (mw_str_istarts(rest, "<!--"))
				i = skip_element(s, n, i, "-->");
			else {
				const char *gt = memchr(s + i, '>', n - i);
				size_t end = gt ? (size_t)(gt - s) + 1 : n;
				if (tag_breaks_line(s + i + 1, end - i - 1) &&
				    mw_buf_putc(out, '\n'))
					return;
				i = end;
			}
			continue;
		}
		if (s[i] == '&') {
			size_t k = 0;
			mw_str rest = mw_str_make(s + i, n - i);
			for (; k < sizeof(entities) / sizeof(*entities); k++)
				if (mw_str_istarts(rest, entities[k].ent))
					break;
			if (k < sizeof(entities) / sizeof(*entities)) {
				if (mw_buf_putc(out, entities[k].c))
					return;
				i += strlen(entities[k].ent);
				continue;
			}
		}
		const char *lt = memchr(s + i, '<', n - i);
		const char *amp = memchr(s + i, '&', n - i);
		size_t end = lt ? (size_t)(lt - s) : n;
		if (amp && (size_t)(amp - s) < end)
			end = (size_t)(amp - s);
		if (end == i)
			end = i + 1;
		if (mw_buf_append(out, s + i, end - i))
			return;
		i = end;
	}
}
