/*
 * arena.c - the capped region allocator.
 *
 * Chunks grow geometrically (4 KiB up to 1 MiB) so that small parses stay
 * small and large ones do not make thousands of mallocs; a request larger
 * than a chunk gets a chunk of its own. `used` counts what was malloc'ed,
 * so the cap bounds real memory, not just what was handed out.
 */
#include "lib/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/str.h"

#define ARENA_ALIGN 16
#define ARENA_CHUNK_MIN ((size_t)4096)
#define ARENA_CHUNK_MAX ((size_t)1024 * 1024)

struct mw_arena_chunk {
	mw_arena_chunk *next;
	size_t size; /* usable bytes after the header */
	size_t off;  /* bytes handed out */
	_Alignas(ARENA_ALIGN) unsigned char mem[];
};

void mw_arena_init(mw_arena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
	a->refused = false;
}

void mw_arena_free(mw_arena *a)
{
	mw_arena_chunk *c = a->head;
	while (c) {
		mw_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	mw_arena_init(a, a->max);
}

static size_t round_up(size_t n)
{
	return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static mw_arena_chunk *new_chunk(mw_arena *a, size_t need)
{
	size_t size = a->head ? a->head->size * 2 : ARENA_CHUNK_MIN;
	if (size > ARENA_CHUNK_MAX)
		size = ARENA_CHUNK_MAX;
	if (size < need)
		size = need;
	size_t total = sizeof(mw_arena_chunk) + size;
	if (total < size || total > a->max - a->used) {
		a->refused = true;
		return NULL;
	}
	mw_arena_chunk *c = malloc(total);
	if (!c) {
		a->refused = true;
		return NULL;
	}
	c->size = size;
	c->off = 0;
	a->used += total;
	/* A big one-off chunk goes behind the current one, so the current
	 * chunk's free space keeps serving small requests. */
	if (a->head && size == need && need > a->head->size - a->head->off) {
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
	}
	return c;
}

void *mw_arena_alloc(mw_arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN) {
		a->refused = true;
		return NULL;
	}
	n = round_up(n);
	mw_arena_chunk *c = a->head;
	if (!c || c->size - c->off < n) {
		c = new_chunk(a, n);
		if (!c)
			return NULL;
	}
	void *p = c->mem + c->off;
	c->off += n;
	memset(p, 0, n);
	return p;
}

void *mw_arena_calloc(mw_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size) {
		a->refused = true;
		return NULL;
	}
	return mw_arena_alloc(a, count * size);
}

void *mw_arena_grow(mw_arena *a, void *old, size_t old_count, size_t new_count,
		    size_t size)
{
	void *p = mw_arena_calloc(a, new_count, size);
	if (p && old && old_count)
		memcpy(p, old,
		       (old_count < new_count ? old_count : new_count) * size);
	return p;
}

char *mw_arena_strndup(mw_arena *a, const char *p, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *s = mw_arena_alloc(a, n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

char *mw_arena_strdup(mw_arena *a, const char *s)
{
	return mw_arena_strndup(a, s, strlen(s));
}

char *mw_arena_strndup_lower(mw_arena *a, const char *p, size_t n)
{
	char *s = mw_arena_strndup(a, p, n);
	if (s)
		mw_ascii_lower(s, n);
	return s;
}
