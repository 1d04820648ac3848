/*
 * corpus_sisimai.c - the bounce analyser against Sisimai's reading of its
 * own corpus of 589 real bounces.
 *
 *   corpus_sisimai [CORPUS_DIR]      (default ../shared/corpus/sisimai)
 *
 * Runs mw_bounce_analyse() on every .eml file of eml/ and not-bounce/
 * and compares with expected.jsonl (one row per failed recipient):
 *   recipients  a row counts when its recipient is among ours (ASCII case
 *               ignored). Sisimai writes the stand-in address
 *               "undisclosed-recipient-in-headers@libsisimai.org.invalid"
 *               when a report names no recipient; such a row counts when
 *               we name none either, since that is the same reading.
 *   message_id  ours equals Sisimai's, over the rows where it found one
 *   is_bounce   true for every eml/ file, false for both not-bounce/ files
 * It prints every miss (file, expected, got), the throughput as
 * information, one line per check, and "corpus: N passed, N failed".
 * Exit 1 when a check is below its threshold, 2 when the corpus cannot be
 * read.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/limits.h"
#include "mail/bounce.h"
#include "mail/charset.h"

#define PLACEHOLDER "undisclosed-recipient-in-headers@libsisimai.org.invalid"
#define ROWS_MAX 100000

typedef struct row {
	char *file;
	char *recipient;
	char *message_id; /* NULL when Sisimai found none */
	bool rcpt_ok;
	bool msgid_ok;
	bool seen; /* its file was analysed */
} row;

typedef struct corpus {
	row *rows;
	size_t nrows;
	size_t files;
	size_t bounce_ok;
	size_t not_bounce_ok;
	size_t not_bounce_files;
	double seconds;
	size_t bytes;
	size_t bad_utf8; /* strings in our answers that are not UTF-8 */
} corpus;

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d) {
		fprintf(stderr, "corpus: out of memory\n");
		exit(2);
	}
	return d;
}

static int load_rows(const char *path, corpus *c)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "corpus: %s: %s\n", path, strerror(errno));
		return -1;
	}
	c->rows = calloc(ROWS_MAX, sizeof(*c->rows));
	if (!c->rows) {
		fclose(f);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0 && c->nrows < ROWS_MAX) {
		json_error_t err;
		json_t *o = json_loads(line, 0, &err);
		if (!o)
			continue;
		const char *file =
		    json_string_value(json_object_get(o, "file"));
		const char *rc =
		    json_string_value(json_object_get(o, "recipient"));
		const char *mid =
		    json_string_value(json_object_get(o, "messageid"));
		if (file) {
			row *r = &c->rows[c->nrows++];
			r->file = xstrdup(file);
			r->recipient = xstrdup(rc);
			r->message_id = (mid && mid[0]) ? xstrdup(mid) : NULL;
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 64 * 1024, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			if (cap >= MW_MESSAGE_MAX)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool has_recipient(const mw_bounce *b, const char *addr)
{
	for (size_t i = 0; i < b->nrecipients; i++)
		if (strcasecmp(b->recipients[i].address, addr) == 0)
			return true;
	return false;
}

static void print_got_recipients(const mw_bounce *b)
{
	printf("[");
	for (size_t i = 0; i < b->nrecipients && i < 8; i++)
		printf("%s%s", i ? " " : "", b->recipients[i].address);
	if (b->nrecipients > 8)
		printf(" ...");
	printf("]");
}

static void judge_rows(corpus *c, const char *file, const mw_bounce *b)
{
	for (size_t i = 0; i < c->nrows; i++) {
		row *r = &c->rows[i];
		if (strcmp(r->file, file) != 0)
			continue;
		r->seen = true;
		if (strcasecmp(r->recipient, PLACEHOLDER) == 0)
			r->rcpt_ok = b->nrecipients == 0;
		else
			r->rcpt_ok = has_recipient(b, r->recipient);
		if (!r->rcpt_ok) {
			printf("miss recipient: %s expected=%s got=", file,
			       r->recipient);
			print_got_recipients(b);
			printf(" kind=%s\n", mw_bounce_kind_name(b->kind));
		}
		if (r->message_id) {
			const char *got = b->original.message_id;
			r->msgid_ok = got && strcmp(got, r->message_id) == 0;
			if (!r->msgid_ok)
				printf(
				    "miss message_id: %s expected=%s got=%s\n",
				    file, r->message_id, got ? got : "(none)");
		}
	}
}

static void count_bad(corpus *c, const char *file, const char *what,
		      const char *s)
{
	if (s && !mw_utf8_valid(s, strlen(s))) {
		c->bad_utf8++;
		printf("not utf-8: %s %s\n", file, what);
	}
}

/* Everything we hand out is meant to be UTF-8, whatever came in. */
static void check_utf8(corpus *c, const char *file, const mw_bounce *b)
{
	for (size_t i = 0; i < b->nrecipients; i++) {
		count_bad(c, file, "address", b->recipients[i].address);
		count_bad(c, file, "diagnostic", b->recipients[i].diagnostic);
	}
	count_bad(c, file, "from", b->original.from);
	count_bad(c, file, "to", b->original.to);
	count_bad(c, file, "subject", b->original.subject);
	count_bad(c, file, "date", b->original.date);
	count_bad(c, file, "message_id", b->original.message_id);
}

static bool is_eml(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && strcmp(d->d_name + n - 4, ".eml") == 0;
}

static int filter_eml(const struct dirent *d)
{
	return is_eml(d);
}

/* Analyse every file of dir; expect_bounce says which way is right. */
static int run_dir(corpus *c, const char *root, const char *sub,
		   bool expect_bounce)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	struct dirent **names = NULL;
	int n = scandir(dir, &names, filter_eml, alphasort);
	if (n < 0) {
		fprintf(stderr, "corpus: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		size_t len = 0;
		char *msg = read_file(path, &len);
		if (!msg) {
			fprintf(stderr, "corpus: %s: cannot read\n", path);
			free(names[i]);
			continue;
		}
		mw_arena a;
		mw_arena_init(&a, MW_PARSE_MEMORY_MAX);
		mw_bounce b;
		double t0 = now();
		mw_status st = mw_bounce_analyse(&a, msg, len, &b);
		c->seconds += now() - t0;
		c->bytes += len;
		if (st == MW_ENOMEM)
			printf("error: %s: out of memory\n", names[i]->d_name);
		if (expect_bounce) {
			c->files++;
			if (b.is_bounce)
				c->bounce_ok++;
			else
				printf("miss is_bounce: %s expected=true "
				       "got=false\n",
				       names[i]->d_name);
			judge_rows(c, names[i]->d_name, &b);
			check_utf8(c, names[i]->d_name, &b);
		} else {
			c->not_bounce_files++;
			if (!b.is_bounce)
				c->not_bounce_ok++;
			else
				printf("miss is_bounce: %s expected=false "
				       "got=true kind=%s\n",
				       names[i]->d_name,
				       mw_bounce_kind_name(b.kind));
		}
		mw_arena_free(&a);
		free(msg);
		free(names[i]);
	}
	free(names);
	return 0;
}

static bool check(const char *what, size_t got, size_t of, double need,
		  unsigned *passed, unsigned *failed)
{
	double pct = of ? 100.0 * (double)got / (double)of : 0.0;
	bool ok = of > 0 && pct + 1e-9 >= need;
	printf("check %-12s %zu/%zu (%.1f%%), need >= %.0f%%: %s\n", what, got,
	       of, pct, need, ok ? "ok" : "FAIL");
	if (ok)
		(*passed)++;
	else
		(*failed)++;
	return ok;
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "../shared/corpus/sisimai";
	corpus c;
	memset(&c, 0, sizeof(c));
	char path[4096];
	snprintf(path, sizeof(path), "%s/expected.jsonl", root);
	if (load_rows(path, &c) != 0)
		return 2;
	if (run_dir(&c, root, "eml", true) != 0 ||
	    run_dir(&c, root, "not-bounce", false) != 0)
		return 2;

	size_t rcpt_ok = 0, mid_rows = 0, mid_ok = 0;
	for (size_t i = 0; i < c.nrows; i++) {
		const row *r = &c.rows[i];
		if (!r->seen)
			printf("miss file: %s (in expected.jsonl, not in "
			       "eml/)\n",
			       r->file);
		rcpt_ok += r->rcpt_ok;
		if (r->message_id) {
			mid_rows++;
			mid_ok += r->msgid_ok;
		}
	}
	size_t total = c.files + c.not_bounce_files;
	printf("throughput: %zu messages, %.3f s, %.0f messages/s, %.1f MB/s "
	       "(information only)\n",
	       total, c.seconds,
	       c.seconds > 0 ? (double)total / c.seconds : 0.0,
	       c.seconds > 0 ? (double)c.bytes / c.seconds / 1e6 : 0.0);

	printf("strings not valid UTF-8: %zu (information only)\n", c.bad_utf8);

	unsigned passed = 0, failed = 0;
	check("recipients", rcpt_ok, c.nrows, 98.0, &passed, &failed);
	check("message_id", mid_ok, mid_rows, 98.0, &passed, &failed);
	check("is_bounce", c.bounce_ok, c.files, 100.0, &passed, &failed);
	check("not_bounce", c.not_bounce_ok, c.not_bounce_files, 100.0, &passed,
	      &failed);
	printf("corpus: %u passed, %u failed\n", passed, failed);

	for (size_t i = 0; i < c.nrows; i++) {
		free(c.rows[i].file);
		free(c.rows[i].recipient);
		free(c.rows[i].message_id);
	}
	free(c.rows);
	return failed ? 1 : 0;
}
