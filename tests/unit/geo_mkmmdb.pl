#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# Build small MaxMind DBs for tests (and the lab) from a spec on stdin:
#   FIRST-LAST|CIDR  CC  ASN  ORGANISATION...
# Options: --country OUT.mmdb --asn OUT.mmdb --layout geolite|flat
#          --ip-version 4|6
# geolite layout: {country => {iso_code => CC}} (GeoLite2-Country);
# flat layout: {country_code => CC} (ip-location-db). Reserved networks
# (198.18.0.0/15 and friends) are kept: tests live there.
use strict;
use warnings;
use Getopt::Long;
use MaxMind::DB::Writer::Tree;

my ($country_out, $asn_out, $layout, $ipv) = (undef, undef, 'geolite', 6);
GetOptions('country=s' => \$country_out, 'asn=s' => \$asn_out,
	'layout=s' => \$layout, 'ip-version=i' => \$ipv) or die "bad options\n";
my %types = (
	country => 'map', iso_code => 'utf8_string', names => 'map', en => 'utf8_string',
	country_code => 'utf8_string',
	autonomous_system_number => 'uint32', autonomous_system_organization => 'utf8_string',
);
sub tree {
	my ($type) = @_;
	return MaxMind::DB::Writer::Tree->new(
		ip_version => $ipv, record_size => 24, database_type => $type,
		languages => ['en'], description => { en => "tlsmap test $type" },
		map_key_type_callback => sub { $types{ $_[0] } },
		remove_reserved_networks => 0, alias_ipv6_to_ipv4 => ($ipv == 6 ? 1 : 0),
	);
}
my $ct = $country_out ? tree($layout eq 'flat' ? 'DBIP-Country-Lite' : 'GeoLite2-Country') : undef;
my $at = $asn_out ? tree('GeoLite2-ASN') : undef;
while (my $line = <STDIN>) {
	chomp $line;
	next if $line =~ /^\s*(#|$)/;
	my ($net, $cc, $asn, $org) = split(/\s+/, $line, 4);
	my ($first, $last);
	if ($net =~ /^(.+)-(.+)$/) { ($first, $last) = ($1, $2); }
	my $ins = sub {
		my ($t, $data) = @_;
		if (defined $first) { $t->insert_range($first, $last, $data); }
		else { $t->insert_network($net, $data); }
	};
	if ($ct && $cc ne '-') {
		$ins->($ct, $layout eq 'flat' ? { country_code => $cc }
			: { country => { iso_code => $cc, names => { en => "Country $cc" } } });
	}
	if ($at && $asn ne '-') {
		$ins->($at, { autonomous_system_number => $asn + 0,
			autonomous_system_organization => $org // '' });
	}
}
for ([$ct, $country_out], [$at, $asn_out]) {
	my ($t, $out) = @$_;
	next unless $t;
	open(my $fh, '>:raw', $out) or die "$out: $!\n";
	$t->write_tree($fh);
	close($fh) or die "$out: $!\n";
}
