/*
 * http_test_client.h - a tiny blocking HTTP/1.1 client for the HTTP tests:
 * raw requests on a socket, one response read back by Content-Length.
 * Static functions only: each test program includes it once.
 */
#ifndef MW_TESTS_HTTP_TEST_CLIENT_H
#define MW_TESTS_HTTP_TEST_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define TC_BUF_MAX (256 * 1024)

typedef struct tc_reply {
	int status; /* 0: no answer (connection closed or timed out) */
	char head[8192];
	char body[TC_BUF_MAX];
	size_t body_len;
	/* bytes read past this response (a pipelined next one) */
	char rest[8192];
	size_t rest_len;
} tc_reply;

/* A connection to host (an address literal) and port; -1 on failure. */
static int tc_connect_host(const char *host, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof ss);
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -1;
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		sl = sizeof *a;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = 5};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tc_connect(unsigned port)
{
	return tc_connect_host("127.0.0.1", port);
}

static int tc_send(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A POST (or any method) with a body and extra header lines (each ending
 * in \r\n), keep-alive. */
static int tc_send_request(int fd, const char *method, const char *target,
			   const char *extra_headers, const char *body,
			   size_t body_len)
{
	char head[4096];
	int n = snprintf(head, sizeof head,
			 "%s %s HTTP/1.1\r\nHost: localhost\r\n"
			 "User-Agent: dovecot/auth-policy-client\r\n"
			 "%sContent-Length: %zu\r\n\r\n",
			 method, target, extra_headers ? extra_headers : "",
			 body_len);
	if (n < 0 || (size_t)n >= sizeof head)
		return -1;
	if (tc_send(fd, head, (size_t)n))
		return -1;
	return body_len ? tc_send(fd, body, body_len) : 0;
}

static const char *tc_header_in(const char *head, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			return p;
		}
	}
	return NULL;
}

/* A header's value copied into out ("" when absent). */
static const char *tc_header(const tc_reply *r, const char *name, char *out,
			     size_t size)
{
	out[0] = '\0';
	const char *v = tc_header_in(r->head, name);
	if (!v)
		return out;
	size_t n = strcspn(v, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return out;
}

/* Read one response (status line, headers, Content-Length body). A
 * response to HEAD has no body whatever its Content-Length says. */
static int tc_read_reply(int fd, tc_reply *r, int head_only)
{
	static __thread char raw[TC_BUF_MAX + 16384];
	size_t len = 0;
	r->status = 0;
	r->head[0] = '\0';
	r->body[0] = '\0';
	r->body_len = 0;
	if (r->rest_len) {
		memcpy(raw, r->rest, r->rest_len);
		len = r->rest_len;
		r->rest_len = 0;
	}
	char *end = NULL;
	for (;;) {
		raw[len] = '\0';
		end = strstr(raw, "\r\n\r\n");
		if (end)
			break;
		if (len >= sizeof raw - 1)
			return -1;
		ssize_t n = recv(fd, raw + len, sizeof raw - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	size_t head_len = (size_t)(end - raw) + 4;
	if (head_len >= sizeof r->head)
		return -1;
	memcpy(r->head, raw, head_len);
	r->head[head_len] = '\0';
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		return -1;
	const char *cl = tc_header_in(r->head, "Content-Length");
	size_t want = cl && !head_only ? strtoul(cl, NULL, 10) : 0;
	if (want > TC_BUF_MAX - 1)
		return -1;
	while (len - head_len < want) {
		ssize_t n = recv(fd, raw + len, sizeof raw - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	memcpy(r->body, raw + head_len, want);
	r->body[want] = '\0';
	r->body_len = want;
	size_t rest = len - head_len - want;
	if (rest > sizeof r->rest)
		rest = sizeof r->rest;
	memcpy(r->rest, raw + head_len + want, rest);
	r->rest_len = rest;
	return r->status;
}

/* One request on a new connection; the status, or 0 for no answer. */
static int tc_roundtrip(unsigned port, const char *method, const char *target,
			const char *extra_headers, const char *body,
			tc_reply *r)
{
	memset(r, 0, sizeof *r);
	int fd = tc_connect(port);
	if (fd < 0)
		return 0;
	int st = 0;
	if (tc_send_request(fd, method, target, extra_headers, body,
			    body ? strlen(body) : 0) == 0)
		st = tc_read_reply(fd, r, strcmp(method, "HEAD") == 0);
	close(fd);
	return st < 0 ? 0 : st;
}

#endif
