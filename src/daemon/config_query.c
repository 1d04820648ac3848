/*
 * config_query.c - the questions the milter and the guard ask of a
 * configuration on every session and every recipient.
 *
 * They run on the message path, so they allocate nothing: a domain is
 * lower-cased into a stack buffer and found by binary search in the
 * sorted list the parser made; networks and daemon names are a handful
 * and are scanned.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon/config_int.h"

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* Is name (any case, one trailing dot allowed) in the sorted list? */
static bool in_sorted(const mw_cfg_strings *list, mw_str name)
{
	if (name.n > 0 && name.p[name.n - 1] == '.')
		name.n--;
	char key[MW_ADDRESS_DOMAIN_MAX + 1];
	if (name.n == 0 || name.n > MW_ADDRESS_DOMAIN_MAX || list->n == 0)
		return false;
	for (size_t i = 0; i < name.n; i++)
		key[i] = (char)mw_lower((unsigned char)name.p[i]);
	key[name.n] = '\0';
	if (strlen(key) != name.n)
		return false; /* a NUL inside: never a domain */
	return bsearch(key, list->v, list->n, sizeof *list->v, cmp_key) != NULL;
}

bool mw_config_is_local_domain(const mw_config *cfg, mw_str domain)
{
	return in_sorted(&cfg->local_domains, domain);
}

bool mw_config_is_local_address(const mw_config *cfg, mw_str address)
{
	for (size_t i = address.n; i-- > 0;)
		if (address.p[i] == '@')
			return mw_config_is_local_domain(
			    cfg,
			    mw_str_make(address.p + i + 1, address.n - i - 1));
	return false;
}

bool mw_config_is_our_hostname(const mw_config *cfg, mw_str host)
{
	return in_sorted(&cfg->our_hostnames, host);
}

bool mw_config_is_trusted(const mw_config *cfg, const mw_ip *ip)
{
	for (size_t i = 0; i < cfg->trusted_networks.n; i++)
		if (mw_cidr_contains(&cfg->trusted_networks.v[i], ip))
			return true;
	return false;
}

bool mw_config_is_outbound_daemon(const mw_config *cfg, mw_str name)
{
	for (size_t i = 0; i < cfg->outbound_daemon_names.n; i++)
		if (mw_str_eq(name, mw_str_from_cstr(
					cfg->outbound_daemon_names.v[i])))
			return true;
	return false;
}
