/*
 * listener_int.h - what listener.c (the socket) and listener_conn.c (one
 * connection) share. Not for use outside src/daemon/listener*.c.
 */
#ifndef MW_DAEMON_LISTENER_INT_H
#define MW_DAEMON_LISTENER_INT_H

#include "daemon/listener.h"
#include "lib/buf.h"
#include "milter/decoder.h"

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
	mw_buf out;	/* replies not yet handed to libuv */
	size_t pending; /* bytes in write requests not yet done */
	bool reading;
	bool paused;	/* back-pressure: reading stopped */
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

#endif
