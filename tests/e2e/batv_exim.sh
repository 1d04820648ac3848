#!/bin/sh
# batv_exim.sh - our BATV tags against Exim's own ${prvs} and ${prvscheck}.
#
# For several addresses and keys: our tag for today equals Exim's
# ${prvs{ADDR}{SECRET}{K}}; Exim's ${prvscheck} accepts our tag and we
# accept Exim's; a tag with one hex digit changed is refused by both; a
# tag we signed 7 days ago (expiring today) is valid for both and one
# signed 8 days ago is expired for both.
#
# Exim: $EXIM if set, else an installed exim4 (Debian's exim4-daemon-light
# or -heavy), else the exim4-daemon-light package is fetched with
# `apt-get download` and unpacked under $BUILD/exim-deb without being
# installed: installing it would remove Postfix (both provide
# mail-transport-agent), which the rest of the tests need. Exim runs only
# as `exim -C EMPTYCONF -be`: it expands strings and exits; no daemon, no
# queue, no network.
#
# Usage: tests/e2e/batv_exim.sh [--require]
#   --require   fail (instead of skipping) when no Exim can be had
# Environment: BUILD (default build) for libmailwarden.a; EXIM; CC.
# Prints "batv-exim: N passed, N failed[, N skipped]"; exits 1 on failure.
set -u

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
CC=${CC:-cc}
REQUIRE=0
[ "${1:-}" = "--require" ] && REQUIRE=1

WORK=$(mktemp -d "${TMPDIR:-/tmp}/batv_exim.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM

PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); }
fail() {
	FAIL=$((FAIL + 1))
	echo "batv-exim: FAIL: $*" >&2
}
finish() {
	if [ "${1:-}" = skip ]; then
		echo "batv-exim: 0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "batv-exim: $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit $?
}
# expect GOT WANT WHAT: one check.
expect() {
	if [ "$1" = "$2" ]; then
		pass
	else
		fail "$3: got '$1', want '$2'"
	fi
}
skip() {
	echo "batv-exim: cannot run: $*" >&2
	[ "$REQUIRE" -eq 1 ] && { echo "batv-exim: 0 passed, 1 failed"; exit 1; }
	finish skip
}

# -- Exim --------------------------------------------------------------

: >"$WORK/empty.conf"

exim_works() {
	# shellcheck disable=SC2016 # an Exim expansion, not a shell one
	out=$("$1" -C "$WORK/empty.conf" -be '${prvs{a@b.example}{0123456789abcdef}{0}}' 2>/dev/null)
	case "$out" in prvs=0*=a@b.example) return 0 ;; esac
	return 1
}

fetch_exim() {
	dir="$BUILD/exim-deb"
	if [ ! -x "$dir/root/usr/sbin/exim4" ]; then
		command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
			return 1
		mkdir -p "$dir" || return 1
		# libidn12 is the one library exim4 needs that a build
		# machine may lack; it is unpacked beside it.
		if ! (cd "$dir" && apt-get download -q exim4-daemon-light libidn12 >/dev/null 2>&1); then
			[ "$(id -u)" -eq 0 ] || return 1
			apt-get update -q >/dev/null 2>&1
			(cd "$dir" && apt-get download -q exim4-daemon-light libidn12 >/dev/null 2>&1) ||
				return 1
		fi
		for deb in "$dir"/*.deb; do
			dpkg-deb -x "$deb" "$dir/root" || return 1
		done
		# A set-uid copy would ignore LD_LIBRARY_PATH below.
		chmod u-s "$dir/root/usr/sbin/exim4"
	fi
	for libdir in "$dir"/root/usr/lib/*-linux-gnu; do
		LD_LIBRARY_PATH="$(pwd)/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	done
	export LD_LIBRARY_PATH
	EXIM="$dir/root/usr/sbin/exim4"
}

if [ -z "${EXIM:-}" ]; then
	for cand in exim4 /usr/sbin/exim4 exim /usr/sbin/exim; do
		if command -v "$cand" >/dev/null 2>&1 && exim_works "$cand"; then
			EXIM=$cand
			break
		fi
	done
fi
if [ -z "${EXIM:-}" ]; then
	fetch_exim || skip "no exim4, and exim4-daemon-light could not be fetched"
fi
exim_works "$EXIM" || skip "$EXIM does not expand \${prvs}"
EXIM_VERSION=$("$EXIM" -C "$WORK/empty.conf" -bV 2>/dev/null | sed -n '1s/^Exim version \([^ ]*\).*/\1/p')

exim_be() {
	"$EXIM" -C "$WORK/empty.conf" -be "$1" 2>&1
}

# -- our side ----------------------------------------------------------

make -s BUILD="$BUILD" "$BUILD/libmailwarden.a" >&2 || skip "make $BUILD/libmailwarden.a failed"
TOOL="$WORK/batv_tool"
# shellcheck disable=SC2046
$CC -std=c17 -D_GNU_SOURCE -Isrc -o "$TOOL" tests/e2e/batv_tool.c \
	"$BUILD/libmailwarden.a" $(pkg-config --libs libcrypto jansson) ||
	skip "cannot build tests/e2e/batv_tool.c"

# Secrets of 16, 28 and 64 characters, with no character that Exim's
# expansion language treats specially ($ { } \).
KEYS="$WORK/keys"
cat >"$KEYS" <<'EOF'
# test keys for batv_exim.sh
0 0123456789abcdef
3 correct horse battery staple
9 Zq7!#%&*()-_+=[];:,.<>/?~|^Zq7!#%&*()-_+=[];:,.<>/?~|^0123456789
EOF
secret_of() { sed -n "s/^$1 //p" "$KEYS"; }

ADDRESSES="user@example.jp
Taro.Yamada@Example.JP
a+list@sub.example.co.jp
o'brien@example.com
first.last-x_y@example.org
山田@example.jp"

today() { echo $(($(date +%s) / 86400)); }

# Our tag and Exim's for today; a day boundary between the two is retried.
compare_tags() { # addr key
	secret=$(secret_of "$2")
	for _try in 1 2; do
		d0=$(today)
		ours=$("$TOOL" sign "$KEYS" "$2" "$1")
		theirs=$(exim_be "\${prvs{$1}{$secret}{$2}}")
		[ "$d0" = "$(today)" ] && break
	done
	[ -n "$ours" ] || ours="(our sign failed)"
	expect "$ours" "$theirs" "our tag vs exim's \${prvs} for $1 key $2"
}

# Exim's verdict on a tag: "ok ADDRESS" or "bad ADDRESS".
exim_check() { # tag secret
	exim_be "\${prvscheck{$1}{$2}{\${if eq{\$prvscheck_result}{1}{ok}{bad}} \$prvscheck_address}}"
}

check_both_accept() { # addr key
	secret=$(secret_of "$2")
	ours=$("$TOOL" sign "$KEYS" "$2" "$1")
	verdict=$(exim_check "$ours" "$secret")
	expect "$verdict" "ok $1" "exim's prvscheck of our $ours"
	theirs=$(exim_be "\${prvs{$1}{$secret}{$2}}")
	verdict=$("$TOOL" verify "$KEYS" "$theirs")
	expect "$verdict" "valid $1" "our verify of exim's $theirs"
}

# One hex digit of our tag changed: both must refuse.
check_both_refuse_forgery() { # addr key
	secret=$(secret_of "$2")
	ours=$("$TOOL" sign "$KEYS" "$2" "$1")
	digit=$(printf '%s' "$ours" | cut -c15)
	[ "$digit" = 0 ] && new=1 || new=0
	forged=$(printf '%s' "$ours" | sed "s/^\(.\{14\}\)./\1$new/")
	verdict=$(exim_check "$forged" "$secret")
	expect "$verdict" "bad $1" "exim's prvscheck of forged $forged"
	verdict=$("$TOOL" verify "$KEYS" "$forged")
	expect "$verdict" "bad-hash $1" "our verify of forged $forged"
}

# Signed DAYS ago with our injected clock; Exim checks against today.
check_age() { # addr key days expect(ok|bad) ours(valid|expired)
	secret=$(secret_of "$2")
	then=$(($(date +%s) - $3 * 86400))
	tag=$("$TOOL" sign "$KEYS" "$2" "$1" "$then")
	verdict=$(exim_check "$tag" "$secret")
	expect "$verdict" "$4 $1" "exim's prvscheck of $tag signed $3 days ago"
	verdict=$("$TOOL" verify "$KEYS" "$tag")
	expect "$verdict" "$5 $1" "our verify of $tag signed $3 days ago"
}

echo "batv-exim: against Exim ${EXIM_VERSION:-?} ($EXIM)" >&2
OLDIFS=$IFS
IFS='
'
for addr in $ADDRESSES; do
	IFS=$OLDIFS
	for key in 0 3 9; do
		compare_tags "$addr" "$key"
		check_both_accept "$addr" "$key"
	done
	check_both_refuse_forgery "$addr" 3
	IFS='
'
done
IFS=$OLDIFS

check_age user@example.jp 3 7 ok valid
# Exim's ${prvscheck} treats an expiry day of 999 as still valid on day 000
# (it only special-cases expiry days under 7), so the expired case is
# compared with Exim only away from the wrap.
if [ $(($(today) % 1000)) -ge 8 ]; then
	check_age user@example.jp 3 8 bad expired
fi
check_age Taro.Yamada@Example.JP 9 1 ok valid

finish
