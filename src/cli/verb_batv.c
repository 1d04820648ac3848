/*
 * verb_batv.c - `mailwarden batv sign|verify`: the BATV tags the daemon
 * writes and checks, by hand, for admins and tests.
 *
 * The keys come from the configuration's batv_key_file (and its
 * batv_validity_days), or straight from a key file with -k, so that a
 * tag can be checked on a machine without the daemon's configuration.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "batv/batv.h"
#include "cli/cli.h"
#include "daemon/config.h"

static const char batv_help[] =
	"NAME\n"
	"    mailwarden batv - sign or verify a BATV-tagged address\n"
	"\n"
	"SYNOPSIS\n"
	"    mailwarden batv sign ADDRESS [-c FILE | -k KEYFILE] [--now TIME]\n"
	"    mailwarden batv verify ADDRESS [-c FILE | -k KEYFILE] [--now TIME]\n"
	"\n"
	"DESCRIPTION\n"
	"    BATV signs the envelope sender of every outbound message, as\n"
	"    prvs=KDDDSSSSSS=local@domain (K the key number, DDD the expiry\n"
	"    day, SSSSSS an HMAC-SHA1 of both and the address), so that a\n"
	"    bounce of mail really sent from here can be told from\n"
	"    backscatter. These verbs do by hand what the daemon does.\n"
	"\n"
	"    sign    prints ADDRESS tagged with the signing key (the last\n"
	"            line of the key file), valid for batv_validity_days.\n"
	"    verify  prints the verdict and the untagged address: valid,\n"
	"            no-tag, bad-hash (forged or damaged), expired,\n"
	"            unknown-key or malformed.\n"
	"\n"
	"    The tags are Exim's ${prvs}: either can check the other's.\n"
	"\n"
	"OPTIONS\n"
	"    -c FILE, --config FILE\n"
	"              take batv_key_file and batv_validity_days from this\n"
	"              configuration (default " MW_CONFIG_DEFAULT_PATH ")\n"
	"    -k KEYFILE, --keys KEYFILE\n"
	"              read the keys from this file instead (lines \"K secret\"),\n"
	"              with the default validity of 7 days\n"
	"    --now TIME\n"
	"              act as if the time were TIME (seconds since 1970), to\n"
	"              check a tag as it was or will be on another day\n"
	"    -h, --help\n"
	"              show this page\n"
	"\n"
	"EXIT STATUS\n"
	"    0  signed; or the tag is valid\n"
	"    1  not signed (the address already carries a tag); or the tag is\n"
	"       not valid (the verdict says why)\n"
	"    2  bad usage, an address that cannot be tagged, or keys that\n"
	"       cannot be read\n"
	"\n"
	"EXAMPLES\n"
	"    mailwarden batv sign taro@example.jp\n"
	"    mailwarden batv verify prvs=3682f46a10=taro@example.jp -k /etc/mailwarden/batv.keys\n";

typedef struct batv_opts {
	const char *config;
	const char *keyfile;
	time_t now;
} batv_opts;

/* Parse -c, -k, --now; returns the index of the first operand or -1. */
static int batv_parse_options(int argc, char **argv, batv_opts *o)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"keys", required_argument, NULL, 'k'},
		{"now", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:k:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'n':
			errno = 0;
			o->now = (time_t)strtoll(optarg, &end, 10);
			if (errno || *end || end == optarg || o->now < 0) {
				cli_error("batv", "--now takes seconds since "
						  "1970, not '%s'",
					  optarg);
				return -1;
			}
			break;
		default:
			cli_error("batv", "usage: mailwarden batv sign|verify "
					  "ADDRESS [-c FILE | -k KEYFILE]");
			return -1;
		}
	}
	if (o->config && o->keyfile) {
		cli_error("batv", "give -c or -k, not both");
		return -1;
	}
	return optind;
}

static bool load_keyfile(const char *path, mw_batv_ring *ring)
{
	mw_batv_error err;
	if (mw_batv_ring_load(ring, path, &err) == MW_OK)
		return true;
	if (err.line)
		cli_error("batv", "%s:%u: %s", path, err.line, err.msg);
	else
		cli_error("batv", "%s: %s", path, err.msg);
	return false;
}

/* The keys and validity the daemon would use with this configuration. */
static bool load_from_config(const char *path, mw_batv_ring *ring)
{
	mw_config *cfg = NULL;
	mw_config_errors *errs = malloc(sizeof *errs);
	if (!errs) {
		cli_error("batv", "out of memory");
		return false;
	}
	bool ok = mw_config_load(path, &cfg, errs) == MW_OK;
	if (!ok)
		mw_config_errors_print(errs, stderr);
	free(errs);
	if (ok && !cfg->batv_key_file) {
		cli_error("batv", "%s sets no batv_key_file (or use -k)", path);
		ok = false;
	}
	ok = ok && load_keyfile(cfg->batv_key_file, ring) &&
	     mw_batv_ring_set_validity(ring,
				       (unsigned)cfg->batv_validity_days) ==
		     MW_OK;
	mw_config_free(cfg);
	return ok;
}

static int batv_sign(const mw_batv_ring *ring, const char *addr, time_t now)
{
	size_t n = strlen(addr);
	char *out = malloc(n + MW_BATV_TAG_LEN + 1);
	if (!out) {
		cli_error("batv", "out of memory");
		return CLI_USAGE;
	}
	mw_batv_sign_result r =
		mw_batv_sign(ring, (unsigned)mw_batv_ring_sign_key(ring),
			     mw_str_make(addr, n), now, out, n + MW_BATV_TAG_LEN + 1);
	int rc = CLI_OK;
	if (r == MW_BATV_SIGNED) {
		puts(out);
	} else if (r == MW_BATV_SIGN_ALREADY_TAGGED) {
		printf("%s\n", addr);
		cli_error("batv", "%s already carries a tag: not signed again",
			  addr);
		rc = CLI_NO;
	} else {
		cli_error("batv", "cannot sign %s: %s", addr,
			  mw_batv_sign_result_str(r));
		rc = CLI_USAGE;
	}
	free(out);
	return rc;
}

static int batv_verify(const mw_batv_ring *ring, const char *addr, time_t now)
{
	mw_str untagged = {NULL, 0};
	mw_batv_result r =
		mw_batv_verify(ring, mw_str_from_cstr(addr), now, &untagged);
	printf("%s %.*s\n", mw_batv_result_str(r), (int)untagged.n,
	       untagged.p ? untagged.p : "");
	return r == MW_BATV_VALID ? CLI_OK : CLI_NO;
}

static int batv_main(int argc, char **argv)
{
	batv_opts o = {NULL, NULL, time(NULL)};
	int first = batv_parse_options(argc, argv, &o);
	if (first < 0)
		return CLI_USAGE;
	if (argc - first != 2 || (strcmp(argv[first], "sign") != 0 &&
				  strcmp(argv[first], "verify") != 0)) {
		cli_error("batv", "usage: mailwarden batv sign|verify ADDRESS "
				  "[-c FILE | -k KEYFILE]");
		return CLI_USAGE;
	}
	mw_batv_ring ring;
	mw_batv_ring_init(&ring);
	bool loaded = o.keyfile ? load_keyfile(o.keyfile, &ring)
				: load_from_config(o.config ? o.config
							    : MW_CONFIG_DEFAULT_PATH,
						   &ring);
	int rc = CLI_USAGE;
	if (loaded)
		rc = strcmp(argv[first], "sign") == 0
			     ? batv_sign(&ring, argv[first + 1], o.now)
			     : batv_verify(&ring, argv[first + 1], o.now);
	mw_batv_ring_clear(&ring);
	return rc;
}

const cli_verb cli_verb_batv = {
	.name = "batv",
	.run = batv_main,
	.summary = "sign or verify a BATV-tagged address",
	.help = batv_help,
};
