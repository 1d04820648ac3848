/*
 * guard_score.c - the takeover score (docs/guard.md gives the reasons).
 *
 * Each signal adds points per unit above a free allowance, up to a cap,
 * so that no single signal reaches the threshold (100 by default) alone:
 * a takeover is a pattern (many places at once, new places that then
 * send, guessing that then succeeds, the world bouncing the account's
 * mail), not one odd event. A user who travels or whose phone changes
 * networks meets one or two of them, each well under its cap.
 */
#include "guard/guard_score.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One signal's rule: `per` points for each unit over `free`, at most
 * `cap`. */
typedef struct rule {
	uint64_t free;
	int per;
	int cap;
} rule;

/* A traveller is in two countries on the day he flies; six is a botnet. */
static const rule COUNTRIES = {1, 15, 75};
/* Home, office and phone are three addresses; a takeover uses a dozen. */
static const rule IPS = {2, 5, 40};
/* Home and mobile networks; more are hosting networks or proxies. */
static const rule ASNS = {2, 5, 30};
/* A country the account never saw; flights make one now and then. */
static const rule NEW_COUNTRIES = {0, 10, 40};
/* Sending after logging in from a new country: the step of seed 001. */
#define NEW_COUNTRY_THEN_SENDING 15
/* A few typos are normal; distinct wrong passwords are guessing. */
static const rule FAILED_PASSWORDS = {5, 2, 40};
/* A person writes to tens of recipients an hour, a spammer thousands. */
/* a point per RCPTS_UNIT recipients over the allowance */
static const rule RCPTS = {100, 1, 30};
#define RCPTS_UNIT 5
static const rule MSGS = {30, 1, 30};
/* Each event is an hour with more than own_bounce_threshold valid
 * bounces of the account's own mail (seed 004). */
static const rule OWN_BOUNCES = {0, 25, 50};

static int points(const rule *r, uint64_t n)
{
	if (n <= r->free)
		return 0;
	uint64_t over = n - r->free;
	uint64_t p = over * (uint64_t)r->per;
	return p >= (uint64_t)r->cap ? r->cap : (int)p;
}

static void add(mw_guard_score *out, int p, const char *fmt, uint64_t n)
{
	if (p <= 0)
		return;
	out->total += p;
	if (out->nsignals >= MW_GUARD_SIGNALS_MAX)
		return;
	char *s = out->signals[out->nsignals++];
	int w = snprintf(s, MW_GUARD_SIGNAL_LEN, fmt, n);
	if (w >= 0 && (size_t)w < MW_GUARD_SIGNAL_LEN)
		snprintf(s + w, MW_GUARD_SIGNAL_LEN - (size_t)w, " (+%d)", p);
}

static uint64_t nonneg(int64_t n)
{
	return n > 0 ? (uint64_t)n : 0;
}

void mw_guard_score_compute(const mw_guard_score_input *in, mw_guard_score *out)
{
	memset(out, 0, sizeof *out);
	add(out, points(&COUNTRIES, in->countries),
	    "%" PRIu64 " countries in 24 h", in->countries);
	add(out, points(&IPS, in->ips), "%" PRIu64 " addresses in 24 h",
	    in->ips);
	add(out, points(&ASNS, in->asns), "%" PRIu64 " networks in 24 h",
	    in->asns);
	add(out, points(&NEW_COUNTRIES, in->new_countries),
	    "%" PRIu64 " logins from new countries", in->new_countries);
	if (in->new_countries > 0 && in->msgs > 0)
		add(out, NEW_COUNTRY_THEN_SENDING,
		    "new country, then %" PRIu64 " messages", nonneg(in->msgs));
	add(out, points(&FAILED_PASSWORDS, in->failed_passwords),
	    "%" PRIu64 " wrong passwords before a login", in->failed_passwords);
	uint64_t rcpts = nonneg(in->rcpts);
	add(out,
	    rcpts > RCPTS.free
		? points(&RCPTS, RCPTS.free + (rcpts - RCPTS.free) / RCPTS_UNIT)
		: 0,
	    "%" PRIu64 " recipients in an hour", rcpts);
	add(out, points(&MSGS, nonneg(in->msgs)),
	    "%" PRIu64 " messages in an hour", nonneg(in->msgs));
	add(out, points(&OWN_BOUNCES, in->own_bounce_events),
	    "%" PRIu64 " hours of bounces to own mail", in->own_bounce_events);
}
