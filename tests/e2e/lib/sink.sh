#!/usr/bin/env bash
# sink.sh - smtp-sink(1) as the "rest of the Internet": every non-local
# domain the private Postfix relays ends here. Sourced, never run.
#
# sink_start runs smtp-sink in the foreground of a background job on
# 127.0.0.1:$PSINK. Unless SINK_DUMP=0 it writes each mail transaction to
# its own file under $E2E_DIR/sink/ (-d): smtp-sink's X-Mail-Args: and
# X-Rcpt-Args: lines record the envelope, then the message as received.
# Its running counters (-c: sessions, QUITs, messages) go to
# $E2E_DIR/sink.counters, so a benchmark can count arrivals without dumps.

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SINK_DUMP=${SINK_DUMP:-1}
SINK_PID=

# sink_start [PORT] - start the sink (default port $PSINK) and wait for it.
sink_start() {
	local port=${1:-$PSINK} user=nobody args
	[ -n "$port" ] || e2e_die "sink_start: no port (set PSINK or pass one)"
	SINK_DIR=$E2E_DIR/sink
	SINK_COUNTERS=$E2E_DIR/sink.counters
	mkdir -p "$SINK_DIR"
	# smtp-sink started by root must drop to a user (-u); it writes the
	# dumps as that user.
	chown "$user" "$SINK_DIR"
	args=(-4 -c -u "$user" -h sink.example.net -m 512)
	[ "$SINK_DUMP" = 1 ] && args+=(-d "$SINK_DIR/msg.")
	smtp-sink "${args[@]}" "127.0.0.1:$port" 512 \
		>"$SINK_COUNTERS" 2>"$E2E_DIR/sink.err" &
	SINK_PID=$!
	e2e_on_exit sink_stop
	e2e_wait_port "$port" 10 ||
		e2e_die "sink_start: smtp-sink not listening on $port: $(cat "$E2E_DIR/sink.err")"
}

# sink_stop - stop the sink (its pid only). Idempotent.
sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	e2e_kill_pid "$SINK_PID" 5
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

# sink_count - messages the sink has received, from its -c counters (the
# last "... mesg=N" record; records are separated by CR).
sink_count() {
	local last
	last=$(tail -c 200 "$SINK_COUNTERS" 2>/dev/null | tr '\r' '\n' | grep 'mesg=' | tail -n 1)
	last=${last##*mesg=}
	echo "${last:-0}"
}

sink_has() {
	[ "$(sink_count)" -ge "$1" ]
}

# sink_wait_count N [SECONDS] - wait until the sink has N messages.
sink_wait_count() {
	e2e_wait_until "${2:-30}" sink_has "$1"
}

# sink_files_to ADDRESS - dump files whose envelope has recipient ADDRESS
# (needs SINK_DUMP=1).
sink_files_to() {
	grep -l -i -F -- "X-Rcpt-Args: <$1>" "$SINK_DIR"/msg.* 2>/dev/null
}

# sink_mail_from FILE - the envelope sender recorded in a dump file,
# without the angle brackets and MAIL parameters.
sink_mail_from() {
	sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$1" | head -n 1
}

# sink_rcpts FILE - the envelope recipients recorded in a dump file.
sink_rcpts() {
	sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$1"
}
