/* test_http_server.c - the route table: dispatch, refusals, bounds, stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "http/server.h"
#include "lib/log.h"

#include "http_test_client.h"

static atomic_int calls;
static atomic_int slow_started, slow_done;

/* GET /hello: echoes what it was given as text. */
static void hello(void *arg, const mw_http_request *req, mw_http_response *resp)
{
	atomic_fetch_add(&calls, 1);
	const char *name = mw_http_request_query(req, "name");
	const char *agent = mw_http_request_header(req, "user-agent");
	char peer[MW_IP_TEXT_MAX];
	mw_http_request_peer_text(req, peer);
	resp->content_type = "text/plain; charset=utf-8";
	(void)mw_buf_printf(&resp->body, "%s %s name=%s agent=%s peer=%s",
			    (const char *)arg, req->method,
			    name ? name : "(none)", agent ? agent : "(none)",
			    peer);
	(void)mw_http_response_add_header(resp, "Cache-Control", "no-store");
}

/* POST /echo: the body back, length first, NUL bytes and all. */
static void echo(void *arg, const mw_http_request *req, mw_http_response *resp)
{
	(void)arg;
	atomic_fetch_add(&calls, 1);
	resp->status = 201;
	(void)mw_buf_printf(&resp->body, "%zu:", req->body_len);
	(void)mw_http_response_append(resp, req->body, req->body_len);
}

/* GET /huge: more than a response may hold. */
static void huge(void *arg, const mw_http_request *req, mw_http_response *resp)
{
	(void)arg;
	(void)req;
	static char block[64 * 1024];
	memset(block, 'x', sizeof block);
	for (size_t n = 0; n <= MW_HTTP_RESPONSE_MAX; n += sizeof block)
		if (mw_http_response_append(resp, block, sizeof block))
			break;
}

static void slow(void *arg, const mw_http_request *req, mw_http_response *resp)
{
	(void)arg;
	(void)req;
	atomic_store(&slow_started, 1);
	struct timespec ts = {0, 300 * 1000 * 1000};
	nanosleep(&ts, NULL);
	(void)mw_buf_puts(&resp->body, "{}");
	atomic_store(&slow_done, 1);
}

static const mw_http_route routes[] = {
    {"GET", "/hello", hello, "hi", 0, 0}, {"POST", "/echo", echo, NULL, 64, 0},
    {"PUT", "/echo", echo, NULL, 64, 0},  {"GET", "/huge", huge, NULL, 0, 0},
    {"GET", "/slow", slow, NULL, 0, 0},
};

static mw_http_server *srv;
static unsigned port;
static tc_reply *reply;

static int group_setup(void **state)
{
	(void)state;
	mw_log_set_level(MW_LOG_ERROR);
	mw_http_config cfg = {.host = "127.0.0.1",
			      .routes = routes,
			      .n_routes = sizeof routes / sizeof *routes};
	reply = malloc(sizeof *reply);
	if (!reply || mw_http_server_start(&cfg, &srv) != MW_OK)
		return -1;
	port = mw_http_server_port(srv);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mw_http_server_stop(srv);
	free(reply);
	return 0;
}

static void test_port_zero_reports_the_bound_port(void **state)
{
	(void)state;
	assert_true(port > 0 && port < 65536);
}

static void test_route_gets_query_headers_and_peer(void **state)
{
	(void)state;
	assert_int_equal(tc_roundtrip(port, "GET", "/hello?x=1&name=a%20b",
				      NULL, NULL, reply),
			 200);
	assert_string_equal(reply->body,
			    "hi GET name=a b agent=dovecot/auth-policy-client "
			    "peer=127.0.0.1");
	char v[64];
	assert_string_equal(tc_header(reply, "Content-Type", v, sizeof v),
			    "text/plain; charset=utf-8");
	assert_string_equal(tc_header(reply, "Cache-Control", v, sizeof v),
			    "no-store");
}

static void test_head_is_served_by_the_get_route_without_body(void **state)
{
	(void)state;
	assert_int_equal(
	    tc_roundtrip(port, "HEAD", "/hello", NULL, NULL, reply), 200);
	assert_int_equal(reply->body_len, 0);
}

static void test_unknown_path_is_404_in_json(void **state)
{
	(void)state;
	int before = atomic_load(&calls);
	assert_int_equal(
	    tc_roundtrip(port, "GET", "/hello/", NULL, NULL, reply), 404);
	assert_string_equal(reply->body, "{\"error\":\"not found\"}\n");
	char v[64];
	assert_string_equal(tc_header(reply, "Content-Type", v, sizeof v),
			    "application/json");
	assert_int_equal(atomic_load(&calls), before);
}

static void test_wrong_method_is_405_with_allow(void **state)
{
	(void)state;
	char v[64];
	assert_int_equal(
	    tc_roundtrip(port, "DELETE", "/echo", NULL, NULL, reply), 405);
	assert_string_equal(tc_header(reply, "Allow", v, sizeof v),
			    "POST, PUT");
	assert_int_equal(tc_roundtrip(port, "POST", "/hello", NULL, "x", reply),
			 405);
	assert_string_equal(tc_header(reply, "Allow", v, sizeof v),
			    "GET, HEAD");
}

static void test_body_arrives_whole_with_nul_bytes(void **state)
{
	(void)state;
	int fd = tc_connect(port);
	assert_true(fd >= 0);
	assert_int_equal(tc_send_request(fd, "POST", "/echo", NULL, "a\0b", 3),
			 0);
	memset(reply, 0, sizeof *reply);
	assert_int_equal(tc_read_reply(fd, reply, 0), 201);
	assert_int_equal(reply->body_len, 5);
	assert_memory_equal(reply->body, "3:a\0b", 5);
	close(fd);
}

/* A flood of refusals leaves MW_HTTP_REFUSALS_LOGGED lines and one that
 * says the rest are not logged, not one line each. */
static void test_refusals_are_logged_at_a_bounded_rate(void **state)
{
	(void)state;
	char path[] = "/tmp/mw-test-http-log.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	mw_log_set_level(MW_LOG_WARNING);
	/* Not across the turn of a minute, where the count restarts (other
	 * cases may have used part of this minute's lines already). */
	time_t t0 = time(NULL);
	while (time(NULL) / 60 == t0 / 60 && time(NULL) % 60 > 57)
		usleep(100000);
	for (int i = 0; i < 3 * MW_HTTP_REFUSALS_LOGGED; i++)
		mw_http_log_refusal("auth-policy", "203.0.113.9", 400,
				    "no login");
	fflush(stderr);
	mw_log_set_level(MW_LOG_ERROR);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	FILE *f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	char line[512];
	int refused = 0, more = 0;
	while (fgets(line, sizeof line, f)) {
		refused += strstr(line, "refused request from 203.0.113.9: "
					"no login (HTTP 400)") != NULL;
		more += strstr(line, "are not logged") != NULL;
	}
	fclose(f);
	unlink(path);
	assert_true(refused >= 1 && refused <= MW_HTTP_REFUSALS_LOGGED);
	assert_int_equal(more, 1);
}

static void test_body_at_the_cap_is_taken_over_it_is_413(void **state)
{
	(void)state;
	char body[66];
	memset(body, 'b', 64);
	body[64] = '\0';
	assert_int_equal(tc_roundtrip(port, "PUT", "/echo", NULL, body, reply),
			 201);
	assert_int_equal(reply->body_len, 67);
	int before = atomic_load(&calls);
	body[64] = 'b';
	body[65] = '\0';
	assert_int_equal(tc_roundtrip(port, "PUT", "/echo", NULL, body, reply),
			 413);
	assert_string_equal(reply->body,
			    "{\"error\":\"request body too large\"}\n");
	/* a GET route takes no body at all */
	assert_int_equal(tc_roundtrip(port, "GET", "/hello", NULL, "x", reply),
			 413);
	assert_int_equal(atomic_load(&calls), before);
}

static void test_chunked_body_without_end_is_cut_off(void **state)
{
	(void)state;
	int fd = tc_connect(port);
	assert_true(fd >= 0);
	const char *head = "POST /echo HTTP/1.1\r\nHost: x\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(tc_send(fd, head, strlen(head)), 0);
	static char chunk[65536 + 16];
	int hl = sprintf(chunk, "10000\r\n");
	memset(chunk + hl, 'z', 65536);
	memcpy(chunk + hl + 65536, "\r\n", 2);
	/* past MW_HTTP_DISCARD_MAX the server closes the connection: the
	 * client sees the end (or a reset), not a 5 s receive timeout */
	for (int i = 0; i < 64; i++)
		if (tc_send(fd, chunk, (size_t)hl + 65538))
			break;
	char byte;
	errno = 0;
	ssize_t n = recv(fd, &byte, 1, 0);
	assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	close(fd);
}

static void test_response_over_its_cap_is_500(void **state)
{
	(void)state;
	assert_int_equal(tc_roundtrip(port, "GET", "/huge", NULL, NULL, reply),
			 500);
	assert_string_equal(reply->body,
			    "{\"error\":\"response too large\"}\n");
}

static void test_header_injection_is_refused(void **state)
{
	(void)state;
	mw_http_response r;
	memset(&r, 0, sizeof r);
	mw_buf_init(&r.headers, MW_HTTP_RESPONSE_HEADER_BYTES);
	assert_int_equal(mw_http_response_add_header(&r, "X-A", "1\r\nSet: 2"),
			 MW_EINVAL);
	assert_int_equal(mw_http_response_add_header(&r, "X-A: b", "1"),
			 MW_EINVAL);
	for (int i = 0; i < MW_HTTP_RESPONSE_HEADERS_MAX; i++)
		assert_int_equal(mw_http_response_add_header(&r, "X-A", "1"),
				 MW_OK);
	assert_int_equal(mw_http_response_add_header(&r, "X-A", "1"),
			 MW_ETOOBIG);
	mw_buf_free(&r.headers);
}

static void test_json_string_escapes_quotes_and_controls(void **state)
{
	(void)state;
	mw_buf b;
	mw_buf_init(&b, 256);
	assert_int_equal(mw_http_json_string(&b, "a\"b\\c\n\x01\xe6\x97\xa5"),
			 MW_OK);
	assert_string_equal(mw_buf_cstr(&b),
			    "\"a\\\"b\\\\c\\n\\u0001\xe6\x97\xa5\"");
	mw_buf_free(&b);
}

static void test_ipv6_literal_host_is_served(void **state)
{
	(void)state;
	mw_http_config cfg = {.host = "::1", .routes = routes, .n_routes = 1};
	mw_http_server *s6 = NULL;
	if (mw_http_server_start(&cfg, &s6) != MW_OK)
		skip(); /* no IPv6 loopback in this sandbox */
	int fd = tc_connect_host("::1", mw_http_server_port(s6));
	assert_true(fd >= 0);
	assert_int_equal(tc_send_request(fd, "GET", "/hello", NULL, NULL, 0),
			 0);
	memset(reply, 0, sizeof *reply);
	assert_int_equal(tc_read_reply(fd, reply, 0), 200);
	assert_non_null(strstr(reply->body, "peer=::1"));
	close(fd);
	mw_http_server_stop(s6);
}

static void test_bad_configurations_are_refused(void **state)
{
	(void)state;
	mw_http_server *s = NULL;
	mw_http_config none = {.host = "127.0.0.1"};
	assert_int_equal(mw_http_server_start(&none, &s), MW_EINVAL);
	assert_null(s);
	mw_http_route rel = {"GET", "hello", hello, NULL, 0, 0};
	mw_http_config relative = {
	    .host = "127.0.0.1", .routes = &rel, .n_routes = 1};
	assert_int_equal(mw_http_server_start(&relative, &s), MW_EINVAL);
	mw_http_config badhost = {
	    .host = "192.0.2.300", .routes = routes, .n_routes = 1};
	assert_int_equal(mw_http_server_start(&badhost, &s), MW_EINVAL);
	/* the port in use by the group's server */
	mw_http_config busy = {
	    .host = "127.0.0.1", .port = port, .routes = routes, .n_routes = 1};
	assert_int_equal(mw_http_server_start(&busy, &s), MW_EIO);
	assert_null(s);
}

static void *slow_client(void *arg)
{
	unsigned p = *(unsigned *)arg;
	tc_reply *r = calloc(1, sizeof *r);
	intptr_t st = r ? tc_roundtrip(p, "GET", "/slow", NULL, NULL, r) : 0;
	free(r);
	return (void *)st;
}

static void test_stop_waits_for_handlers_in_flight(void **state)
{
	(void)state;
	mw_http_config cfg = {.host = "127.0.0.1",
			      .routes = routes,
			      .n_routes = sizeof routes / sizeof *routes};
	mw_http_server *s = NULL;
	assert_int_equal(mw_http_server_start(&cfg, &s), MW_OK);
	unsigned p = mw_http_server_port(s);
	atomic_store(&slow_started, 0);
	atomic_store(&slow_done, 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, slow_client, &p), 0);
	for (int i = 0; i < 500 && !atomic_load(&slow_started); i++) {
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	assert_true(atomic_load(&slow_started));
	mw_http_server_stop(s);
	assert_true(atomic_load(&slow_done));
	void *st;
	pthread_join(t, &st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_zero_reports_the_bound_port),
	    cmocka_unit_test(test_route_gets_query_headers_and_peer),
	    cmocka_unit_test(test_head_is_served_by_the_get_route_without_body),
	    cmocka_unit_test(test_unknown_path_is_404_in_json),
	    cmocka_unit_test(test_wrong_method_is_405_with_allow),
	    cmocka_unit_test(test_body_arrives_whole_with_nul_bytes),
	    cmocka_unit_test(test_body_at_the_cap_is_taken_over_it_is_413),
	    cmocka_unit_test(test_refusals_are_logged_at_a_bounded_rate),
	    cmocka_unit_test(test_chunked_body_without_end_is_cut_off),
	    cmocka_unit_test(test_response_over_its_cap_is_500),
	    cmocka_unit_test(test_header_injection_is_refused),
	    cmocka_unit_test(test_json_string_escapes_quotes_and_controls),
	    cmocka_unit_test(test_ipv6_literal_host_is_served),
	    cmocka_unit_test(test_bad_configurations_are_refused),
	    cmocka_unit_test(test_stop_waits_for_handlers_in_flight),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
