#!/usr/bin/env bash
# tests/cli/password.sh - `mailwarden password-check` as a user and a
# script see it: exit codes, the reasons in both languages, JSON, the
# size cap, the breached list from --breached and from -c, and that the
# password never comes out. Closes with "password-cli: N passed, N failed".
#
#   tests/cli/password.sh [path/to/mailwarden]
set -uo pipefail
cd "$(dirname "$0")/../.."
mw=${1:-build/mailwarden}
list=tests/data/password/breached.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() { # NAME CONDITION-COMMAND...
	local name=$1; shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $name"
	fi
}
# pw_exit CODE INPUT ARGS...: the check of INPUT (printf %s) exits CODE.
pw_exit() {
	local want=$1 input=$2; shift 2
	printf '%s' "$input" | "$mw" password-check "$@" >/dev/null 2>&1
	[ $? -eq "$want" ]
}
# pw_json INPUT ARGS...: the JSON verdict of INPUT into $tmp/out.json.
pw_json() {
	local input=$1; shift
	printf '%s' "$input" | "$mw" password-check --json "$@" >"$tmp/out.json" 2>"$tmp/err"
}
json_is() { [ "$(jq -r "$1" "$tmp/out.json")" = "$2" ]; }

# --- usage and help ------------------------------------------------------
"$mw" --help >"$tmp/help"
check "mailwarden --help lists password-check" grep -q '^  password-check' "$tmp/help"
"$mw" password-check --help >"$tmp/h"
check "--help is a manual page" grep -q '^SYNOPSIS' "$tmp/h"
check "--help gives exit status" grep -q '^EXIT STATUS' "$tmp/h"
check "--help says how the score is derived" grep -q '10^10' "$tmp/h"
check "an operand is bad usage (no passwords in argv)" pw_exit 2 x 1234qwer
check "an unknown option is bad usage" pw_exit 2 x --nope
check "--user without a value is bad usage" pw_exit 2 x --user

# --- the verdicts ------------------------------------------------------
printf '1234qwer\n' | "$mw" password-check --breached "$list" >"$tmp/out" 2>&1
check "1234qwer is refused (exit 1)" pw_exit 1 $'1234qwer\n' --breached "$list"
check "1234qwer: first line says refused" test "$(head -n1 "$tmp/out")" = refused
check "1234qwer: length reason in English and Japanese" \
	grep -qxF 'too short: 8 characters, at least 12 / 短すぎます: 8文字 (12文字以上必要)' "$tmp/out"
check "1234qwer: score reason" grep -q '^too easy to guess: strength 0 of 4' "$tmp/out"
check "1234qwer: breached reason names the count" grep -q 'seen 38,201 times' "$tmp/out"
check "1234qwer: three reasons" test "$(wc -l <"$tmp/out")" -eq 4

pw_json $'1234qwer\n' --breached "$list"
check "json: acceptable false" json_is .acceptable false
check "json: score 0" json_is .score 0
check "json: length 8" json_is .length 8
check "json: breached count" json_is .breached 38201
check "json: reason codes in order" json_is '[.reasons[].code]|join(",")' weak,too_short,breached
check "json: reasons have en and ja" json_is '[.reasons[]|select(.en and .ja)]|length' 3
check "json: one line" test "$(wc -l <"$tmp/out.json")" -eq 1

pw_json 'Kujira-no-sora-7-hikari!' --user tanaka@example.jp --breached "$list"
check "a strong passphrase is acceptable (exit 0)" \
	pw_exit 0 'Kujira-no-sora-7-hikari!' --user tanaka@example.jp --breached "$list"
check "json: acceptable true" json_is .acceptable true
check "json: not listed is 0" json_is .breached 0
check "json: no reasons" json_is '.reasons|length' 0
pw_json 'Kujira-no-sora-7-hikari!'
check "json: no list is null" json_is .breached null

pw_json 'パスワード'
check "Japanese: length in characters" json_is .length 5
check "Japanese: too short" json_is '[.reasons[].code]|join(",")' too_short
pw_json $'わたしのひみつのあいことば\r\n'
check "Japanese 13 characters, CRLF: acceptable" json_is .acceptable true

pw_json 'Tanaka-zq9#Lm2$vX7' --user tanaka@example.jp
check "--user: local part refused" json_is '[.reasons[].code]|join(",")' contains_user
pw_json 'zq9#EXAMPLE#Lm2$vX7' --user=tanaka@example.jp
check "--user=: domain label refused" json_is '[.reasons[].code]|join(",")' contains_domain

# --- input bounds ------------------------------------------------------
long1024=$(head -c 1024 /dev/zero | tr '\0' 'k')
check "1,024 bytes are judged" pw_exit 1 "$long1024"
check "1,025 bytes are bad input" pw_exit 2 "${long1024}k"
check "1,025 bytes then a newline are bad input" pw_exit 2 "${long1024}k"$'\n'
check "empty input is bad input" pw_exit 2 ''
check "an empty line is refused" pw_exit 1 $'\n'
printf 'ab\0cdefghijklmnop\n' >"$tmp/nul"
"$mw" password-check <"$tmp/nul" >/dev/null 2>&1
check "a NUL byte is bad input" test $? -eq 2
check "only the first line counts" pw_exit 0 $'Kujira-no-sora-7-hikari!\n1234qwer\n'

# --- the list ---------------------------------------------------------
check "a missing list is exit 2" pw_exit 2 x --breached "$tmp/none.txt"
printf 'x\n' | "$mw" password-check --breached "$tmp/none.txt" 2>"$tmp/err" >/dev/null
check "a missing list is named on one line" test "$(grep -c none.txt "$tmp/err")" -eq 1
printf 'this is not a list of hashes\n' >"$tmp/garbage.txt"
check "a garbage list is exit 2" pw_exit 2 'Kujira-no-sora-7-hikari!' --breached "$tmp/garbage.txt"
: >"$tmp/empty.txt"
check "an empty list lists nothing" pw_exit 0 'Kujira-no-sora-7-hikari!' --breached "$tmp/empty.txt"
tr -d '\r' <"$list" >"$tmp/lf.txt"
pw_json 'password' --breached "$tmp/lf.txt"
check "an LF list works as the CRLF one" json_is .breached 9545824

printf 'breached_passwords_file = %s\n' "$PWD/$list" >"$tmp/mw.conf"
pw_json 'password' -c "$tmp/mw.conf"
check "-c: the configuration's list is searched" json_is .breached 9545824
pw_json 'password' -c "$tmp/mw.conf" --breached "$tmp/empty.txt"
check "--breached overrides the configuration" json_is .breached 0
printf 'no_such_key = 1\n' >"$tmp/bad.conf"
check "a configuration with errors is exit 2" pw_exit 2 x -c "$tmp/bad.conf"
check "a missing -c file is exit 2" pw_exit 2 x -c "$tmp/none.conf"

# --- the password never comes out --------------------------------------
secret='Zz-unique-SECRET-7731'
for args in "" "--json" "--breached $tmp/garbage.txt" "--user zz@example.jp --json" "extra"; do
	# shellcheck disable=SC2086
	printf '%s\n' "$secret" | "$mw" password-check $args >"$tmp/o" 2>&1
	check "the password is not printed (${args:-plain})" bash -c "! grep -q '$secret' '$tmp/o'"
done
printf '%s' "${long1024}k" | "$mw" password-check >"$tmp/o" 2>&1
check "a long password is not printed" bash -c "! grep -q kkkkkkkk '$tmp/o'"

echo "password-cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
