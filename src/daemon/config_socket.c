/*
 * config_socket.c - sockets (milter_socket), HOST:PORT (http_listen,
 * digest_smtp) and the store (sqlite or redis://HOST:PORT).
 *
 * The forms are Postfix's, because the admin writes the same socket in
 * main.cf's smtpd_milters: inet:HOST:PORT and unix:/PATH. libmilter's
 * inet:PORT@HOST (what opendkim.conf's Socket uses) is read too, since
 * admins copy it from there, and so is inet6:[ADDR]:PORT. An IPv6
 * address is always written in brackets; an unbracketed one is refused
 * with the bracketed form as a hint, because "::1:8894" cannot be split.
 * Host names are checked for syntax only: resolving them is for the
 * program that binds or connects, at the time it does.
 */
#include <string.h>
#include <sys/un.h>

#include "daemon/config_int.h"

/* The longest path a unix socket can have (sun_path holds its NUL). */
#define UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static bool read_port(mw_str p, mw_cfg_ctx *ctx, mw_str whole, unsigned *out)
{
	char q[MW_CFG_QUOTE_MAX], qp[MW_CFG_QUOTE_MAX];
	int64_t n;
	if (!mw_cfg_uint(p, &n) || n < 1 || n > 65535) {
		mw_cfg_fail(ctx,
			    "'%s': the port '%s' is not a number from 1 "
			    "to 65535",
			    mw_cfg_quote(whole, q), mw_cfg_quote(p, qp));
		return false;
	}
	*out = (unsigned)n;
	return true;
}

/* A host: an IPv4 address, an IPv6 address (brackets already removed,
 * bracketed says so) or a host name. */
static bool read_host(mw_str h, bool bracketed, mw_cfg_ctx *ctx, mw_str whole,
		      const char **out)
{
	char q[MW_CFG_QUOTE_MAX];
	mw_ip ip;
	if (bracketed) {
		if (!memchr(h.p, ':', h.n) || !mw_ip_parse(h.p, h.n, &ip)) {
			mw_cfg_fail(ctx,
				    "'%s': brackets must hold an IPv6 "
				    "address",
				    mw_cfg_quote(whole, q));
			return false;
		}
	} else if (!mw_ip_parse(h.p, h.n, &ip)) {
		char why[MW_CFG_WHY_MAX];
		if (!mw_cfg_domain_ok(h, why)) {
			char qh[MW_CFG_QUOTE_MAX];
			mw_cfg_fail(ctx,
				    "'%s': the host '%s' is neither an IP "
				    "address nor a host name: it %s%s",
				    mw_cfg_quote(whole, q), mw_cfg_quote(h, qh),
				    why, mw_cfg_hint(whole));
			return false;
		}
	}
	char *s = mw_arena_strndup_lower(ctx->arena, h.p, h.n);
	*out = s;
	return s != NULL;
}

/* HOST:PORT or [ADDR]:PORT. With default_port non-zero the port may be
 * left out. */
static bool read_host_port(mw_str v, mw_cfg_ctx *ctx, mw_str whole,
			   unsigned default_port, mw_cfg_endpoint *ep)
{
	char q[MW_CFG_QUOTE_MAX];
	mw_str host, port = {"", 0};
	bool has_port = false; /* a ':' was written: a port must follow */
	bool bracketed = v.n > 0 && v.p[0] == '[';
	if (bracketed) {
		const char *close = memchr(v.p, ']', v.n);
		if (!close) {
			mw_cfg_fail(ctx, "'%s' has '[' without ']'",
				    mw_cfg_quote(whole, q));
			return false;
		}
		host = mw_str_make(v.p + 1, (size_t)(close - v.p - 1));
		mw_str rest = mw_str_make(close + 1, v.n - host.n - 2);
		has_port = rest.n > 0 && rest.p[0] == ':';
		if (has_port)
			port = mw_str_make(rest.p + 1, rest.n - 1);
		else if (rest.n > 0 || !default_port) {
			mw_cfg_fail(ctx, "'%s' needs ':PORT' after the address",
				    mw_cfg_quote(whole, q));
			return false;
		}
	} else {
		const char *colon = memchr(v.p, ':', v.n);
		if (colon &&
		    memchr(colon + 1, ':', v.n - (size_t)(colon + 1 - v.p))) {
			mw_cfg_fail(ctx,
				    "'%s': write an IPv6 address in "
				    "brackets, as [::1]:PORT",
				    mw_cfg_quote(whole, q));
			return false;
		}
		if (!colon && !default_port) {
			mw_cfg_fail(ctx, "'%s' has no port: write HOST:PORT",
				    mw_cfg_quote(whole, q));
			return false;
		}
		host = colon ? mw_str_make(v.p, (size_t)(colon - v.p)) : v;
		has_port = colon != NULL;
		if (has_port)
			port = mw_str_make(colon + 1, v.n - host.n - 1);
	}
	if (host.n == 0) {
		mw_cfg_fail(ctx, "'%s' has no host", mw_cfg_quote(whole, q));
		return false;
	}
	mw_cfg_endpoint e = {.kind = MW_CFG_ENDPOINT_INET,
			     .port = default_port};
	if (!read_host(host, bracketed, ctx, whole, &e.host))
		return false;
	if (has_port && !read_port(port, ctx, whole, &e.port))
		return false;
	*ep = e;
	return true;
}

/* libmilter's inet:PORT@HOST. */
static bool read_port_at_host(mw_str v, const char *at, mw_cfg_ctx *ctx,
			      mw_str whole, mw_cfg_endpoint *ep)
{
	mw_str port = mw_str_make(v.p, (size_t)(at - v.p));
	mw_str host = mw_str_make(at + 1, v.n - port.n - 1);
	bool bracketed =
	    host.n >= 2 && host.p[0] == '[' && host.p[host.n - 1] == ']';
	if (bracketed) {
		host.p++;
		host.n -= 2;
	}
	mw_cfg_endpoint e = {.kind = MW_CFG_ENDPOINT_INET};
	if (host.n == 0) {
		char q[MW_CFG_QUOTE_MAX];
		mw_cfg_fail(ctx, "'%s' has no host", mw_cfg_quote(whole, q));
		return false;
	}
	bool v6 = memchr(host.p, ':', host.n) != NULL;
	if (!read_host(host, bracketed || v6, ctx, whole, &e.host) ||
	    !read_port(port, ctx, whole, &e.port))
		return false;
	*ep = e;
	return true;
}

static bool read_unix(mw_str path, mw_cfg_ctx *ctx, mw_cfg_endpoint *ep)
{
	if (path.n == 0) {
		mw_cfg_fail(ctx, "'unix:' needs a path, as unix:/PATH");
		return false;
	}
	if (!mw_cfg_path_ok(ctx, path, UNIX_PATH_MAX))
		return false;
	char *s = mw_arena_strndup(ctx->arena, path.p, path.n);
	if (!s)
		return false;
	*ep = (mw_cfg_endpoint){.kind = MW_CFG_ENDPOINT_UNIX, .path = s};
	return true;
}

static bool after_prefix(mw_str v, const char *prefix, mw_str *rest)
{
	if (!mw_str_istarts(v, prefix))
		return false;
	size_t n = strlen(prefix);
	*rest = mw_str_make(v.p + n, v.n - n);
	return true;
}

bool mw_cfg_read_socket(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			void *slot)
{
	(void)k;
	mw_str rest;
	mw_cfg_endpoint *ep = slot;
	if (after_prefix(v, "unix:", &rest) || after_prefix(v, "local:", &rest))
		return read_unix(rest, ctx, ep);
	bool inet6 = after_prefix(v, "inet6:", &rest);
	if (inet6 || after_prefix(v, "inet:", &rest)) {
		const char *at = memchr(rest.p, '@', rest.n);
		mw_cfg_endpoint e;
		bool ok = at ? read_port_at_host(rest, at, ctx, v, &e)
			     : read_host_port(rest, ctx, v, 0, &e);
		if (!ok)
			return false;
		if (inet6 && !strchr(e.host, ':')) {
			char q[MW_CFG_QUOTE_MAX];
			mw_cfg_fail(ctx,
				    "'%s': inet6: needs an IPv6 address "
				    "in brackets, as inet6:[::1]:PORT",
				    mw_cfg_quote(v, q));
			return false;
		}
		*ep = e;
		return true;
	}
	char q[MW_CFG_QUOTE_MAX];
	if (v.n > 0 && v.p[0] == '/')
		mw_cfg_fail(ctx, "'%s' is not a socket; did you mean unix:%s?",
			    mw_cfg_quote(v, q), mw_cfg_quote(v, q));
	else if (memchr(v.p, ':', v.n) && !memchr(v.p, ' ', v.n))
		mw_cfg_fail(ctx, "'%s' is not a socket; did you mean inet:%s?",
			    mw_cfg_quote(v, q), mw_cfg_quote(v, q));
	else
		mw_cfg_fail(ctx,
			    "'%s' is not a socket (inet:HOST:PORT, "
			    "inet6:[ADDR]:PORT or unix:/PATH)%s",
			    mw_cfg_quote(v, q), mw_cfg_hint(v));
	return false;
}

bool mw_cfg_read_hostport(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
			  void *slot)
{
	(void)k;
	mw_str rest;
	if (after_prefix(v, "inet:", &rest) ||
	    after_prefix(v, "unix:", &rest)) {
		char q[MW_CFG_QUOTE_MAX];
		mw_cfg_fail(ctx,
			    "'%s': write HOST:PORT here, without a "
			    "socket type",
			    mw_cfg_quote(v, q));
		return false;
	}
	return read_host_port(v, ctx, v, 0, slot);
}

bool mw_cfg_read_store(const mw_cfg_key *k, mw_str v, mw_cfg_ctx *ctx,
		       void *slot)
{
	(void)k;
	mw_cfg_store *st = slot;
	if (mw_str_ieq_cstr(v, "sqlite")) {
		*st = (mw_cfg_store){.kind = MW_CFG_STORE_SQLITE};
		return true;
	}
	mw_str rest;
	if (after_prefix(v, "redis://", &rest)) {
		if (rest.n > 0 && rest.p[rest.n - 1] == '/')
			rest.n--;
		if (memchr(rest.p, '/', rest.n) ||
		    memchr(rest.p, '@', rest.n)) {
			char q[MW_CFG_QUOTE_MAX];
			mw_cfg_fail(ctx,
				    "'%s': only redis://HOST:PORT is "
				    "supported (no database number, no "
				    "user or password)",
				    mw_cfg_quote(v, q));
			return false;
		}
		mw_cfg_endpoint e;
		if (!read_host_port(rest, ctx, v, 6379, &e))
			return false;
		*st = (mw_cfg_store){MW_CFG_STORE_REDIS, e.host, e.port};
		return true;
	}
	char q[MW_CFG_QUOTE_MAX];
	mw_cfg_fail(ctx, "'%s' is not a store (sqlite or redis://HOST:PORT)%s",
		    mw_cfg_quote(v, q), mw_cfg_hint(v));
	return false;
}

static mw_status write_host_port(const char *host, unsigned port, mw_buf *out)
{
	if (strchr(host, ':'))
		return mw_buf_printf(out, "[%s]:%u", host, port);
	return mw_buf_printf(out, "%s:%u", host, port);
}

mw_status mw_cfg_write_endpoint(const mw_cfg_key *k, const void *slot,
				mw_buf *out)
{
	const mw_cfg_endpoint *e = slot;
	switch (e->kind) {
	case MW_CFG_ENDPOINT_UNIX:
		return mw_buf_printf(out, "unix:%s", e->path);
	case MW_CFG_ENDPOINT_INET:
		if (k->type == MW_CFG_T_SOCKET) {
			mw_status st = mw_buf_puts(out, "inet:");
			if (st != MW_OK)
				return st;
		}
		return write_host_port(e->host, e->port, out);
	case MW_CFG_ENDPOINT_NONE:
		break;
	}
	return MW_OK;
}

mw_status mw_cfg_write_store(const mw_cfg_key *k, const void *slot, mw_buf *out)
{
	(void)k;
	const mw_cfg_store *st = slot;
	if (st->kind == MW_CFG_STORE_SQLITE)
		return mw_buf_puts(out, "sqlite");
	mw_status rc = mw_buf_puts(out, "redis://");
	return rc != MW_OK ? rc : write_host_port(st->host, st->port, out);
}
