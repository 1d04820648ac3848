/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * Contract: an mw_buf grows by doubling up to its cap and never past it.
 * An append that would go over the cap appends nothing and returns
 * MW_ETOOBIG (the curl dynbuf rule: going over is an error, not a realloc).
 * The data is always NUL-terminated, so mw_buf_cstr() is valid after any
 * call; the NUL does not count in len. A zeroed mw_buf is not usable:
 * initialise it with mw_buf_init() and release it with mw_buf_free().
 */
#ifndef MW_LIB_BUF_H
#define MW_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "lib/status.h"

typedef struct mw_buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes held, not counting the NUL */
	size_t alloc; /* bytes allocated */
	size_t max;   /* cap on len */
} mw_buf;

void mw_buf_init(mw_buf *b, size_t max);
void mw_buf_free(mw_buf *b);
/* Forget the contents but keep the memory for reuse. */
void mw_buf_reset(mw_buf *b);

mw_status mw_buf_append(mw_buf *b, const void *p, size_t n);
mw_status mw_buf_puts(mw_buf *b, const char *s);
mw_status mw_buf_putc(mw_buf *b, char c);
mw_status mw_buf_printf(mw_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
mw_status mw_buf_vprintf(mw_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append as much of p as fits under the cap; MW_ETOOBIG if it was cut. */
mw_status mw_buf_append_some(mw_buf *b, const void *p, size_t n);

/* The contents as a C string; "" for an empty buffer. */
const char *mw_buf_cstr(const mw_buf *b);

#endif
