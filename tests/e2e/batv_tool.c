/*
 * batv_tool.c - a bare driver of src/batv for tests/e2e/batv_exim.sh,
 * so that the interop test does not depend on the CLI.
 *
 *   batv_tool sign KEYFILE KEYNO ADDRESS [NOW]   prints the tagged address
 *   batv_tool verify KEYFILE ADDRESS [NOW]       prints "RESULT UNTAGGED"
 *
 * NOW is seconds since the epoch (default: the clock). Exit 0 for signed
 * or valid, 1 for any other verdict, 2 for bad usage or a bad key file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batv/batv.h"

static int usage(void)
{
	fprintf(stderr, "usage: batv_tool sign KEYFILE KEYNO ADDRESS [NOW]\n"
			"       batv_tool verify KEYFILE ADDRESS [NOW]\n");
	return 2;
}

static int parse_now(const char *s, time_t *now)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0')
		return -1;
	*now = (time_t)v;
	return 0;
}

static int load(mw_batv_ring *ring, const char *path)
{
	mw_batv_error e;
	mw_batv_ring_init(ring);
	if (mw_batv_ring_load(ring, path, &e) == MW_OK)
		return 0;
	if (e.line)
		fprintf(stderr, "batv_tool: %s:%u: %s\n", path, e.line, e.msg);
	else
		fprintf(stderr, "batv_tool: %s: %s\n", path, e.msg);
	return -1;
}

static int do_sign(int argc, char **argv)
{
	mw_batv_ring ring;
	time_t now = time(NULL);
	if (argc < 5 || argc > 6 || strlen(argv[3]) != 1 || argv[3][0] < '0' ||
	    argv[3][0] > '9')
		return usage();
	if (argc == 6 && parse_now(argv[5], &now))
		return usage();
	if (load(&ring, argv[2]))
		return 2;
	char out[MW_ADDRESS_MAX + 1];
	mw_batv_sign_result r =
	    mw_batv_sign(&ring, (unsigned)(argv[3][0] - '0'),
			 mw_str_from_cstr(argv[4]), now, out, sizeof out);
	mw_batv_ring_clear(&ring);
	if (r != MW_BATV_SIGNED) {
		fprintf(stderr, "batv_tool: %s: %s\n", argv[4],
			mw_batv_sign_result_str(r));
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

static int do_verify(int argc, char **argv)
{
	mw_batv_ring ring;
	time_t now = time(NULL);
	if (argc < 4 || argc > 5)
		return usage();
	if (argc == 5 && parse_now(argv[4], &now))
		return usage();
	if (load(&ring, argv[2]))
		return 2;
	mw_str inner;
	mw_batv_result r =
	    mw_batv_verify(&ring, mw_str_from_cstr(argv[3]), now, &inner);
	mw_batv_ring_clear(&ring);
	printf("%s %.*s\n", mw_batv_result_str(r), (int)inner.n, inner.p);
	return r == MW_BATV_VALID ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sign") == 0)
		return do_sign(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return do_verify(argc, argv);
	return usage();
}
