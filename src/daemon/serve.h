/*
 * serve.h - `mailwarden serve`: the daemon's life from start to exit.
 *
 * Contract: mw_serve() runs in the foreground until SIGTERM or SIGINT and
 * returns the process's exit status:
 *   0  stopped cleanly: the socket closed, transactions in flight
 *      finished (or cut after the grace time, MW_SERVE_STOP_GRACE or
 *      milter_timeout if shorter), the store flushed and closed;
 *   1  the event loop failed while running;
 *   2  it could not start: the configuration has errors (printed as
 *      check-config prints them), the socket cannot be bound, the user
 *      does not exist or state_dir is not writable by it, the BATV key
 *      file is bad, the store cannot be opened. One line on stderr says
 *      which, before the log target of the configuration takes over.
 *
 * Start-up, in this order: read the configuration; set up logging;
 * raise the open-files limit to its hard limit; bind the milter socket
 * (as root if started so, so that any address or path works); give a
 * unix socket to `user` and drop to it (setgroups/initgroups, setgid,
 * setuid, then check that root cannot be regained); check that state_dir
 * is writable; read the BATV keys (so the key file must be readable by
 * `user`, which also lets SIGHUP read it again); open the store and make
 * the shield; serve.
 *
 * Signals: SIGHUP reads the configuration and the keys again; if both
 * are good the new ones apply to transactions that start from then on
 * (a transaction keeps the policy it started with), otherwise every
 * error is logged and the old ones stay. Keys that need a restart
 * (milter_socket, state_dir, store, user, log, syslog_facility) are
 * reported and keep their old values. SIGTERM and SIGINT stop as said
 * above. SIGPIPE is ignored.
 *
 * Threads: the loop's thread does all milter work; the store has its own
 * writer thread (store.h). Every minute the loop calls mw_shield_tick(),
 * and every few seconds it asks mw_store_health() and logs each change.
 */
#ifndef MW_DAEMON_SERVE_H
#define MW_DAEMON_SERVE_H

#include <stdbool.h>

typedef struct mw_serve_options {
	const char *config_path; /* NULL: MW_CONFIG_DEFAULT_PATH */
} mw_serve_options;

int mw_serve(const mw_serve_options *opt);

#endif
