/*
 * password_breached.c - search a Have I Been Pwned "ordered by hash"
 * SHA-1 file in place.
 *
 * The search keeps two byte offsets: lo, a line start with every line
 * before it smaller than the wanted hash, and hi, with every line that
 * starts at or after it larger. A probe takes the first line starting at
 * or after the middle and moves lo past it or hi onto it, so the range
 * halves each time. pread rather than mmap: a list replaced or truncated
 * while the daemon holds it must give a read error, not SIGBUS.
 */
#include "guard/password.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/str.h"

#define SHA1_LEN 20
#define SHA1_HEX_LEN 40

struct mw_breached {
	int fd;
	uint64_t size; /* as fstat saw it at open */
};

/* One search in progress. */
typedef struct search {
	const mw_breached *b;
	const unsigned char *want;
	mw_breached_cost cost;
} search;

/* How a line compares with the wanted hash. */
typedef enum line_cmp {
	LINE_BELOW,
	LINE_MATCH,
	LINE_ABOVE,
	LINE_BAD,
} line_cmp;

mw_status mw_breached_open(const char *path, mw_breached **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MW_EIO;
	struct stat st;
	int e = 0;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	if (e) {
		close(fd);
		errno = e;
		return MW_EIO;
	}
	mw_breached *b = malloc(sizeof *b);
	if (!b) {
		close(fd);
		return MW_ENOMEM;
	}
	b->fd = fd;
	b->size = (uint64_t)st.st_size;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	*out = b;
	return MW_OK;
}

void mw_breached_close(mw_breached *b)
{
	if (!b)
		return;
	close(b->fd);
	free(b);
}

/* Read up to MW_BREACHED_LINE_MAX bytes at off (fewer at the end of the
 * file); returns the count, or -1 on a read error. */
static long read_at(search *s, uint64_t off, char *buf)
{
	if (off >= s->b->size)
		return 0;
	uint64_t left = s->b->size - off;
	size_t want =
	    left < MW_BREACHED_LINE_MAX ? (size_t)left : MW_BREACHED_LINE_MAX;
	size_t got = 0;
	while (got < want) {
		ssize_t r =
		    pread(s->b->fd, buf + got, want - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break; /* shrunk since open: what is there */
		got += (size_t)r;
	}
	s->cost.bytes_read += got;
	return (long)got;
}

/* The first line start at or after off (off itself when the byte before
 * it ends a line); the file's size when no line starts there. */
static mw_status next_line_start(search *s, uint64_t off, uint64_t *start)
{
	if (off == 0) {
		*start = 0;
		return MW_OK;
	}
	char buf[MW_BREACHED_LINE_MAX];
	long n = read_at(s, off - 1, buf);
	if (n < 0)
		return MW_EIO;
	const char *nl = memchr(buf, '\n', (size_t)n);
	if (nl) {
		*start = off - 1 + (uint64_t)(nl - buf) + 1;
		return MW_OK;
	}
	if (off - 1 + (uint64_t)n >= s->b->size) {
		*start = s->b->size; /* the last line, without its LF */
		return MW_OK;
	}
	return MW_EINVAL; /* a line longer than any in the format */
}

static bool parse_hash(const char *p, unsigned char *out)
{
	for (size_t i = 0; i < SHA1_LEN; i++) {
		int hi = mw_hexval((unsigned char)p[2 * i]);
		int lo = mw_hexval((unsigned char)p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* ":COUNT" after the hash, up to the line end; a bare hash is seen once,
 * and so is a count of 0 (the line lists it, whatever it says). */
static bool parse_count(const char *p, size_t n, uint64_t *count)
{
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	*count = 1;
	if (n == 0)
		return true;
	if (p[0] != ':' || n == 1)
		return false;
	uint64_t v = 0;
	for (size_t i = 1; i < n; i++) {
		if (!mw_is_digit((unsigned char)p[i]))
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}
	*count = v ? v : 1;
	return true;
}

/* Compare the line at start with the wanted hash; *end is the next line's
 * start, *count the line's count on a match. */
static line_cmp probe_line(search *s, uint64_t start, uint64_t *end,
			   uint64_t *count, mw_status *err)
{
	char buf[MW_BREACHED_LINE_MAX];
	long n = read_at(s, start, buf);
	if (n < 0) {
		*err = MW_EIO;
		return LINE_BAD;
	}
	const char *nl = memchr(buf, '\n', (size_t)n);
	if (!nl && start + (uint64_t)n < s->b->size) {
		*err = MW_EINVAL; /* over MW_BREACHED_LINE_MAX */
		return LINE_BAD;
	}
	size_t len = nl ? (size_t)(nl - buf) : (size_t)n;
	*end = start + len + (nl ? 1 : 0);
	if (len == 0 || (len == 1 && buf[0] == '\r'))
		return LINE_ABOVE; /* blank lines: the trailing ones sort last
				    */
	unsigned char hash[SHA1_LEN];
	if (len < SHA1_HEX_LEN || !parse_hash(buf, hash) ||
	    !parse_count(buf + SHA1_HEX_LEN, len - SHA1_HEX_LEN, count)) {
		*err = MW_EINVAL;
		return LINE_BAD;
	}
	int c = memcmp(hash, s->want, SHA1_LEN);
	return c < 0 ? LINE_BELOW : c > 0 ? LINE_ABOVE : LINE_MATCH;
}

mw_status mw_breached_lookup_sha1(const mw_breached *b,
				  const unsigned char sha1[20], uint64_t *count,
				  mw_breached_cost *cost)
{
	search s = {.b = b, .want = sha1};
	uint64_t lo = 0, hi = b->size;
	mw_status rc = MW_OK;
	*count = 0;
	while (lo < hi && rc == MW_OK) {
		if (++s.cost.probes > MW_BREACHED_PROBES_MAX) {
			rc = MW_EINVAL; /* cannot happen: each probe halves */
			break;
		}
		uint64_t mid = lo + (hi - lo) / 2, start = lo, end = 0, n = 0;
		/* lo is a line start: from there no resynchronising */
		if (mid > lo &&
		    (rc = next_line_start(&s, mid, &start)) != MW_OK)
			break;
		if (start >= hi) {
			hi = mid; /* no line starts in [mid, hi) */
			continue;
		}
		switch (probe_line(&s, start, &end, &n, &rc)) {
		case LINE_MATCH:
			*count = n;
			lo = hi;
			break;
		case LINE_BELOW:
			lo = end;
			break;
		case LINE_ABOVE:
			hi = start;
			break;
		case LINE_BAD:
			break;
		}
	}
	if (rc != MW_OK)
		*count = 0;
	if (cost)
		*cost = s.cost;
	return rc;
}

mw_status mw_breached_lookup(const mw_breached *b, const char *password,
			     size_t len, uint64_t *count,
			     mw_breached_cost *cost)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	*count = 0;
	if (!EVP_Digest(password, len, md, &mdlen, EVP_sha1(), NULL) ||
	    mdlen != SHA1_LEN)
		return MW_ENOMEM;
	mw_status rc = mw_breached_lookup_sha1(b, md, count, cost);
	/* the digest is as good as the password against this very list */
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}
