/*
 * guard_score.h - the takeover score: how much the recent activity of one
 * account looks like a stolen password being used.
 *
 * Contract: mw_guard_score() is pure (no I/O, no clock, no allocation):
 * the same counts give the same score and the same signal phrases. The
 * counts cover the last 24 hours, or less when a suspension was lifted
 * since (what was seen before an unlock no longer counts). The weights
 * and their reasons are in docs/guard.md; they are tuned so that seed
 * 001's attacker (logins from five foreign countries, then a message a
 * second) is over the default threshold of 100 before 20 messages, and a
 * traveller (one new country, ten messages) stays under half of it.
 */
#ifndef MW_GUARD_GUARD_SCORE_H
#define MW_GUARD_GUARD_SCORE_H

#include <stddef.h>
#include <stdint.h>

/* Signals kept with one score, and the length of each phrase. */
#define MW_GUARD_SIGNALS_MAX 8
#define MW_GUARD_SIGNAL_LEN 96

typedef struct mw_guard_score_input {
	uint64_t ips;		    /* distinct client addresses, 24 h */
	uint64_t countries;	    /* distinct known countries, 24 h */
	uint64_t asns;		    /* distinct known networks, 24 h */
	uint64_t new_countries;	    /* successful logins from never-seen
				       countries, 24 h (not the first login) */
	int64_t msgs;		    /* messages sent, 1 h */
	int64_t rcpts;		    /* recipients sent to, 1 h */
	uint64_t failed_passwords;  /* distinct wrong passwords, 24 h, on
				       an account that then logged in */
	uint64_t own_bounce_events; /* the shield's own_bounces events,
				       24 h (each: an hour over
				       own_bounce_threshold) */
} mw_guard_score_input;

typedef struct mw_guard_score {
	int total;
	size_t nsignals;
	/* one short English phrase per contributing signal, with its
	 * points: "6 countries in 24 h (+75)" */
	char signals[MW_GUARD_SIGNALS_MAX][MW_GUARD_SIGNAL_LEN];
} mw_guard_score;

void mw_guard_score_compute(const mw_guard_score_input *in,
			    mw_guard_score *out);

#endif
