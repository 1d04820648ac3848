/* bench_main.c - command line, timing and report of the MIME benchmarks. */
#include "bench_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(const char *name)
{
	fprintf(stderr, "usage: %s [--decode] [--passes N] FILE|DIR...\n",
		name);
	exit(2);
}

int bench_main(const char *name, int argc, char **argv)
{
	bool decode = false;
	int passes = 5;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--decode") == 0)
			decode = true;
		else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
			passes = atoi(argv[++i]);
		else
			usage(name);
	}
	if (i >= argc || passes < 1)
		usage(name);

	corpus c;
	corpus_load(&c, argv + i, argc - i);

	double best = -1;
	bench_tally tally = {0};
	for (int p = 0; p < passes; p++) {
		bench_tally t = {0};
		double t0 = bench_now();
		for (size_t m = 0; m < c.count; m++)
			bench_parse(c.msgs[m].data, c.msgs[m].len, decode, &t);
		double dt = bench_now() - t0;
		if (best < 0 || dt < best)
			best = dt;
		tally = t;
	}
	printf("parser=%s mode=%s messages=%zu bytes=%zu parts=%zu "
	       "text_bytes=%zu failures=%zu best_s=%.6f mb_s=%.2f "
	       "msgs_s=%.0f\n",
	       name, decode ? "decode" : "structure", c.count, c.bytes,
	       tally.parts, tally.text_bytes, tally.failures, best,
	       (double)c.bytes / best / 1e6, (double)c.count / best);
	corpus_free(&c);
	return 0;
}
