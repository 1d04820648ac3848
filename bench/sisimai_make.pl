#!/usr/bin/perl
# sisimai_make.pl - the bounce benchmark's baseline: Sisimai->make on each
# file given, one after the other, in one process (bench/README.md).
#
#   perl bench/sisimai_make.pl [--warm] FILE...
#
# Prints one line: messages, rows (failed recipients Sisimai reports), and
# the seconds spent in the loop (module loading at startup excluded, the
# lazy loading of engine modules on first use included, unless --warm runs
# the whole list once before the timed pass).
use strict;
use warnings;
use Sisimai;
use Time::HiRes qw(time);

my $warm = @ARGV && $ARGV[0] eq '--warm' ? shift @ARGV : 0;
die "usage: $0 [--warm] FILE...\n" unless @ARGV;

sub pass {
    my $rows = 0;
    for my $file (@_) {
        my $list = Sisimai->make($file);
        $rows += scalar @$list if $list;
    }
    return $rows;
}

pass(@ARGV) if $warm;
my $t0 = time;
my $rows = pass(@ARGV);
my $dt = time - $t0;
printf "analyser=sisimai version=%s messages=%d rows=%d loop_s=%.6f msgs_s=%.1f\n",
    Sisimai->version, scalar @ARGV, $rows, $dt, @ARGV / $dt;
