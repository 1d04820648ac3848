/*
 * batv.h - Bounce Address Tag Validation, the "prvs" scheme of
 * draft-levine-smtp-batv-01, compatible with Exim's ${prvs} and
 * ${prvscheck}.
 *
 * Contract: a tagged address is
 *
 *     prvs=KDDDSSSSSS=local@domain
 *
 * K is the key number (one digit, 0-9), DDD the day the tag expires
 * (days since 1970-01-01 UTC, modulo 1000, three digits) and SSSSSS the
 * first three bytes, in lower-case hex, of HMAC-SHA1(secret, "K" "DDD"
 * "local@domain"): the key digit, the three day digits and the untagged
 * address exactly as signed (case preserved, no separators), as Exim
 * computes it. "prvs=" and the hex digits are read case-insensitively;
 * the hash is compared in constant time.
 *
 * A tag signed on day T with a validity of N days (default 7) carries
 * DDD = (T + N) mod 1000 and is valid on day U while (DDD - U) mod 1000,
 * taken as an unsigned number, is in 0..N: on its expiry day it is still
 * valid, a day later it is expired, and the counter's wrap from 999 to
 * 000 changes nothing. A day counter further ahead than N days is also
 * "expired": we never issue one, so it is not ours to honour.
 *
 * Time is always a parameter (time_t now) so that tests are repeatable.
 * Which domains are local, and so which senders to tag, is the caller's
 * decision. A key ring is read-only once loaded, and every function here
 * is reentrant: threads may share a ring while nobody changes it.
 * Secrets are wiped from memory by mw_batv_ring_clear() and whenever a
 * load fails.
 */
#ifndef MW_BATV_BATV_H
#define MW_BATV_BATV_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/limits.h"
#include "lib/status.h"
#include "lib/str.h"

/* "prvs=" + K + DDD + SSSSSS + "=": what a tag adds to an address. */
#define MW_BATV_TAG_LEN 16

/* Validity of a tag in days, as in Exim's ${prvs}. */
#define MW_BATV_VALIDITY_DAYS_DEFAULT 7

/* -- the key ring ----------------------------------------------------- */

typedef struct mw_batv_key {
	bool present;
	unsigned char secret[MW_BATV_SECRET_MAX];
	size_t len;
} mw_batv_key;

typedef struct mw_batv_ring {
	mw_batv_key keys[MW_BATV_KEYS_MAX]; /* indexed by key number */
	int sign_key;		/* key to sign with: the last one added; -1 */
	unsigned validity_days; /* 1..MW_BATV_VALIDITY_DAYS_MAX */
} mw_batv_ring;

/* Where a key file or a key was refused: line 0 when no line is to blame
 * (the file as a whole, or a key given by mw_batv_ring_add). */
typedef struct mw_batv_error {
	unsigned line;
	char msg[160];
} mw_batv_error;

/* An empty ring: no keys, validity MW_BATV_VALIDITY_DAYS_DEFAULT. */
void mw_batv_ring_init(mw_batv_ring *ring);
/* Wipe every secret and empty the ring. */
void mw_batv_ring_clear(mw_batv_ring *ring);

/* Add key key_no with its secret and make it the signing key. MW_EINVAL,
 * with a reason in err, for a key number over 9, a number already in the
 * ring, or a secret shorter than MW_BATV_SECRET_MIN, longer than
 * MW_BATV_SECRET_MAX or with a byte outside printable ASCII (space
 * included). */
mw_status mw_batv_ring_add(mw_batv_ring *ring, unsigned key_no, mw_str secret,
			   mw_batv_error *err);

/* Fill an empty ring from the text of a batv_key_file: one key a line,
 * "K secret" (a digit, spaces or tabs, then the secret up to the end of
 * the line, outer blanks removed), lines whose first non-blank character
 * is '#' and blank lines ignored; LF, CRLF or CR line ends. The key on the
 * last key line signs; every key verifies. To rotate, append a line with
 * a new number and remove the old one after the validity days. On an
 * error the ring is left empty and err names the line. A file with no key
 * is an error (line 0). */
mw_status mw_batv_ring_parse(mw_batv_ring *ring, mw_str text,
			     mw_batv_error *err);

/* mw_batv_ring_parse() on the file at path (at most
 * MW_BATV_KEY_FILE_MAX bytes; a longer file is an error). MW_EIO when the
 * file cannot be read, with strerror in err. err->msg never names the
 * file: the caller prints "PATH:LINE: MSG" (or "PATH: MSG" for line 0). */
mw_status mw_batv_ring_load(mw_batv_ring *ring, const char *path,
			    mw_batv_error *err);

/* Set the validity in days, 1..MW_BATV_VALIDITY_DAYS_MAX; MW_EINVAL
 * otherwise (the ring is unchanged). */
mw_status mw_batv_ring_set_validity(mw_batv_ring *ring, unsigned days);

/* The signing key's number, or -1 for an empty ring. */
int mw_batv_ring_sign_key(const mw_batv_ring *ring);
bool mw_batv_ring_has(const mw_batv_ring *ring, unsigned key_no);

/* -- tags ------------------------------------------------------------- */

/* The day counter of now: days since the epoch (UTC), modulo 1000. */
unsigned mw_batv_day(time_t now);

typedef enum mw_batv_sign_result {
	MW_BATV_SIGNED = 0,
	MW_BATV_SIGN_ALREADY_TAGGED, /* the local part starts with "prvs=" */
	MW_BATV_SIGN_BAD_ADDRESS,    /* no '@', an empty side, a quoted
					local part, a space or control byte */
	MW_BATV_SIGN_NO_KEY,	     /* key_no is not in the ring */
	MW_BATV_SIGN_TOO_LONG,	     /* tagged local part over
					MW_BATV_TAGGED_LOCAL_MAX, tagged
					address over MW_ADDRESS_MAX, or out
					too small */
} mw_batv_sign_result;

/* Write the tagged form of address ("local@domain", no angle brackets),
 * signed with key key_no and expiring validity_days after now's day, to
 * out as a C string. out must hold address.n + MW_BATV_TAG_LEN + 1 bytes.
 * On any result but MW_BATV_SIGNED, out holds "" (if outsz > 0). An
 * address already tagged is never tagged again: the caller sends it as
 * it is. */
mw_batv_sign_result mw_batv_sign(const mw_batv_ring *ring, unsigned key_no,
				 mw_str address, time_t now, char *out,
				 size_t outsz);
const char *mw_batv_sign_result_str(mw_batv_sign_result r);

typedef enum mw_batv_form {
	MW_BATV_UNTAGGED = 0,	/* does not start with "prvs=" */
	MW_BATV_TAGGED,		/* a well-formed tag; the fields are set */
	MW_BATV_FORM_MALFORMED, /* starts with "prvs=" but is not a tag */
} mw_batv_form;

/* The parts of a tagged address; the mw_str fields point into the
 * address given to mw_batv_parse(). */
typedef struct mw_batv_tag {
	unsigned key_no;       /* 0-9 */
	unsigned day;	       /* 0-999, the expiry day counter */
	unsigned char hash[3]; /* SSSSSS decoded */
	mw_str hash_hex;       /* SSSSSS as written */
	mw_str inner;	       /* local@domain, the untagged address */
	mw_str local;	       /* local part of inner */
	mw_str domain;	       /* domain of inner */
} mw_batv_tag;

/* Read address as a tag. The inner address is split at its last '@';
 * both sides must be non-empty and it must be at most MW_ADDRESS_MAX
 * bytes. tag is filled only for MW_BATV_TAGGED. Only the form of
 * draft-levine-smtp-batv-01 is recognised (the tag before the local
 * part), which is what Exim writes and checks; the swapped order
 * "prvs=local=KDDDSSSSSS@domain" of some old implementations is
 * MW_BATV_FORM_MALFORMED, as it is never one of ours. */
mw_batv_form mw_batv_parse(mw_str address, mw_batv_tag *tag);

typedef enum mw_batv_result {
	MW_BATV_VALID = 0,
	MW_BATV_NO_TAG,	     /* not tagged at all */
	MW_BATV_BAD_HASH,    /* the hash does not match: forged or damaged */
	MW_BATV_EXPIRED,     /* authentic, but its day has passed */
	MW_BATV_UNKNOWN_KEY, /* its key number is not in the ring */
	MW_BATV_MALFORMED,   /* starts with "prvs=" but is not a tag */
} mw_batv_result;

/* Check a recipient address. untagged (may be NULL) is set to the inner
 * address for a well-formed tag, whatever the verdict, and to the whole
 * address for MW_BATV_NO_TAG and MW_BATV_MALFORMED; it points into
 * address. The hash is checked before the date, so MW_BATV_EXPIRED is
 * only said of a tag we really issued. */
mw_batv_result mw_batv_verify(const mw_batv_ring *ring, mw_str address,
			      time_t now, mw_str *untagged);
/* "valid", "no-tag", "bad-hash", "expired", "unknown-key", "malformed". */
const char *mw_batv_result_str(mw_batv_result r);

#endif
