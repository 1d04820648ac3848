/*
 * addr_state.c - reading and writing an address's state in the store.
 */
#include "shield/addr_state.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/limits.h"
#include "lib/log.h"
#include "lib/str.h"

static const char *const state_names[] = {
    [MW_ADDR_ACTIVE] = "active",
    [MW_ADDR_RETIRED] = "retired",
    [MW_ADDR_RECEIVE_ONLY] = "receive-only",
};
#define NSTATES (sizeof state_names / sizeof state_names[0])

const char *mw_addr_state_name(mw_addr_state s)
{
	return (size_t)s < NSTATES ? state_names[s] : "active";
}

bool mw_addr_state_parse(const char *s, mw_addr_state *out)
{
	if (!s)
		return false;
	for (size_t i = 0; i < NSTATES; i++) {
		if (mw_str_ieq_cstr(mw_str_from_cstr(s), state_names[i])) {
			*out = (mw_addr_state)i;
			return true;
		}
	}
	return false;
}

static mw_status addr_key(char key[MW_STORE_KEY_MAX + 1], const char *address)
{
	if (!address || !address[0])
		return MW_EINVAL;
	mw_status rc = mw_store_key(key, MW_STORE_KEY_MAX + 1, MW_ADDR_STATE_NS,
				    address, NULL);
	return rc == MW_ETOOBIG ? MW_EINVAL : rc;
}

mw_status mw_addr_state_get(mw_store *st, const char *address,
			    mw_addr_state *out)
{
	*out = MW_ADDR_ACTIVE;
	char key[MW_STORE_KEY_MAX + 1];
	mw_status rc = addr_key(key, address);
	if (rc)
		return rc;
	mw_buf val;
	mw_buf_init(&val, MW_STORE_VALUE_MAX);
	bool found = false;
	rc = mw_store_setting_get(st, key, MW_ADDR_STATE_SETTING, &val, &found);
	if (rc == MW_OK && found &&
	    !mw_addr_state_parse(mw_buf_cstr(&val), out))
		mw_warn(
		    "store: %s has unknown state \"%.40s\"; taken as active",
		    key, mw_buf_cstr(&val));
	mw_buf_free(&val);
	return rc;
}

mw_status mw_addr_state_set(mw_store *st, const char *address, mw_addr_state s,
			    time_t now)
{
	char key[MW_STORE_KEY_MAX + 1];
	mw_status rc = addr_key(key, address);
	if (rc)
		return rc;
	if (s == MW_ADDR_ACTIVE)
		return mw_store_setting_del(st, key, MW_ADDR_STATE_SETTING,
					    now);
	if ((size_t)s >= NSTATES)
		return MW_EINVAL;
	return mw_store_setting_set(st, key, MW_ADDR_STATE_SETTING,
				    state_names[s], now);
}

mw_status mw_addr_state_list(mw_store *st, size_t limit, mw_store_list *out)
{
	return mw_store_setting_keys_with(st, MW_ADDR_STATE_NS ":",
					  MW_ADDR_STATE_SETTING, limit, out);
}
