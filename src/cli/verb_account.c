/*
 * verb_account.c - `mailwarden account`: look at an account of the guard
 * (status, history, list) and act on it (unlock, fence, unfence, limit,
 * notify).
 *
 * Everything goes through the store (guard/account.h), which the running
 * daemon reads at each login and message: a change applies at once,
 * without a reload. Who acted is recorded: the Unix user, or the one
 * sudo names.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/config.h"
#include "guard/account.h"
#include "lib/limits.h"
#include "store/store.h"

/* How long the verb waits for its write to be committed. */
#define ACCOUNT_FLUSH_MS 5000
/* History entries printed. */
#define ACCOUNT_HISTORY_DEFAULT 100

static const char account_help[] =
    "NAME\n"
    "    mailwarden account - look at and act on one mail account:\n"
    "    status, login history, suspension, country fence, send limits\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden account show ACCOUNT [-c FILE] [--json]\n"
    "    mailwarden account history ACCOUNT [-n N] [-c FILE] [--json]\n"
    "    mailwarden account list [--suspended] [-c FILE] [--json]\n"
    "    mailwarden account unlock ACCOUNT [-c FILE]\n"
    "    mailwarden account fence ACCOUNT CC [CC ...] [-c FILE]\n"
    "    mailwarden account unfence ACCOUNT [-c FILE]\n"
    "    mailwarden account limit ACCOUNT NAME VALUE|default [-c FILE]\n"
    "    mailwarden account notify ACCOUNT ADDRESS|none [-c FILE]\n"
    "\n"
    "DESCRIPTION\n"
    "    ACCOUNT is the login name Dovecot and Postfix's SASL report,\n"
    "    normally the mail address; case does not matter. Changes are\n"
    "    written to mailwarden's store (state_dir of the configuration)\n"
    "    and apply to the running daemon from its next login or message,\n"
    "    without a reload. Each change is recorded with the Unix user who\n"
    "    made it (SUDO_USER when run through sudo).\n"
    "\n"
    "    show     Status (active; suspended, why, since when and by whom;\n"
    "             or blocked until a time), the send limits in force with\n"
    "             the current counts, the fence, the countries seen and\n"
    "             where notices go.\n"
    "    history  Logins and submissions, newest first: time (UTC),\n"
    "             protocol, address, country, network (ASN), device and\n"
    "             result. -n N shows N entries (default 100, at most\n"
    "             2000).\n"
    "    list     Accounts that have logged in; --suspended: only the\n"
    "             suspended ones, with the reason.\n"
    "    unlock   Lift a suspension (or a block after a send limit). The\n"
    "             evidence seen before the unlock stops counting, and the\n"
    "             daemon mails the user and the admins that sending works\n"
    "             again.\n"
    "    fence    Allow logins and sending only from the countries named\n"
    "             (ISO 3166 codes: JP US ...): Dovecot refuses logins from\n"
    "             elsewhere and submissions get 550 5.7.1. Addresses of\n"
    "             the local network (loopback, private ranges) are always\n"
    "             allowed. An unknown country is outside every fence.\n"
    "    unfence  Remove the fence.\n"
    "    limit    Override a send limit for this account: NAME is\n"
    "             msgs_per_hour, rcpts_per_hour or rcpts_per_day; VALUE a\n"
    "             positive number, or 'default' for the configured one.\n"
    "    notify   Send this account's notices to ADDRESS instead of the\n"
    "             account itself ('none' goes back to the account).\n"
    "\n"
    "OPTIONS\n"
    "    -c FILE, --config FILE\n"
    "              the configuration file (default\n"
    "              /etc/mailwarden/mailwarden.conf)\n"
    "    --json    show, history, list: JSON Lines\n"
    "    -n N      history: entries to show\n"
    "    --suspended\n"
    "              list: only suspended accounts\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "EXIT STATUS\n"
    "    0  done\n"
    "    1  unlock: the account was not suspended\n"
    "    2  bad usage, a configuration with errors, or a store that\n"
    "       cannot be opened or written\n"
    "\n"
    "EXAMPLES\n"
    "    mailwarden account show taro@example.jp\n"
    "    mailwarden account history taro@example.jp --json | jq .country\n"
    "    mailwarden account unlock taro@example.jp\n"
    "    mailwarden account fence taro@example.jp JP\n"
    "    mailwarden account limit taro@example.jp rcpts_per_day 5000\n";

static const char account_usage[] =
    "usage: mailwarden account show|history|list|unlock|fence|unfence|"
    "limit|notify ... [-c FILE] [--json] (see --help)";

#define OPERANDS_MAX (MW_ACCOUNT_FENCE_MAX + 2)

typedef struct account_args {
	const char *config;
	bool json;
	bool suspended;
	long count;
	const char *op[OPERANDS_MAX];
	size_t nop;
} account_args;

static bool parse_args(int argc, char **argv, account_args *a)
{
	memset(a, 0, sizeof *a);
	a->config = MW_CONFIG_DEFAULT_PATH;
	a->count = ACCOUNT_HISTORY_DEFAULT;
	bool done = false;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!done && strcmp(s, "--") == 0) {
			done = true;
		} else if (!done && (strcmp(s, "-c") == 0 ||
				     strcmp(s, "--config") == 0)) {
			if (++i >= argc)
				return false;
			a->config = argv[i];
		} else if (!done && strncmp(s, "--config=", 9) == 0) {
			a->config = s + 9;
		} else if (!done && strcmp(s, "--json") == 0) {
			a->json = true;
		} else if (!done && strcmp(s, "--suspended") == 0) {
			a->suspended = true;
		} else if (!done && strcmp(s, "-n") == 0) {
			if (++i >= argc)
				return false;
			char *end;
			a->count = strtol(argv[i], &end, 10);
			if (*end || a->count < 1 ||
			    a->count > MW_STORE_READ_MAX)
				return false;
		} else if (!done && s[0] == '-' && s[1]) {
			return false;
		} else if (a->nop < OPERANDS_MAX) {
			a->op[a->nop++] = s;
		} else {
			return false;
		}
	}
	return a->nop >= 1;
}

/* Operands each action takes: the action itself included. */
static bool arity_ok(const account_args *a)
{
	const char *v = a->op[0];
	if (strcmp(v, "list") == 0)
		return a->nop == 1;
	if (strcmp(v, "show") == 0 || strcmp(v, "history") == 0 ||
	    strcmp(v, "unlock") == 0 || strcmp(v, "unfence") == 0)
		return a->nop == 2;
	if (strcmp(v, "fence") == 0)
		return a->nop >= 3;
	if (strcmp(v, "limit") == 0)
		return a->nop == 4;
	if (strcmp(v, "notify") == 0)
		return a->nop == 3;
	return false;
}

/* "admin NAME": the sudo user, or the Unix user. */
static void who_am_i(char *out, size_t outsz)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	const char *name = sudo && sudo[0] ? sudo : pw ? pw->pw_name : NULL;
	if (name)
		snprintf(out, outsz, "admin %.64s", name);
	else
		snprintf(out, outsz, "admin uid %u", (unsigned)getuid());
}

static int change(const account_args *a, mw_store *st, const char *acct,
		  time_t now)
{
	char who[96];
	who_am_i(who, sizeof who);
	const char *v = a->op[0];
	mw_status rc;
	bool was = true;
	if (strcmp(v, "unlock") == 0) {
		rc = mw_account_unlock(st, acct, who, true, now, &was);
	} else if (strcmp(v, "fence") == 0) {
		rc =
		    mw_account_fence(st, acct, a->op + 2, a->nop - 2, who, now);
	} else if (strcmp(v, "unfence") == 0) {
		rc = mw_account_unfence(st, acct, who, now);
	} else if (strcmp(v, "limit") == 0) {
		char *end;
		long long n = strcmp(a->op[3], "default") == 0
				  ? -1
				  : strtoll(a->op[3], &end, 10);
		if (n != -1 && (*end || n <= 0))
			n = 0; /* refused below */
		rc = mw_account_limit(st, acct, a->op[2], n, who, now);
	} else {
		rc = mw_account_notify(
		    st, acct, strcmp(a->op[2], "none") == 0 ? NULL : a->op[2],
		    who, now);
	}
	if (rc == MW_EINVAL) {
		cli_error("account",
			  "%s: bad value (see mailwarden account "
			  "--help)",
			  v);
		return CLI_USAGE;
	}
	if (rc == MW_OK)
		rc = mw_store_flush(st, ACCOUNT_FLUSH_MS);
	if (rc != MW_OK) {
		cli_error("account", "%s: the store failed: %s", acct,
			  mw_status_str(rc));
		return CLI_USAGE;
	}
	if (strcmp(v, "unlock") == 0 && !was) {
		printf("%s: was not suspended\n", acct);
		return CLI_NO;
	}
	printf("%s: %s done\n", acct, v);
	return CLI_OK;
}

static int run(const account_args *a, const mw_config *cfg, mw_store *st)
{
	time_t now = time(NULL);
	const char *v = a->op[0];
	const char *acct = a->nop > 1 ? a->op[1] : NULL;
	mw_status rc;
	if (strcmp(v, "list") == 0)
		rc = mw_account_list(st, a->suspended, a->json, stdout);
	else if (strcmp(v, "show") == 0)
		rc = mw_account_show(cfg, st, acct, now, a->json, stdout);
	else if (strcmp(v, "history") == 0)
		rc = mw_account_history(st, acct, now, (size_t)a->count,
					a->json, stdout);
	else
		return change(a, st, acct, now);
	if (rc != MW_OK) {
		cli_error("account", "%s: %s", v,
			  rc == MW_EINVAL ? "not an account name"
					  : mw_status_str(rc));
		return CLI_USAGE;
	}
	return CLI_OK;
}

static int account_main(int argc, char **argv)
{
	account_args a;
	if (!parse_args(argc, argv, &a) || !arity_ok(&a)) {
		cli_error("account", "%s", account_usage);
		return CLI_USAGE;
	}
	mw_config *cfg = cli_load_config_for_store("account", a.config);
	if (!cfg)
		return CLI_USAGE;
	mw_store *st = cli_open_store("account", cfg);
	if (!st) {
		mw_config_free(cfg);
		return CLI_USAGE;
	}
	int rc = run(&a, cfg, st);
	mw_store_close(st);
	mw_config_free(cfg);
	return rc;
}

const cli_verb cli_verb_account = {
    .name = "account",
    .run = account_main,
    .summary = "show, list, unlock, fence or limit a mail account",
    .help = account_help,
};
