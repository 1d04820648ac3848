/*
 * fuzz_header.c - the header section parser and the RFC 2047 decoder, as
 * the daemon drives them: split the section, then decode every value (with
 * the fallback charsets Japanese bounces need) and read Message-IDs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/header.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Raw 8-bit header text that is not UTF-8 is read in one of these. */
static const char *const fallbacks[] = {NULL, "ISO-2022-JP", "Shift_JIS",
					"EUC-JP", "windows-1252"};

static void check_field(const mw_header_field *f)
{
	FUZZ_REQUIRE(f->name != NULL && f->value != NULL);
	fuzz_touch(f->name);
	/* NULs in values become spaces, so the length is the string's. */
	FUZZ_REQUIRE(strlen(f->value) == f->value_len);
	FUZZ_REQUIRE(f->value_len <= MW_HEADER_VALUE_MAX);
}

static void decode_field(mw_arena *a, const mw_header_field *f, size_t i)
{
	const char *fb = fallbacks[i % (sizeof fallbacks / sizeof *fallbacks)];
	char *dec = mw_header_decode(a, f->value, f->value_len, fb);
	if (dec)
		fuzz_require_utf8(dec);
	else
		FUZZ_REQUIRE(a->refused);

	char *id = mw_header_msgid(a, f->value, f->value_len);
	if (id) { /* "without <>": no bracket left at either end */
		size_t n = strlen(id);
		FUZZ_REQUIRE(n > 0 && id[0] != '<' && id[n - 1] != '>');
	}
}

static void look_up(const mw_headers *h)
{
	static const char *const names[] = {"From", "to", "SUBJECT",
					    "Message-ID", "Received"};
	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		const mw_header_field *first = mw_headers_find(h, names[k]);
		const char *v = mw_headers_get(h, names[k]);
		FUZZ_REQUIRE((first == NULL) == (v == NULL));
		size_t i = 0, seen = 0;
		const mw_header_field *f;
		while ((f = mw_headers_next(h, names[k], &i)) != NULL) {
			FUZZ_REQUIRE(seen++ < h->count);
			FUZZ_REQUIRE(strcasecmp(f->name, names[k]) == 0);
		}
		FUZZ_REQUIRE((seen == 0) == (first == NULL));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mw_arena a;
	mw_arena_init(&a, FUZZ_ARENA_MAX);
	mw_headers h;
	mw_status st = mw_headers_parse(&a, (const char *)data, size, &h);
	if (st == MW_OK || st == MW_ETRUNCATED) {
		FUZZ_REQUIRE(h.count <= MW_HEADER_FIELDS_MAX);
		FUZZ_REQUIRE(h.body_offset <= size);
		FUZZ_REQUIRE(h.truncated == (st == MW_ETRUNCATED));
		for (size_t i = 0; i < h.count; i++) {
			check_field(&h.fields[i]);
			decode_field(&a, &h.fields[i], i);
		}
		look_up(&h);
	} else {
		FUZZ_REQUIRE(st == MW_ENOMEM);
	}

	/* The decoders also see text that never went through the splitter:
	 * NULs, bare line breaks, the whole input as one value. */
	char *dec =
	    mw_header_decode(&a, (const char *)data, size, "ISO-2022-JP");
	if (dec)
		fuzz_require_utf8(dec);
	fuzz_touch(mw_header_msgid(&a, (const char *)data, size));

	mw_arena_free(&a);
	return 0;
}
