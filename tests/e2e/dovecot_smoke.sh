#!/usr/bin/env bash
# dovecot_smoke.sh - the Dovecot side of the harness, with a stub
# auth-policy server in place of mailwarden: a private Dovecot (IMAP, POP3,
# SASL for Postfix, auth_policy_server_url at the stub), a private Postfix
# whose submission port authenticates through Dovecot, and smtp-sink.
#
#   1. IMAP login with the right password is accepted, a wrong one refused;
#      the client address presented with ID x-originating-ip is what the
#      policy server sees as "remote" (login_trusted_networks = loopback);
#   2. the stub saw command=allow (login, remote, pwhash, protocol, the
#      API key header) and command=report (success true, and false for the
#      wrong password);
#   3. POP3 with XCLIENT ADDR=... likewise (protocol pop3, that remote);
#   4. a stub answer of status -1 refuses a right password; a positive
#      status delays the answer; status 0 again lets it in;
#   5. SMTP AUTH through Postfix after XCLIENT ADDR=203.0.113.7 is
#      accepted and the mail reaches the sink; the stub saw remote
#      203.0.113.7, protocol smtp; Postfix logged that client and the SASL
#      user; a wrong SMTP password gets 535; without AUTH that client may
#      not relay;
#      with mailwarden as Postfix's milter (DC_SMOKE_MILTER=1, the
#      default; 0 leaves the milter out), mailwarden saw the XCLIENT address
#      as the client and the SASL login ({auth_authen}), outbound;
#   6. 20 wrong passwords in a row are each refused quickly and each one
#      reaches the policy server (no auth cache, no failure delay);
#   7. stopping leaves no Dovecot process behind.
#
# Usage: tests/e2e/dovecot_smoke.sh   (as root; KEEP=1 keeps $E2E_DIR)
# Environment: BUILD (build), SANITIZE (0), DC_SMOKE_MILTER (1).
# Ports are drawn from 29500-29599 unless E2E_PORT_MIN/E2E_PORT_MAX say
# otherwise. Prints "dovecot-smoke: N passed, N failed" last; exits 0 when
# all passed, 1 on a failure, 2 when the environment is broken. Bounded:
# stopped after 120 s.
set -u
cd "$(dirname "$0")/../.." || exit 2
E2E_PORT_MIN=${E2E_PORT_MIN:-29500}
E2E_PORT_MAX=${E2E_PORT_MAX:-29599}
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/postfix_sasl.sh
. tests/e2e/lib/sink.sh
. tests/e2e/lib/dovecot.sh
. tests/e2e/lib/mailwarden.sh

e2e_init dovecot-smoke
e2e_deadline 120
for tool in dovecot doveadm doveconf postfix postconf swaks smtp-sink perl; do
	command -v "$tool" >/dev/null || e2e_die "$tool not installed (make deps)"
done
perl -MJSON::PP -MIO::Socket::INET -MIO::Select -e 1 2>/dev/null ||
	e2e_die "perl core modules missing"

USER1=alice@example.jp
PASS1=alice-pw-1
DC_USERS="$USER1:$PASS1 bob@example.jp:bob-pw-2"
# Loopback is not trusted to relay: only SASL makes mail outbound.
PF_MYNETWORKS=""

DC_SMOKE_MILTER=${DC_SMOKE_MILTER:-1}
if [ "$DC_SMOKE_MILTER" = 1 ]; then
	mw_build
	MW_EXTRA_CONF="digest = no"
	mw_setup
	PF_MILTER="inet:127.0.0.1:$PM"
	PF_MILTER_DEFAULT_ACTION=tempfail
fi
pf_create
dc_create
pf_sasl_enable
policy_stub_start
sink_start
[ "$DC_SMOKE_MILTER" = 1 ] && mw_start
dc_start
pf_start
e2e_log "IMAP $PIMAP, POP3 $PPOP3, policy stub $PPOLICY, submission $P587, sink $PSINK"

# -- 1, 2: IMAP --------------------------------------------------------
out=$(dc_imap_login "$USER1" "$PASS1" 198.51.100.20)
rc=$?
if [ "$rc" = 0 ]; then t_pass "IMAP login with the right password"; else
	t_fail "IMAP login with the right password" "rc $rc: $out"
	dc_dump_diagnostics
fi
out=$(dc_imap_login "$USER1" wrong-password 198.51.100.20)
rc=$?
if [ "$rc" = 1 ] && [[ $out == NO* ]]; then t_pass "IMAP login with a wrong password is refused (NO)"; else
	t_fail "IMAP login with a wrong password is refused" "rc $rc: $out"
fi
t_check "Dovecot took the ID x-originating-ip as the client address" \
	dc_wait_log "imap-login: .*Login: user=<$USER1>.*rip=198\.51\.100\.20, lip=127\.0\.0\.1" 5
t_check "the stub saw command=allow with login, remote, pwhash, protocol and the API key" \
	policy_stub_seen command=allow login="$USER1" remote=198.51.100.20 pwhash='*' \
	protocol=imap real_remote=127.0.0.1 api_key="$DC_POLICY_KEY"
t_check "the stub saw command=report success=true for the right password" \
	policy_stub_wait_seen 5 command=report login="$USER1" remote=198.51.100.20 \
	protocol=imap pwhash='*' success=true
t_check "the stub saw command=report success=false for the wrong password" \
	policy_stub_wait_seen 5 command=report login="$USER1" remote=198.51.100.20 \
	protocol=imap success=false
t_check "the IMAP ID's name is the request's device_id (imap_id_retain)" \
	policy_stub_seen command=allow remote=198.51.100.20 device_id='"name" "mw-e2e"'
t_check "the requests were POSTed as JSON to /auth-policy" \
	test "$(policy_stub_count path=/auth-policy)" = "$(policy_stub_count)"

# -- 3: POP3 with XCLIENT ------------------------------------------------
out=$(dc_pop3_login bob@example.jp bob-pw-2 198.51.100.21)
rc=$?
if [ "$rc" = 0 ]; then t_pass "POP3 login after XCLIENT ADDR"; else
	t_fail "POP3 login after XCLIENT ADDR" "rc $rc: $out"
fi
t_check "the stub saw the POP3 login from the XCLIENT address" \
	policy_stub_wait_seen 5 command=report login=bob@example.jp remote=198.51.100.21 \
	protocol=pop3 success=true

# -- 4: the policy's answer decides ----------------------------------------
policy_stub_answer '{"status":-1,"msg":"refused by the stub"}'
out=$(dc_imap_login "$USER1" "$PASS1" 198.51.100.22)
rc=$?
if [ "$rc" = 1 ]; then t_pass "status -1 refuses the right password ($out)"; else
	t_fail "status -1 refuses the right password" "rc $rc: $out"
fi
t_check "and the report says policy_reject" \
	policy_stub_wait_seen 5 command=report remote=198.51.100.22 success=false policy_reject=true
policy_stub_answer '{"status":2,"msg":""}'
t0=$(e2e_now_ms)
out=$(dc_imap_login "$USER1" "$PASS1" 198.51.100.23)
rc=$?
el=$(($(e2e_now_ms) - t0))
if [ "$rc" = 0 ] && [ "$el" -ge 1500 ]; then t_pass "status 2 delays the login (${el} ms) but lets it in"; else
	t_fail "status 2 delays the login but lets it in" "rc $rc after $el ms: $out"
fi
policy_stub_answer '{"status":0,"msg":""}'
out=$(dc_imap_login "$USER1" "$PASS1" 198.51.100.22)
rc=$?
if [ "$rc" = 0 ]; then t_pass "status 0 lets it in again"; else
	t_fail "status 0 lets it in again" "rc $rc: $out"
fi

# -- 5: SMTP AUTH through Postfix and Dovecot -----------------------------
tag=$$-$(date +%s)
pf_swaks_auth "$USER1" "$PASS1" "$E2E_DIR/smtp1.out" 203.0.113.7 \
	--from "$USER1" --to carol@example.net --header "Subject: sasl $tag"
if grep -q "^<- *250 .*queued as" "$E2E_DIR/smtp1.out"; then
	t_pass "SMTP AUTH after XCLIENT ADDR=203.0.113.7 is accepted"
else
	t_fail "SMTP AUTH after XCLIENT ADDR=203.0.113.7 is accepted" \
		"$(grep -E '^(<-|<\*\*|\*\*\*)' "$E2E_DIR/smtp1.out" | tail -n 4 | tr '\n' ' ')"
	pf_dump_diagnostics
	dc_dump_diagnostics
fi
t_check "the message reaches the sink" sink_wait_count 1 20
t_check "the stub saw the SMTP login: remote 203.0.113.7, protocol smtp" \
	policy_stub_wait_seen 5 command=report login="$USER1" remote=203.0.113.7 \
	protocol=smtp success=true
t_check "and its allow request before it" \
	policy_stub_seen command=allow login="$USER1" remote=203.0.113.7 protocol=smtp pwhash='*'
t_check "Postfix logged the XCLIENT client and the SASL user" \
	pf_wait_log "client=unknown\[203\.0\.113\.7\], sasl_method=PLAIN, sasl_username=$USER1" 10
if [ "$DC_SMOKE_MILTER" = 1 ]; then
	qid=$(sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$E2E_DIR/smtp1.out" | head -n 1)
	t_check "mailwarden saw it outbound from 203.0.113.7 with the SASL login" \
		e2e_wait_until 5 grep -Eq \
		"${qid:-NOQID}: outbound client=203\.0\.113\.7 login=$USER1 from=<$USER1>" "$MW_LOG"
fi
pf_swaks_auth "$USER1" wrong-password "$E2E_DIR/smtp2.out" 203.0.113.8 \
	--from "$USER1" --to carol@example.net
t_check "a wrong SMTP password gets 535" grep -q "^<~\?\*\* *535 " "$E2E_DIR/smtp2.out"
t_check "and reaches the stub as a failed smtp login" \
	policy_stub_wait_seen 5 command=report remote=203.0.113.8 protocol=smtp success=false
swaks --timeout 20 --server "127.0.0.1:$P587" --xclient-addr 203.0.113.9 \
	--from "$USER1" --to carol@example.net >"$E2E_DIR/smtp3.out" 2>&1
t_check "without AUTH that client may not relay (554 5.7.1 at RCPT)" \
	grep -q "^<\*\* *554 5\.7\.1 <carol@example\.net>" "$E2E_DIR/smtp3.out"

# -- 6: many failures, each one reaches the policy server -----------------
before=$(policy_stub_count command=report remote=192.0.2.66 success=false)
t0=$(e2e_now_ms)
refused=0
for ((i = 0; i < 20; i++)); do
	dc_imap_login "$USER1" "guess-$i" 192.0.2.66 >/dev/null
	[ $? = 1 ] && refused=$((refused + 1))
done
el=$(($(e2e_now_ms) - t0))
t_check "20 wrong passwords are all refused (in $el ms)" test "$refused" = 20
# Each refusal costs about 0.8 s (a login process, the policy round trips,
# Dovecot's half-second failure queue); with its anvil penalty on, the
# fourth would already wait 15 s.
t_check "in under 40 s (no failure delay, no anvil penalty)" test "$el" -lt 40000
reports_at_least() { [ "$(policy_stub_count command=report remote=192.0.2.66 success=false)" -ge "$1" ]; }
e2e_wait_until 5 reports_at_least $((before + 20))
after=$(policy_stub_count command=report remote=192.0.2.66 success=false)
t_check "each of them reached the stub as a report ($((after - before)))" test $((after - before)) = 20

# -- 7: stop ---------------------------------------------------------------
if [ "$DC_SMOKE_MILTER" = 1 ]; then
	mw_stop
	t_check "mailwarden exits 0 on SIGTERM" test $? = 0
fi
t_check "Dovecot logged no error" eval '! dc_log " (Error|Fatal|Panic): " >&2'
master=$DC_MASTER_PID
kids=$(pgrep -P "$master" | tr '\n' ' ')
dc_stop
t_check "the Dovecot master is gone" e2e_pid_gone "$master"
left=""
for k in $kids; do e2e_pid_alive "$k" && left="$left $k"; done
t_check "no Dovecot child is left${left:+ ($left)}" test -z "$left"

t_summary
