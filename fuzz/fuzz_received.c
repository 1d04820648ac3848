/*
 * fuzz_received.c - the Received: parser and the trace built from it, as
 * `mailwarden trace` and the backscatter shield use them: the input as one
 * Received: value, then as a header section whose Received: fields make a
 * delivery path.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "lib/net.h"
#include "mail/header.h"
#include "mail/received.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* from_ip is promised in canonical form: parsing and formatting it again
 * gives the same text. */
static void check_ip(const char *ip)
{
	if (!ip)
		return;
	mw_ip parsed;
	FUZZ_REQUIRE(mw_ip_parse(ip, strlen(ip), &parsed));
	char again[MW_IP_TEXT_MAX];
	mw_ip_format(&parsed, again);
	FUZZ_REQUIRE(strcmp(again, ip) == 0);
}

static void check_hop(const mw_received *r)
{
	fuzz_touch(r->from_host);
	fuzz_touch(r->from_helo);
	check_ip(r->from_ip);
	fuzz_touch(r->by_host);
	fuzz_touch(r->id);
	fuzz_touch(r->authenticated_as);
	if (r->protocol)
		for (const char *c = r->protocol; *c; c++)
			FUZZ_REQUIRE(!(*c >= 'a' && *c <= 'z'));
	if (r->for_addr) { /* "without <>": the brackets around it */
		size_t n = strlen(r->for_addr);
		FUZZ_REQUIRE(n == 0 || (r->for_addr[0] != '<' &&
					r->for_addr[n - 1] != '>'));
	}
	FUZZ_REQUIRE(!r->has_date || r->date != NULL);
}

static void trace(mw_arena *a, const char *s, size_t n)
{
	mw_headers h;
	mw_status st = mw_headers_parse(a, s, n, &h);
	if (st != MW_OK && st != MW_ETRUNCATED)
		return;
	mw_trace t;
	st = mw_trace_build(a, &h, &t);
	FUZZ_REQUIRE(st == MW_OK || st == MW_ETRUNCATED || st == MW_ENOMEM);
	if (st == MW_ENOMEM)
		return;
	FUZZ_REQUIRE(t.nhops <= MW_RECEIVED_MAX);
	FUZZ_REQUIRE(t.nhops == 0 || t.hops != NULL);
	FUZZ_REQUIRE(t.origin >= -1 && t.origin < (long)t.nhops);
	for (size_t i = 0; i < t.nhops; i++)
		check_hop(&t.hops[i]);
	if (t.origin < 0)
		FUZZ_REQUIRE(t.origin_ip == NULL);
	else
		FUZZ_REQUIRE(t.origin_ip != NULL &&
			     t.hops[t.origin].from_ip != NULL);
	check_ip(t.origin_ip);
	fuzz_touch(t.origin_authenticated_as);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mw_arena a;
	mw_arena_init(&a, FUZZ_ARENA_MAX);
	const char *s = (const char *)data;

	mw_received r;
	memset(&r, 0xa5, sizeof r); /* the parser must set every field */
	mw_received_parse(&a, s, size, &r);
	check_hop(&r);

	trace(&a, s, size);
	mw_arena_free(&a);
	return 0;
}
