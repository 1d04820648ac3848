/*
 * limits.h - every bound mailwarden places on input, in one place.
 *
 * Contract: nothing that reads outside input grows without one of these
 * caps. A parser that reaches a cap stops consuming, keeps what it has read
 * and marks its result truncated; it never fails the whole message and never
 * reallocates past the cap. Each limit says why it has its value, so that
 * raising one is a decision, not an accident. Like SQLite's sqliteLimit.h,
 * change them here and nowhere else.
 */
#ifndef MW_LIB_LIMITS_H
#define MW_LIB_LIMITS_H

/* -- whole messages --------------------------------------------------- */

/* Largest message read in full. Postfix's message_size_limit defaults to
 * 10 MB; 64 MiB leaves room for sites that raised it, while a bounce or a
 * trace never needs more than its first few hundred kilobytes. */
#define MW_MESSAGE_MAX ((size_t)64 * 1024 * 1024)

/* Memory one parse of one message may take for its tree, decoded strings
 * and results. Four times the largest message: decoding and unfolding at
 * most double a text, and the rest is small structs. */
#define MW_PARSE_MEMORY_MAX ((size_t)4 * MW_MESSAGE_MAX)

/* -- header sections -------------------------------------------------- */

/* Fields kept from one header section. Real messages carry under 100;
 * heavily relayed list mail reaches a few hundred. Past this the rest of
 * the section is skipped (and the result marked truncated). */
#define MW_HEADER_FIELDS_MAX 2000

/* Length of one unfolded field value. RFC 5322 allows 998 octets per
 * physical line; folded fields such as long To: lists or DKIM signatures
 * reach tens of kilobytes. A longer value is cut here. */
#define MW_HEADER_VALUE_MAX ((size_t)256 * 1024)

/* Bytes of one header section. Postfix's header_size_limit is 100 KiB;
 * we read further, but not without end. */
#define MW_HEADER_SECTION_MAX ((size_t)4 * 1024 * 1024)

/* RFC 2047 encoded words joined into one decoded field value: a subject
 * never needs more than a few hundred; this bounds iconv work per field. */
#define MW_ENCODED_WORDS_MAX 1000

/* Length of a charset name ("ISO-2022-JP", "windows-1252"); IANA's
 * longest registered name is 45 characters. */
#define MW_CHARSET_NAME_MAX 64

/* -- MIME ------------------------------------------------------------- */

/* Nesting of multiparts and message/rfc822 parts. Bounces nest three or
 * four deep (report, original message, its alternatives); 32 covers every
 * honest message and stops the 10,000-deep attack before it costs time. */
#define MW_MIME_DEPTH_MAX 32

/* Parts in one message, at all depths. Past this the remaining parts are
 * not split out; the message's verdict comes from the first ones. */
#define MW_MIME_PARTS_MAX 2000

/* Length of a MIME boundary. RFC 2046 allows 70 characters; a little
 * slack for the ones that break the rule. */
#define MW_MIME_BOUNDARY_MAX 200

/* Parameters on one Content-Type or Content-Disposition, counting the
 * RFC 2231 continuation segments separately. */
#define MW_MIME_PARAMS_MAX 64

/* -- addresses -------------------------------------------------------- */

/* Addresses taken from one field. A To: with thousands of addresses is
 * either a mistake or an attack; we need the first few. */
#define MW_ADDRESSES_MAX 1000

/* RFC 5321: 64 octets of local part, 255 of domain. Real-world mail goes a
 * little over the local part; we allow up to the whole path length. */
#define MW_ADDRESS_LOCAL_MAX 256
#define MW_ADDRESS_DOMAIN_MAX 255
#define MW_ADDRESS_MAX 512

/* -- trace ------------------------------------------------------------ */

/* Received: fields followed in one message. Postfix rejects mail after
 * hopcount_limit = 50 hops, so a longer chain is a loop or forged. */
#define MW_RECEIVED_MAX 100

/* -- bounces ---------------------------------------------------------- */

/* Failed recipients taken from one bounce. One bounce names a handful;
 * a list server's digest of failures may name a few hundred. */
#define MW_BOUNCE_RECIPIENTS_MAX 500

/* Length kept of one diagnostic text. SMTP replies are at most 512 octets
 * a line (RFC 5321) and a few lines long. */
#define MW_BOUNCE_DIAGNOSTIC_MAX ((size_t)4 * 1024)

/* Bytes of a bounce's human-readable text searched for quoted originals,
 * recipients and reasons. Every format in the Sisimai corpus puts them in
 * the first few kilobytes; reading further only costs time. */
#define MW_BOUNCE_TEXT_MAX ((size_t)512 * 1024)

/* -- CLI -------------------------------------------------------------- */

/* Files one `mailwarden bounce` call will take on its command line is
 * bounded by the shell; from stdin we read one message of MW_MESSAGE_MAX. */

#endif
