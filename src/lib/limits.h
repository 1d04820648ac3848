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

/* Length of one word kept from a Received: field (host, id, protocol,
 * for-address, identity, date). Host names stop at 255 octets and ids
 * and dates are short; a longer word is junk or an attack, and dropping
 * it keeps the trace of a 100 KB Received: line small. */
#define MW_RECEIVED_TOKEN_MAX 512

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

/* Bounces forwarded as message/rfc822 inside each other that the bounce
 * analyser reads through as the bounce itself. People forward a bounce
 * once; a few levels cover relays that wrap it again. */
#define MW_BOUNCE_FORWARDED_MAX 4

/* HTML parts read for bounces that carry no plain text (some Exchange
 * notices): the notice is in the first one or two. */
#define MW_BOUNCE_HTML_PARTS_MAX 4

/* How far after a marker ("----- Original message -----") a quoted
 * header section is looked for, and how many candidate sections are
 * tried there: markers sit right above the copy, at most behind a few
 * lines of MIME part headers or prose. */
#define MW_BOUNCE_QUOTE_SEARCH ((size_t)16 * 1024)
#define MW_BOUNCE_QUOTE_BLOCKS_MAX 4

/* Fields read from a summary of the original ("Your message\n To: ...\n
 * Subject: ..."): they name To, Cc, Subject, Sent and little else. */
#define MW_BOUNCE_SUMMARY_FIELDS_MAX 12

/* -- BATV ------------------------------------------------------------- */

/* Keys live at once in one key ring. The tag carries the key number as
 * one decimal digit (draft-levine-smtp-batv-01), so ten is all there can
 * be; rotation needs two (the new one signing, the old one verifying). */
#define MW_BATV_KEYS_MAX 10

/* Shortest secret accepted. The tag shows only 24 bits of the HMAC, so
 * every tagged sender an outsider sees is a known-plaintext sample for an
 * offline search of the secret; 16 characters of a random secret (about
 * 95 bits as printable ASCII, 128 as hex) put that search out of reach,
 * while a short word would fall to a dictionary in seconds. */
#define MW_BATV_SECRET_MIN 16

/* Longest secret accepted. Exim's ${prvs} refuses keys over 64 octets
 * (it pads the key into one SHA-1 block itself, where RFC 2104 would
 * hash a longer key first), so a longer secret could not interoperate. */
#define MW_BATV_SECRET_MAX 64

/* Size of a batv_key_file. Ten keys of 64 characters with comments fit
 * in under 2 KiB; anything near this is the wrong file. */
#define MW_BATV_KEY_FILE_MAX ((size_t)64 * 1024)

/* Days a tag stays valid, at most. Senders give up on a message within
 * days (Postfix's maximal_queue_lifetime is 5 days) so bounces come
 * within a week; a longer window only lengthens the life of a tag that a
 * spammer harvested. It must stay far below 1000, the period of the
 * tag's day counter, for the modulo-1000 comparison to be unambiguous. */
#define MW_BATV_VALIDITY_DAYS_MAX 30

/* Local part of a tagged address. RFC 5321 (4.5.3.1.1) allows 64
 * octets; the tag adds 16, so a local part over 48 is left untagged
 * rather than sent with a sender some servers would refuse. */
#define MW_BATV_TAGGED_LOCAL_MAX 64

/* -- milter ----------------------------------------------------------- */

/* Largest milter frame (command byte and payload) taken from the MTA.
 * Body chunks are at most 65,535 bytes (libmilter's MILTER_CHUNK_SIZE,
 * which Postfix also uses), but Postfix sends each header in one frame,
 * bounded only by its header_size_limit (100 KiB by default, and sites
 * raise it), and the largest buffer a libmilter filter can negotiate is
 * 1 MiB (SMFIP_MDS_1M). 1 MiB takes all of these; a longer frame is a
 * broken or hostile peer, the decoder stops and the session closes the
 * connection (Postfix then applies milter_default_action). */
#define MW_MILTER_FRAME_MAX ((size_t)1024 * 1024)

/* Bytes one milter connection buffers: one whole frame of the largest
 * size and its 4-byte length. The decoder takes no more until the
 * commands already buffered have been taken out. */
#define MW_MILTER_BUFFER_MAX (MW_MILTER_FRAME_MAX + 4)

/* Buffer memory a connection keeps once its buffer is drained. After a
 * large header or a body chunk the buffer is released rather than kept,
 * so that 1,000 mostly idle connections stay far under the 64 MiB budget
 * (DESIGN.md section 8) whatever they received before. */
#define MW_MILTER_BUFFER_KEEP ((size_t)16 * 1024)

/* Name/value pairs in one MACRO command. Postfix's stock lists send at
 * most seven per stage and a generous milter_*_macros a few dozen; a
 * command with more is refused as malformed, not searched. */
#define MW_MILTER_MACROS_MAX 256

/* Strings in one MAIL or RCPT command: the address and its ESMTP
 * parameters. RFC 5321 mail has a handful (SIZE, BODY, SMTPUTF8, RET,
 * ENVID, AUTH; NOTIFY, ORCPT); more is refused as malformed. */
#define MW_MILTER_ARGS_MAX 64

/* Recipients one milter session keeps for a transaction. Postfix's
 * smtpd_recipient_limit is 1,000 by default, so an honest transaction
 * never has more; past it the session answers 452 4.5.3 (too many
 * recipients), the RFC 5321 answer that makes the client send the rest
 * in another transaction, and keeps nothing more. Bounds a session's
 * envelope to 1,000 addresses of MW_ADDRESS_MAX. */
#define MW_SESSION_RCPTS_MAX 1000

/* Length kept of a macro value the session copies ({daemon_name},
 * {client_name}, {client_addr}, i). Host names stop at 255 octets and
 * daemon names and queue ids are short; a longer value is cut, not
 * trusted. {auth_authen}, a login name, gets MW_ADDRESS_MAX. */
#define MW_SESSION_MACRO_MAX 255

/* Malformed or unknown frames logged per milter connection. Only a
 * broken or hostile peer sends them, and it could send thousands a
 * second; the first few say what is wrong, the rest are only counted. */
#define MW_SESSION_BAD_FRAMES_LOGGED 10

/* Reply bytes one command may produce. The largest answer is end of
 * message deleting and adding every recipient (2 x MW_SESSION_RCPTS_MAX
 * frames of up to MW_ADDRESS_MAX + 8 bytes) plus a few headers and the
 * final reply: about 1 MiB. Past the cap the session answers TEMPFAIL
 * rather than send half a set of modifications. */
#define MW_SESSION_REPLY_MAX ((size_t)2 * 1024 * 1024)

/* Reply bytes a connection may have waiting to be written before the
 * daemon stops reading from it. Postfix waits for each reply before it
 * sends more, so an honest MTA never has more than one reply in flight;
 * a peer that writes without reading is held here instead of growing
 * our memory (back-pressure), whatever it sends. */
#define MW_MILTER_WRITE_PENDING_MAX ((size_t)256 * 1024)

/* Seconds `serve` waits, after SIGTERM, for transactions in flight to
 * end (at most milter_timeout). Postfix's milter_content_timeout is
 * 300 s, but systemd's TimeoutStopSec defaults to 90 s and kills past
 * it; 30 s lets a message being received finish, and a message cut
 * later is handled by Postfix's milter_default_action. */
#define MW_SERVE_STOP_GRACE 30

/* Milliseconds an accepted message's end-of-message reply may wait for
 * the store to commit its writes (MW_SESSION_HOLD, session.h). A commit
 * takes milliseconds and the writer starts one at once for a waiting
 * reply; only a failing store (retried every 500 ms) or a disk stalled
 * for seconds gets near this. Far below Postfix's
 * milter_content_timeout (300 s); just past the store's own "unhealthy"
 * mark (commit interval + 2 s) and one retry of a failed commit (500 ms),
 * so that a store that is down is answered per milter_failure_action
 * rather than waited on. */
#define MW_SESSION_HOLD_MS 3000

/* -- store ------------------------------------------------------------ */

/* Length of a store key ("acct:user@example.jp/msgs"), of a member of a
 * distinct set, of a setting's name, and of a Message-ID in the sent log.
 * The longest keys join an address (MW_ADDRESS_MAX) with an IPv6 address
 * and a metric name; Message-IDs are mostly under 100 octets and can be
 * no longer than a 998-octet header line. */
#define MW_STORE_KEY_MAX 1024

/* A setting's value: an address state, a fence's country list, a limit
 * override, a suspension with its reason. Short text; 4 KiB leaves room
 * for a reason that lists the IPs seen. */
#define MW_STORE_VALUE_MAX ((size_t)4 * 1024)

/* An event's payload: a login record, a flood summary or an alert, as
 * JSON, is a few hundred octets; a flood event listing its top reporting
 * servers is the largest. */
#define MW_STORE_PAYLOAD_MAX ((size_t)16 * 1024)

/* Writes waiting for the store's writer thread, by count and by bytes.
 * The writer commits every 250 ms: at the 20,000 requests/s the
 * auth-policy endpoint must take (DESIGN.md section 8), each doing a few
 * writes, that is some 15,000 waiting writes; 65,536 leave four times
 * that for a slow disk moment. The byte cap bounds memory whatever the
 * payloads (a queue full of largest events would otherwise need 1 GiB). */
#define MW_STORE_QUEUE_MAX 65536
#define MW_STORE_QUEUE_BYTES_MAX ((size_t)16 * 1024 * 1024)

/* Share of the queue, in percent, that counter and distinct-set adds may
 * fill. Past it they are dropped and counted (windows become approximate),
 * so that the writes that must not be lost (sent log, events, settings)
 * always find room. */
#define MW_STORE_QUEUE_LOSSY_PERCENT 75

/* Writes committed in one transaction: bounds how long one transaction
 * holds the database's write lock (another process, such as the CLI, may
 * be waiting for it) and how much the writer does between two looks at
 * the queue. */
#define MW_STORE_BATCH_MAX 16384

/* Items one list read may cover (offset + limit): a page of login
 * history or of accounts with a setting. History keeps 1,000 entries by
 * default; a panel shows 50 or 100 at a time. */
#define MW_STORE_READ_MAX 2000

/* Longest window a counter or a distinct count is read over: a day for
 * send limits and 24-hour distinct counts, a week for statistics, and a
 * day to spare. Buckets and members older than this are expired. */
#define MW_STORE_WINDOW_MAX (8 * 86400)

/* Events kept under one key, at most, and their longest age. History is
 * kept by default for 1,000 entries and two years (the login history of
 * seed 002 showed 100 entries over 2 years); the caps stop a
 * configuration mistake from keeping a flood of events for ever. */
#define MW_STORE_EVENTS_KEEP_MAX 100000
#define MW_STORE_EVENT_AGE_MAX (10 * 366 * 86400)

/* Days the sent log may be kept. Bounces arrive within days (Postfix's
 * maximal_queue_lifetime is 5 days); 14 is the default, a year is more
 * than any bounce needs. */
#define MW_STORE_SENT_LOG_DAYS_MAX 366

/* Rows one expiry statement deletes: after a long downtime the first
 * housekeeping holds the write lock for milliseconds at a time, not for
 * the seconds one large delete would take. */
#define MW_STORE_EXPIRE_CHUNK 5000

/* Largest step of one counter add, either way. Counts of messages,
 * recipients and failures move by one or by a message's recipients;
 * 10^12 leaves any honest caller room while a queue full of largest
 * steps still sums far inside 64 bits. */
#define MW_STORE_COUNTER_STEP_MAX 1000000000000LL

/* Read connections the SQLite backend opens: reads come from the event
 * loop and from the HTTP server's threads; four let them run side by
 * side without one slow page read holding up a milter decision. */
#define MW_STORE_READERS 4

/* -- configuration ---------------------------------------------------- */

/* Size of a configuration file. Every key with a comment fits in 10 KiB
 * and a list of a few thousand local domains in a few hundred; a larger
 * file is the wrong file (a log, a mailbox, a device), and reading it
 * would only yield thousands of errors. It is refused whole, never read
 * in part: half a configuration is worse than none. */
#define MW_CONFIG_FILE_MAX ((size_t)1024 * 1024)

/* Length of one logical line (a key, its value and its continuation
 * lines). 64 KiB holds about 3,000 domains of 20 characters; a site with
 * more needs a table, not a line. */
#define MW_CONFIG_LINE_MAX ((size_t)64 * 1024)

/* Items in one list value (domains, networks, names, addresses). The
 * line cap already bounds a list; this bounds the arrays behind it and
 * the per-recipient binary search over local_domains. */
#define MW_CONFIG_LIST_MAX 4096

/* Errors and warnings kept, with their text, from one file. More than a
 * screenful is one mistake repeated (or the wrong file): the rest are
 * counted and summed up in one line. */
#define MW_CONFIG_ERRORS_MAX 50

/* Memory one parsed configuration may take: the values of a 1 MiB file
 * and the defaults, with the arena's chunk overhead, stay well under. */
#define MW_CONFIG_MEMORY_MAX ((size_t)8 * 1024 * 1024)

/* Length of a shared secret (auth_policy_secret). 16 characters of a
 * generated secret are beyond guessing over HTTP; 256 is more than any
 * generator writes and keeps the header Dovecot sends short. */
#define MW_CFG_SECRET_MIN 16
#define MW_CFG_SECRET_MAX 256

/* -- backscatter shield ----------------------------------------------- */

/* Memory one shield verdict may hold: its reply text, a header and the
 * recipients it deletes and adds. Postfix's smtpd_recipient_limit is
 * 1,000 by default; each recipient is at most MW_ADDRESS_MAX, listed
 * twice (deleted tagged, added untagged), with room for the rest. */
#define MW_SHIELD_VERDICT_MEMORY ((size_t)2 * 1024 * 1024)

/* Bytes of a verdict's reply text: "CODE XCODE TEXT" must fit the milter
 * encoder's 510-byte line (RFC 5321's 512 less CRLF) after it doubles
 * each '%'; 3 + 1 + up to 9 + 1 leaves 496, and 490 keeps a margin. */
#define MW_VERDICT_REPLY_ROOM 490

/* Length of an address quoted in an SMTP reply text. The reply line must
 * fit in 512 octets (RFC 5321 4.5.3.1.5) with its code and our words; a
 * longer address is cut, the log line keeps it whole. */
#define MW_SHIELD_REPLY_ADDR_MAX 200

/* Refusals remembered per recipient to name a flood's top reporting
 * servers. The flood's count and number of distinct servers are exact
 * (store windows); the ranking only needs a recent sample, and a
 * bounded one keeps a 50,000-bounce night to 256 rows per address. */
#define MW_SHIELD_FLOOD_SAMPLE 256

/* Reporting servers named in a flood event: a handful tells an admin
 * whether one relay or a whole botnet's victims are bouncing. */
#define MW_SHIELD_FLOOD_TOP 5

/* Addresses one tick looks at for open floods and due digests. A tick
 * comes every minute, so a longer list is worked through over the next
 * ticks; 1,000 users flooded at the same minute is already a disaster. */
#define MW_SHIELD_TICK_KEYS 1000

/* A composed digest: two short texts in two languages, a few kilobytes. */
#define MW_DIGEST_MAX ((size_t)32 * 1024)

/* Bytes of one SMTP reply, all its lines (RFC 5321 allows 512 a line; an
 * EHLO answer lists a dozen extensions). A server sending more is broken
 * or hostile, and the session with it is abandoned. */
#define MW_SMTP_REPLY_MAX ((size_t)16 * 1024)

/* Longest wait for a connection or one reply of the SMTP server that
 * delivers notices (the local Postfix). RFC 5321 4.5.3.2 lets a client
 * wait minutes; our server is on loopback and the daemon's tick must not
 * hang, so 30 seconds, after which the notice is retried a tick later. */
#define MW_SMTP_TIMEOUT_MS 30000

/* -- account guard ---------------------------------------------------- */

/* One field of an auth-policy request other than the login: Dovecot's
 * pwhash is a truncated hex hash (12 characters by default), protocols
 * are short words, device and session ids are Dovecot's own tokens. 255
 * holds every real one; a longer one is refused, not cut, so that two
 * different values can never be taken for one. */
#define MW_LOGIN_FIELD_MAX 255

/* The text of an auth-policy answer. Dovecot shows it to the client on a
 * reject: one line, short enough for any IMAP client's status bar. */
#define MW_LOGIN_MSG_MAX 255

/* A composed guard notice: two languages, a score's signals and up to
 * MW_NOTICE_LOGINS_MAX lines of evidence stay within a few kilobytes. */
#define MW_NOTICE_MAX ((size_t)64 * 1024)

/* Logins and submissions shown as evidence in one notice: enough to see
 * an attack's pattern, few enough to read on a phone. */
#define MW_NOTICE_LOGINS_MAX 20

/* Notices the account guard holds waiting for its sender thread. A
 * takeover queues one for the user and one per admin; a few hundred
 * covers a wave of suspensions while the local Postfix is away, and the
 * bound keeps a flood of login alerts from growing memory (each takes
 * about 2 KiB). Past it a notice is dropped and logged. */
#define MW_GUARD_NOTICE_QUEUE_MAX 256

/* Accounts one guard tick looks at for notices asked from outside the
 * daemon (an admin's unlock): the rest wait for the next tick. */
#define MW_GUARD_TICK_KEYS 1000

/* Accounts whose settings and send counts the guard keeps between the
 * stages of a transaction (MAIL, each RCPT, end of message), so that a
 * message costs a few store reads, not one per stage and recipient.
 * Entries live one second at most; 256 covers the accounts sending in
 * the same second on a busy server, and a miss only costs a read. */
#define MW_GUARD_CACHE_SLOTS 256

/* Alerts `mailwarden account show` looks through for the last unlock: a
 * screenful of history; an unlock older than that is in `history`. */
#define MW_ACCOUNT_SHOW_ALERTS 100

/* One outside value (an ASN's organisation, a protocol, a signal, a
 * limit's name, who unlocked) as a notice shows it: longer ones are cut
 * with a visible mark. Real ones are a few dozen bytes; 128 keeps every
 * evidence line readable on a phone and the whole notice far below
 * MW_NOTICE_MAX whatever the caller passes. */
#define MW_NOTICE_FIELD_MAX 128

/* Signals of a takeover score listed in one notice ("and N more" after
 * them): the score's detectors number fewer than this. */
#define MW_NOTICE_SIGNALS_MAX 12

/* An AS organisation name read from a GeoIP database. Real ones are
 * under 100 bytes ("NTT Communications Corporation"); a longer one is cut
 * on a character boundary, so a damaged or hostile database cannot make
 * a login record, a notice or a log line large. 127 so that it fits the
 * guard's place record (char asn_org[128]) without a second cut. */
#define MW_GEO_ORG_MAX 127

/* Bytes of a password the password check takes. Real passwords, even
 * long passphrases, are under 100 bytes; 1,024 holds any passphrase a
 * person types (over 300 Japanese characters) while bounding the work of
 * zxcvbn and the copies made for it. A longer one is refused, not cut:
 * checking a prefix would judge a different password. */
#define MW_PASSWORD_MAX 1024

/* Words taken from the user's address for the containment rule and for
 * zxcvbn's user dictionary: the local part, its pieces between '.', '_',
 * '-' and '+', and the domain's labels. Real addresses give under ten;
 * the rest of a hostile one is ignored. */
#define MW_PASSWORD_USER_WORDS_MAX 16

/* Longest line of a breached-password file ("HEX40:COUNT" and CRLF is
 * about 55 bytes). A probe of the in-place search reads at most this
 * many bytes to find the next line start and again to read that line;
 * a longer line means the file is not in the format. */
#define MW_BREACHED_LINE_MAX 128

/* Probes one breached-password lookup may make. Each probe halves the
 * byte range left, so a file of 2^64 bytes needs fewer than 2 x 64; the
 * cap only guards against a bug turning the search into a hang. */
#define MW_BREACHED_PROBES_MAX 160

/* -- HTTP server ------------------------------------------------------ */

/* Routes one HTTP server takes. The API, the panel, /metrics and the
 * auth-policy endpoint need a few dozen; the table is searched linearly
 * per request, which stays cheaper than hashing at this size. */
#define MW_HTTP_ROUTES_MAX 128

/* Threads of the HTTP server's pool, at most. Handlers are short and
 * never wait on the store's writer, so more threads than cores only
 * adds switching; 64 covers any machine mailwarden runs on. */
#define MW_HTTP_THREADS_MAX 64

/* Connections the HTTP server holds at once when none is configured.
 * Dovecot keeps at most 100 connections per auth process to its policy
 * server (http_client_max_parallel_connections); a few auth processes,
 * the panel's users and Prometheus stay far under 1,024, while each idle
 * connection costs MW_HTTP_CONNECTION_MEMORY and a descriptor. */
#define MW_HTTP_CONNECTIONS_DEFAULT 1024

/* Seconds an HTTP connection may stay idle (or send its request that
 * slowly) when none is configured. Dovecot's client drops idle policy
 * connections after 10 s (http_client_max_idle_time) and gives up on a
 * request after 2 s; 30 s keeps those reused while a slow-loris client
 * holds a slot for no longer than that. */
#define MW_HTTP_TIMEOUT_DEFAULT 30

/* Memory libmicrohttpd gives each connection for its request line and
 * headers (MHD_OPTION_CONNECTION_MEMORY_LIMIT; its own default). A
 * request whose headers do not fit gets 431 from libmicrohttpd: Dovecot
 * sends six short headers, browsers a few hundred bytes of cookies. */
#define MW_HTTP_CONNECTION_MEMORY ((size_t)32 * 1024)

/* Request body a route takes when it names no cap of its own: JSON API
 * calls carry a list entry or a setting, a few hundred bytes. */
#define MW_HTTP_BODY_DEFAULT_MAX ((size_t)64 * 1024)

/* Body bytes of an over-long request read and thrown away (so that a
 * client that sent no Content-Length still gets its 413) before the
 * connection is closed instead. */
#define MW_HTTP_DISCARD_MAX ((size_t)1024 * 1024)

/* Request body memory a connection keeps between requests; past it the
 * buffer is released, so that idle keep-alive connections stay small
 * whatever they sent before. */
#define MW_HTTP_BUFFER_KEEP ((size_t)16 * 1024)

/* Bytes of one response body. /metrics for a large site and the panel's
 * largest asset are a few hundred kilobytes; past the cap the handler's
 * write fails and the server answers 500 rather than half a document. */
#define MW_HTTP_RESPONSE_MAX ((size_t)8 * 1024 * 1024)

/* Extra headers on one response, and their bytes: Allow, Cache-Control,
 * Location, a few security headers; cookies for the panel. */
#define MW_HTTP_RESPONSE_HEADERS_MAX 16
#define MW_HTTP_RESPONSE_HEADER_BYTES ((size_t)8 * 1024)

/* Body of one auth-policy request. Dovecot's default attributes make a
 * body of about 250 bytes; device_id (the IMAP ID list) and session_id
 * are each refused past MW_LOGIN_FIELD_MAX anyway, so even with an
 * admin's extra attributes 16 KiB is ample, and keeps the 20,000
 * requests/s of DESIGN.md section 8 from ever buffering much. */
#define MW_HTTP_AUTH_POLICY_BODY_MAX ((size_t)16 * 1024)

/* Refused HTTP requests logged per minute. A misconfigured Dovecot makes
 * one refusal a login, a hostile client thousands a second; ten lines a
 * minute say what is wrong without filling the disk. */
#define MW_HTTP_REFUSALS_LOGGED 10

/* -- CLI -------------------------------------------------------------- */

/* Files one `mailwarden bounce` call will take on its command line is
 * bounded by the shell; from stdin we read one message of MW_MESSAGE_MAX. */

#endif
