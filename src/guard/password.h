/*
 * password.h - is a password good enough for a mail account, and if not,
 * why not.
 *
 * Contract: mw_password_check() judges one password against four rules
 * and returns every rule it fails as a reason code, so that the CLI, the
 * daemon and the web panel say the same thing in the same words:
 *
 *   weak             zxcvbn's score is under min_score (default 3);
 *   too_short        fewer than min_length characters (default 12),
 *                    counted in Unicode code points, not bytes;
 *   contains_user    it contains the user's local part, or a piece of it
 *                    between '.', '_', '-' or '+' (ASCII case-insensitive,
 *                    pieces of 3 or more bytes);
 *   contains_domain  it contains a label of the user's domain other than
 *                    the last one (3 or more bytes): "example" of
 *                    example.co.jp, but not "com", which "welcome" holds;
 *   breached         its SHA-1 is in the breached-password file.
 *
 * The score follows zxcvbn: libzxcvbn (zxcvbn-c) gives the password's
 * entropy in bits, guesses = 2^entropy, and the score is 0 under 10^3
 * guesses, 1 under 10^6, 2 under 10^8, 3 under 10^10, else 4 (the
 * thresholds of the original zxcvbn's guesses_to_score). The address's
 * words are given to zxcvbn as its user dictionary as well, so that
 * "tanaka2024" scores as the weak password it is for tanaka@.
 *
 * The password is never stored, logged or copied into a verdict; the
 * private copies the check makes are wiped before it returns.
 *
 * The breached-password file is Have I Been Pwned's "ordered by hash"
 * SHA-1 text: lines "HEX40:COUNT" sorted by hash, LF or CRLF. It is
 * searched in place (mw_breached_lookup): a binary search over byte
 * offsets with pread(2), each probe moving to the next line start, at
 * most MW_BREACHED_PROBES_MAX probes of 2 x MW_BREACHED_LINE_MAX bytes,
 * whatever the file's size (the full list is over 30 GB). A handle may
 * be shared by threads: lookups only pread. Lenient reading, for lists
 * that admins make themselves: hex in either case, a line of only the
 * hash counts as seen once, and blank lines sort last. A probe that lands
 * on anything else (wrong file, binary data, a line over the cap) gives
 * MW_EINVAL, never a guess; an unsorted file gives a defined but possibly
 * wrong answer, in the same bounded number of steps.
 */
#ifndef MW_GUARD_PASSWORD_H
#define MW_GUARD_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"

/* -- the breached-password file --------------------------------------- */

typedef struct mw_breached mw_breached;

/* What one lookup cost, for tests and benchmarks. */
typedef struct mw_breached_cost {
	unsigned probes;     /* lines looked at */
	uint64_t bytes_read; /* bytes pread */
} mw_breached_cost;

/* Open path for lookups. MW_EIO (errno set) when it cannot be opened or
 * is not a regular file; *out is NULL then. */
mw_status mw_breached_open(const char *path, mw_breached **out);
/* NULL is ignored. */
void mw_breached_close(mw_breached *b);

/* Is the SHA-1 digest sha1 listed? MW_OK with *count the times it was
 * seen (0: not listed; at least 1 when listed). MW_EINVAL: a probe found
 * a line not in the format; MW_EIO: a read failed. cost may be NULL. */
mw_status mw_breached_lookup_sha1(const mw_breached *b,
				  const unsigned char sha1[20], uint64_t *count,
				  mw_breached_cost *cost);

/* The same for a password of len bytes (hashed with SHA-1 here). */
mw_status mw_breached_lookup(const mw_breached *b, const char *password,
			     size_t len, uint64_t *count,
			     mw_breached_cost *cost);

/* -- the check -------------------------------------------------------- */

#define MW_PASSWORD_MIN_SCORE_DEFAULT 3
#define MW_PASSWORD_MIN_LENGTH_DEFAULT 12

typedef enum mw_password_reason {
	MW_PW_WEAK = 0,
	MW_PW_TOO_SHORT,
	MW_PW_CONTAINS_USER,
	MW_PW_CONTAINS_DOMAIN,
	MW_PW_BREACHED,
	MW_PW_REASONS /* how many there are */
} mw_password_reason;

typedef enum mw_password_lang {
	MW_PW_LANG_EN = 0,
	MW_PW_LANG_JA,
} mw_password_lang;

typedef struct mw_password_query {
	const char *password;	     /* len bytes, any content but NUL */
	size_t len;		     /* at most MW_PASSWORD_MAX */
	const char *user;	     /* "local@domain", a bare login, or NULL */
	const mw_breached *breached; /* NULL: no list to search */
	int min_score;		     /* 0..4 */
	size_t min_length;	     /* code points */
} mw_password_query;

typedef struct mw_password_verdict {
	bool acceptable; /* no reason at all */
	int score;	 /* 0..4 */
	double entropy;	 /* bits, as libzxcvbn gives them */
	size_t length;	 /* code points; an invalid UTF-8 byte counts one */
	bool breached_checked;	   /* a list was searched to the end */
	uint64_t breached_count;   /* times seen; 0 when not listed */
	mw_status breached_status; /* the lookup's status; MW_OK if none */
	size_t nreasons;
	mw_password_reason reasons[MW_PW_REASONS]; /* in the enum's order */
	/* the word of the address found in the password, for the texts */
	char user_word[MW_ADDRESS_MAX + 1];
	char domain_word[MW_ADDRESS_MAX + 1];
	int min_score;	   /* the query's, for the texts */
	size_t min_length; /* the query's, for the texts */
} mw_password_verdict;

/* Fill q with the defaults and no password, user or list. */
void mw_password_query_init(mw_password_query *q);

/* Judge q->password into *v. MW_ETOOBIG: over MW_PASSWORD_MAX bytes;
 * MW_EINVAL: it holds a NUL byte or the query is malformed; v is then
 * zeroed and not a judgement. MW_OK: v is complete. When the breached
 * list could not be searched, the other rules are still judged, the
 * lookup's status is in v->breached_status, and the call returns that
 * status (MW_EINVAL or MW_EIO): a caller that asked for the list must
 * not take "acceptable" from it. */
mw_status mw_password_check(const mw_password_query *q, mw_password_verdict *v);

/* zxcvbn's score for an entropy in bits (see the contract above). */
int mw_password_score(double entropy_bits);

/* Unicode code points in s[0..n), an invalid UTF-8 byte counting one. */
size_t mw_password_length(const char *s, size_t n);

/* The stable code of a reason: "weak", "too_short", "contains_user",
 * "contains_domain", "breached". */
const char *mw_password_reason_code(mw_password_reason r);

/* One line (no newline) saying reason r of v in lang, appended to out:
 * "too short: 8 characters, at least 12" / "短すぎます: 8文字
 * (12文字以上必要)". */
mw_status mw_password_reason_text(const mw_password_verdict *v,
				  mw_password_reason r, mw_password_lang lang,
				  mw_buf *out);

#endif
