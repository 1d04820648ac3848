-- backscatter.lua - an untagged bounce to a local address: its first
-- recipient is taken, a second is deferred (one recipient per bounce),
-- and at end of message, with no proof that the original left through
-- us, it is refused (batv_mode = enforce).
dofile(dir .. "/common.lua")

local conn = open_session("smtpd", "203.0.113.5")
ok("mailfrom", mt.mailfrom(conn, "<>"))
expect_reply(conn, "MAIL", SMFIR_CONTINUE)
ok("rcptto", mt.rcptto(conn, "<alice@example.jp>"))
expect_reply(conn, "RCPT", SMFIR_CONTINUE)
ok("rcptto", mt.rcptto(conn, "<bob@example.jp>"))
expect_reply(conn, "second RCPT", SMFIR_REPLYCODE)
ok("header", mt.header(conn, "From", "MAILER-DAEMON@remote.example"))
ok("header", mt.header(conn, "To", "alice@example.jp"))
ok("header", mt.header(conn, "Subject", "Undelivered Mail Returned to Sender"))
ok("header", mt.header(conn, "Content-Type", "text/plain"))
ok("body", mt.bodystring(conn,
	"This is the mail system at host remote.example.\r\n\r\n" ..
	"I'm sorry to have to inform you that your message could not\r\n" ..
	"be delivered to one or more recipients.\r\n\r\n" ..
	"<victim@remote.example>: host remote.example said: 550 5.1.1\r\n" ..
	"    User unknown\r\n\r\n" ..
	"--- original message ---\r\n" ..
	"Message-ID: <never-sent-by-us@spam.example>\r\n" ..
	"From: alice@example.jp\r\n" ..
	"Subject: cheap pills\r\n\r\n"))
ok("eom", mt.eom(conn))
expect_reply(conn, "end of message", SMFIR_REPLYCODE)
mt.disconnect(conn)
mt.echo("backscatter: ok")
