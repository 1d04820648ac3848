/*
 * corpus.h - a benchmark's messages, loaded into memory before the clock
 * starts, so that every parser under test reads the same bytes from RAM.
 *
 * Contract: corpus_load() takes files and directories (a directory gives
 * its regular files, sorted, not recursing) and keeps each message in one
 * malloc'ed block. A leading mbox "From " line is dropped: it is not part
 * of the message, and parsers disagree about it. Fatal on I/O errors.
 */
#ifndef MW_BENCH_CORPUS_H
#define MW_BENCH_CORPUS_H

#include <stddef.h>

typedef struct corpus_msg {
	char *data; /* owned; parsers get it as const */
	size_t len;
	char *path;
} corpus_msg;

typedef struct corpus {
	corpus_msg *msgs;
	size_t count;
	size_t bytes; /* sum of len */
} corpus;

void corpus_load(corpus *c, char *const paths[], int npaths);
void corpus_free(corpus *c);

/* Monotonic seconds. */
double bench_now(void);

#endif
