#!/usr/bin/env bash
# tests/cli/run.sh - the CLI as a user and a script see it: exit codes,
# JSON fields, help pages, truncation. Closes with "cli: N passed, N failed".
#
#   tests/cli/run.sh [path/to/mailwarden]
set -uo pipefail
cd "$(dirname "$0")/../.."
mw=${1:-build/mailwarden}
samples=tests/data/samples
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
# exit_is CODE CMD...: the command exits with CODE.
exit_is() { local want=$1; shift; "$@" >/dev/null 2>&1; [ $? -eq "$want" ]; }
# json_is FILTER EXPECTED FILE: jq -r FILTER of the first line equals EXPECTED.
json_is() { [ "$(head -n1 "$3" | jq -r "$1")" = "$2" ]; }

# --- usage and help ------------------------------------------------------
check "no verb is bad usage" exit_is 2 "$mw"
check "unknown verb is bad usage" exit_is 2 "$mw" frobnicate
check "--help succeeds" exit_is 0 "$mw" --help
"$mw" --help >"$tmp/help"
check "--help lists the verbs" grep -q '^  bounce' "$tmp/help"
for verb in trace bounce; do
	"$mw" "$verb" --help >"$tmp/h-$verb"
	check "$verb --help is a manual page" grep -q '^SYNOPSIS' "$tmp/h-$verb"
	check "$verb --help gives exit status" grep -q '^EXIT STATUS' "$tmp/h-$verb"
	check "$verb with no input is bad usage" exit_is 2 "$mw" "$verb"
	check "$verb with a bad option is bad usage" exit_is 2 "$mw" "$verb" --nope x
	check "$verb of a missing file is exit 2" exit_is 2 "$mw" "$verb" "$tmp/none.eml"
	"$mw" "$verb" "$tmp/none.eml" 2>"$tmp/err-$verb" >/dev/null
	check "$verb names the missing file on one line" \
		test "$(grep -c 'none.eml' "$tmp/err-$verb")" -eq 1
done

# --- bounce --------------------------------------------------------------
j=$tmp/01.json
"$mw" bounce --json "$samples/01-jp-backscatter-dsn.eml" >"$j"
check "bounce 01: exit 0 for a bounce" exit_is 0 "$mw" bounce "$samples/01-jp-backscatter-dsn.eml"
check "bounce 01: is_bounce" json_is .is_bounce true "$j"
check "bounce 01: kind dsn" json_is .kind dsn "$j"
check "bounce 01: the failed recipient" json_is '.recipients[0].address' no-such-user@example.net "$j"
check "bounce 01: status" json_is '.recipients[0].status' 5.1.1 "$j"
check "bounce 01: reply code" json_is '.recipients[0].reply_code' 550 "$j"
check "bounce 01: original Message-ID without <>" json_is .original.message_id 8f1c2e0a.5a1b@pc-4471.dynamic.example.org "$j"
check "bounce 01: ISO-2022-JP subject decoded" json_is .original.subject '【日本郵便】お荷物のお届けについてのご連絡' "$j"
check "bounce 01: original From names the forged address" grep -q 'tanaka@example.jp' <(jq -r .original.from "$j")
check "bounce 01: original's Received hop" json_is '.original.received[0].from_ip' 198.51.100.23 "$j"
check "bounce 01: reporting MTA" json_is .reporting_mta mx.example.net "$j"
check "bounce 01: not truncated" json_is .truncated false "$j"

j=$tmp/02.json
"$mw" bounce --json "$samples/02-qmail-failure-notice.eml" >"$j"
check "bounce qmail: kind ndr" json_is .kind ndr "$j"
check "bounce qmail: recipient" json_is '.recipients[0].address' kijitora@example.ne.jp "$j"
check "bounce qmail: quoted original's Message-ID" json_is .original.message_id 000000000.9999999999999.JavaMail.postmaster@mailhub "$j"

j=$tmp/05.json
"$mw" bounce --json "$samples/05-ordinary-message.eml" >"$j"
check "bounce: an ordinary message exits 1" exit_is 1 "$mw" bounce "$samples/05-ordinary-message.eml"
check "bounce: an ordinary message is kind none" json_is .kind none "$j"
check "bounce: an ordinary message has is_bounce false" json_is .is_bounce false "$j"
check "bounce: any bounce among inputs exits 0" exit_is 0 "$mw" bounce "$samples/05-ordinary-message.eml" "$samples/02-qmail-failure-notice.eml"
check "bounce: unreadable among inputs exits 2" exit_is 2 "$mw" bounce "$samples/02-qmail-failure-notice.eml" "$tmp/none.eml"

"$mw" bounce --json "$samples"/*.eml >"$tmp/all.json"
check "bounce --json: one line per input" test "$(wc -l <"$tmp/all.json")" -eq "$(ls "$samples"/*.eml | wc -l)"
check "bounce --json: every line is an object with the fields" \
	test "$(jq -c 'select(has("file") and has("is_bounce") and has("kind") and has("recipients") and has("original") and has("reporting_mta"))' "$tmp/all.json" | wc -l)" -eq "$(ls "$samples"/*.eml | wc -l)"
check "bounce - reads stdin" json_is .file - <("$mw" bounce --json - <"$samples/02-qmail-failure-notice.eml")

# --- trace ---------------------------------------------------------------
j=$tmp/04.json
"$mw" trace --json "$samples/04-stolen-password-spam.eml" >"$j"
check "trace: exit 0" exit_is 0 "$mw" trace "$samples/04-stolen-password-spam.eml"
check "trace: two hops" json_is '.hops | length' 2 "$j"
check "trace: origin first" json_is '.hops[0].from_ip' 203.0.113.77 "$j"
check "trace: origin ip" json_is .origin_ip 203.0.113.77 "$j"
check "trace: who authenticated" json_is .origin_authenticated_as sato@example.jp "$j"
check "trace: protocol" json_is '.hops[0].protocol' ESMTPSA "$j"
check "trace: TLS on the second hop" json_is '.hops[1].tls' true "$j"
check "trace: message without Received has no hops" json_is '.hops | length' 0 <(printf 'Subject: x\n\nbody\n' | "$mw" trace --json -)

# --- limits --------------------------------------------------------------
# A message over the 64 MiB read cap: the answer comes from what was read.
big=$tmp/big.eml
{ cat "$samples/02-qmail-failure-notice.eml"; head -c $((65 * 1024 * 1024)) /dev/zero | tr '\0' 'x'; } >"$big"
"$mw" bounce --json "$big" >"$tmp/big.json"
check "over the size cap: still a bounce" json_is .is_bounce true "$tmp/big.json"
check "over the size cap: truncated" json_is .truncated true "$tmp/big.json"
check "empty input: not a bounce, no crash" exit_is 1 "$mw" bounce /dev/null

# --- check-config ----------------------------------------------------------
cfg=tests/data/config
check "check-config --help is a manual page" grep -q '^SYNOPSIS' <("$mw" check-config --help)
check "check-config --keys lists every key" grep -q '^local_domains (list of domains, default: empty)$' <("$mw" check-config --keys)
"$mw" check-config -n -v -c $cfg/good.conf >"$tmp/cc-out" 2>"$tmp/cc-err"; rc=$?
check "check-config good file exits 0" test "$rc" -eq 0
check "check-config good file: every key with its source" diff -q $cfg/good.expected "$tmp/cc-out"
check "check-config good file: nothing on stderr" test ! -s "$tmp/cc-err"
"$mw" check-config -n -c $cfg/bad.conf >"$tmp/cc-out" 2>"$tmp/cc-err"; rc=$?
check "check-config bad file exits 2" test "$rc" -eq 2
check "check-config bad file: FILE:LINE: key 'NAME': reason for each" diff -q $cfg/bad.expected "$tmp/cc-err"
check "check-config bad file: nothing on stdout" test ! -s "$tmp/cc-out"
check "check-config reads CRLF files" test "$("$mw" check-config -n -c $cfg/crlf.conf)" = "$cfg/crlf.conf: ok"
check "check-config reads stdin" test "$("$mw" check-config -n -c - <$cfg/crlf.conf)" = "stdin: ok"
check "check-config of a missing file exits 2" exit_is 2 "$mw" check-config -c "$tmp/none.conf"
check "check-config names the missing file" grep -q "none.conf: cannot read" <("$mw" check-config -c "$tmp/none.conf" 2>&1)
: >"$tmp/empty.conf"
check "check-config empty file: defaults, ok" test "$("$mw" check-config -n -c "$tmp/empty.conf" 2>/dev/null)" = "$tmp/empty.conf: ok"
check "check-config empty file: warns that nothing is protected" grep -q "no local domain" <("$mw" check-config -n -c "$tmp/empty.conf" 2>&1)
head -c 10485760 /dev/zero | tr '\0' '#' >"$tmp/big.conf"
check "check-config refuses a 10 MB file" exit_is 2 "$mw" check-config -n -c "$tmp/big.conf"
printf '1 short\n' >"$tmp/batv.keys"
printf 'local_domains = example.jp\nbatv_key_file = %s\nuser = root\n' "$tmp/batv.keys" >"$tmp/c.conf"
check "check-config reads the BATV key file: short secret" grep -q "batv.keys:1: key 1: secret is 5 characters" <("$mw" check-config -c "$tmp/c.conf" 2>&1)
printf '1 0123456789abcdef0123\n' >"$tmp/batv.keys"
check "check-config with a good key file exits 0" exit_is 0 "$mw" check-config -c "$tmp/c.conf"
check "check-config with an extra argument is bad usage" exit_is 2 "$mw" check-config extra-argument
check "check-config with a bad option is bad usage" exit_is 2 "$mw" check-config --nope

# --- address ---------------------------------------------------------------
mkdir -p "$tmp/state"
printf 'local_domains = example.jp\nstate_dir = %s\nbatv_mode = off\n' "$tmp/state" >"$tmp/a.conf"
check "address --help is a manual page" grep -q '^SYNOPSIS' <("$mw" address --help)
check "address retire exits 0" exit_is 0 "$mw" address retire old@example.jp -c "$tmp/a.conf"
check "address receive-only exits 0" exit_is 0 "$mw" address receive-only Info@Example.JP -c "$tmp/a.conf"
"$mw" address list --json -c "$tmp/a.conf" >"$tmp/addr.json"
check "address list shows the retired address" grep -q 'old@example.jp' "$tmp/addr.json"
check "address list shows receive-only, case folded" grep -q 'info@example.jp' "$tmp/addr.json"
check "address restore exits 0" exit_is 0 "$mw" address restore old@example.jp -c "$tmp/a.conf"
check "address list no longer shows a restored address" test "$("$mw" address list -c "$tmp/a.conf" | grep -c 'old@example.jp')" -eq 0
check "address with no address is bad usage" exit_is 2 "$mw" address retire -c "$tmp/a.conf"
check "address with an unknown action is bad usage" exit_is 2 "$mw" address frob x@example.jp -c "$tmp/a.conf"

# --- batv --------------------------------------------------------------
# The known answer of docs/batv.md, checked against Exim 4.96 and openssl.
printf '3 correct horse battery staple\n' >"$tmp/k.keys"
day=1699920000 # 2023-11-14, day 19675
check "batv --help is a manual page" grep -q '^SYNOPSIS' <("$mw" batv --help)
check "batv sign gives Exim's tag" test "$("$mw" batv sign user@example.jp -k "$tmp/k.keys" --now $day)" = "prvs=3682f46a10=user@example.jp"
check "batv verify: valid" test "$("$mw" batv verify prvs=3682f46a10=user@example.jp -k "$tmp/k.keys" --now $day)" = "valid user@example.jp"
check "batv verify: valid on its 7th day" exit_is 0 "$mw" batv verify prvs=3682f46a10=user@example.jp -k "$tmp/k.keys" --now $((day + 7 * 86400))
check "batv verify: expired on the 8th day" test "$("$mw" batv verify prvs=3682f46a10=user@example.jp -k "$tmp/k.keys" --now $((day + 8 * 86400)))" = "expired user@example.jp"
check "batv verify: a changed hash is bad-hash, exit 1" exit_is 1 "$mw" batv verify prvs=3682f46a11=user@example.jp -k "$tmp/k.keys" --now $day
check "batv verify: untagged is no-tag, exit 1" exit_is 1 "$mw" batv verify user@example.jp -k "$tmp/k.keys"
check "batv sign: an already tagged address exits 1" exit_is 1 "$mw" batv sign prvs=3682f46a10=user@example.jp -k "$tmp/k.keys"
check "batv sign: not an address exits 2" exit_is 2 "$mw" batv sign nodomain -k "$tmp/k.keys"
check "batv: a missing key file exits 2" exit_is 2 "$mw" batv sign a@example.jp -k "$tmp/none.keys"
printf 'local_domains = example.jp\nbatv_key_file = %s\n' "$tmp/k.keys" >"$tmp/b.conf"
check "batv: keys from the configuration" test "$("$mw" batv sign user@example.jp -c "$tmp/b.conf" --now $day)" = "prvs=3682f46a10=user@example.jp"
check "batv: bad verb is bad usage" exit_is 2 "$mw" batv frob a@example.jp -k "$tmp/k.keys"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
