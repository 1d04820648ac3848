/*
 * config.c - reading a configuration file into a mw_config.
 *
 * The text is cut into logical lines (a line plus the blank-led lines
 * that continue it), each logical line into a key and a value, and each
 * value is read by its key's type into a fresh mw_config that starts
 * from every key's default. Errors are collected, not stopped at, so
 * one check-config run shows them all; a configuration is returned only
 * when there are none. The whole pass is linear in the file's size, and
 * the file, a logical line and a list are each capped (limits.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config_int.h"
#include "lib/file.h"
#include "lib/log.h"

/* The reader's state across the lines of one file. */
typedef struct reader {
	mw_config *cfg;
	mw_config_errors *errs;
	mw_buf logical; /* the logical line being gathered */
	unsigned start; /* its first line's number; 0: none pending */
	bool skip_more; /* continuations of a refused line: drop them */
	bool too_long;	/* the logical line passed MW_CONFIG_LINE_MAX */
} reader;

static void errors_init(mw_config_errors *errs, const char *label)
{
	errs->errors = errs->warnings = errs->n = 0;
	size_t n = strlen(label);
	if (n >= sizeof errs->file)
		n = sizeof errs->file - 1;
	memcpy(errs->file, label, n);
	errs->file[n] = '\0';
}

static void *field(mw_config *cfg, const mw_cfg_key *k)
{
	return (char *)cfg + k->offset;
}

/* -- defaults --------------------------------------------------------- */

/* This host's name, lower-cased, for our_hostnames; NULL if it has none
 * that is a valid host name. Only gethostname(): a DNS lookup here could
 * stall a reload for as long as the resolver's timeout. */
static mw_str host_name(char buf[256])
{
	if (gethostname(buf, 256) != 0)
		return mw_str_make("", 0);
	buf[255] = '\0';
	mw_str h = mw_str_from_cstr(buf);
	char why[MW_CFG_WHY_MAX];
	if (!mw_cfg_domain_ok(h, why))
		return mw_str_make("", 0);
	mw_ascii_lower(buf, h.n);
	return h;
}

/* Every field from its key's default, read as a file's value would be:
 * a default that does not read is our bug, and the unit tests say so
 * before a user can. */
static bool apply_defaults(reader *r)
{
	for (size_t i = 0; i < mw_cfg_nkeys; i++) {
		const mw_cfg_key *k = &mw_cfg_keys[i];
		char buf[256];
		mw_str def = (k->flags & MW_CFG_DEFAULT_HOSTNAME)
				 ? host_name(buf)
				 : mw_str_from_cstr(k->def);
		mw_cfg_ctx ctx = {
		    .errs = r->errs, .key = k->name, .arena = &r->cfg->arena};
		if (!mw_cfg_parse_value(k, def, &ctx, field(r->cfg, k)))
			return false;
	}
	return true;
}

/* -- one logical line ------------------------------------------------- */

static bool is_key_char(unsigned char c)
{
	return mw_is_alnum(c) || c == '_';
}

static void unknown_key(reader *r, unsigned line, mw_str name)
{
	char key[MW_CONFIG_KEYNAME_MAX + 1];
	size_t n =
	    name.n < MW_CONFIG_KEYNAME_MAX ? name.n : MW_CONFIG_KEYNAME_MAX;
	memcpy(key, name.p, n);
	key[n] = '\0';
	bool alias;
	const char *near = mw_cfg_suggest_key(name, &alias);
	if (near && alias)
		mw_cfg_diag(r->errs, line, key, false,
			    "unknown key; what it sets elsewhere is '%s' here",
			    near);
	else if (near)
		mw_cfg_diag(r->errs, line, key, false,
			    "unknown key; did you mean '%s'?", near);
	else
		mw_cfg_diag(r->errs, line, key, false,
			    "unknown key (docs/config.md lists every key)");
}

/* The key name at the start of a line that is not `name = value`. */
static void not_an_assignment(reader *r, unsigned line, mw_str text)
{
	size_t n = 0;
	while (n < text.n && is_key_char((unsigned char)text.p[n]))
		n++;
	char q[MW_CFG_QUOTE_MAX];
	if (n > 0 && n <= MW_CONFIG_KEYNAME_MAX &&
	    (n == text.n || mw_is_wsp((unsigned char)text.p[n]))) {
		char key[MW_CONFIG_KEYNAME_MAX + 1];
		memcpy(key, text.p, n);
		key[n] = '\0';
		mw_cfg_diag(r->errs, line, key, false,
			    "missing '=' (lines are 'key = value')");
		return;
	}
	mw_cfg_diag(r->errs, line, NULL, false,
		    "'%s' is not a 'key = value' line", mw_cfg_quote(text, q));
}

static void set_key(reader *r, unsigned line, mw_str name, mw_str value)
{
	char q[MW_CFG_QUOTE_MAX];
	if (name.n == 0) {
		mw_cfg_diag(r->errs, line, NULL, false,
			    "line starts with '=': the key name is missing");
		return;
	}
	for (size_t i = 0; i < name.n; i++) {
		if (!is_key_char((unsigned char)name.p[i]) ||
		    name.n > MW_CONFIG_KEYNAME_MAX) {
			mw_cfg_diag(r->errs, line, NULL, false,
				    "'%s' is not a key name (letters, digits "
				    "and '_')",
				    mw_cfg_quote(name, q));
			return;
		}
	}
	long idx = -1;
	for (size_t i = 0; i < mw_cfg_nkeys && idx < 0; i++)
		if (mw_str_eq(name, mw_str_from_cstr(mw_cfg_keys[i].name)))
			idx = (long)i;
	if (idx < 0) {
		unknown_key(r, line, name);
		return;
	}
	const mw_cfg_key *k = &mw_cfg_keys[idx];
	if (r->cfg->key_line[idx]) {
		mw_cfg_diag(r->errs, line, k->name, false,
			    "set again (first on line %u); a key may be set "
			    "only once",
			    r->cfg->key_line[idx]);
		return;
	}
	r->cfg->key_line[idx] = line;
	mw_cfg_ctx ctx = {.errs = r->errs,
			  .line = line,
			  .key = k->name,
			  .arena = &r->cfg->arena};
	mw_cfg_parse_value(k, value, &ctx, field(r->cfg, k));
}

static void finish_logical(reader *r)
{
	if (!r->start)
		return;
	unsigned line = r->start;
	r->start = 0;
	if (r->too_long) {
		mw_cfg_diag(r->errs, line, NULL, false,
			    "line longer than %zu bytes (with its "
			    "continuation lines)",
			    (size_t)MW_CONFIG_LINE_MAX);
		return;
	}
	mw_str text = mw_str_make(mw_buf_cstr(&r->logical), r->logical.len);
	const char *eq = memchr(text.p, '=', text.n);
	if (!eq) {
		not_an_assignment(r, line, text);
		return;
	}
	mw_str name = mw_str_trim(mw_str_make(text.p, (size_t)(eq - text.p)));
	mw_str value = mw_str_trim(
	    mw_str_make(eq + 1, text.n - (size_t)(eq + 1 - text.p)));
	set_key(r, line, name, value);
}

/* -- physical lines --------------------------------------------------- */

static void gather(reader *r, mw_str piece)
{
	if (r->too_long)
		return;
	if ((r->logical.len && mw_buf_putc(&r->logical, ' ') != MW_OK) ||
	    mw_buf_append(&r->logical, piece.p, piece.n) != MW_OK)
		r->too_long = true;
}

/* A byte no text configuration has: everything below space but the tab
 * (line ends never reach here) and DEL. */
static long control_byte(mw_str line)
{
	for (size_t i = 0; i < line.n; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (long)i;
	}
	return -1;
}

static void read_line(reader *r, unsigned lineno, mw_str line)
{
	long bad = control_byte(line);
	if (bad >= 0) {
		finish_logical(r);
		mw_cfg_diag(r->errs, lineno, NULL, false,
			    "control character 0x%02x in column %ld: is this "
			    "a text file?",
			    (unsigned char)line.p[bad], bad + 1);
		r->skip_more = true;
		return;
	}
	mw_str t = mw_str_trim(line);
	if (t.n == 0 || t.p[0] == '#')
		return; /* blank lines and comments end nothing, as in main.cf
			 */
	if (mw_is_wsp((unsigned char)line.p[0])) {
		if (r->start)
			gather(r, t);
		else if (!r->skip_more) {
			mw_cfg_diag(r->errs, lineno, NULL, false,
				    "line starts with a blank but there is "
				    "no line above it to continue");
			r->skip_more = true;
		}
		return;
	}
	finish_logical(r);
	r->skip_more = false;
	r->too_long = false;
	mw_buf_reset(&r->logical);
	r->start = lineno;
	gather(r, t);
}

/* A NUL byte means a binary file: one error for the file, not one per
 * line of junk. */
static bool refuse_binary(mw_str text, mw_config_errors *errs)
{
	const char *nul = memchr(text.p, '\0', text.n);
	if (!nul)
		return false;
	unsigned line = 1;
	for (const char *p = text.p; p < nul; p++)
		line +=
		    *p == '\n' || (*p == '\r' && p + 1 < nul && p[1] != '\n');
	mw_cfg_diag(errs, line, NULL, false,
		    "NUL byte: this is not a text file");
	return true;
}

static void read_text(reader *r, mw_str text)
{
	static const char bom[] = "\xef\xbb\xbf";
	if (text.n >= 3 && memcmp(text.p, bom, 3) == 0)
		text = mw_str_make(text.p + 3, text.n - 3);
	if (refuse_binary(text, r->errs))
		return;
	size_t pos = 0;
	unsigned lineno = 0;
	mw_str line;
	while (mw_line_next(text, &pos, &line))
		read_line(r, ++lineno, line);
	finish_logical(r);
}

/* -- checks across keys ----------------------------------------------- */

static unsigned line_of(const mw_config *cfg, const char *name)
{
	long i = mw_config_key_find(name);
	return i < 0 ? 0 : cfg->key_line[i];
}

static void check_together(const mw_config *cfg, mw_config_errors *errs)
{
	if (cfg->batv_mode != MW_CFG_BATV_OFF && !cfg->batv_key_file) {
		unsigned line = line_of(cfg, "batv_key_file");
		mw_cfg_diag(errs, line ? line : line_of(cfg, "batv_mode"),
			    "batv_key_file", false,
			    "empty, but batv_mode is %s: signing needs keys "
			    "(or set batv_mode = off)",
			    cfg->batv_mode == MW_CFG_BATV_TAG ? "tag"
							      : "enforce");
	}
	if (cfg->local_domains.n == 0)
		mw_cfg_diag(errs, line_of(cfg, "local_domains"),
			    "local_domains", true,
			    "no local domain: mailwarden protects no address");
	if (cfg->our_hostnames.n == 0)
		mw_cfg_diag(errs, line_of(cfg, "our_hostnames"),
			    "our_hostnames", true,
			    "empty%s: bounces cannot be proven genuine by "
			    "their Received: chain",
			    line_of(cfg, "our_hostnames")
				? ""
				: " (this host's name is not a valid host "
				  "name)");
}

/* -- the public calls ------------------------------------------------- */

static mw_config *config_new(void)
{
	mw_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return NULL;
	mw_arena_init(&cfg->arena, MW_CONFIG_MEMORY_MAX);
	atomic_init(&cfg->refs, 1);
	cfg->key_line =
	    mw_arena_calloc(&cfg->arena, mw_cfg_nkeys, sizeof *cfg->key_line);
	if (!cfg->key_line) {
		mw_config_free(cfg);
		return NULL;
	}
	return cfg;
}

static mw_status parse_into(mw_str text, mw_config **out,
			    mw_config_errors *errs)
{
	*out = NULL;
	mw_config *cfg = config_new();
	if (!cfg) {
		mw_cfg_diag(errs, 0, NULL, false, "out of memory");
		return MW_ENOMEM;
	}
	cfg->source = mw_arena_strdup(&cfg->arena, errs->file);
	reader r = {.cfg = cfg, .errs = errs};
	mw_buf_init(&r.logical, MW_CONFIG_LINE_MAX);
	if (!cfg->source || !apply_defaults(&r)) {
		/* A default that does not read is our bug, unless memory
		 * ran out while reading it. */
		if (!cfg->arena.refused && cfg->source)
			mw_panic("config: a default does not read: %s",
				 errs->n ? errs->diag[0].reason : "?");
		mw_buf_free(&r.logical);
		mw_config_free(cfg);
		mw_cfg_diag(errs, 0, NULL, false, "out of memory");
		return MW_ENOMEM;
	}
	read_text(&r, text);
	mw_buf_free(&r.logical);
	if (errs->errors == 0)
		check_together(cfg, errs);
	if (cfg->arena.refused) {
		mw_config_free(cfg);
		mw_cfg_diag(errs, 0, NULL, false,
			    "out of memory (over %zu bytes)",
			    (size_t)MW_CONFIG_MEMORY_MAX);
		return MW_ENOMEM;
	}
	if (errs->errors) {
		mw_config_free(cfg);
		return MW_EINVAL;
	}
	*out = cfg;
	return MW_OK;
}

mw_status mw_config_parse(const char *label, mw_str text, mw_config **out,
			  mw_config_errors *errs)
{
	errors_init(errs, label);
	return parse_into(text, out, errs);
}

mw_status mw_config_load(const char *path, mw_config **out,
			 mw_config_errors *errs)
{
	*out = NULL;
	bool is_stdin = strcmp(path, "-") == 0;
	errors_init(errs, is_stdin ? "stdin" : path);
	mw_buf text;
	mw_buf_init(&text, MW_CONFIG_FILE_MAX);
	bool truncated = false;
	mw_status st =
	    mw_file_read(path, MW_CONFIG_FILE_MAX, &text, &truncated);
	if (st != MW_OK) {
		int e = errno;
		mw_buf_free(&text);
		mw_cfg_diag(errs, 0, NULL, false, "cannot read: %s",
			    st == MW_EIO ? strerror(e) : mw_status_str(st));
		return st;
	}
	if (truncated) {
		mw_buf_free(&text);
		mw_cfg_diag(errs, 0, NULL, false,
			    "larger than %zu bytes: not a configuration file",
			    (size_t)MW_CONFIG_FILE_MAX);
		return MW_EINVAL;
	}
	st = parse_into(mw_str_make(mw_buf_cstr(&text), text.len), out, errs);
	mw_buf_free(&text);
	return st;
}

mw_config *mw_config_ref(mw_config *cfg)
{
	atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
	return cfg;
}

void mw_config_free(mw_config *cfg)
{
	if (!cfg)
		return;
	if (atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) != 1)
		return;
	mw_arena_free(&cfg->arena);
	free(cfg);
}

/* -- the keys --------------------------------------------------------- */

size_t mw_config_key_count(void)
{
	return mw_cfg_nkeys;
}

long mw_config_key_find(const char *name)
{
	for (size_t i = 0; i < mw_cfg_nkeys; i++)
		if (strcmp(mw_cfg_keys[i].name, name) == 0)
			return (long)i;
	return -1;
}

const char *mw_config_key_name(size_t i)
{
	return i < mw_cfg_nkeys ? mw_cfg_keys[i].name : NULL;
}

const char *mw_config_key_type(size_t i)
{
	return i < mw_cfg_nkeys ? mw_cfg_type_name(mw_cfg_keys[i].type) : NULL;
}

const char *mw_config_key_default(size_t i)
{
	if (i >= mw_cfg_nkeys)
		return NULL;
	if (mw_cfg_keys[i].flags & MW_CFG_DEFAULT_HOSTNAME)
		return "(this host's name)";
	return mw_cfg_keys[i].def;
}

const char *mw_config_key_doc(size_t i)
{
	return i < mw_cfg_nkeys ? mw_cfg_keys[i].doc : NULL;
}

unsigned mw_config_key_line(const mw_config *cfg, size_t i)
{
	return i < mw_cfg_nkeys ? cfg->key_line[i] : 0;
}

mw_status mw_config_value_text(const mw_config *cfg, size_t i, mw_buf *out)
{
	mw_buf_reset(out);
	if (i >= mw_cfg_nkeys)
		return MW_EINVAL;
	const mw_cfg_key *k = &mw_cfg_keys[i];
	return mw_cfg_format_value(k, (const char *)cfg + k->offset, out);
}
