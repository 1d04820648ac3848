-- common.lua - helpers the miltertest scripts share (loaded with dofile;
-- miltertest runs each script with -D socket=... -D dir=<this directory>).

-- Fail the script with a message; miltertest exits 1.
function fail(msg)
	error(msg, 2)
end

-- Check a call that returns nil on success, an error string otherwise.
function ok(what, err)
	if err ~= nil then
		fail(what .. ": " .. tostring(err))
	end
end

function expect_reply(conn, what, want)
	local got = mt.getreply(conn)
	if got ~= want then
		fail(string.format("%s: reply '%s', expected '%s'", what,
			string.char(got), string.char(want)))
	end
end

-- Connect, negotiate as Postfix does (every action and step offered),
-- and send the CONNECT macros and information of a client.
function open_session(daemon_name, client_ip)
	local conn = mt.connect(socket)
	if conn == nil then
		fail("cannot connect to " .. socket)
	end
	ok("negotiate", mt.negotiate(conn, nil, nil, nil))
	ok("macro", mt.macro(conn, SMFIC_CONNECT, "{daemon_name}",
		daemon_name, "{client_addr}", client_ip))
	ok("conninfo", mt.conninfo(conn, "client.example", client_ip))
	return conn
end
