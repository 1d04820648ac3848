/*
 * listener_int.h - what listener.c (the socket) and listener_conn.c (one
 * connection) share. Not for use outside src/daemon/listener*.c.
 */
#ifndef MW_DAEMON_LISTENER_INT_H
#define MW_DAEMON_LISTENER_INT_H

#include "daemon/listener.h"
#include "lib/buf.h"
#include "milter/decoder.h"
#include "store/store.h"

/* Bytes read from a socket at a time, into the listener's one buffer:
 * a body chunk of Postfix's (MW_MILTER_CHUNK_SIZE) and its frame header
 * arrive in one or two reads. */
#define LISTENER_READ_SIZE ((size_t)64 * 1024)

/* Replies are handed to libuv once this much has gathered (or when the
 * decoded input runs out): one write per read in the usual case. */
#define LISTENER_FLUSH_AT ((size_t)64 * 1024)

typedef union listener_stream {
	uv_handle_t handle;
	uv_stream_t stream;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
} listener_stream;

typedef struct listener_conn listener_conn;

struct listener_conn {
	listener_stream h;
	uv_timer_t timer;
	mw_listener *l;
	listener_conn *prev, *next;
	mw_milter_decoder dec;
	mw_session sess;
	mw_buf out;	 /* replies not yet handed to libuv */
	size_t pending;	 /* bytes in write requests not yet done */
	uint64_t writes; /* write requests made */
	bool reading;
	bool paused; /* back-pressure: reading stopped */
	/* MW_SESSION_HOLD: out waits for the store's commit up to
	 * hold_mark, reading stopped; in the listener's held list */
	bool held;
	mw_store_mark hold_mark;
	uint64_t hold_until_ms;
	listener_conn *hprev, *hnext;
	bool finishing; /* close once pending writes are done */
	bool closing;	/* uv_close called */
	int open_handles;
};

struct mw_listener {
	uv_loop_t *loop;
	listener_stream server;
	bool is_unix;
	char *unix_path;  /* the socket file we made */
	ino_t unix_inode; /* so that we remove only our own */
	char label[320];  /* "unix:" and a sun_path, or "inet:" host:port */
	const mw_session_env *env;

	size_t max_conns;
	uint64_t timeout_ms;

	listener_conn *conns; /* every open connection */
	size_t nconns;
	unsigned long next_id;
	mw_listener_stats stats;

	uint64_t refused_unlogged; /* refusals since the last log line */
	uint64_t refusal_logged_ms;

	bool stopping;
	bool server_closed;
	bool grace_closed;
	uv_timer_t grace;
	void (*done)(void *arg);
	void *done_arg;

	/* end-of-message replies held until the store commits
	 * (listener_hold.c): oldest first, so marks and deadlines grow */
	mw_store *store;
	uv_async_t committed;  /* the store's writer: a commit happened */
	uv_timer_t hold_timer; /* the oldest hold's deadline */
	bool hold_handles;     /* the two above are initialised */
	listener_conn *held, *held_tail;

	char rbuf[LISTENER_READ_SIZE];
};

/* Serve a connection the server has just accepted into a new handle. */
void listener_conn_start(mw_listener *l, listener_conn *c);
/* A new connection, its stream handle initialised for l's socket kind;
 * NULL when memory is short. */
listener_conn *listener_conn_new(mw_listener *l);
/* Close at once (pending writes are cancelled). */
void listener_conn_close(listener_conn *c);
/* Close once the replies already written have gone out. */
void listener_conn_finish(listener_conn *c);
/* Called by a connection when its last handle is closed and it has been
 * freed, so that a stopping listener can finish. */
void listener_conn_gone(mw_listener *l);
/* The hold is over (committed, or expired and rewritten): write what the
 * session put out and go on with the commands already read. */
void listener_conn_resume(listener_conn *c);

/* -- holding end-of-message replies (listener_hold.c) -- */

/* Set up the wake-up and the timer; MW_OK or the libuv error's status. */
mw_status listener_hold_init(mw_listener *l);
/* After MW_SESSION_HOLD: true when c now waits (reading stopped, nothing
 * written), false when its writes are committed already (or there is no
 * store) and it may go on at once. */
bool listener_hold_start(listener_conn *c);
/* c is closing: forget its hold. */
void listener_hold_drop(listener_conn *c);
/* The listener has stopped: no more calls from the store's writer, and
 * the handles are closed. */
void listener_hold_close(mw_listener *l);

#endif
