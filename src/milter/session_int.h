/*
 * session_int.h - what the files of the milter session share: the facts
 * handed to the shield, the translation of verdicts into replies, and the
 * log lines. Not for use outside src/milter/session*.c.
 */
#ifndef MW_MILTER_SESSION_INT_H
#define MW_MILTER_SESSION_INT_H

#include "milter/session.h"
#include "shield/shield.h"

/* The stage a verdict answers. */
typedef enum session_stage {
	SESSION_STAGE_MAIL,
	SESSION_STAGE_RCPT,
	SESSION_STAGE_EOM,
} session_stage;

/* The shield's view of the transaction so far, pointing into s. */
void session_facts(const mw_session *s, mw_msg_facts *f, time_t now);

/* Append the replies of verdict v at MAIL or RCPT: CONTINUE, or the
 * refusal (REPLYCODE with the verdict's code and text, or the plain
 * REJECT/TEMPFAIL when the verdict's text cannot go on the wire). Returns
 * true when the verdict refuses. Nothing is written when the MTA does not
 * wait for an answer at that stage. */
bool session_put_envelope_verdict(mw_session *s, session_stage stage,
				  const mw_verdict *v, mw_buf *out,
				  mw_status *st);

/* Append the modifications v asks for that were agreed, then the final
 * reply of the message. Modifications that were not agreed, or that the
 * encoder refuses, are logged and skipped. */
mw_status session_put_eom_verdict(mw_session *s, const mw_verdict *v,
				  mw_buf *out);

/* A refusal of our own at MAIL or RCPT ("452", "4.5.3", text). */
mw_status session_put_refusal(mw_buf *out, const char *code, const char *xcode,
			      const char *text);

/* The log lines: one per message at end of message, one per refusal at
 * MAIL or RCPT (rcpt is the refused recipient, NULL at MAIL). */
void session_log_message(const mw_session *s, const mw_verdict *v);
void session_log_refusal(const mw_session *s, session_stage stage,
			 const char *rcpt, const mw_verdict *v);

#endif
