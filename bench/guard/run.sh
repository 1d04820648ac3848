#!/usr/bin/env bash
# run.sh - the account guard's per-submission decision time (MAIL, RCPT
# per recipient, end of message) on an SQLite store in a temporary
# directory, without waiting for the store's flush. Prints p50 and p99.
#
#   bench/guard/run.sh [SUBMISSIONS [ACCOUNTS [RCPTS]]]
#
# Environment: LIB (default build/libmailwarden.a, the optimised build),
# BENCH_OUT (default build/bench).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 2
lib=${LIB:-build/libmailwarden.a}
out=${BENCH_OUT:-build/bench}
if [ ! -f "$lib" ]; then
	echo "building the library first (make lib) ..."
	make -s lib
fi
mkdir -p "$out"
pkgs="jansson libcrypto sqlite3 libuv libmicrohttpd libmaxminddb"
cc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Isrc \
	$(pkg-config --cflags $pkgs) -o "$out/guard_decision" \
	bench/guard/decision.c "$lib" $(pkg-config --libs $pkgs) \
	-lzxcvbn -lm -lpthread
"$out/guard_decision" "$@"
