/*
 * config_diag.c - the errors of a configuration file: collecting them,
 * printing them, and the "did you mean" that makes them quick to fix.
 *
 * Every message is one line, "FILE:LINE: key 'NAME': reason", because an
 * admin fixes a file with an editor that jumps to FILE:LINE. Values are
 * quoted with their control and 8-bit bytes escaped, so that a binary
 * file cannot put escape sequences on the admin's terminal.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/config_int.h"

static void copy_cut(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void diag_v(mw_config_errors *errs, unsigned line, const char *key,
		   bool warning, const char *fmt, va_list ap)
{
	if (warning)
		errs->warnings++;
	else
		errs->errors++;
	if (errs->n >= MW_CONFIG_ERRORS_MAX)
		return;
	mw_config_diag *d = &errs->diag[errs->n++];
	d->line = line;
	d->warning = warning;
	copy_cut(d->key, sizeof d->key, key ? key : "");
	vsnprintf(d->reason, sizeof d->reason, fmt, ap);
}

void mw_cfg_diag(mw_config_errors *errs, unsigned line, const char *key,
		 bool warning, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_v(errs, line, key, warning, fmt, ap);
	va_end(ap);
}

void mw_cfg_fail(mw_cfg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_v(ctx->errs, ctx->line, ctx->key, false, fmt, ap);
	va_end(ap);
	ctx->failed = true;
}

const char *mw_cfg_quote(mw_str v, char q[MW_CFG_QUOTE_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	size_t shown = v.n < MW_CFG_QUOTE_SHOWN ? v.n : MW_CFG_QUOTE_SHOWN;
	for (size_t i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			q[o++] = (char)c;
			continue;
		}
		q[o++] = '\\';
		q[o++] = 'x';
		q[o++] = hex[c >> 4];
		q[o++] = hex[c & 15];
	}
	if (shown < v.n) {
		memcpy(q + o, "...", 3);
		o += 3;
	}
	q[o] = '\0';
	return q;
}

void mw_config_diag_format(const mw_config_errors *errs, size_t i, mw_buf *out)
{
	mw_buf_reset(out);
	if (i >= errs->n)
		return;
	const mw_config_diag *d = &errs->diag[i];
	mw_buf_puts(out, errs->file);
	if (d->line)
		mw_buf_printf(out, ":%u", d->line);
	mw_buf_puts(out, ": ");
	if (d->warning)
		mw_buf_puts(out, "warning: ");
	if (d->key[0])
		mw_buf_printf(out, "key '%s': ", d->key);
	mw_buf_puts(out, d->reason);
}

void mw_config_errors_print(const mw_config_errors *errs, FILE *out)
{
	mw_buf line;
	mw_buf_init(&line, MW_CONFIG_LABEL_MAX + 2 * MW_CONFIG_REASON_MAX);
	for (size_t i = 0; i < errs->n; i++) {
		mw_config_diag_format(errs, i, &line);
		fprintf(out, "%s\n", mw_buf_cstr(&line));
	}
	mw_buf_free(&line);
	size_t total = errs->errors + errs->warnings;
	if (total > errs->n)
		fprintf(out, "%s: %zu more errors and warnings not shown\n",
			errs->file, total - errs->n);
}

/* -- suggestions ------------------------------------------------------ */

/* Optimal string alignment distance (Levenshtein with transpositions),
 * ASCII case folded: "trusted_netwroks" is one step from the real name.
 * Both words are bounded by the caller, so the rows fit on the stack. */
#define WORD_MAX MW_CONFIG_KEYNAME_MAX

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

static size_t edit_distance(mw_str a, const char *b)
{
	size_t bn = strlen(b);
	if (a.n > WORD_MAX || bn > WORD_MAX)
		return (size_t)-1;
	size_t rows[3][WORD_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= bn; j++)
		prev[j] = j;
	for (size_t i = 1; i <= a.n; i++) {
		cur[0] = i;
		unsigned char ai = mw_lower((unsigned char)a.p[i - 1]);
		for (size_t j = 1; j <= bn; j++) {
			unsigned char bj = mw_lower((unsigned char)b[j - 1]);
			size_t cost = ai == bj ? 0 : 1;
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
				      prev[j - 1] + cost);
			if (i > 1 && j > 1 &&
			    ai == mw_lower((unsigned char)b[j - 2]) &&
			    mw_lower((unsigned char)a.p[i - 2]) == bj &&
			    prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[bn];
}

/* Close enough to be a typing slip: two edits, or a third of the word
 * for long names. */
static size_t slip_bound(size_t n)
{
	return n / 3 > 2 ? n / 3 : 2;
}

const char *mw_cfg_suggest_word(mw_str w, const char *const *words)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; words[i]; i++) {
		size_t d = edit_distance(w, words[i]);
		if (d < best_d) {
			best_d = d;
			best = words[i];
		}
	}
	if (!best || best_d > slip_bound(strlen(best)) || best_d >= w.n)
		return NULL;
	return best;
}

/* Settings of the programs mailwarden sits beside that admins may write
 * here from habit, and the key that does their job. */
static const struct {
	const char *theirs;
	const char *ours;
} aliases[] = {
    {"mynetworks", "trusted_networks"},
    {"mydestination", "local_domains"},
    {"virtual_mailbox_domains", "local_domains"},
    {"myhostname", "our_hostnames"},
    {"milter_default_action", "milter_failure_action"},
    {"socket", "milter_socket"},
    {"userid", "user"},
    {"syslog", "log"},
};

const char *mw_cfg_suggest_key(mw_str name, bool *alias)
{
	*alias = false;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
		if (mw_str_ieq_cstr(name, aliases[i].theirs)) {
			*alias = true;
			return aliases[i].ours;
		}
	}
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < mw_cfg_nkeys; i++) {
		size_t d = edit_distance(name, mw_cfg_keys[i].name);
		if (d < best_d) {
			best_d = d;
			best = mw_cfg_keys[i].name;
		}
	}
	if (!best || best_d > slip_bound(strlen(best)) || best_d >= name.n)
		return NULL;
	return best;
}
