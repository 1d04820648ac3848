/*
 * log.c - warn, fatal, panic (after Postfix's msg(3)).
 *
 * One line per event, with the level spelled out, so that a mail admin can
 * grep for "fatal:" or "panic:" and know which kind of trouble it was.
 */
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

static const char *log_progname = "mailwarden";
static mw_log_level log_level = MW_LOG_INFO;
static bool log_syslog_on;

void mw_log_init(const char *progname)
{
	if (progname && *progname)
		log_progname = progname;
}

void mw_log_set_level(mw_log_level level)
{
	log_level = level;
}

void mw_log_use_syslog(bool on, int facility)
{
	/* openlog() again replaces the facility of every later line. */
	if (on)
		openlog(log_progname, LOG_PID | LOG_NDELAY, facility);
	else if (log_syslog_on)
		closelog();
	log_syslog_on = on;
}

static void log_line(int prio, const char *level, const char *fmt, va_list ap)
{
	char text[2048];
	vsnprintf(text, sizeof text, fmt, ap);
	if (log_syslog_on)
		syslog(prio, "%s: %s", level, text);
	else
		fprintf(stderr, "%s: %s: %s\n", log_progname, level, text);
}

#define LOG_WITH(prio, level)                                                  \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_line(prio, level, fmt, ap);                                \
		va_end(ap);                                                    \
	} while (0)

void mw_debug(const char *fmt, ...)
{
	if (log_level >= MW_LOG_DEBUG)
		LOG_WITH(LOG_DEBUG, "debug");
}

void mw_info(const char *fmt, ...)
{
	if (log_level >= MW_LOG_INFO)
		LOG_WITH(LOG_INFO, "info");
}

void mw_warn(const char *fmt, ...)
{
	if (log_level >= MW_LOG_WARNING)
		LOG_WITH(LOG_WARNING, "warning");
}

void mw_fatal(const char *fmt, ...)
{
	LOG_WITH(LOG_CRIT, "fatal");
	exit(2);
}

void mw_panic(const char *fmt, ...)
{
	LOG_WITH(LOG_CRIT, "panic");
	abort();
}
