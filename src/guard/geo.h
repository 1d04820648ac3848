/*
 * geo.h - where an IP address is: its country and its network (ASN), from
 * MaxMind DB (.mmdb) files read with libmaxminddb.
 *
 * Contract: mw_geo_open() opens up to two databases, one for countries
 * (geoip_country_db: GeoLite2-Country or -City, DB-IP Country Lite, IPinfo
 * Lite) and one for ASNs (geoip_asn_db: GeoLite2-ASN, DB-IP ASN Lite,
 * IPinfo Lite; one IPinfo Lite file may be named for both). Either path
 * may be NULL or "": that half is then unknown for every address, which
 * is not an error, since a site without a database still gets every
 * other check. A path that cannot be opened, or whose file is not a
 * MaxMind DB, is an error whose text names the path, so check-config and
 * start-up can say which key is wrong.
 *
 * mw_geo_lookup() never fails: what it cannot tell is "unknown" (country
 * "", asn 0, organisation ""), whether the address is in no range, the
 * database lacks the field, the field is malformed, or the database is
 * damaged. Loopback, private and documentation addresses are looked up
 * like any other (the tests map them). Values from the file are treated
 * as hostile: a country is exactly two ASCII letters (upper-cased) or
 * unknown; an organisation is cut to MW_GEO_ORG_MAX bytes on a character
 * boundary, invalid UTF-8 becomes U+FFFD and control characters become
 * spaces, so it can go into a log line, a header or JSON as it is.
 *
 * Threads: the databases are memory-mapped and read-only after
 * mw_geo_open(); mw_geo_lookup() allocates nothing and keeps no state, so
 * any number of threads may look up at once on one mw_geo. Open and
 * close are not concurrent with lookups (reload = open a new one, swap
 * the pointer, close the old one when no lookup uses it).
 */
#ifndef MW_GUARD_GEO_H
#define MW_GUARD_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/limits.h"
#include "lib/net.h"
#include "lib/status.h"

typedef struct mw_geo mw_geo;

typedef struct mw_geo_info {
	char country[3]; /* ISO 3166 alpha-2, "JP"; "" unknown */
	uint32_t asn;	 /* 0 unknown */
	char asn_org[MW_GEO_ORG_MAX + 1]; /* UTF-8, "" unknown */
} mw_geo_info;

/* "AS4294967295" and its NUL. */
#define MW_GEO_ASN_TEXT_MAX 13

/* Open the databases; either path may be NULL or "". On failure *out is
 * NULL and err holds one line naming the path: MW_EIO when the file
 * cannot be opened or read, MW_EINVAL when it is not a MaxMind DB,
 * MW_ENOMEM when memory ran out. */
mw_status mw_geo_open(const char *country_path, const char *asn_path,
		      mw_geo **out, char *err, size_t errsz);

/* Fill out for ip. g may be NULL (no databases: all unknown). */
void mw_geo_lookup(const mw_geo *g, const mw_ip *ip, mw_geo_info *out);

/* Whether a country / ASN database is open: tells "unknown because we
 * cannot know" from "unknown because the address is in no range". */
bool mw_geo_has_country(const mw_geo *g);
bool mw_geo_has_asn(const mw_geo *g);

/* Unmap and free; NULL is fine. */
void mw_geo_close(mw_geo *g);

/* "AS64500"; "" for 0 (unknown). */
void mw_geo_format_asn(uint32_t asn, char out[MW_GEO_ASN_TEXT_MAX]);

#endif
