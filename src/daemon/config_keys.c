/*
 * config_keys.c - the one table of configuration keys.
 *
 * A key is a field of mw_config with the same name and one row here: its
 * type, its default (written as in the file, so that the default goes
 * through the same checks as a value an admin writes), its range and a
 * line of documentation. The row macros take the field itself, so a key
 * cannot be named differently from its field, and AT() refuses to compile
 * a row whose field has the wrong C type for the key's type.
 *
 * The defaults are explained in docs/config.md; change both together.
 */
#include <stddef.h>

#include "daemon/config_int.h"

/* offsetof(mw_config, f), and a compile error unless f has type ctype. */
#define AT(f, ctype)                                                           \
	_Generic(((mw_config *)0)->f, ctype : offsetof(mw_config, f))
/* Enum fields are written as an int: refuse any other size. */
#define AT_ENUM(f)                                                             \
	(offsetof(mw_config, f) +                                              \
	 0 * sizeof(                                                           \
		 char[sizeof(((mw_config *)0)->f) == sizeof(int) ? 1 : -1]))

/* One row: name (= field), type, default, offset, min, max, words,
 * flags, doc. */
// clang-format off
#define ROW(f, type, def, at, lo, hi, words, flags, doc) \
	{#f, type, def, at, lo, hi, words, flags, doc}
#define K_PATH(f, def, flags, doc) \
	ROW(f, MW_CFG_T_PATH, def, AT(f, const char *), 0, 0, NULL, flags, doc)
#define K_SECRET(f, doc) \
	ROW(f, MW_CFG_T_SECRET, "", AT(f, const char *), 0, 0, NULL, MW_CFG_OPTIONAL, doc)
#define K_USER(f, def, doc) \
	ROW(f, MW_CFG_T_USER, def, AT(f, const char *), 0, 0, NULL, 0, doc)
#define K_BOOL(f, def, doc) \
	ROW(f, MW_CFG_T_BOOL, def, AT(f, bool), 0, 0, NULL, 0, doc)
#define K_COUNT(f, def, lo, hi, doc) \
	ROW(f, MW_CFG_T_COUNT, def, AT(f, int64_t), lo, hi, NULL, 0, doc)
#define K_DURATION(f, def, lo, hi, doc) \
	ROW(f, MW_CFG_T_DURATION, def, AT(f, int64_t), lo, hi, NULL, 0, doc)
#define K_SIZE(f, def, lo, hi, doc) \
	ROW(f, MW_CFG_T_SIZE, def, AT(f, int64_t), lo, hi, NULL, 0, doc)
#define K_ENUM(f, def, words, doc) \
	ROW(f, MW_CFG_T_ENUM, def, AT_ENUM(f), 0, 0, words, 0, doc)
#define K_LIST(f, type, def, flags, doc) \
	ROW(f, type, def, AT(f, mw_cfg_strings), 0, 0, NULL, flags, doc)
#define K_NETWORKS(f, def, doc) \
	ROW(f, MW_CFG_T_NETWORKS, def, AT(f, mw_cfg_networks), 0, 0, NULL, 0, doc)
#define K_ADDRESS(f, def, flags, doc) \
	ROW(f, MW_CFG_T_ADDRESS, def, AT(f, const char *), 0, 0, NULL, flags, doc)
#define K_ENDPOINT(f, type, def, flags, doc) \
	ROW(f, type, def, AT(f, mw_cfg_endpoint), 0, 0, NULL, flags, doc)
#define K_STORE(f, def, doc) \
	ROW(f, MW_CFG_T_STORE, def, AT(f, mw_cfg_store), 0, 0, NULL, 0, doc)
// clang-format on

#define MINUTE 60
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)
#define KIB 1024
#define MIB (1024 * KIB)

/* Word lists: the index of a word is the enum value it stands for. */
static const char *const log_words[] = {"stderr", "syslog", NULL};
static const char *const level_words[] = {"error", "warning", "info", "debug",
					  NULL};
static const char *const facility_words[] = {
    "mail",   "daemon", "local0", "local1", "local2", "local3",
    "local4", "local5", "local6", "local7", NULL};
static const char *const failure_words[] = {"accept", "tempfail", NULL};
static const char *const batv_words[] = {"off", "tag", "enforce", NULL};
static const char *const limit_action_words[] = {
    "alert", "block_until_tomorrow", "block_until_admin", NULL};

const mw_cfg_key mw_cfg_keys[] = {
    /* the process */
    K_USER(user, "mailwarden", "user to run as when started as root"),
    K_ENUM(log, "stderr", log_words,
	   "where log lines go: stderr (the journal under systemd) or "
	   "syslog"),
    K_ENUM(log_level, "info", level_words,
	   "least important level logged: error, warning, info, debug"),
    K_ENUM(syslog_facility, "mail", facility_words,
	   "syslog facility when log = syslog"),
    K_PATH(state_dir, "/var/lib/mailwarden", 0,
	   "directory of the SQLite database and other state"),
    K_STORE(store, "sqlite",
	    "where counters, the sent log and history live: sqlite or "
	    "redis://HOST:PORT"),
    K_DURATION(store_timeout, "2s", 1, 60,
	       "longest wait for the store before milter_failure_action "
	       "applies"),

    /* the milter and the HTTP server */
    K_ENDPOINT(milter_socket, MW_CFG_T_SOCKET, "inet:127.0.0.1:8894", 0,
	       "socket Postfix's smtpd_milters connects to"),
    K_DURATION(milter_timeout, "10m", 10, DAY,
	       "idle time after which a milter connection is closed"),
    K_COUNT(milter_max_connections, "1000", 1, 100000,
	    "milter connections served at once; more are accepted and closed at once (logged)"),
    K_ENUM(milter_failure_action, "accept", failure_words,
	   "answer when the store is down: accept or tempfail"),
    K_ENDPOINT(http_listen, MW_CFG_T_HOSTPORT, "127.0.0.1:8895",
	       MW_CFG_OPTIONAL,
	       "HOST:PORT of the API, panel, metrics and Dovecot "
	       "auth-policy; empty: none"),

    /* who is local, who is trusted, what is outbound */
    K_LIST(local_domains, MW_CFG_T_DOMAINS, "", 0,
	   "domains whose addresses mailwarden protects"),
    K_LIST(our_hostnames, MW_CFG_T_DOMAINS, NULL, MW_CFG_DEFAULT_HOSTNAME,
	   "host names of our relays, for the Received: proof of a "
	   "bounce"),
    K_NETWORKS(trusted_networks, "127.0.0.0/8, ::1/128",
	       "clients whose mail is outbound"),
    K_LIST(outbound_daemon_names, MW_CFG_T_NAMES, "ORIGINATING", 0,
	   "Postfix {daemon_name} values whose mail is outbound"),

    /* the backscatter shield */
    K_ENUM(batv_mode, "tag", batv_words,
	   "BATV: off, tag (sign, label bounces) or enforce (sign, refuse "
	   "forged bounces)"),
    K_PATH(batv_key_file, "/etc/mailwarden/batv.keys", MW_CFG_OPTIONAL,
	   "file of BATV keys, one 'K secret' a line"),
    K_COUNT(batv_validity_days, "7", 1, MW_BATV_VALIDITY_DAYS_MAX,
	    "days a BATV tag stays valid"),
    K_COUNT(sent_log_days, "14", 1, 366,
	    "days a sent message's Message-ID is remembered"),
    K_SIZE(bounce_body_max, "1M", 64 * KIB, (int64_t)MW_MESSAGE_MAX,
	   "bytes of a bounce kept for the end-of-data proof"),
    K_COUNT(flood_threshold, "30", 1, 1000000,
	    "refused forged bounces to one address within flood_window "
	    "that make a flood"),
    K_DURATION(flood_window, "1h", MINUTE, 7 * DAY,
	       "window in which flood_threshold is counted"),
    K_BOOL(digest, "yes",
	   "send each flooded user one digest a day instead of the "
	   "bounces"),
    K_ADDRESS(digest_from, "", MW_CFG_OPTIONAL,
	      "From: of digests; empty: postmaster@ the user's domain"),
    K_ENDPOINT(digest_smtp, MW_CFG_T_HOSTPORT, "127.0.0.1:25", 0,
	       "SMTP server (the local Postfix) that delivers digests and "
	       "alerts"),
    K_COUNT(own_bounce_threshold, "20", 1, 100000,
	    "genuine bounces to one user's own mail in an hour that "
	    "signal a takeover"),
    K_LIST(admin_notify, MW_CFG_T_ADDRESSES, "", 0,
	   "addresses told of floods and suspected takeovers"),

    /* the account guard */
    K_PATH(geoip_country_db, "", MW_CFG_OPTIONAL,
	   "MaxMind-format country database; empty: countries unknown"),
    K_PATH(geoip_asn_db, "", MW_CFG_OPTIONAL,
	   "MaxMind-format ASN database; empty: ASNs unknown"),
    K_SECRET(auth_policy_secret,
	     "secret Dovecot must send as 'X-API-Key: SECRET' "
	     "(auth_policy_server_api_header); empty: none asked"),
    K_COUNT(history_keep_count, "1000", 100, 100000,
	    "logins and submissions kept per account, newest first"),
    K_COUNT(history_keep_days, "731", 30, 3653,
	    "days logins and submissions are kept"),
    K_COUNT(send_limit_messages_hour, "200", 1, 1000000,
	    "messages one account may send in an hour (default; "
	    "mailwarden account limit overrides it per account)"),
    K_COUNT(send_limit_recipients_hour, "500", 1, 1000000,
	    "recipients one account may send to in an hour"),
    K_COUNT(send_limit_recipients_day, "2000", 1, 10000000,
	    "recipients one account may send to in a day"),
    K_ENUM(send_limit_action, "alert", limit_action_words,
	   "besides 451 for the message over the limit: alert, "
	   "block_until_tomorrow or block_until_admin"),
    K_COUNT(takeover_threshold, "100", 10, 10000,
	    "takeover score at which an account's sending is suspended "
	    "(docs/guard.md gives the score)"),
    K_BOOL(login_alerts, "yes",
	   "mail the user when they log in from a new country, network "
	   "or device"),
    K_DURATION(login_alert_interval, "1h", MINUTE, 7 * DAY,
	       "at most one login alert per account in this time"),
    K_DURATION(bruteforce_window, "15m", MINUTE, DAY,
	       "window in which failed logins are counted"),
    K_COUNT(bruteforce_ip_delay_after, "5", 1, 100000,
	    "failures from one address in the window before its logins "
	    "are delayed"),
    K_COUNT(bruteforce_ip_reject_after, "30", 1, 100000,
	    "failures from one address in the window before its logins "
	    "are refused"),
    K_COUNT(bruteforce_account_delay_after, "10", 1, 100000,
	    "failures on one account in the window before logins from "
	    "unknown places are delayed"),
    K_COUNT(bruteforce_account_reject_after, "100", 1, 100000,
	    "failures on one account in the window before logins from "
	    "unknown places are refused"),
    K_DURATION(bruteforce_delay_max, "5s", 1, 60,
	       "longest delay the auth-policy answer asks Dovecot for"),
    K_BOOL(unlock_on_password_change, "yes",
	   "lift a suspension when the user logs in with a new password "
	   "from a known country"),
    K_PATH(breached_passwords_file, "", MW_CFG_OPTIONAL,
	   "SHA-1 breached-password list (ordered by hash); empty: not "
	   "checked"),
};

const size_t mw_cfg_nkeys = sizeof mw_cfg_keys / sizeof mw_cfg_keys[0];
