#!/usr/bin/env bash
# dovecot.sh - a private Dovecot 2.3 on loopback for end-to-end tests: IMAP
# and POP3 logins checked against a passwd-file, SASL for Postfix on a unix
# socket, and every login asked of an auth-policy server over HTTP (the
# stub in policy_stub.pl, or mailwarden itself). Sourced, never run; needs
# common.sh (sourced here).
#
# The instance lives under $E2E_DIR/dovecot: its configuration
# (dovecot.conf, `dovecot -c` and `doveadm -c` read it), its own base_dir
# (run/: master.pid, the login and auth sockets), state_dir (state/) and
# log (dovecot.log: errors, info and, with DC_DEBUG=1, the auth and policy
# debug lines). The system's /etc/dovecot is never read, started or changed.
# It runs as root with Debian's users dovecot (internal) and dovenull
# (login processes), like the packaged service.
#
#   dc_create                 write users file and configuration (ports drawn)
#   dc_add_user LOGIN PASS    add a user (before dc_start, or dc_reload after)
#   dc_start                  start, wait for both ports
#   dc_stop                   doveadm stop; KILL what is left (EXIT trap)
#   dc_reload                 doveadm reload (users file is re-read anyway)
#   dc_set_policy_url URL     point auth_policy_server_url elsewhere (restart)
#   dc_log [REGEX]            the log, or its lines matching REGEX
#   dc_wait_log REGEX [SECS]  wait for a log line
#   dc_imap_login USER PASS [REMOTE_IP]   imap.pl against our IMAP port
#                             (DC_IMAP_CLIENT: the ID "name", device_id)
#   dc_pop3_login USER PASS [REMOTE_IP]   imap.pl --pop3 (XCLIENT) likewise
#
#   policy_stub_start [PORT]  the stub auth-policy server on $PPOLICY
#   policy_stub_answer JSON   what it answers from now on ({"status":0,...})
#   policy_stub_stop          (EXIT trap)
#   policy_stub_seen FIELD=VALUE...   true when one logged request matched
#                             all (FIELD is query's "command", "api_key",
#                             or a key of the JSON body: login, remote,
#                             protocol, success, pwhash, ...); VALUE "*"
#                             means present and not empty
#   policy_stub_count FIELD=VALUE...  how many requests matched
#
# Settings, read by dc_create (set them before calling it):
#   DC_USERS        "login:password ..." (alice@example.jp:alice-pw-1 ...)
#   DC_PW_SCHEME    SHA512-CRYPT (made with perl's crypt(3)) or PLAIN
#   DC_POLICY_URL   auth_policy_server_url; default the stub's
#                   http://127.0.0.1:$PPOLICY/auth-policy; "" turns the
#                   auth policy off
#   DC_POLICY_KEY   the secret sent as "X-API-Key: ..." (empty: no header)
#   DC_POLICY_NONCE auth_policy_hash_nonce
#   DC_POLICY_ATTRS auth_policy_request_attributes (Dovecot's default plus
#                   local, real_remote, mech and secured)
#   DC_POLICY_BEFORE, DC_POLICY_AFTER, DC_POLICY_REPORT  yes/no
#   DC_FAILURE_DELAY auth_failure_delay (0: tests send many failures; a
#                   failure is still answered up to 0.5 s late, Dovecot
#                   checks its failure queue twice a second)
#   DC_AUTH_PENALTY no (default): Dovecot's own per-IP penalty (anvil: 2 s
#                   doubling up to 15 s per failure from one %{rip}) is off,
#                   so that the policy server's throttling is what a test
#                   sees; yes keeps it as a real site has it
#   DC_MAIL_BASE    maildirs: DC_MAIL_BASE/DOMAIN/USER (default
#                   $PF_MAILDIR_BASE when Postfix was created first, so that
#                   IMAP sees what Postfix delivered; else $E2E_DIR/mail)
#   DC_MAIL_UID, DC_MAIL_GID  owner of the maildirs (nobody)
#   DC_SASL_OWNER   the user that may connect to the SASL socket (postfix)
#   DC_DEBUG        1: auth_debug and auth_verbose (policy requests logged)
#   PIMAP, PPOP3, PPOLICY  ports; free ones are drawn when unset
# After dc_create: DC_DIR, DC_CONF, DC_LOG, DC_BASE (base_dir),
# DC_SASL_SOCKET (the absolute path for Postfix's smtpd_sasl_path),
# DC_PASSWD (the passwd-file).
#
# Login with a forwarded client address: login_trusted_networks is
# 127.0.0.0/8, so an IMAP client on loopback may send
# `ID ("x-originating-ip" "203.0.113.7")` before LOGIN and a POP3 client
# `XCLIENT ADDR=203.0.113.7`; Dovecot then treats that address as the
# client's (%{rip}: the policy request's "remote"), and %{real_rip} stays
# 127.0.0.1. Postfix sends the SMTP client's address (after its own
# XCLIENT) as rip in its SASL requests, and "smtp" as the service.

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DC_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DC_USERS=${DC_USERS:-alice@example.jp:alice-pw-1 bob@example.jp:bob-pw-2}
DC_PW_SCHEME=${DC_PW_SCHEME:-SHA512-CRYPT}
DC_POLICY_KEY=${DC_POLICY_KEY-e2e-policy-key-3b9c}
DC_POLICY_NONCE=${DC_POLICY_NONCE:-e2e-nonce-8d41f0a2c6}
# (Assigned in two steps: a "}" inside ${VAR:-...} would end the expansion.)
DC_POLICY_ATTRS_DEFAULT='login=%{requested_username} pwhash=%{hashed_password} remote=%{rip} device_id=%{client_id} protocol=%s session_id=%{session} local=%{lip} real_remote=%{real_rip} mech=%{mech} secured=%{secured}'
DC_POLICY_ATTRS=${DC_POLICY_ATTRS:-$DC_POLICY_ATTRS_DEFAULT}
DC_POLICY_BEFORE=${DC_POLICY_BEFORE:-yes}
DC_POLICY_AFTER=${DC_POLICY_AFTER:-yes}
DC_POLICY_REPORT=${DC_POLICY_REPORT:-yes}
DC_FAILURE_DELAY=${DC_FAILURE_DELAY:-0}
DC_AUTH_PENALTY=${DC_AUTH_PENALTY:-no}
DC_SASL_OWNER=${DC_SASL_OWNER:-postfix}
DC_DEBUG=${DC_DEBUG:-0}
DC_START_TIMEOUT=${DC_START_TIMEOUT:-20}
DC_STOP_TIMEOUT=${DC_STOP_TIMEOUT:-15}
DC_MASTER_PID=
POLICY_STUB_PID=

# dc_create - the instance's directories, users and configuration.
dc_create() {
	local entry
	[ -n "${E2E_DIR:-}" ] || e2e_die "dc_create: call e2e_init first"
	command -v dovecot >/dev/null || e2e_die "dovecot not installed (make deps)"
	if ! getent passwd dovecot >/dev/null || ! getent passwd dovenull >/dev/null; then
		e2e_die "dc_create: users dovecot/dovenull missing (dovecot-core)"
	fi
	[ -n "${PIMAP:-}" ] || e2e_free_ports PIMAP
	[ -n "${PPOP3:-}" ] || e2e_free_ports PPOP3
	[ -n "${PPOLICY:-}" ] || e2e_free_ports PPOLICY
	DC_POLICY_URL=${DC_POLICY_URL-http://127.0.0.1:$PPOLICY/auth-policy}
	DC_MAIL_UID=${DC_MAIL_UID:-$(id -u nobody)}
	DC_MAIL_GID=${DC_MAIL_GID:-$(id -g nobody)}
	DC_DIR=$E2E_DIR/dovecot
	DC_CONF=$DC_DIR/dovecot.conf
	DC_LOG=$DC_DIR/dovecot.log
	DC_BASE=$DC_DIR/run
	DC_PASSWD=$DC_DIR/passwd
	DC_SASL_SOCKET=$DC_BASE/auth-postfix
	DC_MAIL_BASE=${DC_MAIL_BASE:-${PF_MAILDIR_BASE:-$E2E_DIR/mail}}
	mkdir -p "$DC_DIR" "$DC_BASE" "$DC_DIR/state" "$DC_MAIL_BASE" ||
		e2e_die "dc_create: cannot make $DC_DIR"
	# Postfix (user postfix) must reach the SASL socket in base_dir; the
	# mail processes (DC_MAIL_UID) must reach the maildirs.
	chmod 0755 "$DC_DIR" "$DC_BASE"
	chown "$DC_MAIL_UID:$DC_MAIL_GID" "$DC_MAIL_BASE"
	: >"$DC_LOG"
	# The passwd-file is read by the auth worker (user dovecot): root's,
	# group dovecot, not world-readable.
	: >"$DC_PASSWD"
	chown root:dovecot "$DC_PASSWD"
	chmod 0640 "$DC_PASSWD"
	for entry in $DC_USERS; do
		dc_add_user "${entry%%:*}" "${entry#*:}"
	done
	dc_write_conf
	e2e_on_exit dc_stop
	doveconf -c "$DC_CONF" -n >/dev/null 2>"$DC_DIR/doveconf.err" ||
		e2e_die "dc_create: doveconf: $(cat "$DC_DIR/doveconf.err")"
}

# dc_pw_hash PASSWORD - the passwd-file's password field in DC_PW_SCHEME.
# SHA512-CRYPT is glibc's crypt(3) "$6$", what `doveadm pw -s
# SHA512-CRYPT` makes; perl makes it without a doveadm process per user.
dc_pw_hash() {
	case $DC_PW_SCHEME in
	PLAIN) printf '{PLAIN}%s' "$1" ;;
	SHA512-CRYPT)
		perl -e '
			my @c = ("a".."z", "A".."Z", "0".."9", ".", "/");
			my $salt = join "", map { $c[int rand @c] } 1 .. 16;
			my $h = crypt($ARGV[0], "\$6\$$salt\$");
			defined $h && $h =~ /^\$6\$/ or exit 1;
			print "{SHA512-CRYPT}$h";' "$1"
		;;
	*) doveadm pw -s "$DC_PW_SCHEME" -p "$1" ;;
	esac
}

# dc_add_user LOGIN PASSWORD - add (or replace) a passwd-file line. The
# passwd-file is re-read when it changes: no reload is needed.
dc_add_user() {
	local hash tmp
	case $1$2 in *:* | *$'\n'*) e2e_die "dc_add_user: no ':' or newline in '$1'" ;; esac
	hash=$(dc_pw_hash "$2") || e2e_die "dc_add_user: cannot hash the password of $1"
	tmp=$DC_PASSWD.new
	grep -v -F -- "$1:" "$DC_PASSWD" >"$tmp" 2>/dev/null
	printf '%s:%s::::::\n' "$1" "$hash" >>"$tmp"
	chown root:dovecot "$tmp"
	chmod 0640 "$tmp"
	mv -f "$tmp" "$DC_PASSWD"
}

# dc_set_password LOGIN PASSWORD - a password change (same as dc_add_user).
dc_set_password() {
	dc_add_user "$@"
}

dc_write_conf() {
	local policy="" debug="" penalty=""
	if [ -n "$DC_POLICY_URL" ]; then
		policy="auth_policy_server_url = $DC_POLICY_URL
auth_policy_hash_nonce = $DC_POLICY_NONCE
auth_policy_hash_mech = sha256
auth_policy_request_attributes = $DC_POLICY_ATTRS
auth_policy_check_before_auth = $DC_POLICY_BEFORE
auth_policy_check_after_auth = $DC_POLICY_AFTER
auth_policy_report_after_auth = $DC_POLICY_REPORT
auth_policy_reject_on_fail = no
auth_policy_server_timeout_msecs = 2000"
		[ -n "$DC_POLICY_KEY" ] &&
			policy="$policy
auth_policy_server_api_header = X-API-Key: $DC_POLICY_KEY"
	fi
	if [ "$DC_DEBUG" = 1 ]; then
		debug="auth_debug = yes
auth_verbose = yes
log_debug = category=policy"
	fi
	# A listener with mode 0 is not created: auth then cannot reach
	# anvil's penalty socket and skips the penalty (auth-penalty.c).
	if [ "$DC_AUTH_PENALTY" != yes ]; then
		penalty="service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}"
	fi
	cat >"$DC_CONF" <<EOF
# Private test instance written by tests/e2e/lib/dovecot.sh: loopback only,
# plaintext logins, a passwd-file, every login asked of the auth policy.
base_dir = $DC_BASE
state_dir = $DC_DIR/state
instance_name = mw-e2e-dovecot
log_path = $DC_LOG
info_log_path = $DC_LOG
debug_log_path = $DC_LOG
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
login_trusted_networks = 127.0.0.0/8
# The IMAP ID's keys that are not x-* (name, version, ...) become
# %{client_id}, the policy request's device_id.
imap_id_retain = yes
shutdown_clients = yes
first_valid_uid = 1
mail_location = maildir:$DC_MAIL_BASE/%d/%n
mail_uid = $DC_MAIL_UID
mail_gid = $DC_MAIL_GID
mail_home = $DC_MAIL_BASE/%d/%n

# Tests send many failures in a row and want each one to reach the policy
# server: no delay after a failure, and no cache (negative or positive).
auth_failure_delay = $DC_FAILURE_DELAY
auth_cache_size = 0
auth_cache_negative_ttl = 0
$policy
$debug

passdb {
  driver = passwd-file
  args = scheme=$DC_PW_SCHEME username_format=%u $DC_PASSWD
}
userdb {
  driver = static
  args = uid=$DC_MAIL_UID gid=$DC_MAIL_GID home=$DC_MAIL_BASE/%d/%n
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PIMAP
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $PPOP3
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  # Postfix's smtpd (user $DC_SASL_OWNER) asks here: smtpd_sasl_type =
  # dovecot, smtpd_sasl_path = $DC_SASL_SOCKET.
  unix_listener ${DC_SASL_SOCKET##*/} {
    mode = 0660
    user = $DC_SASL_OWNER
    group = $DC_SASL_OWNER
  }
}
$penalty
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0660
  }
}
EOF
	chmod 0644 "$DC_CONF"
}

# dc_master_pid - the instance's master pid, from base_dir/master.pid.
dc_master_pid() {
	local f=$DC_BASE/master.pid pid
	[ -r "$f" ] || return 1
	read -r pid <"$f" || return 1
	[ -n "$pid" ] || return 1
	echo "$pid"
}

dc_running() {
	local pid
	pid=$(dc_master_pid) && e2e_pid_alive "$pid"
}

# dc_start - start the instance (it daemonizes) and wait for both ports.
dc_start() {
	local out=$DC_DIR/start.out
	dc_running && return 0
	if ! dovecot -c "$DC_CONF" >"$out" 2>&1; then
		cat "$out" "$DC_LOG" >&2
		e2e_die "dc_start: dovecot failed to start (log: $DC_LOG)"
	fi
	if ! { e2e_wait_port "$PIMAP" "$DC_START_TIMEOUT" &&
		e2e_wait_port "$PPOP3" "$DC_START_TIMEOUT" &&
		e2e_wait_until "$DC_START_TIMEOUT" test -S "$DC_SASL_SOCKET"; }; then
		tail -n 20 "$DC_LOG" >&2
		e2e_die "dc_start: ports $PIMAP/$PPOP3 not listening after ${DC_START_TIMEOUT}s"
	fi
	DC_MASTER_PID=$(dc_master_pid)
}

# dc_stop - stop the instance, wait for the master and for every process
# it started (its children carry its pid as parent); KILL what is left.
# Idempotent; called by the EXIT trap.
dc_stop() {
	local pid kids k
	pid=$(dc_master_pid 2>/dev/null) || pid=${DC_MASTER_PID:-}
	[ -n "$pid" ] || return 0
	if e2e_pid_alive "$pid"; then
		kids=$(pgrep -P "$pid" | tr '\n' ' ')
		timeout 10 doveadm -c "$DC_CONF" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
		if ! e2e_wait_until "$DC_STOP_TIMEOUT" e2e_pid_gone "$pid"; then
			e2e_log "dc_stop: master $pid still alive, killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
		# The master stops its children itself; these are bounded
		# leftovers, by pid.
		for k in $kids; do e2e_kill_pid "$k" 3; done
	fi
	DC_MASTER_PID=
	return 0
}

# dc_reload - re-read the configuration (asynchronous, like Postfix's).
dc_reload() {
	timeout 10 doveadm -c "$DC_CONF" reload >/dev/null 2>&1
}

# dc_restart - stop and start: for a change that must hold at once.
dc_restart() {
	dc_stop
	dc_start
}

# dc_set_policy_url URL - point the auth policy at URL (for instance
# mailwarden's http_listen) and restart if running.
dc_set_policy_url() {
	DC_POLICY_URL=$1
	dc_write_conf
	if dc_running; then dc_restart; fi
}

# dc_log [REGEX] - the instance's log, or its lines matching REGEX.
dc_log() {
	if [ $# -eq 0 ]; then cat "$DC_LOG"; else grep -E -- "$1" "$DC_LOG"; fi
}

# dc_wait_log REGEX [SECONDS] - wait for a log line (default 10 s).
dc_wait_log() {
	e2e_wait_until "${2:-10}" grep -Eq -- "$1" "$DC_LOG"
}

# dc_imap_login USER PASS [REMOTE_IP] - one IMAP login (imap.pl prints
# the server's answer; exit 0 accepted, 1 refused, 2 error). DC_IMAP_CLIENT
# names the client in the ID (the policy's device_id; default mw-e2e).
dc_imap_login() {
	perl "$DC_LIB_DIR/imap.pl" --id-name "${DC_IMAP_CLIENT:-mw-e2e}" \
		127.0.0.1 "$PIMAP" "$@"
}

# dc_pop3_login USER PASS [REMOTE_IP] - one POP3 login (XCLIENT).
dc_pop3_login() {
	perl "$DC_LIB_DIR/imap.pl" --pop3 127.0.0.1 "$PPOP3" "$@"
}

# dc_dump_diagnostics - what a failing test prints.
dc_dump_diagnostics() {
	{
		echo "--- last 40 lines of $DC_LOG"
		tail -n 40 "$DC_LOG"
	} >&2
}

# --- the stub auth-policy server -----------------------------------------

# policy_stub_start [PORT] - start policy_stub.pl on 127.0.0.1:PORT (default
# $PPOLICY), logging every request to $POLICY_STUB_LOG (JSON Lines) and
# answering with the contents of $POLICY_STUB_ANSWER, read per request.
policy_stub_start() {
	local port=${1:-${PPOLICY:-}}
	[ -n "$port" ] || e2e_free_ports PPOLICY
	port=${port:-$PPOLICY}
	POLICY_STUB_LOG=$E2E_DIR/policy-stub.jsonl
	POLICY_STUB_ANSWER=$E2E_DIR/policy-stub.answer
	: >"$POLICY_STUB_LOG"
	[ -f "$POLICY_STUB_ANSWER" ] || printf '{"status":0,"msg":""}\n' >"$POLICY_STUB_ANSWER"
	perl "$DC_LIB_DIR/policy_stub.pl" --port "$port" --log "$POLICY_STUB_LOG" \
		--answer "$POLICY_STUB_ANSWER" >>"$E2E_DIR/policy-stub.err" 2>&1 &
	POLICY_STUB_PID=$!
	e2e_on_exit policy_stub_stop
	e2e_wait_port "$port" 10 ||
		e2e_die "policy_stub_start: not listening on $port: $(cat "$E2E_DIR/policy-stub.err")"
}

# policy_stub_answer JSON - the stub's answer to every request from now on.
policy_stub_answer() {
	printf '%s\n' "$1" >"$POLICY_STUB_ANSWER.new" &&
		mv -f "$POLICY_STUB_ANSWER.new" "$POLICY_STUB_ANSWER"
}

policy_stub_stop() {
	[ -n "$POLICY_STUB_PID" ] || return 0
	e2e_kill_pid "$POLICY_STUB_PID" 5
	wait "$POLICY_STUB_PID" 2>/dev/null
	POLICY_STUB_PID=
}

# policy_stub_count FIELD=VALUE... - requests in the stub's log matching
# every FIELD=VALUE (see the top of this file).
policy_stub_count() {
	perl -MJSON::PP -e '
		my ($log, @want) = @ARGV;
		open my $fh, "<", $log or do { print "0\n"; exit 0 };
		my $n = 0;
		REQ: while (my $line = <$fh>) {
			my $r = eval { JSON::PP->new->decode($line) } or next;
			my %f = (command => $r->{command}, api_key => $r->{api_key},
				path => $r->{path});
			if (ref $r->{body} eq "HASH") {
				while (my ($k, $v) = each %{ $r->{body} }) {
					$v = $v ? "true" : "false" if JSON::PP::is_bool($v);
					$f{$k} = $v;
				}
			}
			for (@want) {
				my ($k, $v) = split /=/, $_, 2;
				my $have = $f{$k};
				next REQ unless defined $have;
				if ($v eq "*") { next REQ if $have eq "" }
				else { next REQ unless $have eq $v }
			}
			$n++;
		}
		print "$n\n";' "$POLICY_STUB_LOG" "$@"
}

policy_stub_seen() {
	[ "$(policy_stub_count "$@")" -gt 0 ]
}

# policy_stub_wait_seen SECONDS FIELD=VALUE... - wait for such a request
# (a report is sent after the client already has its answer).
policy_stub_wait_seen() {
	local secs=$1
	shift
	e2e_wait_until "$secs" policy_stub_seen "$@"
}
