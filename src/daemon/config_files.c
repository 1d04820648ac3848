/*
 * config_files.c - what a configuration names outside itself.
 *
 * The parser judges the text alone, so that a configuration can be
 * checked anywhere; these checks look at this machine as `serve` will
 * find it, so that check-config before a reload catches a key file with
 * a typo or a GeoIP database that was never downloaded, instead of the
 * reload failing in the log.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config_int.h"
#include "guard/geo.h"

static unsigned line_of(const mw_config *cfg, const char *name)
{
	long i = mw_config_key_find(name);
	return i < 0 ? 0 : cfg->key_line[i];
}

static void check_batv_keys(const mw_config *cfg, mw_config_errors *errs)
{
	if (cfg->batv_mode == MW_CFG_BATV_OFF || !cfg->batv_key_file)
		return;
	mw_batv_ring ring;
	mw_batv_error err;
	mw_batv_ring_init(&ring);
	if (mw_batv_ring_load(&ring, cfg->batv_key_file, &err) != MW_OK) {
		unsigned line = line_of(cfg, "batv_key_file");
		if (err.line)
			mw_cfg_diag(errs, line, "batv_key_file", false,
				    "%s:%u: %s", cfg->batv_key_file, err.line,
				    err.msg);
		else
			mw_cfg_diag(errs, line, "batv_key_file", false,
				    "%s: %s", cfg->batv_key_file, err.msg);
	}
	mw_batv_ring_clear(&ring);
}

/* A regular file this process can open for reading. */
static void check_readable(const mw_config *cfg, const char *key,
			   const char *path, mw_config_errors *errs)
{
	if (!path)
		return;
	unsigned line = line_of(cfg, key);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		mw_cfg_diag(errs, line, key, false, "cannot open %s: %s", path,
			    strerror(errno));
		return;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		mw_cfg_diag(errs, line, key, false, "%s is not a regular file",
			    path);
	close(fd);
}

/* A GeoIP database that libmaxminddb opens: a file that exists but is
 * an HTML error page from a failed download must fail here, not at
 * start-up. */
static void check_geoip(const mw_config *cfg, const char *key,
			const char *path, bool country, mw_config_errors *errs)
{
	if (!path)
		return;
	char err[512];
	mw_geo *g = NULL;
	mw_status st = country ? mw_geo_open(path, NULL, &g, err, sizeof err)
			       : mw_geo_open(NULL, path, &g, err, sizeof err);
	if (st != MW_OK) {
		/* The text starts with the key already. */
		const char *why = err;
		size_t kn = strlen(key);
		if (strncmp(why, key, kn) == 0 && why[kn] == ':')
			why += kn + 1 + (why[kn + 1] == ' ');
		mw_cfg_diag(errs, line_of(cfg, key), key, false, "%s", why);
	}
	mw_geo_close(g);
}

size_t mw_config_check_files(const mw_config *cfg, mw_config_errors *errs)
{
	size_t before = errs->errors;
	check_batv_keys(cfg, errs);
	check_geoip(cfg, "geoip_country_db", cfg->geoip_country_db, true, errs);
	check_geoip(cfg, "geoip_asn_db", cfg->geoip_asn_db, false, errs);
	check_readable(cfg, "breached_passwords_file",
		       cfg->breached_passwords_file, errs);
	/* Only a process started as root switches to `user`. */
	if (geteuid() == 0 && !getpwnam(cfg->user))
		mw_cfg_diag(errs, line_of(cfg, "user"), "user", false,
			    "no such user '%s' on this system", cfg->user);
	return errs->errors - before;
}
