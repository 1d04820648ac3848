#!/bin/sh
# install-deps.sh - install the Debian packages mailwarden's build, tests and
# demo need, if any is missing. Run as root (CI is); as another user it says
# what to install and fails. `apt-get update` runs once, only when something
# is missing.
set -eu

# Build and unit tests; fuzzing (clang, libFuzzer's runtime); the daemon's
# libraries (libuv, SQLite); end-to-end peers (Postfix with smtp-source and
# smtp-sink, swaks, miltertest); benchmarks' baselines (Sisimai, GMime,
# Sendmail's libmilter for the no-op filter); the account guard's libraries
# (libmicrohttpd, libmaxminddb and the Perl writer tests build databases
# with, libzxcvbn) and its peer (Dovecot, reached with curl); wrk for the
# auth-policy benchmark.
PACKAGES="
build-essential pkg-config jq
libjansson-dev libcmocka-dev libssl-dev libuv1-dev libsqlite3-dev
clang libclang-rt-14-dev
postfix swaks miltertest sqlite3
libsisimai-perl libgmime-3.0-dev libmilter-dev
libmicrohttpd-dev libmaxminddb-dev libmaxmind-db-writer-perl libzxcvbn-dev
dovecot-core dovecot-imapd dovecot-pop3d curl wrk
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "mailwarden: missing Debian packages:$missing" >&2
	echo "mailwarden: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi

echo "mailwarden: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# The tests run private Postfix instances of their own (postfix -c DIR);
# the system-wide one is left unconfigured and stopped.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
