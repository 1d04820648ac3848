#!/usr/bin/env bash
# common.sh - the end-to-end harness's shared core: one private work
# directory per run ($E2E_DIR), cleanup that always runs, free loopback
# ports, bounded waits and pass/fail counting. Sourced, never run.
#
# Every test sources this first, then calls e2e_init NAME. Whatever a test
# starts it registers with e2e_on_exit, and the EXIT trap undoes it in the
# reverse order, whether the test passed, failed or was interrupted. With
# KEEP=1 the work directory (configs, queue, logs, maildirs, sink dumps) is
# left for inspection; the processes are stopped either way.
#
# Nothing here listens on anything but 127.0.0.1.

# Guard against being sourced twice (postfix.sh and sink.sh both need it).
[ -n "${E2E_COMMON_LOADED:-}" ] && return 0
E2E_COMMON_LOADED=1

E2E_PASS=0
E2E_FAIL=0
E2E_NAME=e2e
E2E_CLEANUPS=()
E2E_PORTS_TAKEN=" "

# Ports are drawn below the kernel's ephemeral range, so that an outgoing
# connection (smtp-source opens many) cannot take a port between the
# moment we find it free and the moment Postfix or the sink binds it.
E2E_PORT_MIN=${E2E_PORT_MIN:-20000}
E2E_PORT_MAX=${E2E_PORT_MAX:-32000}

# e2e_log MSG... - a progress line on stderr, prefixed with the test name.
e2e_log() {
	printf '%s: %s\n' "$E2E_NAME" "$*" >&2
}

# e2e_die MSG... - a broken environment: say why and leave (the trap cleans).
e2e_die() {
	printf '%s: FATAL: %s\n' "$E2E_NAME" "$*" >&2
	exit 2
}

# e2e_init NAME - make $E2E_DIR and install the cleanup trap. The directory
# is world-traversable (0755): Postfix's unprivileged daemons and the
# virtual(8) delivery agent must reach the queue and the maildirs in it.
e2e_init() {
	E2E_NAME=$1
	[ "$(id -u)" -eq 0 ] || e2e_die "must run as root (a private Postfix instance needs it)"
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mw-e2e-$1.XXXXXX") ||
		e2e_die "cannot make a work directory"
	chmod 0755 "$E2E_DIR"
	export E2E_DIR
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# e2e_deadline SECONDS - end the whole test (TERM, so the trap still
# cleans up) if it is still running after SECONDS: a hung peer cannot
# hang the suite.
e2e_deadline() {
	local me=$$
	(
		# Take the sleep down with us when cancelled, so no process is left.
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep "$1" &
		sp=$!
		wait "$sp" || exit 0
		echo "$E2E_NAME: FATAL: still running after $1 s, stopping" >&2
		kill -TERM "$me"
	) &
	E2E_WATCHDOG_PID=$!
}

# e2e_on_exit CMD - run CMD (a string, eval'ed) when the test exits.
e2e_on_exit() {
	E2E_CLEANUPS+=("$1")
}

# e2e_cleanup - the EXIT trap: undo in reverse order, then remove the work
# directory unless KEEP=1. Each step is bounded by the step itself.
e2e_cleanup() {
	local rc=$? i
	# Cleanup must finish: the watchdog goes first, and a second ^C or
	# TERM no longer cuts it short (each step is bounded).
	trap - EXIT
	trap '' INT TERM
	if [ -n "${E2E_WATCHDOG_PID:-}" ]; then
		kill "$E2E_WATCHDOG_PID" 2>/dev/null
		wait "$E2E_WATCHDOG_PID" 2>/dev/null
		E2E_WATCHDOG_PID=
	fi
	for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${E2E_CLEANUPS[i]}" || true
	done
	if [ -n "${E2E_DIR:-}" ] && [ -d "$E2E_DIR" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			e2e_log "kept $E2E_DIR"
		else
			rm -rf "$E2E_DIR"
		fi
	fi
	exit "$rc"
}

# e2e_port_free PORT - true when 127.0.0.1:PORT can be bound right now.
e2e_port_free() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			LocalPort => $ARGV[0], Proto => "tcp", Listen => 1,
			ReuseAddr => 0) or exit 1;
		close $s; exit 0;' "$1"
}

# e2e_free_ports VAR... - give each named variable a distinct free loopback
# port, none handed out before in this run: e2e_free_ports P25 P587 PSINK.
# At most 200 tries per port. A port is only known free when drawn: bind
# it soon.
e2e_free_ports() {
	local v i port span=$((E2E_PORT_MAX - E2E_PORT_MIN))
	for v in "$@"; do
		port=
		for ((i = 0; i < 200; i++)); do
			port=$((E2E_PORT_MIN + (RANDOM * 32768 + RANDOM) % span))
			case $E2E_PORTS_TAKEN in *" $port "*) port= ; continue ;; esac
			e2e_port_free "$port" && break
			port=
		done
		[ -n "$port" ] || e2e_die "no free loopback port in $E2E_PORT_MIN-$E2E_PORT_MAX"
		E2E_PORTS_TAKEN="$E2E_PORTS_TAKEN$port "
		printf -v "$v" '%s' "$port"
	done
}

# e2e_now_ms - milliseconds since the epoch (bash 5's EPOCHREALTIME).
e2e_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# e2e_wait_until SECONDS CMD... - run CMD every 0.1 s until it succeeds or
# SECONDS have passed by the clock; bounded both in time and in the number
# of tries (10 per second, whatever CMD itself costs). Returns 0 on
# success, 1 on timeout.
e2e_wait_until() {
	local secs=$1 tries i deadline
	shift
	tries=$((secs * 10))
	deadline=$(($(e2e_now_ms) + secs * 1000))
	for ((i = 0; i <= tries; i++)); do
		"$@" && return 0
		[ "$(e2e_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
	return 1
}

# e2e_wait_port PORT SECONDS - wait for something to listen on 127.0.0.1:PORT.
e2e_wait_port() {
	e2e_wait_until "$2" e2e_port_listening "$1"
}

# e2e_port_listening PORT - true when a TCP socket listens on PORT, read
# from /proc/net/tcp (state 0A) rather than by connecting: a probe
# connection would show up in Postfix's log and in a milter's.
e2e_port_listening() {
	local hex
	printf -v hex '%04X' "$1"
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp
}

# e2e_pid_alive PID - true while PID exists (and is not a zombie).
e2e_pid_alive() {
	local line rest
	[ -n "$1" ] || return 1
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	# The state follows the ")" that ends the command name (which may
	# itself hold spaces or parentheses).
	rest=${line##*) }
	[ "${rest%% *}" != Z ]
}

e2e_pid_gone() {
	! e2e_pid_alive "$1"
}

# e2e_group_gone PGID - true when no process is left in process group PGID.
e2e_group_gone() {
	! pgrep -g "$1" >/dev/null
}

# e2e_kill_pid PID [SECONDS] - TERM, wait up to SECONDS (default 5), then
# KILL. Only the given process, never by name.
e2e_kill_pid() {
	local pid=$1 secs=${2:-5}
	e2e_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	e2e_wait_until "$secs" e2e_pid_gone "$pid" && return 0
	kill -KILL "$pid" 2>/dev/null
	e2e_wait_until 2 e2e_pid_gone "$pid"
}

# t_pass NAME / t_fail NAME [DETAIL] / t_check NAME CMD... - count results.
t_pass() {
	E2E_PASS=$((E2E_PASS + 1))
	e2e_log "ok: $1"
}

t_fail() {
	E2E_FAIL=$((E2E_FAIL + 1))
	e2e_log "FAIL: $1${2:+ ($2)}"
}

t_check() {
	local name=$1
	shift
	if "$@"; then t_pass "$name"; else t_fail "$name"; fi
}

# t_summary - the one-line result; returns 1 when anything failed.
t_summary() {
	echo "$E2E_NAME: $E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ]
}
