/*
 * shield.c - the shield's life cycle, the verdict, and the helpers every
 * stage uses: who is a bounce sender, what is local, how a reply is
 * written, what a store failure answers.
 */
#include "shield/shield.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/str.h"
#include "shield/shield_int.h"

/* -- life cycle ------------------------------------------------------- */

static void our_host_name(const mw_config *cfg, char *out, size_t outsz)
{
	if (cfg->our_hostnames.n && cfg->our_hostnames.v[0][0]) {
		snprintf(out, outsz, "%s", cfg->our_hostnames.v[0]);
		return;
	}
	if (gethostname(out, outsz) != 0 || !out[0])
		snprintf(out, outsz, "localhost");
	out[outsz - 1] = '\0';
}

mw_status mw_shield_new(const struct mw_config *cfg, struct mw_store *store,
			const struct mw_batv_ring *keys, mw_shield **out)
{
	*out = NULL;
	if (!cfg || !store)
		return MW_EINVAL;
	mw_shield *sh = calloc(1, sizeof *sh);
	if (!sh)
		return MW_ENOMEM;
	sh->cfg = cfg;
	sh->store = store;
	sh->keys = keys && mw_batv_ring_sign_key(keys) >= 0 ? keys : NULL;
	sh->smtp_timeout_ms = MW_SMTP_TIMEOUT_MS;
	atomic_init(&sh->tick_busy, false);
	atomic_init(&sh->stopping, false);
	pthread_mutex_init(&sh->lock, NULL);
	our_host_name(cfg, sh->host, sizeof sh->host);
	if (cfg->batv_mode != MW_CFG_BATV_OFF && !sh->keys)
		mw_warn("shield: batv_mode is %s but no BATV key is loaded: "
			"outbound mail is not tagged and every tagged bounce "
			"is refused",
			cfg->batv_mode == MW_CFG_BATV_TAG ? "tag" : "enforce");
	*out = sh;
	return MW_OK;
}

void mw_shield_free(mw_shield *sh)
{
	if (!sh)
		return;
	atomic_store(&sh->stopping, true);
	mws_tick_wait(sh);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

/* -- who and what ----------------------------------------------------- */

bool mws_is_bounce_sender(const char *sender)
{
	if (!sender || !sender[0])
		return true;
	const char *at = strrchr(sender, '@');
	mw_str local =
	    mw_str_make(sender, at ? (size_t)(at - sender) : strlen(sender));
	return mw_str_ieq_cstr(local, "mailer-daemon") ||
	       mw_str_ieq_cstr(local, "postmaster");
}

bool mws_is_local(const mw_shield *sh, const char *address)
{
	return address && address[0] &&
	       mw_config_is_local_address(sh->cfg, mw_str_from_cstr(address));
}

bool mws_key_of(mws_key out, const char *ns, const char *id, const char *metric)
{
	if (mw_store_key(out, sizeof(mws_key), ns, id, metric) == MW_OK)
		return true;
	mw_debug("shield: no store key for \"%.80s\"", id ? id : "");
	return false;
}

const char *mws_untagged(mw_arena *a, const char *address)
{
	mw_batv_tag tag;
	if (mw_batv_parse(mw_str_from_cstr(address), &tag) != MW_BATV_TAGGED)
		return address;
	return mw_arena_strndup(a, tag.inner.p, tag.inner.n);
}

/* A host name fit to be a distinct-set member and an event payload:
 * printable ASCII without spaces, at most 255 bytes. */
static bool plain_host(const char *n)
{
	size_t len = n ? strnlen(n, 256) : 0;
	if (len == 0 || len > 255 || strcmp(n, "unknown") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)n[i] <= 0x20 || (unsigned char)n[i] >= 0x7f)
			return false;
	return true;
}

const char *mws_reporter(const mw_msg_facts *f, char buf[MW_IP_TEXT_MAX])
{
	if (plain_host(f->client_name))
		return f->client_name;
	if (f->has_client_ip) {
		mw_ip_format(&f->client_ip, buf);
		return buf;
	}
	return "unknown";
}

/* -- replies ---------------------------------------------------------- */

mw_status mws_reply(mw_verdict *v, mw_verdict_kind kind, const char *code,
		    const char *xcode, const char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mw_status rc = mw_verdict_vreply(v, kind, code, xcode, reason, fmt, ap);
	va_end(ap);
	return rc;
}

const char *mws_reply_addr(mw_verdict *v, const char *address)
{
	size_t n = strlen(address);
	if (n <= MW_SHIELD_REPLY_ADDR_MAX)
		return address;
	char *s = mw_arena_alloc(&v->arena, MW_SHIELD_REPLY_ADDR_MAX + 4);
	if (!s)
		return "(address)";
	memcpy(s, address, MW_SHIELD_REPLY_ADDR_MAX - 3);
	memcpy(s + MW_SHIELD_REPLY_ADDR_MAX - 3, "...", 4);
	return s;
}

mw_status mws_fail_action(const mw_shield *sh, mw_verdict *v, mw_status rc,
			  const char *what, bool eom)
{
	bool tempfail = sh->cfg->milter_failure_action == MW_CFG_FAIL_TEMPFAIL;
	mw_warn("shield: failure at %s (%s): %s", what, mw_status_str(rc),
		tempfail ? "tempfail" : "accepting");
	if (!tempfail) {
		v->kind = eom ? MW_VERDICT_ACCEPT : MW_VERDICT_CONTINUE;
		v->reason = "store unavailable, accepted";
		return MW_OK;
	}
	v->new_sender = NULL;
	v->ndel_rcpts = v->nadd_rcpts = v->nadd_headers = 0;
	return mws_reply(v, MW_VERDICT_TEMPFAIL, "451", "4.3.0",
			 "store unavailable, tempfail",
			 "Temporary failure: mail state is unavailable, "
			 "try again later");
}

mw_status mws_add_header(mw_verdict *v, const char *name, const char *value)
{
	mw_header_add *h =
	    mw_arena_grow(&v->arena, (void *)(uintptr_t)v->add_headers,
			  v->nadd_headers, v->nadd_headers + 1, sizeof *h);
	char *val = mw_arena_strdup(&v->arena, value);
	if (!h || !val)
		return MW_ENOMEM;
	h[v->nadd_headers].name = name;
	h[v->nadd_headers].value = val;
	v->add_headers = h;
	v->nadd_headers++;
	return MW_OK;
}

/* -- stages ----------------------------------------------------------- */

bool mw_shield_wants_content(mw_shield *sh, const mw_msg_facts *f)
{
	if (f->outbound || sh->cfg->batv_mode == MW_CFG_BATV_OFF ||
	    !mws_is_bounce_sender(f->sender))
		return false;
	for (size_t i = 0; i < f->nrcpts; i++) {
		const char *r = f->rcpts[i];
		if (!r)
			continue;
		mw_batv_tag tag;
		if (mw_batv_parse(mw_str_from_cstr(r), &tag) ==
			MW_BATV_UNTAGGED &&
		    mws_is_local(sh, r))
			return true;
	}
	return false;
}

mw_status mw_shield_eom(mw_shield *sh, const mw_msg_facts *f, mw_verdict *v)
{
	return f->outbound ? mws_eom_outbound(sh, f, v)
			   : mws_eom_inbound(sh, f, v);
}
