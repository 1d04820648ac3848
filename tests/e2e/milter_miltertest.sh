#!/usr/bin/env bash
# milter_miltertest.sh - `mailwarden serve` as a milter, end to end: the
# protocol against OpenDKIM's miltertest (tests/e2e/miltertest/*.lua),
# the edges miltertest cannot reach through a raw client
# (tests/e2e/milter_raw.c: oversized and zero-length frames, an unknown
# command, a connection closed mid-message, no macros at all,
# back-pressure), 1,000 idle connections and the memory they take, the
# connection cap, the idle timeout, SIGHUP (good and bad files), the
# unix socket (mode, stale file after kill -9), start-up errors, the
# privilege drop, and SIGTERM (exit 0, nothing left behind).
#
# Usage: tests/e2e/milter_miltertest.sh   (as root; KEEP=1 keeps $E2E_DIR)
# Environment: BUILD (default build), SANITIZE (0; 1 for an ASan build), CC (default cc), RUNAS (default
# nobody: the user mailwarden drops to).
# Prints "milter-e2e: N passed, N failed"; exits 1 on failure, 2 when the
# environment is broken. Bounded: 240 s at most.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/common.sh

e2e_init milter-e2e
e2e_deadline 240
BUILD=${BUILD:-build}
CC=${CC:-cc}
RUNAS=${RUNAS:-nobody}
BIN=$BUILD/mailwarden
LUA_DIR=$PWD/tests/e2e/miltertest

command -v miltertest >/dev/null || e2e_die "miltertest not installed (make deps)"
getent passwd "$RUNAS" >/dev/null || e2e_die "no user $RUNAS"
make -s BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" "$BIN" >&2 || e2e_die "make $BIN failed"
RAW=$E2E_DIR/milter_raw
$CC -std=c17 -O2 -Wall -o "$RAW" tests/e2e/milter_raw.c ||
	e2e_die "cannot build tests/e2e/milter_raw.c"

RUN_UID=$(id -u "$RUNAS")
RUN_GROUP=$(id -gn "$RUNAS")
STATE=$E2E_DIR/state
RUNDIR=$E2E_DIR/run
CONF=$E2E_DIR/mailwarden.conf
KEYS=$E2E_DIR/batv.keys
LOG=$E2E_DIR/mailwarden.log
mkdir -p "$STATE" "$RUNDIR"
chown "$RUNAS" "$STATE" "$RUNDIR"
# The key file is read after the drop (and again on SIGHUP): root's, and
# readable by the daemon's group only.
printf '# test keys\n1 e2e-secret-0123456789abcdef\n' >"$KEYS"
chown "root:$RUN_GROUP" "$KEYS"
chmod 0640 "$KEYS"
: >"$LOG"

e2e_free_ports PM

# write_conf SOCKET [EXTRA LINES] - the configuration file; MAXCONN and
# BATV_MODE change those keys (a key may be set only once).
write_conf() {
	cat >"$CONF" <<EOF
# written by tests/e2e/milter_miltertest.sh
user = $RUNAS
milter_socket = $1
milter_timeout = 10s
milter_max_connections = ${MAXCONN:-1100}
state_dir = $STATE
local_domains = example.jp
our_hostnames = mx.example.jp
trusted_networks = 127.0.0.0/8
batv_mode = ${BATV_MODE:-enforce}
batv_key_file = $KEYS
http_listen =
digest = no
${2:-}
EOF
	chmod 0644 "$CONF"
}

MW_PID=
# start_mw - start the daemon in the background and wait until it says
# it is serving (its socket is then bound and its signals handled).
start_mw() {
	local before
	before=$(grep -c "info: serving on" "$LOG")
	"$BIN" serve -c "$CONF" >>"$LOG" 2>&1 &
	MW_PID=$!
	e2e_wait_until 10 serving_since "$before" || {
		e2e_log "daemon did not start; log:"
		tail -n 20 "$LOG" >&2
		return 1
	}
}

serving_since() {
	[ "$(grep -c "info: serving on" "$LOG")" -gt "$1" ]
}
e2e_on_exit 'e2e_kill_pid "$MW_PID" 5'

# stop_mw - SIGTERM; the exit status is in $MW_RC.
stop_mw() {
	MW_RC=
	kill -TERM "$MW_PID" 2>/dev/null || return 1
	e2e_wait_until 40 e2e_pid_gone "$MW_PID" || return 1
	wait "$MW_PID"
	MW_RC=$?
}

mt() {
	local script=$1
	shift
	miltertest -D socket="inet:$PM@127.0.0.1" -D dir="$LUA_DIR" "$@" \
		-s "$LUA_DIR/$script.lua" >>"$E2E_DIR/miltertest.out" 2>&1
}

raw() {
	"$RAW" 127.0.0.1 "$PM" "$@" >>"$E2E_DIR/raw.out" 2>&1
}

log_has() {
	grep -Eq -- "$1" "$LOG"
}

alive() {
	e2e_pid_alive "$MW_PID"
}

port_closed() {
	! e2e_port_listening "$PM"
}

kib() { # kib PID FIELD - a /proc/PID/status field in KiB
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# -- start-up errors ------------------------------------------------------

write_conf "inet:127.0.0.1:$PM" "bogus_key = 1"
"$BIN" serve -c "$CONF" >"$E2E_DIR/bad.out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q "mailwarden.conf:[0-9]*: key 'bogus_key'" "$E2E_DIR/bad.out"; then
	t_pass "a bad configuration: exit 2, file, line and key named"
else
	t_fail "a bad configuration: exit 2, file, line and key named" "rc $rc: $(head -c 300 "$E2E_DIR/bad.out")"
fi

chown root "$STATE"
write_conf "inet:127.0.0.1:$PM"
"$BIN" serve -c "$CONF" >"$E2E_DIR/bad.out" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q "not writable by user $RUNAS" "$E2E_DIR/bad.out"; then
	t_pass "state_dir not writable by the user: exit 2, said clearly"
else
	t_fail "state_dir not writable by the user: exit 2, said clearly" "rc $rc: $(head -c 300 "$E2E_DIR/bad.out")"
fi
chown "$RUNAS" "$STATE"

# -- the inet daemon -------------------------------------------------------

write_conf "inet:127.0.0.1:$PM"
start_mw || e2e_die "mailwarden serve did not start"
e2e_log "daemon pid $MW_PID on 127.0.0.1:$PM"

uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$MW_PID/status")
caps=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$MW_PID/status")
if [ "$uids" = "$RUN_UID $RUN_UID $RUN_UID $RUN_UID" ] && [ "$caps" = 0000000000000000 ]; then
	t_pass "runs as $RUNAS with no capabilities"
else
	t_fail "runs as $RUNAS with no capabilities" "Uid $uids CapEff $caps"
fi

t_check "miltertest: negotiation" mt negotiate
msgid="e2e.$$.$(date +%s)@example.jp"
t_check "miltertest: an outbound message" mt outbound -D msgid="$msgid"
if log_has "outbound client=198\.51\.100\.7 from=<alice@example\.jp> to=<carol@example\.net> verdict=accept new_from=<prvs=[0-9][0-9a-f]{9}=alice@example\.jp> reason=\"sender tagged\""; then
	t_pass "one log line for the message: direction, sender, recipients, verdict, reason"
else
	t_fail "one log line for the message" "$(tail -n 3 "$LOG")"
fi
tagged=$(grep -o 'new_from=<prvs=[^>]*>' "$LOG" | tail -n 1 | sed 's/^new_from=<//; s/>$//')
t_check "miltertest: the bounce to the tagged sender is untagged" \
	mt tagged_bounce -D tagged="$tagged"
t_check "miltertest: a forged tag is refused at RCPT" mt forged_tag
t_check "miltertest: an untagged bounce without proof is refused" mt backscatter
if log_has "from=<> to=<alice@example\.jp> verdict=reject 550 5\.7\.1 reason=\"backscatter"; then
	t_pass "the refused bounce is logged with its 550 and reason"
else
	t_fail "the refused bounce is logged with its 550 and reason" "$(tail -n 3 "$LOG")"
fi
t_check "miltertest: several transactions and an abort on one connection" mt transactions

# -- edges, through the raw client ----------------------------------------

t_check "an oversized frame closes the connection" raw oversized
t_check "a frame of length 0 closes the connection" raw zero-length
t_check "an unknown command is skipped, the stream goes on" raw unknown
t_check "a connection closed mid-message" raw midclose
t_check "a message without any macro" raw nomacros
t_check "the daemon is still serving after the edges" alive
if log_has "broken milter stream \(frame longer than the limit\)" &&
	log_has "unknown frame 'Z'" &&
	log_has "closed the connection in the middle of a message"; then
	t_pass "each edge is logged"
else
	t_fail "each edge is logged"
fi

# Back-pressure: enough MAIL frames to fill every kernel buffer on the
# way (the daemon's receive buffer can grow to tcp_rmem's maximum).
read -r _ _ rmax </proc/sys/net/ipv4/tcp_rmem
read -r _ _ wmax </proc/sys/net/ipv4/tcp_wmem
frames=$(((rmax + wmax) / 24 * 2 + 100000))
t_check "a peer that writes without reading is held (back-pressure)" raw flood "$frames"
hwm=$(kib "$MW_PID" VmHWM)
e2e_log "after $frames unread MAIL frames: VmHWM ${hwm} KiB"
# Under AddressSanitizer memory is the sanitizer's (shadow, quarantine):
# the numbers are shown, the budget is checked on the plain build only.
mem_check() {
	if [ "${SANITIZE:-0}" = 1 ]; then
		e2e_log "skipped under SANITIZE=1: $1"
		return 0
	fi
	t_check "$@"
}
mem_check "memory stayed bounded under the flood (VmHWM ${hwm} KiB < 64 MiB)" test "$hwm" -lt 65536

# 1,000 idle connections and their memory.
rss0=$(kib "$MW_PID" VmRSS)
"$RAW" 127.0.0.1 "$PM" idle 1000 6 >"$E2E_DIR/idle.out" 2>&1 &
idle_pid=$!
if e2e_wait_until 30 grep -q "idle: 1000 open" "$E2E_DIR/idle.out"; then
	sleep 1
	rss=$(kib "$MW_PID" VmRSS)
	nfd=$(ls "/proc/$MW_PID/fd" | wc -l)
	e2e_log "1000 idle connections: VmRSS ${rss} KiB (${rss0} KiB before), $nfd descriptors"
	echo "rss_1000_idle_kib=$rss rss_before_kib=$rss0 fds=$nfd" >"$E2E_DIR/rss.txt"
	mem_check "1,000 idle connections in ${rss} KiB resident (< 64 MiB)" test "$rss" -lt 65536
else
	t_fail "1,000 idle connections opened" "$(cat "$E2E_DIR/idle.out")"
fi
wait "$idle_pid"
t_check "each of the 1,000 connections is still answered" grep -q "idle: 1000 of 1000 answered" "$E2E_DIR/idle.out"

# -- SIGHUP ---------------------------------------------------------------

MAXCONN=2 write_conf "inet:127.0.0.1:$PM"
kill -HUP "$MW_PID"
t_check "SIGHUP with a good file: reloaded" e2e_wait_until 5 log_has "reloaded .*generation 2"
"$RAW" 127.0.0.1 "$PM" idle 2 3 >"$E2E_DIR/cap.out" 2>&1 &
cap_pid=$!
e2e_wait_until 10 grep -q "idle: 2 open" "$E2E_DIR/cap.out"
t_check "over milter_max_connections: accepted and closed at once" raw refused
wait "$cap_pid"
t_check "the connections under the cap are served" grep -q "idle: 2 of 2 answered" "$E2E_DIR/cap.out"
t_check "the refusal is logged" log_has "refused 1 connection"

BATV_MODE=sometimes write_conf "inet:127.0.0.1:$PM"
kill -HUP "$MW_PID"
if e2e_wait_until 5 log_has "reload: .*mailwarden\.conf:[0-9]+: key 'batv_mode'" &&
	log_has "the configuration in force stays"; then
	t_pass "SIGHUP with a bad file: each error logged, the old one stays"
else
	t_fail "SIGHUP with a bad file: each error logged, the old one stays" "$(tail -n 4 "$LOG")"
fi
t_check "still serving with the old configuration" mt backscatter
write_conf "inet:127.0.0.1:$PM"
kill -HUP "$MW_PID"
e2e_wait_until 5 log_has "generation 3" || true

# -- idle timeout ----------------------------------------------------------

t_check "an idle connection is closed after milter_timeout (10 s)" raw closed-by-peer 14

# -- SIGTERM ---------------------------------------------------------------

"$RAW" 127.0.0.1 "$PM" idle 3 30 >"$E2E_DIR/term.out" 2>&1 &
term_pid=$!
e2e_wait_until 10 grep -q "idle: 3 open" "$E2E_DIR/term.out"
t0=$(e2e_now_ms)
if stop_mw; then
	t1=$(e2e_now_ms)
	t_check "SIGTERM: exit status 0" test "$MW_RC" = 0
	t_check "SIGTERM with idle connections: out within 3 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 3000
else
	t_fail "SIGTERM: the daemon stopped"
fi
kill "$term_pid" 2>/dev/null
wait "$term_pid" 2>/dev/null
t_check "SIGTERM: the port is closed" port_closed
t_check "SIGTERM: the store was closed" log_has "store closed"

# -- the unix socket -------------------------------------------------------

SOCK=$RUNDIR/milter.sock
write_conf "unix:$SOCK"
start_mw || e2e_die "mailwarden serve (unix) did not start"
mode=$(stat -c '%a %U' "$SOCK")
t_check "the unix socket is mode 660, owned by $RUNAS ($mode)" test "$mode" = "660 $RUNAS"
if miltertest -D socket="unix:$SOCK" -D dir="$LUA_DIR" -s "$LUA_DIR/negotiate.lua" >>"$E2E_DIR/miltertest.out" 2>&1; then
	t_pass "miltertest over the unix socket"
else
	t_fail "miltertest over the unix socket"
fi
# Out of the job table first, so that bash does not report the kill.
disown "$MW_PID"
kill -KILL "$MW_PID"
e2e_wait_until 5 e2e_pid_gone "$MW_PID"
t_check "after kill -9 the socket file is left" test -S "$SOCK"
start_mw || e2e_die "mailwarden serve did not restart"
t_check "a stale socket is removed at start" log_has "removed the stale socket $SOCK"
if stop_mw && [ "$MW_RC" = 0 ] && [ ! -e "$SOCK" ]; then
	t_pass "SIGTERM removes the unix socket and exits 0"
else
	t_fail "SIGTERM removes the unix socket and exits 0" "rc ${MW_RC:-?}"
fi

t_summary
