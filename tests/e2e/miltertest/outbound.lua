-- outbound.lua - a message submitted on the ORIGINATING service from a
-- local sender: every step continues, and end of message accepts it
-- (with the sender changed to its BATV-tagged form, which the test reads
-- from the daemon's log line).
dofile(dir .. "/common.lua")

local conn = open_session("ORIGINATING", "198.51.100.7")
ok("mailfrom", mt.mailfrom(conn, "<alice@example.jp>", "SIZE=120"))
expect_reply(conn, "MAIL", SMFIR_CONTINUE)
ok("rcptto", mt.rcptto(conn, "<carol@example.net>"))
expect_reply(conn, "RCPT", SMFIR_CONTINUE)
ok("header", mt.header(conn, "From", "Alice <alice@example.jp>"))
ok("header", mt.header(conn, "Message-ID", "<" .. msgid .. ">"))
ok("header", mt.header(conn, "Subject", "hello"))
ok("body", mt.bodystring(conn, "Hello Carol.\r\n"))
ok("eom", mt.eom(conn))
expect_reply(conn, "end of message", SMFIR_ACCEPT)
mt.disconnect(conn)
mt.echo("outbound: ok")
