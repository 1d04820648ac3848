-- forged_tag.lua - a bounce to a local address whose BATV tag does not
-- verify is refused at RCPT with a reply of mailwarden's own (550 5.7.1,
-- logged), before any content is sent.
dofile(dir .. "/common.lua")

local conn = open_session("smtpd", "203.0.113.5")
ok("mailfrom", mt.mailfrom(conn, "<>"))
expect_reply(conn, "MAIL", SMFIR_CONTINUE)
ok("rcptto", mt.rcptto(conn, "<prvs=1000abcdef=alice@example.jp>"))
expect_reply(conn, "RCPT", SMFIR_REPLYCODE)
ok("abort", mt.abort(conn))
mt.disconnect(conn)
mt.echo("forged_tag: ok")
