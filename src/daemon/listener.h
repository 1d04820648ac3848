/*
 * listener.h - the milter socket on a libuv loop: accept, read, decode,
 * hand each command to a session, write the replies.
 *
 * Contract: everything runs on the loop's thread; nothing here blocks.
 * Each connection owns a decoder (decoder.h), a session (session.h) and
 * an idle timer, and nothing else while it is idle: the decoder gives its
 * buffer back once drained, the session's transaction memory is freed at
 * the end of each transaction, and reads land in one buffer shared by
 * the listener (a read is decoded before the next one is taken).
 *
 *   - At most max_connections at once; one more is accepted and closed at
 *     once (Postfix then applies its milter_default_action to that SMTP
 *     session without waiting for a timeout), and logged at most once a
 *     second with the count of refusals.
 *   - A connection with no traffic either way for timeout seconds is
 *     closed, and so is one whose framing breaks (a frame longer than
 *     MW_MILTER_FRAME_MAX, of length 0) or that the session closes (QUIT).
 *   - Back-pressure: when more than MW_MILTER_WRITE_PENDING_MAX bytes of
 *     replies wait to be written, the connection stops reading and
 *     decoding until the peer has taken them.
 *   - Durability: with a store (mw_listener_set_store()), a session's
 *     MW_SESSION_HOLD is honoured: the end-of-message answer of an
 *     accepted message is written only once the store has committed every
 *     write queued before it (the sent-log entry above all), and nothing
 *     more is read from that connection meanwhile. The writer is asked to
 *     commit at once, so the wait is one commit; past MW_SESSION_HOLD_MS
 *     the answer follows milter_failure_action (session.h).
 *   - Stopping: the socket is closed (a unix socket's file removed);
 *     connections outside a transaction are closed at once, the others
 *     when their transaction ends (or their held answer is written), and
 *     whatever is left after the grace time is closed; then the done
 *     callback runs.
 */
#ifndef MW_DAEMON_LISTENER_H
#define MW_DAEMON_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "daemon/config.h"
#include "lib/status.h"
#include "milter/session.h"
#include "store/store.h"

typedef struct mw_listener mw_listener;

typedef struct mw_listener_stats {
	size_t connections; /* open now */
	uint64_t accepted;  /* served since start */
	uint64_t refused;   /* over max_connections */
	uint64_t timed_out; /* closed for inactivity */
	uint64_t broken;    /* closed for broken framing */
	uint64_t messages;  /* transactions that reached end of message */
	uint64_t paused;    /* times reading stopped for back-pressure */
} mw_listener_stats;

/* Bind and listen on ep (inet: host name or address literal; unix: an
 * absolute path, a stale socket file is removed, a live one is an error;
 * the new one is made mode 0660). Sessions use env, which must outlive
 * the listener. On failure err names the endpoint and the reason. */
mw_status mw_listener_open(uv_loop_t *loop, const mw_cfg_endpoint *ep,
			   const mw_session_env *env, mw_listener **out,
			   char *err, size_t errsz);

/* Give a unix socket's file to the user the daemon will run as, before
 * privileges are dropped. A no-op for inet sockets. */
mw_status mw_listener_chown(mw_listener *l, uid_t uid, gid_t gid, char *err,
			    size_t errsz);

/* The store whose commits held end-of-message answers wait for (NULL:
 * none, answers go out at once). Its writer then wakes the loop after
 * each commit; the listener stops that when it has stopped, so the store
 * must stay open until then (mw_listener_stop()'s done callback). */
void mw_listener_set_store(mw_listener *l, mw_store *st);

/* Limits for connections from now on (and the idle timeout of all). */
void mw_listener_set_limits(mw_listener *l, size_t max_connections,
			    uint64_t timeout_seconds);

/* "inet:127.0.0.1:8894" or "unix:/run/mailwarden/milter.sock". */
const char *mw_listener_label(const mw_listener *l);

void mw_listener_stats_get(const mw_listener *l, mw_listener_stats *out);

/* Stop as described above; done(arg) runs once every handle is closed.
 * Calling it twice does nothing more. */
void mw_listener_stop(mw_listener *l, uint64_t grace_seconds,
		      void (*done)(void *arg), void *arg);

/* Free a stopped listener once its loop has run its close callbacks. */
void mw_listener_free(mw_listener *l);

#endif
