/*
 * store_read.c - reads that see the caller's own writes: each copies the
 * pending ops of its key from the queue, asks the backend, and adds the
 * ops the backend's snapshot does not hold yet (store_impl.h says why
 * that order is exact).
 *
 * When no op of the key is pending the backend is asked without a
 * snapshot sequence number, which saves it a transaction: the common case
 * on the message path.
 */
#include "store/store_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The snapshot's sequence number is needed only when ops are pending. */
static uint64_t *seq_wanted(const mw_store_pending *p, uint64_t *seq)
{
	*seq = 0;
	return p->n ? seq : NULL;
}

/* Orders of pending ops: by member or setting name, or by key; ties by
 * sequence, so the last of equals is the newest. */
static int cmp_seq(const mw_store_pending_op *a, const mw_store_pending_op *b)
{
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_by_key(const void *x, const void *y)
{
	const mw_store_pending_op *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : cmp_seq(a, b);
}

static int cmp_by_name(const void *x, const void *y)
{
	const mw_store_pending_op *a = x, *b = y;
	int c = strcmp(a->a, b->a);
	return c ? c : cmp_seq(a, b);
}

/* -- windows and distinct counts -------------------------------------- */

mw_status mw_store_counter_sum(mw_store *st, const char *key, time_t window,
			       time_t now, int64_t *sum)
{
	*sum = 0;
	if (!mw_store_valid_key(key) || !mw_store_valid_window(window) ||
	    !mw_store_valid_time(now))
		return MW_EINVAL;
	time_t width, from = mw_store_window_from(window, now, &width);
	mw_store_pending p;
	mw_store_pending_init(&p);
	uint64_t seq = 0;
	mw_status rc = mw_store_queue_pending(st, key, false, MW_OP_COUNTER_ADD,
					      MW_OP_COUNTER_ADD, &p);
	if (rc == MW_OK)
		rc = st->ops->counter_sum(st->backend, key, width, from,
					  seq_wanted(&p, &seq), sum);
	for (size_t i = 0; rc == MW_OK && i < p.n; i++)
		if (p.ops[i].seq > seq &&
		    mw_store_bucket_start(p.ops[i].t, width) >= from)
			*sum += p.ops[i].n;
	mw_store_pending_free(&p);
	return rc;
}

/* Keep, per member, only its newest op seen since `since`; returns how
 * many remain, sorted by member. */
static size_t unique_members(mw_store_pending *p, time_t since)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].t >= since)
			p->ops[n++] = p->ops[i];
	if (n > 1)
		qsort(p->ops, n, sizeof(*p->ops), cmp_by_name);
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && strcmp(p->ops[u - 1].a, p->ops[i].a) == 0)
			p->ops[u - 1] = p->ops[i]; /* later seq wins */
		else
			p->ops[u++] = p->ops[i];
	}
	p->n = u;
	return u;
}

mw_status mw_store_distinct_count(mw_store *st, const char *key, time_t window,
				  time_t now, uint64_t *count)
{
	*count = 0;
	if (!mw_store_valid_key(key) || !mw_store_valid_window(window) ||
	    !mw_store_valid_time(now))
		return MW_EINVAL;
	time_t since = now > window ? now - window : 0;
	mw_store_pending p;
	mw_store_pending_init(&p);
	mw_status rc = mw_store_queue_pending(
	    st, key, false, MW_OP_DISTINCT_ADD, MW_OP_DISTINCT_ADD, &p);
	size_t n = rc == MW_OK ? unique_members(&p, since) : 0;
	const char **members =
	    n ? mw_arena_calloc(&p.arena, n, sizeof(char *)) : NULL;
	bool *present = n ? mw_arena_calloc(&p.arena, n, sizeof(bool)) : NULL;
	if (n && (!members || !present))
		rc = MW_ENOMEM;
	for (size_t i = 0; rc == MW_OK && i < n; i++)
		members[i] = p.ops[i].a;
	uint64_t seq = 0;
	if (rc == MW_OK)
		rc = st->ops->distinct_count(st->backend, key, since, members,
					     n, present, seq_wanted(&p, &seq),
					     count);
	/* A member absent from the snapshot is new if its op is not in it. */
	for (size_t i = 0; rc == MW_OK && i < n; i++)
		if (!present[i] && p.ops[i].seq > seq)
			(*count)++;
	mw_store_pending_free(&p);
	return rc;
}

/* -- events ----------------------------------------------------------- */

/* Newest first: later time, then later append. */
static int cmp_event_desc(const void *x, const void *y)
{
	const mw_store_pending_op *a = x, *b = y;
	if (a->t != b->t)
		return a->t > b->t ? -1 : 1;
	return a->seq > b->seq ? -1 : a->seq < b->seq;
}

/* Keep the pending events the snapshot lacks and that are not expired,
 * newest first. */
static void select_new_events(mw_store_pending *p, uint64_t seq, time_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].seq > seq && p->ops[i].expires > now)
			p->ops[n++] = p->ops[i];
	p->n = n;
	if (n > 1)
		qsort(p->ops, n, sizeof(*p->ops), cmp_event_desc);
}

/* Merge the snapshot's events (out, newest first) with the pending ones;
 * at equal times a pending event is the later append. */
static mw_status merge_events(mw_store_list *out, const mw_store_pending *p,
			      size_t offset, size_t limit)
{
	size_t want = offset + limit, d = 0, k = 0, pos = 0, n = 0;
	mw_store_item *items =
	    limit ? mw_arena_calloc(&out->arena, limit, sizeof(*items)) : NULL;
	if (limit && !items)
		return MW_ENOMEM;
	while (pos < want && (d < out->n || k < p->n)) {
		bool take_pending =
		    k < p->n && (d == out->n || p->ops[k].t >= out->items[d].t);
		mw_store_item it;
		if (take_pending) {
			const mw_store_pending_op *op = &p->ops[k++];
			it = (mw_store_item){.t = op->t, .len = op->blen};
			if (pos >= offset) {
				it.value = mw_arena_strndup(&out->arena, op->b,
							    op->blen);
				if (!it.value)
					return MW_ENOMEM;
			}
		} else {
			it = out->items[d++];
		}
		if (pos++ >= offset)
			items[n++] = it;
	}
	out->items = items;
	out->n = n;
	return MW_OK;
}

mw_status mw_store_event_read(mw_store *st, const char *key, time_t now,
			      size_t offset, size_t limit, mw_store_list *out)
{
	mw_store_list_free(out);
	mw_store_list_init(out);
	if (!mw_store_valid_key(key) || !mw_store_valid_time(now) ||
	    offset > MW_STORE_READ_MAX || limit > MW_STORE_READ_MAX - offset)
		return MW_EINVAL;
	mw_store_pending p;
	mw_store_pending_init(&p);
	uint64_t seq = 0;
	mw_status rc = mw_store_queue_pending(
	    st, key, false, MW_OP_EVENT_APPEND, MW_OP_EVENT_APPEND, &p);
	if (rc == MW_OK)
		rc = st->ops->event_read(st->backend, key, now, offset + limit,
					 seq_wanted(&p, &seq), out);
	if (rc == MW_OK) {
		select_new_events(&p, seq, now);
		rc = merge_events(out, &p, offset, limit);
	}
	mw_store_pending_free(&p);
	if (rc != MW_OK) {
		mw_store_list_free(out);
		mw_store_list_init(out);
	}
	return rc;
}

/* -- settings --------------------------------------------------------- */

/* The newest pending op on `name` the snapshot lacks, or NULL. */
static const mw_store_pending_op *newest_for(const mw_store_pending *p,
					     const char *name, uint64_t seq)
{
	const mw_store_pending_op *best = NULL;
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].seq > seq && strcmp(p->ops[i].a, name) == 0 &&
		    (!best || p->ops[i].seq > best->seq))
			best = &p->ops[i];
	return best;
}

mw_status mw_store_setting_get(mw_store *st, const char *key, const char *name,
			       mw_buf *out, bool *found)
{
	*found = false;
	mw_buf_reset(out);
	if (!mw_store_valid_key(key) || !mw_store_valid_member(name))
		return MW_EINVAL;
	mw_store_pending p;
	mw_store_pending_init(&p);
	uint64_t seq = 0;
	mw_status rc = mw_store_queue_pending(st, key, false, MW_OP_SETTING_SET,
					      MW_OP_SETTING_DEL, &p);
	if (rc == MW_OK)
		rc = st->ops->setting_get(st->backend, key, name, out, found,
					  seq_wanted(&p, &seq));
	const mw_store_pending_op *op =
	    rc == MW_OK ? newest_for(&p, name, seq) : NULL;
	if (op) {
		mw_buf_reset(out);
		*found = op->kind == MW_OP_SETTING_SET;
		if (*found)
			rc = mw_buf_append(out, op->b, op->blen);
	}
	mw_store_pending_free(&p);
	return rc;
}

/* The field a settings list is ordered by. */
static const char *list_field(const mw_store_item *it, bool by_key)
{
	return by_key ? it->key : it->name;
}

static const char *op_field(const mw_store_pending_op *op, bool by_key)
{
	return by_key ? op->key : op->a;
}

/* Keep the newest op per name (or key) that the snapshot lacks, sorted. */
static void newest_per_field(mw_store_pending *p, uint64_t seq, bool by_key)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->ops[i].seq > seq)
			p->ops[n++] = p->ops[i];
	if (n > 1)
		qsort(p->ops, n, sizeof(*p->ops),
		      by_key ? cmp_by_key : cmp_by_name);
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && strcmp(op_field(&p->ops[u - 1], by_key),
				op_field(&p->ops[i], by_key)) == 0)
			p->ops[u - 1] = p->ops[i];
		else
			p->ops[u++] = p->ops[i];
	}
	p->n = u;
}

static mw_status item_from_op(mw_store_list *out, const mw_store_pending_op *op,
			      mw_store_item *it)
{
	it->t = op->t;
	it->key = mw_arena_strdup(&out->arena, op->key);
	it->name = mw_arena_strdup(&out->arena, op->a);
	it->value = mw_arena_strndup(&out->arena, op->b, op->blen);
	it->len = op->blen;
	return it->key && it->name && it->value ? MW_OK : MW_ENOMEM;
}

/* Merge the snapshot's settings (sorted) with the pending changes (sorted,
 * one per name or key): a set replaces or adds, a delete removes. */
static mw_status merge_settings(mw_store_list *out, const mw_store_pending *p,
				bool by_key, size_t limit)
{
	mw_store_item *items =
	    limit ? mw_arena_calloc(&out->arena, limit, sizeof(*items)) : NULL;
	if (limit && !items)
		return MW_ENOMEM;
	size_t d = 0, k = 0, n = 0;
	while (n < limit && (d < out->n || k < p->n)) {
		int c = d == out->n ? 1
			: k == p->n ? -1
				    : strcmp(list_field(&out->items[d], by_key),
					     op_field(&p->ops[k], by_key));
		if (c < 0) {
			items[n++] = out->items[d++];
			continue;
		}
		if (c == 0)
			d++; /* replaced or deleted by the pending op */
		const mw_store_pending_op *op = &p->ops[k++];
		if (op->kind != MW_OP_SETTING_SET)
			continue;
		if (item_from_op(out, op, &items[n]) != MW_OK)
			return MW_ENOMEM;
		n++;
	}
	out->items = items;
	out->n = n;
	return MW_OK;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Drop pending ops that the list does not cover. */
static void filter_pending(mw_store_pending *p, const char *key,
			   const char *name, const char *name_prefix)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const mw_store_pending_op *op = &p->ops[i];
		if (key && strcmp(op->key, key) != 0)
			continue;
		if (name && strcmp(op->a, name) != 0)
			continue;
		if (name_prefix && !starts_with(op->a, name_prefix))
			continue;
		p->ops[n++] = *op;
	}
	p->n = n;
}

/* The common path of both list reads. */
static mw_status list_settings(mw_store *st, const char *key, const char *name,
			       const char *prefix, size_t limit,
			       mw_store_list *out)
{
	bool by_key = name != NULL; /* keys_with: ordered by key */
	mw_store_pending p;
	mw_store_pending_init(&p);
	uint64_t seq = 0;
	mw_status rc =
	    mw_store_queue_pending(st, by_key ? prefix : key, by_key,
				   MW_OP_SETTING_SET, MW_OP_SETTING_DEL, &p);
	filter_pending(&p, by_key ? NULL : key, name, by_key ? NULL : prefix);
	/* Pending deletes may hide up to p.n of the snapshot's rows. */
	size_t ask =
	    limit + (p.n < MW_STORE_READ_MAX ? p.n : MW_STORE_READ_MAX);
	if (rc == MW_OK && by_key)
		rc = st->ops->setting_keys_with(st->backend, prefix, name, ask,
						seq_wanted(&p, &seq), out);
	else if (rc == MW_OK)
		rc = st->ops->setting_list(st->backend, key, prefix, ask,
					   seq_wanted(&p, &seq), out);
	if (rc == MW_OK) {
		newest_per_field(&p, seq, by_key);
		rc = merge_settings(out, &p, by_key, limit);
	}
	mw_store_pending_free(&p);
	if (rc != MW_OK) {
		mw_store_list_free(out);
		mw_store_list_init(out);
	}
	return rc;
}

mw_status mw_store_setting_list(mw_store *st, const char *key,
				const char *name_prefix, size_t limit,
				mw_store_list *out)
{
	mw_store_list_free(out);
	mw_store_list_init(out);
	if (!mw_store_valid_key(key) || !name_prefix ||
	    (name_prefix[0] && !mw_store_valid_member(name_prefix)) ||
	    limit > MW_STORE_READ_MAX)
		return MW_EINVAL;
	return list_settings(st, key, NULL, name_prefix, limit, out);
}

mw_status mw_store_setting_keys_with(mw_store *st, const char *key_prefix,
				     const char *name, size_t limit,
				     mw_store_list *out)
{
	mw_store_list_free(out);
	mw_store_list_init(out);
	if (!key_prefix || (key_prefix[0] && !mw_store_valid_key(key_prefix)) ||
	    !mw_store_valid_member(name) || limit > MW_STORE_READ_MAX)
		return MW_EINVAL;
	return list_settings(st, NULL, name, key_prefix, limit, out);
}

/* -- the sent log ----------------------------------------------------- */

mw_status mw_store_sent_lookup(mw_store *st, const char *message_id, time_t now,
			       mw_store_sent *out, bool *found)
{
	*found = false;
	memset(out, 0, sizeof(*out));
	if (!mw_store_valid_member(message_id) || !mw_store_valid_time(now))
		return MW_EINVAL;
	mw_store_pending p;
	mw_store_pending_init(&p);
	uint64_t seq = 0;
	mw_status rc = mw_store_queue_pending(
	    st, message_id, false, MW_OP_SENT_RECORD, MW_OP_SENT_RECORD, &p);
	if (rc == MW_OK)
		rc = st->ops->sent_lookup(st->backend, message_id, now, out,
					  found, seq_wanted(&p, &seq));
	const mw_store_pending_op *op = NULL;
	for (size_t i = 0; rc == MW_OK && i < p.n; i++)
		if (p.ops[i].seq > seq && (!op || p.ops[i].seq > op->seq))
			op = &p.ops[i];
	/* A pending record replaces the committed one when it commits. */
	if (op) {
		memset(out, 0, sizeof(*out));
		*found = op->expires > now;
		if (*found) {
			snprintf(out->sender, sizeof(out->sender), "%s", op->a);
			out->t = op->t;
		}
	}
	mw_store_pending_free(&p);
	return rc;
}
