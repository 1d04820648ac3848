#!/usr/bin/env bash
# mailwarden.sh - a mailwarden daemon (`mailwarden serve`) for end-to-end
# tests: its own configuration, state_dir and BATV key file under
# $E2E_DIR/mailwarden, started in the background on a loopback milter
# port, stopped with TERM (exit status checked) or killed with KILL for the
# crash test, and started again on the same port and state. Sourced, never
# run; needs common.sh (sourced here).
#
#   mw_build                 make $MW_BIN (BUILD, SANITIZE)
#   mw_setup                 draw $PM, write key file and configuration
#   mw_start                 start the daemon, wait until it serves
#   mw_stop                  TERM; returns the daemon's exit status
#   mw_kill9                 KILL, no cleanup by the daemon
#   mw_cli ARGS...           run the CLI as the daemon's user with -c
#   mw_sql SQL               read the store (sqlite3, read-only)
#   mw_batv_check ADDRESS    is ADDRESS a valid tag of our key? (perl)
#   mw_log_count REGEX       lines of the daemon's log matching REGEX
#
# Settings, read by mw_setup (set them before calling it):
#   MW_USER           the user the daemon drops to when started as root
#                     (nobody); it owns state_dir and reads the key file
#   MW_LOCAL_DOMAINS  local_domains (example.jp)
#   MW_HOSTNAMES      our_hostnames (mx.example.jp)
#   MW_TRUSTED        trusted_networks (192.0.2.0/28: not loopback)
#   MW_HTTP_LISTEN    http_listen (empty: no HTTP server)
#   MW_EXTRA_CONF     more "key = value" lines, appended verbatim
#   MW_KEY_SECRET     the secret of key 1
#   PM                the milter port; a free one is drawn when unset
# After mw_setup: MW_DIR, MW_CONF, MW_STATE, MW_KEYS, MW_LOG (every run of
# the daemon appends to it), MW_DB, MW_PID (while running), MW_BIN.

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BUILD=${BUILD:-build}
MW_BIN=${MW_BIN:-$BUILD/mailwarden}
MW_USER=${MW_USER:-nobody}
MW_LOCAL_DOMAINS=${MW_LOCAL_DOMAINS:-example.jp}
MW_HOSTNAMES=${MW_HOSTNAMES:-mx.example.jp}
MW_TRUSTED=${MW_TRUSTED-192.0.2.0/28}
MW_EXTRA_CONF=${MW_EXTRA_CONF:-}
MW_HTTP_LISTEN=${MW_HTTP_LISTEN:-}
MW_KEY_SECRET=${MW_KEY_SECRET:-e2e-backscatter-secret-5f1d0c27a9b4}
MW_PID=
MW_RUNS=0

# How long a start and a stop may take, in seconds. A stop waits for the
# transactions in flight (MW_SERVE_STOP_GRACE is 30 s).
MW_START_TIMEOUT=${MW_START_TIMEOUT:-15}
MW_STOP_TIMEOUT=${MW_STOP_TIMEOUT:-40}

# mw_build - build the daemon (BUILD, SANITIZE) unless MW_NO_BUILD=1.
mw_build() {
	[ "${MW_NO_BUILD:-0}" = 1 ] && [ -x "$MW_BIN" ] && return 0
	make -s BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" "$MW_BIN" >&2 ||
		e2e_die "make $MW_BIN failed"
}

# mw_setup - the daemon's directory: key file, state_dir, configuration.
mw_setup() {
	local group
	[ -n "${E2E_DIR:-}" ] || e2e_die "mw_setup: call e2e_init first"
	[ -n "${PM:-}" ] || e2e_free_ports PM
	getent passwd "$MW_USER" >/dev/null || e2e_die "mw_setup: no user $MW_USER"
	group=$(id -gn "$MW_USER")
	MW_DIR=$E2E_DIR/mailwarden
	MW_STATE=$MW_DIR/state
	MW_KEYS=$MW_DIR/batv.keys
	MW_CONF=$MW_DIR/mailwarden.conf
	MW_LOG=$MW_DIR/mailwarden.log
	MW_DB=$MW_STATE/mailwarden.db
	mkdir -p "$MW_STATE" || e2e_die "mw_setup: cannot make $MW_STATE"
	chmod 0755 "$MW_DIR"
	chown "$MW_USER:$group" "$MW_STATE"
	chmod 0700 "$MW_STATE"
	# As docs/config.md says: root-owned, readable by the daemon's group.
	printf '1 %s\n' "$MW_KEY_SECRET" >"$MW_KEYS"
	chown "root:$group" "$MW_KEYS"
	chmod 0640 "$MW_KEYS"
	cat >"$MW_CONF" <<EOF
# written by tests/e2e/lib/mailwarden.sh
user = $MW_USER
milter_socket = inet:127.0.0.1:$PM
http_listen = $MW_HTTP_LISTEN
state_dir = $MW_STATE
local_domains = $MW_LOCAL_DOMAINS
our_hostnames = $MW_HOSTNAMES
trusted_networks = $MW_TRUSTED
outbound_daemon_names = ORIGINATING
batv_mode = enforce
batv_key_file = $MW_KEYS
EOF
	[ -n "$MW_EXTRA_CONF" ] && printf '%s\n' "$MW_EXTRA_CONF" >>"$MW_CONF"
	chmod 0644 "$MW_CONF"
	: >"$MW_LOG"
	"$MW_BIN" check-config -c "$MW_CONF" >"$MW_DIR/check-config.out" 2>&1 ||
		e2e_die "mw_setup: check-config refused $MW_CONF: $(cat "$MW_DIR/check-config.out")"
	e2e_on_exit mw_cleanup
}

# mw_serving - true once this run of the daemon said it serves and its
# port listens.
mw_serving() {
	e2e_port_listening "$PM" &&
		[ "$(grep -c 'serving on ' "$MW_LOG")" -ge "$MW_RUNS" ]
}

# mw_start - start `mailwarden serve` in the background (stderr and stdout
# appended to $MW_LOG, each run marked) and wait until it serves. The
# daemon is a child of this shell, so mw_stop can read its exit status.
mw_start() {
	[ -z "$MW_PID" ] || ! e2e_pid_alive "$MW_PID" ||
		e2e_die "mw_start: already running ($MW_PID)"
	MW_RUNS=$((MW_RUNS + 1))
	printf -- '--- e2e: start %d at %s\n' "$MW_RUNS" "$(date -u +%FT%TZ)" >>"$MW_LOG"
	"$MW_BIN" serve -c "$MW_CONF" >>"$MW_LOG" 2>&1 &
	MW_PID=$!
	if ! e2e_wait_until "$MW_START_TIMEOUT" mw_serving; then
		tail -n 20 "$MW_LOG" >&2
		e2e_die "mw_start: mailwarden is not serving on $PM after ${MW_START_TIMEOUT}s"
	fi
}

# mw_stop - SIGTERM, wait (bounded), and return the exit status: 0 is an
# orderly stop; 124 when it had to be killed.
mw_stop() {
	local pid=$MW_PID rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	if ! e2e_wait_until "$MW_STOP_TIMEOUT" e2e_pid_gone "$pid"; then
		e2e_log "mw_stop: mailwarden $pid still running after ${MW_STOP_TIMEOUT}s, killing it"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		MW_PID=
		return 124
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	MW_PID=
	return "$rc"
}

# mw_kill9 - SIGKILL, as a crash: nothing of the daemon runs after it.
mw_kill9() {
	local pid=$MW_PID
	[ -n "$pid" ] || return 1
	kill -KILL "$pid" 2>/dev/null || return 1
	e2e_wait_until 5 e2e_pid_gone "$pid" || return 1
	wait "$pid" 2>/dev/null
	printf -- '--- e2e: killed %s with SIGKILL at %s\n' "$pid" "$(date -u +%FT%TZ)" >>"$MW_LOG"
	MW_PID=
}

# mw_cleanup - the EXIT trap's step: whatever still runs is stopped.
mw_cleanup() {
	[ -n "$MW_PID" ] || return 0
	e2e_kill_pid "$MW_PID" 10
	wait "$MW_PID" 2>/dev/null
	MW_PID=
}

# mw_cli ARGS... - the CLI as the daemon's user (so that the database's
# files it may create stay the daemon's), with our configuration.
mw_cli() {
	setpriv --reuid="$MW_USER" --regid="$(id -g "$MW_USER")" --clear-groups \
		-- "$MW_BIN" "$@" -c "$MW_CONF"
}

# mw_sql SQL - a query on the store, read-only (a second reader of a WAL
# database is what SQLite is made for; it never blocks the daemon's
# writer). Prints rows separated by '|'.
mw_sql() {
	command -v sqlite3 >/dev/null || return 2
	sqlite3 -readonly -batch -noheader "$MW_DB" "$1"
}

# mw_counter_sum KEY - the total of a counter over its hour buckets (each
# add goes into one minute and one hour bucket; hour buckets live 8 days).
mw_counter_sum() {
	local v
	v=$(mw_sql "SELECT COALESCE(SUM(n),0) FROM counter WHERE key='$1' AND res=3600;") || return 1
	echo "${v:-0}"
}

# mw_log_count REGEX - lines of the daemon's log (all runs) matching REGEX.
mw_log_count() {
	grep -E -c -- "$1" "$MW_LOG"
}

# mw_batv_check ADDRESS [KEYFILE] - recompute the tag independently of
# src/batv (draft-levine-smtp-batv-01 as docs/batv.md gives it): K from
# the key file, DDD within 0..7 days ahead of today (modulo 1000), SSSSSS
# the first 3 bytes of HMAC-SHA1(secret, K DDD local@domain). Exit 0 when
# valid; prints the reason otherwise.
mw_batv_check() {
	perl -MDigest::SHA=hmac_sha1_hex -e '
		my ($addr, $keyfile) = @ARGV;
		$addr =~ /^prvs=([0-9])([0-9]{3})([0-9a-f]{6})=(.+\@.+)$/i
			or do { print "not a prvs tag\n"; exit 1 };
		my ($k, $ddd, $sig, $orig) = ($1, $2, lc $3, $4);
		open my $fh, "<", $keyfile or do { print "no key file\n"; exit 2 };
		my %key;
		while (<$fh>) {
			chomp;
			next if /^\s*(#|$)/;
			$key{$1} = $2 if /^\s*([0-9])\s+(.*?)\s*$/;
		}
		defined $key{$k} or do { print "unknown key $k\n"; exit 1 };
		my $mac = substr(hmac_sha1_hex("$k$ddd$orig", $key{$k}), 0, 6);
		$mac eq $sig or do { print "bad hash ($sig, expected $mac)\n"; exit 1 };
		my $today = int(time() / 86400) % 1000;
		my $ahead = ($ddd - $today) % 1000;
		($ahead >= 0 && $ahead <= 7) or do { print "expired ($ddd, today $today)\n"; exit 1 };
		exit 0;
	' "$1" "${2:-$MW_KEYS}"
}
