/*
 * fuzz_address.c - the address parsers, as the bounce analyser and the
 * policy engine use them: the input as an address-list field value, its
 * first mailbox, and as free text searched address after address.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/address.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_address(const mw_address *ad)
{
	FUZZ_REQUIRE(ad->addr != NULL && ad->local != NULL);
	FUZZ_REQUIRE(ad->addr[0] != '\0');
	fuzz_touch(ad->local);
	fuzz_require_utf8(ad->display);
	if (ad->domain) {
		/* Lower-cased, except a literal's tag ("[IPv6:...]"), which
		 * the address module keeps as written. */
		if (ad->domain[0] != '[')
			FUZZ_REQUIRE(fuzz_no_upper(ad->domain));
		FUZZ_REQUIRE(strchr(ad->addr, '@') != NULL);
	}
}

static void parse_list(mw_arena *a, const char *s, size_t n)
{
	mw_address *list = NULL;
	size_t count = 0;
	mw_status st = mw_address_parse_list(a, s, n, &list, &count);
	FUZZ_REQUIRE(st == MW_OK || st == MW_ETRUNCATED || st == MW_ENOMEM);
	if (st == MW_ENOMEM)
		return;
	FUZZ_REQUIRE(count <= MW_ADDRESSES_MAX);
	FUZZ_REQUIRE(count == 0 || list != NULL);
	for (size_t i = 0; i < count; i++) {
		check_address(&list[i]);
		(void)mw_address_is_valid(list[i].addr, strlen(list[i].addr));
	}

	const mw_address *first = mw_address_parse_one(a, s, n);
	if (first)
		check_address(first);
}

/* Free text: every address, each search starting where the last ended. */
static void find_all(mw_arena *a, const char *s, size_t n)
{
	size_t pos = 0;
	size_t found = 0;
	while (pos < n) {
		size_t end = 0;
		char *addr = mw_address_find(a, s + pos, n - pos, &end);
		if (!addr)
			break;
		const char *at = strrchr(addr, '@');
		FUZZ_REQUIRE(at != NULL);
		if (at[1] != '[')
			FUZZ_REQUIRE(fuzz_no_upper(at + 1));
		/* Progress, within the text: else the loop would never end. */
		FUZZ_REQUIRE(end > 0 && end <= n - pos);
		FUZZ_REQUIRE(++found <= n);
		pos += end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mw_arena a;
	mw_arena_init(&a, FUZZ_ARENA_MAX);
	const char *s = (const char *)data;
	parse_list(&a, s, size);
	find_all(&a, s, size);
	mw_arena_free(&a);
	return 0;
}
