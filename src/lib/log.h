/*
 * log.h - the three error levels, after Postfix's msg(3).
 *
 * Contract:
 *   mw_warn   something outside went wrong (bad input, a peer misbehaved);
 *             say so and go on.
 *   mw_fatal  the environment is broken (a file we need is missing, no
 *             memory at start-up); say so and exit(2).
 *   mw_panic  our own bug (an invariant failed); say so and abort() so
 *             that a core is left.
 *   mw_info / mw_debug  ordinary reporting, the latter off by default.
 * Lines go to stderr as "mailwarden: level: text" until mw_log_use_syslog()
 * is called. The program name can be changed with mw_log_init(). Lines
 * below the level set with mw_log_set_level() (default info) are dropped;
 * fatal and panic lines are never dropped.
 */
#ifndef MW_LIB_LOG_H
#define MW_LIB_LOG_H

#include <stdbool.h>

typedef enum mw_log_level {
	MW_LOG_ERROR = 0, /* fatal and panic only */
	MW_LOG_WARNING,
	MW_LOG_INFO,
	MW_LOG_DEBUG,
} mw_log_level;

void mw_log_init(const char *progname);
void mw_log_set_level(mw_log_level level);
/* Send lines to syslog(3) with this facility (LOG_MAIL, LOG_LOCAL0 ...),
 * or back to stderr when on is false. */
void mw_log_use_syslog(bool on, int facility);

void mw_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mw_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void mw_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
_Noreturn void mw_panic(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* An invariant of our own code; a failure is a bug, hence a panic. */
#define MW_ASSERT(cond)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			mw_panic("%s:%d: assertion failed: %s", __FILE__,      \
				 __LINE__, #cond);                             \
	} while (0)

#endif
