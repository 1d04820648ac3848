#!/usr/bin/env bash
# bench/postfix/run.sh - what a milter costs Postfix: smtp-source -> a
# private Postfix on loopback -> smtp-sink, the same load in one run with
#   none        no milter (Postfix alone)
#   noop        bench/postfix/noop_milter.c: Sendmail's libmilter, the same
#               protocol steps as mailwarden, no change to any message
#   mailwarden  mailwarden's milter, when MAILWARDEN_MILTER is set
# and the extra time each milter adds over Postfix alone, and mailwarden's
# extra as a fraction of the no-op filter's (DESIGN.md §8: under 0.5).
# A benchmark, not a test: no figure passes or fails.
#
# Each run: a fresh start of the instance and the sink, WARMUP messages
# sent and delivered (so both sides start with their processes spawned),
# then the clock runs from smtp-source's first connection until the sink
# has received all MESSAGES and the queue is empty. Scenarios alternate
# within each round; the best of RUNS rounds counts (median also shown).
#
# Usage: bench/postfix/run.sh          (as root)
# Environment:
#   MESSAGES (5000)  SESSIONS (20)  SIZE (4096, smtp-source -l bytes)
#   RUNS (3)  WARMUP (40)  TIMEOUT (600 s per run)
#   SOURCE_OPTS      extra smtp-source options (e.g. -d: several messages
#                    per connection; default: one message per connection)
#   NOOP_PROFILE     same (default) | full: see noop_milter.c
#   MAILWARDEN_MILTER  inet:127.0.0.1:PORT where mailwarden's milter
#                    listens; unset: scenario (c) is skipped
#   MAILWARDEN_START command that starts it in the foreground (run in the
#                    background here, TERM'ed at the end); unset: it is
#                    assumed to be running already
#   SCENARIOS        which scenarios run, in this order (default: none noop,
#                    and mailwarden when MAILWARDEN_MILTER is set); the
#                    ratio is printed only when all three ran
#   BENCH_OUT (build/bench)  KEEP=1 keeps the work directory
# Prints one "postfix-milter: run=..." line per run, a summary line of
# key=value pairs (none_s, noop_s, mailwarden_s, extra_noop_s,
# extra_mailwarden_s, ratio_mailwarden_noop; "-" for what did not run),
# and last the ratio DESIGN.md asks about on a line of its own. The load
# average is printed with each run: on a busy machine (other builds on
# the same cores) the figures swing by seconds between rounds; compare
# only runs of one invocation, and prefer more RUNS.
set -u
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/postfix.sh
. tests/e2e/lib/sink.sh

MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-40}
TIMEOUT=${TIMEOUT:-600}
SOURCE_OPTS=${SOURCE_OPTS:-}
NOOP_PROFILE=${NOOP_PROFILE:-same}
MAILWARDEN_MILTER=${MAILWARDEN_MILTER:-}
MAILWARDEN_START=${MAILWARDEN_START:-}
BENCH_OUT=${BENCH_OUT:-build/bench}
SENDER=bench@example.jp
RCPT=rcpt@example.net

e2e_init postfix-milter
for tool in postfix smtp-source smtp-sink cc; do
	command -v "$tool" >/dev/null || e2e_die "$tool not installed (make deps)"
done
[ -f /usr/include/libmilter/mfapi.h ] || e2e_die "libmilter-dev not installed (make deps)"

# --- the no-op filter ---------------------------------------------------
NOOP=$BENCH_OUT/noop_milter
mkdir -p "$BENCH_OUT"
cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g \
	-o "$NOOP" bench/postfix/noop_milter.c -lmilter -lpthread ||
	e2e_die "cannot build $NOOP"

# milter_start NAME - start scenario NAME's filter; sets MILTER_PID (empty
# when not started by us) and MILTER_SOCKET (Postfix's smtpd_milters).
milter_start() {
	MILTER_PID=
	MILTER_SOCKET=
	case $1 in
	none) ;;
	noop)
		PNOOP=
		e2e_free_ports PNOOP
		MILTER_SOCKET=inet:127.0.0.1:$PNOOP
		"$NOOP" -s "inet:$PNOOP@127.0.0.1" -P "$NOOP_PROFILE" \
			2>>"$E2E_DIR/noop.err" &
		MILTER_PID=$!
		e2e_wait_port "$PNOOP" 10 || e2e_die "noop_milter did not listen on $PNOOP"
		;;
	mailwarden) mailwarden_start ;;
	esac
}

# mailwarden_start - run MAILWARDEN_START (if given) and wait for the port
# of MAILWARDEN_MILTER. Issue 3's measurement: `build/mailwarden serve -c
# FILE` with every check on and 127.0.0.0/8 in trusted_networks (so that
# every message is outbound, tagged, in the sent log and logged), e.g.
#   milter_socket = inet:127.0.0.1:28894   state_dir = /tmp/mwbench/state
#   local_domains = example.jp   trusted_networks = 127.0.0.0/8
#   batv_mode = enforce   batv_key_file = /tmp/mwbench/keys   digest = no
#   user = nobody   (as root: state_dir must belong to it)
mailwarden_start() {
	local port=${MAILWARDEN_MILTER##*:}
	MILTER_SOCKET=$MAILWARDEN_MILTER
	if [ -n "$MAILWARDEN_START" ]; then
		bash -c "exec $MAILWARDEN_START" >>"$E2E_DIR/mailwarden.out" 2>&1 &
		MILTER_PID=$!
	fi
	e2e_wait_port "$port" 20 || e2e_die "mailwarden does not listen on $MAILWARDEN_MILTER"
}

milter_stop() {
	[ -n "$MILTER_PID" ] || return 0
	e2e_kill_pid "$MILTER_PID" 10
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
}

# cpu_ticks PID - user+system clock ticks used so far by PID and its
# threads (libmilter runs one thread per connection).
cpu_ticks() {
	if [ -z "$1" ] || [ ! -r "/proc/$1/stat" ]; then
		echo 0
		return
	fi
	# Fields 14 and 15, counted after the ")" that ends the command name.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# --- one run ----------------------------------------------------------
# bench_run ROUND SCENARIO - prints the run's line, records its seconds.
bench_run() {
	local round=$1 scen=$2 t0 t1 ms src_ms rc sink_n deferred cpu0 cpu1 hz
	local deadline
	sink_stop
	pf_stop
	milter_start "$scen"
	pf_set "smtpd_milters = $MILTER_SOCKET" >/dev/null
	: >"$PF_LOG"
	sink_start
	pf_start

	# Warm-up: the same path, untimed.
	smtp-source -4 -s "$SESSIONS" -m "$WARMUP" -l "$SIZE" -f "$SENDER" -t "$RCPT" \
		"127.0.0.1:$P25" >"$E2E_DIR/warmup.out" 2>&1 ||
		e2e_die "$scen: warm-up failed: $(tail -n 3 "$E2E_DIR/warmup.out")"
	if ! { sink_wait_count "$WARMUP" 60 && pf_wait_queue_empty 60; }; then
		e2e_die "$scen: warm-up mail not delivered (see $PF_LOG)"
	fi

	cpu0=$(cpu_ticks "$MILTER_PID")
	t0=$(e2e_now_ms)
	# shellcheck disable=SC2086
	smtp-source -4 -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" $SOURCE_OPTS \
		-f "$SENDER" -t "$RCPT" "127.0.0.1:$P25" >"$E2E_DIR/source.out" 2>&1
	rc=$?
	src_ms=$(($(e2e_now_ms) - t0))
	[ "$rc" -eq 0 ] || e2e_die "$scen: smtp-source failed ($rc): $(tail -n 3 "$E2E_DIR/source.out")"
	# Bounded poll: the sink's counter is cheap to read; the queue is
	# looked at only once the sink has everything.
	deadline=$(($(e2e_now_ms) + TIMEOUT * 1000))
	while :; do
		if [ "$(sink_count)" -ge $((WARMUP + MESSAGES)) ] && pf_queue_empty; then
			break
		fi
		[ "$(e2e_now_ms)" -lt "$deadline" ] ||
			e2e_die "$scen: not delivered within ${TIMEOUT}s: sink $(sink_count), queue $(pf_queue_count)"
		sleep 0.05
	done
	t1=$(e2e_now_ms)
	cpu1=$(cpu_ticks "$MILTER_PID")
	hz=$(getconf CLK_TCK)
	ms=$((t1 - t0))
	sink_n=$(($(sink_count) - WARMUP))
	deferred=$(grep -c 'status=deferred\|status=bounced' "$PF_LOG")
	printf 'postfix-milter: run=%d scenario=%s secs=%d.%03d accept_secs=%d.%03d msgs_s=%d sink=%d deferred_or_bounced=%d milter_cpu_s=%s load=%s\n' \
		"$round" "$scen" $((ms / 1000)) $((ms % 1000)) $((src_ms / 1000)) $((src_ms % 1000)) \
		$((MESSAGES * 1000 / (ms > 0 ? ms : 1))) "$sink_n" "$deferred" \
		"$(awk -v t=$((cpu1 - cpu0)) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')" \
		"$(cut -d' ' -f1 /proc/loadavg)"
	[ "$sink_n" -eq "$MESSAGES" ] || e2e_log "WARNING: $scen: sink got $sink_n of $MESSAGES"
	echo "$scen $ms" >>"$E2E_DIR/times"
	pf_stop
	milter_stop
	[ "$scen" = noop ] && tail -n 1 "$E2E_DIR/noop.err" | sed 's/^/postfix-milter:   /'
	return 0
}

# --- the whole run -----------------------------------------------------
if [ -z "${SCENARIOS:-}" ]; then
	SCENARIOS="none noop"
	[ -n "$MAILWARDEN_MILTER" ] && SCENARIOS="$SCENARIOS mailwarden"
fi

SINK_DUMP=0
PF_MILTER=
MILTER_PID=
pf_create
e2e_on_exit milter_stop
echo "postfix-milter: $MESSAGES messages of $SIZE bytes, $SESSIONS sessions, $RUNS rounds of: $SCENARIOS" \
	"(noop profile $NOOP_PROFILE; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg);" \
	"postfix $(postconf -dh mail_version))"
for ((round = 1; round <= RUNS; round++)); do
	for scen in $SCENARIOS; do
		bench_run "$round" "$scen"
	done
done

# best and median of each scenario, in ms
stat_ms() {
	awk -v s="$1" '$1 == s { print $2 }' "$E2E_DIR/times" | sort -n |
		awk -v want="$2" '{ v[NR] = $1 }
		END {
			if (NR == 0) print "";
			else if (want == "best") print v[1];
			else print v[int((NR + 1) / 2)]
		}'
}
secs() { awk -v ms="$1" 'BEGIN { if (ms == "") print "-"; else printf "%.3f", ms / 1000 }'; }
none=$(stat_ms none best)
noop=$(stat_ms noop best)
mw=$(stat_ms mailwarden best)
# ratio A B - A / B with two decimals, "-" when either is missing or B <= 0
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b <= 0) print "-"; else printf "%.2f", a / b }'; }
# minus A B - A - B in ms, empty when either is missing
minus() { if [ -n "$1" ] && [ -n "$2" ]; then echo $(($1 - $2)); fi; }
extra_noop=$(minus "$noop" "$none")
extra_mw=$(minus "$mw" "$none")
summary="none_s=$(secs "$none") noop_s=$(secs "$noop") extra_noop_s=$(secs "$extra_noop")"
summary="$summary none_median_s=$(secs "$(stat_ms none median)") noop_median_s=$(secs "$(stat_ms noop median)")"
summary="$summary noop_over_none=$(ratio "$noop" "$none")"
summary="$summary mailwarden_s=$(secs "$mw") extra_mailwarden_s=$(secs "$extra_mw")"
summary="$summary mailwarden_median_s=$(secs "$(stat_ms mailwarden median)")"
summary="$summary ratio_mailwarden_noop=$(ratio "$extra_mw" "$extra_noop")"
echo "postfix-milter: best of $RUNS: $summary"
# The figure DESIGN.md section 8 asks about, on a line of its own.
echo "postfix-milter: ratio (mailwarden's extra time / the no-op filter's; goal < 0.5): $(ratio "$extra_mw" "$extra_noop")"
