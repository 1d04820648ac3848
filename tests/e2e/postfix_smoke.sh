#!/usr/bin/env bash
# postfix_smoke.sh - the harness itself, proven against real Postfix with no
# milter: a private instance on loopback delivers a local mail to its
# maildir, relays a submission to smtp-sink with the envelope recorded,
# honours XCLIENT from loopback, and leaves no process behind when stopped.
#
# Usage: tests/e2e/postfix_smoke.sh        (as root; KEEP=1 keeps $E2E_DIR)
# Prints "postfix-smoke: N passed, N failed"; exits 1 on failure, 2 when the
# environment is broken (no Postfix, not root). Bounded: 60 s at most.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/postfix.sh
. tests/e2e/lib/sink.sh

e2e_init postfix-smoke
e2e_deadline 55
for tool in postfix postconf swaks smtp-sink; do
	command -v "$tool" >/dev/null || e2e_die "$tool not installed (make deps)"
done

pf_create
sink_start
pf_start
e2e_log "instance $PF_CONF: MX $P25, submission $P587, sink $PSINK"

# A unique token per message, so that each check finds its own mail.
tag=$$-$(date +%s)
send() {
	swaks --timeout 10 --server "127.0.0.1:$1" "${@:2}" \
		>>"$E2E_DIR/swaks.log" 2>&1
}

# 1. Inbound on the MX port to a local user: delivered to the maildir.
t_check "MX port accepts mail for a local user" \
	send "$P25" --from sender@example.net --to alice@example.jp \
	--header "Subject: local $tag"
t_check "local mail is in alice's maildir" maildir_wait_count alice@example.jp 1 15
if f=$(maildir_files alice@example.jp | head -n 1) && [ -n "$f" ] &&
	grep -q "^Subject: local $tag" "$f"; then
	t_pass "the maildir holds the message that was sent"
else
	t_fail "the maildir holds the message that was sent" "$f"
fi

# 2. Outbound on the submission port to a remote address: relayed to the
# sink, which records the envelope.
t_check "submission port relays for a trusted client" \
	send "$P587" --from alice@example.jp --to carol@example.net \
	--header "Subject: remote $tag"
t_check "relayed mail reached the sink" sink_wait_count 1 15
f=$(sink_files_to carol@example.net | head -n 1)
if [ -n "$f" ] && [ "$(sink_mail_from "$f")" = alice@example.jp ] &&
	[ "$(sink_rcpts "$f")" = carol@example.net ] &&
	grep -q "^Subject: remote $tag" "$f"; then
	t_pass "the sink recorded envelope <alice@example.jp> -> <carol@example.net>"
else
	t_fail "the sink recorded the envelope" "${f:-no dump file for carol@example.net}"
fi
if pf_log "mw-e2e/submission/smtpd\[[0-9]+\]: [0-9A-F]+: client=" >/dev/null; then
	t_pass "the submission smtpd logged the message"
else
	t_fail "the submission smtpd logged the message"
fi
mdn=$(postconf -c "$PF_CONF" -Ph "127.0.0.1:$P587/inet/milter_macro_daemon_name")
t_check "submission names itself ORIGINATING to milters ($mdn)" [ "$mdn" = ORIGINATING ]

# 3. XCLIENT from loopback: Postfix takes the presented client address.
t_check "XCLIENT is accepted from loopback" \
	send "$P25" --xclient-addr 203.0.113.7 --xclient-name '[UNAVAILABLE]' \
	--from someone@example.org --to bob@example.jp --header "Subject: xclient $tag"
t_check "the log shows the XCLIENT address" \
	pf_wait_log ': client=unknown\[203\.0\.113\.7\]' 10
t_check "the XCLIENT mail was delivered to bob" maildir_wait_count bob@example.jp 1 15

# 4. Nothing stuck, nothing extra: the queue empties, no bounce was made.
t_check "the queue is empty" pf_wait_queue_empty 20
t_check "exactly one message reached the sink" [ "$(sink_count)" -eq 1 ]
t_check "alice and bob have exactly one message each" \
	[ "$(maildir_count alice@example.jp)/$(maildir_count bob@example.jp)" = 1/1 ]
if [ "$E2E_FAIL" -ne 0 ]; then
	pf_dump_diagnostics
	tail -n 30 "$E2E_DIR/swaks.log" >&2
fi

# 5. Stop: the master and every process of its group are gone, the ports
# are closed.
master=$(pf_master_pid)
t_check "the master pid is known ($master)" [ -n "$master" ]
pf_stop
if left=$(pgrep -a -g "$master") || e2e_pid_alive "$master"; then
	t_fail "no Postfix process is left after stop" "$left"
else
	t_pass "no Postfix process is left after stop"
fi
sink_stop
none_listening() {
	local p
	for p in "$@"; do
		! e2e_port_listening "$p" || return 1
	done
}
t_check "no port is left listening" none_listening "$P25" "$P587" "$PSINK"

t_summary
