#!/usr/bin/env bash
# bounce_vs_sisimai.sh - messages per second of bounce analysis: Sisimai
# (Debian libsisimai-perl) against mailwarden, on the same files, in the
# same run. Prints figures and ratios; asserts nothing about time.
#
#   bench/bounce_vs_sisimai.sh
#
# Environment:
#   CORPUS   directory of messages, or one holding eml/ (default
#            ../shared/corpus/sisimai, the Sisimai set-of-emails)
#   RUNS     runs of each side, the best counts (default 3)
#   REPEAT   times the file list is given to the mailwarden CLI in one
#            run, so that its run lasts long enough to time (default 10)
#   MAILWARDEN  the CLI (default build/mailwarden)
#   BENCH_OUT   where bench/Makefile put its programs (default build/bench)
#
# Sides, each timed by wall clock, best of RUNS, file cache warmed first:
#   sisimai-process  `perl bench/sisimai_make.pl FILES`: the whole process
#   sisimai-loop     the same run's loop alone (startup excluded), as
#                    timed inside Perl: the stricter baseline
#   mailwarden-cli   `mailwarden bounce --json FILES...` (x REPEAT), the
#                    whole process, JSON to /dev/null
#   mailwarden-lib   build/bench/bounce_mailwarden: mw_bounce_analyse over
#                    the messages already in memory (best of 5 passes)
# The last line is a summary for bench/run.sh:
#   bounce-summary: sisimai_msgs_s=X cli_msgs_s=Y lib_msgs_s=Z ratio_cli=R ratio_lib=Q
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

corpus=${CORPUS:-../shared/corpus/sisimai}
[ -d "$corpus/eml" ] && corpus=$corpus/eml
runs=${RUNS:-3}
repeat=${REPEAT:-10}
mw=${MAILWARDEN:-build/mailwarden}
out=${BENCH_OUT:-build/bench}

shopt -s nullglob
files=("$corpus"/*)
if [ ${#files[@]} -eq 0 ]; then
	echo "no messages in $corpus" >&2
	exit 2
fi
n=${#files[@]}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0) ? n / s : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }

echo "bounce analysis: $n messages from $corpus ($(du -sh "$corpus" | cut -f1))"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "${files[@]}" >/dev/null # warm the page cache

have_cli=0
if [ -x "$mw" ] && "$mw" bounce --help >/dev/null 2>&1; then
	have_cli=1
	mw_args=()
	for ((r = 0; r < repeat; r++)); do mw_args+=("${files[@]}"); done
fi

best_proc="" best_loop="" best_cli="" sisimai_rows="" cli_bounces=""
for ((i = 1; i <= runs; i++)); do
	# Alternate the sides so that a burst of load elsewhere on the
	# machine does not land on one side only.
	t0=$(now)
	line=$(perl bench/sisimai_make.pl "${files[@]}")
	t1=$(now)
	best_proc=$(min "$best_proc" "$(elapsed "$t0" "$t1")")
	best_loop=$(min "$best_loop" "$(sed -n 's/.*loop_s=\([0-9.]*\).*/\1/p' <<<"$line")")
	sisimai_rows=$(sed -n 's/.* rows=\([0-9]*\).*/\1/p' <<<"$line")
	sisimai_version=$(sed -n 's/.*version=\([^ ]*\).*/\1/p' <<<"$line")

	if [ "$have_cli" -eq 1 ]; then
		t0=$(now)
		"$mw" bounce --json "${mw_args[@]}" >"$out/bounce-cli.jsonl" 2>/dev/null
		t1=$(now)
		best_cli=$(min "$best_cli" "$(elapsed "$t0" "$t1")")
	fi
done

lib_line=""
if [ -x "$out/bounce_mailwarden" ]; then
	lib_line=$("$out/bounce_mailwarden" --passes 5 "${files[@]}")
fi

s_proc=$(rate "$n" "$best_proc")
s_loop=$(rate "$n" "$best_loop")
printf '%-16s %10s msgs/s  (%d messages in %ss, Sisimai %s, %s recipient rows)\n' \
	sisimai-process "$s_proc" "$n" "$best_proc" "$sisimai_version" "$sisimai_rows"
printf '%-16s %10s msgs/s  (%ss)\n' sisimai-loop "$s_loop" "$best_loop"

cli_rate=0
if [ "$have_cli" -eq 1 ]; then
	total=$((n * repeat))
	cli_rate=$(rate "$total" "$best_cli")
	cli_bounces=$(grep -c '"is_bounce": *true' "$out/bounce-cli.jsonl")
	printf '%-16s %10s msgs/s  (%d messages in %ss; %d of the last run'"'"'s %d outputs say is_bounce)\n' \
		mailwarden-cli "$cli_rate" "$total" "$best_cli" "$cli_bounces" "$total"
else
	printf '%-16s %10s\n' mailwarden-cli "n/a ($mw bounce not built)"
fi

lib_rate=0
if [ -n "$lib_line" ]; then
	lib_rate=$(sed -n 's/.*msgs_s=\([0-9.]*\).*/\1/p' <<<"$lib_line")
	printf '%-16s %10s msgs/s  (%s)\n' mailwarden-lib "$lib_rate" \
		"$(sed -E 's/.*bounces=([0-9]*).*recipients=([0-9]*).*best_s=([0-9.]*).*/\1 bounces, \2 recipients, best pass \3s/' <<<"$lib_line")"
else
	printf '%-16s %10s\n' mailwarden-lib "n/a ($out/bounce_mailwarden not built)"
fi

echo
echo "ratios (goal: >= 50x Sisimai's messages/s):"
echo "  mailwarden-cli / sisimai-process  $(ratio "$cli_rate" "$s_proc")x"
echo "  mailwarden-cli / sisimai-loop     $(ratio "$cli_rate" "$s_loop")x"
echo "  mailwarden-lib / sisimai-loop     $(ratio "$lib_rate" "$s_loop")x"
echo "bounce-summary: sisimai_msgs_s=$s_proc sisimai_loop_msgs_s=$s_loop cli_msgs_s=$cli_rate lib_msgs_s=$lib_rate ratio_cli=$(ratio "$cli_rate" "$s_proc") ratio_lib=$(ratio "$lib_rate" "$s_loop")"
