/*
 * auth_policy_parse.c - a Dovecot auth-policy request body into an
 * mw_login_event, or a reason to refuse it.
 *
 * One jansson parse per request; the fields are then copied into the
 * event's fixed arrays, so nothing the guard sees points into jansson's
 * memory. Too long is refused, never cut (limits.h: two different
 * values must never be taken for one).
 */
#include "http/auth_policy.h"

#include <jansson.h>
#include <stddef.h>
#include <string.h>

bool mw_auth_policy_command(const char *text, mw_login_command *cmd)
{
	if (!text)
		return false;
	if (strcmp(text, "allow") == 0)
		*cmd = MW_LOGIN_ALLOW;
	else if (strcmp(text, "report") == 0)
		*cmd = MW_LOGIN_REPORT;
	else
		return false;
	return true;
}

/* C0 controls, DEL and the C1 controls (U+0080..U+009F, UTF-8 C2 80..9F):
 * none belongs in a user name or a token, and all of them can forge
 * lines in a log. jansson has already checked the UTF-8. */
static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return true;
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

typedef enum text_rc {
	TEXT_ABSENT,
	TEXT_OK,
	TEXT_BAD,
} text_rc;

/* An optional string field copied into out[max + 1]. */
static text_rc copy_text(json_t *root, const char *key, char *out, size_t max)
{
	out[0] = '\0';
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return TEXT_ABSENT;
	if (!json_is_string(v))
		return TEXT_BAD;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n > max || has_control(s, n))
		return TEXT_BAD;
	memcpy(out, s, n);
	out[n] = '\0';
	return TEXT_OK;
}

typedef enum flag_rc {
	FLAG_ABSENT,
	FLAG_FALSE,
	FLAG_TRUE,
	FLAG_BAD,
} flag_rc;

static flag_rc flag_from_text(const char *s)
{
	static const char *const yes[] = {"1", "true", "yes"};
	static const char *const no[] = {"0", "false", "no"};
	if (!*s)
		return FLAG_ABSENT;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcmp(s, yes[i]) == 0)
			return FLAG_TRUE;
		if (strcmp(s, no[i]) == 0)
			return FLAG_FALSE;
	}
	return FLAG_BAD;
}

/* Dovecot writes booleans itself; an admin's attribute makes a string. */
static flag_rc get_flag(json_t *root, const char *key)
{
	json_t *v = json_object_get(root, key);
	if (!v || json_is_null(v))
		return FLAG_ABSENT;
	if (json_is_boolean(v))
		return json_is_true(v) ? FLAG_TRUE : FLAG_FALSE;
	if (json_is_string(v))
		return flag_from_text(json_string_value(v));
	return FLAG_BAD;
}

static const char *parse_remote(json_t *root, mw_ip *out)
{
	json_t *v = json_object_get(root, "remote");
	if (!v || json_is_null(v))
		return "missing remote";
	if (!json_is_string(v))
		return "remote is not a string";
	size_t n = json_string_length(v);
	if (n == 0)
		return "missing remote";
	if (!mw_ip_parse(json_string_value(v), n, out))
		return "remote is not an IP address";
	return NULL;
}

static const char *parse_login(json_t *root, mw_login_event *ev)
{
	switch (copy_text(root, "login", ev->login, MW_ADDRESS_MAX)) {
	case TEXT_ABSENT:
		return "missing login";
	case TEXT_BAD:
		return "login is not a short string without control "
		       "characters";
	case TEXT_OK:
		break;
	}
	return ev->login[0] ? NULL : "missing login";
}

static const char *parse_texts(json_t *root, mw_login_event *ev)
{
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
	    {"pwhash", offsetof(mw_login_event, pwhash)},
	    {"protocol", offsetof(mw_login_event, protocol)},
	    {"device_id", offsetof(mw_login_event, device_id)},
	    {"session_id", offsetof(mw_login_event, session_id)},
	};
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		char *out = (char *)ev + fields[i].offset;
		if (copy_text(root, fields[i].key, out, MW_LOGIN_FIELD_MAX) ==
		    TEXT_BAD)
			return "a field is too long, not a string, or holds "
			       "control characters";
	}
	return NULL;
}

static const char *parse_flags(json_t *root, mw_login_event *ev)
{
	flag_rc success = get_flag(root, "success");
	flag_rc reject = get_flag(root, "policy_reject");
	flag_rc tls = get_flag(root, "tls");
	if (success == FLAG_BAD || reject == FLAG_BAD || tls == FLAG_BAD)
		return "success, policy_reject and tls must be booleans";
	ev->tls = tls == FLAG_TRUE;
	if (success == FLAG_TRUE)
		ev->result = MW_LOGIN_RESULT_SUCCESS;
	else if (success == FLAG_FALSE)
		ev->result = reject == FLAG_TRUE ? MW_LOGIN_RESULT_POLICY_REJECT
						 : MW_LOGIN_RESULT_FAILURE;
	else
		ev->result = MW_LOGIN_RESULT_UNKNOWN;
	return NULL;
}

mw_status mw_auth_policy_parse(const char *body, size_t len, mw_login_event *ev,
			       const char **reason)
{
	*reason = NULL;
	json_error_t err;
	/* jansson refuses invalid UTF-8 and \u0000 in strings by default */
	json_t *root = json_loadb(body, len, 0, &err);
	if (!root) {
		*reason = "body is not JSON";
		return MW_EINVAL;
	}
	const char *why = NULL;
	if (!json_is_object(root))
		why = "body is not a JSON object";
	if (!why)
		why = parse_login(root, ev);
	if (!why)
		why = parse_remote(root, &ev->remote);
	if (!why)
		why = parse_texts(root, ev);
	if (!why)
		why = parse_flags(root, ev);
	json_decref(root);
	*reason = why;
	return why ? MW_EINVAL : MW_OK;
}
