#!/usr/bin/env bash
# demo_lib.sh - what scripts/demo.sh and scripts/demo-stop.sh share: where
# the demo lives, the record of what it started, stopping it, and the small
# tools the story needs (an SMTP client that presents remote addresses with
# XCLIENT, message templates, decoded headers). Sourced, never run.
#
# The demo builds on the end-to-end harness (tests/e2e/lib/*.sh, read-only
# here): the same private Postfix instance, smtp-sink and mailwarden
# configuration. Unlike a test it must outlive the script that started it,
# so it does not use e2e_init (whose EXIT trap takes everything down):
# E2E_DIR is the fixed demo directory, and smtp-sink and mailwarden are
# started in sessions of their own (setsid), detached from the terminal,
# with their pids recorded in $DEMO_DIR/demo.env for demo-stop.sh.
# Postfix and Dovecot detach themselves; their masters' pids are recorded
# the same way (and each also has its pid file under the demo directory).
#
# Everything listens on 127.0.0.1 only.

DEMO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${DEMO_DIR:-$DEMO_REPO/build/demo}
DEMO_ENV=$DEMO_DIR/demo.env

# postfix_sasl.sh sources postfix.sh; dovecot.sh, the private Dovecot.
# shellcheck source-path=SCRIPTDIR/.. source=../tests/e2e/lib/postfix_sasl.sh
. "$DEMO_REPO/tests/e2e/lib/postfix_sasl.sh"
# shellcheck source=../tests/e2e/lib/sink.sh
. "$DEMO_REPO/tests/e2e/lib/sink.sh"
# shellcheck source=../tests/e2e/lib/dovecot.sh
. "$DEMO_REPO/tests/e2e/lib/dovecot.sh"

E2E_NAME=demo

# Japanese text is cut (demo_indent) by characters, not bytes: under a
# locale that is not UTF-8 (POSIX, as root over ssh), use C.UTF-8.
case $(locale charmap 2>/dev/null) in
UTF-8) ;;
*) export LC_ALL=C.UTF-8 ;;
esac

# -- output ---------------------------------------------------------------

if [ -t 1 ]; then
	DEMO_B=$'\033[1m' DEMO_DIM=$'\033[2m' DEMO_OFF=$'\033[0m'
else
	DEMO_B='' DEMO_DIM='' DEMO_OFF=''
fi

# demo_section TITLE - a numbered heading.
DEMO_SECTION=0
demo_section() {
	DEMO_SECTION=$((DEMO_SECTION + 1))
	printf '\n%s== %d. %s%s\n' "$DEMO_B" "$DEMO_SECTION" "$*" "$DEMO_OFF"
}

# demo_say TEXT... - a line of the story.
demo_say() {
	printf '   %s\n' "$*"
}

# demo_show TEXT... - a line of evidence (what a program printed).
demo_show() {
	printf '   %s| %s%s\n' "$DEMO_DIM" "$*" "$DEMO_OFF"
}

# demo_indent - evidence from a pipe, each line cut to 130 characters.
demo_indent() {
	local line
	while IFS= read -r line; do
		demo_show "${line:0:130}"
	done
}

# demo_wrap COLUMNS - wrap a pipe's UTF-8 lines to COLUMNS terminal
# columns (a Japanese character takes two), after a space or a Japanese
# comma or full stop when there is one, never inside a character.
demo_wrap() {
	perl -CS -Mutf8 -e '
		my $cols = $ARGV[0];
		while (my $l = <STDIN>) {
			chomp $l;
			while (length $l) {
				my ($w, $i, $brk) = (0, 0, -1);
				for (; $i < length $l; $i++) {
					my $c = substr($l, $i, 1);
					my $cw = $c =~ /\p{EA=W}|\p{EA=F}/ ? 2 : 1;
					last if $w + $cw > $cols;
					$w += $cw;
					$brk = $i + 1 if $c =~ /[ 、。,]/;
				}
				my $cut = $i >= length $l ? $i : $brk > 0 ? $brk : $i;
				$cut = 1 if $cut < 1;
				print substr($l, 0, $cut) =~ s/ +\z//r, "\n";
				$l = substr($l, $cut) =~ s/\A +//r;
			}
		}' "$1"
}

# -- the record of what runs ---------------------------------------------

# demo_starttime PID - the process's start time in clock ticks since boot
# (field 22 of /proc/PID/stat): with the pid it names one process, even
# after the pid is reused.
demo_starttime() {
	local line rest
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	rest=${line##*) }
	# rest starts at field 3 (state); field 22 is the 20th word of it.
	local -a st
	read -r -a st <<<"$rest"
	echo "${st[19]}"
}

# demo_is PID STARTTIME COMM - true when PID is alive, started at
# STARTTIME and runs a program named COMM (as /proc/PID/comm gives it).
demo_is() {
	local pid=$1 start=$2 comm=$3 c
	[ -n "$pid" ] && [ -n "$start" ] || return 1
	e2e_pid_alive "$pid" || return 1
	[ "$(demo_starttime "$pid")" = "$start" ] || return 1
	read -r c 2>/dev/null <"/proc/$pid/comm" || return 1
	[ "$c" = "$comm" ]
}

# demo_record - write demo.env: ports, paths and the pids (with their
# start times) of what this run started. Sourced by demo-stop.sh.
demo_record() {
	local tmp=$DEMO_ENV.tmp v
	{
		echo "# written by scripts/demo.sh; read by scripts/demo-stop.sh"
		for v in DEMO_STARTED P25 P587 PSINK PM PHTTP PIMAP PPOP3 E2E_DIR \
			PF_CONF PF_QUEUE PF_LOG PF_MAILDIR_BASE MW_DIR MW_CONF MW_LOG \
			MW_DB MW_KEYS MW_BIN MW_USER SINK_DIR SINK_COUNTERS \
			DC_DIR DC_CONF DC_LOG DC_BASE DC_PASSWD PF_MASTER_PID \
			PF_MASTER_START MW_PID MW_START SINK_PID SINK_START \
			DC_MASTER_PID DC_MASTER_START; do
			printf '%s=%q\n' "$v" "${!v:-}"
		done
	} >"$tmp" && mv -f "$tmp" "$DEMO_ENV"
}

# demo_load - read demo.env into this shell; false when there is none.
demo_load() {
	[ -r "$DEMO_ENV" ] || return 1
	# shellcheck disable=SC1090
	. "$DEMO_ENV" || return 1
	export E2E_DIR
}

# demo_running - true when anything the recorded run started still runs.
demo_running() {
	demo_is "${PF_MASTER_PID:-}" "${PF_MASTER_START:-}" master ||
		demo_is "${DC_MASTER_PID:-}" "${DC_MASTER_START:-}" dovecot ||
		demo_is "${MW_PID:-}" "${MW_START:-}" mailwarden ||
		demo_is "${SINK_PID:-}" "${SINK_START:-}" smtp-sink
}

# demo_dc_master - the pid of our Dovecot's master, from the pid file in
# its own base_dir, when that process is alive and is a dovecot.
demo_dc_master() {
	local pid c
	[ -n "${DC_BASE:-}" ] || return 1
	pid=$(dc_master_pid 2>/dev/null) || return 1
	e2e_pid_alive "$pid" || return 1
	read -r c 2>/dev/null <"/proc/$pid/comm" || return 1
	[ "$c" = dovecot ] && echo "$pid"
}

# demo_dc_stop - stop our Dovecot: `doveadm -c OUR_CONF stop`, bounded,
# then KILL for the master and what it started that is left (dc_stop,
# tests/e2e/lib/dovecot.sh). Only the instance of our configuration: its
# master is found by its pid file in our base_dir, or the recorded pid.
demo_dc_stop() {
	local pid
	if demo_is "${DC_MASTER_PID:-}" "${DC_MASTER_START:-}" dovecot; then
		pid=$DC_MASTER_PID
	elif pid=$(demo_dc_master); then
		# A master this script did not record (a run cut short between
		# dc_start and demo_record).
		:
	else
		return 0
	fi
	echo "stopping Dovecot (master pid $pid)"
	DC_MASTER_PID=$pid
	dc_stop
	e2e_pid_gone "$pid"
}

# demo_stop_all - stop what the recorded run started, each by its own pid
# (Postfix by its master and the master's process group), each step
# bounded: Postfix first, so that no new mail reaches mailwarden; then
# Dovecot (doveadm stop, then KILL for what is left); then mailwarden
# (SIGTERM: it finishes the transactions in flight and flushes its
# store); the sink last. Removes no file.
demo_stop_all() {
	local pid
	if demo_is "${PF_MASTER_PID:-}" "${PF_MASTER_START:-}" master; then
		echo "stopping Postfix (master pid $PF_MASTER_PID)"
		pf_stop
	elif [ -n "${PF_QUEUE:-}" ] && pid=$(pf_master_pid 2>/dev/null) &&
		e2e_pid_alive "$pid"; then
		# A master this script did not record (a run cut short between
		# pf_start and demo_record): its pid file is in our queue.
		echo "stopping Postfix (master pid $pid, from its pid file)"
		pf_stop
	fi
	# Dovecot after Postfix (its smtpd asks Dovecot's SASL), before
	# mailwarden (Dovecot's auth asks mailwarden's auth-policy).
	demo_dc_stop
	if demo_is "${MW_PID:-}" "${MW_START:-}" mailwarden; then
		echo "stopping mailwarden (pid $MW_PID)"
		# It waits up to 30 s for transactions in flight (docs/daemon.md).
		e2e_kill_pid "$MW_PID" 40
	fi
	if demo_is "${SINK_PID:-}" "${SINK_START:-}" smtp-sink; then
		echo "stopping smtp-sink (pid $SINK_PID)"
		e2e_kill_pid "$SINK_PID" 5
	fi
	! demo_running
}

# -- starting the peers, detached -----------------------------------------

# demo_sink_start - smtp-sink on $PSINK in a session of its own, dumping
# each transaction under $SINK_DIR (the envelope first, as sink.sh says).
demo_sink_start() {
	SINK_DIR=$E2E_DIR/sink
	SINK_COUNTERS=$E2E_DIR/sink.counters
	if ! mkdir -p "$SINK_DIR" || ! chown nobody "$SINK_DIR"; then
		e2e_die "cannot make $SINK_DIR"
	fi
	# Not a process group leader (no job control here), so setsid makes
	# the new session in this very process: $! is smtp-sink's pid.
	setsid smtp-sink -4 -c -u nobody -h sink.example.net -m 512 \
		-d "$SINK_DIR/msg." "127.0.0.1:$PSINK" 512 \
		</dev/null >"$SINK_COUNTERS" 2>"$E2E_DIR/sink.err" &
	SINK_PID=$!
	e2e_wait_port "$PSINK" 10 ||
		e2e_die "smtp-sink is not listening on $PSINK: $(cat "$E2E_DIR/sink.err")"
	SINK_START=$(demo_starttime "$SINK_PID")
	demo_is "$SINK_PID" "$SINK_START" smtp-sink ||
		e2e_die "smtp-sink's pid is not $SINK_PID"
}

# demo_mw_start - `mailwarden serve` in a session of its own, its output
# appended to $MW_LOG; waits until it says it serves.
demo_mw_start() {
	printf -- '--- demo: start at %s\n' "$(date -u +%FT%TZ)" >>"$MW_LOG"
	setsid "$MW_BIN" serve -c "$MW_CONF" </dev/null >>"$MW_LOG" 2>&1 &
	MW_PID=$!
	MW_RUNS=1
	if ! e2e_wait_until 15 mw_serving; then
		tail -n 20 "$MW_LOG" >&2
		e2e_die "mailwarden is not serving on $PM after 15 s"
	fi
	MW_START=$(demo_starttime "$MW_PID")
	demo_is "$MW_PID" "$MW_START" mailwarden ||
		e2e_die "mailwarden's pid is not $MW_PID"
}

# -- SMTP -----------------------------------------------------------------

# demo_smtp JOBFILE RESULTFILE [SECONDS] - run SMTP transactions against the
# private Postfix and write one result line per message. JOBFILE lines,
# tab-separated:
#   S  PORT  ADDR|-  NAME|-        a new session; with ADDR, XCLIENT presents
#                                  that client address (and NAME) to Postfix
#                                  and so to mailwarden
#   M  FROM  RCPT[,RCPT]  FILE  LABEL   one message (FROM may be empty: <>)
# RESULTFILE lines: LABEL TAB STAGE TAB CODE TAB TEXT, STAGE being where
# the transaction ended: mail, rcpt, data, eod (its reply after the final
# dot), or conn (no session). Every read waits 30 s at most and the whole
# run stops after SECONDS (default 90): what is left is reported as
# "skipped". Line ends become CRLF and leading dots are doubled.
demo_smtp() {
	perl -e '
use strict;
use warnings;
use IO::Socket::INET;
$SIG{PIPE} = "IGNORE";
my ($jobfile, $outfile, $budget) = @ARGV;
my $deadline = time + ($budget || 90);
open my $J, "<", $jobfile or die "$jobfile: $!\n";
open my $O, ">", $outfile or die "$outfile: $!\n";
$O->autoflush(1);
my ($sock, $serr) = (undef, "no session");

sub reply {
	return (0, "no connection") unless $sock;
	my $wait = $deadline - time;
	$wait = 1 if $wait < 1;
	$wait = 30 if $wait > 30;
	my @lines;
	eval {
		local $SIG{ALRM} = sub { die "timeout\n" };
		alarm $wait;
		while (my $l = <$sock>) {
			$l =~ s/\r?\n\z//;
			push @lines, $l;
			last if $l =~ /^\d{3}(?: |\z)/ || @lines >= 50;
		}
		alarm 0;
	};
	alarm 0;
	my $why = $@ ? "timeout" : "connection closed";
	return (0, $why) unless @lines && $lines[-1] =~ /^(\d{3})/;
	my $code = $1;
	my $text = join " / ", map { (my $x = $_) =~ s/^\d{3}[ -]?//; $x } @lines;
	return ($code, $text);
}

sub command {
	my ($line) = @_;
	return (0, "no connection") unless $sock;
	print {$sock} "$line\r\n" or return (0, "write failed");
	return reply();
}

sub session {
	my ($port, $addr, $name) = @_;
	if ($sock) { command("QUIT"); close $sock; undef $sock; }
	$sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port,
		Proto => "tcp", Timeout => 10) or return "connect: $!";
	binmode $sock;
	$sock->autoflush(1);
	my ($c, $t) = reply();
	return "greeting: $c $t" unless $c == 220;
	($c, $t) = command("EHLO client.demo.example");
	return "EHLO: $c $t" unless $c == 250;
	return "" if $addr eq "-";
	my $n = $name eq "-" ? "[UNAVAILABLE]" : $name;
	($c, $t) = command("XCLIENT ADDR=$addr NAME=$n");
	return "XCLIENT: $c $t" unless $c == 220;
	($c, $t) = command("EHLO " . ($name eq "-" ? "[$addr]" : $name));
	return "EHLO after XCLIENT: $c $t" unless $c == 250;
	return "";
}

sub result { print {$O} join("\t", @_), "\n"; }

sub message {
	my ($from, $rcpts, $file, $label) = @_;
	return result($label, "conn", 0, $serr) if $serr ne "";
	my ($c, $t) = command("MAIL FROM:<$from>");
	if ($c != 250) { command("RSET"); return result($label, "mail", $c, $t); }
	my ($ok, @refused) = (0);
	for my $r (split /,/, $rcpts) {
		($c, $t) = command("RCPT TO:<$r>");
		if ($c =~ /^2/) { $ok++ } else { push @refused, [$c, $t] }
	}
	result($label, "rcpt", @$_) for @refused;
	unless ($ok) { command("RSET"); return; }
	($c, $t) = command("DATA");
	if ($c != 354) { command("RSET"); return result($label, "data", $c, $t); }
	open my $F, "<:raw", $file or do {
		print {$sock} ".\r\n"; reply();
		return result($label, "data", 0, "$file: $!");
	};
	my $msg = do { local $/; <$F> };
	close $F;
	$msg =~ s/\r?\n/\r\n/g;
	$msg .= "\r\n" unless $msg =~ /\r\n\z/;
	$msg =~ s/^\./../mg;
	print {$sock} $msg, ".\r\n" or return result($label, "eod", 0, "write failed");
	($c, $t) = reply();
	$serr = "session lost ($t)" if $c == 0;
	result($label, "eod", $c, $t);
}

my $lines = 0;
while (my $job = <$J>) {
	last if ++$lines > 100000;
	chomp $job;
	my @f = split /\t/, $job, -1;
	if (time > $deadline) {
		result($f[4] // "-", "conn", 0, "skipped: out of time") if $f[0] eq "M";
		next;
	}
	if ($f[0] eq "S") {
		$serr = session($f[1], $f[2] // "-", $f[3] // "-");
	} elsif ($f[0] eq "M") {
		message($f[1], $f[2], $f[3], $f[4]);
	}
}
if ($sock) { command("QUIT"); close $sock; }
' "$1" "$2" "${3:-90}"
}

# demo_fill TEMPLATE OUT - copy a template, replacing each @NAME@ for which
# the environment has T_NAME (byte for byte: ISO-2022-JP templates stay
# intact; any other @...@ is left alone).
demo_fill() {
	perl -e '
		local $/;
		open my $in, "<:raw", $ARGV[0] or die "$ARGV[0]: $!\n";
		my $t = <$in>;
		$t =~ s/\@([A-Z_]+)\@/exists $ENV{"T_$1"} ? $ENV{"T_$1"} : "\@$1\@"/ge;
		open my $out, ">:raw", $ARGV[1] or die "$ARGV[1]: $!\n";
		print {$out} $t;
	' "$1" "$2"
}

# demo_header FILE NAME - the first NAME: field of FILE's header, unfolded
# and decoded (RFC 2047, any charset Encode knows) to UTF-8.
demo_header() {
	perl -MEncode -e '
		my ($file, $name) = @ARGV;
		open my $f, "<:raw", $file or exit 1;
		my ($cur, $val) = ("", undef);
		while (my $l = <$f>) {
			$l =~ s/\r?\n\z//;
			last if $l eq "";
			if ($l =~ /^[ \t]/) { $val .= " " . ($l =~ s/^\s+//r) if $cur; next; }
			last if $cur;
			if ($l =~ /^\Q$name\E:\s*(.*)/i) { $cur = 1; $val = $1; }
		}
		exit 1 unless defined $val;
		my $d = eval { decode("MIME-Header", $val) } // $val;
		print encode("UTF-8", $d), "\n";
	' "$1" "$2"
}

# demo_body FILE LINES - the first LINES non-empty lines of a message's
# body (the digest is UTF-8 text/plain, 8bit).
demo_body() {
	awk -v n="$2" 'body && NF { print; if (++k >= n) exit } /^\r?$/ { body = 1 }' "$1" |
		tr -d '\r'
}

# demo_queue_id REPLY - "queued as X" in a 250 reply, or nothing.
demo_queue_id() {
	sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$1"
}

# demo_notice_body FILE LINES - the first LINES non-empty lines of a
# guard notice's text (docs/notices.md: one text/plain part, UTF-8,
# base64), decoded.
demo_notice_body() {
	perl -MMIME::Base64 -e '
		my ($file, $n) = @ARGV;
		open my $f, "<:raw", $file or exit 1;
		my ($head, $b64) = (1, "");
		while (my $l = <$f>) {
			$l =~ s/\r?\n\z//;
			if ($head) { $head = 0 if $l eq ""; next; }
			$b64 .= $l;
		}
		my $k = 0;
		for (split /\r?\n/, decode_base64($b64)) {
			next unless /\S/;
			print "$_\n";
			last if ++$k >= $n;
		}
	' "$1" "$2"
}
