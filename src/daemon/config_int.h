/*
 * config_int.h - what the files of the configuration module share: the
 * table of keys, the value types and the sink that collects errors.
 * Not for use outside src/daemon/config*.c.
 */
#ifndef MW_DAEMON_CONFIG_INT_H
#define MW_DAEMON_CONFIG_INT_H

#include <stdarg.h>

#include "daemon/config.h"

typedef enum mw_cfg_type {
	MW_CFG_T_PATH,	    /* an absolute path */
	MW_CFG_T_BOOL,	    /* yes/no/true/false/1/0 */
	MW_CFG_T_COUNT,	    /* a whole number */
	MW_CFG_T_DURATION,  /* seconds, or with s/m/h/d/w */
	MW_CFG_T_SIZE,	    /* bytes, or with k/M/G */
	MW_CFG_T_ENUM,	    /* one word of a fixed set */
	MW_CFG_T_DOMAINS,   /* list of domain names */
	MW_CFG_T_NETWORKS,  /* list of CIDR networks */
	MW_CFG_T_NAMES,	    /* list of words such as daemon names */
	MW_CFG_T_ADDRESS,   /* one local@domain */
	MW_CFG_T_ADDRESSES, /* list of local@domain */
	MW_CFG_T_SOCKET,    /* inet:HOST:PORT or unix:/PATH */
	MW_CFG_T_HOSTPORT,  /* HOST:PORT */
	MW_CFG_T_STORE,	    /* sqlite or redis://HOST:PORT */
	MW_CFG_T_USER,	    /* a login name */
	MW_CFG_T_SECRET,    /* a shared secret, never printed */
	MW_CFG_T_COUNT_OF_TYPES
} mw_cfg_type;

/* Flags of a key. */
enum {
	MW_CFG_OPTIONAL = 1 << 0,	  /* an empty value means "not set" */
	MW_CFG_DEFAULT_HOSTNAME = 1 << 1, /* default: this host's name */
};

/* One row of the table: everything the parser, check-config and the
 * documentation know about a key. */
typedef struct mw_cfg_key {
	const char *name;
	mw_cfg_type type;
	const char *def;	  /* the default, in the file's syntax */
	size_t offset;		  /* of the field in mw_config */
	int64_t min, max;	  /* numbers: accepted range, base units */
	const char *const *words; /* enums: the words, NULL-terminated,
				     index = value */
	unsigned flags;
	const char *doc; /* one line: what the key is for */
} mw_cfg_key;

extern const mw_cfg_key mw_cfg_keys[];
extern const size_t mw_cfg_nkeys;

/* Where a value is being read: the sink for its errors. */
typedef struct mw_cfg_ctx {
	mw_config_errors *errs;
	unsigned line;
	const char *key;
	mw_arena *arena;
	bool failed;	  /* an error was reported for this value */
	mw_str value;	  /* the whole value, for hints about list items */
	size_t bad_items; /* list items refused so far */
} mw_cfg_ctx;

/* Record an error (or a warning) in errs; the text is cut to fit. */
void mw_cfg_diag(mw_config_errors *errs, unsigned line, const char *key,
		 bool warning, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* An error about the value being read; sets ctx->failed. */
void mw_cfg_fail(mw_cfg_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write v into q (size MW_CFG_QUOTE_MAX) for a message: control and
 * non-ASCII bytes as \xNN, cut with "..." past MW_CFG_QUOTE_SHOWN. */
#define MW_CFG_QUOTE_SHOWN 60
#define MW_CFG_QUOTE_MAX (4 * MW_CFG_QUOTE_SHOWN + 8)
const char *mw_cfg_quote(mw_str v, char q[MW_CFG_QUOTE_MAX]);

/* Read value (trimmed, non-empty, or empty for lists and optional keys)
 * into the field at slot, allocating from ctx->arena. The field is
 * written only on success; on failure the reasons went to ctx. */
bool mw_cfg_parse_value(const mw_cfg_key *k, mw_str value, mw_cfg_ctx *ctx,
			void *slot);
/* The canonical text of the field at slot. */
mw_status mw_cfg_format_value(const mw_cfg_key *k, const void *slot,
			      mw_buf *out);
/* "duration", "list of domains", ... */
const char *mw_cfg_type_name(mw_cfg_type t);

/* -- pieces the value types share ------------------------------------ */

/* A hint for a value that was refused: a trailing comment or a $name,
 * which this syntax does not have; "" otherwise. */
const char *mw_cfg_hint(mw_str v);
/* Digits only, at most 15 of them. */
bool mw_cfg_uint(mw_str s, int64_t *out);
/* An absolute path without blanks or control bytes, at most max bytes;
 * says why not through ctx. */
bool mw_cfg_path_ok(mw_cfg_ctx *ctx, mw_str v, size_t max);
/* Is v 1 to max letters, digits, '.', '_' and '-' (a daemon or user
 * name)? */
bool mw_cfg_word_ok(mw_str v, size_t max);

/* Is d (lower case or not, no trailing dot) a host or domain name: LDH
 * labels of 1..63, at most 253 in all, not ending in a numeric label? If
 * not, why says so in a few words. */
#define MW_CFG_WHY_MAX 96
bool mw_cfg_domain_ok(mw_str d, char why[MW_CFG_WHY_MAX]);

/* Readers and writers of the list types (config_list.c). */
bool mw_cfg_read_domains(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			 void *slot);
bool mw_cfg_read_names(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		       void *slot);
bool mw_cfg_read_addresses(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			   void *slot);
bool mw_cfg_read_address(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			 void *slot);
bool mw_cfg_read_networks(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			  void *slot);
mw_status mw_cfg_write_strings(const mw_cfg_key *k, const void *slot,
			       mw_buf *out);
mw_status mw_cfg_write_networks(const mw_cfg_key *k, const void *slot,
				mw_buf *out);

/* Readers and writers of sockets and the store (config_socket.c). */
bool mw_cfg_read_socket(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			void *slot);
bool mw_cfg_read_hostport(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			  void *slot);
bool mw_cfg_read_store(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		       void *slot);
mw_status mw_cfg_write_endpoint(const mw_cfg_key *k, const void *slot,
				mw_buf *out);
mw_status mw_cfg_write_store(const mw_cfg_key *k, const void *slot,
			     mw_buf *out);

/* The suggestion for an unknown key name: a known key within a small edit
 * distance, or the key that does the job of another program's setting
 * ("mynetworks"); NULL when nothing is close. *alias is set when the
 * suggestion comes from the second kind. */
const char *mw_cfg_suggest_key(mw_str name, bool *alias);
/* The word of words closest to w, if close; NULL otherwise. */
const char *mw_cfg_suggest_word(mw_str w, const char *const *words);

#endif
