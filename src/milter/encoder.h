/*
 * encoder.h - the replies a milter sends to the MTA, as bytes in a
 * capped buffer.
 *
 * Contract: each mw_milter_put_*() appends exactly one whole frame (the
 * 4-byte big-endian length, the reply byte, the payload) to b, or appends
 * nothing and returns an error:
 *   MW_EINVAL   an argument the protocol or Postfix would not take: a
 *               modification whose action was not agreed, a malformed
 *               reply code, a control character in a text, an empty
 *               address, a frame over MW_MILTER_FRAME_MAX. These are the
 *               caller's bug; nothing about them is fixed up silently.
 *   MW_ETOOBIG  the frame does not fit under b's cap (send what is there,
 *               then try again);
 *   MW_ENOMEM   the buffer could not grow.
 * Strings go out NUL-terminated, as the protocol wants; an mw_str given
 * here must not contain a NUL. The encoder checks what a frame may carry
 * and the agreed actions, not when it may be sent: that depends on the
 * command being answered, and the session asks mw_milter_reply_allowed()
 * (protocol.h). Header values go out as given: unless
 * MW_SMFIP_HDR_LEADSPC was agreed (we do not ask for it) Postfix puts the
 * space after the colon itself.
 */
#ifndef MW_MILTER_ENCODER_H
#define MW_MILTER_ENCODER_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/status.h"
#include "lib/str.h"
#include "milter/protocol.h"

/* Longest SMTP reply line, without its CRLF (RFC 5321 4.5.3.1.5 allows
 * 512 octets with it). */
#define MW_MILTER_REPLY_LINE_MAX 510u

/* OPTNEG answer: the agreed version, actions and steps. macros, when not
 * NULL, has MW_SMFIM_COUNT entries: a non-NULL entry is the space-separated
 * list of macro names wanted at that stage ("{auth_authen} {daemon_name}")
 * and needs MW_SMFIF_SETSYMLIST agreed; NULL entries are left to the
 * MTA's own lists. */
mw_status mw_milter_put_optneg(mw_buf *b, const mw_milter_opts *agreed,
			       const char *const *macros);

/* A reply without payload: CONTINUE, ACCEPT, REJECT, TEMPFAIL, DISCARD or
 * PROGRESS. Anything else is MW_EINVAL. */
mw_status mw_milter_put_simple(mw_buf *b, unsigned char reply);

static inline mw_status mw_milter_put_continue(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_CONTINUE);
}
static inline mw_status mw_milter_put_accept(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_ACCEPT);
}
static inline mw_status mw_milter_put_reject(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_REJECT);
}
static inline mw_status mw_milter_put_tempfail(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_TEMPFAIL);
}
static inline mw_status mw_milter_put_discard(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_DISCARD);
}
static inline mw_status mw_milter_put_progress(mw_buf *b)
{
	return mw_milter_put_simple(b, MW_SMFIR_PROGRESS);
}

/* SKIP: needs MW_SMFIP_SKIP agreed. */
mw_status mw_milter_put_skip(mw_buf *b, const mw_milter_opts *agreed);

/*
 * REPLYCODE: "CODE XCODE TEXT", e.g. ("550", "5.7.1", "forged bounce").
 * code: three digits, the first 4 or 5. xcode: an RFC 3463 enhanced code
 * whose class is code's first digit (Postfix refuses the reply without
 * one). text: printable ASCII only (0x20-0x7e): CR, LF and other controls
 * are refused, not escaped, so no text can end the SMTP line or start
 * another; text taken from a message must be cleaned by the caller. Each
 * '%' goes out doubled: Sendmail reads the text as a format, and Postfix,
 * which does not, turns "%%" back into "%" and drops a single '%'. The
 * line "CODE XCODE TEXT" must fit in MW_MILTER_REPLY_LINE_MAX.
 */
mw_status mw_milter_put_replycode(mw_buf *b, const char *code,
				  const char *xcode, mw_str text);

/* The same reply in two lines: text (printable ASCII, as above, not
 * empty) and then local, the same words in the user's language (UTF-8
 * without control characters), as one multi-line SMTP reply
 * "CODE-XCODE text" CRLF "CODE XCODE local", which Postfix passes to the
 * client as it is. Each line must fit in MW_MILTER_REPLY_LINE_MAX. A
 * client that cannot show UTF-8 still has the first line. */
mw_status mw_milter_put_replycode2(mw_buf *b, const char *code,
				   const char *xcode, mw_str text,
				   mw_str local);

/* The modifications: end of message only (mw_milter_reply_allowed()), each
 * with its action agreed, else MW_EINVAL. Addresses go as on the wire
 * ("<a@example.org>"), non-empty, without control characters; args are
 * ESMTP parameters ("SIZE=100"), empty for none. */
mw_status mw_milter_put_quarantine(mw_buf *b, const mw_milter_opts *agreed,
				   mw_str reason);
mw_status mw_milter_put_chgfrom(mw_buf *b, const mw_milter_opts *agreed,
				mw_str sender, mw_str args);
/* ADDRCPT, or ADDRCPT_PAR (needs MW_SMFIF_ADDRCPT_PAR) when args is not
 * empty. */
mw_status mw_milter_put_addrcpt(mw_buf *b, const mw_milter_opts *agreed,
				mw_str rcpt, mw_str args);
mw_status mw_milter_put_delrcpt(mw_buf *b, const mw_milter_opts *agreed,
				mw_str rcpt);

/* Headers. name: printable ASCII without ':' (RFC 5322 field name).
 * value: no NUL, CR or control other than TAB; a line break is "\n" and
 * must be followed by a space or TAB (a folded value). */
mw_status mw_milter_put_addheader(mw_buf *b, const mw_milter_opts *agreed,
				  mw_str name, mw_str value);
/* Change the index-th (from 1) field called name; an empty value deletes
 * it. */
mw_status mw_milter_put_chgheader(mw_buf *b, const mw_milter_opts *agreed,
				  uint32_t index, mw_str name, mw_str value);
/* Insert at position index (0: above every field). */
mw_status mw_milter_put_insheader(mw_buf *b, const mw_milter_opts *agreed,
				  uint32_t index, mw_str name, mw_str value);

#endif
