/* test_net.c - IP parsing, CIDR matching, internal ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lib/net.h"

static mw_ip ip_of(const char *s)
{
	mw_ip ip;
	assert_true(mw_ip_parse(s, strlen(s), &ip));
	return ip;
}

static void test_parses_v4_and_v6_canonically(void **state)
{
	(void)state;
	char text[MW_IP_TEXT_MAX];
	mw_ip ip = ip_of("192.0.2.1");
	assert_int_equal(ip.family, 4);
	mw_ip_format(&ip, text);
	assert_string_equal(text, "192.0.2.1");
	ip = ip_of("2001:DB8:0:0:0:0:0:1");
	assert_int_equal(ip.family, 6);
	mw_ip_format(&ip, text);
	assert_string_equal(text, "2001:db8::1");
}

static void test_v4_mapped_v6_is_v4(void **state)
{
	(void)state;
	mw_ip a = ip_of("::ffff:198.51.100.7"), b = ip_of("198.51.100.7");
	assert_int_equal(a.family, 4);
	assert_true(mw_ip_equal(&a, &b));
}

static void test_rejects_junk_and_ambiguous_forms(void **state)
{
	(void)state;
	mw_ip ip;
	const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4",
			     "1.2.3.4 ", "fe80::1%eth0", "::g", "hello"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(mw_ip_parse(bad[i], strlen(bad[i]), &ip));
	char big[100];
	memset(big, '1', sizeof big);
	assert_false(mw_ip_parse(big, sizeof big, &ip));
}

static void test_cidr_contains(void **state)
{
	(void)state;
	mw_cidr net;
	assert_true(mw_cidr_parse("203.0.113.0/24", 14, &net));
	mw_ip in = ip_of("203.0.113.200"), out = ip_of("203.0.114.1");
	assert_true(mw_cidr_contains(&net, &in));
	assert_false(mw_cidr_contains(&net, &out));
	assert_true(mw_cidr_parse("2001:db8::/32", 13, &net));
	mw_ip v6 = ip_of("2001:db8:ffff::1"), v6out = ip_of("2001:db9::1");
	assert_true(mw_cidr_contains(&net, &v6));
	assert_false(mw_cidr_contains(&net, &v6out));
	assert_false(mw_cidr_contains(&net, &in));
	assert_true(mw_cidr_parse("10.1.2.3/9", 10, &net));
	mw_ip ten = ip_of("10.127.0.1");
	assert_true(mw_cidr_contains(&net, &ten));
	assert_true(mw_cidr_parse("0.0.0.0/0", 9, &net));
	assert_true(mw_cidr_contains(&net, &out));
}

static void test_cidr_rejects_bad_prefixes(void **state)
{
	(void)state;
	mw_cidr net;
	assert_false(mw_cidr_parse("192.0.2.0/33", 12, &net));
	assert_false(mw_cidr_parse("192.0.2.0/", 10, &net));
	assert_false(mw_cidr_parse("192.0.2.0/2x", 12, &net));
	assert_false(mw_cidr_parse("2001:db8::/129", 14, &net));
}

static void test_internal_ranges(void **state)
{
	(void)state;
	const char *internal[] = {"127.0.0.1", "10.0.0.5", "172.16.9.9",
				  "192.168.1.1", "::1", "fd00::1", "fe80::1",
				  "100.64.0.1"};
	const char *external[] = {"192.0.2.1", "198.51.100.1", "8.8.8.8",
				  "2001:db8::1", "172.32.0.1"};
	for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++) {
		mw_ip ip = ip_of(internal[i]);
		assert_true(mw_ip_is_internal(&ip));
	}
	for (size_t i = 0; i < sizeof external / sizeof external[0]; i++) {
		mw_ip ip = ip_of(external[i]);
		assert_false(mw_ip_is_internal(&ip));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parses_v4_and_v6_canonically),
		cmocka_unit_test(test_v4_mapped_v6_is_v4),
		cmocka_unit_test(test_rejects_junk_and_ambiguous_forms),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_cidr_rejects_bad_prefixes),
		cmocka_unit_test(test_internal_ranges),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
