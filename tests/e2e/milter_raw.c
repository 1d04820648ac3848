/*
 * milter_raw.c - a tiny MTA-side milter client for the edges miltertest
 * cannot reach: frames written byte by byte, including the broken ones.
 * Standalone (libc only), built by tests/e2e/milter_e2e.sh.
 *
 * Usage: milter_raw HOST PORT SCENARIO [ARGS]   (PORT "unix" and HOST a
 * socket path for a unix socket)
 *
 *   oversized     a body frame announcing 2 MiB: the daemon closes.
 *   zero-length   a frame of length 0: the daemon closes.
 *   unknown       a frame with command 'Z': skipped, no answer, and the
 *                 next MAIL is answered.
 *   midclose      a transaction cut after a header: the socket closes.
 *   nomacros      a whole message without a single macro, CONNECT of an
 *                 unknown family: every step answered.
 *   flood N       N MAIL frames written without reading the answers at
 *                 first (the daemon must stop reading, not grow), then
 *                 every answer read: exactly N CONTINUEs.
 *   idle N SECS   N connections negotiated and left idle for SECS
 *                 seconds (prints "idle: N open" when all are up).
 *   closed-by-peer SECS  a negotiated connection left idle; succeeds if
 *                 the daemon closes it within SECS seconds.
 *   refused       succeeds if the daemon closes a new connection at once
 *                 without answering OPTNEG (over milter_max_connections).
 *
 * Exit 0 when the daemon behaved as the scenario says, 1 otherwise, 2 on
 * bad usage; one line on stdout says what was seen.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *host, *port;

/* A small receive buffer makes the daemon's replies back up soon. */
static int small_rcvbuf;

static int dial(void)
{
	int fd;
	if (strcmp(port, "unix") == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		snprintf(sun.sun_path, sizeof sun.sun_path, "%s", host);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun))
			return -1;
		return fd;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && small_rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small_rcvbuf,
			   sizeof small_rcvbuf);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int frame(int fd, char code, const void *payload, size_t n)
{
	unsigned char h[5];
	uint32_t len = (uint32_t)n + 1;
	h[0] = (unsigned char)(len >> 24);
	h[1] = (unsigned char)(len >> 16);
	h[2] = (unsigned char)(len >> 8);
	h[3] = (unsigned char)len;
	h[4] = (unsigned char)code;
	if (write_all(fd, h, 5) != 0)
		return -1;
	return n ? write_all(fd, payload, n) : 0;
}

#define FRAME(fd, code, lit) frame((fd), (code), (lit), sizeof(lit) - 1)

/* Wait up to ms for fd to be readable; 1 readable, 0 timeout. */
static int wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static int read_all(int fd, void *p, size_t n, int ms)
{
	char *c = p;
	while (n > 0) {
		if (!wait_readable(fd, ms))
			return -1;
		ssize_t r = read(fd, c, n);
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One reply: its code, payload discarded. -1 on EOF or timeout. */
static int reply(int fd, int ms)
{
	unsigned char h[5];
	if (read_all(fd, h, 5, ms) != 0)
		return -1;
	uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		       (uint32_t)h[2] << 8 | h[3];
	if (len < 1 || len > 1024 * 1024)
		return -1;
	char skip[4096];
	size_t rest = len - 1;
	while (rest > 0) {
		size_t n = rest < sizeof skip ? rest : sizeof skip;
		if (read_all(fd, skip, n, ms) != 0)
			return -1;
		rest -= n;
	}
	return h[4];
}

/* The daemon closed: read gives EOF (or reset) within ms. */
static int closes_within(int fd, int ms)
{
	char b[256];
	for (;;) {
		if (!wait_readable(fd, ms))
			return 0;
		ssize_t r = read(fd, b, sizeof b);
		if (r <= 0)
			return 1;
	}
}

/* OPTNEG as Postfix 3.7 sends it; 0 when answered with OPTNEG. */
static int negotiate(int fd)
{
	static const char offer[] = "\0\0\0\6\0\0\1\377\0\37\377\377";
	if (frame(fd, 'O', offer, 12) != 0)
		return -1;
	return reply(fd, 5000) == 'O' ? 0 : -1;
}

static int connect_inet(int fd)
{
	FRAME(fd, 'D', "C{daemon_name}\0smtpd\0{client_addr}\000203.0.113.5\0");
	/* NR_CONN is agreed: no answer. */
	return FRAME(fd, 'C', "mx.example.net\0004\0\031203.0.113.5\0");
}

static int scenario_broken(const char *hdr, size_t n, const char *what)
{
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0) {
		printf("%s: could not negotiate\n", what);
		return 1;
	}
	connect_inet(fd);
	write_all(fd, hdr, n);
	/* A little payload after the bad length, as a peer would send. */
	write_all(fd, "xxxxxxxxxxxxxxxx", 16);
	if (!closes_within(fd, 3000)) {
		printf("%s: the daemon did not close the connection\n", what);
		return 1;
	}
	printf("%s: closed by the daemon\n", what);
	close(fd);
	return 0;
}

static int scenario_unknown(void)
{
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0)
		return printf("unknown: could not negotiate\n"), 1;
	connect_inet(fd);
	FRAME(fd, 'Z', "whatever\0");
	FRAME(fd, 'M', "<bob@example.net>\0");
	int r = reply(fd, 3000);
	if (r != 'c')
		return printf("unknown: MAIL after it answered %d, not 'c'\n",
			      r),
		       1;
	FRAME(fd, 'Q', "");
	printf("unknown: skipped without answer; MAIL answered 'c'\n");
	close(fd);
	return 0;
}

static int scenario_midclose(void)
{
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0)
		return printf("midclose: could not negotiate\n"), 1;
	connect_inet(fd);
	FRAME(fd, 'M', "<>\0");
	if (reply(fd, 3000) != 'c')
		return printf("midclose: MAIL not answered\n"), 1;
	FRAME(fd, 'R', "<alice@example.jp>\0");
	if (reply(fd, 3000) != 'c')
		return printf("midclose: RCPT not answered\n"), 1;
	FRAME(fd, 'L', "Subject\0failure notice\0");
	/* Half a body frame, then gone. */
	write_all(fd, "\0\0\1\0Bpartial", 12);
	close(fd);
	printf("midclose: closed inside a message\n");
	return 0;
}

static int scenario_nomacros(void)
{
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0)
		return printf("nomacros: could not negotiate\n"), 1;
	FRAME(fd, 'C', "unknown\0U");
	FRAME(fd, 'M', "<carol@example.net>\0");
	int r1 = reply(fd, 3000);
	FRAME(fd, 'R', "<alice@example.jp>\0");
	int r2 = reply(fd, 3000);
	FRAME(fd, 'L', "Subject\0hello\0");
	FRAME(fd, 'B', "body\r\n");
	FRAME(fd, 'E', "");
	int r3 = reply(fd, 3000);
	FRAME(fd, 'Q', "");
	close(fd);
	if (r1 != 'c' || r2 != 'c' || (r3 != 'c' && r3 != 'a'))
		return printf("nomacros: replies %d %d %d\n", r1, r2, r3), 1;
	printf("nomacros: MAIL c, RCPT c, EOM %c\n", r3);
	return 0;
}

/* The flood's bytes: n MAIL frames, sent from a block of many. */
#define FLOOD_MAIL "\0\0\0\023M<bob@example.net>\0"
#define FLOOD_FRAME (sizeof FLOOD_MAIL - 1)
#define FLOOD_BLOCK_FRAMES 2048

static int flood_send(int fd, const char *block, size_t total, size_t *pos)
{
	size_t blen = FLOOD_FRAME * FLOOD_BLOCK_FRAMES;
	size_t at = *pos % blen;
	size_t n = blen - at;
	if (n > total - *pos)
		n = total - *pos;
	ssize_t w = send(fd, block + at, n, MSG_DONTWAIT);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	*pos += (size_t)w;
	return 0;
}

static int scenario_flood(long n)
{
	small_rcvbuf = 4096;
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0)
		return printf("flood: could not negotiate\n"), 1;
	char *block = malloc(FLOOD_FRAME * FLOOD_BLOCK_FRAMES);
	if (!block)
		return 1;
	for (size_t i = 0; i < FLOOD_BLOCK_FRAMES; i++)
		memcpy(block + i * FLOOD_FRAME, FLOOD_MAIL, FLOOD_FRAME);
	size_t total = (size_t)n * FLOOD_FRAME, pos = 0;
	/* Phase 1: write without reading until the writes stall for a
	 * second: the daemon has stopped reading. */
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	while (pos < total && poll(&p, 1, 1000) > 0)
		if (flood_send(fd, block, total, &pos) != 0)
			return printf("flood: write failed\n"), 1;
	long stalled_at = (long)(pos / FLOOD_FRAME);
	/* Phase 2: read every answer while writing the rest. */
	long got = 0;
	unsigned char h[4096];
	size_t hn = 0;
	while (got < n) {
		struct pollfd q = {
		    .fd = fd, .events = POLLIN | (pos < total ? POLLOUT : 0)};
		if (poll(&q, 1, 5000) <= 0)
			return printf("flood: stalled at %ld of %ld answers\n",
				      got, n),
			       1;
		if ((q.revents & POLLOUT) &&
		    flood_send(fd, block, total, &pos) != 0)
			return printf("flood: write failed\n"), 1;
		if (!(q.revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t r = read(fd, h + hn, sizeof h - hn);
		if (r <= 0)
			return printf("flood: closed after %ld answers\n", got),
			       1;
		hn += (size_t)r;
		size_t k = 0;
		for (; hn - k >= 5; k += 5, got++) {
			if (memcmp(h + k, "\0\0\0\1c", 5) != 0)
				return printf("flood: answer %ld is not "
					      "CONTINUE\n",
					      got),
				       1;
		}
		memmove(h, h + k, hn - k);
		hn -= k;
	}
	free(block);
	close(fd);
	printf("flood: %ld MAIL frames, writes stalled after %ld, %ld "
	       "CONTINUE answers\n",
	       n, stalled_at, got);
	return stalled_at < n ? 0 : 1;
}

static void raise_nofile(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)want + 16) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int scenario_idle(long n, long secs)
{
	raise_nofile(n);
	int *fds = calloc((size_t)n, sizeof *fds);
	if (!fds)
		return 1;
	for (long i = 0; i < n; i++) {
		fds[i] = dial();
		if (fds[i] < 0 || negotiate(fds[i]) != 0) {
			printf("idle: connection %ld failed\n", i);
			return 1;
		}
		connect_inet(fds[i]);
	}
	printf("idle: %ld open\n", n);
	fflush(stdout);
	sleep((unsigned)secs);
	/* Still served after the wait: each answers a MAIL. */
	long ok = 0;
	for (long i = 0; i < n; i++) {
		FRAME(fds[i], 'M', "<bob@example.net>\0");
		if (reply(fds[i], 5000) == 'c')
			ok++;
		close(fds[i]);
	}
	free(fds);
	printf("idle: %ld of %ld answered after %ld s\n", ok, n, secs);
	return ok == n ? 0 : 1;
}

static int scenario_closed_by_peer(long secs)
{
	int fd = dial();
	if (fd < 0 || negotiate(fd) != 0)
		return printf("closed-by-peer: could not negotiate\n"), 1;
	time_t t0 = time(NULL);
	if (!closes_within(fd, (int)secs * 1000))
		return printf("closed-by-peer: still open after %ld s\n", secs),
		       1;
	printf("closed-by-peer: closed after %ld s\n", (long)(time(NULL) - t0));
	return 0;
}

static int scenario_refused(void)
{
	int fd = dial();
	if (fd < 0)
		return printf("refused: connect failed\n"), 1;
	static const char offer[] = "\0\0\0\6\0\0\1\377\0\37\377\377";
	frame(fd, 'O', offer, 12);
	int r = reply(fd, 2000);
	close(fd);
	if (r != -1)
		return printf("refused: got an answer (%d)\n", r), 1;
	printf("refused: closed without an answer\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: milter_raw HOST PORT SCENARIO [ARGS]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN); /* the daemon may close first */
	host = argv[1];
	port = argv[2];
	const char *s = argv[3];
	long a1 = argc > 4 ? atol(argv[4]) : 0;
	long a2 = argc > 5 ? atol(argv[5]) : 0;
	if (strcmp(s, "oversized") == 0)
		return scenario_broken("\0\040\0\0B", 5, "oversized");
	if (strcmp(s, "zero-length") == 0)
		return scenario_broken("\0\0\0\0", 4, "zero-length");
	if (strcmp(s, "unknown") == 0)
		return scenario_unknown();
	if (strcmp(s, "midclose") == 0)
		return scenario_midclose();
	if (strcmp(s, "nomacros") == 0)
		return scenario_nomacros();
	if (strcmp(s, "flood") == 0 && a1 > 0)
		return scenario_flood(a1);
	if (strcmp(s, "idle") == 0 && a1 > 0)
		return scenario_idle(a1, a2);
	if (strcmp(s, "closed-by-peer") == 0 && a1 > 0)
		return scenario_closed_by_peer(a1);
	if (strcmp(s, "refused") == 0)
		return scenario_refused();
	fprintf(stderr, "milter_raw: unknown scenario %s\n", s);
	return 2;
}
