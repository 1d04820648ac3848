/*
 * test_milter_decoder.c - the milter decoder reads every command of the
 * MTA-to-filter stream from hand-built frames, whatever the split, and
 * stops or skips with a named error on every kind of broken input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/limits.h"
#include "milter/decoder.h"

/* -- helpers ---------------------------------------------------------- */

/* Feed a whole byte string (in one call) and expect it all taken. */
static void feed_all(mw_milter_decoder *d, const void *p, size_t n)
{
	assert_int_equal(mw_milter_feed(d, p, n), n);
}

#define FEED_LIT(d, lit) feed_all((d), (lit), sizeof(lit) - 1)

static void assert_str(mw_str s, const char *want)
{
	assert_int_equal(s.n, strlen(want));
	assert_memory_equal(s.p, want, s.n);
	assert_int_equal(s.p[s.n], '\0'); /* the contract: NUL follows */
}

/* Decode one frame given as a literal; expect `want` as the result. */
static mw_milter_result decode_one(mw_milter_decoder *d, const void *p,
				   size_t n, mw_milter_cmd *cmd)
{
	mw_milter_decoder_init(d);
	feed_all(d, p, n);
	return mw_milter_next(d, cmd);
}

#define DECODE_LIT(d, lit, cmd) decode_one((d), (lit), sizeof(lit) - 1, (cmd))

/* Append a frame (length, code, payload) to buf. */
static size_t put_frame(unsigned char *buf, size_t at, unsigned char code,
			const void *payload, size_t n)
{
	uint32_t len = (uint32_t)n + 1;
	buf[at++] = (unsigned char)(len >> 24);
	buf[at++] = (unsigned char)(len >> 16);
	buf[at++] = (unsigned char)(len >> 8);
	buf[at++] = (unsigned char)len;
	buf[at++] = code;
	if (n)
		memcpy(buf + at, payload, n);
	return at + n;
}

#define PUT_LIT(buf, at, code, lit)                                            \
	put_frame((buf), (at), (code), (lit), sizeof(lit) - 1)

/* -- each command, from bytes written by hand ------------------------- */

static void test_optneg_as_postfix_3_7_sends_it(void **state)
{
	(void)state;
	/* milter_protocol = 6: version 6, every action, every step bit. */
	static const char frame[] = "\x00\x00\x00\x0d"
				    "O"
				    "\x00\x00\x00\x06"
				    "\x00\x00\x01\xff"
				    "\x00\x1f\xff\xff";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_OPTNEG);
	assert_int_equal(c.u.optneg.version, 6);
	assert_int_equal(c.u.optneg.actions, 0x1ff);
	assert_int_equal(c.u.optneg.protocol, 0x1fffff);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_MORE);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_DONE);
	mw_milter_decoder_free(&d);
}

static void test_short_or_long_optneg_is_malformed(void **state)
{
	(void)state;
	static const char shorter[] = "\x00\x00\x00\x09"
				      "O"
				      "\x00\x00\x00\x06"
				      "\x00\x00\x01\xff";
	static const char longer[] = "\x00\x00\x00\x0e"
				     "O"
				     "\x00\x00\x00\x06"
				     "\x00\x00\x01\xff"
				     "\x00\x1f\xff\xff"
				     "X";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, shorter, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_SHORT);
	assert_int_equal(c.code, MW_SMFIC_OPTNEG);
	assert_int_equal(c.u.raw.n, 8);
	mw_milter_decoder_free(&d);
	assert_int_equal(DECODE_LIT(&d, longer, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TRAILING);
	mw_milter_decoder_free(&d);
}

static void test_macro_pairs_are_walked_and_looked_up(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x2d"
				    "D"
				    "C"
				    "j\0mx.example.org\0"
				    "{daemon_name}\0ORIGINATING\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_MACRO);
	assert_int_equal(c.u.macro.for_cmd, MW_SMFIC_CONNECT);
	assert_int_equal(c.u.macro.pairs.count, 4);

	size_t pos = 0;
	mw_str n, v;
	assert_true(mw_milter_macro_next(&c, &pos, &n, &v));
	assert_str(n, "j");
	assert_str(v, "mx.example.org");
	assert_true(mw_milter_macro_next(&c, &pos, &n, &v));
	assert_str(n, "{daemon_name}");
	assert_str(v, "ORIGINATING");
	assert_false(mw_milter_macro_next(&c, &pos, &n, &v));

	assert_true(mw_milter_macro_get(&c, "{daemon_name}", &v));
	assert_str(v, "ORIGINATING");
	/* A macro Postfix did not send is simply absent. */
	assert_false(mw_milter_macro_get(&c, "{auth_authen}", &v));
	mw_milter_decoder_free(&d);
}

static void test_macro_command_without_macros_is_valid(void **state)
{
	(void)state;
	/* Postfix sends the macro command of a stage even when its list
	 * gave no values. */
	static const char frame[] = "\x00\x00\x00\x02"
				    "D"
				    "T";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.u.macro.for_cmd, MW_SMFIC_DATA);
	assert_int_equal(c.u.macro.pairs.count, 0);
	mw_str v;
	assert_false(mw_milter_macro_get(&c, "i", &v));
	mw_milter_decoder_free(&d);
}

static void test_macro_with_empty_value_is_kept(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x11"
				    "D"
				    "M"
				    "{auth_authen}\0\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	mw_str v;
	assert_true(mw_milter_macro_get(&c, "{auth_authen}", &v));
	assert_str(v, "");
	mw_milter_decoder_free(&d);
}

static void test_macro_list_with_odd_count_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x0d"
				    "D"
				    "R"
				    "i\0ABC123\0j\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_ODD_MACROS);
	assert_int_equal(c.code, MW_SMFIC_MACRO);
	/* The raw payload is there for the log. */
	assert_int_equal(c.u.raw.n, 12);
	assert_memory_equal(c.u.raw.p, "Ri\0ABC123\0j\0", 12);
	/* A malformed macro list is no reason to walk it. */
	size_t pos = 0;
	mw_str n, v;
	c.code = 0;
	assert_false(mw_milter_macro_next(&c, &pos, &n, &v));
	mw_milter_decoder_free(&d);
}

static void test_macro_value_without_nul_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x0a"
				    "D"
				    "R"
				    "i\0ABC123";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_NO_NUL);
	mw_milter_decoder_free(&d);
}

static void test_macro_without_its_command_byte_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x01"
				    "D";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_SHORT);
	mw_milter_decoder_free(&d);
}

static void test_connect_inet(void **state)
{
	(void)state;
	/* host, '4', port 25000 (0x61a8) in network order, address. */
	static const char frame[] = "\x00\x00\x00\x1f"
				    "C"
				    "mail.example.net\0"
				    "4"
				    "\x61\xa8"
				    "192.0.2.7\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_CONNECT);
	assert_str(c.u.connect.hostname, "mail.example.net");
	assert_int_equal(c.u.connect.family, MW_SMFIA_INET);
	assert_int_equal(c.u.connect.port, 25000);
	assert_str(c.u.connect.address, "192.0.2.7");
	mw_milter_decoder_free(&d);
}

static void test_connect_inet6_with_unknown_host_name(void **state)
{
	(void)state;
	/* Postfix sends "[address]" when the name did not resolve. */
	static const char frame[] = "\x00\x00\x00\x20"
				    "C"
				    "[2001:db8::25]\0"
				    "6"
				    "\x00\x19"
				    "2001:db8::25\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_str(c.u.connect.hostname, "[2001:db8::25]");
	assert_int_equal(c.u.connect.family, MW_SMFIA_INET6);
	assert_int_equal(c.u.connect.port, 25);
	assert_str(c.u.connect.address, "2001:db8::25");
	mw_milter_decoder_free(&d);
}

static void test_connect_unix_and_unknown_family(void **state)
{
	(void)state;
	static const char unix_frame[] = "\x00\x00\x00\x1e"
					 "C"
					 "localhost\0"
					 "L"
					 "\x00\x00"
					 "/run/smtpd.sock\0";
	static const char unknown_frame[] = "\x00\x00\x00\x0a"
					    "C"
					    "unknown\0"
					    "U";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, unix_frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.u.connect.family, MW_SMFIA_UNIX);
	assert_int_equal(c.u.connect.port, 0);
	assert_str(c.u.connect.address, "/run/smtpd.sock");
	mw_milter_decoder_free(&d);

	/* An unknown family carries no port and no address. */
	assert_int_equal(DECODE_LIT(&d, unknown_frame, &c), MW_MILTER_CMD);
	assert_str(c.u.connect.hostname, "unknown");
	assert_int_equal(c.u.connect.family, MW_SMFIA_UNKNOWN);
	assert_int_equal(c.u.connect.port, 0);
	assert_str(c.u.connect.address, "");
	mw_milter_decoder_free(&d);
}

static void test_connect_with_bad_family_or_cut_short_is_malformed(void **state)
{
	(void)state;
	static const char bad_family[] = "\x00\x00\x00\x0d"
					 "C"
					 "host\0"
					 "9"
					 "\x00\x19"
					 "1.2\0";
	static const char no_port[] = "\x00\x00\x00\x08"
				      "C"
				      "host\0"
				      "4"
				      "\x00";
	static const char no_address_nul[] = "\x00\x00\x00\x0d"
					     "C"
					     "host\0"
					     "4"
					     "\x00\x19"
					     "1.2.";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, bad_family, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_FAMILY);
	mw_milter_decoder_free(&d);
	assert_int_equal(DECODE_LIT(&d, no_port, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_SHORT);
	mw_milter_decoder_free(&d);
	assert_int_equal(DECODE_LIT(&d, no_address_nul, &c),
			 MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_NO_NUL);
	mw_milter_decoder_free(&d);
}

static void test_helo(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x11"
				    "H"
				    "client.example.\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_HELO);
	assert_str(c.u.helo, "client.example.");
	mw_milter_decoder_free(&d);
}

static void
test_string_without_nul_is_malformed_and_decoding_goes_on(void **state)
{
	(void)state;
	/* A HELO whose name runs to the end of the frame, then a QUIT. */
	static const char stream[] = "\x00\x00\x00\x03"
				     "H"
				     "mx"
				     "\x00\x00\x00\x01"
				     "Q";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, stream, &c), MW_MILTER_MALFORMED);
	assert_int_equal(c.code, MW_SMFIC_HELO);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_NO_NUL);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_MORE);
	mw_milter_decoder_free(&d);
}

static void test_mail_with_esmtp_args(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x2c"
				    "M"
				    "<alice@example.org>\0"
				    "SIZE=100\0"
				    "BODY=8BITMIME\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_MAIL);
	assert_str(c.u.envelope.addr, "<alice@example.org>");
	assert_int_equal(c.u.envelope.args.count, 2);
	size_t pos = 0;
	mw_str a;
	assert_true(mw_milter_list_next(&c.u.envelope.args, &pos, &a));
	assert_str(a, "SIZE=100");
	assert_true(mw_milter_list_next(&c.u.envelope.args, &pos, &a));
	assert_str(a, "BODY=8BITMIME");
	assert_false(mw_milter_list_next(&c.u.envelope.args, &pos, &a));
	mw_milter_decoder_free(&d);
}

static void test_null_sender_and_rcpt_without_args(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x04"
				     "M"
				     "<>\0"
				     "\x00\x00\x00\x12"
				     "R"
				     "<bob@example.jp>\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, stream, &c), MW_MILTER_CMD);
	assert_str(c.u.envelope.addr, "<>");
	assert_int_equal(c.u.envelope.args.count, 0);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_RCPT);
	assert_str(c.u.envelope.addr, "<bob@example.jp>");
	assert_int_equal(c.u.envelope.args.count, 0);
	mw_milter_decoder_free(&d);
}

static void test_mail_without_address_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x01"
				    "M";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_NO_ARGS);
	mw_milter_decoder_free(&d);
}

static void test_rcpt_with_too_many_args_is_malformed(void **state)
{
	(void)state;
	unsigned char payload[4 * (MW_MILTER_ARGS_MAX + 1)];
	for (size_t i = 0; i < sizeof payload; i += 4)
		memcpy(payload + i, "<a>", 4);
	unsigned char buf[sizeof payload + 8];
	size_t n = put_frame(buf, 0, MW_SMFIC_RCPT, payload, sizeof payload);
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(decode_one(&d, buf, n, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TOO_MANY);
	mw_milter_decoder_free(&d);

	/* Exactly the limit is fine. */
	n = put_frame(buf, 0, MW_SMFIC_RCPT, payload, sizeof payload - 4);
	assert_int_equal(decode_one(&d, buf, n, &c), MW_MILTER_CMD);
	assert_int_equal(c.u.envelope.args.count, MW_MILTER_ARGS_MAX - 1);
	mw_milter_decoder_free(&d);
}

static void test_header_name_and_value(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x1d"
				    "L"
				    "Subject\0"
				    "Returned mail:\n\tsee\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_HEADER);
	assert_str(c.u.header.name, "Subject");
	assert_str(c.u.header.value, "Returned mail:\n\tsee");
	mw_milter_decoder_free(&d);
}

static void test_header_without_value_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x09"
				    "L"
				    "Subject\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_SHORT);
	mw_milter_decoder_free(&d);
}

static void test_body_chunks_and_end_of_message(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x0b"
				     "B"
				     "Hi\r\nbye\0\r\n"
				     "\x00\x00\x00\x01"
				     "E"
				     "\x00\x00\x00\x04"
				     "E"
				     "end";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, stream, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_BODY);
	/* Body bytes are raw: a NUL inside is data. */
	assert_int_equal(c.u.body.n, 10);
	assert_memory_equal(c.u.body.p, "Hi\r\nbye\0\r\n", 10);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_BODYEOB);
	assert_int_equal(c.u.body.n, 0);
	/* Sendmail's EOB with a last chunk. */
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_BODYEOB);
	assert_int_equal(c.u.body.n, 3);
	assert_memory_equal(c.u.body.p, "end", 3);
	mw_milter_decoder_free(&d);
}

static void test_commands_without_payload(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x01"
				     "T"
				     "\x00\x00\x00\x01"
				     "N"
				     "\x00\x00\x00\x01"
				     "A"
				     "\x00\x00\x00\x01"
				     "K"
				     "\x00\x00\x00\x01"
				     "Q";
	static const unsigned char want[] = {MW_SMFIC_DATA, MW_SMFIC_EOH,
					     MW_SMFIC_ABORT, MW_SMFIC_QUIT_NC,
					     MW_SMFIC_QUIT};
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	FEED_LIT(&d, stream);
	for (size_t i = 0; i < sizeof want; i++) {
		assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
		assert_int_equal(c.code, want[i]);
	}
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_MORE);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_DONE);
	mw_milter_decoder_free(&d);
}

static void test_payload_on_data_is_malformed(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x02"
				    "T"
				    "x";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TRAILING);
	mw_milter_decoder_free(&d);
}

static void test_unknown_smtp_command(void **state)
{
	(void)state;
	static const char frame[] = "\x00\x00\x00\x0a"
				    "U"
				    "XFOO bar\0";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, frame, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_UNKNOWN);
	assert_str(c.u.unknown, "XFOO bar");
	mw_milter_decoder_free(&d);
}

static void test_unknown_command_byte_is_reported_and_skipped(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x04"
				     "Z"
				     "\x01\x02\x03"
				     "\x00\x00\x00\x01"
				     "Q";
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(DECODE_LIT(&d, stream, &c), MW_MILTER_UNRECOGNISED);
	assert_int_equal(c.code, 'Z');
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_UNKNOWN_CMD);
	assert_int_equal(c.u.raw.n, 3);
	assert_memory_equal(c.u.raw.p, "\x01\x02\x03", 3);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	mw_milter_decoder_free(&d);
}

/* -- framing limits ---------------------------------------------------- */

static void test_oversized_frame_stops_the_decoder(void **state)
{
	(void)state;
	/* A good QUIT, then a length one over the limit, then its bytes. */
	uint32_t bad = (uint32_t)MW_MILTER_FRAME_MAX + 1;
	unsigned char stream[5 + 4 + 16] = {0, 0, 0, 1, 'Q'};
	stream[5] = (unsigned char)(bad >> 24);
	stream[6] = (unsigned char)(bad >> 16);
	stream[7] = (unsigned char)(bad >> 8);
	stream[8] = (unsigned char)bad;
	memset(stream + 9, 'B', 16);

	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	/* Taken up to the end of the bad length, and not one byte more. */
	assert_int_equal(mw_milter_feed(&d, stream, sizeof stream), 9);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TOO_LONG);
	assert_int_equal(mw_milter_feed(&d, stream + 9, 16), 0);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_ERROR);
	mw_milter_decoder_free(&d);
}

static void test_huge_length_is_refused_byte_by_byte(void **state)
{
	(void)state;
	static const unsigned char hdr[] = {0xff, 0xff, 0xff, 0xff, 'B'};
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mw_milter_feed(&d, hdr + i, 1), 1);
	assert_int_equal(mw_milter_feed(&d, hdr + 4, 1), 0);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TOO_LONG);
	mw_milter_decoder_free(&d);
}

static void test_frame_of_exactly_the_limit_is_accepted(void **state)
{
	(void)state;
	size_t payload = MW_MILTER_FRAME_MAX - 1;
	unsigned char *buf = malloc(payload + 5);
	assert_non_null(buf);
	memset(buf, 'x', payload + 5);
	size_t n = put_frame(buf, 0, MW_SMFIC_BODY, buf + 5, payload);
	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(decode_one(&d, buf, n, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_BODY);
	assert_int_equal(c.u.body.n, payload);
	assert_true(d.buf.len <= MW_MILTER_BUFFER_MAX);
	mw_milter_decoder_free(&d);
	free(buf);
}

static void test_zero_length_frame_stops_the_decoder(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x01"
				     "A"
				     "\x00\x00\x00\x00"
				     "\x00\x00\x00\x01"
				     "Q";
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	assert_int_equal(mw_milter_feed(&d, stream, sizeof stream - 1), 9);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_ABORT);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_ZERO_LENGTH);
	assert_int_equal(mw_milter_feed(&d, "x", 1), 0);
	mw_milter_decoder_free(&d);
}

static void test_hundred_thousand_macros_are_refused_quickly(void **state)
{
	(void)state;
	size_t pairs = 100000;
	size_t payload = 1 + pairs * 4;
	unsigned char *p = malloc(payload);
	unsigned char *buf = malloc(payload + 16);
	assert_non_null(p);
	assert_non_null(buf);
	p[0] = MW_SMFIC_CONNECT;
	for (size_t i = 0; i < pairs; i++)
		memcpy(p + 1 + 4 * i, "a\0b\0", 4);
	size_t n = put_frame(buf, 0, MW_SMFIC_MACRO, p, payload);
	n = PUT_LIT(buf, n, MW_SMFIC_QUIT, "");

	mw_milter_decoder d;
	mw_milter_cmd c;
	assert_int_equal(decode_one(&d, buf, n, &c), MW_MILTER_MALFORMED);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TOO_MANY);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	mw_milter_decoder_free(&d);

	/* The limit itself passes. */
	n = put_frame(buf, 0, MW_SMFIC_MACRO, p, 1 + 4 * MW_MILTER_MACROS_MAX);
	assert_int_equal(decode_one(&d, buf, n, &c), MW_MILTER_CMD);
	assert_int_equal(c.u.macro.pairs.count, 2 * MW_MILTER_MACROS_MAX);
	mw_milter_decoder_free(&d);
	free(p);
	free(buf);
}

static void test_connection_closed_mid_frame_is_incomplete(void **state)
{
	(void)state;
	static const char stream[] = "\x00\x00\x00\x01"
				     "Q"
				     "\x00\x00\x00\x05"
				     "Hab";
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	FEED_LIT(&d, stream);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_MORE);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_INCOMPLETE);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_TRUNCATED);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	mw_milter_decoder_free(&d);

	/* Closed inside the length itself. */
	mw_milter_decoder_init(&d);
	feed_all(&d, "\x00\x00", 2);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_MORE);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_INCOMPLETE);
	mw_milter_decoder_free(&d);

	/* Nothing at all is a clean end. */
	mw_milter_decoder_init(&d);
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_DONE);
	mw_milter_decoder_free(&d);
}

/* -- streaming --------------------------------------------------------- */

/* A whole Postfix-like session: negotiation, connect, one message. */
static size_t build_session(unsigned char *buf)
{
	size_t n = 0;
	n = PUT_LIT(buf, n, MW_SMFIC_OPTNEG,
		    "\x00\x00\x00\x06\x00\x00\x01\xff\x00\x1f\xff\xff");
	n = PUT_LIT(
	    buf, n, MW_SMFIC_MACRO,
	    "Cj\0mx.example.jp\0{daemon_name}\0mx\0v\0Postfix 3.7.11\0");
	n = PUT_LIT(buf, n, MW_SMFIC_CONNECT,
		    "relay.example.net\0"
		    "4\x30\x39"
		    "203.0.113.5\0");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO, "H");
	n = PUT_LIT(buf, n, MW_SMFIC_HELO, "relay.example.net\0");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO,
		    "Mi\0"
		    "4XyZ1\0");
	n = PUT_LIT(buf, n, MW_SMFIC_MAIL,
		    "<>\0"
		    "SIZE=2048\0");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO, "R{rcpt_addr}\0user@example.jp\0");
	n = PUT_LIT(buf, n, MW_SMFIC_RCPT, "<user@example.jp>\0");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO, "T");
	n = PUT_LIT(buf, n, MW_SMFIC_DATA, "");
	n = PUT_LIT(buf, n, MW_SMFIC_HEADER,
		    "From\0Mail Delivery System <MAILER-DAEMON@example.net>\0");
	n = PUT_LIT(buf, n, MW_SMFIC_HEADER,
		    "Subject\0Undelivered Mail Returned to Sender\0");
	n = PUT_LIT(buf, n, MW_SMFIC_EOH, "");
	n = PUT_LIT(buf, n, MW_SMFIC_BODY, "This is the mail system.\r\n\r\n");
	n = PUT_LIT(buf, n, 'Z', "junk");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO,
		    "Ei\0"
		    "4XyZ1\0");
	n = PUT_LIT(buf, n, MW_SMFIC_BODYEOB, "");
	n = PUT_LIT(buf, n, MW_SMFIC_MACRO, "Ri\0odd");
	n = PUT_LIT(buf, n, MW_SMFIC_UNKNOWN, "XCLIENT foo\0");
	n = PUT_LIT(buf, n, MW_SMFIC_ABORT, "");
	n = PUT_LIT(buf, n, MW_SMFIC_QUIT, "");
	return n;
}

/* One line per command, with every field, so two runs compare whole. */
static void describe(mw_milter_result r, const mw_milter_cmd *c, char *out,
		     size_t cap)
{
	int k = snprintf(out, cap, "%d %c:", (int)r, c->code);
	size_t at = (size_t)k;
	const unsigned char *p = NULL;
	size_t n = 0;
	if (r != MW_MILTER_CMD) {
		p = c->u.raw.p, n = c->u.raw.n;
	} else if (c->code == MW_SMFIC_BODY || c->code == MW_SMFIC_BODYEOB) {
		p = c->u.body.p, n = c->u.body.n;
	} else if (c->code == MW_SMFIC_MACRO) {
		p = (const unsigned char *)c->u.macro.pairs.p;
		n = c->u.macro.pairs.bytes;
	} else if (c->code == MW_SMFIC_MAIL || c->code == MW_SMFIC_RCPT) {
		at += (size_t)snprintf(
		    out + at, cap - at, "%.*s|%zu|", (int)c->u.envelope.addr.n,
		    c->u.envelope.addr.p, c->u.envelope.args.count);
		p = (const unsigned char *)c->u.envelope.args.p;
		n = c->u.envelope.args.bytes;
	} else if (c->code == MW_SMFIC_CONNECT) {
		at += (size_t)snprintf(
		    out + at, cap - at, "%.*s|%c|%u|%.*s",
		    (int)c->u.connect.hostname.n, c->u.connect.hostname.p,
		    c->u.connect.family, c->u.connect.port,
		    (int)c->u.connect.address.n, c->u.connect.address.p);
	} else if (c->code == MW_SMFIC_HEADER) {
		at += (size_t)snprintf(
		    out + at, cap - at, "%.*s|%.*s", (int)c->u.header.name.n,
		    c->u.header.name.p, (int)c->u.header.value.n,
		    c->u.header.value.p);
	} else if (c->code == MW_SMFIC_OPTNEG) {
		at += (size_t)snprintf(out + at, cap - at, "%x|%x|%x",
				       c->u.optneg.version, c->u.optneg.actions,
				       c->u.optneg.protocol);
	} else if (c->code == MW_SMFIC_HELO) {
		at += (size_t)snprintf(out + at, cap - at, "%.*s",
				       (int)c->u.helo.n, c->u.helo.p);
	} else if (c->code == MW_SMFIC_UNKNOWN) {
		at += (size_t)snprintf(out + at, cap - at, "%.*s",
				       (int)c->u.unknown.n, c->u.unknown.p);
	}
	for (size_t i = 0; i < n && at + 3 < cap; i++)
		at += (size_t)snprintf(out + at, cap - at, "%02x", p[i]);
}

#define MAX_CMDS 64
#define LINE 512

typedef struct transcript {
	char lines[MAX_CMDS][LINE];
	size_t count;
	mw_milter_result end;
} transcript;

/* Feed `stream` in pieces whose sizes come from next_size(). */
static void run_split(const unsigned char *stream, size_t len,
		      size_t (*next_size)(unsigned *), unsigned seed,
		      transcript *t)
{
	mw_milter_decoder d;
	mw_milter_decoder_init(&d);
	t->count = 0;
	size_t off = 0;
	while (off < len) {
		size_t want = next_size(&seed);
		if (want > len - off)
			want = len - off;
		size_t took = mw_milter_feed(&d, stream + off, want);
		assert_int_equal(took, want);
		off += took;
		mw_milter_cmd c;
		mw_milter_result r;
		while ((r = mw_milter_next(&d, &c)) != MW_MILTER_MORE) {
			assert_int_not_equal(r, MW_MILTER_ERROR);
			assert_true(t->count < MAX_CMDS);
			describe(r, &c, t->lines[t->count++], LINE);
		}
	}
	t->end = mw_milter_decoder_eof(&d);
	mw_milter_decoder_free(&d);
}

static size_t whole(unsigned *seed)
{
	(void)seed;
	return SIZE_MAX;
}

static size_t one_byte(unsigned *seed)
{
	(void)seed;
	return 1;
}

static size_t random_piece(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return 1 + (*seed >> 16) % 40;
}

static void assert_same(const transcript *a, const transcript *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++)
		assert_string_equal(a->lines[i], b->lines[i]);
	assert_int_equal(a->end, b->end);
}

static void test_same_commands_whole_bytewise_and_in_random_pieces(void **state)
{
	(void)state;
	static unsigned char stream[4096];
	size_t len = build_session(stream);
	static transcript ref, other;

	run_split(stream, len, whole, 0, &ref);
	assert_int_equal(ref.count, 22);
	assert_int_equal(ref.end, MW_MILTER_DONE);
	/* Spot checks of the reference itself. */
	assert_string_equal(ref.lines[2], "1 C:relay.example.net|4|12345|"
					  "203.0.113.5");
	assert_string_equal(ref.lines[6], "1 M:<>|1|53495a453d3230343800");
	assert_int_equal(ref.lines[15][0], '0' + MW_MILTER_UNRECOGNISED);
	assert_int_equal(ref.lines[18][0], '0' + MW_MILTER_MALFORMED);

	run_split(stream, len, one_byte, 0, &other);
	assert_same(&ref, &other);
	for (unsigned seed = 1; seed <= 50; seed++) {
		run_split(stream, len, random_piece, seed, &other);
		assert_same(&ref, &other);
	}
}

static void test_views_stay_valid_until_the_next_feed(void **state)
{
	(void)state;
	unsigned char buf[256];
	size_t n = PUT_LIT(buf, 0, MW_SMFIC_MAIL, "<a@example.org>\0");
	n = PUT_LIT(buf, n, MW_SMFIC_RCPT, "<b@example.jp>\0");
	n = PUT_LIT(buf, n, MW_SMFIC_HEADER, "To\0b@example.jp\0");
	mw_milter_decoder d;
	mw_milter_cmd mail, rcpt, hdr;
	mw_milter_decoder_init(&d);
	feed_all(&d, buf, n);
	assert_int_equal(mw_milter_next(&d, &mail), MW_MILTER_CMD);
	assert_int_equal(mw_milter_next(&d, &rcpt), MW_MILTER_CMD);
	assert_int_equal(mw_milter_next(&d, &hdr), MW_MILTER_CMD);
	assert_str(mail.u.envelope.addr, "<a@example.org>");
	assert_str(rcpt.u.envelope.addr, "<b@example.jp>");
	assert_str(hdr.u.header.value, "b@example.jp");
	mw_milter_decoder_free(&d);
}

static void test_feed_takes_no_more_than_one_frame_of_room(void **state)
{
	(void)state;
	/* Three body chunks of 600 KB: together over the buffer's cap. */
	size_t chunk = 600 * 1024;
	size_t total = 3 * (chunk + 5);
	unsigned char *buf = malloc(total);
	assert_non_null(buf);
	size_t n = 0;
	for (int i = 0; i < 3; i++) {
		memset(buf + n + 5, 'a' + i, chunk);
		n = put_frame(buf, n, MW_SMFIC_BODY, buf + n + 5, chunk);
	}
	assert_int_equal(n, total);

	mw_milter_decoder d;
	mw_milter_decoder_init(&d);
	size_t off = 0, bodies = 0, rounds = 0;
	while (off < total) {
		assert_true(rounds++ < 10);
		size_t took = mw_milter_feed(&d, buf + off, total - off);
		assert_true(d.buf.len <= MW_MILTER_BUFFER_MAX);
		off += took;
		mw_milter_cmd c;
		mw_milter_result r;
		while ((r = mw_milter_next(&d, &c)) == MW_MILTER_CMD) {
			assert_int_equal(c.u.body.n, chunk);
			assert_int_equal(c.u.body.p[0], 'a' + (int)bodies);
			bodies++;
		}
		assert_int_equal(r, MW_MILTER_MORE);
	}
	assert_int_equal(bodies, 3);
	assert_true(rounds > 1); /* it did have to wait */
	assert_int_equal(mw_milter_decoder_eof(&d), MW_MILTER_DONE);
	mw_milter_decoder_free(&d);
	free(buf);
}

static void test_drained_big_buffer_is_released(void **state)
{
	(void)state;
	size_t chunk = MW_MILTER_CHUNK_SIZE;
	unsigned char *buf = malloc(chunk + 5);
	assert_non_null(buf);
	memset(buf, 'x', chunk + 5);
	size_t n = put_frame(buf, 0, MW_SMFIC_BODY, buf + 5, chunk);
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	feed_all(&d, buf, n);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_true(d.buf.alloc > MW_MILTER_BUFFER_KEEP);
	feed_all(&d, "\x00\x00\x00\x01Q", 5);
	assert_true(d.buf.alloc <= MW_MILTER_BUFFER_KEEP);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	mw_milter_decoder_free(&d);
	free(buf);
}

static void test_reset_starts_a_new_connection(void **state)
{
	(void)state;
	mw_milter_decoder d;
	mw_milter_cmd c;
	mw_milter_decoder_init(&d);
	feed_all(&d, "\x00\x00\x00\x00", 4);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_ERROR);
	mw_milter_decoder_reset(&d);
	assert_int_equal(mw_milter_decoder_error(&d), MW_MILTER_E_NONE);
	feed_all(&d, "\x00\x00\x00\x01Q", 5);
	assert_int_equal(mw_milter_next(&d, &c), MW_MILTER_CMD);
	assert_int_equal(c.code, MW_SMFIC_QUIT);
	mw_milter_decoder_free(&d);
}

static void test_error_names_are_distinct(void **state)
{
	(void)state;
	for (int a = MW_MILTER_E_NONE; a <= MW_MILTER_E_NOMEM; a++)
		for (int b = a + 1; b <= MW_MILTER_E_NOMEM; b++)
			assert_string_not_equal(
			    mw_milter_error_str((mw_milter_error)a),
			    mw_milter_error_str((mw_milter_error)b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_optneg_as_postfix_3_7_sends_it),
	    cmocka_unit_test(test_short_or_long_optneg_is_malformed),
	    cmocka_unit_test(test_macro_pairs_are_walked_and_looked_up),
	    cmocka_unit_test(test_macro_command_without_macros_is_valid),
	    cmocka_unit_test(test_macro_with_empty_value_is_kept),
	    cmocka_unit_test(test_macro_list_with_odd_count_is_malformed),
	    cmocka_unit_test(test_macro_value_without_nul_is_malformed),
	    cmocka_unit_test(test_macro_without_its_command_byte_is_malformed),
	    cmocka_unit_test(test_connect_inet),
	    cmocka_unit_test(test_connect_inet6_with_unknown_host_name),
	    cmocka_unit_test(test_connect_unix_and_unknown_family),
	    cmocka_unit_test(
		test_connect_with_bad_family_or_cut_short_is_malformed),
	    cmocka_unit_test(test_helo),
	    cmocka_unit_test(
		test_string_without_nul_is_malformed_and_decoding_goes_on),
	    cmocka_unit_test(test_mail_with_esmtp_args),
	    cmocka_unit_test(test_null_sender_and_rcpt_without_args),
	    cmocka_unit_test(test_mail_without_address_is_malformed),
	    cmocka_unit_test(test_rcpt_with_too_many_args_is_malformed),
	    cmocka_unit_test(test_header_name_and_value),
	    cmocka_unit_test(test_header_without_value_is_malformed),
	    cmocka_unit_test(test_body_chunks_and_end_of_message),
	    cmocka_unit_test(test_commands_without_payload),
	    cmocka_unit_test(test_payload_on_data_is_malformed),
	    cmocka_unit_test(test_unknown_smtp_command),
	    cmocka_unit_test(test_unknown_command_byte_is_reported_and_skipped),
	    cmocka_unit_test(test_oversized_frame_stops_the_decoder),
	    cmocka_unit_test(test_huge_length_is_refused_byte_by_byte),
	    cmocka_unit_test(test_frame_of_exactly_the_limit_is_accepted),
	    cmocka_unit_test(test_zero_length_frame_stops_the_decoder),
	    cmocka_unit_test(test_hundred_thousand_macros_are_refused_quickly),
	    cmocka_unit_test(test_connection_closed_mid_frame_is_incomplete),
	    cmocka_unit_test(
		test_same_commands_whole_bytewise_and_in_random_pieces),
	    cmocka_unit_test(test_views_stay_valid_until_the_next_feed),
	    cmocka_unit_test(test_feed_takes_no_more_than_one_frame_of_room),
	    cmocka_unit_test(test_drained_big_buffer_is_released),
	    cmocka_unit_test(test_reset_starts_a_new_connection),
	    cmocka_unit_test(test_error_names_are_distinct),
	};
	return cmocka_run_group_tests_name("milter_decoder", tests, NULL, NULL);
}
