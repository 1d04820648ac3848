#!/usr/bin/env bash
# fuzz.sh - replay the fuzz corpora, or fuzz for a while (libFuzzer targets
# built by `make fuzz-build` into build/fuzz/fuzz_NAME from fuzz/fuzz_NAME.c).
#
#   scripts/fuzz.sh replay              every file of fuzz/corpus/NAME/ and
#                                       fuzz/regressions/NAME/ through its
#                                       target; one line per target and a
#                                       closing "fuzz-replay: N passed, N failed"
#   scripts/fuzz.sh run SECONDS [NAME...]
#                                       fuzz each target (or those named) for
#                                       SECONDS; print executions per target
#   scripts/fuzz.sh minimise NAME FILE  shrink a crashing input and save it as
#                                       fuzz/regressions/NAME/repro-SHA1
#
# Environment: FUZZ_BIN (where the targets are, default build/fuzz),
# FUZZ_JOBS (targets at once for `run`, default 2: the machine
# has two cores), FUZZ_FLAGS (extra libFuzzer flags for `run`),
# FUZZ_FORK (1, the default: libFuzzer's -fork=1 mode, which goes on after
# a crash and saves each one; 0: stop at the first crash).
#
# A target fails replay if its binary is missing, its corpus is empty or any
# input crashes, leaks, times out (10 s) or passes 2 GB. `run` writes new
# inputs to build/fuzz/corpus-new/NAME/ and crashes to
# build/fuzz/artifacts/NAME/, never into the committed corpus.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

BIN=${FUZZ_BIN:-build/fuzz}
CORPUS=fuzz/corpus
REGRESS=fuzz/regressions
COMMON_FLAGS=(-rss_limit_mb=2048 -timeout=10)
# Stacks for UBSan reports too, so that a report names its caller.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

usage() {
	sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# The targets are the fuzz/fuzz_*.c sources: a source whose binary is
# missing must show up as a failure, not vanish from the count.
targets() {
	local src
	for src in fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		src=${src#fuzz/fuzz_}
		echo "${src%.c}"
	done
}

# Files a target replays: its seeds and its regression reproducers.
inputs_of() {
	local d
	for d in "$CORPUS/$1" "$REGRESS/$1"; do
		[ -d "$d" ] && find "$d" -type f ! -name '.*' | sort
	done
}

replay_one() { # NAME -> 0 when every input ran clean
	local name=$1 bin="$BIN/fuzz_$1" log="$BIN/logs/replay-$1.log"
	local -a files
	mapfile -t files < <(inputs_of "$name")
	if [ ! -x "$bin" ]; then
		printf '%-16s FAIL  no binary %s (make fuzz-build)\n' "$name" "$bin"
		return 1
	fi
	if [ ${#files[@]} -eq 0 ]; then
		printf '%-16s FAIL  empty corpus %s/%s\n' "$name" "$CORPUS" "$name"
		return 1
	fi
	# Files given one by one: libFuzzer runs each once and writes nothing.
	if "$bin" "${COMMON_FLAGS[@]}" "${files[@]}" >"$log" 2>&1; then
		printf '%-16s ok    %d inputs\n' "$name" "${#files[@]}"
		return 0
	fi
	# libFuzzer stops at the first crash: run each input alone to name
	# every one that fails, with its first error line.
	local f bad=0 detail=""
	for f in "${files[@]}"; do
		"$bin" "${COMMON_FLAGS[@]}" "$f" >"$log.one" 2>&1 && continue
		bad=$((bad + 1))
		detail+="    $f"$'\n'
		detail+=$(grep -m1 -E 'ERROR: |runtime error|contract broken' \
			"$log.one" | sed 's/^/      /')$'\n'
		cat "$log.one" >>"$log"
	done
	rm -f "$log.one"
	printf '%-16s FAIL  %d of %d inputs crash  (see %s)\n%s' "$name" \
		"$bad" "${#files[@]}" "$log" "$detail"
	return 1
}

replay() {
	mkdir -p "$BIN/logs"
	local name passed=0 failed=0
	for name in $(targets); do
		if replay_one "$name"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	if [ $((passed + failed)) -eq 0 ]; then
		echo "no fuzz targets (fuzz/fuzz_*.c)"
		failed=1
	fi
	echo "fuzz-replay: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

run_one() { # NAME SECONDS: fuzz, and leave the log for the summary
	local name=$1 secs=$2 bin="$BIN/fuzz_$1"
	local new="$BIN/corpus-new/$name" art="$BIN/artifacts/$name/"
	local -a dirs=("$new" "$CORPUS/$name") dict=() fork=()
	mkdir -p "$new" "$art"
	touch "$BIN/logs/run-$name.start"
	[ -d "$REGRESS/$name" ] && dirs+=("$REGRESS/$name")
	[ -f "$CORPUS/$name.dict" ] && dict=(-dict="$CORPUS/$name.dict")
	# Fork mode goes on after a crash, so that one shallow bug does not
	# hide the others for the rest of the run; every crash is still saved.
	[ "${FUZZ_FORK:-1}" = 1 ] &&
		fork=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
	# shellcheck disable=SC2086 # FUZZ_FLAGS is a list of flags
	"$bin" "${COMMON_FLAGS[@]}" -max_total_time="$secs" \
		-print_final_stats=1 -artifact_prefix="$art" "${fork[@]}" \
		"${dict[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}" \
		>"$BIN/logs/run-$name.log" 2>&1
	echo $? >"$BIN/logs/run-$name.rc"
}

# What a saved input does: the sanitizer's or the contract's first line and
# the first frame in our sources.
describe() { # NAME FILE
	local out
	out=$(timeout 60 "$BIN/fuzz_$1" -timeout=10 -rss_limit_mb=2048 "$2" 2>&1)
	{
		grep -m1 -E 'runtime error|contract broken|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)' <<<"$out"
		grep -m1 -E ' in [A-Za-z_0-9]+ [^ ]*/(src|fuzz)/[^ ]+\.c:[0-9]+' <<<"$out"
	} | sed 's/^ */      /'
}

run_report() { # NAME -> 0 when it ran without a crash
	local name=$1 log="$BIN/logs/run-$1.log" rc execs slow corp
	local -a found
	rc=$(cat "$BIN/logs/run-$name.rc" 2>/dev/null || echo 1)
	# Plain mode prints the final stats; fork mode its running total.
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	[ -n "$execs" ] ||
		execs=$(sed -n 's/^#\([0-9]*\): cov.*/\1/p' "$log" | tail -n1)
	slow=$(sed -n 's/^stat::slowest_unit_time_sec: *//p' "$log" | tail -n1)
	corp=$(sed -n 's/.*corp: \([0-9]*\(\/[0-9a-zA-Z]*\)\{0,1\}\).*/\1/p' "$log" | tail -n1)
	mapfile -t found < <(find "$BIN/artifacts/$name" -type f \
		-newer "$BIN/logs/run-$name.start" 2>/dev/null | sort)
	printf '%-12s %12s executions  corpus %s%s  crashes %d' "$name" \
		"${execs:-?}" "${corp:-?}" "${slow:+  slowest unit ${slow}s}" \
		"${#found[@]}"
	if [ "$rc" -eq 0 ] && [ ${#found[@]} -eq 0 ]; then
		echo "  ok"
		return 0
	fi
	echo "  FAIL (exit $rc)  see $log"
	local f
	for f in "${found[@]}"; do
		echo "    $f ($(stat -c %s "$f") bytes)"
		describe "$name" "$f"
	done
	[ ${#found[@]} -gt 0 ] ||
		grep -m3 -E 'ERROR: |runtime error|contract broken' "$log" | sed 's/^/    /'
	return 1
}

run() {
	local secs=${1:-}
	shift || true
	case "$secs" in '' | *[!0-9]*) usage ;; esac
	local jobs=${FUZZ_JOBS:-2} name failed=0 running=0
	local -a names
	if [ $# -gt 0 ]; then names=("$@"); else mapfile -t names < <(targets); fi
	mkdir -p "$BIN/logs"
	for name in "${names[@]}"; do
		if [ ! -x "$BIN/fuzz_$name" ]; then
			echo "no binary $BIN/fuzz_$name (make fuzz-build)" >&2
			return 2
		fi
	done
	echo "fuzzing ${names[*]} for ${secs}s each, $jobs at a time"
	for name in "${names[@]}"; do
		if [ "$running" -ge "$jobs" ]; then
			wait -n
			running=$((running - 1))
		fi
		run_one "$name" "$secs" &
		running=$((running + 1))
	done
	wait
	for name in "${names[@]}"; do
		run_report "$name" || failed=$((failed + 1))
	done
	echo "fuzz-run: $((${#names[@]} - failed)) clean, $failed crashed"
	[ "$failed" -eq 0 ]
}

minimise() { # NAME FILE
	local name=${1:-} file=${2:-}
	if [ -z "$name" ] || [ ! -f "$file" ]; then usage; fi
	local bin="$BIN/fuzz_$name" tmp="$BIN/minimise-$name"
	mkdir -p "$BIN/logs"
	[ -x "$bin" ] || { echo "no binary $bin" >&2; return 2; }
	"$bin" -minimize_crash=1 -max_total_time=120 -timeout=10 \
		-exact_artifact_path="$tmp" "$file" >"$BIN/logs/minimise-$name.log" 2>&1
	[ -s "$tmp" ] || cp "$file" "$tmp"
	mkdir -p "$REGRESS/$name"
	local out
	out="$REGRESS/$name/repro-$(sha1sum "$tmp" | cut -c1-16)"
	mv "$tmp" "$out"
	echo "$out ($(stat -c %s "$out") bytes, from $(stat -c %s "$file"))"
	describe "$name" "$out"
	return 0
}

case "${1:-}" in
replay) replay ;;
run) shift; run "$@" ;;
minimise | minimize) shift; minimise "$@" ;;
*) usage ;;
esac
