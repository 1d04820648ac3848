/*
 * batv_key.c - the BATV key ring and the batv_key_file format.
 *
 * Secrets never leave this ring except into HMAC(); every copy we make
 * (the file's text, a refused ring) is wiped with OPENSSL_cleanse, which
 * the compiler may not optimise away as it may a memset before free.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "batv/batv.h"
#include "lib/buf.h"
#include "lib/file.h"

/* A key line longer than this is not "K secret" with a 64-byte secret and
 * some blanks; saying so beats quoting a megabyte of it back. */
#define KEY_LINE_MAX 256

static void set_error(mw_batv_error *err, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(mw_batv_error *err, unsigned line, const char *fmt, ...)
{
	if (!err)
		return;
	err->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

void mw_batv_ring_init(mw_batv_ring *ring)
{
	memset(ring, 0, sizeof *ring);
	ring->sign_key = -1;
	ring->validity_days = MW_BATV_VALIDITY_DAYS_DEFAULT;
}

void mw_batv_ring_clear(mw_batv_ring *ring)
{
	unsigned days = ring->validity_days;
	OPENSSL_cleanse(ring->keys, sizeof ring->keys);
	mw_batv_ring_init(ring);
	ring->validity_days = days;
}

/* Why a secret cannot be used, or NULL. Printable ASCII only: the same
 * secret must give the same bytes to us, to Exim and to an admin's shell,
 * which rules out encodings and invisible characters. */
static const char *secret_problem(mw_str secret, char *why, size_t whysz)
{
	if (secret.n < MW_BATV_SECRET_MIN) {
		snprintf(why, whysz,
			 "secret is %zu characters; at least %d are needed",
			 secret.n, MW_BATV_SECRET_MIN);
		return why;
	}
	if (secret.n > MW_BATV_SECRET_MAX) {
		snprintf(why, whysz,
			 "secret is %zu characters; at most %d are allowed "
			 "(Exim refuses longer keys)",
			 secret.n, MW_BATV_SECRET_MAX);
		return why;
	}
	for (size_t i = 0; i < secret.n; i++) {
		unsigned char c = (unsigned char)secret.p[i];
		if (c < 0x20 || c > 0x7e) {
			snprintf(why, whysz,
				 "secret has a control or non-ASCII byte at "
				 "character %zu",
				 i + 1);
			return why;
		}
	}
	return NULL;
}

mw_status mw_batv_ring_add(mw_batv_ring *ring, unsigned key_no, mw_str secret,
			   mw_batv_error *err)
{
	char why[128];
	if (key_no >= MW_BATV_KEYS_MAX) {
		set_error(err, 0, "key number %u is not a digit 0-9", key_no);
		return MW_EINVAL;
	}
	if (ring->keys[key_no].present) {
		set_error(err, 0, "key %u is defined twice", key_no);
		return MW_EINVAL;
	}
	if (secret_problem(secret, why, sizeof why)) {
		set_error(err, 0, "key %u: %s", key_no, why);
		return MW_EINVAL;
	}
	mw_batv_key *k = &ring->keys[key_no];
	memcpy(k->secret, secret.p, secret.n);
	k->len = secret.n;
	k->present = true;
	ring->sign_key = (int)key_no;
	return MW_OK;
}

/* One line of a key file: MW_OK for a key, a comment or a blank line,
 * else MW_EINVAL with err naming lineno. Messages give lengths and
 * positions, never the secret itself, since they end up in logs.
 * first_line[k] remembers where key k was defined, for the duplicate
 * message. */
static mw_status parse_key_line(mw_batv_ring *ring, mw_str line,
				unsigned lineno, unsigned first_line[],
				mw_batv_error *err)
{
	mw_str t = mw_str_trim(line);
	if (t.n == 0 || t.p[0] == '#')
		return MW_OK;
	if (line.n > KEY_LINE_MAX) {
		set_error(err, lineno,
			  "line is %zu bytes long; a key line is "
			  "a digit and a secret of at most %d",
			  line.n, MW_BATV_SECRET_MAX);
		return MW_EINVAL;
	}
	if (t.n >= 2 && mw_is_digit((unsigned char)t.p[0]) &&
	    mw_is_digit((unsigned char)t.p[1])) {
		set_error(err, lineno, "key number must be one digit 0-9");
		return MW_EINVAL;
	}
	if (!mw_is_digit((unsigned char)t.p[0]) || t.n < 2 ||
	    !mw_is_wsp((unsigned char)t.p[1])) {
		set_error(err, lineno,
			  "expected \"K secret\": a key number 0-9, a blank "
			  "and the secret");
		return MW_EINVAL;
	}
	unsigned key_no = (unsigned)(t.p[0] - '0');
	mw_str secret = mw_str_trim(mw_str_make(t.p + 1, t.n - 1));
	if (ring->keys[key_no].present) {
		set_error(err, lineno,
			  "key %u is defined twice (first on line %u)", key_no,
			  first_line[key_no]);
		return MW_EINVAL;
	}
	mw_batv_error e;
	if (mw_batv_ring_add(ring, key_no, secret, &e) != MW_OK) {
		set_error(err, lineno, "%s", e.msg);
		return MW_EINVAL;
	}
	first_line[key_no] = lineno;
	return MW_OK;
}

mw_status mw_batv_ring_parse(mw_batv_ring *ring, mw_str text,
			     mw_batv_error *err)
{
	unsigned first_line[MW_BATV_KEYS_MAX] = {0};
	size_t pos = 0;
	mw_str line;
	unsigned lineno = 0;
	if (text.n > MW_BATV_KEY_FILE_MAX) {
		set_error(err, 0, "key file is over %zu bytes",
			  MW_BATV_KEY_FILE_MAX);
		return MW_EINVAL;
	}
	while (mw_line_next(text, &pos, &line)) {
		lineno++;
		if (parse_key_line(ring, line, lineno, first_line, err)) {
			mw_batv_ring_clear(ring);
			return MW_EINVAL;
		}
	}
	if (ring->sign_key < 0) {
		set_error(err, 0, "no key: the file needs a line \"K secret\"");
		return MW_EINVAL;
	}
	return MW_OK;
}

mw_status mw_batv_ring_load(mw_batv_ring *ring, const char *path,
			    mw_batv_error *err)
{
	mw_buf b;
	bool truncated = false;
	mw_buf_init(&b, MW_BATV_KEY_FILE_MAX + 1);
	mw_status st =
	    mw_file_read(path, MW_BATV_KEY_FILE_MAX + 1, &b, &truncated);
	if (st != MW_OK)
		set_error(err, 0, "%s",
			  st == MW_EIO ? strerror(errno) : mw_status_str(st));
	else
		st = mw_batv_ring_parse(ring, mw_str_make(b.data, b.len), err);
	if (b.data)
		OPENSSL_cleanse(b.data, b.alloc);
	mw_buf_free(&b);
	return st;
}

mw_status mw_batv_ring_set_validity(mw_batv_ring *ring, unsigned days)
{
	if (days < 1 || days > MW_BATV_VALIDITY_DAYS_MAX)
		return MW_EINVAL;
	ring->validity_days = days;
	return MW_OK;
}

int mw_batv_ring_sign_key(const mw_batv_ring *ring)
{
	return ring->sign_key;
}

bool mw_batv_ring_has(const mw_batv_ring *ring, unsigned key_no)
{
	return key_no < MW_BATV_KEYS_MAX && ring->keys[key_no].present;
}
