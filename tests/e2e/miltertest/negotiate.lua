-- negotiate.lua - the options mailwarden agrees to when the MTA offers
-- everything: the actions it uses, the steps it skips, and the replies
-- it does without. HELO, DATA, EOH and UNKNOWN are skipped; CONNECT,
-- headers and body chunks are not answered; MAIL and RCPT are, since
-- that is where senders and recipients are refused.
dofile(dir .. "/common.lua")

local conn = mt.connect(socket)
if conn == nil then
	fail("cannot connect to " .. socket)
end
ok("negotiate", mt.negotiate(conn, nil, nil, nil))
for name, a in pairs({ CHGFROM = SMFIF_CHGFROM, ADDRCPT = SMFIF_ADDRCPT,
	DELRCPT = SMFIF_DELRCPT, ADDHDRS = SMFIF_ADDHDRS,
	CHGHDRS = SMFIF_CHGHDRS, QUARANTINE = SMFIF_QUARANTINE,
	SETSYMLIST = SMFIF_SETSYMLIST }) do
	if not mt.test_action(conn, a) then
		fail("action " .. name .. " not requested")
	end
end
if mt.test_action(conn, SMFIF_CHGBODY) then
	fail("asked to replace bodies")
end
for name, o in pairs({ NOHELO = SMFIP_NOHELO, NODATA = SMFIP_NODATA,
	NOUNKNOWN = SMFIP_NOUNKNOWN, NOEOH = SMFIP_NOEOH,
	NR_CONN = SMFIP_NR_CONN, NR_HDR = SMFIP_NR_HDR,
	NR_BODY = SMFIP_NR_BODY }) do
	if not mt.test_option(conn, o) then
		fail("step " .. name .. " not requested")
	end
end
for name, o in pairs({ NR_MAIL = SMFIP_NR_MAIL, NR_RCPT = SMFIP_NR_RCPT,
	NOBODY = SMFIP_NOBODY, NOHDRS = SMFIP_NOHDRS }) do
	if mt.test_option(conn, o) then
		fail("step " .. name .. " requested, but it is needed")
	end
end
mt.disconnect(conn)
mt.echo("negotiate: ok")
