#!/usr/bin/perl
# SPDX-License-Identifier: MIT
#
# plan.pl - read the lab's address plan (tests/lab/plan.tsv) and print what
# lab.sh and the tests need from it. The plan is the only description of the
# lab; this script turns it into:
#
#   plan.pl PLAN ranges      CIDR cc country-name asn org ns middlebox (TSV)
#   plan.pl PLAN hosts       ns CIDR kind middlebox-or-"-" (TSV), one per host
#                            line, with the namespace and middlebox of the
#                            range that holds it
#   plan.pl PLAN middleboxes name label subject style targets (TSV)
#   plan.pl PLAN targets     the CIDRs a scan of the whole lab covers
#   plan.pl PLAN truth SNI_FILE INTERCEPTORS_TSV
#                            the ground truth (see docs/lab.md), one line per
#                            (address, 443, SNI) the scanner probes with
#                            --eligible any, plus one "@control" line per
#                            address of every range. A verdict may be
#                            "A|B" (either is right: an unstable host); the
#                            last column, reason, is a reason the Probe must
#                            carry ("A|B": one of them), or "-".
#
# The verdict rules follow docs/verdicts.md. A kind either yields a chain for
# every SNI (the chain kinds below) or never does (the others, whose verdict is
# fixed and which get only an @control line). A chain host behind an
# intercepting middlebox gets a forged chain for the middlebox's targeted SNIs
# (INTERCEPTED: differs from the control chain and does not verify); every
# other SNI is passed through and equals the control chain (HOST_OWN_CERT),
# except where the host itself serves another certificate for that SNI.
use strict;
use warnings;

my %CHAIN_KIND = map { $_ => 1 } qw(bulk rsa2048 rsa4096 p256 p384 ed25519 chain1 chain3
  chain4 chain5 tls12 tls13 selfsigned expired sni-valid sni-other unstable);
my %FIXED_VERDICT = (
	reject   => 'TLS_ERROR',   # TLS alert to every ClientHello
	closed   => 'NO_TLS',      # RST to the SYN
	silent   => 'NO_TLS',      # SYN dropped
	reset    => 'NO_TLS',      # RST after the handshake, before any byte
	close    => 'NO_TLS',      # FIN after reading the ClientHello, no byte
	tarpit   => 'NO_TLS',      # connected, never a byte
	garbage  => 'NO_TLS',      # bytes that are not TLS
	trickle  => 'TLS_ERROR',   # TLS bytes at 1 byte/s: incomplete at the read timeout
	endless  => 'TLS_ERROR',   # TLS records without end: flight too large
	bigchain => 'TLS_ERROR',   # 1 MB Certificate message: flight too large
);
# SNIs for which a host serves a certificate other than its own:
# kind => { sni => [verdict, forging issuer or "-", reason or "-"] } (when not
# intercepted).
my %SNI_CERT = (
	'sni-valid' => { 'vk.com' => ['VALID_FOR_SNI', '-', '-'], 'mail.ru' => ['VALID_FOR_SNI', '-', '-'] },
	'sni-other' => {
		'twitter.com' => ['UNTRUSTED_OTHER', '-', '-'],
		# its own self-signed certificate naming the SNI: differs from the
		# control chain and does not verify, but it comes from the server
		# itself on this host alone: not an interception
		'ok.ru' => ['UNTRUSTED_OTHER', '-', 'served-by-host'],
	},
);
# Kinds whose test SNIs may see either of two chains (a load balancer whose
# backends differ, chosen at random per connection): never INTERCEPTED.
my %ANY_OF = (unstable => ['HOST_OWN_CERT|UNTRUSTED_OTHER', 'same-as-control|same-as-second-control|unstable-host|served-by-host|differs-from-control']);

sub ip2n { my @o = split /\./, shift; return ($o[0] << 24) | ($o[1] << 16) | ($o[2] << 8) | $o[3] }
sub n2ip { my $n = shift; return join '.', ($n >> 24) & 255, ($n >> 16) & 255, ($n >> 8) & 255, $n & 255 }

sub cidr {    # "a.b.c.d[/len]" -> (first, last, len)
	my ($s) = @_;
	my ($ip, $len) = split m{/}, $s;
	$len //= 32;
	die "bad CIDR $s\n" if $ip !~ /^\d+\.\d+\.\d+\.\d+$/ || $len < 0 || $len > 32;
	my $size = 2**(32 - $len);
	my $first = ip2n($ip);
	die "CIDR $s is not aligned\n" if $first % $size;
	return ($first, $first + $size - 1, $len);
}

my $plan = shift @ARGV or die "usage: plan.pl PLAN ranges|hosts|middleboxes|targets|truth ...\n";
my $cmd = shift @ARGV // '';
my (@ranges, @hosts, %mbox);
open my $fh, '<', $plan or die "cannot read $plan: $!\n";
while (<$fh>) {
	chomp;
	next if /^\s*(#|$)/;
	my @f = split /\t/;
	if ($f[0] eq 'range') {
		die "$plan:$.: range needs 8 fields\n" unless @f == 8;
		my ($first, $last) = cidr($f[1]);
		push @ranges, { cidr => $f[1], first => $first, last => $last, cc => $f[2], cname => $f[3],
			asn => $f[4], org => $f[5], ns => $f[6], mbox => $f[7] };
	} elsif ($f[0] eq 'host') {
		die "$plan:$.: host needs 3 fields\n" unless @f == 3;
		die "$plan:$.: unknown kind $f[2]\n" unless $CHAIN_KIND{$f[2]} || $FIXED_VERDICT{$f[2]};
		my ($first, $last, $len) = cidr($f[1]);
		push @hosts, { cidr => $f[1], first => $first, last => $last, len => $len, kind => $f[2] };
	} elsif ($f[0] eq 'middlebox') {
		die "$plan:$.: middlebox needs 6 fields\n" unless @f == 6;
		die "$plan:$.: style must be mimic or stock\n" unless $f[4] =~ /^(mimic|stock)$/;
		$mbox{$f[1]} = { label => $f[2], subject => $f[3], style => $f[4], targets => [split ' ', $f[5]] };
	} else {
		die "$plan:$.: unknown record $f[0]\n";
	}
}
close $fh;

sub range_of {
	my ($first, $last) = @_;
	for my $r (@ranges) { return $r if $first >= $r->{first} && $last <= $r->{last} }
	return undef;
}
for my $h (@hosts) {
	$h->{range} = range_of($h->{first}, $h->{last}) or die "host $h->{cidr} is in no range\n";
}
for my $r (@ranges) {
	die "range $r->{cidr}: unknown middlebox $r->{mbox}\n" if $r->{mbox} ne '-' && !$mbox{$r->{mbox}};
}

if ($cmd eq 'ranges') {
	print join("\t", @{$_}{qw(cidr cc cname asn org ns mbox)}), "\n" for @ranges;
} elsif ($cmd eq 'hosts') {
	print join("\t", $_->{range}{ns}, $_->{cidr}, $_->{kind}, $_->{range}{mbox}), "\n" for @hosts;
} elsif ($cmd eq 'middleboxes') {
	for my $m (sort keys %mbox) {
		print join("\t", $m, @{ $mbox{$m} }{qw(label subject style)}, join(' ', @{ $mbox{$m}{targets} })), "\n";
	}
} elsif ($cmd eq 'targets') {
	print "$_->{cidr}\n" for @ranges;
} elsif ($cmd eq 'truth') {
	truth(@ARGV);
} else {
	die "unknown command '$cmd'\n";
}

sub truth {
	my ($sni_file, $icpt_file) = @_;
	die "usage: plan.pl PLAN truth SNI_FILE INTERCEPTORS_TSV\n" unless $sni_file && $icpt_file;
	my @snis;
	open my $s, '<', $sni_file or die "cannot read $sni_file: $!\n";
	while (<$s>) { s/#.*//; s/^\s+|\s+$//g; push @snis, lc $_ if length }
	close $s;
	my %issuer_of_label;    # interceptors.tsv: kind value label source
	open my $i, '<', $icpt_file or die "cannot read $icpt_file: $!\n";
	while (<$i>) {
		next if /^\s*(#|$)/;
		chomp;
		my ($kind, $value, $label) = split /\t/;
		$issuer_of_label{$label} = $value if $kind eq 'issuer';
	}
	close $i;
	my %forged;    # middlebox => { sni => issuer }
	for my $m (keys %mbox) {
		my $iss = $issuer_of_label{ $mbox{$m}{label} } or die "no issuer for $mbox{$m}{label} in $icpt_file\n";
		$forged{$m}{$_} = $iss for @{ $mbox{$m}{targets} };
	}
	# longest prefix first, so the first host entry that contains an address wins
	my @by_len = sort { $b->{len} <=> $a->{len} } @hosts;
	print join("\t", qw(ip port sni verdict forging_issuer country asn kind reason)), "\n";
	for my $r (@ranges) {
		my @in = grep { $_->{range} == $r } @by_len;
		for my $n ($r->{first} .. $r->{last}) {
			my $kind = 'bulk';
			for my $h (@in) {
				if ($n >= $h->{first} && $n <= $h->{last}) { $kind = $h->{kind}; last }
			}
			my $ip = n2ip($n);
			my $tail = "$r->{cc}\t$r->{asn}\t$kind";
			if (!$CHAIN_KIND{$kind}) {
				print "$ip\t443\t\@control\t$FIXED_VERDICT{$kind}\t-\t$tail\t-\n";
				next;
			}
			print "$ip\t443\t\@control\tHOST_OWN_CERT\t-\t$tail\t-\n";
			my $fg = $r->{mbox} ne '-' ? $forged{ $r->{mbox} } : {};
			die "kind $kind cannot sit behind a middlebox ($ip)\n" if $ANY_OF{$kind} && %$fg;
			for my $sni (@snis) {
				my ($v, $iss, $why) = ('HOST_OWN_CERT', '-', '-');
				if ($fg->{$sni}) {
					($v, $iss) = ('INTERCEPTED', $fg->{$sni});
				} elsif ($SNI_CERT{$kind} && $SNI_CERT{$kind}{$sni}) {
					($v, $iss, $why) = @{ $SNI_CERT{$kind}{$sni} };
				} elsif ($ANY_OF{$kind}) {
					($v, $why) = @{ $ANY_OF{$kind} };
				}
				print "$ip\t443\t$sni\t$v\t$iss\t$tail\t$why\n";
			}
		}
	}
}
