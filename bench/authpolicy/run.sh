#!/usr/bin/env bash
# run.sh - requests per second of the auth-policy endpoint under wrk, and
# their ratio to the goal of DESIGN.md section 8 (20,000/s on loopback).
# A figure, not a test: nothing fails on time.
#
#   bench/authpolicy/run.sh
#
# Environment:
#   AUTHPOLICY_URL     target an already running server (e.g. `mailwarden
#                      serve`: http://127.0.0.1:8895/auth-policy); nothing
#                      is built or started then
#   AUTHPOLICY_SERVER  a built bench/authpolicy/server.c to start instead
#                      of building one
#   LIB                the library to link (default build/libmailwarden.a)
#   OUT                where to build (default build/bench)
#   THREADS            server threads (default: the number of CPUs)
#   AUTHPOLICY_SECRET  X-API-Key to send (and to ask, for our own server);
#                      default a 20-character secret
#   WRK_THREADS, WRK_CONNECTIONS, DURATION   default 2, 32, 10s
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

goal=20000
out=${OUT:-build/bench}
lib=${LIB:-build/libmailwarden.a}
export AUTHPOLICY_SECRET=${AUTHPOLICY_SECRET-4f9c2a7e1b8d6e3f0a5c}
server_pid=

stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
}
trap stop_server EXIT

if ! command -v wrk >/dev/null; then
	echo "authpolicy: wrk is not installed (make deps)" >&2
	exit 2
fi

url=${AUTHPOLICY_URL:-}
if [ -z "$url" ]; then
	bin=${AUTHPOLICY_SERVER:-}
	if [ -z "$bin" ]; then
		[ -f "$lib" ] || { echo "authpolicy: no $lib (make lib)" >&2; exit 2; }
		mkdir -p "$out"
		bin=$out/authpolicy_server
		pkgs="jansson libcrypto sqlite3 libuv libmicrohttpd libmaxminddb"
		cc -std=c17 -D_GNU_SOURCE -O2 -g -Isrc -o "$bin" \
		   bench/authpolicy/server.c "$lib" \
		   $(pkg-config --libs $pkgs) -lzxcvbn -lm -lpthread || exit 2
	fi
	portfile=$(mktemp)
	"$bin" 0 "${THREADS:-0}" "$AUTHPOLICY_SECRET" >"$portfile" &
	server_pid=$!
	port=
	for _ in $(seq 50); do
		port=$(sed -n 's/^port //p' "$portfile")
		[ -n "$port" ] && break
		sleep 0.1
	done
	rm -f "$portfile"
	[ -n "$port" ] || { echo "authpolicy: server did not start" >&2; exit 2; }
	url="http://127.0.0.1:$port/auth-policy"
fi
case $url in *\?*) target="$url&command=allow" ;; *) target="$url?command=allow" ;; esac

# one request first, so that a wrong URL or secret is said plainly
answer=$(curl -s -X POST -H 'Content-Type: application/json' \
	${AUTHPOLICY_SECRET:+-H "X-API-Key: $AUTHPOLICY_SECRET"} \
	-d '{"login":"check@example.jp","remote":"192.0.2.1"}' "$target")
echo "target:  $target"
echo "answer:  $answer"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (before), $(nproc) CPUs"
log=$(mktemp)
wrk -t"${WRK_THREADS:-2}" -c"${WRK_CONNECTIONS:-32}" -d"${DURATION:-10s}" \
    --latency -s bench/authpolicy/post.lua "$target" | tee "$log"
rps=$(awk '/^Requests\/sec:/ {print $2}' "$log")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$log")
rm -f "$log"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (after)"
[ -n "$rps" ] || { echo "authpolicy: wrk gave no figure" >&2; exit 2; }
awk -v r="$rps" -v g="$goal" -v bad="${non2xx:-0}" 'BEGIN {
	printf "auth-policy: %.0f requests/s, %.2fx the goal of %d/s%s\n",
	       r, r / g, g, (bad > 0 ? " (" bad " non-2xx answers!)" : "")
}'
