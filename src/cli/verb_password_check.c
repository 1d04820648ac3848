/*
 * verb_password_check.c - `mailwarden password-check`: is a password good
 * enough, and if not, why not, in English and Japanese.
 *
 * Seeds 001 and 004: the password was `1234qwer`, or one reused from a
 * breached site. The rules live in guard/password.h, which the daemon and
 * the panel share; this verb reads one password from standard input (so
 * that it never appears in argv, ps or a shell history), never prints it,
 * and wipes its copy before it exits.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/config.h"
#include "guard/password.h"
#include "lib/limits.h"

static const char password_help[] =
    "NAME\n"
    "    mailwarden password-check - judge a password before it is set\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden password-check [--user ADDRESS] [-c FILE]\n"
    "                              [--breached FILE] [--json] < password\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads one password, the first line of standard input without its\n"
    "    line end (LF, CRLF or CR), and says whether it is acceptable. On\n"
    "    a terminal it asks for it without echo. The password is never\n"
    "    printed, logged or kept; it must not be given as an argument.\n"
    "\n"
    "    A password is refused, with one reason per failed rule, when:\n"
    "      weak             zxcvbn's strength score (0-4) is under 3. The\n"
    "                       score comes from libzxcvbn's entropy E in\n"
    "                       bits: guesses = 2^E; under 10^3 guesses is 0,\n"
    "                       under 10^6 is 1, under 10^8 is 2, under 10^10\n"
    "                       is 3, more is 4.\n"
    "      too_short        it has fewer than 12 characters (Unicode code\n"
    "                       points: \"パスワード\" is 5, not 15).\n"
    "      contains_user    it contains the local part of --user, or a\n"
    "                       piece of it between '.', '_', '-' or '+', of\n"
    "                       3 characters or more, in any case.\n"
    "      contains_domain  it contains a label of --user's domain other\n"
    "                       than the top-level one, of 3 or more.\n"
    "      breached         its SHA-1 is in the breached-password file,\n"
    "                       searched in place (see docs/password.md).\n"
    "\n"
    "    The breached-password file is --breached FILE, or else the\n"
    "    configuration's breached_passwords_file. Without either, that\n"
    "    rule is not applied (JSON \"breached\": null).\n"
    "\n"
    "OPTIONS\n"
    "    --user ADDRESS\n"
    "              the account the password is for (local@domain, or a\n"
    "              bare login name); its names count against it\n"
    "    -c FILE, --config FILE\n"
    "              the configuration file, for breached_passwords_file\n"
    "              (default /etc/mailwarden/mailwarden.conf, skipped\n"
    "              when it does not exist)\n"
    "    --breached FILE\n"
    "              the breached-password file (Have I Been Pwned's SHA-1\n"
    "              \"ordered by hash\" text: HASH:COUNT lines sorted by\n"
    "              hash), instead of the configuration's\n"
    "    --json    one JSON object: {\"acceptable\": bool, \"score\": N,\n"
    "              \"length\": N, \"breached\": N|null, \"reasons\":\n"
    "              [{\"code\", \"en\", \"ja\"}]}; breached is the times the\n"
    "              password was seen (0: not listed)\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "OUTPUT\n"
    "    \"acceptable\" or \"refused\", then one line per reason:\n"
    "    \"too short: 8 characters, at least 12 / 短すぎます: 8文字\n"
    "    (12文字以上必要)\".\n"
    "\n"
    "EXIT STATUS\n"
    "    0  acceptable\n"
    "    1  refused\n"
    "    2  bad usage; no password, one over 1,024 bytes or with a NUL\n"
    "       byte; a configuration with errors; a breached-password file\n"
    "       that cannot be read or is not in the format\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden password-check --user tanaka@example.jp\n"
    "    printf '%s\\n' \"$new\" | mailwarden password-check --json \\\n"
    "        --breached /var/lib/mailwarden/pwned-passwords-sha1.txt\n";

static const char password_usage[] =
    "usage: mailwarden password-check [--user ADDRESS] [-c FILE] "
    "[--breached FILE] [--json] < password";

typedef struct password_args {
	const char *user;
	const char *config; /* NULL: the default, if it exists */
	const char *breached;
	bool json;
} password_args;

/* The value of an option given as "--opt VALUE" or "--opt=VALUE". */
static bool option_value(int argc, char **argv, int *i, const char *name,
			 const char **value)
{
	size_t n = strlen(name);
	if (strcmp(argv[*i], name) == 0) {
		if (*i + 1 >= argc)
			return false;
		*value = argv[++*i];
		return true;
	}
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return true;
	}
	return false;
}

static bool parse_args(int argc, char **argv, password_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (strcmp(s, "--json") == 0)
			a->json = true;
		else if (strcmp(s, "-c") == 0 && i + 1 < argc)
			a->config = argv[++i];
		else if (option_value(argc, argv, &i, "--config", &a->config) ||
			 option_value(argc, argv, &i, "--user", &a->user) ||
			 option_value(argc, argv, &i, "--breached",
				      &a->breached))
			continue;
		else
			return false; /* no operands: the password is stdin */
	}
	return true;
}

typedef enum read_result {
	READ_OK,
	READ_EMPTY,
	READ_TOO_LONG,
	READ_ERROR,
} read_result;

static const char *find_line_end(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\r')
			return p + i;
	return NULL;
}

/* Read until a line end, the end of input, or cap bytes: never more than
 * one password and its line end. */
static read_result read_line(char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	for (;;) {
		const char *end = find_line_end(buf, n);
		if (end) {
			*len = (size_t)(end - buf);
			return READ_OK;
		}
		if (n == cap)
			return READ_TOO_LONG;
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return READ_ERROR;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return n ? READ_OK : READ_EMPTY;
}

/* On a terminal: ask on stderr, with echo off for the typing. */
static read_result read_password(char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fputs("Password: ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	read_result rc = read_line(buf, cap, len);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc == READ_OK && *len > MW_PASSWORD_MAX)
		rc = READ_TOO_LONG;
	return rc;
}

/* The list's path: --breached, else the configuration's (NULL: none).
 * *cfg is what was loaded, for the caller to free; false after a
 * message when the configuration cannot be used. */
static bool breached_path(const password_args *a, mw_config **cfg,
			  const char **path)
{
	static mw_config_errors errs; /* 20 KiB: not on the stack */
	*cfg = NULL;
	*path = a->breached;
	if (a->breached)
		return true;
	const char *conf = a->config ? a->config : MW_CONFIG_DEFAULT_PATH;
	if (!a->config && access(conf, F_OK) != 0)
		return true; /* no configuration: no list */
	if (mw_config_load(conf, cfg, &errs) != MW_OK) {
		mw_config_errors_print(&errs, stderr);
		return false;
	}
	*path = (*cfg)->breached_passwords_file;
	return true;
}

static bool open_breached(const char *path, mw_breached **b)
{
	*b = NULL;
	if (!path)
		return true;
	mw_status rc = mw_breached_open(path, b);
	if (rc == MW_OK)
		return true;
	cli_error("password-check", "%s: %s", path,
		  rc == MW_EIO ? strerror(errno) : mw_status_str(rc));
	return false;
}

static bool read_input(char *pw, size_t cap, size_t *len)
{
	switch (read_password(pw, cap, len)) {
	case READ_OK:
		break;
	case READ_EMPTY:
		cli_error("password-check", "no password on standard input");
		return false;
	case READ_TOO_LONG:
		cli_error("password-check",
			  "the password is over %d bytes: not checked",
			  MW_PASSWORD_MAX);
		return false;
	case READ_ERROR:
		cli_error("password-check", "standard input: %s",
			  strerror(errno));
		return false;
	}
	if (memchr(pw, '\0', *len)) {
		cli_error("password-check", "the password holds a NUL byte");
		return false;
	}
	return true;
}

static json_t *reason_json(const mw_password_verdict *v, mw_password_reason r)
{
	mw_buf text;
	mw_buf_init(&text, 4 * MW_ADDRESS_MAX);
	json_t *o = json_object();
	json_object_set_new(o, "code", json_string(mw_password_reason_code(r)));
	mw_password_reason_text(v, r, MW_PW_LANG_EN, &text);
	json_object_set_new(o, "en", cli_json_str(mw_buf_cstr(&text)));
	mw_buf_reset(&text);
	mw_password_reason_text(v, r, MW_PW_LANG_JA, &text);
	json_object_set_new(o, "ja", cli_json_str(mw_buf_cstr(&text)));
	mw_buf_free(&text);
	return o;
}

static void print_json(const mw_password_verdict *v)
{
	json_t *o = json_object();
	json_object_set_new(o, "acceptable", json_boolean(v->acceptable));
	json_object_set_new(o, "score", json_integer(v->score));
	json_object_set_new(o, "length", json_integer((json_int_t)v->length));
	json_object_set_new(
	    o, "breached",
	    v->breached_checked
		? json_integer(v->breached_count > LLONG_MAX
				   ? LLONG_MAX
				   : (json_int_t)v->breached_count)
		: json_null());
	json_t *reasons = json_array();
	for (size_t i = 0; i < v->nreasons; i++)
		json_array_append_new(reasons, reason_json(v, v->reasons[i]));
	json_object_set_new(o, "reasons", reasons);
	cli_json_print(stdout, o);
}

static void print_text(const mw_password_verdict *v)
{
	mw_buf line;
	mw_buf_init(&line, 8 * MW_ADDRESS_MAX);
	puts(v->acceptable ? "acceptable" : "refused");
	for (size_t i = 0; i < v->nreasons; i++) {
		mw_buf_reset(&line);
		mw_password_reason_text(v, v->reasons[i], MW_PW_LANG_EN, &line);
		mw_buf_puts(&line, " / ");
		mw_password_reason_text(v, v->reasons[i], MW_PW_LANG_JA, &line);
		puts(mw_buf_cstr(&line));
	}
	mw_buf_free(&line);
}

/* Judge pw and print the verdict; the exit status. */
static int judge(const password_args *a, const char *pw, size_t len,
		 const mw_breached *b, const char *list)
{
	mw_password_query q;
	mw_password_query_init(&q);
	q.password = pw;
	q.len = len;
	q.user = a->user;
	q.breached = b;
	mw_password_verdict v;
	mw_status rc = mw_password_check(&q, &v);
	if (rc == MW_EINVAL && v.breached_status == MW_EINVAL) {
		cli_error("password-check",
			  "%s: not a breached-password list (HASH:COUNT "
			  "lines sorted by hash)",
			  list);
		return CLI_USAGE;
	}
	if (rc != MW_OK) {
		cli_error("password-check", "%s: %s",
			  v.breached_status != MW_OK ? list : "the check",
			  rc == MW_EIO ? strerror(errno) : mw_status_str(rc));
		return CLI_USAGE;
	}
	if (a->json)
		print_json(&v);
	else
		print_text(&v);
	return v.acceptable ? CLI_OK : CLI_NO;
}

static int password_main(int argc, char **argv)
{
	password_args a;
	if (!parse_args(argc, argv, &a)) {
		cli_error("password-check", "%s", password_usage);
		return CLI_USAGE;
	}
	if (a.user && (!a.user[0] || strlen(a.user) > MW_ADDRESS_MAX)) {
		cli_error("password-check", "--user: not an address");
		return CLI_USAGE;
	}
	mw_config *cfg = NULL;
	const char *list = NULL;
	mw_breached *b = NULL;
	/* the list first: a user should not type a password in vain */
	if (!breached_path(&a, &cfg, &list) || !open_breached(list, &b)) {
		mw_config_free(cfg);
		return CLI_USAGE;
	}
	/* a line end (up to two bytes) past the largest password */
	char pw[MW_PASSWORD_MAX + 2];
	size_t len = 0;
	int rc = read_input(pw, sizeof pw, &len) ? judge(&a, pw, len, b, list)
						 : CLI_USAGE;
	explicit_bzero(pw, sizeof pw);
	mw_breached_close(b);
	mw_config_free(cfg);
	return rc;
}

const cli_verb cli_verb_password_check = {
    .name = "password-check",
    .run = password_main,
    .summary = "judge a password: strength, length, names, breaches",
    .help = password_help,
};
