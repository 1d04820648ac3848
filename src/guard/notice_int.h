/*
 * notice_int.h - what the files of the guard's notices share; no other
 * module includes it.
 *
 * notice.c checks the facts, writes the headers and base64-encodes the
 * body; notice_text.c writes what every notice has (greeting, steps,
 * footer, Subject), notice_kinds.c and notice_limit.c what each of the
 * four kinds says, notice_evidence.c the logins and signals they show;
 * notice_clean.c makes outside values fit to show, formats times and
 * names countries.
 */
#ifndef MW_GUARD_NOTICE_INT_H
#define MW_GUARD_NOTICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "guard/notice.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/status.h"

/* Japan has one time zone and no summer time. */
#define MW_NOTICE_JST_OFFSET (9 * 3600)

/* Room for a cleaned value: MW_NOTICE_FIELD_MAX bytes, the cut mark and
 * the NUL. */
#define MW_NOTICE_CLEAN_SIZE (MW_NOTICE_FIELD_MAX + 8)

/* Room for a time as mw_notice_time() writes it. */
#define MW_NOTICE_TIME_SIZE 40

/* in (may be NULL) as one line of valid UTF-8 fit to show: control bytes,
 * bytes that are not UTF-8 and the invisible characters that reorder or
 * hide text (bidi controls, zero-width ones) become '?', a tab a space;
 * past MW_NOTICE_FIELD_MAX bytes (or what outsz allows) it is cut at a
 * character and "…" marks the cut. NULL or "" gives dflt. Reads no byte
 * past what it writes (plus one character), so an unterminated giant
 * value costs nothing. */
void mw_notice_clean(const char *in, const char *dflt, char *out, size_t outsz);

/* Does s hold only printable, visible UTF-8 (no control, space, bidi or
 * zero-width character, nothing invalid) and at most max bytes? */
bool mw_notice_visible(const char *s, size_t max);

/* "2023-11-15 07:13 JST" (jst) or "2023-11-14 22:13 UTC"; "-" for 0 or
 * a time before 1970 or after 9999. */
void mw_notice_time(time_t t, bool jst, char *out, size_t outsz);

/* A country code as the reader's language names it: "中国 (CN)",
 * "China (CN)"; the bare code when it is not in the small table; "不明" /
 * "unknown" when empty. */
void mw_notice_country(const char *code, bool ja, char *out, size_t outsz);

/* s quoted for a POSIX shell when it holds anything beyond letters,
 * digits and @._+=- (so that an admin can paste the command safely).
 * MW_ETOOBIG when out is too small. */
mw_status mw_notice_shell_quote(const char *s, char *out, size_t outsz);

/* The evidence: the logins, newest first, at most MW_NOTICE_LOGINS_MAX
 * then "and N more"; nothing when there are none. */
mw_status mw_notice_put_logins(mw_buf *o, const mw_notice_facts *f, bool ja);
/* The score's signals as a list, at most MW_NOTICE_SIGNALS_MAX. */
mw_status mw_notice_put_signals(mw_buf *o, const mw_notice_facts *f, bool ja);

/* The whole text (both languages, CRLF line ends, UTF-8) into o. */
mw_status mw_notice_put_text(mw_buf *o, const mw_notice_facts *f);
/* The Subject, both languages, UTF-8 (not yet encoded). */
void mw_notice_subject(const mw_notice_facts *f, char *out, size_t outsz);
/* The X-Mailwarden-Notice word of a kind: "suspended", "login-alert",
 * "limit", "unlocked". */
const char *mw_notice_kind_word(mw_notice_kind k);

/* -- between the texts of the kinds (notice_text.c, notice_kinds.c) -- */

typedef struct mw_notice_ctx {
	const mw_notice_facts *f; /* checked by mw_notice_compose */
	char now_jst[MW_NOTICE_TIME_SIZE];
	char now_utc[MW_NOTICE_TIME_SIZE];
	/* the account as one shell word, for the unlock command */
	char unlock_arg[4 * MW_ADDRESS_MAX + 3];
} mw_notice_ctx;

/* What to do now: the four steps, with the admin's address. */
mw_status mw_notice_put_steps(mw_buf *o, const mw_notice_ctx *c, bool ja);
/* A heading and the logins. */
mw_status mw_notice_put_evidence(mw_buf *o, const mw_notice_ctx *c, bool ja);
/* For an admin copy: how to lift the block, with the command. */
mw_status mw_notice_put_unlock(mw_buf *o, const mw_notice_ctx *c, bool ja);

/* The middle of each kind's text, between greeting and footer. */
mw_status mw_notice_put_suspended(mw_buf *o, const mw_notice_ctx *c, bool ja);
mw_status mw_notice_put_login_alert(mw_buf *o, const mw_notice_ctx *c, bool ja);
mw_status mw_notice_put_limit(mw_buf *o, const mw_notice_ctx *c, bool ja);
mw_status mw_notice_put_unlocked(mw_buf *o, const mw_notice_ctx *c, bool ja);

#endif
