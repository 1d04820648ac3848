/*
 * config_value.c - reading one value by its type, and writing it back.
 *
 * Each type has a reader that either fills the field or says why not
 * (naming the forms it accepts) and a writer for check-config -v. Lists
 * live in config_list.c, sockets and the store in config_socket.c.
 * Numbers accept no sign, no spaces and at most 15 digits, so nothing
 * here can overflow before the range check.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "daemon/config_int.h"

/* -- shared helpers --------------------------------------------------- */

const char *mw_cfg_hint(mw_str v)
{
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] == '#' && mw_is_wsp((unsigned char)v.p[i - 1]))
			return " ('#' starts a comment only at the start of a "
			       "line)";
	if (memchr(v.p, '$', v.n))
		return " (there is no $name expansion)";
	return "";
}

bool mw_cfg_uint(mw_str s, int64_t *out)
{
	if (s.n == 0 || s.n > 15)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (!mw_is_digit((unsigned char)s.p[i]))
			return false;
		v = v * 10 + (s.p[i] - '0');
	}
	*out = v;
	return true;
}

/* -- paths ------------------------------------------------------------ */

bool mw_cfg_path_ok(mw_cfg_ctx *ctx, mw_str v, size_t max)
{
	char q[MW_CFG_QUOTE_MAX];
	if (v.p[0] != '/') {
		mw_cfg_fail(ctx,
			    "'%s' is not an absolute path (it must start "
			    "with '/')",
			    mw_cfg_quote(v, q));
		return false;
	}
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c <= ' ' || c == 0x7f) {
			mw_cfg_fail(ctx,
				    "'%s' contains a blank or a control "
				    "character%s",
				    mw_cfg_quote(v, q), mw_cfg_hint(v));
			return false;
		}
	}
	if (v.n > max) {
		mw_cfg_fail(ctx, "'%s' is longer than %zu bytes",
			    mw_cfg_quote(v, q), max);
		return false;
	}
	return true;
}

static bool read_path(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		      void *slot)
{
	(void)k;
	if (!mw_cfg_path_ok(ctx, v, PATH_MAX - 1))
		return false;
	char *s = mw_arena_strndup(ctx->arena, v.p, v.n);
	if (!s)
		return false;
	*(const char **)slot = s;
	return true;
}

static mw_status write_cstr(const mw_cfg_key *k, const void *slot, mw_buf *out)
{
	(void)k;
	const char *s = *(const char *const *)slot;
	return mw_buf_puts(out, s ? s : "");
}

/* -- booleans --------------------------------------------------------- */

static const char *const true_words[] = {"yes", "true", "1", NULL};
static const char *const false_words[] = {"no", "false", "0", NULL};

static bool word_in(mw_str v, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (mw_str_ieq_cstr(v, words[i]))
			return true;
	return false;
}

static bool read_bool(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		      void *slot)
{
	(void)k;
	char q[MW_CFG_QUOTE_MAX];
	if (word_in(v, true_words))
		*(bool *)slot = true;
	else if (word_in(v, false_words))
		*(bool *)slot = false;
	else {
		mw_cfg_fail(ctx, "'%s' is not yes, no, true, false, 1 or 0%s",
			    mw_cfg_quote(v, q), mw_cfg_hint(v));
		return false;
	}
	return true;
}

static mw_status write_bool(const mw_cfg_key *k, const void *slot, mw_buf *out)
{
	(void)k;
	return mw_buf_puts(out, *(const bool *)slot ? "yes" : "no");
}

/* -- numbers ---------------------------------------------------------- */

typedef struct unit {
	char suffix;
	int64_t factor;
} unit;

static const unit duration_units[] = {
    {'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
static const unit size_units[] = {
    {'G', 1024 * 1024 * 1024}, {'M', 1024 * 1024}, {'k', 1024}};

#define NUNITS(a) (sizeof(a) / sizeof((a)[0]))

/* v as a number with an optional one-letter unit; case matters for
 * durations (m is a minute; M would be read as a month by someone) but
 * not for sizes (k and K, m and M are all common). */
static bool number_with_unit(mw_str v, const unit *units, size_t nunits,
			     bool fold_case, int64_t *out)
{
	int64_t factor = 1;
	if (v.n > 0 && !mw_is_digit((unsigned char)v.p[v.n - 1])) {
		char c = v.p[v.n - 1];
		size_t i = 0;
		for (; i < nunits; i++)
			if (units[i].suffix == c ||
			    (fold_case &&
			     mw_lower((unsigned char)units[i].suffix) ==
				 mw_lower((unsigned char)c)))
				break;
		if (i == nunits)
			return false;
		factor = units[i].factor;
		v.n--;
	}
	int64_t n;
	if (!mw_cfg_uint(v, &n))
		return false;
	if (n > INT64_MAX / factor)
		n = INT64_MAX; /* out of every range; reported as such */
	else
		n *= factor;
	*out = n;
	return true;
}

static mw_status write_with_unit(int64_t n, const unit *units, size_t nunits,
				 mw_buf *out)
{
	for (size_t i = 0; i < nunits; i++)
		if (n != 0 && n % units[i].factor == 0)
			return mw_buf_printf(out, "%lld%c",
					     (long long)(n / units[i].factor),
					     units[i].suffix);
	return mw_buf_printf(out, "%lld", (long long)n);
}

static mw_status text_of(const mw_cfg_key *k, int64_t n, mw_buf *out)
{
	if (k->type == MW_CFG_T_DURATION)
		return write_with_unit(n, duration_units,
				       NUNITS(duration_units), out);
	if (k->type == MW_CFG_T_SIZE)
		return write_with_unit(n, size_units, NUNITS(size_units), out);
	return mw_buf_printf(out, "%lld", (long long)n);
}

static bool in_range(const mw_cfg_key *k, mw_str v, int64_t n, mw_cfg_ctx *ctx)
{
	if (n >= k->min && n <= k->max)
		return true;
	char q[MW_CFG_QUOTE_MAX];
	mw_buf lo, hi;
	mw_buf_init(&lo, 64);
	mw_buf_init(&hi, 64);
	text_of(k, k->min, &lo);
	text_of(k, k->max, &hi);
	mw_cfg_fail(ctx, "'%s' is out of range (%s to %s)", mw_cfg_quote(v, q),
		    mw_buf_cstr(&lo), mw_buf_cstr(&hi));
	mw_buf_free(&lo);
	mw_buf_free(&hi);
	return false;
}

static bool read_number(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			void *slot)
{
	char q[MW_CFG_QUOTE_MAX];
	int64_t n;
	bool ok;
	const char *forms;
	switch (k->type) {
	case MW_CFG_T_DURATION:
		ok = number_with_unit(v, duration_units, NUNITS(duration_units),
				      false, &n);
		forms = "a duration: seconds, or a number with s, m, h, d or "
			"w, as in 30s, 10m, 1h, 7d";
		break;
	case MW_CFG_T_SIZE:
		ok = number_with_unit(v, size_units, NUNITS(size_units), true,
				      &n);
		forms = "a size: bytes, or a number with k, M or G, as in 64k, "
			"10M";
		break;
	default:
		ok = mw_cfg_uint(v, &n);
		forms = "a whole number";
		break;
	}
	if (!ok) {
		mw_cfg_fail(ctx, "'%s' is not %s%s", mw_cfg_quote(v, q), forms,
			    mw_cfg_hint(v));
		return false;
	}
	if (!in_range(k, v, n, ctx))
		return false;
	*(int64_t *)slot = n;
	return true;
}

static mw_status write_number(const mw_cfg_key *k, const void *slot,
			      mw_buf *out)
{
	return text_of(k, *(const int64_t *)slot, out);
}

/* -- enums ------------------------------------------------------------ */

static void join_words(const char *const *words, mw_buf *out)
{
	for (size_t i = 0; words[i]; i++) {
		if (i)
			mw_buf_puts(out, words[i + 1] ? ", " : " or ");
		mw_buf_puts(out, words[i]);
	}
}

static bool read_enum(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		      void *slot)
{
	for (int i = 0; k->words[i]; i++) {
		if (mw_str_ieq_cstr(v, k->words[i])) {
			memcpy(slot, &i, sizeof i);
			return true;
		}
	}
	char q[MW_CFG_QUOTE_MAX];
	mw_buf forms;
	mw_buf_init(&forms, 256);
	join_words(k->words, &forms);
	const char *near = mw_cfg_suggest_word(v, k->words);
	if (near)
		mw_cfg_fail(ctx, "'%s' is not %s; did you mean '%s'?",
			    mw_cfg_quote(v, q), mw_buf_cstr(&forms), near);
	else
		mw_cfg_fail(ctx, "'%s' is not %s%s", mw_cfg_quote(v, q),
			    mw_buf_cstr(&forms), mw_cfg_hint(v));
	mw_buf_free(&forms);
	return false;
}

static mw_status write_enum(const mw_cfg_key *k, const void *slot, mw_buf *out)
{
	int i;
	memcpy(&i, slot, sizeof i);
	return mw_buf_puts(out, k->words[i]);
}

/* -- user names ------------------------------------------------------- */

/* What useradd and systemd accept: letters, digits, '.', '_', '-', not
 * starting with '-', at most 32 characters. */
bool mw_cfg_word_ok(mw_str v, size_t max)
{
	bool ok = v.n > 0 && v.n <= max;
	for (size_t i = 0; ok && i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		ok = mw_is_alnum(c) || c == '.' || c == '_' || c == '-';
	}
	return ok;
}

static bool read_user(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		      void *slot)
{
	(void)k;
	/* A leading '-' would read as an option to the tools it is given to. */
	if (!mw_cfg_word_ok(v, 32) || v.p[0] == '-') {
		char q[MW_CFG_QUOTE_MAX];
		mw_cfg_fail(ctx,
			    "'%s' is not a user name (letters, digits, "
			    "'.', '_', '-'; at most 32)%s",
			    mw_cfg_quote(v, q), mw_cfg_hint(v));
		return false;
	}
	char *s = mw_arena_strndup(ctx->arena, v.p, v.n);
	if (!s)
		return false;
	*(const char **)slot = s;
	return true;
}

/* A shared secret: printable ASCII without blanks, so that it can be
 * written into an HTTP header unchanged, and long enough not to be
 * guessed in the time a log line takes to be noticed. */
static bool read_secret(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			void *slot)
{
	(void)k;
	bool ok = v.n >= MW_CFG_SECRET_MIN && v.n <= MW_CFG_SECRET_MAX;
	for (size_t i = 0; ok && i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		ok = c > ' ' && c < 0x7f;
	}
	if (!ok) {
		/* Never quote the value: it is a secret, even when wrong. */
		mw_cfg_fail(ctx,
			    "not a usable secret (%d to %d printable ASCII "
			    "characters, no blanks)",
			    MW_CFG_SECRET_MIN, MW_CFG_SECRET_MAX);
		return false;
	}
	char *s = mw_arena_strndup(ctx->arena, v.p, v.n);
	if (!s)
		return false;
	*(const char **)slot = s;
	return true;
}

/* check-config prints every value; a secret shows only that it is set. */
static mw_status write_secret(const mw_cfg_key *k, const void *slot,
			      mw_buf *out)
{
	(void)k;
	const char *s = *(const char *const *)slot;
	return mw_buf_puts(out, s ? "(set, not shown)" : "");
}

/* -- the dispatcher --------------------------------------------------- */

typedef struct cfg_type {
	const char *name;  /* for --keys */
	const char *forms; /* for "empty value" errors */
	bool (*read)(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		     void *slot);
	mw_status (*write)(const mw_cfg_key *k, const void *slot, mw_buf *out);
} cfg_type;

static const cfg_type types[MW_CFG_T_COUNT_OF_TYPES] = {
    [MW_CFG_T_PATH] = {"path", "an absolute path", read_path, write_cstr},
    [MW_CFG_T_BOOL] = {"boolean", "yes or no", read_bool, write_bool},
    [MW_CFG_T_COUNT] = {"number", "a whole number", read_number, write_number},
    [MW_CFG_T_DURATION] = {"duration", "a duration such as 30s or 10m",
			   read_number, write_number},
    [MW_CFG_T_SIZE] = {"size", "a size such as 64k or 10M", read_number,
		       write_number},
    [MW_CFG_T_ENUM] = {"word", NULL, read_enum, write_enum},
    [MW_CFG_T_DOMAINS] = {"list of domains", NULL, mw_cfg_read_domains,
			  mw_cfg_write_strings},
    [MW_CFG_T_NETWORKS] = {"list of networks", NULL, mw_cfg_read_networks,
			   mw_cfg_write_networks},
    [MW_CFG_T_NAMES] = {"list of names", NULL, mw_cfg_read_names,
			mw_cfg_write_strings},
    [MW_CFG_T_ADDRESS] = {"address", "an address, local@domain",
			  mw_cfg_read_address, write_cstr},
    [MW_CFG_T_ADDRESSES] = {"list of addresses", NULL, mw_cfg_read_addresses,
			    mw_cfg_write_strings},
    [MW_CFG_T_SOCKET] = {"socket", "inet:HOST:PORT or unix:/PATH",
			 mw_cfg_read_socket, mw_cfg_write_endpoint},
    [MW_CFG_T_HOSTPORT] = {"HOST:PORT", "HOST:PORT", mw_cfg_read_hostport,
			   mw_cfg_write_endpoint},
    [MW_CFG_T_STORE] = {"store", "sqlite or redis://HOST:PORT",
			mw_cfg_read_store, mw_cfg_write_store},
    [MW_CFG_T_USER] = {"user name", "a user name", read_user, write_cstr},
    [MW_CFG_T_SECRET] = {"secret", "a secret of printable characters",
			 read_secret, write_secret},
};

const char *mw_cfg_type_name(mw_cfg_type t)
{
	return types[t].name;
}

static bool is_list(mw_cfg_type t)
{
	return t == MW_CFG_T_DOMAINS || t == MW_CFG_T_NETWORKS ||
	       t == MW_CFG_T_NAMES || t == MW_CFG_T_ADDRESSES;
}

/* An optional key left empty: the zero of its field (NULL, kind NONE). */
static void clear_field(const mw_cfg_key *k, void *slot)
{
	switch (k->type) {
	case MW_CFG_T_SOCKET:
	case MW_CFG_T_HOSTPORT:
		memset(slot, 0, sizeof(mw_cfg_endpoint));
		break;
	default:
		*(const char **)slot = NULL;
		break;
	}
}

bool mw_cfg_parse_value(const mw_cfg_key *k, mw_str value, mw_cfg_ctx *ctx,
			void *slot)
{
	ctx->failed = false;
	ctx->value = value;
	ctx->bad_items = 0;
	if (value.n == 0 && !is_list(k->type)) {
		if (k->flags & MW_CFG_OPTIONAL) {
			clear_field(k, slot);
			return true;
		}
		if (k->type == MW_CFG_T_ENUM) {
			mw_buf forms;
			mw_buf_init(&forms, 256);
			join_words(k->words, &forms);
			mw_cfg_fail(ctx, "empty value; expected %s",
				    mw_buf_cstr(&forms));
			mw_buf_free(&forms);
		} else {
			mw_cfg_fail(ctx, "empty value; expected %s",
				    types[k->type].forms);
		}
		return false;
	}
	bool ok = types[k->type].read(k, value, ctx, slot);
	if (!ok && !ctx->failed)
		mw_cfg_fail(ctx, "out of memory reading the value");
	return ok;
}

mw_status mw_cfg_format_value(const mw_cfg_key *k, const void *slot,
			      mw_buf *out)
{
	mw_status st = types[k->type].write(k, slot, out);
	return st < 0 ? st : MW_OK;
}
