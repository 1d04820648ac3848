#!/usr/bin/env bash
# demo-stop.sh - `make demo-stop`: stop what `make demo` left running (the
# private Postfix and Dovecot, smtp-sink, `mailwarden serve`), each by the
# pid recorded in $DEMO_DIR/demo.env (default build/demo) and checked
# against its start time and program name, so that a reused pid is never
# signalled. Postfix is stopped with `postfix -c DIR stop` and waited for,
# with its process group; Dovecot with `doveadm -c ITS_CONF stop`, then
# KILL for its master and the children it had, if still there after 15 s;
# mailwarden gets SIGTERM (it finishes transactions in flight and
# flushes its store) and 40 s before SIGKILL; the sink 5 s.
#
# Nothing is removed: the logs, the maildirs, the store and the sink's
# dumps stay in $DEMO_DIR for reading. `demo-stop.sh --clean` (or
# `make demo-stop CLEAN=1`) also removes $DEMO_DIR and $DEMO_DIR.prev.
#
# Exit status: 0 when nothing of the demo runs any more, 1 otherwise.
set -u
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=scripts/demo_lib.sh
. scripts/demo_lib.sh

clean=${CLEAN:-0}
case ${1:-} in
--clean) clean=1 ;;
"") ;;
*)
	echo "usage: scripts/demo-stop.sh [--clean]" >&2
	exit 2
	;;
esac
[ "$(id -u)" -eq 0 ] || { echo "demo-stop: run as root, as make demo was" >&2; exit 2; }

rc=0
if demo_load; then
	if demo_running; then
		demo_stop_all || rc=1
		if [ "$rc" -eq 0 ]; then
			echo "The demo is stopped. Its files stay in $DEMO_DIR:"
			echo "  mailwarden log $MW_LOG"
			echo "  Postfix log    $PF_LOG"
			[ -n "${DC_LOG:-}" ] && echo "  Dovecot log    $DC_LOG"
			echo "  maildirs       $PF_MAILDIR_BASE/example.jp/"
		else
			echo "demo-stop: something is still running; see $DEMO_ENV" >&2
		fi
	else
		echo "No demo is running (the last one, started $DEMO_STARTED, is stopped)."
	fi
else
	echo "No demo is running (no $DEMO_ENV)."
fi

if [ "$clean" = 1 ] && [ "$rc" -eq 0 ]; then
	case $DEMO_DIR in
	/*demo*)
		rm -rf "$DEMO_DIR" "$DEMO_DIR.prev"
		echo "Removed $DEMO_DIR and $DEMO_DIR.prev."
		;;
	esac
fi
exit "$rc"
