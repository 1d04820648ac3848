/*
 * fuzz_bounce.c - the bounce analyser, as the backscatter shield and
 * `mailwarden bounce` call it: one whole message in, every field of the
 * verdict read out.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/bounce.h"
#include "mail/received.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_recipient(const mw_bounce_rcpt *r)
{
	FUZZ_REQUIRE(r->address != NULL);
	const char *at = strrchr(r->address, '@');
	if (at && at[1] != '[') /* a literal's "IPv6:" tag stays as written */
		FUZZ_REQUIRE(fuzz_no_upper(at + 1));
	fuzz_touch(r->status);
	fuzz_touch(r->reply_code);
	fuzz_touch(r->action);
	fuzz_require_utf8(r->diagnostic);
}

static void check_original(const mw_bounce_original *o)
{
	fuzz_touch(o->message_id);
	if (o->message_id)
		FUZZ_REQUIRE(o->message_id[0] != '<');
	fuzz_require_utf8(o->from);
	fuzz_require_utf8(o->to);
	fuzz_require_utf8(o->subject);
	fuzz_require_utf8(o->date);
	fuzz_touch(o->return_path);
	FUZZ_REQUIRE(o->nreceived <= MW_RECEIVED_MAX);
	FUZZ_REQUIRE(o->nreceived == 0 || o->received != NULL);
	for (size_t i = 0; i < o->nreceived; i++) {
		const mw_received *r = &o->received[i];
		fuzz_touch(r->from_host);
		fuzz_touch(r->from_helo);
		fuzz_touch(r->from_ip);
		fuzz_touch(r->by_host);
		fuzz_touch(r->protocol);
		fuzz_touch(r->id);
		fuzz_touch(r->for_addr);
		fuzz_touch(r->date);
		fuzz_touch(r->authenticated_as);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mw_arena a;
	mw_arena_init(&a, FUZZ_ARENA_MAX);
	mw_bounce b;
	mw_status st = mw_bounce_analyse(&a, (const char *)data, size, &b);
	FUZZ_REQUIRE(st == MW_OK || st == MW_ETRUNCATED || st == MW_ENOMEM);
	if (st != MW_ENOMEM) {
		const char *kind = mw_bounce_kind_name(b.kind);
		FUZZ_REQUIRE(kind != NULL);
		FUZZ_REQUIRE(b.kind != MW_BOUNCE_NONE || !b.is_bounce);
		FUZZ_REQUIRE(b.nrecipients <= MW_BOUNCE_RECIPIENTS_MAX);
		FUZZ_REQUIRE(b.nrecipients == 0 || b.recipients != NULL);
		for (size_t i = 0; i < b.nrecipients; i++)
			check_recipient(&b.recipients[i]);
		check_original(&b.original);
		fuzz_touch(b.reporting_mta);
	}
	mw_arena_free(&a);
	return 0;
}
