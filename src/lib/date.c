/*
 * date.c - RFC 5322 dates and their common deviations.
 *
 * A token scanner rather than a grammar: the date's parts are recognised by
 * their shape (a month name, a four-digit number, hh:mm[:ss], a zone), so
 * that "Thu, 29 Apr 2009 00:00:00 -0000", "29 Apr 09 00:00 GMT" and the
 * asctime form "Thu Apr 29 00:00:00 2009" all read. Conversion to Unix time
 * is done by hand (days from civil) so the local time zone never matters.
 */
#include "lib/date.h"

#include <stdio.h>
#include <string.h>

#include "lib/str.h"

typedef struct date_parts {
	int year, month, day, hour, min, sec;
	long zone_sec;
	bool have_year, have_month, have_day, have_time;
} date_parts;

static int month_index(mw_str w)
{
	static const char *const months[] = {"jan", "feb", "mar", "apr",
					     "may", "jun", "jul", "aug",
					     "sep", "oct", "nov", "dec"};
	if (w.n < 3)
		return -1;
	for (int i = 0; i < 12; i++)
		if (mw_str_ieq(mw_str_make(w.p, 3), mw_str_make(months[i], 3)))
			return i + 1;
	return -1;
}

/* Zone names mail still uses; military single letters are ignored (RFC
 * 5322 says to treat them as -0000). */
static bool zone_name_offset(mw_str w, long *off)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"UT", 0},	  {"UTC", 0},  {"GMT", 0},  {"Z", 0},
		     {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
		     {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7},
		     {"JST", 9},  {"KST", 9},  {"CET", 1},  {"CEST", 2},
		     {"BST", 1},  {"IST", 5},  {"HKT", 8},  {"SGT", 8}};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (mw_str_ieq_cstr(w, zones[i].name)) {
			*off = zones[i].hours * 3600L;
			if (mw_str_ieq_cstr(w, "IST"))
				*off += 1800;
			return true;
		}
	return false;
}

static bool all_digits(mw_str w)
{
	if (w.n == 0)
		return false;
	for (size_t i = 0; i < w.n; i++)
		if (!mw_is_digit((unsigned char)w.p[i]))
			return false;
	return true;
}

static int to_int(mw_str w)
{
	int v = 0;
	for (size_t i = 0; i < w.n && i < 9; i++)
		v = v * 10 + (w.p[i] - '0');
	return v;
}

static bool parse_clock(mw_str w, date_parts *d)
{
	int h, m, s = 0;
	char text[16];
	if (w.n >= sizeof text)
		return false;
	memcpy(text, w.p, w.n);
	text[w.n] = '\0';
	int got = sscanf(text, "%2d:%2d:%2d", &h, &m, &s);
	if (got < 2 || h > 23 || m > 59 || s > 60)
		return false;
	d->hour = h;
	d->min = m;
	d->sec = s == 60 ? 59 : s;
	d->have_time = true;
	return true;
}

static void take_token(mw_str w, date_parts *d)
{
	int mon;
	if ((w.p[0] == '+' || w.p[0] == '-') && w.n == 5 &&
	    all_digits(mw_str_make(w.p + 1, 4))) {
		int hh = to_int(mw_str_make(w.p + 1, 2));
		int mm = to_int(mw_str_make(w.p + 3, 2));
		long off = hh * 3600L + mm * 60L;
		d->zone_sec = w.p[0] == '-' ? -off : off;
	} else if (memchr(w.p, ':', w.n)) {
		parse_clock(w, d);
	} else if (all_digits(w)) {
		int v = to_int(w);
		/* "029": some MTAs zero-pad the day to three digits. */
		if (w.n == 3 && w.p[0] == '0' && !d->have_day)
			w.n = 2, w.p++;
		if (w.n <= 2 && !d->have_day && !d->have_year)
			d->day = v, d->have_day = true;
		else if (!d->have_year && (w.n == 4 || w.n == 2 || w.n == 3))
			d->year = v, d->have_year = true;
		else if (!d->have_day && w.n <= 2)
			d->day = v, d->have_day = true;
	} else if (!d->have_month && (mon = month_index(w)) > 0) {
		d->month = mon;
		d->have_month = true;
	} else {
		long off;
		if (zone_name_offset(w, &off))
			d->zone_sec = off;
	}
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool mw_date_parse(const char *s, size_t n, time_t *out)
{
	date_parts d = {0};
	size_t i = 0;
	int depth = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '(') { /* comments such as "(JST)" say nothing new */
			depth++, i++;
			continue;
		}
		if (c == ')') {
			if (depth)
				depth--;
			i++;
			continue;
		}
		if (depth || mw_is_space(c) || c == ',') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < n && !mw_is_space((unsigned char)s[i]) &&
		       s[i] != ',' && s[i] != '(')
			i++;
		take_token(mw_str_make(s + start, i - start), &d);
	}
	if (!d.have_year || !d.have_month || !d.have_day || d.day < 1 ||
	    d.day > 31)
		return false;
	int year = d.year;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	long days = days_from_civil(year, d.month, d.day);
	long secs = days * 86400L + d.hour * 3600L + d.min * 60L + d.sec;
	*out = (time_t)(secs - d.zone_sec);
	return true;
}

void mw_date_format_iso(time_t t, char out[21])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year > 8099 || tm.tm_year < -1900) {
		strcpy(out, "0000-00-00T00:00:00Z");
		return;
	}
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
