#!/usr/bin/env bash
# demo.sh - what `make demo` shows until the daemon exists: mailwarden's
# mail reading on the bundled samples (tests/data/samples/README.md).
#
# For each sample: `mailwarden bounce` (is it a bounce, who failed, the
# original message's identity) and, for the spam sample, `mailwarden trace`
# (where it came from and who authenticated to send it).
set -euo pipefail
cd "$(dirname "$0")/.."
mw=build/mailwarden
samples=tests/data/samples

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Seed 000: a forged-sender flood. One of the 50,000 bounces, Japanese, ISO-2022-JP"
$mw bounce "$samples/01-jp-backscatter-dsn.eml" || true

say "A qmail \"failure notice\" (the original is quoted after a marker)"
$mw bounce "$samples/02-qmail-failure-notice.eml" || true

say "A Japanese carrier's notice (au/EZweb)"
$mw bounce "$samples/03-ezweb-carrier-notice.eml" || true

say "Seed 001: spam sent through our own server with a stolen password"
$mw trace "$samples/04-stolen-password-spam.eml"

say "An ordinary message is not a bounce (exit status 1)"
set +e
$mw bounce "$samples/05-ordinary-message.eml"
echo "exit status: $?"
set -e

say "The same, as JSON Lines for scripts (mailwarden bounce --json)"
$mw bounce --json "$samples"/0[123]*.eml

echo
echo "More: mailwarden --help, mailwarden bounce --help, docs/."
