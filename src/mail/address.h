/*
 * address.h - RFC 5322 mailboxes and groups, with the real world's mistakes.
 *
 * Contract: mw_address_parse_list() reads an address-list field value
 * (From, To, Cc, Reply-To, Return-Path, Original-Recipient after its type
 * ...) and returns its mailboxes in order, groups flattened. It accepts
 * what strict RFC 5322 refuses but mail software writes: unquoted dots and
 * specials in display names, addresses without angle brackets, angle
 * brackets without display names, a display name in raw 8-bit or RFC 2047
 * (decoded to UTF-8), comments anywhere, "rfc822;" type prefixes, stray
 * semicolons, a trailing dot, quoted local parts. Domains are lower-cased
 * (a domain literal's "IPv6:" tag is kept as written);
 * local parts keep their case (they may be case-sensitive) but lose the
 * quotes of a quoted local part only when that changes nothing. Source
 * routes ("<@a,@b:user@c>") are dropped to the final address. An entry with
 * no usable address is skipped. At most MW_ADDRESSES_MAX mailboxes.
 *
 * mw_address_find() is for free text (diagnostics, bounce bodies): it finds
 * the first thing that looks like local@domain.tld, with or without <>.
 */
#ifndef MW_MAIL_ADDRESS_H
#define MW_MAIL_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/arena.h"
#include "lib/status.h"

typedef struct mw_address {
	const char *display; /* UTF-8, NULL if none */
	const char *local;   /* local part as it will be written */
	const char *domain;  /* lower-cased; NULL for a bare local part */
	const char *addr;    /* "local@domain" (or "local"), NUL-terminated */
} mw_address;

/* MW_OK, MW_ETRUNCATED (more than MW_ADDRESSES_MAX) or MW_ENOMEM. */
mw_status mw_address_parse_list(mw_arena *a, const char *s, size_t n,
				mw_address **out, size_t *count);

/* The first mailbox of the list, or NULL when it has none. */
const mw_address *mw_address_parse_one(mw_arena *a, const char *s, size_t n);

/* The first address-like token in free text, as "local@domain" with the
 * domain lower-cased (arena), or NULL. Sets *end (if not NULL) to the
 * offset just past it, so a caller can go on searching. */
char *mw_address_find(mw_arena *a, const char *text, size_t n, size_t *end);

/* Is s[0..n) a plausible addr-spec (one @, a dotted domain, no spaces)? */
bool mw_address_is_valid(const char *s, size_t n);

#endif
