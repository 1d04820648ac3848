#!/bin/sh
# build.sh OUTDIR - make OUTDIR/country.mmdb and OUTDIR/asn.mmdb from
# make-mmdb.pl, unless both are newer than this script and the Perl.
# Needs Debian's libmaxmind-db-writer-perl (scripts/install-deps.sh).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
here=$(dirname "$0")
gen="$here/make-mmdb.pl"

up_to_date() {
	for f in "$out/country.mmdb" "$out/asn.mmdb"; do
		[ -s "$f" ] || return 1
		[ "$f" -nt "$gen" ] || return 1
		[ "$f" -nt "$0" ] || return 1
	done
	return 0
}

if up_to_date; then
	exit 0
fi
if ! perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	echo "$0: Perl module MaxMind::DB::Writer::Tree is missing;" \
		"install libmaxmind-db-writer-perl (make deps)" >&2
	exit 1
fi
mkdir -p "$out"
perl "$gen" "$out"
