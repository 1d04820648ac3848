/*
 * test_geo.c - country and ASN lookups over the test databases of
 * tests/data/geoip (the map is in its README.md): each range, IPv6,
 * addresses in no range, no database, broken and missing files, hostile
 * values in a database, and lookups from several threads at once.
 *
 * The databases come from MW_TEST_GEOIP_DIR when it is set; otherwise the
 * test runs tests/data/geoip/build.sh build/tests/geoip (cwd = repo root),
 * which does nothing when they are up to date.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/geo.h"

#define DEFAULT_DIR "build/tests/geoip"

static char g_dir[512];
static char g_country[600];
static char g_asn[600];
static mw_geo *g_geo; /* both databases, shared by the cases */

static int setup_databases(void **state)
{
	(void)state;
	const char *dir = getenv("MW_TEST_GEOIP_DIR");
	if (dir == NULL || dir[0] == '\0') {
		dir = DEFAULT_DIR;
		if (system("tests/data/geoip/build.sh " DEFAULT_DIR) != 0) {
			fprintf(stderr, "test_geo: tests/data/geoip/build.sh "
					"failed (run from the repo root)\n");
			return -1;
		}
	}
	snprintf(g_dir, sizeof g_dir, "%s", dir);
	snprintf(g_country, sizeof g_country, "%s/country.mmdb", g_dir);
	snprintf(g_asn, sizeof g_asn, "%s/asn.mmdb", g_dir);
	char err[512];
	if (mw_geo_open(g_country, g_asn, &g_geo, err, sizeof err) != MW_OK) {
		fprintf(stderr, "test_geo: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown_databases(void **state)
{
	(void)state;
	mw_geo_close(g_geo);
	g_geo = NULL;
	return 0;
}

static mw_ip ip_of(const char *s)
{
	mw_ip ip;
	assert_true(mw_ip_parse(s, strlen(s), &ip));
	return ip;
}

static mw_geo_info lookup_in(const mw_geo *g, const char *addr)
{
	mw_geo_info info;
	mw_ip ip = ip_of(addr);
	memset(&info, 'x', sizeof info); /* the lookup must set every field */
	mw_geo_lookup(g, &ip, &info);
	return info;
}

static mw_geo_info lookup(const char *addr)
{
	return lookup_in(g_geo, addr);
}

struct expect {
	const char *addr;
	const char *country;
	uint32_t asn;
	const char *org;
};

static void check_table(const struct expect *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mw_geo_info info = lookup(t[i].addr);
		if (strcmp(info.country, t[i].country) != 0 ||
		    info.asn != t[i].asn || strcmp(info.asn_org, t[i].org) != 0)
			fail_msg("%s: got %s AS%u \"%s\", want %s AS%u \"%s\"",
				 t[i].addr, info.country, (unsigned)info.asn,
				 info.asn_org, t[i].country, (unsigned)t[i].asn,
				 t[i].org);
	}
}

/* Every v4 range at its first and last address, so an off-by-one split
 * shows. */
static const struct expect v4_map[] = {
    {"192.0.2.0", "JP", 64500, "Example JP Net"},
    {"192.0.2.255", "JP", 64500, "Example JP Net"},
    {"198.51.100.0", "US", 64501, "Example US Net"},
    {"198.51.100.127", "US", 64501, "Example US Net"},
    {"198.51.100.128", "DE", 64502, "Example DE Net"},
    {"198.51.100.255", "DE", 64502, "Example DE Net"},
    {"203.0.113.0", "CN", 64503, "Example CN Net"},
    {"203.0.113.63", "CN", 64503, "Example CN Net"},
    {"203.0.113.64", "RU", 64504, "Example RU Net"},
    {"203.0.113.127", "RU", 64504, "Example RU Net"},
    {"203.0.113.128", "BR", 64505, "Example BR Net"},
    {"203.0.113.191", "BR", 64505, "Example BR Net"},
    {"203.0.113.192", "KR", 64506, "Example KR Net"},
    {"203.0.113.255", "KR", 64506, "Example KR Net"},
};

static const struct expect v6_map[] = {
    {"2001:db8::", "JP", 64500, "Example JP Net"},
    {"2001:db8:3fff:ffff:ffff:ffff:ffff:ffff", "JP", 64500, "Example JP Net"},
    {"2001:db8:4000::", "US", 64501, "Example US Net"},
    {"2001:db8:7fff::1", "US", 64501, "Example US Net"},
    {"2001:db8:8000::", "FR", 64507, "Example FR Net"},
    {"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "FR", 64507, "Example FR Net"},
};

static void test_documentation_v4_ranges_give_country_and_asn(void **state)
{
	(void)state;
	check_table(v4_map, sizeof v4_map / sizeof v4_map[0]);
}

static void test_documentation_v6_ranges_give_country_and_asn(void **state)
{
	(void)state;
	check_table(v6_map, sizeof v6_map / sizeof v6_map[0]);
}

static void test_loopback_is_home_in_the_test_map(void **state)
{
	(void)state;
	static const struct expect t[] = {
	    {"127.0.0.1", "JP", 64500, "Example JP Net"},
	    {"127.255.255.254", "JP", 64500, "Example JP Net"},
	};
	check_table(t, sizeof t / sizeof t[0]);
}

/* Dovecot may report a v4 client as ::ffff:a.b.c.d; unparsed bytes of
 * that form must reach the v4 data too (the writer aliases ::ffff:0:0/96). */
static void test_v4_mapped_v6_address_finds_the_v4_range(void **state)
{
	(void)state;
	mw_geo_info info = lookup("::ffff:203.0.113.70");
	assert_string_equal(info.country, "RU");
	assert_int_equal(info.asn, 64504);

	mw_ip raw = {.family = 6};
	memset(raw.addr + 10, 0xff, 2);
	memcpy(raw.addr + 12, (const uint8_t[]){192, 0, 2, 9}, 4);
	mw_geo_lookup(g_geo, &raw, &info);
	assert_string_equal(info.country, "JP");
	assert_int_equal(info.asn, 64500);
}

static void test_address_in_no_range_is_unknown(void **state)
{
	(void)state;
	static const char *const addrs[] = {"8.8.8.8", "10.1.2.3", "192.0.3.0",
					    "2001:db9::1", "::1"};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		mw_geo_info info = lookup(addrs[i]);
		assert_string_equal(info.country, "");
		assert_int_equal(info.asn, 0);
		assert_string_equal(info.asn_org, "");
	}
}

static void test_unknown_address_family_is_unknown(void **state)
{
	(void)state;
	mw_ip ip = {.family = 0};
	mw_geo_info info;
	memset(&info, 'x', sizeof info);
	mw_geo_lookup(g_geo, &ip, &info);
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 0);
	assert_string_equal(info.asn_org, "");
}

static void test_no_database_gives_unknown_without_error(void **state)
{
	(void)state;
	mw_geo *g = NULL;
	char err[256] = "unchanged";
	assert_int_equal(mw_geo_open(NULL, "", &g, err, sizeof err), MW_OK);
	assert_non_null(g);
	assert_string_equal(err, "");
	assert_false(mw_geo_has_country(g));
	assert_false(mw_geo_has_asn(g));
	mw_geo_info info = lookup_in(g, "192.0.2.1");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 0);
	assert_string_equal(info.asn_org, "");
	mw_geo_close(g);

	info = lookup_in(NULL, "192.0.2.1");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 0);
	mw_geo_close(NULL);
}

static void test_one_database_leaves_the_other_half_unknown(void **state)
{
	(void)state;
	mw_geo *g = NULL;
	char err[256];
	assert_int_equal(mw_geo_open(NULL, g_asn, &g, err, sizeof err), MW_OK);
	assert_false(mw_geo_has_country(g));
	assert_true(mw_geo_has_asn(g));
	mw_geo_info info = lookup_in(g, "198.51.100.200");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 64502);
	assert_string_equal(info.asn_org, "Example DE Net");
	mw_geo_close(g);

	assert_int_equal(mw_geo_open(g_country, NULL, &g, err, sizeof err),
			 MW_OK);
	info = lookup_in(g, "198.51.100.200");
	assert_string_equal(info.country, "DE");
	assert_int_equal(info.asn, 0);
	assert_string_equal(info.asn_org, "");
	mw_geo_close(g);
}

/* An admin who swaps the two keys gets unknowns, not garbage. */
static void test_swapped_databases_give_unknown(void **state)
{
	(void)state;
	mw_geo *g = NULL;
	char err[256];
	assert_int_equal(mw_geo_open(g_asn, g_country, &g, err, sizeof err),
			 MW_OK);
	mw_geo_info info = lookup_in(g, "192.0.2.1");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 0);
	assert_string_equal(info.asn_org, "");
	mw_geo_close(g);
}

static void test_missing_file_is_an_error_naming_it(void **state)
{
	(void)state;
	const char *path = "/nonexistent/mw-test/GeoLite2-Country.mmdb";
	mw_geo *g = (mw_geo *)&g; /* must be reset to NULL */
	char err[512];
	assert_int_equal(mw_geo_open(path, g_asn, &g, err, sizeof err), MW_EIO);
	assert_null(g);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "geoip_country_db"));
	assert_non_null(strstr(err, "No such file"));

	assert_int_equal(mw_geo_open(g_country, path, &g, err, sizeof err),
			 MW_EIO);
	assert_null(g);
	assert_non_null(strstr(err, "geoip_asn_db"));
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	char *data = malloc((size_t)len);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return data;
}

static void expect_not_mmdb(const char *path)
{
	mw_geo *g = NULL;
	char err[512];
	assert_int_equal(mw_geo_open(NULL, path, &g, err, sizeof err),
			 MW_EINVAL);
	assert_null(g);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a MaxMind DB"));
}

static void test_file_that_is_not_mmdb_is_an_error(void **state)
{
	(void)state;
	char path[] = "/tmp/mw-test-geo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	const char text[] = "# GeoIP.conf\nAccountID 0\nLicenseKey x\n";
	write_file(path, text, sizeof text - 1);
	expect_not_mmdb(path);

	/* the first half of a real database: its metadata is at the end */
	size_t n;
	char *db = read_file(g_country, &n);
	write_file(path, db, n / 2);
	expect_not_mmdb(path);
	free(db);

	write_file(path, "", 0);
	mw_geo *g = NULL;
	char err[512];
	assert_true(mw_geo_open(path, NULL, &g, err, sizeof err) < 0);
	assert_null(g);
	assert_non_null(strstr(err, path));
	unlink(path);
}

static void test_directory_is_an_error(void **state)
{
	(void)state;
	mw_geo *g = NULL;
	char err[512];
	assert_int_equal(mw_geo_open("/tmp", NULL, &g, err, sizeof err),
			 MW_EINVAL);
	assert_null(g);
	assert_string_equal(err, "geoip_country_db: /tmp: not a regular file");
}

static void test_registered_country_is_the_fallback(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.1");
	assert_string_equal(info.country, "SG");
}

static void test_lower_case_country_code_is_upper_cased(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.65");
	assert_string_equal(info.country, "JP");
}

static void test_country_code_not_two_letters_is_unknown(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.129");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 64512);
	assert_string_equal(info.asn_org, ""); /* the record has none */
}

static void test_control_characters_in_organisation_become_spaces(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.2");
	assert_int_equal(info.asn, 64510);
	assert_string_equal(info.asn_org, "Ctl Org  X-Injected: yes ");
}

static void test_long_organisation_is_cut_on_a_character_boundary(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.100");
	assert_int_equal(info.asn, 64511);
	/* 300 x U+3042 (3 bytes each): 42 whole characters fit in 127,
	 * and the 43rd, which would need bytes 126..128, is left out */
	assert_int_equal(MW_GEO_ORG_MAX, 127);
	assert_int_equal(strlen(info.asn_org), 126);
	for (size_t i = 0; i < 126; i += 3)
		assert_memory_equal(info.asn_org + i, "\xE3\x81\x82", 3);
}

static void test_long_ascii_organisation_fills_the_limit_exactly(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.170");
	assert_string_equal(info.country, "");
	assert_int_equal(info.asn, 64514);
	assert_int_equal(strlen(info.asn_org), MW_GEO_ORG_MAX);
	assert_int_equal(strspn(info.asn_org, "A"), MW_GEO_ORG_MAX);
}

static void test_ipinfo_lite_layout_is_read(void **state)
{
	(void)state;
	mw_geo_info info = lookup("233.252.0.200");
	assert_string_equal(info.country, "AU");
	assert_int_equal(info.asn, 64513);
	assert_string_equal(info.asn_org, "Example IPinfo Net");
}

/* A database whose organisation string holds a byte that is not UTF-8:
 * made by patching a copy of asn.mmdb in place. */
static void test_invalid_utf8_in_organisation_is_replaced(void **state)
{
	(void)state;
	size_t n;
	char *db = read_file(g_asn, &n);
	char *hit = memmem(db, n, "Example BR Net", 14);
	assert_non_null(hit);
	hit[8] = (char)0xFF; /* the 'B' */
	char path[] = "/tmp/mw-test-geo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, db, n);
	free(db);

	mw_geo *g = NULL;
	char err[512];
	assert_int_equal(mw_geo_open(NULL, path, &g, err, sizeof err), MW_OK);
	mw_geo_info info = lookup_in(g, "203.0.113.130");
	assert_int_equal(info.asn, 64505);
	assert_string_equal(info.asn_org, "Example \xEF\xBF\xBDR Net");
	mw_geo_close(g);
	unlink(path);
}

static void test_format_asn(void **state)
{
	(void)state;
	char text[MW_GEO_ASN_TEXT_MAX];
	mw_geo_format_asn(64500, text);
	assert_string_equal(text, "AS64500");
	mw_geo_format_asn(UINT32_MAX, text);
	assert_string_equal(text, "AS4294967295");
	mw_geo_format_asn(0, text);
	assert_string_equal(text, "");
}

#define THREADS 8
#define ROUNDS 5000

static void *lookup_worker(void *arg)
{
	size_t seed = (size_t)(uintptr_t)arg, bad = 0;
	for (size_t r = 0; r < ROUNDS; r++) {
		const struct expect *e;
		size_t k = (seed + r) % (sizeof v4_map / sizeof v4_map[0] +
					 sizeof v6_map / sizeof v6_map[0]);
		if (k < sizeof v4_map / sizeof v4_map[0])
			e = &v4_map[k];
		else
			e = &v6_map[k - sizeof v4_map / sizeof v4_map[0]];
		mw_ip ip;
		mw_geo_info info;
		if (!mw_ip_parse(e->addr, strlen(e->addr), &ip)) {
			bad++;
			continue;
		}
		mw_geo_lookup(g_geo, &ip, &info);
		if (strcmp(info.country, e->country) != 0 ||
		    info.asn != e->asn || strcmp(info.asn_org, e->org) != 0)
			bad++;
	}
	return (void *)(uintptr_t)bad;
}

static void test_concurrent_lookups_agree(void **state)
{
	(void)state;
	pthread_t t[THREADS];
	for (size_t i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, lookup_worker,
						(void *)(uintptr_t)(i * 7)),
				 0);
	size_t bad = 0;
	for (size_t i = 0; i < THREADS; i++) {
		void *ret;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		bad += (size_t)(uintptr_t)ret;
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documentation_v4_ranges_give_country_and_asn),
	    cmocka_unit_test(test_documentation_v6_ranges_give_country_and_asn),
	    cmocka_unit_test(test_loopback_is_home_in_the_test_map),
	    cmocka_unit_test(test_v4_mapped_v6_address_finds_the_v4_range),
	    cmocka_unit_test(test_address_in_no_range_is_unknown),
	    cmocka_unit_test(test_unknown_address_family_is_unknown),
	    cmocka_unit_test(test_no_database_gives_unknown_without_error),
	    cmocka_unit_test(test_one_database_leaves_the_other_half_unknown),
	    cmocka_unit_test(test_swapped_databases_give_unknown),
	    cmocka_unit_test(test_missing_file_is_an_error_naming_it),
	    cmocka_unit_test(test_file_that_is_not_mmdb_is_an_error),
	    cmocka_unit_test(test_directory_is_an_error),
	    cmocka_unit_test(test_registered_country_is_the_fallback),
	    cmocka_unit_test(test_lower_case_country_code_is_upper_cased),
	    cmocka_unit_test(test_country_code_not_two_letters_is_unknown),
	    cmocka_unit_test(
		test_control_characters_in_organisation_become_spaces),
	    cmocka_unit_test(
		test_long_organisation_is_cut_on_a_character_boundary),
	    cmocka_unit_test(
		test_long_ascii_organisation_fills_the_limit_exactly),
	    cmocka_unit_test(test_ipinfo_lite_layout_is_read),
	    cmocka_unit_test(test_invalid_utf8_in_organisation_is_replaced),
	    cmocka_unit_test(test_format_asn),
	    cmocka_unit_test(test_concurrent_lookups_agree),
	};
	return cmocka_run_group_tests_name("geo", tests, setup_databases,
					   teardown_databases);
}
