/* test_auth_policy.c - Dovecot's auth-policy requests over real HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "http/auth_policy.h"
#include "http/server.h"
#include "lib/log.h"

#include "http_test_client.h"

#define SECRET "4f9c2a7e1b8d6e3f0a5c"

/* -- a fake guard: records what it was asked, answers from a table ---- */

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static mw_login_event fake_last;
static atomic_int fake_calls;

static const struct {
	const char *login;
	int status;
	const char *msg;
	const char *reason;
} fake_table[] = {
    {"brute@example.jp", -1, "Too many \"failures\"; try later", "brute force"},
    {"slow@example.jp", 3, "", "throttled"},
};

static void fake_decide(void *arg, const mw_login_event *ev,
			mw_login_answer *ans)
{
	(void)arg;
	pthread_mutex_lock(&fake_lock);
	fake_last = *ev;
	pthread_mutex_unlock(&fake_lock);
	atomic_fetch_add(&fake_calls, 1);
	for (size_t i = 0; i < sizeof fake_table / sizeof *fake_table; i++) {
		if (strcmp(ev->login, fake_table[i].login) != 0)
			continue;
		ans->status = fake_table[i].status;
		snprintf(ans->msg, sizeof ans->msg, "%s", fake_table[i].msg);
		snprintf(ans->reason, sizeof ans->reason, "%s",
			 fake_table[i].reason);
	}
}

static mw_login_event last_event(void)
{
	pthread_mutex_lock(&fake_lock);
	mw_login_event ev = fake_last;
	pthread_mutex_unlock(&fake_lock);
	return ev;
}

/* -- two servers: with and without a secret --------------------------- */

static mw_auth_policy open_policy = {fake_decide, NULL, NULL};
static mw_auth_policy secret_policy = {fake_decide, NULL, SECRET};
static mw_http_server *open_srv, *secret_srv;
static unsigned open_port, secret_port;
static tc_reply *reply;

static mw_http_server *start(mw_auth_policy *ap, unsigned *port)
{
	mw_http_route route = mw_auth_policy_route(ap);
	mw_http_config cfg = {
	    .host = "127.0.0.1", .threads = 2, .routes = &route, .n_routes = 1};
	mw_http_server *srv = NULL;
	if (mw_http_server_start(&cfg, &srv) != MW_OK)
		return NULL;
	*port = mw_http_server_port(srv);
	return srv;
}

static int group_setup(void **state)
{
	(void)state;
	mw_log_set_level(MW_LOG_ERROR); /* refusals are expected here */
	open_srv = start(&open_policy, &open_port);
	secret_srv = start(&secret_policy, &secret_port);
	reply = malloc(sizeof *reply);
	return open_srv && secret_srv && reply ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	mw_http_server_stop(open_srv);
	mw_http_server_stop(secret_srv);
	free(reply);
	return 0;
}

static int ask(const char *command, const char *body)
{
	char target[128];
	snprintf(target, sizeof target, "/auth-policy?command=%s", command);
	return tc_roundtrip(open_port, "POST", target,
			    "Content-Type: application/json\r\n", body, reply);
}

#define DOVECOT_ALLOW                                                          \
	"{\"device_id\":\"\",\"login\":\"user@example.jp\","                   \
	"\"protocol\":\"imap\",\"pwhash\":\"a3f\",\"remote\":"                 \
	"\"192.0.2.7\",\"session_id\":\"9Ytp1C0Ik8HAqAAB\",\"tls\":true}"

/* -- what Dovecot sends ----------------------------------------------- */

static void test_allow_maps_every_field(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	time_t t0 = time(NULL);
	assert_int_equal(ask("allow", DOVECOT_ALLOW), 200);
	assert_string_equal(reply->body, "{\"status\":0,\"msg\":\"\"}");
	assert_non_null(strstr(reply->head, "application/json"));
	assert_int_equal(atomic_load(&fake_calls), before + 1);
	mw_login_event ev = last_event();
	assert_int_equal(ev.command, MW_LOGIN_ALLOW);
	assert_int_equal(ev.result, MW_LOGIN_RESULT_UNKNOWN);
	assert_string_equal(ev.login, "user@example.jp");
	assert_string_equal(ev.pwhash, "a3f");
	assert_string_equal(ev.protocol, "imap");
	assert_string_equal(ev.device_id, "");
	assert_string_equal(ev.session_id, "9Ytp1C0Ik8HAqAAB");
	assert_true(ev.tls);
	char ip[MW_IP_TEXT_MAX];
	mw_ip_format(&ev.remote, ip);
	assert_string_equal(ip, "192.0.2.7");
	assert_true(ev.now >= t0 && ev.now <= time(NULL));
}

static void test_report_success_is_mapped(void **state)
{
	(void)state;
	assert_int_equal(
	    ask("report", "{\"login\":\"user@example.jp\",\"pwhash\":\"a3f\","
			  "\"remote\":\"192.0.2.7\",\"protocol\":\"smtp\","
			  "\"success\":true,\"policy_reject\":false,"
			  "\"tls\":false}"),
	    200);
	mw_login_event ev = last_event();
	assert_int_equal(ev.command, MW_LOGIN_REPORT);
	assert_int_equal(ev.result, MW_LOGIN_RESULT_SUCCESS);
	assert_string_equal(ev.protocol, "smtp");
	assert_false(ev.tls);
}

static void test_report_failure_and_policy_reject_are_mapped(void **state)
{
	(void)state;
	assert_int_equal(ask("report",
			     "{\"login\":\"user@example.jp\",\"remote\":"
			     "\"192.0.2.7\",\"success\":false,"
			     "\"policy_reject\":false}"),
			 200);
	assert_int_equal(last_event().result, MW_LOGIN_RESULT_FAILURE);
	assert_int_equal(ask("report",
			     "{\"login\":\"user@example.jp\",\"remote\":"
			     "\"192.0.2.7\",\"success\":false,"
			     "\"policy_reject\":true}"),
			 200);
	assert_int_equal(last_event().result, MW_LOGIN_RESULT_POLICY_REJECT);
}

static void test_string_booleans_from_admin_attributes_are_taken(void **state)
{
	(void)state;
	assert_int_equal(
	    ask("report", "{\"login\":\"user@example.jp\",\"remote\":"
			  "\"192.0.2.7\",\"success\":\"1\",\"tls\":\"true\"}"),
	    200);
	mw_login_event ev = last_event();
	assert_int_equal(ev.result, MW_LOGIN_RESULT_SUCCESS);
	assert_true(ev.tls);
	assert_int_equal(ask("report",
			     "{\"login\":\"user@example.jp\",\"remote\":"
			     "\"192.0.2.7\",\"success\":\"0\",\"tls\":\"\"}"),
			 200);
	ev = last_event();
	assert_int_equal(ev.result, MW_LOGIN_RESULT_FAILURE);
	assert_false(ev.tls);
}

static void test_boolean_of_another_word_is_400(void **state)
{
	(void)state;
	assert_int_equal(ask("report",
			     "{\"login\":\"user@example.jp\",\"remote\":"
			     "\"192.0.2.7\",\"success\":\"maybe\"}"),
			 400);
	assert_string_equal(reply->body, "{\"error\":\"success, policy_reject "
					 "and tls must be booleans\"}\n");
}

static void test_unknown_fields_and_nested_objects_are_ignored(void **state)
{
	(void)state;
	assert_int_equal(ask("allow",
			     "{\"attrs\":{\"cos\":\"premium\"},\"fail_type\":"
			     "\"credentials\",\"login\":\"user@example.jp\","
			     "\"remote\":\"192.0.2.7\",\"n\":[1,2]}"),
			 200);
	assert_string_equal(last_event().login, "user@example.jp");
}

static void test_reject_answer_carries_escaped_msg(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"brute@example.jp\","
				      "\"remote\":\"198.51.100.9\"}"),
			 200);
	assert_string_equal(
	    reply->body,
	    "{\"status\":-1,\"msg\":\"Too many \\\"failures\\\"; try later\"}");
}

static void test_delay_answer_gives_seconds(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"slow@example.jp\","
				      "\"remote\":\"198.51.100.9\"}"),
			 200);
	assert_string_equal(reply->body, "{\"status\":3,\"msg\":\"\"}");
}

/* -- remote ----------------------------------------------------------- */

static void test_ipv6_remote_is_taken(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"user@example.jp\","
				      "\"remote\":\"2001:DB8::1\"}"),
			 200);
	mw_login_event ev = last_event();
	assert_int_equal(ev.remote.family, 6);
	char ip[MW_IP_TEXT_MAX];
	mw_ip_format(&ev.remote, ip);
	assert_string_equal(ip, "2001:db8::1");
}

static void test_ipv4_mapped_remote_is_ipv4(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"user@example.jp\","
				      "\"remote\":\"::ffff:192.0.2.44\"}"),
			 200);
	mw_login_event ev = last_event();
	assert_int_equal(ev.remote.family, 4);
	char ip[MW_IP_TEXT_MAX];
	mw_ip_format(&ev.remote, ip);
	assert_string_equal(ip, "192.0.2.44");
}

static void test_missing_remote_is_400(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	assert_int_equal(ask("allow", "{\"login\":\"user@example.jp\"}"), 400);
	assert_string_equal(reply->body, "{\"error\":\"missing remote\"}\n");
	assert_int_equal(ask("allow", "{\"login\":\"user@example.jp\","
				      "\"remote\":\"\"}"),
			 400);
	assert_int_equal(atomic_load(&fake_calls), before);
}

static void test_bad_remote_is_400(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "{\"login\":\"u@example.jp\",\"remote\":\"mail.example.jp\"}",
	    "{\"login\":\"u@example.jp\",\"remote\":\"192.0.2.256\"}",
	    "{\"login\":\"u@example.jp\",\"remote\":\"fe80::1%eth0\"}",
	    "{\"login\":\"u@example.jp\",\"remote\":\"[2001:db8::1]\"}",
	    "{\"login\":\"u@example.jp\",\"remote\":\"192.0.2.1 \"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(ask("allow", bad[i]), 400);
		assert_string_equal(reply->body,
				    "{\"error\":\"remote is not an IP "
				    "address\"}\n");
	}
	assert_int_equal(
	    ask("allow", "{\"login\":\"u@example.jp\",\"remote\":12}"), 400);
	assert_string_equal(reply->body,
			    "{\"error\":\"remote is not a string\"}\n");
}

/* -- login and other fields ------------------------------------------- */

static void test_missing_login_is_400(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	assert_int_equal(ask("allow", "{\"remote\":\"192.0.2.7\"}"), 400);
	assert_string_equal(reply->body, "{\"error\":\"missing login\"}\n");
	assert_int_equal(ask("allow", "{\"login\":\"\",\"remote\":"
				      "\"192.0.2.7\"}"),
			 400);
	assert_string_equal(reply->body, "{\"error\":\"missing login\"}\n");
	assert_int_equal(atomic_load(&fake_calls), before);
}

static void test_login_with_control_characters_is_400(void **state)
{
	(void)state;
	/* a forged log line, a C1 control (U+0085), and a NUL */
	assert_int_equal(ask("allow", "{\"login\":\"u@example.jp\\nfake: "
				      "ok\",\"remote\":\"192.0.2.7\"}"),
			 400);
	assert_int_equal(ask("allow", "{\"login\":\"u\\u0085@example.jp\","
				      "\"remote\":\"192.0.2.7\"}"),
			 400);
	assert_int_equal(ask("allow", "{\"login\":\"u\\u0000@example.jp\","
				      "\"remote\":\"192.0.2.7\"}"),
			 400);
}

static void test_japanese_login_in_utf8_is_taken(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"\xe5\xb1\xb1\xe7\x94\xb0"
				      "@example.jp\",\"remote\":"
				      "\"192.0.2.7\"}"),
			 200);
	assert_string_equal(last_event().login,
			    "\xe5\xb1\xb1\xe7\x94\xb0@example.jp");
}

static void test_invalid_utf8_is_400(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"\xff\xfe@example.jp\","
				      "\"remote\":\"192.0.2.7\"}"),
			 400);
	assert_string_equal(reply->body, "{\"error\":\"body is not JSON\"}\n");
}

static void test_login_longer_than_an_address_is_400(void **state)
{
	(void)state;
	char *body = malloc(MW_ADDRESS_MAX + 100);
	char *p = body + sprintf(body, "{\"login\":\"");
	memset(p, 'a', MW_ADDRESS_MAX + 1);
	p += MW_ADDRESS_MAX + 1;
	sprintf(p, "\",\"remote\":\"192.0.2.7\"}");
	assert_int_equal(ask("allow", body), 400);
	/* exactly the longest is taken */
	memmove(body + 10 + MW_ADDRESS_MAX, body + 11 + MW_ADDRESS_MAX,
		strlen(body + 11 + MW_ADDRESS_MAX) + 1);
	assert_int_equal(ask("allow", body), 200);
	assert_int_equal(strlen(last_event().login), MW_ADDRESS_MAX);
	free(body);
}

static void test_field_longer_than_its_cap_is_400(void **state)
{
	(void)state;
	char body[1024];
	char hash[MW_LOGIN_FIELD_MAX + 2];
	memset(hash, 'f', MW_LOGIN_FIELD_MAX + 1);
	hash[MW_LOGIN_FIELD_MAX + 1] = '\0';
	snprintf(body, sizeof body,
		 "{\"login\":\"u@example.jp\",\"remote\":\"192.0.2.7\","
		 "\"pwhash\":\"%s\"}",
		 hash);
	assert_int_equal(ask("allow", body), 400);
	assert_int_equal(
	    ask("allow", "{\"login\":\"u@example.jp\",\"remote\":\"192.0.2.7\","
			 "\"protocol\":7}"),
	    400);
}

/* -- the body as a whole ---------------------------------------------- */

static void test_invalid_json_is_400(void **state)
{
	(void)state;
	assert_int_equal(ask("allow", "{\"login\":\"u@example.jp\","), 400);
	assert_string_equal(reply->body, "{\"error\":\"body is not JSON\"}\n");
	assert_int_equal(ask("allow", ""), 400);
	assert_int_equal(ask("allow", "[\"u@example.jp\"]"), 400);
	assert_string_equal(reply->body,
			    "{\"error\":\"body is not a JSON object\"}\n");
}

/* 400, as the issue and every other refusal of this endpoint: the
 * server refuses by Content-Length before a byte of the body is read or
 * the handler runs (the route asks 400 in place of the server's 413),
 * and says why. */
static void test_body_over_the_cap_is_400(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	size_t n = MW_HTTP_AUTH_POLICY_BODY_MAX + 1;
	char *body = malloc(n + 1);
	memset(body, ' ', n);
	memcpy(body, DOVECOT_ALLOW, strlen(DOVECOT_ALLOW));
	body[n] = '\0';
	assert_int_equal(ask("allow", body), 400);
	assert_string_equal(reply->body,
			    "{\"error\":\"request body too large\"}\n");
	/* the same padding one byte shorter is JSON with blanks: taken */
	body[n - 1] = '\0';
	assert_int_equal(ask("allow", body), 200);
	assert_int_equal(atomic_load(&fake_calls), before + 1);
	free(body);
}

static void test_chunked_body_over_the_cap_is_400(void **state)
{
	(void)state;
	int fd = tc_connect(open_port);
	assert_true(fd >= 0);
	const char *head = "POST /auth-policy?command=allow HTTP/1.1\r\n"
			   "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n";
	assert_int_equal(tc_send(fd, head, strlen(head)), 0);
	static char chunk[4096 + 16];
	int hl = sprintf(chunk, "1000\r\n");
	memset(chunk + hl, ' ', 4096);
	memcpy(chunk + hl + 4096, "\r\n", 2);
	for (int i = 0; i < 5; i++) /* 20 KiB > 16 KiB */
		assert_int_equal(tc_send(fd, chunk, (size_t)hl + 4098), 0);
	assert_int_equal(tc_send(fd, "0\r\n\r\n", 5), 0);
	memset(reply, 0, sizeof *reply);
	assert_int_equal(tc_read_reply(fd, reply, 0), 400);
	close(fd);
}

/* -- the secret ------------------------------------------------------- */

static void test_wrong_or_missing_secret_is_401(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	assert_int_equal(tc_roundtrip(secret_port, "POST",
				      "/auth-policy?command=allow", NULL,
				      DOVECOT_ALLOW, reply),
			 401);
	assert_string_equal(reply->body,
			    "{\"error\":\"missing or wrong X-API-Key\"}\n");
	assert_int_equal(
	    tc_roundtrip(secret_port, "POST", "/auth-policy?command=allow",
			 "X-API-Key: " SECRET "x\r\n", DOVECOT_ALLOW, reply),
	    401);
	assert_int_equal(tc_roundtrip(secret_port, "POST",
				      "/auth-policy?command=allow",
				      "X-API-Key: 4f9c2a7e1b8d6e3f0a5\r\n",
				      DOVECOT_ALLOW, reply),
			 401);
	assert_int_equal(atomic_load(&fake_calls), before);
}

/* auth_policy_server_api_header = X-API-Key: SECRET makes Dovecot send
 * the text after the colon, blank included. */
static void test_right_secret_is_let_through(void **state)
{
	(void)state;
	assert_int_equal(
	    tc_roundtrip(secret_port, "POST", "/auth-policy?command=allow",
			 "x-api-key:  " SECRET "\r\n", DOVECOT_ALLOW, reply),
	    200);
	assert_string_equal(reply->body, "{\"status\":0,\"msg\":\"\"}");
}

static void test_no_secret_configured_takes_any_header(void **state)
{
	(void)state;
	assert_int_equal(
	    tc_roundtrip(open_port, "POST", "/auth-policy?command=allow",
			 "X-API-Key: whatever\r\n", DOVECOT_ALLOW, reply),
	    200);
}

/* -- the URL and the method ------------------------------------------- */

static void test_unknown_or_missing_command_is_400(void **state)
{
	(void)state;
	assert_int_equal(ask("deny", DOVECOT_ALLOW), 400);
	assert_string_equal(
	    reply->body, "{\"error\":\"command must be allow or report\"}\n");
	assert_int_equal(tc_roundtrip(open_port, "POST", "/auth-policy", NULL,
				      DOVECOT_ALLOW, reply),
			 400);
}

/* auth_policy_server_url = http://h/auth-policy?site=a& gets
 * "command=allow" appended. */
static void test_command_after_other_arguments_is_found(void **state)
{
	(void)state;
	assert_int_equal(tc_roundtrip(open_port, "POST",
				      "/auth-policy?site=a&command=report",
				      NULL, DOVECOT_ALLOW, reply),
			 200);
	assert_int_equal(last_event().command, MW_LOGIN_REPORT);
}

static void test_get_instead_of_post_is_405(void **state)
{
	(void)state;
	assert_int_equal(tc_roundtrip(open_port, "GET",
				      "/auth-policy?command=allow", NULL, NULL,
				      reply),
			 405);
	char allow[64];
	assert_string_equal(tc_header(reply, "Allow", allow, sizeof allow),
			    "POST");
}

/* -- connections ------------------------------------------------------ */

static void test_keep_alive_serves_several_requests(void **state)
{
	(void)state;
	int fd = tc_connect(open_port);
	assert_true(fd >= 0);
	memset(reply, 0, sizeof *reply);
	for (int i = 0; i < 5; i++) {
		char body[256];
		snprintf(body, sizeof body,
			 "{\"login\":\"k%d@example.jp\",\"remote\":"
			 "\"192.0.2.%d\"}",
			 i, i + 1);
		assert_int_equal(tc_send_request(fd, "POST",
						 "/auth-policy?command=allow",
						 NULL, body, strlen(body)),
				 0);
		assert_int_equal(tc_read_reply(fd, reply, 0), 200);
		assert_null(tc_header_in(reply->head, "Connection"));
		char want[32];
		snprintf(want, sizeof want, "k%d@example.jp", i);
		assert_string_equal(last_event().login, want);
	}
	/* a refused request does not end the connection either */
	assert_int_equal(tc_send_request(fd, "POST",
					 "/auth-policy?command=allow", NULL,
					 "{}", 2),
			 0);
	assert_int_equal(tc_read_reply(fd, reply, 0), 400);
	assert_int_equal(tc_send_request(fd, "POST",
					 "/auth-policy?command=allow", NULL,
					 DOVECOT_ALLOW, strlen(DOVECOT_ALLOW)),
			 0);
	assert_int_equal(tc_read_reply(fd, reply, 0), 200);
	close(fd);
}

#define BURST_THREADS 8
#define BURST_REQUESTS 250

static void *burst_client(void *arg)
{
	intptr_t ok = 0;
	(void)arg;
	tc_reply *r = calloc(1, sizeof *r);
	int fd = tc_connect(open_port);
	for (int i = 0; r && fd >= 0 && i < BURST_REQUESTS; i++) {
		if (tc_send_request(fd, "POST", "/auth-policy?command=report",
				    NULL, DOVECOT_ALLOW,
				    strlen(DOVECOT_ALLOW)) != 0)
			break;
		if (tc_read_reply(fd, r, 0) != 200 ||
		    strcmp(r->body, "{\"status\":0,\"msg\":\"\"}") != 0)
			break;
		ok++;
	}
	if (fd >= 0)
		close(fd);
	free(r);
	return (void *)ok;
}

static void test_concurrent_burst_is_answered_in_full(void **state)
{
	(void)state;
	int before = atomic_load(&fake_calls);
	pthread_t t[BURST_THREADS];
	for (int i = 0; i < BURST_THREADS; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, burst_client, NULL), 0);
	intptr_t total = 0;
	for (int i = 0; i < BURST_THREADS; i++) {
		void *ok;
		pthread_join(t[i], &ok);
		total += (intptr_t)ok;
	}
	assert_int_equal(total, BURST_THREADS * BURST_REQUESTS);
	assert_int_equal(atomic_load(&fake_calls),
			 before + BURST_THREADS * BURST_REQUESTS);
}

/* -- the parser alone ------------------------------------------------- */

static void test_parse_without_http_gives_the_same_event(void **state)
{
	(void)state;
	mw_login_event ev;
	memset(&ev, 0, sizeof ev);
	const char *why;
	assert_int_equal(mw_auth_policy_parse(DOVECOT_ALLOW,
					      strlen(DOVECOT_ALLOW), &ev, &why),
			 MW_OK);
	assert_null(why);
	assert_string_equal(ev.login, "user@example.jp");
	assert_string_equal(ev.pwhash, "a3f");
	mw_login_command cmd;
	assert_true(mw_auth_policy_command("report", &cmd));
	assert_int_equal(cmd, MW_LOGIN_REPORT);
	assert_false(mw_auth_policy_command("ALLOW", &cmd));
	assert_false(mw_auth_policy_command(NULL, &cmd));
	/* a deep nest is refused by jansson's own depth bound, not a crash */
	static char deep[8192];
	memset(deep, '[', sizeof deep - 1);
	assert_int_equal(mw_auth_policy_parse(deep, strlen(deep), &ev, &why),
			 MW_EINVAL);
	assert_string_equal(why, "body is not JSON");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allow_maps_every_field),
	    cmocka_unit_test(test_report_success_is_mapped),
	    cmocka_unit_test(test_report_failure_and_policy_reject_are_mapped),
	    cmocka_unit_test(
		test_string_booleans_from_admin_attributes_are_taken),
	    cmocka_unit_test(test_boolean_of_another_word_is_400),
	    cmocka_unit_test(
		test_unknown_fields_and_nested_objects_are_ignored),
	    cmocka_unit_test(test_reject_answer_carries_escaped_msg),
	    cmocka_unit_test(test_delay_answer_gives_seconds),
	    cmocka_unit_test(test_ipv6_remote_is_taken),
	    cmocka_unit_test(test_ipv4_mapped_remote_is_ipv4),
	    cmocka_unit_test(test_missing_remote_is_400),
	    cmocka_unit_test(test_bad_remote_is_400),
	    cmocka_unit_test(test_missing_login_is_400),
	    cmocka_unit_test(test_login_with_control_characters_is_400),
	    cmocka_unit_test(test_japanese_login_in_utf8_is_taken),
	    cmocka_unit_test(test_invalid_utf8_is_400),
	    cmocka_unit_test(test_login_longer_than_an_address_is_400),
	    cmocka_unit_test(test_field_longer_than_its_cap_is_400),
	    cmocka_unit_test(test_invalid_json_is_400),
	    cmocka_unit_test(test_body_over_the_cap_is_400),
	    cmocka_unit_test(test_chunked_body_over_the_cap_is_400),
	    cmocka_unit_test(test_wrong_or_missing_secret_is_401),
	    cmocka_unit_test(test_right_secret_is_let_through),
	    cmocka_unit_test(test_no_secret_configured_takes_any_header),
	    cmocka_unit_test(test_unknown_or_missing_command_is_400),
	    cmocka_unit_test(test_command_after_other_arguments_is_found),
	    cmocka_unit_test(test_get_instead_of_post_is_405),
	    cmocka_unit_test(test_keep_alive_serves_several_requests),
	    cmocka_unit_test(test_concurrent_burst_is_answered_in_full),
	    cmocka_unit_test(test_parse_without_http_gives_the_same_event),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
