/*
 * test_config.c - the configuration file: syntax, every value type good
 * and bad, the messages that name file, line and key, the bounds on
 * hostile files, the lookups the milter makes, and that the shipped
 * example and the documentation name every key at its default.
 *
 * Run from the repository root (scripts/run-tests.sh does): the last
 * tests read contrib/mailwarden.conf and docs/config.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batv/batv.h"
#include "daemon/config.h"
#include "lib/file.h"

/* 20 KiB: static rather than on cmocka's stack. */
static mw_config_errors errs;

static mw_config *parse_n(const char *text, size_t n)
{
	mw_config *cfg = (mw_config *)0x1;
	mw_status st =
	    mw_config_parse("t.conf", mw_str_make(text, n), &cfg, &errs);
	if (st != MW_OK)
		assert_null(cfg);
	return cfg;
}

static mw_config *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* The configuration from text, which must have no error. */
static mw_config *ok(const char *text)
{
	mw_config *cfg = parse(text);
	if (!cfg) {
		mw_config_errors_print(&errs, stderr);
		fail_msg("configuration refused: %s", text);
	}
	assert_int_equal(errs.errors, 0);
	return cfg;
}

/* Message i, formatted as check-config prints it. */
static const char *diag(size_t i)
{
	static char line[2 * MW_CONFIG_REASON_MAX + 256];
	mw_buf b;
	mw_buf_init(&b, sizeof line - 1);
	mw_config_diag_format(&errs, i, &b);
	snprintf(line, sizeof line, "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	return line;
}

/* text must be refused with exactly one error, want. */
static void refused(const char *text, const char *want)
{
	mw_config *cfg = parse(text);
	assert_null(cfg);
	if (errs.errors != 1 || strcmp(diag(0), want) != 0) {
		mw_config_errors_print(&errs, stderr);
		fail_msg("for %s\nwanted: %s", text, want);
	}
}

/* The effective value of key name in cfg. */
static const char *value_of(const mw_config *cfg, const char *name)
{
	static char text[MW_CONFIG_LINE_MAX];
	long i = mw_config_key_find(name);
	assert_true(i >= 0);
	mw_buf b;
	mw_buf_init(&b, sizeof text - 1);
	assert_int_equal(mw_config_value_text(cfg, (size_t)i, &b), MW_OK);
	snprintf(text, sizeof text, "%s", mw_buf_cstr(&b));
	mw_buf_free(&b);
	return text;
}

/* "name = value" read, and its canonical text. */
static void reads_as(const char *line, const char *name, const char *want)
{
	mw_config *cfg = ok(line);
	assert_string_equal(value_of(cfg, name), want);
	mw_config_free(cfg);
}

static mw_str S(const char *s)
{
	return mw_str_from_cstr(s);
}

static char *read_whole(const char *path)
{
	mw_buf b;
	bool cut;
	mw_buf_init(&b, (size_t)1 << 20);
	if (mw_file_read(path, b.max, &b, &cut) != MW_OK)
		fail_msg("cannot read %s (run the tests from the repository "
			 "root)",
			 path);
	char *s = strdup(mw_buf_cstr(&b));
	mw_buf_free(&b);
	return s;
}

static void write_file(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	       (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* -- defaults and the key table --------------------------------------- */

static void test_empty_file_gives_every_default(void **state)
{
	(void)state;
	mw_config *cfg = ok("");
	assert_string_equal(cfg->user, "mailwarden");
	assert_int_equal(cfg->log, MW_CFG_LOG_STDERR);
	assert_int_equal(cfg->log_level, MW_CFG_LOG_INFO);
	assert_int_equal(cfg->syslog_facility, MW_CFG_FACILITY_MAIL);
	assert_string_equal(cfg->state_dir, "/var/lib/mailwarden");
	assert_int_equal(cfg->store.kind, MW_CFG_STORE_SQLITE);
	assert_int_equal(cfg->store_timeout, 2);
	assert_int_equal(cfg->milter_socket.kind, MW_CFG_ENDPOINT_INET);
	assert_string_equal(cfg->milter_socket.host, "127.0.0.1");
	assert_int_equal(cfg->milter_socket.port, 8894);
	assert_int_equal(cfg->milter_timeout, 600);
	assert_int_equal(cfg->milter_max_connections, 1000);
	assert_int_equal(cfg->milter_failure_action, MW_CFG_FAIL_ACCEPT);
	assert_int_equal(cfg->http_listen.kind, MW_CFG_ENDPOINT_INET);
	assert_string_equal(cfg->http_listen.host, "127.0.0.1");
	assert_int_equal(cfg->http_listen.port, 8895);
	assert_int_equal(cfg->local_domains.n, 0);
	assert_int_equal(cfg->trusted_networks.n, 2);
	assert_int_equal(cfg->outbound_daemon_names.n, 1);
	assert_string_equal(cfg->outbound_daemon_names.v[0], "ORIGINATING");
	assert_int_equal(cfg->batv_mode, MW_CFG_BATV_TAG);
	assert_string_equal(cfg->batv_key_file, "/etc/mailwarden/batv.keys");
	assert_int_equal(cfg->batv_validity_days,
			 MW_BATV_VALIDITY_DAYS_DEFAULT);
	assert_int_equal(cfg->sent_log_days, 14);
	assert_int_equal(cfg->bounce_body_max, 1024 * 1024);
	assert_int_equal(cfg->flood_threshold, 30);
	assert_int_equal(cfg->flood_window, 3600);
	assert_true(cfg->digest);
	assert_null(cfg->digest_from);
	assert_string_equal(cfg->digest_smtp.host, "127.0.0.1");
	assert_int_equal(cfg->digest_smtp.port, 25);
	assert_int_equal(cfg->own_bounce_threshold, 20);
	assert_int_equal(cfg->admin_notify.n, 0);
	assert_null(cfg->geoip_country_db);
	assert_null(cfg->geoip_asn_db);
	assert_true(cfg->unlock_on_password_change);
	assert_null(cfg->breached_passwords_file);
	for (size_t i = 0; i < mw_config_key_count(); i++)
		assert_int_equal(mw_config_key_line(cfg, i), 0);
	assert_string_equal(cfg->source, "t.conf");
	mw_config_free(cfg);
}

static void test_empty_file_warns_that_nothing_is_protected(void **state)
{
	(void)state;
	mw_config *cfg = ok("");
	assert_int_equal(errs.errors, 0);
	assert_true(errs.warnings >= 1);
	assert_string_equal(diag(0), "t.conf: warning: key 'local_domains': "
				     "no local domain: mailwarden protects "
				     "no address");
	mw_config_free(cfg);
}

static void test_our_hostnames_defaults_to_this_host(void **state)
{
	(void)state;
	char host[256] = "";
	assert_int_equal(gethostname(host, sizeof host), 0);
	for (char *p = host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	mw_config *cfg = ok("");
	if (strchr(host, '_')) {
		assert_int_equal(cfg->our_hostnames.n, 0);
	} else {
		assert_int_equal(cfg->our_hostnames.n, 1);
		assert_string_equal(cfg->our_hostnames.v[0], host);
		assert_true(mw_config_is_our_hostname(cfg, S(host)));
	}
	mw_config_free(cfg);
}

/* Defaults are written in the table as a file would write them, and
 * canonically: reading "key = default" gives the default back. */
static void test_every_default_reads_back_as_itself(void **state)
{
	(void)state;
	mw_config *def = ok("");
	for (size_t i = 0; i < mw_config_key_count(); i++) {
		const char *name = mw_config_key_name(i);
		if (strcmp(name, "our_hostnames") == 0)
			continue;
		assert_string_equal(value_of(def, name),
				    mw_config_key_default(i));
		char line[512];
		snprintf(line, sizeof line, "%s = %s\n", name,
			 mw_config_key_default(i));
		mw_config *cfg = ok(line);
		assert_int_equal(mw_config_key_line(cfg, i), 1);
		assert_string_equal(value_of(cfg, name),
				    mw_config_key_default(i));
		mw_config_free(cfg);
	}
	mw_config_free(def);
}

static void test_key_table_is_well_formed(void **state)
{
	(void)state;
	size_t n = mw_config_key_count();
	assert_true(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const char *name = mw_config_key_name(i);
		assert_int_equal(mw_config_key_find(name), (long)i);
		assert_true(strlen(name) <= MW_CONFIG_KEYNAME_MAX);
		assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz_"),
				 strlen(name));
		assert_true(strlen(mw_config_key_doc(i)) > 10);
		assert_non_null(mw_config_key_type(i));
	}
	assert_int_equal(mw_config_key_find("no_such_key"), -1);
	assert_null(mw_config_key_name(n));
	/* The names DESIGN.md section 4 fixes. */
	static const char *const fixed[] = {"milter_socket",
					    "http_listen",
					    "state_dir",
					    "local_domains",
					    "trusted_networks",
					    "outbound_daemon_names",
					    "batv_key_file",
					    "batv_mode",
					    "geoip_country_db",
					    "geoip_asn_db",
					    "store",
					    "admin_notify"};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		assert_true(mw_config_key_find(fixed[i]) >= 0);
}

static void test_key_lines_say_where_each_key_was_set(void **state)
{
	(void)state;
	mw_config *cfg = ok("# a comment\n"
			    "\n"
			    "local_domains = example.jp\n"
			    "batv_mode = enforce\n");
	assert_int_equal(mw_config_key_line(
			     cfg, (size_t)mw_config_key_find("local_domains")),
			 3);
	assert_int_equal(
	    mw_config_key_line(cfg, (size_t)mw_config_key_find("batv_mode")),
	    4);
	assert_int_equal(
	    mw_config_key_line(cfg, (size_t)mw_config_key_find("store")), 0);
	mw_config_free(cfg);
}

/* -- syntax ----------------------------------------------------------- */

static void test_comments_are_whole_lines_only(void **state)
{
	(void)state;
	mw_config *cfg = ok("# comment\n"
			    "   # indented comment\n"
			    "#local_domains = commented.example\n"
			    "local_domains = example.jp\n");
	assert_int_equal(cfg->local_domains.n, 1);
	assert_string_equal(cfg->local_domains.v[0], "example.jp");
	mw_config_free(cfg);
	refused("local_domains = example.jp # ours\n",
		"t.conf:1: key 'local_domains': '#' is not a domain name: it "
		"contains '#', which a domain name may not ('#' starts a "
		"comment only at the start of a line)");
}

static void test_trailing_comment_on_a_path_gets_a_hint(void **state)
{
	(void)state;
	refused("state_dir = /var/lib/mw   # state\n",
		"t.conf:1: key 'state_dir': '/var/lib/mw   # state' contains "
		"a blank or a control character ('#' starts a comment only "
		"at the start of a line)");
}

static void test_dollar_references_are_not_expanded(void **state)
{
	(void)state;
	refused("our_hostnames = $myhostname\n",
		"t.conf:1: key 'our_hostnames': '$myhostname' is not a domain "
		"name: it contains '$', which a domain name may not (there is "
		"no $name expansion)");
}

static void test_continuation_lines_join_the_line_above(void **state)
{
	(void)state;
	mw_config *cfg = ok("local_domains = a.example,\n"
			    "    b.example\n"
			    "# a comment inside does not end the line\n"
			    "\n"
			    "\tc.example\n"
			    "batv_mode = off\n");
	assert_int_equal(cfg->local_domains.n, 3);
	assert_string_equal(cfg->local_domains.v[0], "a.example");
	assert_string_equal(cfg->local_domains.v[2], "c.example");
	assert_int_equal(cfg->batv_mode, MW_CFG_BATV_OFF);
	mw_config_free(cfg);
}

static void test_error_in_a_continued_line_names_its_first_line(void **state)
{
	(void)state;
	refused("batv_mode = off\n"
		"local_domains = a.example\n"
		"   b_c.example\n",
		"t.conf:2: key 'local_domains': 'b_c.example' is not a domain "
		"name: it contains '_', which a domain name may not");
}

static void test_continuation_with_nothing_above_is_an_error(void **state)
{
	(void)state;
	refused("  local_domains = a.example\n",
		"t.conf:1: line starts with a blank but there is no line "
		"above it to continue");
}

static void test_blanks_around_equals_are_optional(void **state)
{
	(void)state;
	mw_config *cfg = ok("batv_mode=enforce\nlog   =\tsyslog\n");
	assert_int_equal(cfg->batv_mode, MW_CFG_BATV_ENFORCE);
	assert_int_equal(cfg->log, MW_CFG_LOG_SYSLOG);
	mw_config_free(cfg);
}

static void test_crlf_and_bare_cr_files_read_like_lf(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "# c\nlocal_domains = a.example,\n b.example\nlog = syslog\n",
	    "# c\r\nlocal_domains = a.example,\r\n b.example\r\nlog = "
	    "syslog\r\n",
	    "# c\rlocal_domains = a.example,\r b.example\rlog = syslog\r",
	};
	for (size_t i = 0; i < 3; i++) {
		mw_config *cfg = ok(texts[i]);
		assert_int_equal(cfg->local_domains.n, 2);
		assert_string_equal(cfg->local_domains.v[1], "b.example");
		assert_int_equal(cfg->log, MW_CFG_LOG_SYSLOG);
		assert_int_equal(
		    mw_config_key_line(cfg, (size_t)mw_config_key_find("log")),
		    4);
		mw_config_free(cfg);
	}
	refused("log = syslog\r\nbatv_mode = sometimes\r\n",
		"t.conf:2: key 'batv_mode': 'sometimes' is not off, tag or "
		"enforce");
}

static void test_utf8_bom_is_skipped(void **state)
{
	(void)state;
	mw_config *cfg = ok("\xef\xbb\xbf"
			    "batv_mode = off\n");
	assert_int_equal(cfg->batv_mode, MW_CFG_BATV_OFF);
	mw_config_free(cfg);
}

static void test_japanese_comments_are_fine(void **state)
{
	(void)state;
	mw_config *cfg = ok("# \xe8\xa8\xad\xe5\xae\x9a (UTF-8)\n"
			    "# \x90\xdd\x92\xe8 (Shift_JIS)\n"
			    "batv_mode = off\n");
	mw_config_free(cfg);
}

static void test_line_without_equals_names_its_key(void **state)
{
	(void)state;
	refused("local_domains example.jp\n",
		"t.conf:1: key 'local_domains': missing '=' (lines are 'key = "
		"value')");
	refused("%%% what\n", "t.conf:1: '%%% what' is not a 'key = value' "
			      "line");
}

static void test_line_without_key_name_is_an_error(void **state)
{
	(void)state;
	refused("= example.jp\n",
		"t.conf:1: line starts with '=': the key name is missing");
	refused("local domains = example.jp\n",
		"t.conf:1: 'local domains' is not a key name (letters, digits "
		"and '_')");
}

static void test_unknown_key_suggests_the_closest_name(void **state)
{
	(void)state;
	refused("local_domain = example.jp\n",
		"t.conf:1: key 'local_domain': unknown key; did you mean "
		"'local_domains'?");
	refused("trusted_netwroks = 10.0.0.0/8\n",
		"t.conf:1: key 'trusted_netwroks': unknown key; did you mean "
		"'trusted_networks'?");
	refused("Batv_Mode = off\n",
		"t.conf:1: key 'Batv_Mode': unknown key; did you mean "
		"'batv_mode'?");
}

static void test_unknown_key_of_another_program_names_ours(void **state)
{
	(void)state;
	refused("mynetworks = 10.0.0.0/8\n",
		"t.conf:1: key 'mynetworks': unknown key; what it sets "
		"elsewhere is 'trusted_networks' here");
	refused("mydestination = example.jp\n",
		"t.conf:1: key 'mydestination': unknown key; what it sets "
		"elsewhere is 'local_domains' here");
}

static void test_unknown_key_far_from_all_gets_no_guess(void **state)
{
	(void)state;
	refused("frobnicate = 1\n", "t.conf:1: key 'frobnicate': unknown key "
				    "(docs/config.md lists every key)");
}

static void test_duplicate_key_is_an_error_naming_both_lines(void **state)
{
	(void)state;
	refused("batv_mode = tag\n"
		"# later, someone adds\n"
		"batv_mode = enforce\n",
		"t.conf:3: key 'batv_mode': set again (first on line 1); a key "
		"may be set only once");
}

static void test_every_error_of_a_file_is_reported(void **state)
{
	(void)state;
	mw_config *cfg = parse("batv_mode = maybe\n"
			       "local_domain = x.example\n"
			       "local_domains = ok.example, bad_one, -bad\n"
			       "sent_log_days = 1000\n");
	assert_null(cfg);
	assert_int_equal(errs.errors, 5);
	assert_int_equal(errs.n, 5);
	assert_int_equal(errs.diag[0].line, 1);
	assert_int_equal(errs.diag[1].line, 2);
	assert_int_equal(errs.diag[2].line, 3);
	assert_int_equal(errs.diag[3].line, 3);
	assert_int_equal(errs.diag[4].line, 4);
	assert_string_equal(errs.diag[4].key, "sent_log_days");
	assert_string_equal(errs.diag[4].reason,
			    "'1000' is out of range (1 to 366)");
}

static void test_runaway_list_reports_three_items_and_a_count(void **state)
{
	(void)state;
	assert_null(parse("admin_notify = postmaster\n"
			  "  oops = this continues the line above\n"));
	assert_int_equal(errs.errors, 4);
	assert_string_equal(diag(0), "t.conf:1: key 'admin_notify': "
				     "'postmaster' is not an address "
				     "(local@domain): it has no '@'");
	assert_string_equal(diag(2), "t.conf:1: key 'admin_notify': '=' is "
				     "not an address (local@domain): it has "
				     "no '@'");
	assert_string_equal(diag(3), "t.conf:1: key 'admin_notify': and 5 "
				     "more items refused in this list");
}

static void test_errors_are_kept_up_to_a_bound_and_counted(void **state)
{
	(void)state;
	mw_buf text;
	mw_buf_init(&text, 1 << 20);
	for (int i = 0; i < 200; i++)
		mw_buf_printf(&text, "bogus_%d = x\n", i);
	assert_null(parse_n(mw_buf_cstr(&text), text.len));
	assert_int_equal(errs.errors, 200);
	assert_int_equal(errs.n, MW_CONFIG_ERRORS_MAX);
	char out[8192];
	FILE *f = fmemopen(out, sizeof out, "w");
	mw_config_errors_print(&errs, f);
	fclose(f);
	assert_non_null(strstr(out, "t.conf:1: key 'bogus_0': unknown key"));
	assert_non_null(
	    strstr(out, "t.conf: 150 more errors and warnings not shown\n"));
	mw_buf_free(&text);
}

/* -- hostile files ---------------------------------------------------- */

static void test_very_long_line_is_refused_fast(void **state)
{
	(void)state;
	size_t n = MW_CONFIG_LINE_MAX + 100;
	char *text = malloc(n + 32);
	memcpy(text, "local_domains = ", 16);
	memset(text + 16, 'a', n - 16);
	memcpy(text + n, "\nbatv_mode = off\n", 18);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_null(parse(text));
	assert_true(seconds_since(&t0) < 1.0);
	assert_int_equal(errs.errors, 1);
	assert_string_equal(diag(0), "t.conf:1: line longer than 65536 bytes "
				     "(with its continuation lines)");
	free(text);
}

static void test_long_line_of_continuations_is_bounded_too(void **state)
{
	(void)state;
	mw_buf text;
	mw_buf_init(&text, 4u << 20);
	mw_buf_puts(&text, "local_domains = a.example\n");
	for (int i = 0; i < 20000; i++)
		mw_buf_printf(&text, "  d%d.example\n", i);
	mw_buf_puts(&text, "batv_mode = nonsense\n");
	assert_null(parse_n(mw_buf_cstr(&text), text.len));
	assert_int_equal(errs.errors, 2);
	assert_string_equal(diag(0), "t.conf:1: line longer than 65536 bytes "
				     "(with its continuation lines)");
	assert_int_equal(errs.diag[1].line, 20002);
	mw_buf_free(&text);
}

static void test_list_over_its_item_bound_is_refused(void **state)
{
	(void)state;
	mw_buf text;
	mw_buf_init(&text, 1 << 20);
	mw_buf_puts(&text, "outbound_daemon_names =");
	for (int i = 0; i < MW_CONFIG_LIST_MAX + 1; i++)
		mw_buf_puts(&text, " a");
	assert_null(parse_n(mw_buf_cstr(&text), text.len));
	assert_string_equal(diag(0), "t.conf:1: key 'outbound_daemon_names': "
				     "4097 items: a list may have at most "
				     "4096");
	mw_buf_free(&text);
}

static void test_ten_megabyte_file_is_refused_whole_and_fast(void **state)
{
	(void)state;
	char path[] = "/tmp/test_config_bigXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	size_t n = 10u << 20;
	char *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 64 == 63) ? '\n' : '#';
	write_file(path, big, n);
	free(big);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mw_config *cfg = (mw_config *)0x1;
	assert_int_equal(mw_config_load(path, &cfg, &errs), MW_EINVAL);
	assert_true(seconds_since(&t0) < 1.0);
	assert_null(cfg);
	assert_int_equal(errs.errors, 1);
	char want[256];
	snprintf(want, sizeof want,
		 "%s: larger than 1048576 bytes: not a configuration file",
		 path);
	assert_string_equal(diag(0), want);
	unlink(path);
}

static void test_binary_file_is_one_error(void **state)
{
	(void)state;
	char junk[4096];
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)(x >> 16);
	}
	for (size_t i = 0; i < sizeof junk; i++)
		if (junk[i] == '\0')
			junk[i] = '\x01';
	memcpy(junk, "batv_mode = off\n\nabc", 20);
	junk[20] = '\0';
	assert_null(parse_n(junk, sizeof junk));
	assert_int_equal(errs.errors, 1);
	assert_string_equal(diag(0),
			    "t.conf:3: NUL byte: this is not a text file");
}

static void test_control_bytes_without_nul_are_bounded_errors(void **state)
{
	(void)state;
	char junk[1 << 16];
	unsigned x = 99;
	for (size_t i = 0; i < sizeof junk; i++) {
		x = x * 1103515245u + 12345u;
		junk[i] = (char)((x >> 16) % 255 + 1); /* never NUL */
	}
	assert_null(parse_n(junk, sizeof junk));
	assert_true(errs.errors > 0);
	assert_true(errs.n <= MW_CONFIG_ERRORS_MAX);
	/* Messages escape what they quote: nothing below space or over
	 * 0x7e reaches the terminal. */
	for (size_t i = 0; i < errs.n; i++)
		for (const char *p = diag(i); *p; p++)
			assert_true(*p >= 0x20 && *p < 0x7f);
}

static void test_control_character_in_a_line_is_reported(void **state)
{
	(void)state;
	refused("batv_mode = off\nlog = sys\x1blog\n",
		"t.conf:2: control character 0x1b in column 10: is this a text "
		"file?");
}

static void test_non_ascii_value_is_quoted_escaped(void **state)
{
	(void)state;
	refused(
	    "batv_mode = \xe6\x9c\x89\xe5\x8a\xb9\n",
	    "t.conf:1: key 'batv_mode': '\\xe6\\x9c\\x89\\xe5\\x8a\\xb9' is "
	    "not off, tag or enforce");
}

static void test_missing_file_is_an_error_naming_it(void **state)
{
	(void)state;
	mw_config *cfg = (mw_config *)0x1;
	assert_int_equal(
	    mw_config_load("/nonexistent/mailwarden.conf", &cfg, &errs),
	    MW_EIO);
	assert_null(cfg);
	assert_string_equal(diag(0), "/nonexistent/mailwarden.conf: cannot "
				     "read: No such file or directory");
	assert_int_equal(mw_config_load("/tmp", &cfg, &errs), MW_EIO);
	assert_string_equal(diag(0), "/tmp: cannot read: Is a directory");
}

static void test_load_reads_a_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_config_okXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	const char *text = "local_domains = example.jp\nbatv_mode = off\n";
	write_file(path, text, strlen(text));
	mw_config *cfg = NULL;
	assert_int_equal(mw_config_load(path, &cfg, &errs), MW_OK);
	assert_string_equal(cfg->source, path);
	assert_true(mw_config_is_local_domain(cfg, S("example.jp")));
	mw_config_free(cfg);
	unlink(path);
}

/* -- value types ------------------------------------------------------ */

static void test_booleans_take_yes_no_true_false_1_0(void **state)
{
	(void)state;
	static const char *const yes[] = {"yes", "YES", "true", "True", "1"};
	static const char *const no[] = {"no", "No", "false", "FALSE", "0"};
	char line[64];
	for (size_t i = 0; i < 5; i++) {
		snprintf(line, sizeof line, "digest = %s\n", yes[i]);
		mw_config *cfg = ok(line);
		assert_true(cfg->digest);
		mw_config_free(cfg);
		snprintf(line, sizeof line, "digest = %s\n", no[i]);
		cfg = ok(line);
		assert_false(cfg->digest);
		mw_config_free(cfg);
	}
	refused("digest = maybe\n", "t.conf:1: key 'digest': 'maybe' is not "
				    "yes, no, true, false, 1 or 0");
	refused("digest = on\n", "t.conf:1: key 'digest': 'on' is not yes, "
				 "no, true, false, 1 or 0");
	refused("digest =\n", "t.conf:1: key 'digest': empty value; expected "
			      "yes or no");
}

static void test_counts_are_whole_numbers_in_range(void **state)
{
	(void)state;
	reads_as("sent_log_days = 30", "sent_log_days", "30");
	reads_as("sent_log_days = 366", "sent_log_days", "366");
	refused("sent_log_days = 0\n", "t.conf:1: key 'sent_log_days': '0' is "
				       "out of range (1 to 366)");
	refused("sent_log_days = -1\n", "t.conf:1: key 'sent_log_days': '-1' "
					"is not a whole number");
	refused("sent_log_days = +5\n", "t.conf:1: key 'sent_log_days': '+5' "
					"is not a whole number");
	refused("sent_log_days = 2w\n", "t.conf:1: key 'sent_log_days': '2w' "
					"is not a whole number");
	refused("sent_log_days = 99999999999999999999\n",
		"t.conf:1: key 'sent_log_days': '99999999999999999999' is not "
		"a whole number");
	refused("batv_validity_days = 31\n",
		"t.conf:1: key 'batv_validity_days': '31' is out of range (1 "
		"to 30)");
}

static void test_durations_take_units_and_bare_seconds(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int64_t seconds;
		const char *canonical;
	} cases[] = {
	    {"30s", 30, "30s"},	   {"90", 90, "90s"},	  {"10m", 600, "10m"},
	    {"120m", 7200, "2h"},  {"1h", 3600, "1h"},	  {"1d", 86400, "1d"},
	    {"3600s", 3600, "1h"}, {"23h", 82800, "23h"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[64];
		snprintf(line, sizeof line, "milter_timeout = %s\n",
			 cases[i].text);
		mw_config *cfg = ok(line);
		assert_int_equal(cfg->milter_timeout, cases[i].seconds);
		assert_string_equal(value_of(cfg, "milter_timeout"),
				    cases[i].canonical);
		mw_config_free(cfg);
	}
	reads_as("flood_window = 7d", "flood_window", "1w");
	reads_as("flood_window = 1w", "flood_window", "1w");
	refused("flood_window = 10M\n",
		"t.conf:1: key 'flood_window': '10M' is not a duration: "
		"seconds, or a number with s, m, h, d or w, as in 30s, 10m, "
		"1h, 7d");
	refused("flood_window = 1h30m\n",
		"t.conf:1: key 'flood_window': '1h30m' is not a duration: "
		"seconds, or a number with s, m, h, d or w, as in 30s, 10m, "
		"1h, 7d");
	refused("flood_window = 30s\n", "t.conf:1: key 'flood_window': '30s' "
					"is out of range (1m to 1w)");
	refused("milter_timeout = 999999999999999w\n",
		"t.conf:1: key 'milter_timeout': '999999999999999w' is out of "
		"range (10s to 1d)");
}

static void test_sizes_take_k_m_g(void **state)
{
	(void)state;
	reads_as("bounce_body_max = 64k", "bounce_body_max", "64k");
	reads_as("bounce_body_max = 64K", "bounce_body_max", "64k");
	reads_as("bounce_body_max = 10m", "bounce_body_max", "10M");
	reads_as("bounce_body_max = 2097152", "bounce_body_max", "2M");
	reads_as("bounce_body_max = 100000", "bounce_body_max", "100000");
	mw_config *cfg = ok("bounce_body_max = 10M");
	assert_int_equal(cfg->bounce_body_max, 10 * 1024 * 1024);
	mw_config_free(cfg);
	refused("bounce_body_max = 10MB\n",
		"t.conf:1: key 'bounce_body_max': '10MB' is not a size: bytes, "
		"or a number with k, M or G, as in 64k, 10M");
	refused("bounce_body_max = 1G\n", "t.conf:1: key 'bounce_body_max': "
					  "'1G' is out of range (64k to 64M)");
}

static void test_enums_take_their_words_in_any_case(void **state)
{
	(void)state;
	mw_config *cfg = ok("batv_mode = ENFORCE\nlog = Syslog\n"
			    "log_level = debug\nsyslog_facility = local3\n"
			    "milter_failure_action = tempfail\n");
	assert_int_equal(cfg->batv_mode, MW_CFG_BATV_ENFORCE);
	assert_int_equal(cfg->log, MW_CFG_LOG_SYSLOG);
	assert_int_equal(cfg->log_level, MW_CFG_LOG_DEBUG);
	assert_int_equal(cfg->syslog_facility, MW_CFG_FACILITY_LOCAL3);
	assert_int_equal(cfg->milter_failure_action, MW_CFG_FAIL_TEMPFAIL);
	assert_string_equal(value_of(cfg, "batv_mode"), "enforce");
	mw_config_free(cfg);
	refused("batv_mode = enfroce\n",
		"t.conf:1: key 'batv_mode': 'enfroce' is not off, tag or "
		"enforce; did you mean 'enforce'?");
	refused("milter_failure_action = reject\n",
		"t.conf:1: key 'milter_failure_action': 'reject' is not accept "
		"or tempfail");
	refused("log =\n", "t.conf:1: key 'log': empty value; expected stderr "
			   "or syslog");
}

static void test_store_is_sqlite_or_redis(void **state)
{
	(void)state;
	mw_config *cfg = ok("store = redis://cache.example.jp\n");
	assert_int_equal(cfg->store.kind, MW_CFG_STORE_REDIS);
	assert_string_equal(cfg->store.host, "cache.example.jp");
	assert_int_equal(cfg->store.port, 6379);
	mw_config_free(cfg);
	reads_as("store = SQLite", "store", "sqlite");
	reads_as("store = redis://127.0.0.1:6380", "store",
		 "redis://127.0.0.1:6380");
	reads_as("store = redis://[::1]:6379/", "store", "redis://[::1]:6379");
	refused("store = redis://h.example:\n",
		"t.conf:1: key 'store': 'redis://h.example:': the port '' is "
		"not a number from 1 to 65535");
	refused("store = mysql\n", "t.conf:1: key 'store': 'mysql' is not a "
				   "store (sqlite or redis://HOST:PORT)");
	refused("store = redis://h.example:0\n",
		"t.conf:1: key 'store': 'redis://h.example:0': the port '0' is "
		"not a number from 1 to 65535");
	refused("store = redis://h.example:6379/2\n",
		"t.conf:1: key 'store': 'redis://h.example:6379/2': only "
		"redis://HOST:PORT is supported (no database number, no user "
		"or password)");
}

static void test_milter_socket_forms(void **state)
{
	(void)state;
	reads_as("milter_socket = inet:127.0.0.1:8891", "milter_socket",
		 "inet:127.0.0.1:8891");
	reads_as("milter_socket = inet:LocalHost:8891", "milter_socket",
		 "inet:localhost:8891");
	reads_as("milter_socket = inet:[::1]:8891", "milter_socket",
		 "inet:[::1]:8891");
	reads_as("milter_socket = inet6:[::1]:8891", "milter_socket",
		 "inet:[::1]:8891");
	reads_as("milter_socket = inet:8891@127.0.0.1", "milter_socket",
		 "inet:127.0.0.1:8891");
	reads_as("milter_socket = inet6:8891@::1", "milter_socket",
		 "inet:[::1]:8891");
	mw_config *cfg = ok("milter_socket = unix:/run/mailwarden/milter\n");
	assert_int_equal(cfg->milter_socket.kind, MW_CFG_ENDPOINT_UNIX);
	assert_string_equal(cfg->milter_socket.path, "/run/mailwarden/milter");
	assert_null(cfg->milter_socket.host);
	mw_config_free(cfg);
	reads_as("milter_socket = local:/run/mw.sock", "milter_socket",
		 "unix:/run/mw.sock");
}

static void test_bad_milter_sockets_say_what_is_wrong(void **state)
{
	(void)state;
	refused("milter_socket = inet:127.0.0.1\n",
		"t.conf:1: key 'milter_socket': 'inet:127.0.0.1' has no port: "
		"write HOST:PORT");
	refused("milter_socket = inet:127.0.0.1:70000\n",
		"t.conf:1: key 'milter_socket': 'inet:127.0.0.1:70000': the "
		"port '70000' is not a number from 1 to 65535");
	refused("milter_socket = inet:127.0.0.1:smtp\n",
		"t.conf:1: key 'milter_socket': 'inet:127.0.0.1:smtp': the "
		"port 'smtp' is not a number from 1 to 65535");
	refused("milter_socket = inet:::1:8891\n",
		"t.conf:1: key 'milter_socket': 'inet:::1:8891': write an IPv6 "
		"address in brackets, as [::1]:PORT");
	refused("milter_socket = inet6:127.0.0.1:8891\n",
		"t.conf:1: key 'milter_socket': 'inet6:127.0.0.1:8891': inet6: "
		"needs an IPv6 address in brackets, as inet6:[::1]:PORT");
	refused("milter_socket = inet:bad_host:8891\n",
		"t.conf:1: key 'milter_socket': 'inet:bad_host:8891': the host "
		"'bad_host' is neither an IP address nor a host name: it "
		"contains '_', which a domain name may not");
	refused("milter_socket = inet:300.1.1.1:8891\n",
		"t.conf:1: key 'milter_socket': 'inet:300.1.1.1:8891': the "
		"host '300.1.1.1' is neither an IP address nor a host name: it "
		"ends in a numeric label (an IP address is not a domain name)");
	refused("milter_socket = unix:run/milter\n",
		"t.conf:1: key 'milter_socket': 'run/milter' is not an "
		"absolute path (it must start with '/')");
	refused("milter_socket = 127.0.0.1:8891\n",
		"t.conf:1: key 'milter_socket': '127.0.0.1:8891' is not a "
		"socket; did you mean inet:127.0.0.1:8891?");
	refused("milter_socket = /run/milter\n",
		"t.conf:1: key 'milter_socket': '/run/milter' is not a socket; "
		"did you mean unix:/run/milter?");
	refused("milter_socket =\n",
		"t.conf:1: key 'milter_socket': empty value; expected "
		"inet:HOST:PORT or unix:/PATH");
	char line[256] = "milter_socket = unix:/";
	memset(line + strlen(line), 'x', 120);
	line[22 + 120] = '\0';
	mw_config *cfg = parse(line);
	assert_null(cfg);
	assert_non_null(strstr(diag(0), "is longer than 107 bytes"));
}

static void test_host_port_forms(void **state)
{
	(void)state;
	reads_as("http_listen = 127.0.0.1:8080", "http_listen",
		 "127.0.0.1:8080");
	reads_as("http_listen = [::1]:8080", "http_listen", "[::1]:8080");
	reads_as("http_listen = Panel.Example.JP:443", "http_listen",
		 "panel.example.jp:443");
	mw_config *cfg = ok("http_listen =\n");
	assert_int_equal(cfg->http_listen.kind, MW_CFG_ENDPOINT_NONE);
	assert_string_equal(value_of(cfg, "http_listen"), "");
	mw_config_free(cfg);
	refused("http_listen = 8080\n", "t.conf:1: key 'http_listen': '8080' "
					"has no port: write HOST:PORT");
	refused("http_listen = inet:127.0.0.1:8080\n",
		"t.conf:1: key 'http_listen': 'inet:127.0.0.1:8080': write "
		"HOST:PORT here, without a socket type");
	refused("digest_smtp = [127.0.0.1]:25\n",
		"t.conf:1: key 'digest_smtp': '[127.0.0.1]:25': brackets must "
		"hold an IPv6 address");
	refused("digest_smtp = [::1]\n",
		"t.conf:1: key 'digest_smtp': '[::1]' needs ':PORT' after the "
		"address");
	refused("digest_smtp = :25\n",
		"t.conf:1: key 'digest_smtp': ':25' has no host");
}

static void test_path_values(void **state)
{
	(void)state;
	reads_as("state_dir = /srv/mailwarden/", "state_dir",
		 "/srv/mailwarden/");
	reads_as("geoip_country_db = /var/lib/GeoIP/GeoLite2-Country.mmdb",
		 "geoip_country_db", "/var/lib/GeoIP/GeoLite2-Country.mmdb");
	mw_config *cfg = ok("geoip_asn_db =\nbatv_mode = off\n"
			    "batv_key_file =\n");
	assert_null(cfg->geoip_asn_db);
	assert_null(cfg->batv_key_file);
	mw_config_free(cfg);
	refused("state_dir = var/lib/mailwarden\n",
		"t.conf:1: key 'state_dir': 'var/lib/mailwarden' is not an "
		"absolute path (it must start with '/')");
	refused("state_dir =\n", "t.conf:1: key 'state_dir': empty value; "
				 "expected an absolute path");
}

static void test_domain_lists_are_lowered_sorted_and_unique(void **state)
{
	(void)state;
	mw_config *cfg = ok("local_domains = Example.JP, b.example."
			    "  a.example,,example.jp xn--wgv71a.jp\n");
	assert_int_equal(cfg->local_domains.n, 4);
	assert_string_equal(value_of(cfg, "local_domains"),
			    "a.example, b.example, example.jp, xn--wgv71a.jp");
	mw_config_free(cfg);
	cfg = ok("local_domains =\n");
	assert_int_equal(cfg->local_domains.n, 0);
	mw_config_free(cfg);
}

static void test_bad_domains_say_why(void **state)
{
	(void)state;
	char label64[128];
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".example");
	static const struct {
		const char *value;
		const char *why;
	} cases[] = {
	    {"-bad.example", "has a label that starts or ends with '-'"},
	    {"a..example", "has an empty label"},
	    {".example.jp", "starts with '.': list each domain itself, "
			    "subdomains are not implied"},
	    {"192.0.2.1", "ends in a numeric label (an IP address is not "
			  "a domain name)"},
	    {"\xe4\xbe\x8b.jp", "is not ASCII: write an internationalized "
				"name in its xn-- form"},
	    {"user@example.jp", "contains '@', which a domain name may "
				"not"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char line[256], want[512], q[256];
		snprintf(line, sizeof line, "local_domains = %s\n",
			 cases[i].value);
		/* Quote as the parser does: only the non-ASCII case needs it.
		 */
		if ((unsigned char)cases[i].value[0] >= 0x80)
			snprintf(q, sizeof q, "\\xe4\\xbe\\x8b.jp");
		else
			snprintf(q, sizeof q, "%s", cases[i].value);
		snprintf(want, sizeof want,
			 "t.conf:1: key 'local_domains': '%s' is not a domain "
			 "name: it %s",
			 q, cases[i].why);
		refused(line, want);
	}
	char line[256], want[512], sixty[61];
	memset(sixty, 'a', 60);
	sixty[60] = '\0';
	snprintf(line, sizeof line, "local_domains = %s\n", label64);
	snprintf(want, sizeof want,
		 "t.conf:1: key 'local_domains': '%s...' is not a domain "
		 "name: it has a label longer than 63 characters",
		 sixty);
	refused(line, want);
}

static void test_networks_take_v4_v6_and_postfix_brackets(void **state)
{
	(void)state;
	reads_as("trusted_networks = 10.0.0.0/8, 192.0.2.7 [2001:db8::]/32 "
		 "[::1]/128 ::ffff:198.51.100.0/120",
		 "trusted_networks",
		 "10.0.0.0/8, 192.0.2.7/32, 2001:db8::/32, ::1/128, "
		 "198.51.100.0/24");
	reads_as("trusted_networks =", "trusted_networks", "");
	refused("trusted_networks = 192.0.2.1/24\n",
		"t.conf:1: key 'trusted_networks': '192.0.2.1/24' has address "
		"bits set past its prefix; did you mean 192.0.2.0/24?");
	refused("trusted_networks = 10.0.0.0/33\n",
		"t.conf:1: key 'trusted_networks': '10.0.0.0/33' is not a "
		"network (192.0.2.0/24, 2001:db8::/32 or one address)");
	refused("trusted_networks = localhost\n",
		"t.conf:1: key 'trusted_networks': 'localhost' is not a "
		"network (192.0.2.0/24, 2001:db8::/32 or one address)");
}

static void test_daemon_names_keep_case_and_order(void **state)
{
	(void)state;
	reads_as("outbound_daemon_names = ORIGINATING, submission smtps",
		 "outbound_daemon_names", "ORIGINATING, submission, smtps");
	refused("outbound_daemon_names = a/b\n",
		"t.conf:1: key 'outbound_daemon_names': 'a/b' is not a name "
		"(letters, digits, '.', '_', '-'; at most 64)");
}

static void test_addresses_lower_their_domain_only(void **state)
{
	(void)state;
	reads_as("admin_notify = Postmaster@Example.JP, root@localhost",
		 "admin_notify", "Postmaster@example.jp, root@localhost");
	reads_as("digest_from = no-reply@example.jp", "digest_from",
		 "no-reply@example.jp");
	refused("admin_notify = postmaster\n",
		"t.conf:1: key 'admin_notify': 'postmaster' is not an address "
		"(local@domain): it has no '@'");
	refused("digest_from = a..b@example.jp\n",
		"t.conf:1: key 'digest_from': 'a..b@example.jp' is not an "
		"address (local@domain): its local part has a character or a "
		"dot where none may be");
	refused("digest_from = a@b@\n",
		"t.conf:1: key 'digest_from': 'a@b@' is not an address "
		"(local@domain): its local part has a character or a dot "
		"where none may be");
	refused("admin_notify = <root@example.jp>\n",
		"t.conf:1: key 'admin_notify': '<root@example.jp>' is not an "
		"address (local@domain): its local part has a character or a "
		"dot where none may be");
}

static void test_user_names(void **state)
{
	(void)state;
	reads_as("user = _mailwarden", "user", "_mailwarden");
	refused("user = -x\n", "t.conf:1: key 'user': '-x' is not a user "
			       "name (letters, digits, '.', '_', '-'; at most "
			       "32)");
	refused("user = mail:warden\n",
		"t.conf:1: key 'user': 'mail:warden' is not a user name "
		"(letters, digits, '.', '_', '-'; at most 32)");
	refused("user = abcdefghijabcdefghijabcdefghijabc\n",
		"t.conf:1: key 'user': 'abcdefghijabcdefghijabcdefghijabc' is "
		"not a user name (letters, digits, '.', '_', '-'; at most 32)");
}

static void test_signing_without_a_key_file_is_an_error(void **state)
{
	(void)state;
	refused("batv_mode = enforce\nbatv_key_file =\n",
		"t.conf:2: key 'batv_key_file': empty, but batv_mode is "
		"enforce: signing needs keys (or set batv_mode = off)");
}

static void test_a_full_configuration_round_trips(void **state)
{
	(void)state;
	const char *text =
	    "user = mw\nlog = syslog\nlog_level = warning\n"
	    "syslog_facility = local5\nstate_dir = /srv/mw\n"
	    "store = redis://10.0.0.5:6379\nstore_timeout = 5s\n"
	    "milter_socket = unix:/var/spool/postfix/mw/milter\n"
	    "milter_timeout = 5m\nmilter_max_connections = 200\n"
	    "milter_failure_action = tempfail\n"
	    "http_listen = [::1]:8080\nlocal_domains = example.jp\n"
	    "our_hostnames = mx1.example.jp, mx2.example.jp\n"
	    "trusted_networks = 192.0.2.0/24\n"
	    "outbound_daemon_names = submission\nbatv_mode = enforce\n"
	    "batv_key_file = /etc/mw/keys\nbatv_validity_days = 10\n"
	    "sent_log_days = 30\nbounce_body_max = 4M\n"
	    "flood_threshold = 100\nflood_window = 2h\ndigest = no\n"
	    "digest_from = postmaster@example.jp\n"
	    "digest_smtp = mail.example.jp:587\n"
	    "own_bounce_threshold = 50\n"
	    "admin_notify = admin@example.jp\n"
	    "geoip_country_db = /g/c.mmdb\ngeoip_asn_db = /g/a.mmdb\n"
	    "auth_policy_secret = \n"
	    "history_keep_count = 500\nhistory_keep_days = 365\n"
	    "send_limit_messages_hour = 50\n"
	    "send_limit_recipients_hour = 100\n"
	    "send_limit_recipients_day = 300\n"
	    "send_limit_action = block_until_admin\n"
	    "takeover_threshold = 80\nlogin_alerts = no\n"
	    "login_alert_interval = 2h\nbruteforce_window = 30m\n"
	    "bruteforce_ip_delay_after = 3\n"
	    "bruteforce_ip_reject_after = 20\n"
	    "bruteforce_account_delay_after = 8\n"
	    "bruteforce_account_reject_after = 60\n"
	    "bruteforce_delay_max = 10s\n"
	    "unlock_on_password_change = no\n"
	    "breached_passwords_file = /g/pwned.txt\n";
	mw_config *cfg = ok(text);
	mw_buf again;
	mw_buf_init(&again, 1 << 16);
	for (size_t i = 0; i < mw_config_key_count(); i++) {
		assert_int_equal(mw_config_key_line(cfg, i), i + 1);
		mw_buf_printf(&again, "%s = %s\n", mw_config_key_name(i),
			      value_of(cfg, mw_config_key_name(i)));
	}
	assert_string_equal(mw_buf_cstr(&again), text);
	mw_buf_free(&again);
	mw_config_free(cfg);
}

/* -- lookups ---------------------------------------------------------- */

static void test_local_domain_lookup_ignores_case_and_trailing_dot(void **state)
{
	(void)state;
	mw_config *cfg = ok("local_domains = example.jp, example.com\n");
	assert_true(mw_config_is_local_domain(cfg, S("example.jp")));
	assert_true(mw_config_is_local_domain(cfg, S("EXAMPLE.COM")));
	assert_true(mw_config_is_local_domain(cfg, S("example.jp.")));
	assert_false(mw_config_is_local_domain(cfg, S("mail.example.jp")));
	assert_false(mw_config_is_local_domain(cfg, S("example.net")));
	assert_false(mw_config_is_local_domain(cfg, S("")));
	assert_false(mw_config_is_local_domain(cfg, S(".")));
	assert_false(
	    mw_config_is_local_domain(cfg, mw_str_make("example.jp\0x", 12)));
	char huge[600];
	memset(huge, 'a', sizeof huge);
	assert_false(
	    mw_config_is_local_domain(cfg, mw_str_make(huge, sizeof huge)));
	assert_true(mw_config_is_local_address(cfg, S("Tanaka@Example.JP")));
	assert_true(mw_config_is_local_address(cfg, S("\"a@b\"@example.jp")));
	assert_false(mw_config_is_local_address(cfg, S("example.jp")));
	assert_false(mw_config_is_local_address(cfg, S("a@example.jp.evil")));
	mw_config_free(cfg);
}

static void test_trusted_lookup_matches_networks_and_mapped_v6(void **state)
{
	(void)state;
	mw_config *cfg =
	    ok("trusted_networks = 192.0.2.0/24, 2001:db8:1::/48\n");
	static const struct {
		const char *ip;
		bool trusted;
	} cases[] = {
	    {"192.0.2.1", true},	{"192.0.2.255", true},
	    {"192.0.3.1", false},	{"::ffff:192.0.2.9", true},
	    {"2001:db8:1:ff::1", true}, {"2001:db8:2::1", false},
	    {"127.0.0.1", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		mw_ip ip;
		assert_true(mw_ip_parse(cases[i].ip, strlen(cases[i].ip), &ip));
		assert_int_equal(mw_config_is_trusted(cfg, &ip),
				 cases[i].trusted);
	}
	mw_config_free(cfg);
	cfg = ok("");
	mw_ip lo;
	assert_true(mw_ip_parse("::1", 3, &lo));
	assert_true(mw_config_is_trusted(cfg, &lo));
	mw_config_free(cfg);
}

static void test_outbound_daemon_lookup_is_exact(void **state)
{
	(void)state;
	mw_config *cfg = ok("");
	assert_true(mw_config_is_outbound_daemon(cfg, S("ORIGINATING")));
	assert_false(mw_config_is_outbound_daemon(cfg, S("originating")));
	assert_false(mw_config_is_outbound_daemon(cfg, S("ORIGINATIN")));
	assert_false(mw_config_is_outbound_daemon(cfg, S("")));
	mw_config_free(cfg);
	cfg = ok("outbound_daemon_names =\n");
	assert_false(mw_config_is_outbound_daemon(cfg, S("ORIGINATING")));
	mw_config_free(cfg);
}

static void test_references_keep_a_configuration_alive(void **state)
{
	(void)state;
	mw_config *cfg = ok("local_domains = example.jp\n");
	mw_config *held = mw_config_ref(cfg);
	assert_ptr_equal(held, cfg);
	mw_config_free(cfg); /* the reloader drops its reference */
	assert_true(mw_config_is_local_domain(held, S("example.jp")));
	mw_config_free(held); /* the last holder frees (ASan checks) */
	mw_config_free(NULL);
}

/* -- what the configuration names outside itself ---------------------- */

static void test_check_files_reads_the_batv_key_file(void **state)
{
	(void)state;
	char keys[] = "/tmp/test_config_keysXXXXXX";
	int fd = mkstemp(keys);
	assert_true(fd >= 0);
	close(fd);
	const char *good = "# keys\n1 0123456789abcdef0123\n";
	write_file(keys, good, strlen(good));
	char text[256];
	snprintf(text, sizeof text,
		 "local_domains = example.jp\nbatv_key_file = %s\nuser = "
		 "root\n",
		 keys);
	mw_config *cfg = ok(text);
	assert_int_equal(mw_config_check_files(cfg, &errs), 0);
	mw_config_free(cfg);

	const char *bad = "# keys\n1 short\n";
	write_file(keys, bad, strlen(bad));
	cfg = ok(text);
	assert_int_equal(mw_config_check_files(cfg, &errs), 1);
	char prefix[256];
	snprintf(prefix, sizeof prefix,
		 "t.conf:2: key 'batv_key_file': %s:2: ", keys);
	assert_memory_equal(diag(errs.n - 1), prefix, strlen(prefix));
	mw_config_free(cfg);
	unlink(keys);

	cfg = ok(text);
	assert_int_equal(mw_config_check_files(cfg, &errs), 1);
	snprintf(prefix, sizeof prefix,
		 "t.conf:2: key 'batv_key_file': %s: ", keys);
	assert_memory_equal(diag(errs.n - 1), prefix, strlen(prefix));
	mw_config_free(cfg);
}

static void test_check_files_names_a_missing_database(void **state)
{
	(void)state;
	mw_config *cfg = ok("local_domains = example.jp\nbatv_mode = off\n"
			    "geoip_country_db = /nonexistent/c.mmdb\n"
			    "geoip_asn_db = /tmp\nuser = root\n");
	assert_int_equal(mw_config_check_files(cfg, &errs), 2);
	assert_string_equal(diag(errs.n - 2),
			    "t.conf:3: key 'geoip_country_db': "
			    "/nonexistent/c.mmdb: cannot open: No such file "
			    "or directory");
	assert_string_equal(diag(errs.n - 1), "t.conf:4: key 'geoip_asn_db': "
					      "/tmp: not a regular file");
	mw_config_free(cfg);
}

/* -- the shipped example and the documentation ------------------------ */

/* contrib/mailwarden.conf shows every key, commented out, at its
 * default; uncommenting every key line gives a good configuration. */
static void test_example_file_has_every_key_at_its_default(void **state)
{
	(void)state;
	char *text = read_whole("contrib/mailwarden.conf");
	mw_buf uncommented;
	mw_buf_init(&uncommented, 1 << 20);
	for (size_t i = 0; i < mw_config_key_count(); i++) {
		const char *name = mw_config_key_name(i);
		const char *def = mw_config_key_default(i);
		char want[512];
		snprintf(want, sizeof want,
			 *def ? "\n#%s = %s\n" : "\n#%s =%s\n", name, def);
		if (strcmp(name, "our_hostnames") == 0)
			snprintf(want, sizeof want, "\n#%s = ", name);
		if (!strstr(text, want))
			fail_msg("contrib/mailwarden.conf lacks: %s", want + 1);
		const char *line = strstr(text, want) + 2;
		mw_buf_append(&uncommented, line, strcspn(line, "\n"));
		mw_buf_putc(&uncommented, '\n');
	}
	mw_config *cfg = parse_n(mw_buf_cstr(&uncommented), uncommented.len);
	if (!cfg)
		mw_config_errors_print(&errs, stderr);
	assert_non_null(cfg);
	mw_config_free(cfg);
	mw_buf_free(&uncommented);
	/* And as shipped, all commented, it is good too. */
	mw_config_free(ok(text));
	free(text);
}

static void test_documentation_has_a_section_per_key(void **state)
{
	(void)state;
	char *text = read_whole("docs/config.md");
	for (size_t i = 0; i < mw_config_key_count(); i++) {
		char want[128];
		snprintf(want, sizeof want, "\n### `%s`\n",
			 mw_config_key_name(i));
		if (!strstr(text, want))
			fail_msg("docs/config.md lacks the heading %s",
				 want + 1);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_file_gives_every_default),
	    cmocka_unit_test(test_empty_file_warns_that_nothing_is_protected),
	    cmocka_unit_test(test_our_hostnames_defaults_to_this_host),
	    cmocka_unit_test(test_every_default_reads_back_as_itself),
	    cmocka_unit_test(test_key_table_is_well_formed),
	    cmocka_unit_test(test_key_lines_say_where_each_key_was_set),
	    cmocka_unit_test(test_comments_are_whole_lines_only),
	    cmocka_unit_test(test_trailing_comment_on_a_path_gets_a_hint),
	    cmocka_unit_test(test_dollar_references_are_not_expanded),
	    cmocka_unit_test(test_continuation_lines_join_the_line_above),
	    cmocka_unit_test(
		test_error_in_a_continued_line_names_its_first_line),
	    cmocka_unit_test(test_continuation_with_nothing_above_is_an_error),
	    cmocka_unit_test(test_blanks_around_equals_are_optional),
	    cmocka_unit_test(test_crlf_and_bare_cr_files_read_like_lf),
	    cmocka_unit_test(test_utf8_bom_is_skipped),
	    cmocka_unit_test(test_japanese_comments_are_fine),
	    cmocka_unit_test(test_line_without_equals_names_its_key),
	    cmocka_unit_test(test_line_without_key_name_is_an_error),
	    cmocka_unit_test(test_unknown_key_suggests_the_closest_name),
	    cmocka_unit_test(test_unknown_key_of_another_program_names_ours),
	    cmocka_unit_test(test_unknown_key_far_from_all_gets_no_guess),
	    cmocka_unit_test(test_duplicate_key_is_an_error_naming_both_lines),
	    cmocka_unit_test(test_every_error_of_a_file_is_reported),
	    cmocka_unit_test(test_runaway_list_reports_three_items_and_a_count),
	    cmocka_unit_test(test_errors_are_kept_up_to_a_bound_and_counted),
	    cmocka_unit_test(test_very_long_line_is_refused_fast),
	    cmocka_unit_test(test_long_line_of_continuations_is_bounded_too),
	    cmocka_unit_test(test_list_over_its_item_bound_is_refused),
	    cmocka_unit_test(test_ten_megabyte_file_is_refused_whole_and_fast),
	    cmocka_unit_test(test_binary_file_is_one_error),
	    cmocka_unit_test(test_control_bytes_without_nul_are_bounded_errors),
	    cmocka_unit_test(test_control_character_in_a_line_is_reported),
	    cmocka_unit_test(test_non_ascii_value_is_quoted_escaped),
	    cmocka_unit_test(test_missing_file_is_an_error_naming_it),
	    cmocka_unit_test(test_load_reads_a_file),
	    cmocka_unit_test(test_booleans_take_yes_no_true_false_1_0),
	    cmocka_unit_test(test_counts_are_whole_numbers_in_range),
	    cmocka_unit_test(test_durations_take_units_and_bare_seconds),
	    cmocka_unit_test(test_sizes_take_k_m_g),
	    cmocka_unit_test(test_enums_take_their_words_in_any_case),
	    cmocka_unit_test(test_store_is_sqlite_or_redis),
	    cmocka_unit_test(test_milter_socket_forms),
	    cmocka_unit_test(test_bad_milter_sockets_say_what_is_wrong),
	    cmocka_unit_test(test_host_port_forms),
	    cmocka_unit_test(test_path_values),
	    cmocka_unit_test(test_domain_lists_are_lowered_sorted_and_unique),
	    cmocka_unit_test(test_bad_domains_say_why),
	    cmocka_unit_test(test_networks_take_v4_v6_and_postfix_brackets),
	    cmocka_unit_test(test_daemon_names_keep_case_and_order),
	    cmocka_unit_test(test_addresses_lower_their_domain_only),
	    cmocka_unit_test(test_user_names),
	    cmocka_unit_test(test_signing_without_a_key_file_is_an_error),
	    cmocka_unit_test(test_a_full_configuration_round_trips),
	    cmocka_unit_test(
		test_local_domain_lookup_ignores_case_and_trailing_dot),
	    cmocka_unit_test(
		test_trusted_lookup_matches_networks_and_mapped_v6),
	    cmocka_unit_test(test_outbound_daemon_lookup_is_exact),
	    cmocka_unit_test(test_references_keep_a_configuration_alive),
	    cmocka_unit_test(test_check_files_reads_the_batv_key_file),
	    cmocka_unit_test(test_check_files_names_a_missing_database),
	    cmocka_unit_test(test_example_file_has_every_key_at_its_default),
	    cmocka_unit_test(test_documentation_has_a_section_per_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
