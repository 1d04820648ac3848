/*
 * listener_conn.c - one milter connection: read into the listener's
 * buffer, feed the decoder, hand each command to the session, write the
 * replies, and close on QUIT, broken framing, end of input, a write
 * error or inactivity.
 *
 * Reads and decoding are one step: everything a read brings is fed to
 * the decoder at once (the read is sized to the room the decoder has),
 * and the commands are taken out until none is whole. Only back-pressure
 * stops that loop early; the frames it leaves stay in the decoder, whose
 * views are valid until the next feed, and no read happens until the
 * writes have drained.
 */
#include "daemon/listener_int.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/limits.h"
#include "lib/log.h"

typedef struct write_req {
	uv_write_t req;
	listener_conn *c;
	char *data;
	size_t n;
} write_req;

static void conn_pump(listener_conn *c);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

/* -- closing -------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
	listener_conn *c = h->data;
	if (--c->open_handles > 0)
		return;
	mw_listener *l = c->l;
	bool counted = c->prev || c->next || l->conns == c;
	if (counted) {
		if (c->prev)
			c->prev->next = c->next;
		else
			l->conns = c->next;
		if (c->next)
			c->next->prev = c->prev;
		l->nconns--;
	}
	l->stats.messages += c->sess.nmessages;
	mw_session_free(&c->sess);
	mw_milter_decoder_free(&c->dec);
	mw_buf_free(&c->out);
	free(c);
	if (counted)
		listener_conn_gone(l);
}

void listener_conn_close(listener_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	listener_hold_drop(c);
	if (c->reading)
		uv_read_stop(&c->h.stream);
	c->reading = false;
	/* Pending writes are cancelled by the close; their callbacks free
	 * them. */
	uv_close(&c->h.handle, on_handle_closed);
	if (c->open_handles > 1)
		uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

void listener_conn_finish(listener_conn *c)
{
	if (c->closing)
		return;
	c->finishing = true;
	if (c->reading)
		uv_read_stop(&c->h.stream);
	c->reading = false;
	if (c->pending == 0)
		listener_conn_close(c);
}

/* -- timer ---------------------------------------------------------- */

static void on_idle(uv_timer_t *t)
{
	listener_conn *c = t->data;
	c->l->stats.timed_out++;
	mw_info("conn %lu: no traffic for %llu s%s: closing", c->sess.id,
		(unsigned long long)(c->l->timeout_ms / 1000),
		mw_session_in_transaction(&c->sess) ? " in a transaction" : "");
	listener_conn_close(c);
}

static void conn_touch(listener_conn *c)
{
	if (!c->closing)
		uv_timer_start(&c->timer, on_idle, c->l->timeout_ms, 0);
}

/* -- writing -------------------------------------------------------- */

static void on_written(uv_write_t *req, int status)
{
	write_req *w = (write_req *)req;
	listener_conn *c = w->c;
	c->pending -= w->n;
	free(w->data);
	free(w);
	if (c->closing)
		return;
	if (status < 0) {
		mw_info("conn %lu: write: %s: closing", c->sess.id,
			uv_strerror(status));
		listener_conn_close(c);
		return;
	}
	conn_touch(c);
	if (c->finishing) {
		if (c->pending == 0)
			listener_conn_close(c);
		return;
	}
	if (c->paused && c->pending <= MW_MILTER_WRITE_PENDING_MAX / 2) {
		c->paused = false;
		conn_pump(c);
	}
}

/* Hand what the session wrote to libuv; the buffer goes with the
 * request, and out starts empty (an idle connection holds none). */
static bool conn_flush(listener_conn *c)
{
	if (c->out.len == 0 || c->closing)
		return true;
	write_req *w = malloc(sizeof *w);
	if (!w) {
		mw_warn("conn %lu: out of memory for a write", c->sess.id);
		listener_conn_close(c);
		return false;
	}
	w->c = c;
	w->data = c->out.data;
	w->n = c->out.len;
	size_t cap = c->out.max;
	mw_buf_init(&c->out, cap);
	uv_buf_t b = uv_buf_init(w->data, (unsigned)w->n);
	int rc = uv_write(&w->req, &c->h.stream, &b, 1, on_written);
	if (rc != 0) {
		mw_info("conn %lu: write: %s: closing", c->sess.id,
			uv_strerror(rc));
		free(w->data);
		free(w);
		listener_conn_close(c);
		return false;
	}
	c->pending += w->n;
	c->writes++;
	return true;
}

/* -- reading and decoding ------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	listener_conn *c = h->data;
	const mw_milter_decoder *d = &c->dec;
	/* What the decoder can take after compacting what it gave out. */
	size_t held = d->buf.len - d->pos;
	size_t room = d->buf.max > held ? d->buf.max - held : 0;
	if (room > LISTENER_READ_SIZE)
		room = LISTENER_READ_SIZE;
	*buf = uv_buf_init(c->l->rbuf, (unsigned)room);
}

static void conn_read_start(listener_conn *c)
{
	if (c->reading || c->closing || c->finishing || c->paused || c->held)
		return;
	int rc = uv_read_start(&c->h.stream, on_alloc, on_read);
	if (rc != 0) {
		mw_info("conn %lu: read: %s: closing", c->sess.id,
			uv_strerror(rc));
		listener_conn_close(c);
		return;
	}
	c->reading = true;
}

static void conn_pause(listener_conn *c)
{
	c->paused = true;
	c->l->stats.paused++;
	if (c->reading)
		uv_read_stop(&c->h.stream);
	c->reading = false;
}

static void conn_broken(listener_conn *c)
{
	c->l->stats.broken++;
	mw_warn(
	    "conn %lu: broken milter stream (%s)%s: closing; Postfix "
	    "applies milter_default_action",
	    c->sess.id, mw_milter_error_str(mw_milter_decoder_error(&c->dec)),
	    mw_session_in_transaction(&c->sess) ? " in the middle of a message"
						: "");
	listener_conn_finish(c);
}

/* Take whole commands out of the decoder until none is left, the session
 * ends the connection, or too much output waits. */
static void conn_pump(listener_conn *c)
{
	while (!c->closing && !c->finishing) {
		if (c->pending > MW_MILTER_WRITE_PENDING_MAX) {
			conn_pause(c);
			return;
		}
		mw_milter_cmd cmd;
		mw_milter_result r = mw_milter_next(&c->dec, &cmd);
		if (r == MW_MILTER_MORE)
			break;
		if (r == MW_MILTER_ERROR) {
			conn_flush(c);
			conn_broken(c);
			return;
		}
		mw_session_result res = mw_session_handle(
		    &c->sess, r, &cmd, mw_milter_decoder_error(&c->dec),
		    &c->out);
		if (res == MW_SESSION_HOLD && listener_hold_start(c)) {
			/* Not a byte of out, not another command, until
			 * the store has committed: listener_conn_resume(). */
			if (c->reading)
				uv_read_stop(&c->h.stream);
			c->reading = false;
			return;
		}
		if (c->out.len >= LISTENER_FLUSH_AT && !conn_flush(c))
			return;
		if (res == MW_SESSION_CLOSE ||
		    (c->l->stopping && !mw_session_in_transaction(&c->sess))) {
			conn_flush(c);
			listener_conn_finish(c);
			return;
		}
	}
	if (c->closing || c->finishing)
		return;
	/* Every whole command is taken: feeding nothing lets the decoder
	 * compact now, and give back a big drained buffer (a body chunk's)
	 * instead of holding it while the connection idles. */
	mw_milter_feed(&c->dec, "", 0);
	if (conn_flush(c))
		conn_read_start(c);
}

void listener_conn_resume(listener_conn *c)
{
	if (c->closing || c->finishing)
		return;
	if (!conn_flush(c))
		return;
	if (c->l->stopping && !mw_session_in_transaction(&c->sess)) {
		listener_conn_finish(c);
		return;
	}
	conn_pump(c);
}

static void conn_eof(listener_conn *c)
{
	mw_milter_result r = mw_milter_decoder_eof(&c->dec);
	if (r == MW_MILTER_INCOMPLETE)
		mw_info("conn %lu: the MTA closed the connection inside a "
			"frame",
			c->sess.id);
	if (mw_session_in_transaction(&c->sess))
		mw_info("conn %lu: the MTA closed the connection in the "
			"middle of a message (nothing was decided for it)",
			c->sess.id);
	listener_conn_close(c);
}

/* A read that we answer with nothing (macros, headers and body chunks,
 * which Postfix sends without waiting) must still be acknowledged at
 * once. Postfix writes its commands without TCP_NODELAY, so Nagle holds
 * the next small frame until the previous one is acknowledged, and
 * Linux delays that ACK (40 ms and more) hoping to piggyback it on a
 * reply that never comes: measured under Postfix, the frames after the
 * DATA macros arrived 40-60 ms late on every message. TCP_QUICKACK is
 * not sticky (the kernel goes back to delaying after our next reply),
 * so it is set after each such read; it sends the pending ACK now. */
static void conn_ack_now(listener_conn *c)
{
	if (c->l->is_unix || c->closing)
		return;
	uv_os_fd_t fd;
	if (uv_fileno(&c->h.handle, &fd) != 0)
		return;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	listener_conn *c = s->data;
	if (nread == 0 || c->closing)
		return; /* EAGAIN */
	if (nread < 0) {
		if (nread == UV_EOF)
			conn_eof(c);
		else if (nread == UV_ENOBUFS)
			conn_pause(
			    c); /* cannot happen: we read only with room */
		else {
			mw_info("conn %lu: read: %s: closing", c->sess.id,
				uv_strerror((int)nread));
			listener_conn_close(c);
		}
		return;
	}
	conn_touch(c);
	size_t took = mw_milter_feed(&c->dec, buf->base, (size_t)nread);
	if (took < (size_t)nread &&
	    mw_milter_decoder_error(&c->dec) == MW_MILTER_E_NONE) {
		/* The read was sized to the decoder's room. */
		mw_panic("conn %lu: decoder took %zu of %zd bytes", c->sess.id,
			 took, nread);
	}
	uint64_t writes = c->writes;
	conn_pump(c);
	if (c->writes == writes)
		conn_ack_now(c);
}

/* -- life ----------------------------------------------------------- */

listener_conn *listener_conn_new(mw_listener *l)
{
	listener_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->l = l;
	int rc = l->is_unix ? uv_pipe_init(l->loop, &c->h.pipe, 0)
			    : uv_tcp_init(l->loop, &c->h.tcp);
	if (rc != 0) {
		free(c);
		return NULL;
	}
	c->h.handle.data = c;
	c->open_handles = 1;
	mw_milter_decoder_init(&c->dec);
	mw_buf_init(&c->out, MW_SESSION_REPLY_MAX + LISTENER_FLUSH_AT);
	mw_session_init(&c->sess, l->env, 0);
	return c;
}

void listener_conn_start(mw_listener *l, listener_conn *c)
{
	uv_timer_init(l->loop, &c->timer);
	c->timer.data = c;
	c->open_handles = 2;
	c->sess.id = ++l->next_id;
	c->next = l->conns;
	if (l->conns)
		l->conns->prev = c;
	l->conns = c;
	l->nconns++;
	l->stats.accepted++;
	if (!l->is_unix)
		uv_tcp_nodelay(&c->h.tcp, 1); /* one small reply per command */
	mw_debug("conn %lu: accepted on %s (%zu open)", c->sess.id, l->label,
		 l->nconns);
	conn_touch(c);
	conn_read_start(c);
}
