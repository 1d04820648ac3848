/*
 * smtp_client.c - a small blocking SMTP client with deadlines.
 *
 * One connection, one message, no pipelining: the server's reply to each
 * command is read before the next is written, so the dialogue is easy to
 * follow in a log and any server, however old, understands it.
 */
#include "shield/smtp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/str.h"

typedef struct conn {
	int fd;
	unsigned timeout_ms;
	char in[MW_SMTP_REPLY_MAX];
	size_t have; /* bytes in `in` not yet taken */
	mw_smtp_result *res;
} conn;

static void fail(conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res->text, sizeof c->res->text, fmt, ap);
	va_end(ap);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until deadline; 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* -- connecting ------------------------------------------------------- */

static int connect_one(const struct addrinfo *ai, long long deadline)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	int r = wait_fd(fd, POLLOUT, deadline);
	int err = 0;
	socklen_t len = sizeof err;
	if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err == 0)
		return fd;
	close(fd);
	errno = r == 0 ? ETIMEDOUT : (err ? err : EIO);
	return -1;
}

static bool open_conn(conn *c, const mw_smtp_request *rq)
{
	char port[8];
	snprintf(port, sizeof port, "%u", rq->port);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(rq->host, port, &hints, &list);
	if (gai != 0) {
		fail(c, "resolve %.100s: %s", rq->host, gai_strerror(gai));
		return false;
	}
	long long deadline = now_ms() + c->timeout_ms;
	int e = 0;
	for (struct addrinfo *ai = list; ai && c->fd < 0; ai = ai->ai_next) {
		c->fd = connect_one(ai, deadline);
		if (c->fd < 0)
			e = errno;
	}
	freeaddrinfo(list);
	if (c->fd < 0)
		fail(c, "connect %.100s:%u: %s", rq->host, rq->port,
		     strerror(e ? e : EIO));
	return c->fd >= 0;
}

/* -- replies ---------------------------------------------------------- */

/* One reply line "DDD-text" or "DDD text" (or a bare "DDD"). */
static bool parse_line(const char *p, size_t n, int *code, bool *last)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9')
		return false;
	*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (n == 3) {
		*last = true;
		return true;
	}
	if (p[3] != ' ' && p[3] != '-')
		return false;
	*last = p[3] == ' ';
	return true;
}

/* Read one reply. Its lines are kept in text (without CRLF, joined by
 * '\n') when text is not NULL. Returns the code, or -1 after fail(). */
static int read_reply(conn *c, const char *step, mw_buf *text)
{
	long long deadline = now_ms() + c->timeout_ms;
	size_t used = 0; /* bytes of this reply taken so far */
	int code = -1;
	if (text)
		mw_buf_reset(text);
	for (;;) {
		char *nl = memchr(c->in, '\n', c->have);
		if (nl) {
			size_t n = (size_t)(nl - c->in);
			size_t take = n + 1;
			if (n && c->in[n - 1] == '\r')
				n--;
			int lc;
			bool last;
			if (!parse_line(c->in, n, &lc, &last) ||
			    (code >= 0 && lc != code)) {
				fail(c, "%s: malformed reply", step);
				return -1;
			}
			code = lc;
			if (text) {
				if (text->len)
					(void)mw_buf_putc(text, '\n');
				(void)mw_buf_append_some(text, c->in, n);
			}
			used += take;
			memmove(c->in, c->in + take, c->have - take);
			c->have -= take;
			if (last) {
				c->res->code = code;
				return code;
			}
			continue;
		}
		if (used + c->have >= sizeof c->in) {
			fail(c, "%s: reply longer than %zu bytes", step,
			     sizeof c->in);
			return -1;
		}
		int r = wait_fd(c->fd, POLLIN, deadline);
		if (r <= 0) {
			fail(c, "%s: %s", step,
			     r == 0 ? "timed out waiting for the reply"
				    : strerror(errno));
			return -1;
		}
		ssize_t got =
		    recv(c->fd, c->in + c->have, sizeof c->in - c->have, 0);
		if (got == 0) {
			fail(c, "%s: connection closed by the server", step);
			return -1;
		}
		if (got < 0 && errno != EINTR && errno != EAGAIN) {
			fail(c, "%s: %s", step, strerror(errno));
			return -1;
		}
		if (got > 0)
			c->have += (size_t)got;
	}
}

/* -- writing ---------------------------------------------------------- */

static bool write_all(conn *c, const char *step, const char *p, size_t n)
{
	long long deadline = now_ms() + c->timeout_ms;
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			fail(c, "%s: %s", step, strerror(errno));
			return false;
		}
		int r = wait_fd(c->fd, POLLOUT, deadline);
		if (r <= 0) {
			fail(c, "%s: %s", step,
			     r == 0 ? "timed out writing" : strerror(errno));
			return false;
		}
	}
	return true;
}

/* Send a command and read its reply; the reply's code or -1. */
static int command(conn *c, const char *step, const char *line, mw_buf *text)
{
	char buf[MW_ADDRESS_MAX * 2 + 64];
	int n = snprintf(buf, sizeof buf, "%s\r\n", line);
	if (n < 0 || (size_t)n >= sizeof buf) {
		fail(c, "%s: command too long", step);
		return -1;
	}
	if (!write_all(c, step, buf, (size_t)n))
		return -1;
	return read_reply(c, step, text);
}

/* The message with CRLF line ends and dot-stuffing, then "." alone. */
static mw_status data_block(const char *msg, size_t len, mw_buf *out)
{
	mw_status rc = MW_OK;
	bool bol = true;
	for (size_t i = 0; i < len && rc == MW_OK; i++) {
		char ch = msg[i];
		if (bol && ch == '.')
			rc = mw_buf_putc(out, '.');
		if (ch == '\r' || ch == '\n') {
			if (ch == '\r' && i + 1 < len && msg[i + 1] == '\n')
				i++;
			if (rc == MW_OK)
				rc = mw_buf_append(out, "\r\n", 2);
			bol = true;
			continue;
		}
		if (rc == MW_OK)
			rc = mw_buf_putc(out, ch);
		bol = false;
	}
	if (rc == MW_OK && !bol)
		rc = mw_buf_append(out, "\r\n", 2);
	if (rc == MW_OK)
		rc = mw_buf_append(out, ".\r\n", 3);
	return rc;
}

/* -- the dialogue ----------------------------------------------------- */

static bool clean_addr(const char *s)
{
	if (!s || strlen(s) > MW_ADDRESS_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' ||
		    (unsigned char)*s == 0x7f)
			return false;
	return true;
}

static bool has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] >= 0x80)
			return true;
	return false;
}

/* A reply's outcome: 2xx (or 3xx where expected) goes on. */
static mw_status step_status(conn *c, int code, int want, const char *step,
			     const mw_buf *text)
{
	if (code < 0)
		return MW_EIO;
	if (code / 100 == want / 100)
		return MW_OK;
	fail(c, "%s: %.200s", step, mw_buf_cstr(text));
	return code >= 500 ? MW_EINVAL : MW_EIO;
}

static bool offers(const mw_buf *ehlo, const char *ext)
{
	mw_str s = mw_str_make(ehlo->data ? ehlo->data : "", ehlo->len);
	size_t pos = 0;
	mw_str line;
	while (mw_line_next(s, &pos, &line)) {
		if (line.n < 4)
			continue;
		mw_str kw = mw_str_make(line.p + 4, line.n - 4);
		size_t k = 0;
		while (k < kw.n && kw.p[k] != ' ')
			k++;
		if (mw_str_ieq_cstr(mw_str_make(kw.p, k), ext))
			return true;
	}
	return false;
}

static mw_status greet(conn *c, const mw_smtp_request *rq, mw_buf *text,
		       bool *eightbit)
{
	mw_status rc = step_status(c, read_reply(c, "greeting", text), 220,
				   "greeting", text);
	if (rc)
		return rc;
	char line[300];
	snprintf(line, sizeof line, "EHLO %.255s", rq->helo);
	int code = command(c, "EHLO", line, text);
	if (code >= 500) {
		snprintf(line, sizeof line, "HELO %.255s", rq->helo);
		code = command(c, "HELO", line, text);
		return step_status(c, code, 250, "HELO", text);
	}
	rc = step_status(c, code, 250, "EHLO", text);
	*eightbit = rc == MW_OK && offers(text, "8BITMIME");
	return rc;
}

static mw_status envelope(conn *c, const mw_smtp_request *rq, bool eightbit,
			  mw_buf *text)
{
	char line[MW_ADDRESS_MAX + 64];
	snprintf(line, sizeof line, "MAIL FROM:<%s>%s", rq->mail_from,
		 eightbit && has_8bit(rq->msg, rq->len) ? " BODY=8BITMIME"
							: "");
	mw_status rc = step_status(c, command(c, "MAIL FROM", line, text), 250,
				   "MAIL FROM", text);
	if (rc)
		return rc;
	snprintf(line, sizeof line, "RCPT TO:<%s>", rq->rcpt);
	return step_status(c, command(c, "RCPT TO", line, text), 250, "RCPT TO",
			   text);
}

static mw_status data(conn *c, const mw_smtp_request *rq, mw_buf *text)
{
	mw_status rc =
	    step_status(c, command(c, "DATA", "DATA", text), 354, "DATA", text);
	if (rc)
		return rc;
	mw_buf body;
	mw_buf_init(&body, 2 * rq->len + 8);
	if (data_block(rq->msg, rq->len, &body) != MW_OK) {
		mw_buf_free(&body);
		fail(c, "DATA: no memory for the message");
		return MW_EIO;
	}
	bool sent = write_all(c, "DATA", body.data, body.len);
	mw_buf_free(&body);
	if (!sent)
		return MW_EIO;
	return step_status(c, read_reply(c, "end of data", text), 250,
			   "end of data", text);
}

mw_status mw_smtp_send(const mw_smtp_request *rq, mw_smtp_result *res)
{
	res->code = 0;
	res->text[0] = '\0';
	conn *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(res->text, sizeof res->text, "no memory");
		return MW_EIO;
	}
	c->fd = -1;
	c->res = res;
	c->timeout_ms = rq->timeout_ms ? rq->timeout_ms : MW_SMTP_TIMEOUT_MS;
	mw_status rc = MW_EINVAL;
	if (!rq->host || !rq->host[0] || !rq->port || rq->port > 65535 ||
	    !clean_addr(rq->mail_from) || !clean_addr(rq->rcpt) ||
	    !rq->rcpt[0] || !rq->msg || !rq->helo || !rq->helo[0]) {
		fail(c, "unusable request");
		free(c);
		return MW_EINVAL;
	}
	mw_buf text;
	mw_buf_init(&text, MW_SMTP_REPLY_MAX);
	bool eightbit = false;
	if (!open_conn(c, rq))
		rc = MW_EIO;
	else if ((rc = greet(c, rq, &text, &eightbit)) == MW_OK &&
		 (rc = envelope(c, rq, eightbit, &text)) == MW_OK &&
		 (rc = data(c, rq, &text)) == MW_OK)
		res->text[0] = '\0';
	if (c->fd >= 0) {
		if (rc == MW_OK || res->code) {
			/* Polite, and quick: the outcome is already known. */
			c->timeout_ms =
			    c->timeout_ms < 2000 ? c->timeout_ms : 2000;
			mw_smtp_result keep = *res;
			(void)command(c, "QUIT", "QUIT", NULL);
			*res = keep;
		}
		close(c->fd);
	}
	mw_buf_free(&text);
	free(c);
	return rc;
}
