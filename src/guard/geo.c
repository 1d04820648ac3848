/*
 * geo.c - country and ASN of an address from MaxMind DB files.
 *
 * Providers lay their records out differently, and an admin should be
 * able to point us at whichever one they can get, so each field is read
 * from the first of several paths that holds a usable value:
 *   country  country.iso_code        GeoIP2/GeoLite2 Country and City,
 *                                    DB-IP Country Lite
 *            country_code            IPinfo Lite
 *            country (a string)      IPinfo's older Country ASN file
 *            registered_country.iso_code   where the block is registered,
 *                                    for records without a location
 *   ASN      autonomous_system_number        GeoLite2-ASN, DB-IP ASN Lite
 *            asn ("AS174")                   IPinfo
 *   org      autonomous_system_organization  GeoLite2-ASN, DB-IP
 *            as_name                         IPinfo
 */
#include "guard/geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "mail/charset.h"

struct mw_geo {
	bool has_country;
	bool has_asn;
	MMDB_s country;
	MMDB_s asn;
};

/* -- opening ---------------------------------------------------------- */

static bool path_given(const char *path)
{
	return path != NULL && path[0] != '\0';
}

static mw_status open_one(const char *key, const char *path, MMDB_s *db,
			  char *err, size_t errsz)
{
	struct stat st;

	/* MMDB_open would mmap a directory and report "No such device". */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "%s: %s: not a regular file", key, path);
		return MW_EINVAL;
	}
	errno = 0;
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	int saved = errno;

	if (rc == MMDB_SUCCESS)
		return MW_OK;
	switch (rc) {
	case MMDB_FILE_OPEN_ERROR:
		snprintf(err, errsz, "%s: %s: cannot open: %s", key, path,
			 saved ? strerror(saved) : MMDB_strerror(rc));
		return MW_EIO;
	case MMDB_IO_ERROR:
		snprintf(err, errsz, "%s: %s: cannot read: %s", key, path,
			 saved ? strerror(saved) : MMDB_strerror(rc));
		return MW_EIO;
	case MMDB_OUT_OF_MEMORY_ERROR:
		snprintf(err, errsz, "%s: %s: out of memory", key, path);
		return MW_ENOMEM;
	default:
		snprintf(err, errsz, "%s: %s: not a MaxMind DB file (%s)", key,
			 path, MMDB_strerror(rc));
		return MW_EINVAL;
	}
}

mw_status mw_geo_open(const char *country_path, const char *asn_path,
		      mw_geo **out, char *err, size_t errsz)
{
	*out = NULL;
	if (errsz > 0)
		err[0] = '\0';

	mw_geo *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(err, errsz, "geoip: out of memory");
		return MW_ENOMEM;
	}
	mw_status st = MW_OK;
	if (path_given(country_path)) {
		st = open_one("geoip_country_db", country_path, &g->country,
			      err, errsz);
		if (st != MW_OK)
			goto fail;
		g->has_country = true;
	}
	if (path_given(asn_path)) {
		st = open_one("geoip_asn_db", asn_path, &g->asn, err, errsz);
		if (st != MW_OK)
			goto fail;
		g->has_asn = true;
	}
	*out = g;
	return MW_OK;
fail:
	mw_geo_close(g);
	return st;
}

void mw_geo_close(mw_geo *g)
{
	if (g == NULL)
		return;
	if (g->has_country)
		MMDB_close(&g->country);
	if (g->has_asn)
		MMDB_close(&g->asn);
	free(g);
}

bool mw_geo_has_country(const mw_geo *g)
{
	return g != NULL && g->has_country;
}

bool mw_geo_has_asn(const mw_geo *g)
{
	return g != NULL && g->has_asn;
}

/* -- reading values --------------------------------------------------- */

static bool is_ascii_letter(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_string(const MMDB_entry_data_s *d)
{
	return d->has_data && d->type == MMDB_DATA_TYPE_UTF8_STRING;
}

/* A country code: exactly two ASCII letters, stored upper-case. */
static bool take_country(const MMDB_entry_data_s *d, char out[3])
{
	if (!is_string(d) || d->data_size != 2)
		return false;
	const unsigned char *s = (const unsigned char *)d->utf8_string;
	if (!is_ascii_letter(s[0]) || !is_ascii_letter(s[1]))
		return false;
	out[0] = (char)(s[0] & ~0x20);
	out[1] = (char)(s[1] & ~0x20);
	out[2] = '\0';
	return true;
}

/* The value at a NULL-terminated path of map keys; false when absent or
 * when the record's shape does not match (another provider's layout). */
static bool get_path(MMDB_entry_s *entry, MMDB_entry_data_s *d,
		     const char *const *path)
{
	memset(d, 0, sizeof(*d));
	return MMDB_aget_value(entry, d, path) == MMDB_SUCCESS && d->has_data;
}

static void read_country(MMDB_entry_s *entry, char out[3])
{
	static const char *const p_iso[] = {"country", "iso_code", NULL};
	static const char *const p_code[] = {"country_code", NULL};
	static const char *const p_str[] = {"country", NULL};
	static const char *const p_reg[] = {"registered_country", "iso_code",
					    NULL};
	static const char *const *const paths[] = {p_iso, p_code, p_str, p_reg};
	MMDB_entry_data_s d;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (get_path(entry, &d, paths[i]) && take_country(&d, out))
			return;
}

/* "AS174", "as174" or "174": 1 to 10 digits, at most UINT32_MAX. */
static uint32_t parse_asn_text(const char *s, size_t n)
{
	if (n >= 2 && (s[0] == 'A' || s[0] == 'a') &&
	    (s[1] == 'S' || s[1] == 's')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 10)
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static uint32_t take_asn(const MMDB_entry_data_s *d)
{
	switch (d->type) {
	case MMDB_DATA_TYPE_UINT16:
		return d->uint16;
	case MMDB_DATA_TYPE_UINT32:
		return d->uint32;
	case MMDB_DATA_TYPE_UINT64:
		return d->uint64 > UINT32_MAX ? 0 : (uint32_t)d->uint64;
	case MMDB_DATA_TYPE_INT32:
		return d->int32 > 0 ? (uint32_t)d->int32 : 0;
	case MMDB_DATA_TYPE_UTF8_STRING:
		return parse_asn_text(d->utf8_string, d->data_size);
	default:
		return 0;
	}
}

/* C0 controls, DEL, and C1 controls (U+0080..U+009F, "\xC2\x80".."\xC2\x9F"):
 * anything a terminal, a log reader or a header might act on. */
static bool is_control(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0] < 0x20 || s[0] == 0x7F;
	return len == 2 && s[0] == 0xC2 && s[1] <= 0x9F;
}

/* Copy an organisation name into out[MW_GEO_ORG_MAX + 1], sanitised as
 * geo.h says. A local copier rather than mail/charset's, because this
 * runs on every login and must not allocate. */
static void take_org(const MMDB_entry_data_s *d, char *out)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *s = (const unsigned char *)d->utf8_string;
	size_t n = d->data_size, i = 0, o = 0;

	while (i < n) {
		size_t len = mw_utf8_seq_len(s + i, n - i);
		const char *src = (const char *)(s + i);
		size_t out_len = len;

		if (len == 0) {
			src = replacement;
			out_len = 3;
			len = 1;
		} else if (is_control(s + i, len)) {
			src = " ";
			out_len = 1;
		}
		if (o + out_len > MW_GEO_ORG_MAX)
			break;
		memcpy(out + o, src, out_len);
		o += out_len;
		i += len;
	}
	out[o] = '\0';
}

static void read_asn(MMDB_entry_s *entry, mw_geo_info *out)
{
	static const char *const p_num[] = {"autonomous_system_number", NULL};
	static const char *const p_asn[] = {"asn", NULL};
	static const char *const p_org[] = {"autonomous_system_organization",
					    NULL};
	static const char *const p_name[] = {"as_name", NULL};
	MMDB_entry_data_s d;

	if (get_path(entry, &d, p_num))
		out->asn = take_asn(&d);
	if (out->asn == 0 && get_path(entry, &d, p_asn))
		out->asn = take_asn(&d);
	if ((get_path(entry, &d, p_org) && is_string(&d)) ||
	    (get_path(entry, &d, p_name) && is_string(&d)))
		take_org(&d, out->asn_org);
}

/* -- lookups ---------------------------------------------------------- */

/* The record for ip in db, or false when there is none (no range, an
 * IPv6 address in an IPv4-only file, a damaged file). */
static bool find_entry(const MMDB_s *db, const mw_ip *ip, MMDB_entry_s *entry)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr *sa;

	if (ip->family == 4) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		memcpy(&sin.sin_addr, ip->addr, 4);
		sa = (const struct sockaddr *)&sin;
	} else if (ip->family == 6) {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, ip->addr, 16);
		sa = (const struct sockaddr *)&sin6;
	} else {
		return false;
	}
	int mmdb_error = MMDB_SUCCESS;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, sa, &mmdb_error);
	if (mmdb_error != MMDB_SUCCESS || !r.found_entry)
		return false;
	*entry = r.entry;
	return true;
}

void mw_geo_lookup(const mw_geo *g, const mw_ip *ip, mw_geo_info *out)
{
	MMDB_entry_s entry;

	out->country[0] = '\0';
	out->asn = 0;
	out->asn_org[0] = '\0';
	if (g == NULL || ip == NULL)
		return;
	if (g->has_country && find_entry(&g->country, ip, &entry))
		read_country(&entry, out->country);
	if (g->has_asn && find_entry(&g->asn, ip, &entry))
		read_asn(&entry, out);
}

void mw_geo_format_asn(uint32_t asn, char out[MW_GEO_ASN_TEXT_MAX])
{
	if (asn == 0)
		out[0] = '\0';
	else
		snprintf(out, MW_GEO_ASN_TEXT_MAX, "AS%" PRIu32, asn);
}
