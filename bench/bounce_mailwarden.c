/*
 * bounce_mailwarden.c - the bounce analyser alone, in one process over
 * messages already in memory: what `mailwarden bounce` costs without its
 * file reads and JSON output. bounce_vs_sisimai.sh times the CLI itself;
 * this program shows how much of that is the analysis.
 *
 *   bounce_mailwarden [--passes N] FILE|DIR...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/bounce.h"

int main(int argc, char **argv)
{
	int passes = 5;
	int i = 1;
	if (i + 1 < argc && strcmp(argv[i], "--passes") == 0) {
		passes = atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc || passes < 1) {
		fprintf(stderr, "usage: %s [--passes N] FILE|DIR...\n",
			argv[0]);
		return 2;
	}
	corpus c;
	corpus_load(&c, argv + i, argc - i);

	double best = -1;
	size_t bounces = 0, rcpts = 0;
	for (int p = 0; p < passes; p++) {
		bounces = rcpts = 0;
		double t0 = bench_now();
		for (size_t m = 0; m < c.count; m++) {
			mw_arena a;
			mw_arena_init(&a, MW_PARSE_MEMORY_MAX);
			mw_bounce b;
			mw_status st = mw_bounce_analyse(&a, c.msgs[m].data,
							 c.msgs[m].len, &b);
			if ((st == MW_OK || st == MW_ETRUNCATED) &&
			    b.is_bounce) {
				bounces++;
				rcpts += b.nrecipients;
			}
			mw_arena_free(&a);
		}
		double dt = bench_now() - t0;
		if (best < 0 || dt < best)
			best = dt;
	}
	printf("analyser=mailwarden-lib messages=%zu bytes=%zu bounces=%zu "
	       "recipients=%zu best_s=%.6f msgs_s=%.0f\n",
	       c.count, c.bytes, bounces, rcpts, best, (double)c.count / best);
	corpus_free(&c);
	return 0;
}
