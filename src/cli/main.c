/*
 * main.c - the mailwarden command: find the verb, hand it its arguments.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lib/log.h"
#include "mail/charset.h"

#ifndef MW_VERSION
#define MW_VERSION "0.1.0"
#endif

static const cli_verb *const verbs[] = {
    &cli_verb_trace,
    &cli_verb_bounce,
    &cli_verb_batv,
    &cli_verb_serve,
    &cli_verb_check_config,
    &cli_verb_address,
    &cli_verb_password_check,
    &cli_verb_account,
};
#define NVERBS (sizeof verbs / sizeof verbs[0])

static void usage(FILE *out)
{
	fputs("Usage: mailwarden VERB [OPTIONS] [ARGS]\n"
	      "\n"
	      "Protects the people behind a Postfix/Dovecot mail server from\n"
	      "backscatter floods and account takeover, and shows them what\n"
	      "happened.\n"
	      "\n"
	      "Verbs:\n",
	      out);
	for (size_t i = 0; i < NVERBS; i++)
		fprintf(out, "  %-14s %s\n", verbs[i]->name, verbs[i]->summary);
	fputs("\n"
	      "`mailwarden VERB --help` shows a verb's manual page.\n"
	      "Exit status: 0 success, 1 a negative answer (where a verb has\n"
	      "one), 2 bad usage or unreadable input.\n",
	      out);
}

int main(int argc, char **argv)
{
	mw_log_init("mailwarden");
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(name, "--version") == 0) {
		printf("mailwarden %s\n", MW_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < NVERBS; i++) {
		if (strcmp(name, verbs[i]->name) != 0)
			continue;
		if (cli_wants_help(verbs[i], argc - 1, argv + 1))
			return CLI_OK;
		int rc = verbs[i]->run(argc - 1, argv + 1);
		mw_charset_cleanup();
		return rc;
	}
	fprintf(stderr,
		"mailwarden: unknown verb '%s' (try mailwarden --help)\n",
		name);
	return CLI_USAGE;
}
