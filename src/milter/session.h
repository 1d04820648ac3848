/*
 * session.h - one milter connection's state: the commands the decoder
 * gives out go in, the reply frames go out, and the shield is asked at
 * MAIL, at each RCPT and at end of message.
 *
 * Contract: a session does no I/O of its own (it writes its replies into
 * the caller's capped buffer and logs one line per message); the daemon
 * (src/daemon/listener.c) reads the socket, feeds the decoder and writes
 * what the session put out, and the tests drive it the same way from
 * bytes. Per command:
 *
 *   OPTNEG   mw_milter_negotiate() with what we want (MW_MILTER_OUR_ACTIONS
 *            and MW_SMFIF_SETSYMLIST, MW_MILTER_OUR_STEPS); the answer
 *            carries the agreed options and, when SETSYMLIST was agreed,
 *            the macro lists of mw_session_macro_lists. An MTA below
 *            version 2 gets no answer: the connection is closed.
 *   MACRO    {daemon_name}, {client_addr}, {client_name}, {auth_authen}
 *            and i are copied (bounded: MW_SESSION_MACRO_MAX,
 *            MW_ADDRESS_MAX); any other macro is ignored, and so is a
 *            macro the MTA did not send (its value stays unknown).
 *   CONNECT  the client's address (mw_ip_parse; "IPv6:" prefix allowed)
 *            and name.
 *   MAIL     starts a transaction: the policy (configuration and shield)
 *            in force now is taken for the whole transaction, the session
 *            decides whether it is outbound (DESIGN.md section 2: an
 *            {auth_authen}, a {daemon_name} in outbound_daemon_names, or a
 *            client address in trusted_networks) and asks the shield.
 *   RCPT     the shield is asked; a recipient it lets through is kept (at
 *            most MW_SESSION_RCPTS_MAX; past that 452 4.5.3).
 *   HEADER   Message-ID: is kept; when the shield wants the content
 *            (asked at the first header, the envelope being complete),
 *            "Name: value\n" lines, then "\n", then the body chunks are
 *            copied up to the configuration's bounce_body_max, and the
 *            facts say when that cap cut the message.
 *   BODY     copied as above.
 *   EOM      the shield decides; its modifications (CHGFROM, DELRCPT,
 *            ADDRCPT, ADDHEADER, QUARANTINE) go out only when their action
 *            was agreed, otherwise they are logged and skipped; then the
 *            final reply. One log line per message: queue id, direction,
 *            sender, recipients, verdict and reason. A refusal at MAIL or
 *            RCPT is logged the same way there. When the message is not
 *            refused and a shield judged it, mw_session_handle() returns
 *            MW_SESSION_HOLD: what the shield wrote to the store for it
 *            (the sent-log entry of an outbound message) must be durable
 *            before the MTA takes the message on (see below).
 *   ABORT    ends the transaction; the connection's facts are kept.
 *   QUIT     mw_session_handle() returns MW_SESSION_CLOSE.
 *   QUIT_NC  the connection's facts are forgotten; the negotiated options
 *            stay (a new SMTP connection follows on the same socket).
 *   HELO, DATA, EOH, UNKNOWN: answered CONTINUE when the MTA waits.
 *
 * Bad input: a frame the decoder could not parse (MW_MILTER_MALFORMED) or
 * whose command byte is unknown (MW_MILTER_UNRECOGNISED) is logged and
 * skipped; a malformed command the MTA waits for is answered CONTINUE,
 * since only the MTA talks to us and a frame it got wrong must not stop
 * its mail (the same as milter_default_action = accept for that one
 * step); an unknown command byte gets no answer, since we cannot know
 * whether the MTA waits. A malformed OPTNEG closes the connection: nothing
 * can be agreed. Commands the MTA should not send at that point (RCPT
 * before MAIL, content without recipients) are answered CONTINUE and
 * logged at debug level; the shield is not asked without a sender.
 *
 * Replies: everything one command answers is appended to `out` at once;
 * `out` must have room for MW_SESSION_REPLY_MAX more bytes (the daemon
 * writes it out between commands). If the replies of one command do not
 * fit, they are taken back and TEMPFAIL is sent instead.
 *
 * Memory: an idle session holds only its fixed fields (about 1.5 KiB);
 * a transaction's sender, recipients and Message-ID live in an arena and
 * the content in a buffer, both released when the transaction ends.
 */
#ifndef MW_MILTER_SESSION_H
#define MW_MILTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/net.h"
#include "milter/decoder.h"
#include "milter/protocol.h"

struct mw_config;
struct mw_shield;
struct mw_guard;

/* What a transaction is judged by. shield may be NULL: then every stage
 * continues and nothing is modified (a configuration without a store, and
 * the tests of the session's own duties). */
typedef struct mw_session_policy {
	const struct mw_config *cfg;
	struct mw_shield *shield;
	struct mw_guard *guard; /* NULL: no account guard */
} mw_session_policy;

/* The daemon's side: how a session takes the policy in force when a
 * transaction starts and gives it back when it ends (so that a reload
 * changes only new transactions), and the clock. acquire must not return
 * NULL; release and now may be NULL (nothing to give back; time()). */
typedef struct mw_session_env {
	const mw_session_policy *(*acquire)(void *arg);
	void (*release)(void *arg, const mw_session_policy *policy);
	time_t (*now)(void *arg);
	void *arg;
} mw_session_env;

typedef enum mw_session_result {
	MW_SESSION_OK = 0, /* go on reading */
	MW_SESSION_CLOSE,  /* write what is in out, then close */
	/* End of message: write nothing of out and read no further command
	 * until every store write queued so far is committed
	 * (mw_store_commit_soon(), mw_store_is_committed()); then write out
	 * and go on. If that takes more than MW_SESSION_HOLD_MS, call
	 * mw_session_hold_expired() first. A caller without a store writes
	 * at once. */
	MW_SESSION_HOLD,
} mw_session_result;

/* The macro lists sent with SETSYMLIST, by MW_SMFIM_* stage (NULL: the
 * MTA's own list). Exposed for the tests and for docs/daemon.md. */
extern const char *const mw_session_macro_lists[MW_SMFIM_COUNT];

/* The fields are the session's own; read them only in tests. */
typedef struct mw_session {
	const mw_session_env *env;
	unsigned long id; /* for log lines: "conn N" */

	/* the connection */
	bool negotiated;
	mw_milter_opts agreed;
	bool has_client_ip;
	mw_ip client_ip;
	char client_name[MW_SESSION_MACRO_MAX + 1];
	char daemon_name[MW_SESSION_MACRO_MAX + 1];
	char auth_authen[MW_ADDRESS_MAX + 1];
	char queue_id[MW_SESSION_MACRO_MAX + 1];
	bool has_daemon_name, has_auth_authen;

	/* the transaction: policy taken at MAIL, until it ends */
	const mw_session_policy *policy;
	bool in_txn;
	bool outbound;
	const char *sender; /* bare, in txn; "" for the null sender */
	const char **rcpts; /* bare, in txn */
	size_t nrcpts;
	size_t rcpts_cap;
	const char *message_id; /* without <>, in txn */
	bool content_asked;	/* the shield was asked (first header) */
	bool want_content;
	bool in_body;		  /* the blank line has been written */
	bool content_truncated;	  /* bounce_body_max reached */
	mw_buf content;		  /* header lines, "\n", body */
	mw_arena txn;		  /* sender, rcpts, message_id */
	unsigned long nmessages;  /* transactions that reached EOM */
	unsigned long bad_frames; /* malformed and unknown frames seen */

	/* the last MW_SESSION_HOLD: where its replies start in out, and
	 * what milter_failure_action said */
	size_t held_from;
	bool held_tempfail;
} mw_session;

void mw_session_init(mw_session *s, const mw_session_env *env,
		     unsigned long id);
/* End any transaction (giving its policy back) and free its memory. */
void mw_session_free(mw_session *s);

/*
 * Handle what mw_milter_next() returned: r is MW_MILTER_CMD,
 * MW_MILTER_MALFORMED or MW_MILTER_UNRECOGNISED, cmd what it wrote, and
 * why the decoder's error for the last two (mw_milter_decoder_error(),
 * for the log). Replies are appended to out. Returns MW_SESSION_CLOSE
 * when the connection is to be closed once out is written (QUIT, a failed
 * negotiation), MW_SESSION_OK otherwise.
 */
mw_session_result mw_session_handle(mw_session *s, mw_milter_result r,
				    const mw_milter_cmd *cmd,
				    mw_milter_error why, mw_buf *out);

/* The store did not commit within MW_SESSION_HOLD_MS after an
 * MW_SESSION_HOLD: the end-of-message answer in out goes out anyway, as
 * milter_failure_action says. tempfail: it is replaced by TEMPFAIL (the
 * client retries; nothing is lost); accept: it stands and the sent-log
 * entry may be lost if the daemon dies before the store recovers. Logged
 * either way. */
void mw_session_hold_expired(mw_session *s, mw_buf *out);

/* Is a transaction under way (between MAIL and its end)? The daemon lets
 * those finish before it stops. */
bool mw_session_in_transaction(const mw_session *s);

#endif
