/*
 * server.h - a small HTTP server over libmicrohttpd, driven by a route table.
 *
 * Contract: mw_http_server_start() binds host:port (an IPv4 or IPv6
 * literal, or a name resolved once at start; port 0 takes an ephemeral
 * port, read back with mw_http_server_port()) and serves the routes it is
 * given from a pool of threads (libmicrohttpd's internal threads over
 * epoll). A route is one table row: a method, an exact path and a handler
 * with its argument, and the largest body the route takes. Adding an
 * endpoint is adding a row; nothing else changes.
 *
 * What a handler sees is bounded: the request line and headers fit in
 * MW_HTTP_CONNECTION_MEMORY (libmicrohttpd answers 431 otherwise), and the
 * body fits the route's cap. The server answers, without calling any
 * handler:
 *   404 for a path no route has;
 *   405 with an Allow header for a path whose routes want another method
 *       (HEAD is served by a GET route, libmicrohttpd drops the body);
 *   413 for a body over the route's cap: at once when Content-Length says
 *       so (the body is never read, the connection is closed after the
 *       answer), or at the end of a chunked body, which is counted and
 *       thrown away, never kept (past MW_HTTP_DISCARD_MAX the connection
 *       is closed without an answer).
 * Those answers are JSON {"error": "..."}.
 *
 * Handlers run on the server's threads, several at once, each request on
 * one thread from its first to its last call; they must be thread-safe
 * and must not block for long (Dovecot gives up after 2 s). A handler
 * fills the response it is given: status (200 preset), content type
 * (application/json preset, a static string), body (a capped mw_buf) and
 * extra headers. If writing the body ran into its cap (resp->failed), the
 * server answers 500 instead of a cut document.
 *
 * mw_http_server_stop() stops accepting, waits for the handlers in flight
 * to return, closes every connection and frees the server.
 *
 * TLS is a later issue: it will be two more fields in mw_http_config
 * (certificate and key files) that turn on libmicrohttpd's GnuTLS mode in
 * the one place where server.c builds its options; handlers do not change.
 */
#ifndef MW_HTTP_SERVER_H
#define MW_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/net.h"
#include "lib/status.h"

/* What a handler reads. The strings stay valid until the handler
 * returns. body is NUL-terminated (the NUL not counted in body_len) so
 * that text bodies can be parsed in place, but may hold NUL bytes. */
typedef struct mw_http_request {
	const char *method; /* "GET", "POST", ... as sent */
	const char *path;   /* the URL's path, decoded, without the query */
	const char *body;   /* "" when there is none */
	size_t body_len;
	mw_ip peer; /* the client's address; family 0 if unknown */
	void *impl; /* the server's own; use the functions below */
} mw_http_request;

/* A query argument by name (the first if repeated), decoded; NULL when
 * absent. "?a" gives "" for a. */
const char *mw_http_request_query(const mw_http_request *req, const char *name);
/* A request header by name, case-insensitively; NULL when absent. */
const char *mw_http_request_header(const mw_http_request *req,
				   const char *name);
/* The client's address as text into out; "unknown" when there is none. */
void mw_http_request_peer_text(const mw_http_request *req,
			       char out[MW_IP_TEXT_MAX]);

/* What a handler fills. Initialised by the server before each call. */
typedef struct mw_http_response {
	int status;		  /* 200 preset */
	const char *content_type; /* static; "application/json" preset */
	mw_buf body;		  /* capped at MW_HTTP_RESPONSE_MAX */
	mw_buf headers;		  /* extra headers; use _add_header() */
	unsigned n_headers;
	/* a handler whose write to body failed sets this (or uses
	 * mw_http_response_append(), which does): the server then answers
	 * 500, never a cut document */
	bool failed;
} mw_http_response;

/* Append to the body; a failure sets resp->failed. */
mw_status mw_http_response_append(mw_http_response *resp, const void *p,
				  size_t n);

/* Add a header (name and value without CR or LF). MW_ETOOBIG past
 * MW_HTTP_RESPONSE_HEADERS_MAX or MW_HTTP_RESPONSE_HEADER_BYTES, and
 * MW_EINVAL for a line break in either (header injection). */
mw_status mw_http_response_add_header(mw_http_response *resp, const char *name,
				      const char *value);
/* Answer status with the JSON body {"error": reason}, replacing any
 * body written so far. */
void mw_http_response_error(mw_http_response *resp, int status,
			    const char *reason);
/* Append s to buf as a JSON string, quotes included, escaping what JSON
 * needs escaped (control characters as \u00XX). */
mw_status mw_http_json_string(mw_buf *buf, const char *s);

/* Log a refused request (what: "auth-policy", "POST /auth-policy"; peer
 * as text): at most MW_HTTP_REFUSALS_LOGGED lines a minute, then one line
 * saying that more are not logged, so that a hostile client cannot fill
 * the log through the HTTP port. Thread-safe. */
void mw_http_log_refusal(const char *what, const char *peer, int status,
			 const char *reason);

typedef void (*mw_http_handler_fn)(void *arg, const mw_http_request *req,
				   mw_http_response *resp);

typedef struct mw_http_route {
	const char *method; /* exact: "GET", "POST" */
	const char *path;   /* exact, e.g. "/auth-policy" */
	mw_http_handler_fn handler;
	void *arg;
	/* largest body taken; 0 for none (GET) */
	size_t body_max;
	/* the status of a body over body_max; 0: 413 (a protocol may ask
	 * for another: Dovecot's auth-policy expects 400 for any refusal) */
	unsigned too_large_status;
} mw_http_route;

typedef struct mw_http_config {
	const char *host; /* address literal (IPv6 without brackets) or name */
	unsigned port;	  /* 0: an ephemeral port */
	unsigned threads; /* 0: the number of CPUs; capped at
			     MW_HTTP_THREADS_MAX */
	unsigned connections_max; /* 0: MW_HTTP_CONNECTIONS_DEFAULT */
	unsigned timeout_s;	  /* idle/slow connection; 0: default */
	/* copied at start; the strings and args must outlive the server */
	const mw_http_route *routes;
	size_t n_routes;
} mw_http_config;

typedef struct mw_http_server mw_http_server;

/* Start serving. MW_EINVAL for a bad configuration (no routes, too many,
 * a host that does not resolve), MW_EIO when the socket cannot be bound
 * (logged with mw_warn and the reason), MW_ENOMEM. */
mw_status mw_http_server_start(const mw_http_config *cfg, mw_http_server **out);
/* The port bound (the ephemeral one when 0 was asked). */
unsigned mw_http_server_port(const mw_http_server *srv);
/* Stop, wait for handlers in flight, free. NULL is a no-op. */
void mw_http_server_stop(mw_http_server *srv);

#endif
