-- transactions.lua - several transactions on one connection, one of them
-- aborted half way: each starts afresh (the aborted recipients are gone),
-- and the connection's facts stay.
dofile(dir .. "/common.lua")

local conn = open_session("smtpd", "203.0.113.5")
ok("mailfrom", mt.mailfrom(conn, "<news@list.example>"))
ok("rcptto", mt.rcptto(conn, "<alice@example.jp>"))
ok("abort", mt.abort(conn))
for i = 1, 3 do
	ok("mailfrom", mt.mailfrom(conn, "<news@list.example>"))
	expect_reply(conn, "MAIL " .. i, SMFIR_CONTINUE)
	ok("rcptto", mt.rcptto(conn, "<bob@example.jp>"))
	expect_reply(conn, "RCPT " .. i, SMFIR_CONTINUE)
	ok("header", mt.header(conn, "Subject", "issue " .. i))
	ok("body", mt.bodystring(conn, "news\r\n"))
	ok("eom", mt.eom(conn))
	expect_reply(conn, "end of message " .. i, SMFIR_CONTINUE)
end
mt.disconnect(conn)
mt.echo("transactions: ok")
