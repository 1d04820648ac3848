#!/usr/bin/perl
# imap.pl - one login against an IMAP (or POP3) server, for end-to-end
# tests. Perl core only.
#
#   imap.pl [--timeout SECS] [--id-name NAME] HOST PORT USER PASS [REMOTE_IP]
#   imap.pl --pop3 [--timeout SECS] HOST PORT USER PASS [REMOTE_IP]
#
# IMAP: reads the greeting; with REMOTE_IP (or --id-name) sends
#   a0 ID ("x-originating-ip" "REMOTE_IP" "name" "NAME")
# (Dovecot honours x-originating-ip from login_trusted_networks: the login
# then counts as coming from REMOTE_IP; with imap_id_retain = yes the rest,
# ("name" "NAME"), is the policy request's device_id); then a1 LOGIN "USER" "PASS", and on success
# a2 LOGOUT. POP3: with REMOTE_IP sends XCLIENT ADDR=REMOTE_IP first, then
# USER and PASS, and QUIT.
#
# Prints one line: "OK <server text>", "NO <server text>" (refused) or
# "BAD <server text>" / "ERROR <reason>". Exit 0 when the login was
# accepted, 1 when refused (NO, or -ERR to PASS), 2 on anything else
# (connection, protocol, timeout). The whole run is bounded by --timeout
# (default 20 s: Dovecot may delay a refusal).
use strict;
use warnings;
use IO::Socket::INET;
use Getopt::Long;

my ($pop3, $timeout, $id_name) = (0, 20, "mw-e2e");
GetOptions("pop3" => \$pop3, "timeout=i" => \$timeout, "id-name=s" => \$id_name)
	or die "usage: $0 [--pop3] [--timeout SECS] HOST PORT USER PASS [REMOTE_IP]\n";
my ($host, $port, $user, $pass, $remote) = @ARGV;
unless (defined $pass) {
	print STDERR "usage: $0 [--pop3] [--timeout SECS] HOST PORT USER PASS [REMOTE_IP]\n";
	exit 2;
}

sub bail {
	print "ERROR $_[0]\n";
	exit 2;
}

$SIG{ALRM} = sub { bail("timeout after ${timeout}s") };
alarm $timeout;

my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port,
	Proto => "tcp", Timeout => $timeout)
	or bail("connect $host:$port: $!");
binmode $s;

# One response line, without CRLF; bounded in length.
sub line {
	my $l = <$s>;
	bail("connection closed") unless defined $l;
	bail("line too long") if length $l > 65536;
	$l =~ s/\r?\n\z//;
	return $l;
}

sub send_line {
	print {$s} "$_[0]\r\n" or bail("write: $!");
}

# IMAP: read until the tagged reply of TAG; return (STATUS, TEXT).
sub imap_tagged {
	my ($tag) = @_;
	for (my $i = 0; $i < 1000; $i++) {
		my $l = line();
		return (uc $1, $2) if $l =~ /^\Q$tag\E (OK|NO|BAD)\s*(.*)$/i;
	}
	bail("no tagged reply to $tag");
}

sub imap_quote {
	my ($v) = @_;
	bail("cannot quote CR/LF") if $v =~ /[\r\n]/;
	$v =~ s/(["\\])/\\$1/g;
	return qq("$v");
}

sub imap {
	my $g = line();
	bail("greeting: $g") unless $g =~ /^\* (OK|PREAUTH)/i;
	my @id;
	push @id, '"x-originating-ip" ' . imap_quote($remote)
		if defined $remote && $remote ne "";
	push @id, '"name" ' . imap_quote($id_name) if $id_name ne "";
	if (@id) {
		send_line("a0 ID (@id)");
		my ($st, $text) = imap_tagged("a0");
		bail("ID: $st $text") unless $st eq "OK";
	}
	send_line("a1 LOGIN " . imap_quote($user) . " " . imap_quote($pass));
	my ($st, $text) = imap_tagged("a1");
	if ($st eq "OK") {
		send_line("a2 LOGOUT");
		eval { imap_tagged("a2") };
		print "OK $text\n";
		exit 0;
	}
	print "$st $text\n";
	exit($st eq "NO" ? 1 : 2);
}

sub pop3_reply {
	my $l = line();
	return ($1 eq "+OK" ? "OK" : "ERR", $2) if $l =~ /^(\+OK|-ERR)\s*(.*)$/;
	bail("POP3 reply: $l");
}

sub pop3 {
	my ($st, $text) = pop3_reply();
	bail("greeting: $text") unless $st eq "OK";
	for ($user, $pass, $remote // "") {
		bail("CR/LF in argument") if /[\r\n]/;
	}
	if (defined $remote && $remote ne "") {
		send_line("XCLIENT ADDR=$remote");
		($st, $text) = pop3_reply();
		bail("XCLIENT: $text") unless $st eq "OK";
	}
	send_line("USER $user");
	($st, $text) = pop3_reply();
	if ($st eq "OK") {
		send_line("PASS $pass");
		($st, $text) = pop3_reply();
	}
	if ($st eq "OK") {
		send_line("QUIT");
		eval { pop3_reply() };
		print "OK $text\n";
		exit 0;
	}
	print "NO $text\n";
	exit 1;
}

$pop3 ? pop3() : imap();
