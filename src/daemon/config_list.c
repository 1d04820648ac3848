/*
 * config_list.c - the list values: domains, networks, names, addresses.
 *
 * A list is items separated by blanks, commas or both, as in main.cf;
 * empty items ("a,,b") are skipped and an empty value is an empty list.
 * Every bad item is reported, not just the first, so that one run of
 * check-config shows all that is wrong with a long list. At most
 * MW_CONFIG_LIST_MAX items.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_int.h"

static bool is_sep(unsigned char c)
{
	return c == ',' || mw_is_wsp(c);
}

/* The next item of v after *pos; false at the end. */
static bool next_item(mw_str v, size_t *pos, mw_str *item)
{
	size_t i = *pos;
	while (i < v.n && is_sep((unsigned char)v.p[i]))
		i++;
	if (i == v.n) {
		*pos = i;
		return false;
	}
	size_t start = i;
	while (i < v.n && !is_sep((unsigned char)v.p[i]))
		i++;
	*item = mw_str_make(v.p + start, i - start);
	*pos = i;
	return true;
}

static size_t count_items(mw_str v)
{
	size_t pos = 0, n = 0;
	mw_str item;
	while (next_item(v, &pos, &item))
		n++;
	return n;
}

/* List items refused with their own message; past this, one line counts
 * the rest, so that a runaway value (a paragraph pasted into a list) does
 * not fill the error list by itself. */
#define ITEMS_REPORTED 3

static void item_fail(mw_cfg_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void item_fail(mw_cfg_ctx *ctx, const char *fmt, ...)
{
	ctx->failed = true;
	if (++ctx->bad_items > ITEMS_REPORTED)
		return;
	char reason[MW_CONFIG_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	mw_cfg_fail(ctx, "%s", reason);
}

static void report_rest(mw_cfg_ctx *ctx)
{
	if (ctx->bad_items > ITEMS_REPORTED)
		mw_cfg_fail(ctx, "and %zu more items refused in this list",
			    ctx->bad_items - ITEMS_REPORTED);
}

/* Room for the items of v, or NULL after saying why. */
static void *alloc_items(mw_str v, mw_cfg_ctx *ctx, size_t size, size_t *n)
{
	*n = count_items(v);
	if (*n > MW_CONFIG_LIST_MAX) {
		mw_cfg_fail(ctx, "%zu items: a list may have at most %d", *n,
			    MW_CONFIG_LIST_MAX);
		return NULL;
	}
	return mw_arena_calloc(ctx->arena, *n ? *n : 1, size);
}

/* Reads one item into the arena; NULL after reporting why (item_fail),
 * or after running out of memory. */
typedef char *(*item_reader)(mw_str item, mw_cfg_ctx *ctx);

/* The items of v, each through read, into an array of *got strings, or
 * NULL: every bad item is reported, and the list is taken only when none
 * was bad. */
static const char **read_string_list(mw_str v, mw_cfg_ctx *ctx,
				     item_reader read, size_t *got_out)
{
	size_t n;
	const char **items = alloc_items(v, ctx, sizeof *items, &n);
	if (!items)
		return NULL;
	size_t pos = 0, got = 0;
	mw_str item;
	while (next_item(v, &pos, &item)) {
		char *s = read(item, ctx);
		if (s)
			items[got++] = s;
	}
	report_rest(ctx);
	if (ctx->failed || got < n)
		return NULL;
	*got_out = got;
	return items;
}

static bool read_list_into(mw_str v, mw_cfg_ctx *ctx, item_reader read,
			   void *slot)
{
	size_t n;
	const char **items = read_string_list(v, ctx, read, &n);
	if (!items)
		return false;
	*(mw_cfg_strings *)slot = (mw_cfg_strings){items, n};
	return true;
}

/* -- domains ---------------------------------------------------------- */

static bool label_ok(mw_str l, char why[MW_CFG_WHY_MAX])
{
	if (l.n == 0) {
		snprintf(why, MW_CFG_WHY_MAX, "has an empty label");
		return false;
	}
	if (l.n > 63) {
		snprintf(why, MW_CFG_WHY_MAX,
			 "has a label longer than 63 characters");
		return false;
	}
	for (size_t i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];
		if (c >= 0x80) {
			snprintf(why, MW_CFG_WHY_MAX,
				 "is not ASCII: write an internationalized "
				 "name in its xn-- form");
			return false;
		}
		if (!mw_is_alnum(c) && c != '-') {
			if (c >= 0x20 && c < 0x7f)
				snprintf(why, MW_CFG_WHY_MAX,
					 "contains '%c', which a domain name "
					 "may not",
					 c);
			else
				snprintf(why, MW_CFG_WHY_MAX,
					 "contains a control character");
			return false;
		}
	}
	if (l.p[0] == '-' || l.p[l.n - 1] == '-') {
		snprintf(why, MW_CFG_WHY_MAX,
			 "has a label that starts or ends with '-'");
		return false;
	}
	return true;
}

bool mw_cfg_domain_ok(mw_str d, char why[MW_CFG_WHY_MAX])
{
	if (d.n == 0) {
		snprintf(why, MW_CFG_WHY_MAX, "is empty");
		return false;
	}
	if (d.p[0] == '.') {
		snprintf(why, MW_CFG_WHY_MAX,
			 "starts with '.': list each domain itself, "
			 "subdomains are not implied");
		return false;
	}
	if (d.n > 253) {
		snprintf(why, MW_CFG_WHY_MAX, "is longer than 253 characters");
		return false;
	}
	size_t start = 0;
	mw_str last = d;
	for (size_t i = 0; i <= d.n; i++) {
		if (i < d.n && d.p[i] != '.')
			continue;
		last = mw_str_make(d.p + start, i - start);
		if (!label_ok(last, why))
			return false;
		start = i + 1;
	}
	bool numeric = true;
	for (size_t i = 0; i < last.n && numeric; i++)
		numeric = mw_is_digit((unsigned char)last.p[i]);
	if (numeric) {
		snprintf(why, MW_CFG_WHY_MAX,
			 "ends in a numeric label (an IP address is not a "
			 "domain name)");
		return false;
	}
	return true;
}

/* One domain, lower-cased and without its trailing dot, or NULL. */
static char *read_domain(mw_str item, mw_cfg_ctx *ctx)
{
	if (item.n > 1 && item.p[item.n - 1] == '.')
		item.n--;
	char why[MW_CFG_WHY_MAX];
	if (!mw_cfg_domain_ok(item, why)) {
		char q[MW_CFG_QUOTE_MAX];
		item_fail(ctx, "'%s' is not a domain name: it %s%s",
			  mw_cfg_quote(item, q), why, mw_cfg_hint(ctx->value));
		return NULL;
	}
	return mw_arena_strndup_lower(ctx->arena, item.p, item.n);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool mw_cfg_read_domains(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			 void *slot)
{
	(void)k;
	size_t n;
	const char **items = read_string_list(v, ctx, read_domain, &n);
	if (!items)
		return false;
	/* Sorted and unique, for a binary search on every RCPT. */
	qsort(items, n, sizeof *items, cmp_cstr);
	size_t uniq = 0;
	for (size_t i = 0; i < n; i++)
		if (uniq == 0 || strcmp(items[uniq - 1], items[i]) != 0)
			items[uniq++] = items[i];
	*(mw_cfg_strings *)slot = (mw_cfg_strings){items, uniq};
	return true;
}

/* -- names ------------------------------------------------------------ */

static char *read_name(mw_str item, mw_cfg_ctx *ctx)
{
	if (!mw_cfg_word_ok(item, 64)) {
		char q[MW_CFG_QUOTE_MAX];
		item_fail(ctx,
			  "'%s' is not a name (letters, digits, '.', '_', "
			  "'-'; at most 64)%s",
			  mw_cfg_quote(item, q), mw_cfg_hint(ctx->value));
		return NULL;
	}
	return mw_arena_strndup(ctx->arena, item.p, item.n);
}

bool mw_cfg_read_names(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		       void *slot)
{
	(void)k;
	return read_list_into(v, ctx, read_name, slot);
}

/* -- addresses -------------------------------------------------------- */

/* RFC 5322 atext, the characters of an unquoted local part. */
static bool is_atext(unsigned char c)
{
	return mw_is_alnum(c) || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static bool local_ok(mw_str l, char why[MW_CFG_WHY_MAX])
{
	if (l.n == 0 || l.n > 64) {
		snprintf(why, MW_CFG_WHY_MAX,
			 "its local part must have 1 to 64 characters");
		return false;
	}
	for (size_t i = 0; i < l.n; i++) {
		unsigned char c = (unsigned char)l.p[i];
		bool dot_ok =
		    c == '.' && i > 0 && i + 1 < l.n && l.p[i - 1] != '.';
		if (!is_atext(c) && !dot_ok) {
			snprintf(why, MW_CFG_WHY_MAX,
				 "its local part has a character or a dot "
				 "where none may be");
			return false;
		}
	}
	return true;
}

/* "local@domain" with the domain lower-cased, or NULL after an error. */
static char *read_one_address(mw_str item, mw_cfg_ctx *ctx)
{
	char why[MW_CFG_WHY_MAX] = "it has no '@'";
	const char *part = ""; /* "its domain " when the domain is to blame */
	const char *at = NULL;
	for (size_t i = item.n; i-- > 0;)
		if (item.p[i] == '@') {
			at = item.p + i;
			break;
		}
	if (at) {
		mw_str local = mw_str_make(item.p, (size_t)(at - item.p));
		mw_str dom = mw_str_make(at + 1, item.n - local.n - 1);
		if (local_ok(local, why)) {
			if (mw_cfg_domain_ok(dom, why)) {
				char *s = mw_arena_strndup(ctx->arena, item.p,
							   item.n);
				if (s)
					mw_ascii_lower(s + local.n + 1, dom.n);
				return s;
			}
			part = "its domain ";
		}
	}
	char q[MW_CFG_QUOTE_MAX];
	item_fail(ctx, "'%s' is not an address (local@domain): %s%s%s",
		  mw_cfg_quote(item, q), part, why, mw_cfg_hint(ctx->value));
	return NULL;
}

bool mw_cfg_read_address(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			 void *slot)
{
	(void)k;
	char *s = read_one_address(v, ctx);
	if (!s)
		return false;
	*(const char **)slot = s;
	return true;
}

bool mw_cfg_read_addresses(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			   void *slot)
{
	(void)k;
	return read_list_into(v, ctx, read_one_address, slot);
}

mw_status mw_cfg_write_strings(const mw_cfg_key *k, const void *slot,
			       mw_buf *out)
{
	(void)k;
	const mw_cfg_strings *l = slot;
	mw_status st = MW_OK;
	for (size_t i = 0; i < l->n && st == MW_OK; i++) {
		if (i)
			st = mw_buf_puts(out, ", ");
		if (st == MW_OK)
			st = mw_buf_puts(out, l->v[i]);
	}
	return st;
}

/* -- networks --------------------------------------------------------- */

/* "[2001:db8::]/32" as Postfix writes it, or the plain forms; the host
 * part must have no bits set past the prefix, as Postfix's mynetworks
 * requires: "192.0.2.1/24" is more likely a typing slip than a wish. */
static bool read_network(mw_str item, mw_cfg_ctx *ctx, mw_cidr *out)
{
	char q[MW_CFG_QUOTE_MAX];
	char text[MW_IP_TEXT_MAX + 8];
	mw_str addr = item, prefix = {"", 0};
	const char *slash = memchr(item.p, '/', item.n);
	if (slash) {
		addr.n = (size_t)(slash - item.p);
		prefix = mw_str_make(slash, item.n - addr.n);
	}
	if (addr.n >= 2 && addr.p[0] == '[' && addr.p[addr.n - 1] == ']') {
		addr.p++;
		addr.n -= 2;
	}
	mw_ip host;
	bool ok = addr.n + prefix.n < sizeof text &&
		  mw_ip_parse(addr.p, addr.n, &host);
	if (ok) {
		memcpy(text, addr.p, addr.n);
		memcpy(text + addr.n, prefix.p, prefix.n);
		ok = mw_cidr_parse(text, addr.n + prefix.n, out);
	}
	if (!ok) {
		item_fail(ctx,
			  "'%s' is not a network (192.0.2.0/24, "
			  "2001:db8::/32 or one address)%s",
			  mw_cfg_quote(item, q), mw_cfg_hint(ctx->value));
		return false;
	}
	if (!mw_ip_equal(&host, &out->net)) {
		char net[MW_IP_TEXT_MAX];
		mw_ip_format(&out->net, net);
		item_fail(ctx,
			  "'%s' has address bits set past its prefix; "
			  "did you mean %s/%u?",
			  mw_cfg_quote(item, q), net, out->prefix);
		return false;
	}
	return true;
}

bool mw_cfg_read_networks(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			  void *slot)
{
	(void)k;
	size_t n;
	mw_cidr *items = alloc_items(v, ctx, sizeof *items, &n);
	if (!items)
		return false;
	size_t pos = 0, got = 0;
	mw_str item;
	while (next_item(v, &pos, &item))
		if (read_network(item, ctx, &items[got]))
			got++;
	report_rest(ctx);
	if (ctx->failed)
		return false;
	*(mw_cfg_networks *)slot = (mw_cfg_networks){items, got};
	return true;
}

mw_status mw_cfg_write_networks(const mw_cfg_key *k, const void *slot,
				mw_buf *out)
{
	(void)k;
	const mw_cfg_networks *l = slot;
	mw_status st = MW_OK;
	for (size_t i = 0; i < l->n && st == MW_OK; i++) {
		char net[MW_IP_TEXT_MAX];
		mw_ip_format(&l->v[i].net, net);
		st = mw_buf_printf(out, "%s%s/%u", i ? ", " : "", net,
				   l->v[i].prefix);
	}
	return st;
}
