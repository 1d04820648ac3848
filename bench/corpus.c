/* corpus.c - loading a benchmark corpus into memory. */
#include "corpus.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);
	if (!q) {
		perror("realloc");
		exit(2);
	}
	return q;
}

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(2);
	}
	size_t cap = 65536, n = 0;
	char *buf = xrealloc(NULL, cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	*len = n;
	return buf;
}

static void add_file(corpus *c, const char *path)
{
	size_t len;
	char *buf = read_whole(path, &len);
	size_t skip = 0;
	if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
		const char *nl = memchr(buf, '\n', len);
		skip = nl ? (size_t)(nl - buf) + 1 : len;
	}
	memmove(buf, buf + skip, len - skip);
	c->msgs = xrealloc(c->msgs, (c->count + 1) * sizeof *c->msgs);
	c->msgs[c->count++] = (corpus_msg){buf, len - skip, strdup(path)};
	c->bytes += len - skip;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_dir(corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(2);
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		char *p = xrealloc(NULL, len);
		snprintf(p, len, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(p);
			continue;
		}
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = p;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		add_file(c, names[i]);
		free(names[i]);
	}
	free(names);
}

void corpus_load(corpus *c, char *const paths[], int npaths)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			perror(paths[i]);
			exit(2);
		}
		if (S_ISDIR(st.st_mode))
			add_dir(c, paths[i]);
		else
			add_file(c, paths[i]);
	}
	if (c->count == 0) {
		fprintf(stderr, "corpus: no messages\n");
		exit(2);
	}
}

void corpus_free(corpus *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->msgs[i].data);
		free(c->msgs[i].path);
	}
	free(c->msgs);
	memset(c, 0, sizeof *c);
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
