/*
 * batv_tag.c - making, reading and checking "prvs=" tags.
 *
 * What goes into the HMAC was checked against Exim 4.96 itself (see
 * tests/e2e/batv_exim.sh): the key digit, the three expiry-day digits and
 * the untagged address, concatenated with nothing between them and with
 * the address's case as it was signed. Exim writes the hash in lower-case
 * hex and its ${prvscheck} compares hex case-sensitively, so we write
 * lower case; we read either.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "batv/batv.h"
#include "lib/log.h"

#define PRVS_PREFIX "prvs="
#define PRVS_PREFIX_LEN 5
#define TAG_VAL_LEN 10 /* K DDD SSSSSS */
#define DAY_PERIOD 1000u
#define SECONDS_PER_DAY 86400

unsigned mw_batv_day(time_t now)
{
	/* Floor division, so that the counter still steps once a day for a
	 * clock set before 1970; from 1970 on it is Exim's now / 86400. */
	long long t = (long long)now;
	long long days = t / SECONDS_PER_DAY;
	if (t % SECONDS_PER_DAY < 0)
		days--;
	long long m = days % (long long)DAY_PERIOD;
	if (m < 0)
		m += DAY_PERIOD;
	return (unsigned)m;
}

/* The first three bytes of HMAC-SHA1(secret, K DDD address). inner is
 * bounded by MW_ADDRESS_MAX by every caller (parse and sign check it). */
static void prvs_hash(const mw_batv_key *key, unsigned key_no, unsigned day,
		      mw_str inner, unsigned char out[3])
{
	unsigned char msg[4 + MW_ADDRESS_MAX];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	MW_ASSERT(inner.n <= MW_ADDRESS_MAX && key_no < 10 && day < 1000);
	msg[0] = (unsigned char)('0' + key_no);
	msg[1] = (unsigned char)('0' + day / 100);
	msg[2] = (unsigned char)('0' + day / 10 % 10);
	msg[3] = (unsigned char)('0' + day % 10);
	memcpy(msg + 4, inner.p, inner.n);
	if (!HMAC(EVP_sha1(), key->secret, (int)key->len, msg, 4 + inner.n, md,
		  &mdlen) ||
	    mdlen < 3)
		mw_fatal("batv: HMAC-SHA1 is not available from libcrypto");
	memcpy(out, md, 3);
}

/* Offset of the last '@' in s, or -1. The domain cannot contain '@', the
 * local part can (quoted), so the last one splits them, as in Exim. */
static long last_at(mw_str s)
{
	for (size_t i = s.n; i > 0; i--)
		if (s.p[i - 1] == '@')
			return (long)(i - 1);
	return -1;
}

static bool has_prvs_prefix(mw_str s)
{
	return mw_str_istarts(s, PRVS_PREFIX);
}

/* Envelope addresses as Postfix hands them: no blanks or control bytes.
 * A quoted local part would need the tag inside the quotes, which Exim
 * does not do either; such senders go out untagged. */
static bool signable_address(mw_str a, size_t at)
{
	if (at == 0 || at + 1 >= a.n || a.p[0] == '"')
		return false;
	for (size_t i = 0; i < a.n; i++) {
		unsigned char c = (unsigned char)a.p[i];
		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

mw_batv_sign_result mw_batv_sign(const mw_batv_ring *ring, unsigned key_no,
				 mw_str address, time_t now, char *out,
				 size_t outsz)
{
	if (outsz > 0)
		out[0] = '\0';
	if (!mw_batv_ring_has(ring, key_no))
		return MW_BATV_SIGN_NO_KEY;
	/* Length first, so that a huge input costs nothing to refuse. */
	if (address.n + MW_BATV_TAG_LEN > MW_ADDRESS_MAX ||
	    outsz < address.n + MW_BATV_TAG_LEN + 1)
		return MW_BATV_SIGN_TOO_LONG;
	long at = last_at(address);
	if (at < 0 || !signable_address(address, (size_t)at))
		return MW_BATV_SIGN_BAD_ADDRESS;
	if (has_prvs_prefix(address))
		return MW_BATV_SIGN_ALREADY_TAGGED;
	if ((size_t)at + MW_BATV_TAG_LEN > MW_BATV_TAGGED_LOCAL_MAX)
		return MW_BATV_SIGN_TOO_LONG;

	unsigned day = (mw_batv_day(now) + ring->validity_days) % DAY_PERIOD;
	unsigned char h[3];
	prvs_hash(&ring->keys[key_no], key_no, day, address, h);
	int n =
	    snprintf(out, outsz, PRVS_PREFIX "%u%03u%02x%02x%02x=%.*s", key_no,
		     day, h[0], h[1], h[2], (int)address.n, address.p);
	MW_ASSERT(n == (int)(address.n + MW_BATV_TAG_LEN));
	return MW_BATV_SIGNED;
}

const char *mw_batv_sign_result_str(mw_batv_sign_result r)
{
	switch (r) {
	case MW_BATV_SIGNED:
		return "signed";
	case MW_BATV_SIGN_ALREADY_TAGGED:
		return "already tagged";
	case MW_BATV_SIGN_BAD_ADDRESS:
		return "not an address that can be tagged";
	case MW_BATV_SIGN_NO_KEY:
		return "no such key";
	case MW_BATV_SIGN_TOO_LONG:
		return "address too long to tag";
	}
	return "unknown";
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!mw_is_digit((unsigned char)p[i]))
			return false;
	return true;
}

/* K DDD SSSSSS at p (TAG_VAL_LEN bytes, already bounds-checked). */
static bool read_tag_val(const char *p, mw_batv_tag *tag)
{
	if (!all_digits(p, 4))
		return false;
	for (size_t i = 0; i < 3; i++) {
		int hi = mw_hexval((unsigned char)p[4 + 2 * i]);
		int lo = mw_hexval((unsigned char)p[5 + 2 * i]);
		if (hi < 0 || lo < 0)
			return false;
		tag->hash[i] = (unsigned char)(hi << 4 | lo);
	}
	tag->key_no = (unsigned)(p[0] - '0');
	tag->day =
	    (unsigned)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
	tag->hash_hex = mw_str_make(p + 4, 6);
	return true;
}

mw_batv_form mw_batv_parse(mw_str address, mw_batv_tag *tag)
{
	if (!has_prvs_prefix(address))
		return MW_BATV_UNTAGGED;
	/* prefix, tag value, '=', and at least "a@b" */
	if (address.n < PRVS_PREFIX_LEN + TAG_VAL_LEN + 1 + 3)
		return MW_BATV_FORM_MALFORMED;
	const char *v = address.p + PRVS_PREFIX_LEN;
	mw_batv_tag t;
	if (!read_tag_val(v, &t) || v[TAG_VAL_LEN] != '=')
		return MW_BATV_FORM_MALFORMED;
	mw_str inner =
	    mw_str_make(v + TAG_VAL_LEN + 1, address.n - MW_BATV_TAG_LEN);
	if (inner.n > MW_ADDRESS_MAX)
		return MW_BATV_FORM_MALFORMED;
	long at = last_at(inner);
	if (at <= 0 || (size_t)at + 1 >= inner.n)
		return MW_BATV_FORM_MALFORMED;
	t.inner = inner;
	t.local = mw_str_make(inner.p, (size_t)at);
	t.domain = mw_str_make(inner.p + at + 1, inner.n - (size_t)at - 1);
	*tag = t;
	return MW_BATV_TAGGED;
}

mw_batv_result mw_batv_verify(const mw_batv_ring *ring, mw_str address,
			      time_t now, mw_str *untagged)
{
	mw_batv_tag tag;
	mw_batv_form form = mw_batv_parse(address, &tag);
	if (untagged)
		*untagged = form == MW_BATV_TAGGED ? tag.inner : address;
	if (form == MW_BATV_UNTAGGED)
		return MW_BATV_NO_TAG;
	if (form != MW_BATV_TAGGED)
		return MW_BATV_MALFORMED;
	if (!mw_batv_ring_has(ring, tag.key_no))
		return MW_BATV_UNKNOWN_KEY;

	unsigned char h[3];
	prvs_hash(&ring->keys[tag.key_no], tag.key_no, tag.day, tag.inner, h);
	if (CRYPTO_memcmp(h, tag.hash, sizeof h) != 0)
		return MW_BATV_BAD_HASH;

	/* Unsigned modulo-1000 distance from today to the expiry day: 0 on
	 * the last valid day, validity_days on the day it was signed, and
	 * 999 the day after it expired, across the 999 -> 000 wrap too. */
	unsigned ahead = (tag.day + DAY_PERIOD - mw_batv_day(now)) % DAY_PERIOD;
	return ahead <= ring->validity_days ? MW_BATV_VALID : MW_BATV_EXPIRED;
}

const char *mw_batv_result_str(mw_batv_result r)
{
	switch (r) {
	case MW_BATV_VALID:
		return "valid";
	case MW_BATV_NO_TAG:
		return "no-tag";
	case MW_BATV_BAD_HASH:
		return "bad-hash";
	case MW_BATV_EXPIRED:
		return "expired";
	case MW_BATV_UNKNOWN_KEY:
		return "unknown-key";
	case MW_BATV_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
