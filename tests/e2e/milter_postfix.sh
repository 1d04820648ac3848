#!/usr/bin/env bash
# milter_postfix.sh - `mailwarden serve` behind a real Postfix (smtpd_milters,
# milter_protocol = 6): the negotiation, our macro lists, the no-reply
# steps, the replies at RCPT and at end of data, and the modifications
# (CHGFROM, DELRCPT/ADDRCPT) as Postfix applies them.
#
#   1. a submission from a local sender reaches the sink with a prvs= tag;
#   2. its bounce, sent to the tagged address, is delivered to the plain
#      mailbox;
#   3. a bounce to a forged tag is refused at RCPT with 550 5.7.1;
#   4. an untagged bounce with no proof is refused at end of data;
#   5. an untagged bounce quoting the Message-ID we sent is delivered;
#   6. Postfix logged no milter protocol error, and mailwarden logged one
#      line per message with Postfix's queue id.
#
# Usage: tests/e2e/milter_postfix.sh   (as root; KEEP=1 keeps $E2E_DIR)
# Environment: BUILD (default build), SANITIZE (0).
# Prints "milter-postfix: N passed, N failed"; exits 1 on failure, 2 when
# the environment is broken. Bounded: 150 s at most.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/postfix.sh
. tests/e2e/lib/sink.sh

e2e_init milter-postfix
e2e_deadline 150
for tool in postfix postconf swaks smtp-sink; do
	command -v "$tool" >/dev/null || e2e_die "$tool not installed (make deps)"
done
BUILD=${BUILD:-build}
BIN=$BUILD/mailwarden
make -s BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" "$BIN" >&2 || e2e_die "make $BIN failed"

e2e_free_ports PM
STATE=$E2E_DIR/state
KEYS=$E2E_DIR/batv.keys
CONF=$E2E_DIR/mailwarden.conf
LOG=$E2E_DIR/mailwarden.log
mkdir -p "$STATE"
chown nobody "$STATE"
printf '1 pf-e2e-secret-0123456789abcdef\n' >"$KEYS"
chown "root:$(id -gn nobody)" "$KEYS"
chmod 0640 "$KEYS"
# Loopback is Postfix's client here, so it is not trusted: only the
# submission service (ORIGINATING) makes mail outbound.
cat >"$CONF" <<EOF
user = nobody
milter_socket = inet:127.0.0.1:$PM
state_dir = $STATE
local_domains = example.jp
our_hostnames = mx.example.jp
trusted_networks = 192.0.2.0/24
outbound_daemon_names = ORIGINATING
batv_mode = enforce
batv_key_file = $KEYS
http_listen =
digest = no
EOF
chmod 0644 "$CONF"
: >"$LOG"

"$BIN" serve -c "$CONF" >>"$LOG" 2>&1 &
MW_PID=$!
e2e_on_exit 'e2e_kill_pid "$MW_PID" 5'
e2e_wait_port "$PM" 10 || e2e_die "mailwarden did not start: $(cat "$LOG")"

PF_MILTER="inet:127.0.0.1:$PM"
PF_MILTER_DEFAULT_ACTION=tempfail
pf_create
# Postfix checks a recipient against its own tables before the milter
# sees it, and "prvs=...=alice@example.jp" is in none of them: a site
# makes every tagged form of its addresses valid with a regexp alias
# (docs/daemon.md), and mailwarden then judges the tag at RCPT.
cat >"$PF_CONF/prvs.regexp" <<'EOF'
/^prvs=[0-9]{4}[0-9a-f]{6}=(.+@example\.jp)$/	${1}
EOF
pf_set "virtual_alias_maps = regexp:$PF_CONF/prvs.regexp" ||
	e2e_die "postconf virtual_alias_maps failed"
sink_start
pf_start
e2e_log "Postfix MX $P25, submission $P587, sink $PSINK, mailwarden $PM"

tag=$$-$(date +%s)
swaks_to() { # swaks_to PORT OUTFILE ARGS... - one SMTP transaction
	local port=$1 out=$2
	shift 2
	swaks --timeout 20 --server "127.0.0.1:$port" "$@" >"$out" 2>&1
}

# 1. outbound: tagged on its way out.
msgid="out.$tag@example.jp"
swaks_to "$P587" "$E2E_DIR/s1.out" --from alice@example.jp --to carol@example.net \
	--header "Message-Id: <$msgid>" --header "Subject: hello $tag"
t_check "submission accepted" grep -q "^<- *250 .*queued as" "$E2E_DIR/s1.out"
sink_wait_count 1 20
f=$(sink_files_to carol@example.net | head -n 1)
sender=$( [ -n "$f" ] && sink_mail_from "$f")
if [[ $sender =~ ^prvs=1[0-9]{3}[0-9a-f]{6}=alice@example\.jp$ ]]; then
	t_pass "the sink got the BATV-tagged sender ($sender)"
else
	t_fail "the sink got the BATV-tagged sender" "got '${sender:-nothing}'"
fi

# 2. the bounce of it, to the tagged address: delivered, untagged.
swaks_to "$P25" "$E2E_DIR/s2.out" --from '<>' --to "${sender:-none@example.jp}" \
	--header "From: MAILER-DAEMON@remote.example" \
	--header "Subject: Undelivered Mail Returned to Sender" \
	--body "Your message to carol@example.net could not be delivered."
t_check "the bounce to the tagged sender is accepted" grep -q "^<- *250 .*queued as" "$E2E_DIR/s2.out"
if maildir_wait_count alice@example.jp 1 20; then
	t_pass "it is delivered to alice's mailbox"
else
	t_fail "it is delivered to alice's mailbox"
	pf_dump_diagnostics
fi

# 3. a forged tag: refused at RCPT.
swaks_to "$P25" "$E2E_DIR/s3.out" --from '<>' --to "prvs=1000abcdef=alice@example.jp"
t_check "a forged tag is refused at RCPT with 550 5.7.1" \
	grep -q "^<\*\* *550 5\.7\.1 " "$E2E_DIR/s3.out"

# 4. an untagged bounce without proof: refused at end of data.
swaks_to "$P25" "$E2E_DIR/s4.out" --from '<>' --to alice@example.jp \
	--header "From: MAILER-DAEMON@remote.example" \
	--header "Subject: failure notice" \
	--body "Hi. This is the qmail-send program at remote.example.
I'm afraid I wasn't able to deliver your message to the following addresses.

<victim@remote.example>:
Sorry, no mailbox here by that name.

--- Below this line is a copy of the message.

Message-ID: <never.$tag@spam.example>
From: alice@example.jp
Subject: pills
"
if grep -q "^<\*\* *550 5\.7\.1 .*[Bb]ackscatter" "$E2E_DIR/s4.out" &&
	grep -q "^ *-> *\.$" "$E2E_DIR/s4.out"; then
	t_pass "an untagged bounce without proof is refused after DATA (550 5.7.1)"
else
	t_fail "an untagged bounce without proof is refused after DATA" "$(grep '^<' "$E2E_DIR/s4.out" | tail -n 3)"
fi

# 5. an untagged bounce that quotes the Message-ID we sent: delivered.
swaks_to "$P25" "$E2E_DIR/s5.out" --from '<>' --to alice@example.jp \
	--header "From: MAILER-DAEMON@remote.example" \
	--header "Subject: failure notice" \
	--body "Hi. This is the qmail-send program at remote.example.
I'm afraid I wasn't able to deliver your message to the following addresses.

<carol@example.net>:
Sorry, no mailbox here by that name.

--- Below this line is a copy of the message.

Message-ID: <$msgid>
From: alice@example.jp
To: carol@example.net
Subject: hello $tag
"
t_check "a genuine untagged bounce is accepted" grep -q "^<- *250 .*queued as" "$E2E_DIR/s5.out"
t_check "and delivered" maildir_wait_count alice@example.jp 2 20

# 6. the logs.
sleep 1
if pf_log "milter" | grep -Ei "warning|error|unexpected|bad" >"$E2E_DIR/milter-warnings"; then
	t_fail "Postfix logged no milter warning" "$(head -n 3 "$E2E_DIR/milter-warnings")"
else
	t_pass "Postfix logged no milter warning"
fi
qid=$(sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$E2E_DIR/s1.out" | head -n 1)
if [ -n "$qid" ] && grep -q "$qid: outbound .*from=<alice@example\.jp> to=<carol@example\.net> verdict=accept new_from=<prvs=" "$LOG"; then
	t_pass "mailwarden's log line carries Postfix's queue id ($qid)"
else
	t_fail "mailwarden's log line carries Postfix's queue id" "qid '$qid'; $(grep outbound "$LOG" | head -n 2)"
fi
t_check "mailwarden is still running" e2e_pid_alive "$MW_PID"

kill -TERM "$MW_PID"
e2e_wait_until 40 e2e_pid_gone "$MW_PID"
wait "$MW_PID"
t_check "mailwarden exits 0 on SIGTERM" test $? = 0

t_summary
