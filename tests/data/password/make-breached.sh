#!/bin/sh
# make-breached.sh - write breached.txt, a small list in Have I Been
# Pwned's "ordered by hash" SHA-1 format (HEX40:COUNT, uppercase, sorted
# by hash, CRLF line ends as in HIBP's downloads), for the password
# check's tests.
#
# The counts are made up for the tests, not HIBP's; the passwords are
# ones every real list carries (1234qwer is seed 001's).
#
#   tests/data/password/make-breached.sh   (run from anywhere)
set -eu
cd "$(dirname "$0")"
{
	printf '%s\n' \
		'1234qwer:38201' \
		'password:9545824' \
		'123456:42000000' \
		'qwerty:3912816' \
		'12345678:2938712' \
		'iloveyou:1645112' \
		'sakura:120333' \
		'Tr0ub4dor&3:12' \
		'correct horse battery staple:384'
} | while IFS= read -r line; do
	pw=${line%:*}
	count=${line##*:}
	hash=$(printf '%s' "$pw" | sha1sum | cut -d' ' -f1 | tr a-f A-F)
	printf '%s:%s\r\n' "$hash" "$count"
done | LC_ALL=C sort >breached.txt
