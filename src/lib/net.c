/*
 * net.c - IP addresses and CIDR networks.
 *
 * inet_pton does the strict parsing (it refuses the octal and short forms
 * that inet_aton would take); we only bound the text and fold IPv4-mapped
 * IPv6 into IPv4, so one client has one identity whichever listener saw it.
 */
#include "lib/net.h"

#include <arpa/inet.h>
#include <string.h>

#include "lib/str.h"

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
					     0, 0, 0, 0, 0xff, 0xff};

bool mw_ip_parse(const char *s, size_t n, mw_ip *out)
{
	char text[MW_IP_TEXT_MAX];
	if (n == 0 || n >= sizeof text)
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	memset(out, 0, sizeof *out);
	if (memchr(text, ':', n)) {
		if (inet_pton(AF_INET6, text, out->addr) != 1)
			return false;
		if (memcmp(out->addr, v4_mapped_prefix, 12) == 0) {
			memmove(out->addr, out->addr + 12, 4);
			memset(out->addr + 4, 0, 12);
			out->family = 4;
		} else {
			out->family = 6;
		}
		return true;
	}
	if (inet_pton(AF_INET, text, out->addr) != 1)
		return false;
	out->family = 4;
	return true;
}

static void mask_to_prefix(mw_ip *ip, unsigned prefix)
{
	unsigned bytes = ip->family == 4 ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned bits = i * 8;
		if (bits >= prefix)
			ip->addr[i] = 0;
		else if (prefix - bits < 8)
			ip->addr[i] &= (uint8_t)(0xff << (8 - (prefix - bits)));
	}
}

bool mw_cidr_parse(const char *s, size_t n, mw_cidr *out)
{
	const char *slash = memchr(s, '/', n);
	size_t addr_len = slash ? (size_t)(slash - s) : n;
	if (!mw_ip_parse(s, addr_len, &out->net))
		return false;
	unsigned max = out->net.family == 4 ? 32 : 128;
	unsigned prefix = max;
	if (slash) {
		const char *p = slash + 1, *end = s + n;
		if (p == end || end - p > 3)
			return false;
		prefix = 0;
		for (; p < end; p++) {
			if (!mw_is_digit((unsigned char)*p))
				return false;
			prefix = prefix * 10 + (unsigned)(*p - '0');
		}
		/* A mapped v6 network ::ffff:a.b.c.d/120 is a v4 /24. */
		if (out->net.family == 4 && memchr(s, ':', addr_len)) {
			if (prefix < 96)
				return false;
			prefix -= 96;
		}
		if (prefix > max)
			return false;
	}
	out->prefix = (uint8_t)prefix;
	mask_to_prefix(&out->net, prefix);
	return true;
}

bool mw_cidr_contains(const mw_cidr *net, const mw_ip *ip)
{
	if (net->net.family != ip->family)
		return false;
	mw_ip masked = *ip;
	mask_to_prefix(&masked, net->prefix);
	return memcmp(masked.addr, net->net.addr, 16) == 0;
}

bool mw_ip_equal(const mw_ip *a, const mw_ip *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}

bool mw_ip_is_internal(const mw_ip *ip)
{
	static const char *const internal[] = {
	    "0.0.0.0/8",      "10.0.0.0/8",    "100.64.0.0/10",	 "127.0.0.0/8",
	    "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "::/128",
	    "::1/128",	      "fc00::/7",      "fe80::/10",
	};
	for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
		mw_cidr net;
		if (mw_cidr_parse(internal[i], strlen(internal[i]), &net) &&
		    mw_cidr_contains(&net, ip))
			return true;
	}
	return false;
}

void mw_ip_format(const mw_ip *ip, char out[MW_IP_TEXT_MAX])
{
	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, out,
		       MW_IP_TEXT_MAX))
		out[0] = '\0';
}
