/*
 * verb_serve.c - `mailwarden serve`: the milter daemon, in the
 * foreground (systemd, or a terminal). Everything but the options is
 * src/daemon/serve.c.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "daemon/serve.h"

static const char serve_help[] =
    "NAME\n"
    "    mailwarden serve - run the milter daemon beside Postfix\n"
    "\n"
    "SYNOPSIS\n"
    "    mailwarden serve [-c FILE] [-f]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the configuration, listens on milter_socket for Postfix's\n"
    "    smtpd_milters (and non_smtpd_milters) connections, and judges\n"
    "    every message there: BATV-tags the envelope sender of outbound\n"
    "    mail and records it in the sent log, refuses forged bounces to\n"
    "    local addresses during the SMTP dialogue, refuses mail to retired\n"
    "    addresses. It never generates a bounce itself.\n"
    "\n"
    "    The daemon always stays in the foreground: run it under systemd\n"
    "    (contrib/mailwarden.service) or a supervisor. Started as root, it\n"
    "    binds the socket, then runs as the configured user; state_dir must\n"
    "    be writable by that user, and the configuration and BATV key file\n"
    "    readable by it (SIGHUP reads them again).\n"
    "\n"
    "    It logs to standard error or to syslog (key log), one line per\n"
    "    message: queue id, direction, client, sender, recipients, verdict\n"
    "    and reason.\n"
    "\n"
    "OPTIONS\n"
    "    -c, --config FILE\n"
    "              the configuration file (default\n"
    "              /etc/mailwarden/mailwarden.conf)\n"
    "    -f, --foreground\n"
    "              stay in the foreground; accepted for habit, as this is\n"
    "              the only way the daemon runs\n"
    "    -h, --help\n"
    "              show this page\n"
    "\n"
    "SIGNALS\n"
    "    SIGHUP    read the configuration and the BATV keys again; when\n"
    "              both are good they apply to transactions that start\n"
    "              from then on, otherwise each error is logged and the\n"
    "              old ones stay. milter_socket, state_dir, store, user,\n"
    "              log and syslog_facility need a restart.\n"
    "    SIGTERM, SIGINT\n"
    "              stop accepting connections, let transactions in flight\n"
    "              finish (at most 30 s, or milter_timeout if shorter),\n"
    "              flush and close the store, exit 0.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  stopped by SIGTERM or SIGINT\n"
    "    1  the event loop failed\n"
    "    2  it could not start: bad usage, a configuration error (shown as\n"
    "       check-config shows it), the socket, the user, state_dir, the\n"
    "       BATV keys or the store\n"
    "\n"
    "FILES\n"
    "    /etc/mailwarden/mailwarden.conf   the configuration\n"
    "    /etc/mailwarden/batv.keys         BATV keys (batv_key_file)\n"
    "    /var/lib/mailwarden/              state_dir: the SQLite store\n"
    "\n"
    "SEE ALSO\n"
    "    mailwarden check-config --help, docs/daemon.md, docs/admin.md\n";

static int serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0}};
	mw_serve_options o = {.config_path = NULL};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'f':
			break;
		default:
			cli_error("serve", "usage: mailwarden serve [-c FILE] "
					   "[-f]");
			return CLI_USAGE;
		}
	}
	if (optind != argc) {
		cli_error("serve",
			  "unexpected argument '%s' (the file is given with "
			  "-c FILE)",
			  argv[optind]);
		return CLI_USAGE;
	}
	return mw_serve(&o);
}

const cli_verb cli_verb_serve = {
    .name = "serve",
    .run = serve_main,
    .summary = "run the milter daemon (foreground)",
    .help = serve_help,
};
