/*
 * fuzz_auth_policy.c - the body of a Dovecot auth-policy request, parsed
 * as the /auth-policy endpoint parses it before the guard sees it. What
 * the guard is given must keep login.h's promises whatever the body: a
 * login of 1..MW_ADDRESS_MAX bytes of UTF-8 without control characters,
 * every other field NUL-terminated UTF-8 within its array, a remote
 * address in canonical form, a known result; and a refusal always comes
 * with its reason.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guard/login.h"
#include "http/auth_policy.h"
#include "lib/limits.h"
#include "lib/net.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap + 1);
	FUZZ_REQUIRE(n <= cap);
	FUZZ_REQUIRE(fuzz_utf8_valid(s, n));
}

static void check_event(const mw_login_event *ev)
{
	size_t n = strnlen(ev->login, sizeof ev->login);
	FUZZ_REQUIRE(n >= 1 && n <= MW_ADDRESS_MAX);
	FUZZ_REQUIRE(fuzz_utf8_valid(ev->login, n));
	for (size_t i = 0; i < n; i++)
		FUZZ_REQUIRE((unsigned char)ev->login[i] >= 0x20 &&
			     ev->login[i] != 0x7f);
	check_field(ev->pwhash, MW_LOGIN_FIELD_MAX);
	check_field(ev->protocol, MW_LOGIN_FIELD_MAX);
	check_field(ev->device_id, MW_LOGIN_FIELD_MAX);
	check_field(ev->session_id, MW_LOGIN_FIELD_MAX);
	FUZZ_REQUIRE(ev->result >= MW_LOGIN_RESULT_UNKNOWN &&
		     ev->result <= MW_LOGIN_RESULT_POLICY_REJECT);
	char text[MW_IP_TEXT_MAX];
	mw_ip_format(&ev->remote, text);
	mw_ip again;
	FUZZ_REQUIRE(mw_ip_parse(text, strlen(text), &again));
	char text2[MW_IP_TEXT_MAX];
	mw_ip_format(&again, text2);
	FUZZ_REQUIRE(strcmp(text, text2) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MW_HTTP_AUTH_POLICY_BODY_MAX)
		return 0; /* the endpoint refuses these before parsing */
	mw_login_event ev;
	memset(&ev, 0, sizeof ev);
	const char *reason = NULL;
	mw_status st =
	    mw_auth_policy_parse((const char *)data, size, &ev, &reason);
	if (st == MW_OK)
		check_event(&ev);
	else
		FUZZ_REQUIRE(reason != NULL && reason[0] != '\0');
	return 0;
}
