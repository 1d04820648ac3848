/*
 * server.c - the route table over libmicrohttpd: dispatch, bounded bodies.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the headers are in (upload_data_size 0, *req_cls NULL), once per
 * piece of body, and once more with upload_data_size 0 when the body is
 * complete. The first call picks the route and refuses early (404, 405,
 * 413 by Content-Length); the middle ones fill the connection's body
 * buffer up to the route's cap; the last one calls the handler.
 *
 * State lives per connection (MHD_OPTION_NOTIFY_CONNECTION), not per
 * request: a keep-alive connection from Dovecot carries thousands of
 * requests, one at a time, and reuses the same buffers for all of them.
 */
#include "http/server.h"
#include "http/server_int.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

struct mw_http_server {
	struct MHD_Daemon *daemon;
	unsigned port;
	size_t n_routes;
	mw_http_route routes[MW_HTTP_ROUTES_MAX];
};

/* One connection's reusable state; one request at a time. */
typedef struct http_conn {
	const mw_http_route *route; /* the request's, once chosen */
	mw_buf body;
	bool overflow; /* the body went over the route's cap */
	size_t discarded;
	mw_http_response resp;
} http_conn;

/* -- connections ------------------------------------------------------ */

static http_conn *conn_new(void)
{
	http_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	mw_buf_init(&c->body, 0);
	mw_http_response_init(&c->resp);
	return c;
}

static void conn_free(http_conn *c)
{
	if (!c)
		return;
	mw_buf_free(&c->body);
	mw_http_response_free(&c->resp);
	free(c);
}

/* A buffer that grew for one large request is released rather than kept
 * for the connection's life. */
static void buf_trim(mw_buf *b)
{
	if (b->alloc > MW_HTTP_BUFFER_KEEP) {
		size_t max = b->max;
		mw_buf_free(b);
		mw_buf_init(b, max);
	} else {
		mw_buf_reset(b);
	}
}

static void conn_begin_request(http_conn *c, const mw_http_route *route)
{
	c->route = route;
	c->overflow = false;
	c->discarded = 0;
	buf_trim(&c->body);
	c->body.max = route ? route->body_max : 0;
	buf_trim(&c->resp.body);
	mw_http_response_reset(&c->resp);
}

static void on_connection(void *cls, struct MHD_Connection *connection,
			  void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)connection;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_ctx = conn_new();
	} else {
		conn_free(*socket_ctx);
		*socket_ctx = NULL;
	}
}

static http_conn *conn_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	    connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* -- request accessors ------------------------------------------------ */

const char *mw_http_request_query(const mw_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->impl, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *mw_http_request_header(const mw_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->impl, MHD_HEADER_KIND, name);
}

void mw_http_request_peer_text(const mw_http_request *req,
			       char out[MW_IP_TEXT_MAX])
{
	if (req->peer.family == 0)
		snprintf(out, MW_IP_TEXT_MAX, "unknown");
	else
		mw_ip_format(&req->peer, out);
}

static void peer_of(struct MHD_Connection *connection, mw_ip *out)
{
	memset(out, 0, sizeof *out);
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	    connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in =
		    (const struct sockaddr_in *)ci->client_addr;
		out->family = 4;
		memcpy(out->addr, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)ci->client_addr;
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
						   0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(&in6->sin6_addr, mapped, 12) == 0) {
			out->family = 4;
			memcpy(out->addr, (const uint8_t *)&in6->sin6_addr + 12,
			       4);
		} else {
			out->family = 6;
			memcpy(out->addr, &in6->sin6_addr, 16);
		}
	}
}

/* -- answers ---------------------------------------------------------- */

static enum MHD_Result send_response(struct MHD_Connection *connection,
				     const mw_http_response *resp)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    resp->body.len, resp->body.data ? resp->body.data : (void *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	enum MHD_Result ok = MHD_add_response_header(
	    r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    resp->content_type ? resp->content_type : "application/json");
	const char *p = resp->headers.data;
	for (unsigned i = 0; ok == MHD_YES && p && i < resp->n_headers; i++) {
		const char *name = p;
		const char *value = name + strlen(name) + 1;
		ok = MHD_add_response_header(r, name, value);
		p = value + strlen(value) + 1;
	}
	if (ok == MHD_YES)
		ok = MHD_queue_response(connection, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* 413 unless the route's protocol says otherwise. */
static int too_large_status(const mw_http_route *route)
{
	return route && route->too_large_status ? (int)route->too_large_status
						: MHD_HTTP_CONTENT_TOO_LARGE;
}

static enum MHD_Result send_error(struct MHD_Connection *connection,
				  http_conn *c, int status, const char *reason)
{
	mw_http_response_error(&c->resp, status, reason);
	return send_response(connection, &c->resp);
}

/* The methods the routes of this path take, for 405's Allow header. */
static void allow_list(const mw_http_server *srv, const char *path, mw_buf *out)
{
	for (size_t i = 0; i < srv->n_routes; i++) {
		if (strcmp(srv->routes[i].path, path) != 0)
			continue;
		if (out->len)
			(void)mw_buf_puts(out, ", ");
		(void)mw_buf_puts(out, srv->routes[i].method);
		if (strcmp(srv->routes[i].method, "GET") == 0)
			(void)mw_buf_puts(out, ", HEAD");
	}
}

static enum MHD_Result send_405(const mw_http_server *srv,
				struct MHD_Connection *connection, http_conn *c,
				const char *path)
{
	char text[256];
	mw_buf allow;
	mw_buf_init(&allow, sizeof text - 1);
	allow_list(srv, path, &allow);
	snprintf(text, sizeof text, "%s", mw_buf_cstr(&allow));
	mw_buf_free(&allow);
	mw_http_response_error(&c->resp, MHD_HTTP_METHOD_NOT_ALLOWED,
			       "method not allowed");
	(void)mw_http_response_add_header(&c->resp, MHD_HTTP_HEADER_ALLOW,
					  text);
	return send_response(connection, &c->resp);
}

/* -- dispatch --------------------------------------------------------- */

/* The route for method and path; *path_known says whether any route has
 * the path, to tell 405 from 404. */
static const mw_http_route *route_find(const mw_http_server *srv,
				       const char *method, const char *path,
				       bool *path_known)
{
	bool head = strcmp(method, "HEAD") == 0;
	*path_known = false;
	for (size_t i = 0; i < srv->n_routes; i++) {
		const mw_http_route *r = &srv->routes[i];
		if (strcmp(r->path, path) != 0)
			continue;
		*path_known = true;
		if (strcmp(r->method, method) == 0 ||
		    (head && strcmp(r->method, "GET") == 0))
			return r;
	}
	return NULL;
}

/* Content-Length over the cap: refuse before reading a byte of it. */
static bool declared_too_big(struct MHD_Connection *connection, size_t max)
{
	const char *cl = MHD_lookup_connection_value(
	    connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return false;
	unsigned long long n = 0;
	for (const char *p = cl; *p; p++) {
		if (*p < '0' || *p > '9')
			return false; /* libmicrohttpd refuses it itself */
		if (n > (unsigned long long)max)
			return true;
		n = n * 10 + (unsigned)(*p - '0');
	}
	return n > (unsigned long long)max;
}

/* A body over the route's cap: answered and logged (rate-limited). */
static enum MHD_Result refuse_too_large(struct MHD_Connection *connection,
					http_conn *c,
					const mw_http_route *route,
					const char *method, const char *url)
{
	mw_ip peer;
	char text[MW_IP_TEXT_MAX] = "?";
	peer_of(connection, &peer);
	if (peer.family)
		mw_ip_format(&peer, text);
	char what[64];
	snprintf(what, sizeof what, "%s %.40s", method, url);
	mw_http_log_refusal(what, text, too_large_status(route),
			    "request body too large");
	return send_error(connection, c, too_large_status(route),
			  "request body too large");
}

static enum MHD_Result on_first_call(mw_http_server *srv,
				     struct MHD_Connection *connection,
				     http_conn *c, const char *url,
				     const char *method)
{
	bool path_known;
	const mw_http_route *route = route_find(srv, method, url, &path_known);
	conn_begin_request(c, route);
	if (!route && !path_known)
		return send_error(connection, c, MHD_HTTP_NOT_FOUND,
				  "not found");
	if (!route)
		return send_405(srv, connection, c, url);
	if (declared_too_big(connection, route->body_max))
		return refuse_too_large(connection, c, route, method, url);
	return MHD_YES;
}

/* A piece of body: kept while it fits, counted and dropped after. */
static enum MHD_Result on_body(http_conn *c, const char *data, size_t *size)
{
	size_t n = *size;
	*size = 0;
	if (!c->overflow && mw_buf_append(&c->body, data, n) == MW_OK)
		return MHD_YES;
	if (!c->overflow) {
		c->overflow = true;
		c->discarded = c->body.len;
		buf_trim(&c->body);
	}
	c->discarded += n;
	if (c->discarded > MW_HTTP_DISCARD_MAX)
		return MHD_NO; /* close: not worth reading further */
	return MHD_YES;
}

static enum MHD_Result on_complete(struct MHD_Connection *connection,
				   http_conn *c, const char *url,
				   const char *method)
{
	if (c->overflow)
		return refuse_too_large(connection, c, c->route, method, url);
	mw_http_request req = {
	    .method = method,
	    .path = url,
	    .body = mw_buf_cstr(&c->body),
	    .body_len = c->body.len,
	    .impl = connection,
	};
	peer_of(connection, &req.peer);
	c->route->handler(c->route->arg, &req, &c->resp);
	if (mw_http_response_failed(&c->resp)) {
		mw_warn("http: %s %s: the response went over its cap", method,
			url);
		return send_error(connection, c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "response too large");
	}
	return send_response(connection, &c->resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	(void)version;
	http_conn *c = conn_of(connection);
	if (!c)
		return MHD_NO; /* no memory when it opened: close it */
	if (*req_cls == NULL) {
		*req_cls = c;
		return on_first_call(cls, connection, c, url, method);
	}
	if (*upload_data_size > 0)
		return on_body(c, upload_data, upload_data_size);
	return on_complete(connection, c, url, method);
}

/* -- start and stop --------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char text[512];
	vsnprintf(text, sizeof text, fmt, ap);
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		text[--n] = '\0';
	mw_warn("http: %s", text);
}

static unsigned threads_wanted(unsigned asked)
{
	if (asked == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		asked = cpus > 0 ? (unsigned)cpus : 1;
	}
	return asked > MW_HTTP_THREADS_MAX ? MW_HTTP_THREADS_MAX : asked;
}

/* The listening address, resolved once. */
static mw_status resolve(const char *host, unsigned port,
			 struct sockaddr_storage *ss)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE};
	struct addrinfo *ai = NULL;
	char svc[8];
	snprintf(svc, sizeof svc, "%u", port);
	int rc = getaddrinfo(host && *host ? host : NULL, svc, &hints, &ai);
	if (rc != 0 || !ai) {
		mw_warn("http: cannot resolve listen host '%s': %s",
			host ? host : "", gai_strerror(rc));
		return MW_EINVAL;
	}
	memset(ss, 0, sizeof *ss);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return MW_OK;
}

static mw_status check_config(const mw_http_config *cfg)
{
	if (cfg->n_routes == 0 || cfg->n_routes > MW_HTTP_ROUTES_MAX ||
	    !cfg->routes || cfg->port > 65535)
		return MW_EINVAL;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const mw_http_route *r = &cfg->routes[i];
		if (!r->method || !r->path || !r->handler || r->path[0] != '/')
			return MW_EINVAL;
	}
	return MW_OK;
}

static struct MHD_Daemon *daemon_start(mw_http_server *srv,
				       const mw_http_config *cfg,
				       const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	unsigned threads = threads_wanted(cfg->threads);
	unsigned conns = cfg->connections_max ? cfg->connections_max
					      : MW_HTTP_CONNECTIONS_DEFAULT;
	unsigned timeout =
	    cfg->timeout_s ? cfg->timeout_s : MW_HTTP_TIMEOUT_DEFAULT;
	/* TLS will add MHD_USE_TLS and its key and certificate here. */
	/* the logger first, or libmicrohttpd prints to stderr until then */
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
	    {MHD_OPTION_SOCK_ADDR, 0, (void *)(uintptr_t)ss},
	    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)conns, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)timeout, NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	     (intptr_t)MW_HTTP_CONNECTION_MEMORY, NULL},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
	    {MHD_OPTION_LISTEN_BACKLOG_SIZE, 512, NULL},
	    {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
	     (intptr_t)threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

mw_status mw_http_server_start(const mw_http_config *cfg, mw_http_server **out)
{
	*out = NULL;
	mw_status st = check_config(cfg);
	if (st)
		return st;
	struct sockaddr_storage ss;
	st = resolve(cfg->host, cfg->port, &ss);
	if (st)
		return st;
	mw_http_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return MW_ENOMEM;
	memcpy(srv->routes, cfg->routes, cfg->n_routes * sizeof *cfg->routes);
	srv->n_routes = cfg->n_routes;
	srv->daemon = daemon_start(srv, cfg, &ss);
	if (!srv->daemon) {
		mw_warn("http: cannot listen on %s port %u",
			cfg->host ? cfg->host : "*", cfg->port);
		free(srv);
		return MW_EIO;
	}
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : cfg->port;
	*out = srv;
	return MW_OK;
}

unsigned mw_http_server_port(const mw_http_server *srv)
{
	return srv->port;
}

void mw_http_server_stop(mw_http_server *srv)
{
	if (!srv)
		return;
	/* Joins the pool's threads: handlers in flight return first. */
	MHD_stop_daemon(srv->daemon);
	free(srv);
}
