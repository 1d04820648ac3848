/*
 * cli.h - what the verbs of the mailwarden command share.
 *
 * Contract: each verb is a function taking its own argv (argv[0] is the
 * verb's name) and returning the process exit status: 0 success, 1 a
 * negative answer where the verb has one, 2 bad usage or unreadable input
 * with a one-line reason on stderr (DESIGN.md §4). Verbs use only the
 * library's public headers under src/lib and src/mail.
 */
#ifndef MW_CLI_CLI_H
#define MW_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "daemon/config.h"
#include "lib/buf.h"
#include "mail/received.h"
#include "store/store.h"

enum { CLI_OK = 0, CLI_NO = 1, CLI_USAGE = 2 };

typedef struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* one line for `mailwarden --help` */
	const char *help;    /* the man-style page for `VERB --help` */
} cli_verb;

extern const cli_verb cli_verb_trace;
extern const cli_verb cli_verb_bounce;
extern const cli_verb cli_verb_batv;
extern const cli_verb cli_verb_serve;
extern const cli_verb cli_verb_check_config;
extern const cli_verb cli_verb_address;
extern const cli_verb cli_verb_password_check;
extern const cli_verb cli_verb_account;

/* "mailwarden VERB: reason" on stderr. */
void cli_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Is argv[i] "--help" or "-h"? Then print the verb's page and return true. */
bool cli_wants_help(const cli_verb *v, int argc, char **argv);

/* Read the options of a verb whose only option is --json: sets *json and
 * returns the index of the first operand, or -1 after printing the usage
 * line for an unknown option. */
int cli_json_option(const char *verb, const char *usage, int argc, char **argv,
		    bool *json);

/* Read a message (path or "-") under MW_MESSAGE_MAX; false after printing
 * the reason when it cannot be read. */
bool cli_read_message(const char *verb, const char *path, mw_buf *msg,
		      bool *truncated);

/* JSON values from parse results; NULL strings become null, and text that
 * is not valid UTF-8 is repaired rather than dropped. */
json_t *cli_json_str(const char *s);
json_t *cli_json_hop(const mw_received *hop);
json_t *cli_json_hops(const mw_received *hops, size_t n);
/* Print one JSON Lines record and release it. */
void cli_json_print(FILE *out, json_t *obj);

/* Print "label: value" when value is not NULL, for the table views. */
void cli_print_field(FILE *out, const char *indent, const char *label,
		     const char *value);

/* The configuration at path for a verb that works on the store (errors
 * printed as check-config prints them; a Redis store refused for now),
 * or NULL. */
mw_config *cli_load_config_for_store(const char *verb, const char *path);
/* Its store, or NULL after "mailwarden VERB: reason". */
mw_store *cli_open_store(const char *verb, const mw_config *cfg);

#endif
