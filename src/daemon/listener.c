/*
 * listener.c - the milter socket: bind (inet or unix), accept within the
 * connection cap, and the orderly stop. One connection's life is in
 * listener_conn.c.
 */
#include "daemon/listener_int.h"

#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

/* Connections the kernel queues before we accept them: Postfix opens one
 * per SMTP session, and a burst of sessions must not be refused by the
 * kernel while the loop is busy. */
#define LISTENER_BACKLOG 511

static void set_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* -- binding -------------------------------------------------------- */

/* An address literal, or the first address the name resolves to. */
static int inet_address(const mw_cfg_endpoint *ep, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(ep->host, (int)ep->port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(ep->host, (int)ep->port, (struct sockaddr_in6 *)ss) ==
	    0)
		return 0;
	struct addrinfo hints, *res = NULL;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
	char port[8];
	snprintf(port, sizeof port, "%u", ep->port);
	int rc = getaddrinfo(ep->host, port, &hints, &res);
	if (rc != 0)
		return UV_EAI_NONAME;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static mw_status bind_inet(mw_listener *l, const mw_cfg_endpoint *ep, char *err,
			   size_t errsz)
{
	struct sockaddr_storage ss;
	if (inet_address(ep, &ss) != 0) {
		set_err(err, errsz, "%s: cannot resolve host '%s'", l->label,
			ep->host);
		return MW_EINVAL;
	}
	int rc = uv_tcp_init(l->loop, &l->server.tcp);
	if (rc == 0)
		rc =
		    uv_tcp_bind(&l->server.tcp, (const struct sockaddr *)&ss,
				ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (rc != 0) {
		set_err(err, errsz, "%s: cannot bind: %s", l->label,
			uv_strerror(rc));
		return MW_EIO;
	}
	return MW_OK;
}

/* A socket file left by a process that is gone is removed; one that
 * still answers belongs to a running daemon and is left alone. */
static mw_status clear_stale_socket(const char *path, char *err, size_t errsz,
				    const char *label)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? MW_OK : MW_EIO;
	if (!S_ISSOCK(st.st_mode)) {
		set_err(err, errsz, "%s: %s exists and is not a socket", label,
			path);
		return MW_EINVAL;
	}
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		set_err(err, errsz, "%s: socket: %s", label, strerror(errno));
		return MW_EIO;
	}
	int live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	if (live) {
		set_err(err, errsz,
			"%s: another process is listening on %s (is mailwarden "
			"already running?)",
			label, path);
		return MW_EINVAL;
	}
	if (unlink(path) != 0) {
		set_err(err, errsz, "%s: cannot remove the stale socket %s: %s",
			label, path, strerror(errno));
		return MW_EIO;
	}
	mw_info("removed the stale socket %s", path);
	return MW_OK;
}

static mw_status bind_unix(mw_listener *l, const mw_cfg_endpoint *ep, char *err,
			   size_t errsz)
{
	mw_status st = clear_stale_socket(ep->path, err, errsz, l->label);
	if (st != MW_OK) {
		if (!err[0])
			set_err(err, errsz, "%s: %s", l->label,
				strerror(errno));
		return st;
	}
	l->unix_path = strdup(ep->path);
	if (!l->unix_path) {
		set_err(err, errsz, "%s: out of memory", l->label);
		return MW_ENOMEM;
	}
	int rc = uv_pipe_init(l->loop, &l->server.pipe, 0);
	if (rc != 0) {
		set_err(err, errsz, "%s: %s", l->label, uv_strerror(rc));
		return MW_EIO;
	}
	/* Owner and group only (0660): Postfix connects as a member of the
	 * daemon's group (docs/daemon.md), nobody else may. The umask makes
	 * the file so from its first moment, with no window. */
	mode_t old = umask(0117);
	rc = uv_pipe_bind(&l->server.pipe, ep->path);
	umask(old);
	if (rc != 0) {
		set_err(err, errsz, "%s: cannot bind: %s", l->label,
			uv_strerror(rc));
		free(l->unix_path);
		l->unix_path = NULL;
		return MW_EIO;
	}
	struct stat sst;
	if (stat(ep->path, &sst) == 0)
		l->unix_inode = sst.st_ino;
	return MW_OK;
}

static void remove_unix_socket(mw_listener *l)
{
	struct stat st;
	if (!l->unix_path)
		return;
	if (lstat(l->unix_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_ino == l->unix_inode && unlink(l->unix_path) != 0)
		mw_warn("cannot remove the socket %s: %s", l->unix_path,
			strerror(errno));
	free(l->unix_path);
	l->unix_path = NULL;
}

/* -- accepting ------------------------------------------------------ */

/* Over the cap: accepted and closed at once, so that Postfix does not
 * wait for a timeout. The log says so at most once a second. */
static void refuse_one(mw_listener *l, listener_conn *c)
{
	l->stats.refused++;
	l->refused_unlogged++;
	uint64_t now = uv_now(l->loop);
	if (l->refusal_logged_ms == 0 || now - l->refusal_logged_ms >= 1000) {
		mw_warn("%s: %zu connections open, the most milter_max_"
			"connections allows: refused %llu connection%s",
			l->label, l->nconns,
			(unsigned long long)l->refused_unlogged,
			l->refused_unlogged == 1 ? "" : "s");
		l->refused_unlogged = 0;
		l->refusal_logged_ms = now;
	}
	listener_conn_close(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	mw_listener *l = server->data;
	if (status < 0) {
		mw_warn("%s: accept: %s", l->label, uv_strerror(status));
		return;
	}
	listener_conn *c = listener_conn_new(l);
	if (!c) {
		mw_warn("%s: out of memory for a new connection", l->label);
		return;
	}
	int rc = uv_accept(server, &c->h.stream);
	if (rc != 0) {
		mw_warn("%s: accept: %s", l->label, uv_strerror(rc));
		listener_conn_close(c);
		return;
	}
	if (l->stopping || l->nconns >= l->max_conns) {
		refuse_one(l, c);
		return;
	}
	listener_conn_start(l, c);
}

/* -- the interface -------------------------------------------------- */

mw_status mw_listener_open(uv_loop_t *loop, const mw_cfg_endpoint *ep,
			   const mw_session_env *env, mw_listener **out,
			   char *err, size_t errsz)
{
	*out = NULL;
	err[0] = '\0';
	mw_listener *l = calloc(1, sizeof *l);
	if (!l) {
		set_err(err, errsz, "milter socket: out of memory");
		return MW_ENOMEM;
	}
	l->loop = loop;
	l->env = env;
	if (listener_hold_init(l) != MW_OK) {
		set_err(err, errsz, "milter socket: cannot set up the loop");
		free(l);
		return MW_EIO;
	}
	l->max_conns = 1000;
	l->timeout_ms = 600 * 1000;
	l->is_unix = ep->kind == MW_CFG_ENDPOINT_UNIX;
	if (l->is_unix)
		snprintf(l->label, sizeof l->label, "unix:%s", ep->path);
	else if (ep->host && strchr(ep->host, ':'))
		snprintf(l->label, sizeof l->label, "inet:[%s]:%u", ep->host,
			 ep->port);
	else
		snprintf(l->label, sizeof l->label, "inet:%s:%u",
			 ep->host ? ep->host : "?", ep->port);

	mw_status st;
	if (ep->kind == MW_CFG_ENDPOINT_INET)
		st = bind_inet(l, ep, err, errsz);
	else if (ep->kind == MW_CFG_ENDPOINT_UNIX)
		st = bind_unix(l, ep, err, errsz);
	else {
		set_err(err, errsz, "milter_socket is not set");
		free(l);
		return MW_EINVAL;
	}
	if (st == MW_OK) {
		l->server.handle.data = l;
		int rc = uv_listen(&l->server.stream, LISTENER_BACKLOG,
				   on_connection);
		if (rc != 0) {
			set_err(err, errsz, "%s: cannot listen: %s", l->label,
				uv_strerror(rc));
			st = MW_EIO;
		}
	}
	uv_timer_init(loop, &l->grace);
	l->grace.data = l;
	*out = l;
	return st; /* on failure the caller stops and frees l */
}

mw_status mw_listener_chown(mw_listener *l, uid_t uid, gid_t gid, char *err,
			    size_t errsz)
{
	if (!l->unix_path)
		return MW_OK;
	if (chown(l->unix_path, uid, gid) != 0) {
		set_err(err, errsz, "%s: cannot give the socket to uid %u: %s",
			l->label, (unsigned)uid, strerror(errno));
		return MW_EIO;
	}
	return MW_OK;
}

void mw_listener_set_limits(mw_listener *l, size_t max_connections,
			    uint64_t timeout_seconds)
{
	l->max_conns = max_connections ? max_connections : 1;
	l->timeout_ms = timeout_seconds * 1000;
}

const char *mw_listener_label(const mw_listener *l)
{
	return l->label;
}

void mw_listener_stats_get(const mw_listener *l, mw_listener_stats *out)
{
	*out = l->stats;
	out->connections = l->nconns;
}

static void on_grace_closed(uv_handle_t *h)
{
	mw_listener *l = h->data;
	l->grace_closed = true;
	if (l->done)
		l->done(l->done_arg);
}

/* Done once the socket is closed and the last connection is gone. */
static void check_stopped(mw_listener *l)
{
	if (!l->stopping || !l->server_closed || l->nconns > 0)
		return;
	if (uv_is_closing((uv_handle_t *)&l->grace))
		return;
	listener_hold_close(l);
	uv_close((uv_handle_t *)&l->grace, on_grace_closed);
}

void listener_conn_gone(mw_listener *l)
{
	check_stopped(l);
}

static void on_server_closed(uv_handle_t *h)
{
	mw_listener *l = h->data;
	l->server_closed = true;
	check_stopped(l);
}

static void on_grace_over(uv_timer_t *t)
{
	mw_listener *l = t->data;
	if (l->nconns)
		mw_warn("%s: %zu connection%s still in a transaction after "
			"the grace time: closing (Postfix applies its "
			"milter_default_action)",
			l->label, l->nconns, l->nconns == 1 ? "" : "s");
	listener_conn *c = l->conns;
	while (c) {
		listener_conn *next = c->next;
		listener_conn_close(c);
		c = next;
	}
}

void mw_listener_stop(mw_listener *l, uint64_t grace_seconds,
		      void (*done)(void *arg), void *arg)
{
	if (l->stopping)
		return;
	l->stopping = true;
	l->done = done;
	l->done_arg = arg;
	remove_unix_socket(l);
	/* A handle that bind never initialised is still all zeros. */
	if (l->server.handle.type == UV_UNKNOWN_HANDLE)
		l->server_closed = true;
	else
		uv_close(&l->server.handle, on_server_closed);
	/* Connections between transactions go now, the others when their
	 * transaction ends (listener_conn.c), or when the grace is over. */
	size_t in_flight = 0;
	listener_conn *c = l->conns;
	while (c) {
		listener_conn *next = c->next;
		if (mw_session_in_transaction(&c->sess) || c->held)
			in_flight++;
		else
			listener_conn_finish(c);
		c = next;
	}
	if (in_flight)
		mw_info("%s: waiting up to %llu s for %zu transaction%s in "
			"flight",
			l->label, (unsigned long long)grace_seconds, in_flight,
			in_flight == 1 ? "" : "s");
	uv_timer_start(&l->grace, on_grace_over, grace_seconds * 1000, 0);
	check_stopped(l);
}

void mw_listener_free(mw_listener *l)
{
	if (!l)
		return;
	MW_ASSERT(l->nconns == 0);
	free(l->unix_path);
	free(l);
}
