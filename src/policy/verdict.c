/*
 * verdict.c - a verdict's life: an empty CONTINUE with its own arena.
 */
#include <string.h>

#include "lib/limits.h"
#include "policy/verdict.h"

void mw_verdict_init(mw_verdict *v)
{
	memset(v, 0, sizeof *v);
	v->kind = MW_VERDICT_CONTINUE;
	mw_arena_init(&v->arena, MW_SHIELD_VERDICT_MEMORY);
}

void mw_verdict_free(mw_verdict *v)
{
	mw_arena_free(&v->arena);
	mw_verdict_init(v);
}
