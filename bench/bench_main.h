/*
 * bench_main.h - the command line and the clock that every MIME benchmark
 * program shares, so that the GMime and mailwarden programs differ only in
 * the parser they call.
 *
 *   PROG [--decode] [--passes N] FILE|DIR...
 *
 * The corpus is loaded first; then `passes` timed passes (default 5) each
 * parse every message once, and the best pass is reported as one line:
 *   parser=NAME mode=structure|decode messages=N bytes=N parts=N
 *   text_bytes=N best_s=S mb_s=X msgs_s=Y
 * (mb_s is 10^6 bytes of input per second). parts and text_bytes are
 * printed so that a reader can see both parsers did comparable work.
 */
#ifndef MW_BENCH_MAIN_H
#define MW_BENCH_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "corpus.h"

typedef struct bench_tally {
	size_t parts;	   /* MIME parts visited */
	size_t text_bytes; /* UTF-8 text produced (decode mode) */
	size_t failures;   /* messages the parser refused */
} bench_tally;

/* Implemented by each program: parse one message; in decode mode also
 * convert every text/ leaf to UTF-8. */
void bench_parse(const char *msg, size_t len, bool decode, bench_tally *t);

int bench_main(const char *name, int argc, char **argv);

#endif
