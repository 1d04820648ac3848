#!/usr/bin/env bash
# run.sh - every benchmark against its baseline, then one summary table
# (`make bench` runs this after building build/mailwarden). Figures and
# ratios only: nothing here passes or fails on time.
#
#   bench/run.sh
#
# Environment: LIB (library the bench programs link, default
# build/libmailwarden.a), MAILWARDEN (default build/mailwarden), BENCH_OUT
# (default build/bench), and those of the scripts it runs (CORPUS, RUNS,
# REPEAT, MIME_CORPUS). See bench/README.md.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

lib=${LIB:-build/libmailwarden.a}
export MAILWARDEN=${MAILWARDEN:-build/mailwarden}
export BENCH_OUT=${BENCH_OUT:-build/bench}

if [ ! -f "$lib" ] || [ ! -x "$MAILWARDEN" ]; then
	echo "building mailwarden first (make all) ..."
	make -s all || exit 2
fi
make -s -f bench/Makefile LIB="$lib" OUT="$BENCH_OUT" || exit 2
mkdir -p "$BENCH_OUT"

echo "== bounce analysis: mailwarden vs Sisimai =="
bench/bounce_vs_sisimai.sh | tee "$BENCH_OUT/bounce.log"
echo
echo "== MIME parsing: mailwarden vs GMime =="
bench/mime_vs_gmime.sh | tee "$BENCH_OUT/mime.log"

kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2" | tail -n1; }
b=$BENCH_OUT/bounce.log
m=$BENCH_OUT/mime.log
echo
echo "== summary ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)) =="
printf '%-34s %14s %14s %8s %6s\n' benchmark baseline mailwarden ratio goal
printf '%-34s %14s %14s %7sx %6s\n' "bounce msgs/s (CLI vs Sisimai)" \
	"$(kv sisimai_msgs_s "$b")" "$(kv cli_msgs_s "$b")" "$(kv ratio_cli "$b")" ">=50x"
printf '%-34s %14s %14s %7sx %6s\n' "bounce msgs/s (lib vs Sisimai loop)" \
	"$(kv sisimai_loop_msgs_s "$b")" "$(kv lib_msgs_s "$b")" "$(kv ratio_lib "$b")" ">=50x"
printf '%-34s %14s %14s %7sx %6s\n' "MIME MB/s, structure ($(kv corpus "$m"))" \
	"$(kv gmime_mb_s "$m")" "$(kv mailwarden_mb_s "$m")" "$(kv ratio "$m")" ">=1x"
printf '%-34s %14s %14s %7sx %6s\n' "MIME MB/s, + text decoding" \
	"$(kv gmime_decode_mb_s "$m")" "$(kv mailwarden_decode_mb_s "$m")" "$(kv decode_ratio "$m")" ">=1x"
