#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# geo.pl - write the lab's test geolocation databases.
#
#   plan.pl plan.tsv ranges | geo.pl OUTDIR
#
# reads "CIDR cc country-name asn org ..." lines (TSV) on stdin and writes
#   OUTDIR/country.mmdb  GeoLite2-Country layout: country.iso_code and
#                        country.names.en, plus the flat country_code key of
#                        the ip-location-db databases (tlsmap reads both)
#   OUTDIR/asn.mmdb      GeoLite2-ASN layout: autonomous_system_number
#                        (uint32), autonomous_system_organization
# Both are IPv6 trees with IPv4 aliased, as MaxMind ships them. Addresses not in
# a range (the lab's infrastructure in 198.19.0.0/16) are not found.
#
# Debian's libmaxmind-db-writer-perl drops reserved space, 198.18.0.0/15
# included, unless remove_reserved_networks => 0.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: geo.pl OUTDIR < ranges\n";
-d $out or mkdir $out or die "cannot create $out: $!\n";

my %type = (
	country                        => 'map',
	iso_code                       => 'utf8_string',
	names                          => 'map',
	en                             => 'utf8_string',
	country_code                   => 'utf8_string',
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);

sub tree {
	my ($dbtype) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version               => 6,
		record_size              => 24,
		database_type            => $dbtype,
		languages                => ['en'],
		description              => { en => "tlsmap lab $dbtype (198.18.0.0/15, synthetic)" },
		alias_ipv6_to_ipv4       => 1,
		remove_reserved_networks => 0,
		map_key_type_callback    => sub { $type{ $_[0] } // die "geo.pl: no type for key $_[0]\n" },
	);
}

my $country = tree('tlsmap-Lab-Country');
my $asn     = tree('tlsmap-Lab-ASN');
my $n       = 0;
while (<STDIN>) {
	chomp;
	next if /^\s*(#|$)/;
	my ($cidr, $cc, $cname, $as, $org) = split /\t/;
	die "geo.pl: bad line $.: $_\n" unless defined $org && $as =~ /^\d+$/;
	$country->insert_network($cidr, { country => { iso_code => $cc, names => { en => $cname } }, country_code => $cc });
	$asn->insert_network($cidr, { autonomous_system_number => $as + 0, autonomous_system_organization => $org });
	$n++;
}
die "geo.pl: no ranges on stdin\n" unless $n;

for ([ 'country.mmdb', $country ], [ 'asn.mmdb', $asn ]) {
	my ($file, $t) = @$_;
	my $tmp = "$out/$file.tmp";
	open my $fh, '>:raw', $tmp or die "cannot write $tmp: $!\n";
	$t->write_tree($fh);
	close $fh or die "close $tmp: $!\n";
	rename $tmp, "$out/$file" or die "rename $tmp: $!\n";
}
