#!/usr/bin/env bash
# run-tests.sh - run every suite that `make test` builds and print one
# closing line, "total: N passed, N failed", counting test cases.
#
#   scripts/run-tests.sh [--corpus DIR]
#
# Suites: the cmocka unit tests of build/ and of build/san/ (ASan+UBSan),
# the Sisimai corpus check (plain and sanitized), the fuzz corpora replayed
# through the libFuzzer targets. A suite that crashes or prints no result
# counts as one failure, so a run that executes nothing cannot pass.
set -uo pipefail
cd "$(dirname "$0")/.."

corpus=../shared/corpus/sisimai
while [ $# -gt 0 ]; do
	case "$1" in
	--corpus) corpus=$2; shift 2 ;;
	*) echo "usage: $0 [--corpus DIR]" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
failed_suites=()
log=build/test-logs
mkdir -p "$log"

# count_cmocka FILE: add the "[  PASSED  ] N" / "[  FAILED  ] N" figures.
count_cmocka() {
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$1" | awk '{s+=$1} END {print s+0}')
	echo "$p $f"
}

run_suite() { # NAME COMMAND...
	local name=$1; shift
	local out="$log/${name//\//_}.log"
	"$@" >"$out" 2>&1
	local rc=$?
	read -r p f < <(count_cmocka "$out")
	# Plain "N passed, N failed" lines (corpus check, fuzz replay).
	local pp pf
	pp=$(sed -n 's/^[a-z0-9-]*:\{0,1\} *\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$out" | tail -n1)
	pf=$(sed -n 's/^[a-z0-9-]*:\{0,1\} *\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$out" | tail -n1)
	if [ -n "$pp" ]; then p=$((p + pp)); f=$((f + pf)); fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failed_suites+=("$name")
		printf '%-40s FAIL (%d passed, %d failed)  see %s\n' "$name" "$p" "$f" "$out"
		tail -n 30 "$out" | sed 's/^/    /'
	else
		printf '%-40s ok   (%d passed)\n' "$name" "$p"
	fi
}

for variant in build build/san; do
	for t in "$variant"/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$variant/$(basename "$t")" "$t"
	done
	if [ -x "$variant/tests/corpus_sisimai" ]; then
		run_suite "$variant/corpus_sisimai" "$variant/tests/corpus_sisimai" "$corpus"
	else
		run_suite "$variant/corpus_sisimai" false
	fi
done

if [ -x scripts/fuzz.sh ]; then
	run_suite "fuzz-replay" scripts/fuzz.sh replay
fi
# A private Postfix on loopback: the harness the milter tests stand on.
run_suite "postfix-smoke" tests/e2e/postfix_smoke.sh
# The milter daemon against miltertest and raw-socket edges, then with a
# private Postfix: tagging, tagged and untagged bounces, forged tags.
run_suite "milter-miltertest" env BUILD=build tests/e2e/milter_miltertest.sh
run_suite "milter-postfix" env BUILD=build tests/e2e/milter_postfix.sh
# The backscatter shield's story with real Postfix: tagging, 5,000 forged
# bounces refused, genuine ones delivered, flood and digest, retired
# addresses, kill -9 in the middle of a run.
run_suite "backscatter-e2e" env BUILD=build tests/e2e/backscatter.sh
# BATV tags against real Exim (fetched, not installed: see the script).
run_suite "batv-exim" env BUILD=build tests/e2e/batv_exim.sh --require
# Dovecot (private, loopback) with its auth-policy client, Postfix SASL
# through it and XCLIENT, against a stub policy server.
run_suite "dovecot-smoke" env BUILD=build tests/e2e/dovecot_smoke.sh
# The account guard's stories with real Postfix and Dovecot: a stolen
# password, a traveller, brute force, a send limit, a fence, unlocks.
run_suite "guard-e2e" env BUILD=build tests/e2e/guard.sh
run_suite "cli" tests/cli/run.sh build/mailwarden
run_suite "password-cli" tests/cli/password.sh build/mailwarden

echo
if [ ${#failed_suites[@]} -ne 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
