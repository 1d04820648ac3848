/*
 * serve_env.c - the process around the daemon: where logs go, the limit
 * on open files, the user it runs as, and its state directory.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/serve_int.h"
#include "lib/log.h"

static int syslog_facility(mw_cfg_facility f)
{
	static const int map[] = {
	    [MW_CFG_FACILITY_MAIL] = LOG_MAIL,
	    [MW_CFG_FACILITY_DAEMON] = LOG_DAEMON,
	    [MW_CFG_FACILITY_LOCAL0] = LOG_LOCAL0,
	    [MW_CFG_FACILITY_LOCAL1] = LOG_LOCAL1,
	    [MW_CFG_FACILITY_LOCAL2] = LOG_LOCAL2,
	    [MW_CFG_FACILITY_LOCAL3] = LOG_LOCAL3,
	    [MW_CFG_FACILITY_LOCAL4] = LOG_LOCAL4,
	    [MW_CFG_FACILITY_LOCAL5] = LOG_LOCAL5,
	    [MW_CFG_FACILITY_LOCAL6] = LOG_LOCAL6,
	    [MW_CFG_FACILITY_LOCAL7] = LOG_LOCAL7,
	};
	if ((size_t)f < sizeof map / sizeof map[0])
		return map[f];
	return LOG_MAIL;
}

void serve_log_level(const mw_config *cfg)
{
	static const mw_log_level levels[] = {
	    [MW_CFG_LOG_ERROR] = MW_LOG_ERROR,
	    [MW_CFG_LOG_WARNING] = MW_LOG_WARNING,
	    [MW_CFG_LOG_INFO] = MW_LOG_INFO,
	    [MW_CFG_LOG_DEBUG] = MW_LOG_DEBUG,
	};
	if ((size_t)cfg->log_level < sizeof levels / sizeof levels[0])
		mw_log_set_level(levels[cfg->log_level]);
}

void serve_log_setup(const mw_config *cfg)
{
	serve_log_level(cfg);
	mw_log_use_syslog(cfg->log == MW_CFG_LOG_SYSLOG,
			  syslog_facility(cfg->syslog_facility));
}

void serve_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		mw_warn("cannot raise the open-files limit from %llu: %s",
			(unsigned long long)was, strerror(errno));
}

static bool regains_root(gid_t gid)
{
	if (setuid(0) != -1 || seteuid(0) != -1)
		return true;
	if (getuid() == 0 || geteuid() == 0)
		return true;
	if (gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return true;
	return false;
}

bool serve_drop_privileges(const mw_config *cfg, mw_listener *l, char *err,
			   size_t errsz)
{
	const char *user = cfg->user ? cfg->user : "mailwarden";
	if (geteuid() != 0) {
		struct passwd *me = getpwuid(geteuid());
		if (me && strcmp(me->pw_name, user) != 0)
			mw_info("not started as root: running as %s (user = "
				"%s applies only when started as root)",
				me->pw_name, user);
		return true;
	}
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errsz,
			 "key 'user': no user '%s' on this system (create it, "
			 "or set user to the account mailwarden runs as)",
			 user);
		return false;
	}
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	char name[256];
	snprintf(name, sizeof name, "%s", pw->pw_name);
	if (uid == 0) {
		snprintf(err, errsz,
			 "key 'user': '%s' is root; mailwarden does not serve "
			 "as root",
			 user);
		return false;
	}
	if (mw_listener_chown(l, uid, gid, err, errsz) != MW_OK)
		return false;
	if (initgroups(name, gid) != 0 || setgid(gid) != 0 ||
	    setuid(uid) != 0) {
		snprintf(err, errsz, "cannot become user %s (uid %u): %s", name,
			 (unsigned)uid, strerror(errno));
		return false;
	}
	if (regains_root(gid)) {
		snprintf(err, errsz,
			 "after dropping to %s, root privileges could be "
			 "regained: refusing to serve",
			 name);
		return false;
	}
	mw_info("running as %s (uid %u, gid %u)", name, (unsigned)uid,
		(unsigned)gid);
	return true;
}

bool serve_check_state_dir(const mw_config *cfg, char *err, size_t errsz)
{
	struct stat st;
	const char *dir = cfg->state_dir;
	if (stat(dir, &st) != 0) {
		snprintf(err, errsz, "key 'state_dir': %s: %s", dir,
			 strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "key 'state_dir': %s is not a directory",
			 dir);
		return false;
	}
	if (access(dir, R_OK | W_OK | X_OK) != 0) {
		struct passwd *me = getpwuid(geteuid());
		const char *name = me ? me->pw_name : "?";
		snprintf(err, errsz,
			 "key 'state_dir': %s is not writable by user %s "
			 "(uid %u), which mailwarden runs as: give it to that "
			 "user (chown %s %s)",
			 dir, name, (unsigned)geteuid(), name, dir);
		return false;
	}
	return true;
}
