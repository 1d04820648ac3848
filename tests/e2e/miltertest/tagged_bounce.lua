-- tagged_bounce.lua - the bounce of a message we sent, addressed to the
-- tagged sender (-D tagged=prvs=...=alice@example.jp): accepted, and at
-- end of message the tagged recipient is replaced by the plain address.
dofile(dir .. "/common.lua")

local conn = open_session("smtpd", "203.0.113.5")
ok("mailfrom", mt.mailfrom(conn, "<>"))
expect_reply(conn, "MAIL", SMFIR_CONTINUE)
ok("rcptto", mt.rcptto(conn, "<" .. tagged .. ">"))
expect_reply(conn, "RCPT", SMFIR_CONTINUE)
ok("header", mt.header(conn, "From", "MAILER-DAEMON@remote.example"))
ok("header", mt.header(conn, "Subject", "failure notice"))
ok("body", mt.bodystring(conn, "Sorry, I couldn't deliver your message.\r\n"))
ok("eom", mt.eom(conn))
local r = mt.getreply(conn)
if r ~= SMFIR_ACCEPT and r ~= SMFIR_CONTINUE then
	fail("end of message: reply '" .. string.char(r) .. "'")
end
if not mt.eom_check(conn, MT_RCPTDELETE, "<" .. tagged .. ">") then
	fail("the tagged recipient was not deleted")
end
if not mt.eom_check(conn, MT_RCPTADD, "<alice@example.jp>") then
	fail("the plain recipient was not added")
end
mt.disconnect(conn)
mt.echo("tagged_bounce: ok")
