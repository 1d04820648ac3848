#!/usr/bin/perl
# policy_stub.pl - a stub of Dovecot's auth-policy server for end-to-end
# tests: it logs every request and answers what a file says. Perl core only.
#
#   policy_stub.pl --port PORT --log FILE --answer FILE [--delay-ms N]
#
# Listens on 127.0.0.1:PORT (HTTP/1.1, one process, select(2) over every
# connection). Each request, whatever its method and path, is logged as one
# JSON line to the --log file:
#   {"time":..., "method":"POST", "path":"/auth-policy",
#    "query":"command=allow", "command":"allow", "api_key":"...",
#    "body":{...the request's JSON, or null...}, "raw_body":"..."}
# and answered 200 with the --answer file's contents (read per request, so
# a test can change the answer between logins; {"status":0,"msg":""} when
# the file is missing). Connections are kept alive as HTTP/1.1 wants
# (Dovecot's http-client reuses them) unless the client sends
# "Connection: close" or speaks HTTP/1.0 without keep-alive.
#
# Bounds: 64 connections, 64 KiB of header, 1 MiB of body per request, a
# connection idle for 60 s is closed. Stopped by TERM or INT.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time sleep);
use JSON::PP;
use Getopt::Long;

my ($port, $log, $answer, $delay_ms) = (0, "", "", 0);
GetOptions("port=i" => \$port, "log=s" => \$log, "answer=s" => \$answer,
	"delay-ms=i" => \$delay_ms)
	and $port and $log or die "usage: $0 --port PORT --log FILE --answer FILE\n";

use constant {
	MAX_CONN => 64,
	MAX_HEADER => 64 * 1024,
	MAX_BODY => 1024 * 1024,
	IDLE_SECS => 60,
};

my $json = JSON::PP->new->canonical(1);
my $srv = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => $port,
	Proto => "tcp", Listen => 64, ReuseAddr => 1)
	or die "policy_stub: cannot listen on 127.0.0.1:$port: $!\n";
my $running = 1;
$SIG{TERM} = $SIG{INT} = sub { $running = 0 };
$SIG{PIPE} = "IGNORE";

open my $logfh, ">>", $log or die "policy_stub: $log: $!\n";
$logfh->autoflush(1);

my $sel = IO::Select->new($srv);
my %conn;    # fileno => { sock, in, last }

sub answer_text {
	my $text;
	if ($answer ne "" && open my $fh, "<", $answer) {
		local $/;
		$text = <$fh>;
		close $fh;
	}
	$text = qq({"status":0,"msg":""}) unless defined $text && $text =~ /\S/;
	$text =~ s/\s+\z//;
	return $text;
}

sub drop {
	my ($fd) = @_;
	my $c = delete $conn{$fd} or return;
	$sel->remove($c->{sock});
	close $c->{sock};
}

sub log_request {
	my ($method, $target, $hdr, $body) = @_;
	my ($path, $query) = split /\?/, $target, 2;
	$query //= "";
	my %q;
	for (split /&/, $query) {
		my ($k, $v) = split /=/, $_, 2;
		$q{$k} = $v // "" if defined $k && $k ne "";
	}
	my $decoded = eval { $json->decode($body) };
	my $rec = {
		time => sprintf("%.3f", time), method => $method, path => $path,
		query => $query, command => $q{command}, api_key => $hdr->{"x-api-key"},
		content_type => $hdr->{"content-type"},
		body => $decoded, raw_body => $body,
	};
	print $logfh $json->encode($rec), "\n";
}

# serve_buffered FD - answer every complete request in the connection's
# buffer; false when the connection must be closed.
sub serve_buffered {
	my ($fd) = @_;
	my $c = $conn{$fd};
	for (my $n = 0; $n < 1000; $n++) {
		my $end = index($c->{in}, "\r\n\r\n");
		if ($end < 0) {
			return length($c->{in}) <= MAX_HEADER;
		}
		my @lines = split /\r\n/, substr($c->{in}, 0, $end);
		my ($method, $target, $version) = split / /, shift(@lines) // "";
		return 0 unless defined $version && $version =~ m{^HTTP/1\.[01]$};
		my %hdr;
		for (@lines) {
			my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/ or return 0;
			$hdr{lc $k} = $v;
		}
		return 0 if ($hdr{"transfer-encoding"} // "") =~ /chunked/i;
		my $len = $hdr{"content-length"} // 0;
		return 0 unless $len =~ /^[0-9]{1,9}$/ && $len <= MAX_BODY;
		return 1 if length($c->{in}) < $end + 4 + $len;
		my $body = substr($c->{in}, $end + 4, $len);
		substr($c->{in}, 0, $end + 4 + $len) = "";
		log_request($method, $target, \%hdr, $body);
		sleep($delay_ms / 1000) if $delay_ms > 0;
		my $conn_hdr = lc($hdr{connection} // "");
		my $close = $conn_hdr eq "close" ||
			($version eq "HTTP/1.0" && $conn_hdr ne "keep-alive");
		my $out = answer_text();
		my $resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			. "Content-Length: " . length($out) . "\r\n"
			. ($close ? "Connection: close\r\n" : "Connection: keep-alive\r\n")
			. "\r\n" . $out;
		my $sent = 0;
		while ($sent < length $resp) {
			my $w = syswrite($c->{sock}, $resp, length($resp) - $sent, $sent);
			return 0 unless defined $w && $w > 0;
			$sent += $w;
		}
		return 0 if $close;
	}
	return 0;
}

while ($running) {
	my @ready = $sel->can_read(1);
	my $now = time;
	for my $s (@ready) {
		if ($s == $srv) {
			my $cl = $srv->accept or next;
			if (keys(%conn) >= MAX_CONN) { close $cl; next; }
			$conn{ fileno $cl } = { sock => $cl, in => "", last => $now };
			$sel->add($cl);
			next;
		}
		my $fd = fileno $s;
		my $c = $conn{$fd} or next;
		my $r = sysread($s, my $chunk, 65536);
		if (!$r) { drop($fd); next; }
		$c->{in} .= $chunk;
		$c->{last} = $now;
		drop($fd) unless serve_buffered($fd);
	}
	for my $fd (keys %conn) {
		drop($fd) if $now - $conn{$fd}{last} > IDLE_SECS;
	}
}
drop($_) for keys %conn;
close $srv;
exit 0;
