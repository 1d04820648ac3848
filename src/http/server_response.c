/*
 * server_response.c - filling a response: headers, errors, JSON strings.
 */
#include "http/server.h"
#include "http/server_int.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

static const char json_type[] = "application/json";

void mw_http_response_init(mw_http_response *resp)
{
	mw_buf_init(&resp->body, MW_HTTP_RESPONSE_MAX);
	mw_buf_init(&resp->headers, MW_HTTP_RESPONSE_HEADER_BYTES);
	mw_http_response_reset(resp);
}

void mw_http_response_reset(mw_http_response *resp)
{
	resp->status = 200;
	resp->content_type = json_type;
	mw_buf_reset(&resp->body);
	mw_buf_reset(&resp->headers);
	resp->n_headers = 0;
	resp->failed = false;
}

void mw_http_response_free(mw_http_response *resp)
{
	mw_buf_free(&resp->body);
	mw_buf_free(&resp->headers);
}

bool mw_http_response_failed(const mw_http_response *resp)
{
	return resp->failed;
}

mw_status mw_http_response_append(mw_http_response *resp, const void *p,
				  size_t n)
{
	mw_status st = mw_buf_append(&resp->body, p, n);
	if (st)
		resp->failed = true;
	return st;
}

/* Names and values travel as "name\0value\0" pairs in resp->headers. */
mw_status mw_http_response_add_header(mw_http_response *resp, const char *name,
				      const char *value)
{
	if (!*name || strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n"))
		return MW_EINVAL;
	if (resp->n_headers >= MW_HTTP_RESPONSE_HEADERS_MAX)
		return MW_ETOOBIG;
	size_t nl = strlen(name), vl = strlen(value);
	if (resp->headers.len + nl + vl + 2 > resp->headers.max)
		return MW_ETOOBIG;
	(void)mw_buf_append(&resp->headers, name, nl + 1);
	(void)mw_buf_append(&resp->headers, value, vl + 1);
	resp->n_headers++;
	return MW_OK;
}

mw_status mw_http_json_string(mw_buf *buf, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	mw_status st = mw_buf_putc(buf, '"');
	const char *run = s;
	for (const char *p = s; !st && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		st = mw_buf_append(buf, run, (size_t)(p - run));
		run = p + 1;
		char esc[7] = {'\\', (char)c, 0};
		size_t n = 2;
		if (c == '\n')
			esc[1] = 'n';
		else if (c == '\r')
			esc[1] = 'r';
		else if (c == '\t')
			esc[1] = 't';
		else if (c < 0x20) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if (!st)
			st = mw_buf_append(buf, esc, n);
	}
	if (!st)
		st = mw_buf_puts(buf, run);
	if (!st)
		st = mw_buf_putc(buf, '"');
	return st;
}

void mw_http_response_error(mw_http_response *resp, int status,
			    const char *reason)
{
	resp->status = status;
	resp->content_type = json_type;
	resp->failed = false;
	mw_buf_reset(&resp->body);
	mw_status st = mw_buf_puts(&resp->body, "{\"error\":");
	if (!st)
		st = mw_http_json_string(&resp->body, reason);
	if (!st)
		st = mw_buf_puts(&resp->body, "}\n");
	if (st) {
		mw_buf_reset(&resp->body);
		(void)mw_buf_puts(&resp->body, "{\"error\":\"?\"}\n");
	}
}

/* -- refusals in the log ----------------------------------------------- */

static _Atomic long long refusal_minute;
static atomic_uint refusals_in_minute;

void mw_http_log_refusal(const char *what, const char *peer, int status,
			 const char *reason)
{
	long long minute = (long long)time(NULL) / 60;
	long long seen = atomic_load(&refusal_minute);
	if (seen != minute &&
	    atomic_compare_exchange_strong(&refusal_minute, &seen, minute))
		atomic_store(&refusals_in_minute, 0);
	unsigned n = atomic_fetch_add(&refusals_in_minute, 1) + 1;
	if (n <= MW_HTTP_REFUSALS_LOGGED)
		mw_warn("%s: refused request from %s: %s (HTTP %d)", what, peer,
			reason, status);
	else if (n == MW_HTTP_REFUSALS_LOGGED + 1)
		mw_warn("%s: more than %d refused requests this minute; the "
			"rest of this minute's are not logged",
			what, MW_HTTP_REFUSALS_LOGGED);
}
