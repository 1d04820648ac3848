#!/usr/bin/env bash
# postfix.sh - a private Postfix instance on loopback for end-to-end tests
# and benchmarks. Sourced, never run; needs common.sh (sourced here).
#
# The instance lives entirely under $E2E_DIR/postfix: its own
# config_directory (etc/), queue_directory (queue/), data_directory (data/)
# and log (maillog, written by postlogd through maillog_file, so no syslog
# is needed). It shares only the programs with the system; the system-wide
# /etc/postfix instance is never read, started or changed: the
# postfix-script skips the shared-file checks for a non-default
# config_directory, and nothing here calls set-permissions.
#
#   port $P25    MX-like smtpd (milter_macro_daemon_name = $myhostname)
#   port $P587   submission smtpd (milter_macro_daemon_name = ORIGINATING,
#                no SASL yet)
#   port $PSINK  where every non-local domain is relayed (relayhost); the
#                test starts smtp-sink there (sink.sh)
#
# The local domain ($PF_DOMAIN) has one maildir per user under
# $E2E_DIR/mail/DOMAIN/USER/, delivered by virtual(8) as $PF_MAIL_UID.
# No DNS is used: relayhost is an address literal, the SMTP client's DNS
# support is off, and smtpd does not look client names up.
#
# Settings, read by pf_create (set them before calling it):
#   PF_DOMAIN                local domain (example.jp)
#   PF_USERS                 its mailboxes' local parts ("alice bob")
#   PF_MYNETWORKS            trusted clients (127.0.0.0/8); "" trusts none
#   PF_MILTER                smtpd_milters, e.g. inet:127.0.0.1:PORT; empty:
#                            no milter at all
#   PF_MILTER_DEFAULT_ACTION milter_default_action (tempfail)
#   PF_SUBMISSION_RELAY      smtpd_relay_restrictions on the submission port
#                            (permit_mynetworks,permit_sasl_authenticated,reject)
#   PF_MAIL_UID, PF_MAIL_GID owner of the maildirs (nobody's uid and gid)
#   P25, P587, PSINK         ports; free ones are drawn when unset
# After pf_create: PF_CONF (the config_directory), PF_QUEUE, PF_LOG,
# PF_MAILDIR_BASE.

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PF_DOMAIN=${PF_DOMAIN:-example.jp}
PF_USERS=${PF_USERS:-alice bob}
PF_MYNETWORKS=${PF_MYNETWORKS-127.0.0.0/8}
PF_MILTER=${PF_MILTER:-}
PF_MILTER_DEFAULT_ACTION=${PF_MILTER_DEFAULT_ACTION:-tempfail}
PF_SUBMISSION_RELAY=${PF_SUBMISSION_RELAY:-permit_mynetworks,permit_sasl_authenticated,reject}

# How long start and stop may take, in seconds.
PF_START_TIMEOUT=${PF_START_TIMEOUT:-20}
PF_STOP_TIMEOUT=${PF_STOP_TIMEOUT:-15}

# pf_create - write the instance's directories and configuration.
pf_create() {
	local base=$E2E_DIR/postfix u
	[ -n "${E2E_DIR:-}" ] || e2e_die "pf_create: call e2e_init first"
	[ -n "${P25:-}" ] || e2e_free_ports P25
	[ -n "${P587:-}" ] || e2e_free_ports P587
	[ -n "${PSINK:-}" ] || e2e_free_ports PSINK
	PF_MAIL_UID=${PF_MAIL_UID:-$(id -u nobody)}
	PF_MAIL_GID=${PF_MAIL_GID:-$(id -g nobody)}
	getent passwd postfix >/dev/null || e2e_die "no postfix user: is Postfix installed?"
	getent group postdrop >/dev/null || e2e_die "no postdrop group: is Postfix installed?"

	PF_CONF=$base/etc
	PF_QUEUE=$base/queue
	PF_LOG=$base/maillog
	PF_MAILDIR_BASE=$E2E_DIR/mail
	mkdir -p "$PF_CONF" "$PF_QUEUE" "$base/data" "$PF_MAILDIR_BASE" ||
		e2e_die "pf_create: cannot make $base"
	# postfix check wants root-owned, not group/other-writable directories
	# down to the queue; the daemons (user postfix) must traverse them.
	chmod 0755 "$base" "$PF_CONF" "$PF_QUEUE"
	chown postfix: "$base/data"
	chmod 0700 "$base/data"
	# virtual(8) delivers as PF_MAIL_UID and creates the maildirs itself.
	chown "$PF_MAIL_UID:$PF_MAIL_GID" "$PF_MAILDIR_BASE"
	: >"$PF_LOG"

	: >"$PF_CONF/vmailbox"
	for u in $PF_USERS; do
		printf '%s@%s %s/%s/\n' "$u" "$PF_DOMAIN" "$PF_DOMAIN" "$u" >>"$PF_CONF/vmailbox"
	done
	pf_write_main_cf
	pf_write_master_cf
	e2e_on_exit pf_stop
	# Refuse to go on with a configuration Postfix does not accept.
	postconf -c "$PF_CONF" -n >/dev/null 2>"$E2E_DIR/postfix/postconf.err" ||
		e2e_die "pf_create: postconf: $(cat "$E2E_DIR/postfix/postconf.err")"
}

pf_write_main_cf() {
	local milter_lines=""
	if [ -n "$PF_MILTER" ]; then
		milter_lines="smtpd_milters = $PF_MILTER"
	fi
	cat >"$PF_CONF/main.cf" <<EOF
# Private test instance written by tests/e2e/lib/postfix.sh. Not for use
# outside tests: loopback only, relays everything to smtp-sink.
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $E2E_DIR/postfix/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = mw-e2e
maillog_file = $PF_LOG
maillog_file_prefixes = $E2E_DIR

myhostname = mx.$PF_DOMAIN
mydomain = $PF_DOMAIN
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = $PF_MYNETWORKS
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_peername_lookup = no
smtputf8_enable = no
biff = no
append_dot_mydomain = no
alias_maps =
alias_database =
local_recipient_maps =

virtual_mailbox_domains = $PF_DOMAIN
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_mailbox_base = $PF_MAILDIR_BASE
virtual_minimum_uid = 100
virtual_uid_maps = static:$PF_MAIL_UID
virtual_gid_maps = static:$PF_MAIL_GID

relayhost = [127.0.0.1]:$PSINK
smtp_dns_support_level = disabled

queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 120s
bounce_queue_lifetime = 120s
delay_warning_time = 0

milter_protocol = 6
milter_default_action = $PF_MILTER_DEFAULT_ACTION
$milter_lines
EOF
}

# Every service runs outside a chroot (the instance's queue has no copies
# of /etc files). The submission smtpd names itself ORIGINATING to milters,
# like the stock submission entry.
pf_write_master_cf() {
	cat >"$PF_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$P25 inet n   -       n       -       -       smtpd
127.0.0.1:$P587 inet n  -       n       -       -       smtpd
  -o syslog_name=mw-e2e/submission
  -o milter_macro_daemon_name=ORIGINATING
  -o smtpd_sasl_auth_enable=no
  -o smtpd_relay_restrictions=$PF_SUBMISSION_RELAY
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# pf_set NAME=VALUE... - change main.cf; reload if running. A reload is
# asynchronous: for a change that must hold from the next connection on,
# prefer pf_stop + pf_start.
pf_set() {
	postconf -c "$PF_CONF" -e "$@" || return 1
	if pf_running; then postfix -c "$PF_CONF" reload >/dev/null 2>&1; fi
}

# pf_master_pid - the instance's master pid, from its pid file.
pf_master_pid() {
	local f=$PF_QUEUE/pid/master.pid pid
	[ -r "$f" ] || return 1
	read -r pid <"$f" || return 1
	[ -n "$pid" ] || return 1
	echo "$pid"
}

pf_running() {
	local pid
	pid=$(pf_master_pid) && e2e_pid_alive "$pid"
}

# pf_start - start the instance (postfix start runs its own checks and
# creates the queue's subdirectories) and wait for both smtpd ports.
pf_start() {
	local out=$E2E_DIR/postfix/start.out
	pf_running && return 0
	if ! postfix -c "$PF_CONF" start >"$out" 2>&1; then
		cat "$out" >&2
		e2e_die "pf_start: postfix start failed (log: $PF_LOG)"
	fi
	if ! { e2e_wait_port "$P25" "$PF_START_TIMEOUT" &&
		e2e_wait_port "$P587" "$PF_START_TIMEOUT"; }; then
		e2e_die "pf_start: ports $P25/$P587 not listening after ${PF_START_TIMEOUT}s"
	fi
	PF_LAST_MASTER_PID=$(pf_master_pid)
}

# pf_stop - stop the instance and wait until its master and every process
# of its process group are gone; KILL what is left after the timeout.
# Idempotent; called by the EXIT trap.
pf_stop() {
	local pid
	pid=$(pf_master_pid 2>/dev/null) || pid=${PF_LAST_MASTER_PID:-}
	[ -n "$pid" ] || return 0
	if e2e_pid_alive "$pid"; then
		postfix -c "$PF_CONF" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null
		if ! e2e_wait_until "$PF_STOP_TIMEOUT" e2e_pid_gone "$pid"; then
			e2e_log "pf_stop: master $pid still alive, killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	# The master leads its own process group; its daemons are in it.
	if ! e2e_wait_until 5 e2e_group_gone "$pid"; then
		e2e_log "pf_stop: killing leftover processes of group $pid"
		pkill -KILL -g "$pid" 2>/dev/null
	fi
	return 0
}

# pf_leftovers PID - print processes left from master PID's group (the
# smoke test's "nothing left" check); true when there are none.
pf_leftovers() {
	! pgrep -a -g "$1" && ! e2e_pid_alive "$1"
}

# pf_queue_count - messages in the queue (every queue but the corrupt one),
# counted on disk: cheap enough to poll during a benchmark, unlike
# postqueue -p, which reads every queue file.
pf_queue_count() {
	find "$PF_QUEUE/maildrop" "$PF_QUEUE/incoming" "$PF_QUEUE/active" \
		"$PF_QUEUE/deferred" "$PF_QUEUE/hold" -type f 2>/dev/null | wc -l
}

pf_queue_empty() {
	[ "$(pf_queue_count)" -eq 0 ]
}

# pf_wait_queue_empty [SECONDS] - wait (default 30 s) for an empty queue.
pf_wait_queue_empty() {
	e2e_wait_until "${1:-30}" pf_queue_empty
}

# pf_mailq - the queue as postqueue(1) shows it (for diagnostics).
pf_mailq() {
	timeout 10 postqueue -c "$PF_CONF" -p
}

# pf_log [PATTERN] - the instance's log, or its lines matching PATTERN
# (grep -E).
pf_log() {
	if [ $# -eq 0 ]; then cat "$PF_LOG"; else grep -E -- "$1" "$PF_LOG"; fi
}

# pf_wait_log PATTERN [SECONDS] - wait for a log line (postlogd writes
# asynchronously).
pf_wait_log() {
	e2e_wait_until "${2:-10}" grep -Eq -- "$1" "$PF_LOG"
}

# pf_maildir ADDRESS - the maildir of a local address.
pf_maildir() {
	local user=${1%@*} domain=${1#*@}
	echo "$PF_MAILDIR_BASE/$domain/$user"
}

# maildir_count ADDRESS - messages delivered to ADDRESS (new/ and cur/).
maildir_count() {
	local d
	d=$(pf_maildir "$1")
	find "$d/new" "$d/cur" -type f 2>/dev/null | wc -l
}

# maildir_files ADDRESS - the paths of its delivered messages.
maildir_files() {
	local d
	d=$(pf_maildir "$1")
	find "$d/new" "$d/cur" -type f 2>/dev/null | sort
}

# maildir_wait_count ADDRESS N [SECONDS] - wait until ADDRESS holds N.
maildir_wait_count() {
	e2e_wait_until "${3:-15}" maildir_has "$1" "$2"
}

# maildir_has ADDRESS N - true when ADDRESS holds at least N messages.
maildir_has() {
	[ "$(maildir_count "$1")" -ge "$2" ]
}

# pf_dump_diagnostics - what a failing test prints: queue and log tail.
pf_dump_diagnostics() {
	{
		echo "--- postqueue -p"
		pf_mailq 2>&1 | tail -n 20
		echo "--- last 40 lines of $PF_LOG"
		tail -n 40 "$PF_LOG"
	} >&2
}
