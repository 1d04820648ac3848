/*
 * net.h - IPv4 and IPv6 addresses and CIDR networks, as values.
 *
 * Contract: parsing is strict about the text it is given (no trailing junk,
 * no leading zeros that change meaning in inet_aton, no scope ids) and takes
 * a length, so it works on slices of headers. IPv4-mapped IPv6 addresses
 * (::ffff:192.0.2.1) compare equal to their IPv4 form, because Postfix and
 * Dovecot report a v4 client either way depending on the listener.
 */
#ifndef MW_LIB_NET_H
#define MW_LIB_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mw_ip {
	uint8_t family;	  /* 4 or 6 */
	uint8_t addr[16]; /* v4 in the first 4 bytes */
} mw_ip;

typedef struct mw_cidr {
	mw_ip net;
	uint8_t prefix; /* 0..32 or 0..128 */
} mw_cidr;

/* Text length enough for any address mw_ip_format writes, with its NUL. */
#define MW_IP_TEXT_MAX 46

bool mw_ip_parse(const char *s, size_t n, mw_ip *out);
/* "192.0.2.0/24", "2001:db8::/32"; a bare address is a /32 or /128. */
bool mw_cidr_parse(const char *s, size_t n, mw_cidr *out);
bool mw_cidr_contains(const mw_cidr *net, const mw_ip *ip);
bool mw_ip_equal(const mw_ip *a, const mw_ip *b);
/* Loopback, private (RFC 1918, ULA), link-local, CGNAT or unspecified:
 * addresses that say nothing about where a message came from. */
bool mw_ip_is_internal(const mw_ip *ip);
/* Canonical text (RFC 5952 for v6) into out[MW_IP_TEXT_MAX]. */
void mw_ip_format(const mw_ip *ip, char out[MW_IP_TEXT_MAX]);

#endif
