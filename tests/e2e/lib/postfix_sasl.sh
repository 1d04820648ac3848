#!/usr/bin/env bash
# postfix_sasl.sh - SMTP AUTH on the private Postfix's submission port,
# checked by the private Dovecot (dovecot.sh) over its SASL socket. Layers
# on postfix.sh without changing it: call pf_create, then dc_create, then
# pf_sasl_enable, then start both. Sourced, never run.
#
#   pf_sasl_enable [SOCKET]   turn SASL on for the submission service
#                             (default socket $DC_SASL_SOCKET)
#   pf_swaks_auth USER PASS OUTFILE [XCLIENT_ADDR] [SWAKS ARGS...]
#                             one authenticated submission with swaks on
#                             $P587; with XCLIENT_ADDR it first sends
#                             XCLIENT ADDR=... (then EHLO again, then
#                             AUTH PLAIN); returns swaks' exit status
#
# What the submission service then does (master.cf -o overrides, so port
# 25 is unchanged):
#   smtpd_sasl_auth_enable = yes, smtpd_sasl_type = dovecot,
#   smtpd_sasl_path = SOCKET (absolute: the service runs outside a chroot),
#   smtpd_sasl_security_options = noanonymous,
#   smtpd_tls_security_level = none, smtpd_tls_auth_only = no (loopback
#   tests speak plaintext; a real site keeps TLS on 587),
#   milter_macro_daemon_name = ORIGINATING (already set by postfix.sh).
# main.cf already has smtpd_authorized_xclient_hosts = 127.0.0.0/8: a test
# client may say XCLIENT ADDR=203.0.113.7 before AUTH; smtpd then uses
# that address as the client's for everything after it: the rip= it sends
# to Dovecot's auth (hence the auth-policy request's "remote"), the
# milter's client address macro, mynetworks and the log's client=.
# Relaying needs SASL unless the (XCLIENT) address is in mynetworks
# (PF_SUBMISSION_RELAY: permit_mynetworks,permit_sasl_authenticated,reject).

# shellcheck source-path=SCRIPTDIR source=postfix.sh
. "$(dirname "${BASH_SOURCE[0]}")/postfix.sh"

pf_sasl_enable() {
	local sock=${1:-${DC_SASL_SOCKET:-}} svc
	[ -n "${PF_CONF:-}" ] || e2e_die "pf_sasl_enable: call pf_create first"
	[ -n "$sock" ] || e2e_die "pf_sasl_enable: no socket (call dc_create first or pass one)"
	svc="127.0.0.1:$P587/inet"
	postconf -c "$PF_CONF" -P \
		"$svc/syslog_name=mw-e2e/submission" \
		"$svc/smtpd_sasl_auth_enable=yes" \
		"$svc/smtpd_sasl_type=dovecot" \
		"$svc/smtpd_sasl_path=$sock" \
		"$svc/smtpd_sasl_security_options=noanonymous" \
		"$svc/smtpd_tls_security_level=none" \
		"$svc/smtpd_tls_auth_only=no" \
		"$svc/milter_macro_daemon_name=ORIGINATING" ||
		e2e_die "pf_sasl_enable: postconf -P failed"
	PF_SASL_SOCKET=$sock
	if pf_running; then postfix -c "$PF_CONF" reload >/dev/null 2>&1; fi
}

pf_swaks_auth() {
	local user=$1 pass=$2 out=$3 xaddr=${4:-}
	shift 3
	[ $# -gt 0 ] && shift
	local args=(--timeout 20 --server "127.0.0.1:$P587" --ehlo client.example.net
		--auth PLAIN --auth-user "$user" --auth-password "$pass")
	[ -n "$xaddr" ] && args+=(--xclient-addr "$xaddr")
	swaks "${args[@]}" "$@" >"$out" 2>&1
}
