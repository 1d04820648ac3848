/*
 * config.h - the configuration file, read into one immutable value.
 *
 * Contract: mw_config_load() reads a file of `key = value` lines in the
 * manner of Postfix's main.cf and returns a new mw_config, or no
 * configuration at all: a file with any error never yields a partial one.
 * The syntax (docs/config.md says it for admins):
 *
 *   - a logical line is `name = value`; a line that starts with blanks
 *     continues the logical line above it (joined with one space);
 *   - a line whose first non-blank character is '#' is a comment, and so
 *     is nothing else: a '#' after a value is part of the value, as in
 *     main.cf (typed values then refuse it, with a hint);
 *   - blank and comment lines are skipped and do not end a logical line;
 *   - LF, CRLF and bare CR line ends; a UTF-8 byte order mark is skipped;
 *   - lists are separated by blanks, commas or both;
 *   - no quoting and no $name expansion: a value is the rest of the line,
 *     outer blanks removed;
 *   - every key may appear once: a second setting is an error (Postfix
 *     silently takes the last, which hides the first from whoever reads
 *     the file; in a security tool an ambiguous setting must not pass).
 *
 * Every key is typed, and known from one table (config_keys.c): adding a
 * key is a field below and one row there. Errors name the file, the line
 * and the key ("FILE:LINE: key 'NAME': reason"); all of a file's errors
 * are collected, up to MW_CONFIG_ERRORS_MAX kept with their text.
 *
 * A mw_config never changes after it is returned; its strings and arrays
 * live in its own arena. To reload (SIGHUP), parse a new one and, if it
 * is good, swap the pointer; holders of the old one keep it valid with
 * mw_config_ref() and drop it with mw_config_free(), which frees on the
 * last reference. The counter is atomic; nothing else needs a lock.
 */
#ifndef MW_DAEMON_CONFIG_H
#define MW_DAEMON_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/net.h"
#include "lib/status.h"
#include "lib/str.h"

/* Where mailwarden looks when no -c FILE is given. */
#define MW_CONFIG_DEFAULT_PATH "/etc/mailwarden/mailwarden.conf"

/* -- value types ------------------------------------------------------ */

typedef enum mw_cfg_batv_mode {
	MW_CFG_BATV_OFF = 0, /* neither sign nor check */
	MW_CFG_BATV_TAG,     /* sign; label untagged bounces, refuse none */
	MW_CFG_BATV_ENFORCE, /* sign; refuse bounces without proof */
} mw_cfg_batv_mode;

/* What else happens when an account goes over a send limit (the message
 * over it always gets 451 4.7.1). */
typedef enum mw_cfg_limit_action {
	MW_CFG_LIMIT_ALERT = 0,		   /* tell the user and the admin */
	MW_CFG_LIMIT_BLOCK_UNTIL_TOMORROW, /* and refuse until 00:00 UTC */
	MW_CFG_LIMIT_BLOCK_UNTIL_ADMIN,	   /* and suspend until unlocked */
} mw_cfg_limit_action;

typedef enum mw_cfg_log_target {
	MW_CFG_LOG_STDERR = 0,
	MW_CFG_LOG_SYSLOG,
} mw_cfg_log_target;

typedef enum mw_cfg_log_level {
	MW_CFG_LOG_ERROR = 0,
	MW_CFG_LOG_WARNING,
	MW_CFG_LOG_INFO,
	MW_CFG_LOG_DEBUG,
} mw_cfg_log_level;

/* syslog(3) facilities, in this order: mail, daemon, local0..local7. */
typedef enum mw_cfg_facility {
	MW_CFG_FACILITY_MAIL = 0,
	MW_CFG_FACILITY_DAEMON,
	MW_CFG_FACILITY_LOCAL0,
	MW_CFG_FACILITY_LOCAL1,
	MW_CFG_FACILITY_LOCAL2,
	MW_CFG_FACILITY_LOCAL3,
	MW_CFG_FACILITY_LOCAL4,
	MW_CFG_FACILITY_LOCAL5,
	MW_CFG_FACILITY_LOCAL6,
	MW_CFG_FACILITY_LOCAL7,
} mw_cfg_facility;

/* What the milter answers when its store cannot be used. */
typedef enum mw_cfg_failure_action {
	MW_CFG_FAIL_ACCEPT = 0, /* fail open, and log it */
	MW_CFG_FAIL_TEMPFAIL,	/* 451 4.3.0: the client retries later */
} mw_cfg_failure_action;

typedef enum mw_cfg_endpoint_kind {
	MW_CFG_ENDPOINT_NONE = 0, /* an optional endpoint left empty */
	MW_CFG_ENDPOINT_INET,
	MW_CFG_ENDPOINT_UNIX,
} mw_cfg_endpoint_kind;

/* A socket to listen on or to connect to. */
typedef struct mw_cfg_endpoint {
	mw_cfg_endpoint_kind kind;
	const char *host; /* INET: a host name (lower-cased) or an address
			     literal, IPv6 without its brackets */
	unsigned port;	  /* INET: 1..65535 */
	const char *path; /* UNIX: an absolute path */
} mw_cfg_endpoint;

typedef enum mw_cfg_store_kind {
	MW_CFG_STORE_SQLITE = 0, /* state_dir/mailwarden.db */
	MW_CFG_STORE_REDIS,
} mw_cfg_store_kind;

typedef struct mw_cfg_store {
	mw_cfg_store_kind kind;
	const char *host; /* REDIS: as mw_cfg_endpoint.host */
	unsigned port;	  /* REDIS: 1..65535, 6379 when not written */
} mw_cfg_store;

/* A list of strings. Domain lists are lower-cased, sorted and without
 * duplicates (they are looked up, not shown in order); other lists keep
 * the file's order. */
typedef struct mw_cfg_strings {
	const char *const *v;
	size_t n;
} mw_cfg_strings;

/* A list of networks, in the file's order. */
typedef struct mw_cfg_networks {
	const mw_cidr *v;
	size_t n;
} mw_cfg_networks;

/* -- the configuration ------------------------------------------------ */

/* Numbers are int64_t: durations in seconds, sizes in bytes, counts as
 * they are. An optional path or address left empty is NULL. The meaning
 * and default of each field is in docs/config.md under the key's name. */
typedef struct mw_config {
	/* the process */
	const char *user;
	mw_cfg_log_target log;
	mw_cfg_log_level log_level;
	mw_cfg_facility syslog_facility;
	const char *state_dir;
	mw_cfg_store store;
	int64_t store_timeout;

	/* the milter and the HTTP server */
	mw_cfg_endpoint milter_socket;
	int64_t milter_timeout;
	int64_t milter_max_connections;
	mw_cfg_failure_action milter_failure_action;
	mw_cfg_endpoint http_listen; /* kind NONE: no HTTP server */

	/* who is local, who is trusted, what is outbound */
	mw_cfg_strings local_domains;
	mw_cfg_strings our_hostnames;
	mw_cfg_networks trusted_networks;
	mw_cfg_strings outbound_daemon_names;

	/* the backscatter shield */
	mw_cfg_batv_mode batv_mode;
	const char *batv_key_file;
	int64_t batv_validity_days;
	int64_t sent_log_days;
	int64_t bounce_body_max;
	int64_t flood_threshold;
	int64_t flood_window;
	bool digest;
	const char *digest_from; /* NULL: postmaster@ the user's domain */
	mw_cfg_endpoint digest_smtp;
	int64_t own_bounce_threshold;
	mw_cfg_strings admin_notify;

	/* the account guard */
	const char *geoip_country_db;
	const char *geoip_asn_db;
	const char *auth_policy_secret; /* NULL: none asked */
	int64_t history_keep_count;
	int64_t history_keep_days;
	int64_t send_limit_messages_hour;
	int64_t send_limit_recipients_hour;
	int64_t send_limit_recipients_day;
	mw_cfg_limit_action send_limit_action;
	int64_t takeover_threshold;
	bool login_alerts;
	int64_t login_alert_interval;
	int64_t bruteforce_window;
	int64_t bruteforce_ip_delay_after;
	int64_t bruteforce_ip_reject_after;
	int64_t bruteforce_account_delay_after;
	int64_t bruteforce_account_reject_after;
	int64_t bruteforce_delay_max;
	bool unlock_on_password_change;
	const char *breached_passwords_file;

	/* -- bookkeeping, not configuration -- */
	const char *source; /* the file's name as given to the loader */
	unsigned *key_line; /* per key index: the line that set it, 0 if the
			       default is in force */
	atomic_uint refs;
	mw_arena arena; /* owns everything above */
} mw_config;

/* -- errors ----------------------------------------------------------- */

/* Sizes of the texts kept with each error; longer texts are cut. */
#define MW_CONFIG_LABEL_MAX 4096
#define MW_CONFIG_KEYNAME_MAX 64
#define MW_CONFIG_REASON_MAX 320

typedef struct mw_config_diag {
	unsigned line; /* 0: the file as a whole */
	bool warning;  /* a warning does not stop the configuration */
	char key[MW_CONFIG_KEYNAME_MAX + 1]; /* "" when no key is to blame */
	char reason[MW_CONFIG_REASON_MAX];
} mw_config_diag;

typedef struct mw_config_errors {
	char file[MW_CONFIG_LABEL_MAX]; /* the file's name, for messages */
	size_t errors;			/* errors found, kept or not */
	size_t warnings;		/* warnings found, kept or not */
	size_t n;			/* entries kept in diag[] */
	mw_config_diag diag[MW_CONFIG_ERRORS_MAX];
} mw_config_errors;

/* -- loading ---------------------------------------------------------- */

/* Read and check the file at path ("-" is standard input, named "stdin"
 * in messages). On MW_OK *out is a new configuration with one reference,
 * and errs may still hold warnings. Otherwise *out is NULL and errs says
 * why: MW_EIO the file cannot be read, MW_EINVAL it has errors (or is
 * over MW_CONFIG_FILE_MAX bytes), MW_ENOMEM memory ran out. errs is
 * always initialised by the call. */
mw_status mw_config_load(const char *path, mw_config **out,
			 mw_config_errors *errs);

/* The same on text already in memory; label names it in messages. */
mw_status mw_config_parse(const char *label, mw_str text, mw_config **out,
			  mw_config_errors *errs);

/* Take one more reference; returns cfg. */
mw_config *mw_config_ref(mw_config *cfg);
/* Drop a reference; the last one frees. NULL is ignored. */
void mw_config_free(mw_config *cfg);

/* Check what the configuration names outside itself, as `serve` will use
 * it: the BATV key file parses (when batv_mode is not off), the GeoIP and
 * breached-password files can be opened, and, for a process running as
 * root, the user exists. Adds errors to errs; returns their number. */
size_t mw_config_check_files(const mw_config *cfg, mw_config_errors *errs);

/* One message as a line without its newline:
 *   "FILE:LINE: key 'NAME': reason"     (LINE and key omitted when 0/"")
 *   "FILE:LINE: warning: key 'NAME': reason"
 * out is reset first. */
void mw_config_diag_format(const mw_config_errors *errs, size_t i, mw_buf *out);
/* Every kept message, one a line, then "FILE: N more errors not shown"
 * when some were not kept. */
void mw_config_errors_print(const mw_config_errors *errs, FILE *out);

/* -- questions the milter and the guard ask --------------------------- */

/* Is domain (any case, one trailing dot allowed) in local_domains?
 * Exact match: a subdomain of a local domain is not local. */
bool mw_config_is_local_domain(const mw_config *cfg, mw_str domain);
/* Is the domain of address (after its last '@') local? */
bool mw_config_is_local_address(const mw_config *cfg, mw_str address);
/* Is ip inside one of trusted_networks? */
bool mw_config_is_trusted(const mw_config *cfg, const mw_ip *ip);
/* Is name (Postfix's {daemon_name}, case-sensitive) one of
 * outbound_daemon_names? */
bool mw_config_is_outbound_daemon(const mw_config *cfg, mw_str name);
/* Is host (any case, one trailing dot allowed) one of our_hostnames? */
bool mw_config_is_our_hostname(const mw_config *cfg, mw_str host);

/* -- the keys, for check-config and docs ------------------------------ */

size_t mw_config_key_count(void);
/* Index of the key called name, or -1. */
long mw_config_key_find(const char *name);
const char *mw_config_key_name(size_t i);
/* "duration", "list of domains", ...: what the value is. */
const char *mw_config_key_type(size_t i);
/* The default as written in a file; "" for an empty one. The default of
 * our_hostnames, this host's name, is given as "(this host's name)". */
const char *mw_config_key_default(size_t i);
/* One line saying what the key is for. */
const char *mw_config_key_doc(size_t i);
/* The line of cfg's file that set key i, 0 if its default is in force. */
unsigned mw_config_key_line(const mw_config *cfg, size_t i);
/* The value of key i in cfg, canonical and in the file's syntax
 * (durations and sizes in their largest exact unit, lists joined with
 * ", "). out is reset first; MW_ETOOBIG when it would pass out's cap. */
mw_status mw_config_value_text(const mw_config *cfg, size_t i, mw_buf *out);

#endif
