/*
 * verb_check_config.c - `mailwarden check-config`: is this configuration
 * good, and what does it amount to?
 *
 * The admin's check before a restart or a reload (SIGHUP): every error of
 * the file at once, each naming file, line and key, then what the file
 * names outside itself (the BATV key file, the databases), checked as
 * `serve` will use them. Nothing is started and nothing is written.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "daemon/config.h"

static const char check_config_help[] =
    "NAME\n"
    "    mailwarden check-config - check the configuration file\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden check-config [-c FILE] [-v] [-n]\n"
    "    mailwarden check-config --keys\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the configuration file (by default\n"
    "    /etc/mailwarden/mailwarden.conf; - reads standard input) as\n"
    "    `mailwarden serve` would and reports every error in it, one a\n"
    "    line on standard error, as\n"
    "\n"
    "        FILE:LINE: key 'NAME': reason\n"
    "\n"
    "    Unknown keys (with the closest known name), values of the wrong\n"
    "    form (with the forms accepted), keys set twice and lines that\n"
    "    are not `key = value` are errors. Then, unless -n is given, it\n"
    "    checks what the file names outside itself: that batv_key_file\n"
    "    parses (when batv_mode is not off), that geoip_country_db,\n"
    "    geoip_asn_db and breached_passwords_file can be opened, and,\n"
    "    when run as root, that `user` exists.\n"
    "\n"
    "    With no error it prints \"FILE: ok\" on standard output.\n"
    "    Warnings (such as an empty local_domains) are printed on\n"
    "    standard error as \"FILE:LINE: warning: ...\" and do not make\n"
    "    the check fail.\n"
    "\n"
    "    The file's syntax is that of Postfix's main.cf: `key = value`;\n"
    "    a line starting with blanks continues the line above; a line\n"
    "    whose first non-blank character is # is a comment, and a #\n"
    "    anywhere else is part of the value; lists are separated by\n"
    "    blanks or commas; each key may be set once. docs/config.md\n"
    "    describes every key.\n"
    "\n"
    "OPTIONS\n"
    "    -c FILE, --config FILE\n"
    "              the file to check\n"
    "    -v, --verbose\n"
    "              after \"FILE: ok\", print every key with its effective\n"
    "              value, as \"key = value  (default)\" or\n"
    "              \"key = value  (line N)\"\n"
    "    -n, --no-files\n"
    "              check the file's text only, not the files it names\n"
    "    --keys    list every key with its type, default and purpose,\n"
    "              without reading a file\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "LIMITS\n"
    "    A file over 1 MiB or with a NUL byte is refused whole; a\n"
    "    logical line may have 64 KiB and a list 4096 items; the first 50\n"
    "    errors are printed and the rest counted.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  the configuration is good (warnings may have been printed)\n"
    "    2  it has errors, cannot be read, or bad usage\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden check-config\n"
    "    mailwarden check-config -c /etc/mailwarden/new.conf -v\n"
    "    mailwarden check-config -n -c - < mailwarden.conf\n";

static void print_keys(FILE *out)
{
	for (size_t i = 0; i < mw_config_key_count(); i++)
		fprintf(out, "%s (%s, default: %s)\n    %s\n",
			mw_config_key_name(i), mw_config_key_type(i),
			*mw_config_key_default(i) ? mw_config_key_default(i)
						  : "empty",
			mw_config_key_doc(i));
}

static void print_effective(FILE *out, const mw_config *cfg)
{
	mw_buf value;
	mw_buf_init(&value, MW_CONFIG_LINE_MAX * 2);
	for (size_t i = 0; i < mw_config_key_count(); i++) {
		if (mw_config_value_text(cfg, i, &value) != MW_OK)
			mw_buf_puts(&value, "...");
		const char *v = mw_buf_cstr(&value);
		fprintf(out, "%s =%s%s  ", mw_config_key_name(i), *v ? " " : "",
			v);
		unsigned line = mw_config_key_line(cfg, i);
		if (line)
			fprintf(out, "(line %u)\n", line);
		else
			fputs("(default)\n", out);
	}
	mw_buf_free(&value);
}

static int check_config_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"no-files", no_argument, NULL, 'n'},
	    {"keys", no_argument, NULL, 'k'},
	    {NULL, 0, NULL, 0}};
	const char *path = MW_CONFIG_DEFAULT_PATH;
	bool verbose = false, no_files = false, keys = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vn", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'n':
			no_files = true;
			break;
		case 'k':
			keys = true;
			break;
		default:
			cli_error("check-config", "usage: mailwarden "
						  "check-config [-c FILE] [-v] "
						  "[-n]");
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("check-config",
			  "unexpected argument '%s' (the file "
			  "is given with -c FILE)",
			  argv[optind]);
		return CLI_USAGE;
	}
	if (keys) {
		print_keys(stdout);
		return CLI_OK;
	}
	/* The errors are 20 KiB: off the stack of a small verb. */
	static mw_config_errors errs;
	mw_config *cfg = NULL;
	mw_status st = mw_config_load(path, &cfg, &errs);
	if (st == MW_OK && !no_files)
		mw_config_check_files(cfg, &errs);
	mw_config_errors_print(&errs, stderr);
	if (st != MW_OK || errs.errors) {
		mw_config_free(cfg);
		return CLI_USAGE;
	}
	printf("%s: ok\n", errs.file);
	if (verbose)
		print_effective(stdout, cfg);
	mw_config_free(cfg);
	return CLI_OK;
}

const cli_verb cli_verb_check_config = {
    .name = "check-config",
    .run = check_config_main,
    .summary = "check the configuration file; -v shows every key",
    .help = check_config_help,
};
