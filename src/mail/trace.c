/*
 * trace.c - the delivery path of a message, from its Received: fields.
 *
 * The origin is a best reading, not proof. Every Received: field below the
 * ones our own servers added was written by someone we cannot check, and a
 * spammer can prepend any number of forged ones ("from [198.51.100.1] by
 * mx.bank.example"); the earliest hop with a public IP may then be one they
 * invented. Telling trusted hops from untrusted ones needs configuration
 * (trusted_networks, local host names) that this pure module does not
 * have; callers that know their own relays should walk hops from the
 * newest end and stop at the first hop their relays did not write.
 *
 * When more than MW_RECEIVED_MAX fields are present we keep the newest
 * ones: they were added nearest to us and are the least likely forged.
 */
#include "mail/received.h"

#include <string.h>

#include "lib/limits.h"
#include "lib/net.h"

static bool hop_ip(const mw_received *r, mw_ip *ip)
{
	return r->from_ip && mw_ip_parse(r->from_ip, strlen(r->from_ip), ip);
}

static bool hop_is_external(const mw_received *r)
{
	mw_ip ip;
	return hop_ip(r, &ip) && !mw_ip_is_internal(&ip);
}

static long find_origin(const mw_trace *t)
{
	mw_ip ip;

	for (size_t k = 0; k < t->nhops; k++)
		if (hop_is_external(&t->hops[k]))
			return (long)k;
	for (size_t k = 0; k < t->nhops; k++)
		if (hop_ip(&t->hops[k], &ip))
			return (long)k;
	return -1;
}

/* Authentication at the origin or at the nearest later hop that records
 * it, e.g. a webmail or a proxy that hands the message on over loopback
 * to the submission server. We stop at the next hop that came in from a
 * public address: the message has then crossed into another operator's
 * network, and an AUTH recorded there is that operator's relay logging in
 * to its smarthost, not the sender. */
static void find_origin_auth(mw_trace *t)
{
	for (size_t k = (size_t)t->origin; k < t->nhops; k++) {
		const mw_received *r = &t->hops[k];
		if (k > (size_t)t->origin && hop_is_external(r))
			return;
		if (r->authenticated) {
			t->origin_authenticated = true;
			t->origin_authenticated_as = r->authenticated_as;
			return;
		}
	}
}

mw_status mw_trace_build(mw_arena *a, const mw_headers *h, mw_trace *out)
{
	size_t i = 0, total = 0, k = 0;
	bool refused_before = a->refused;
	const mw_header_field *f;

	memset(out, 0, sizeof *out);
	out->origin = -1;
	while (mw_headers_next(h, "Received", &i))
		total++;
	if (total == 0)
		return MW_OK;
	if (total > MW_RECEIVED_MAX) {
		out->truncated = true;
		total = MW_RECEIVED_MAX;
	}
	out->hops = mw_arena_calloc(a, total, sizeof *out->hops);
	if (!out->hops)
		return MW_ENOMEM;
	out->nhops = total;
	i = 0;
	/* Fields stand newest first; hops are returned origin first. */
	while (k < total && (f = mw_headers_next(h, "Received", &i)) != NULL) {
		mw_received_parse(a, f->value, f->value_len,
				  &out->hops[total - 1 - k]);
		k++;
	}
	out->origin = find_origin(out);
	if (out->origin >= 0) {
		out->origin_ip = out->hops[out->origin].from_ip;
		find_origin_auth(out);
	}
	if (!refused_before && a->refused)
		return MW_ENOMEM;
	return out->truncated ? MW_ETRUNCATED : MW_OK;
}
