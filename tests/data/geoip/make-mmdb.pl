#!/usr/bin/perl
# make-mmdb.pl OUTDIR - write OUTDIR/country.mmdb and OUTDIR/asn.mmdb, the
# test GeoIP databases: documentation address ranges mapped to countries
# and networks (the map is in README.md next to this file; the unit tests
# and the account guard's end-to-end tests rely on it, so change both).
#
# Each file is written under a temporary name and renamed into place, so
# a reader never sees half a database and two builds may race safely.
use strict;
use warnings;
use utf8;

use MaxMind::DB::Writer::Tree;

my $outdir = shift @ARGV or die "usage: $0 OUTDIR\n";
-d $outdir or die "$0: $outdir: not a directory\n";

# network => [country, asn, organisation]; the layout is GeoLite2's.
my @map = (
	[ '127.0.0.0/8',        'JP', 64500, 'Example JP Net' ],
	[ '192.0.2.0/24',       'JP', 64500, 'Example JP Net' ],
	[ '198.51.100.0/25',    'US', 64501, 'Example US Net' ],
	[ '198.51.100.128/25',  'DE', 64502, 'Example DE Net' ],
	[ '203.0.113.0/26',     'CN', 64503, 'Example CN Net' ],
	[ '203.0.113.64/26',    'RU', 64504, 'Example RU Net' ],
	[ '203.0.113.128/26',   'BR', 64505, 'Example BR Net' ],
	[ '203.0.113.192/26',   'KR', 64506, 'Example KR Net' ],
	[ '2001:db8::/34',      'JP', 64500, 'Example JP Net' ],
	[ '2001:db8:4000::/34', 'US', 64501, 'Example US Net' ],
	[ '2001:db8:8000::/33', 'FR', 64507, 'Example FR Net' ],
);

my %continent = (
	JP => 'AS', CN => 'AS', KR => 'AS', US => 'NA', BR => 'SA',
	DE => 'EU', RU => 'EU', FR => 'EU', SG => 'AS',
);

my %types = (
	country                        => 'map',
	registered_country             => 'map',
	continent                      => 'map',
	names                          => 'map',
	en                             => 'utf8_string',
	iso_code                       => 'utf8_string',
	code                           => 'utf8_string',
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
	# IPinfo Lite's flat layout
	country_code   => 'utf8_string',
	continent_code => 'utf8_string',
	asn            => 'utf8_string',
	as_name        => 'utf8_string',
);

sub new_tree {
	my ($type) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 24,
		database_type            => $type,
		languages                => ['en'],
		description              => { en => "mailwarden test $type" },
		map_key_type_callback    => sub { $types{ $_[0] } },
		alias_ipv6_to_ipv4       => 1,
		# documentation and loopback ranges are reserved; we want them
		remove_reserved_networks => 0,
		merge_strategy           => 'none',
	);
}

sub place {
	my ($cc) = @_;
	return { iso_code => $cc, names => { en => $cc } };
}

my $country = new_tree('Mailwarden-Test-Country');
my $asn     = new_tree('Mailwarden-Test-ASN');

for my $row (@map) {
	my ($net, $cc, $as, $org) = @$row;
	$country->insert_network($net, {
		continent          => { code => $continent{$cc} },
		country            => place($cc),
		registered_country => place($cc),
	});
	$asn->insert_network($net, {
		autonomous_system_number       => $as,
		autonomous_system_organization => $org,
	});
}

# Edge cases, in 233.252.0.0/24 (MCAST-TEST-NET, RFC 5771: documentation).
# .0/26: no location, only where the block is registered; an organisation
# with control characters in it.
$country->insert_network('233.252.0.0/26',
	{ registered_country => place('SG') });
$asn->insert_network('233.252.0.0/26', {
	autonomous_system_number       => 64510,
	autonomous_system_organization => "Ctl\tOrg\r\nX-Injected: yes\x7f",
});
# .64/26: a lower-case code; an organisation far over the length limit
# (300 three-byte characters).
$country->insert_network('233.252.0.64/26', { country => place('jp') });
$asn->insert_network('233.252.0.64/26', {
	autonomous_system_number       => 64511,
	autonomous_system_organization => chr(0x3042) x 300,
});
# .128/27: a code that is not two letters; an ASN without organisation.
$country->insert_network('233.252.0.128/27', { country => place('J1') });
$asn->insert_network('233.252.0.128/27',
	{ autonomous_system_number => 64512 });
# .160/27: no country; an ASCII organisation over the length limit.
$asn->insert_network('233.252.0.160/27', {
	autonomous_system_number       => 64514,
	autonomous_system_organization => 'A' x 300,
});
# .192/26: IPinfo Lite's layout, in both files.
for my $tree ($country, $asn) {
	$tree->insert_network('233.252.0.192/26', {
		country_code   => 'AU',
		continent_code => 'OC',
		asn            => 'AS64513',
		as_name        => 'Example IPinfo Net',
	});
}

sub write_atomically {
	my ($tree, $name) = @_;
	my $final = "$outdir/$name";
	my $tmp   = "$outdir/.$name.$$.tmp";
	open my $fh, '>:raw', $tmp or die "$0: $tmp: $!\n";
	$tree->write_tree($fh);
	close $fh or die "$0: $tmp: $!\n";
	rename $tmp, $final or die "$0: $final: $!\n";
}

write_atomically($country, 'country.mmdb');
write_atomically($asn,     'asn.mmdb');
