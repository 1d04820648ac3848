/*
 * arena.h - a region allocator with a cap, for the results of one parse.
 *
 * Contract: everything a parser returns (trees, decoded strings, arrays) is
 * allocated from the caller's arena and lives until mw_arena_free(); nothing
 * in a result is freed on its own. The arena refuses (returns NULL) once its
 * total would pass the cap it was given, and parsers turn that refusal into
 * a truncated result. Allocations are aligned for any type.
 */
#ifndef MW_LIB_ARENA_H
#define MW_LIB_ARENA_H

#include <stdbool.h>
#include <stddef.h>

typedef struct mw_arena_chunk mw_arena_chunk;

typedef struct mw_arena {
	mw_arena_chunk *head; /* newest chunk first */
	size_t used;	      /* bytes handed out plus chunk overhead */
	size_t max;	      /* cap on used */
	bool refused; /* an allocation was refused: results are partial */
} mw_arena;

void mw_arena_init(mw_arena *a, size_t max);
void mw_arena_free(mw_arena *a);

/* n bytes, zeroed; NULL when the cap would be passed. */
void *mw_arena_alloc(mw_arena *a, size_t n);
/* An array of count elements of size bytes, zeroed, overflow-checked. */
void *mw_arena_calloc(mw_arena *a, size_t count, size_t size);
/* Grow an array allocated here to new_count elements (old contents kept). */
void *mw_arena_grow(mw_arena *a, void *old, size_t old_count, size_t new_count,
		    size_t size);
/* A NUL-terminated copy of p[0..n). */
char *mw_arena_strndup(mw_arena *a, const char *p, size_t n);
char *mw_arena_strdup(mw_arena *a, const char *s);
/* A copy of p[0..n) lower-cased in ASCII. */
char *mw_arena_strndup_lower(mw_arena *a, const char *p, size_t n);

#endif
