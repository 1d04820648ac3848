/*
 * date.h - RFC 5322 dates, as mail really writes them.
 *
 * Contract: mw_date_parse() reads "Thu, 29 Apr 2009 00:00:00 -0000" and the
 * usual deviations (no weekday, no seconds, two-digit years, zone names such
 * as GMT, UTC, JST, EST, PST, a trailing "(JST)" comment, asctime-style
 * "Thu Apr 29 00:00:00 2009") and returns Unix time in UTC. It never reads
 * past n bytes and never consults the local time zone.
 */
#ifndef MW_LIB_DATE_H
#define MW_LIB_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

bool mw_date_parse(const char *s, size_t n, time_t *out);
/* "2009-04-29T00:00:00Z" into out[21]. */
void mw_date_format_iso(time_t t, char out[21]);

#endif
