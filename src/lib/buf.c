/*
 * buf.c - the capped growable buffer.
 *
 * Growth doubles the allocation (amortised O(1) appends) but the length
 * never passes b->max: the caller chose that cap for the input it reads.
 */
#include "lib/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mw_buf_init(mw_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void mw_buf_free(mw_buf *b)
{
	free(b->data);
	mw_buf_init(b, b->max);
}

void mw_buf_reset(mw_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Make room for `need` more bytes plus the NUL, within the cap. */
static mw_status ensure_room(mw_buf *b, size_t need)
{
	if (need > b->max - b->len)
		return MW_ETOOBIG;
	size_t want = b->len + need + 1;
	if (want <= b->alloc)
		return MW_OK;
	size_t grown = b->alloc ? b->alloc : 64;
	while (grown < want)
		grown = grown > SIZE_MAX / 2 ? want : grown * 2;
	if (grown > b->max + 1)
		grown = b->max + 1;
	char *p = realloc(b->data, grown);
	if (!p)
		return MW_ENOMEM;
	b->data = p;
	b->alloc = grown;
	return MW_OK;
}

mw_status mw_buf_append(mw_buf *b, const void *p, size_t n)
{
	mw_status st = ensure_room(b, n);
	if (st != MW_OK)
		return st;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MW_OK;
}

mw_status mw_buf_append_some(mw_buf *b, const void *p, size_t n)
{
	size_t room = b->max - b->len;
	if (n <= room)
		return mw_buf_append(b, p, n);
	mw_status st = mw_buf_append(b, p, room);
	return st == MW_OK ? MW_ETOOBIG : st;
}

mw_status mw_buf_puts(mw_buf *b, const char *s)
{
	return mw_buf_append(b, s, strlen(s));
}

mw_status mw_buf_putc(mw_buf *b, char c)
{
	return mw_buf_append(b, &c, 1);
}

mw_status mw_buf_vprintf(mw_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return MW_EINVAL;
	mw_status st = ensure_room(b, (size_t)n);
	if (st != MW_OK)
		return st;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return MW_OK;
}

mw_status mw_buf_printf(mw_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mw_status st = mw_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

const char *mw_buf_cstr(const mw_buf *b)
{
	return b->data ? b->data : "";
}
