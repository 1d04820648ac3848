#!/usr/bin/env bash
# guard.sh - the account guard end to end (issue 4): a private Postfix whose
# submission port authenticates through a private Dovecot, Dovecot's
# auth-policy client pointed at mailwarden's http_listen, mailwarden as
# Postfix's milter, GeoIP from the test databases (tests/data/geoip: home
# is JP = 192.0.2.0/24; 203.0.113.0/24 is CN, RU, BR, KR by quarters;
# 198.51.100.0/24 is US then DE), remote addresses presented with IMAP ID
# and Postfix's XCLIENT.
#
#   1. seed 001: alice's password is used from five foreign addresses in
#      five countries, then one message a second to random recipients:
#      sending is suspended after at most 20 accepted messages (550 5.7.1
#      naming a suspected stolen password), alice and the admin each get
#      one notice, her IMAP login still works, and her history shows the
#      foreign logins with their countries;
#   2. taro travels: one login from the US, then ten mails: all sent, one
#      login alert, no suspension;
#   3. 200 wrong passwords for hana from one address: delayed, then
#      refused, while hana still logs in from home; the same wrong
#      password repeated from another address is not taken for guessing;
#   4. kenji's messages per hour set to 3: the fourth gets 451 4.7.1
#      naming the limit and when it lifts;
#   5. yumi fenced to JP: an IMAP login and a submission from the US are
#      refused, home still works;
#   6. alice changes her password and logs in from home: the suspension
#      lifts by itself; jiro, suspended the same way, is unlocked by the
#      admin with `mailwarden account unlock`, which is recorded.
#
# Usage: tests/e2e/guard.sh   (as root; KEEP=1 keeps $E2E_DIR)
# Environment: BUILD (build), SANITIZE (0). Ports from 29600-29699.
# Prints "guard-e2e: N passed, N failed" last. Bounded: stopped after
# 420 s.
set -u
cd "$(dirname "$0")/../.." || exit 2
E2E_PORT_MIN=${E2E_PORT_MIN:-29600}
E2E_PORT_MAX=${E2E_PORT_MAX:-29699}
# shellcheck source-path=SCRIPTDIR/../..
. tests/e2e/lib/postfix_sasl.sh
. tests/e2e/lib/sink.sh
. tests/e2e/lib/dovecot.sh
. tests/e2e/lib/mailwarden.sh

e2e_init guard-e2e
e2e_deadline 420
for tool in dovecot doveadm postfix swaks smtp-sink perl; do
	command -v "$tool" >/dev/null || e2e_die "$tool not installed (make deps)"
done

GEO=$E2E_DIR/geoip
tests/data/geoip/build.sh "$GEO" >&2 || e2e_die "cannot build the test GeoIP databases"
chmod 0755 "$GEO"
chmod 0644 "$GEO"/*.mmdb

HOME_NET=192.0.2 # JP
ADMIN=admin@example.jp
DC_POLICY_KEY=guard-e2e-secret-7c1f04b9a2
DC_USERS="alice@example.jp:alice-pw-1 taro@example.jp:taro-pw-1 hana@example.jp:hana-pw-1
kenji@example.jp:kenji-pw-1 yumi@example.jp:yumi-pw-1 jiro@example.jp:jiro-pw-1"
PF_USERS="alice taro hana kenji yumi jiro admin"
PF_MYNETWORKS=""

mw_build
e2e_free_ports PM P25 P587 PSINK PHTTP
MW_HTTP_LISTEN=127.0.0.1:$PHTTP
MW_TRUSTED=""
PF_MILTER="inet:127.0.0.1:$PM"
PF_MILTER_DEFAULT_ACTION=tempfail
MW_EXTRA_CONF="geoip_country_db = $GEO/country.mmdb
geoip_asn_db = $GEO/asn.mmdb
admin_notify = $ADMIN
digest_smtp = 127.0.0.1:$P25
auth_policy_secret = $DC_POLICY_KEY
login_alert_interval = 1m"
mw_setup
pf_create
DC_POLICY_URL=http://127.0.0.1:$PHTTP/auth-policy
dc_create
pf_sasl_enable
sink_start
mw_start
dc_start
pf_start
e2e_log "IMAP $PIMAP, submission $P587, MX $P25, milter $PM, auth-policy $PHTTP"

# -- helpers ---------------------------------------------------------------

N=0
# submit USER PASS FROM_IP OUT [RCPT]: one authenticated message.
submit() {
	N=$((N + 1))
	pf_swaks_auth "$1" "$2" "$4" "$3" --from "$1" \
		--to "${5:-rcpt$N-$RANDOM@example.net}" \
		--header "Subject: guard e2e $N" >/dev/null 2>&1
}
accepted() { grep -q "^<- *250 .*queued as" "$1"; }
# The SMTP answer that refused the message, if any: all its lines, joined
# with " | " (a refusal is English, then the same in Japanese).
refusal() {
	grep -E '^<\*\* *[45][0-9][0-9][- ]' "$1" | sed 's/^<\*\* *//' |
		awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }'
}
imap() { dc_imap_login "$@" >/dev/null 2>&1; }
account() { mw_cli account "$@"; }
# notices ADDRESS KIND: notices of KIND delivered to ADDRESS.
notices() {
	local f n=0
	for f in $(maildir_files "$1"); do
		grep -q "^X-Mailwarden-Notice: $2" "$f" && n=$((n + 1))
	done
	echo "$n"
}
notices_at_least() { [ "$(notices "$1" "$2")" -ge "$3" ]; }
# The user's notices mention the account concerned.
notices_about() {
	local f
	for f in $(maildir_files "$1"); do
		grep -q "^X-Mailwarden-Notice: $2" "$f" && return 0
	done
	return 1
}
home_logins() { # USER PASS: two logins from home, so that JP is known
	imap "$1" "$2" "$HOME_NET.10" && imap "$1" "$2" "$HOME_NET.11"
}

# -- 1: seed 001's attacker ------------------------------------------------

t_check "alice logs in from home" home_logins alice@example.jp alice-pw-1
FOREIGN="203.0.113.10 203.0.113.70 203.0.113.130 198.51.100.10 198.51.100.200"
ok=0
for ip in $FOREIGN; do imap alice@example.jp alice-pw-1 "$ip" && ok=$((ok + 1)); done
t_check "the attacker logs in with alice's password from five foreign addresses" test "$ok" = 5
sent=0 refused="" first=""
for ((i = 0; i < 40; i++)); do
	set -- $FOREIGN
	shift $((i % 5))
	out=$E2E_DIR/attack-$i.out
	submit alice@example.jp alice-pw-1 "$1" "$out"
	if accepted "$out"; then
		sent=$((sent + 1))
	else
		refused=$(refusal "$out")
		break
	fi
	sleep 1
done
e2e_log "attack: $sent accepted, then: $refused"
t_check "sending is suspended after at most 20 accepted messages ($sent)" \
	test "$sent" -le 20 -a -n "$refused"
t_check "the refusal is 550 5.7.1 and names a stolen password" \
	eval '[[ $refused == "550-5.7.1 "*[Ss]tolen* ]]'
t_check "its second line says it in Japanese" \
	eval '[[ $refused == *" | 550 5.7.1 "*"パスワード盗用の疑い"* ]]'
submit alice@example.jp alice-pw-1 "$HOME_NET.10" "$E2E_DIR/attack-home.out"
t_check "even from home alice's sending stays suspended" \
	eval '! accepted "$E2E_DIR/attack-home.out"'
t_check "alice can still read her mail over IMAP" imap alice@example.jp alice-pw-1 "$HOME_NET.10"
t_check "alice gets a suspension notice" \
	e2e_wait_until 60 notices_at_least alice@example.jp suspended 1
t_check "the admin gets one" e2e_wait_until 30 notices_at_least "$ADMIN" suspended 1
sleep 3
t_check "exactly one each" test "$(notices alice@example.jp suspended)" = 1 \
	-a "$(notices "$ADMIN" suspended)" = 1
account history alice@example.jp --json >"$E2E_DIR/alice-history.json"
for cc in CN RU BR US DE; do
	t_check "alice's history shows a login from $cc" \
		grep -q "\"country\": *\"$cc\"" "$E2E_DIR/alice-history.json"
done
t_check "account list --suspended names alice" \
	eval 'account list --suspended | grep -q alice@example.jp'

# -- 2: a traveller ----------------------------------------------------------

t_check "taro logs in from home" home_logins taro@example.jp taro-pw-1
t_check "taro logs in from the US" imap taro@example.jp taro-pw-1 198.51.100.30
ok=0
for ((i = 0; i < 10; i++)); do
	submit taro@example.jp taro-pw-1 198.51.100.30 "$E2E_DIR/taro-$i.out" &&
		accepted "$E2E_DIR/taro-$i.out" && ok=$((ok + 1))
done
t_check "taro's ten mails are all sent ($ok)" test "$ok" = 10
t_check "taro gets a login alert" e2e_wait_until 30 notices_at_least taro@example.jp login-alert 1
sleep 2
t_check "exactly one" test "$(notices taro@example.jp login-alert)" = 1
t_check "taro is not suspended" eval '! account list --suspended | grep -q taro@'
t_check "and got no suspension notice" test "$(notices taro@example.jp suspended)" = 0

# -- 3: brute force -----------------------------------------------------------

t_check "hana logs in from home" home_logins hana@example.jp hana-pw-1
ATTACKER=203.0.113.201
guess() { # one wrong password; prints ms and the outcome
	local t0 rc
	t0=$(e2e_now_ms)
	dc_imap_login hana@example.jp "guess-$1" "$ATTACKER" >/dev/null 2>&1
	rc=$?
	echo "$1 $(($(e2e_now_ms) - t0)) $rc"
}
: >"$E2E_DIR/guesses"
for ((b = 0; b < 20; b++)); do
	pids=""
	for ((j = 0; j < 10; j++)); do
		guess $((b * 10 + j)) >>"$E2E_DIR/guesses" &
		pids="$pids $!"
	done
	# Only these: a bare `wait` would also wait for the daemons this
	# shell started.
	wait $pids
done
t_check "all 200 wrong passwords were refused" \
	test "$(awk '$3 == 1' "$E2E_DIR/guesses" | wc -l)" = 200
t_check "mailwarden delayed some of them" \
	test "$(mw_log_count "auth-policy: delay login=hana@example.jp remote=$ATTACKER ")" -gt 0
t_check "and then refused them" \
	test "$(mw_log_count "auth-policy: reject login=hana@example.jp remote=$ATTACKER ")" -gt 0
t_check "the right password from the attacker's address is refused now" \
	eval '! imap hana@example.jp hana-pw-1 "$ATTACKER"'
t0=$(e2e_now_ms)
t_check "hana still logs in from home during the attack" imap hana@example.jp hana-pw-1 "$HOME_NET.10"
t_check "without a delay ($(($(e2e_now_ms) - t0)) ms)" test $(($(e2e_now_ms) - t0)) -lt 1900

# -- 4: a send limit ------------------------------------------------------------

t_check "kenji's limit is set to 3 messages an hour" account limit kenji@example.jp msgs_per_hour 3
t_check "kenji logs in from home" home_logins kenji@example.jp kenji-pw-1
# A phone with an old password retries the same wrong one all night, from
# an address kenji never used: not guessing.
for ((i = 0; i < 12; i++)); do imap kenji@example.jp old-phone-pw "$HOME_NET.200"; done
t0=$(e2e_now_ms)
imap kenji@example.jp kenji-pw-1 "$HOME_NET.200"
rc=$?
el=$(($(e2e_now_ms) - t0))
t_check "the same wrong password 12 times does not block that address" test "$rc" = 0
t_check "nor delay it ($el ms)" test "$el" -lt 1900
ok=0
for ((i = 0; i < 3; i++)); do
	submit kenji@example.jp kenji-pw-1 "$HOME_NET.12" "$E2E_DIR/kenji-$i.out"
	accepted "$E2E_DIR/kenji-$i.out" && ok=$((ok + 1))
done
t_check "three messages are sent" test "$ok" = 3
submit kenji@example.jp kenji-pw-1 "$HOME_NET.12" "$E2E_DIR/kenji-4.out"
r=$(refusal "$E2E_DIR/kenji-4.out")
e2e_log "fourth: $r"
t_check "the fourth gets 451 4.7.1" eval '[[ $r == "451-4.7.1 "* ]]'
t_check "and the same in Japanese" eval '[[ $r == *" | 451 4.7.1 送信上限に達しました"* ]]'
t_check "its text names the limit and the count" eval '[[ $r == *"per hour"* && $r == *3* ]]'
t_check "and when it lifts (UTC)" eval '[[ $r =~ [0-9]{2}:[0-9]{2}.*UTC ]]'

# -- 5: a country fence -----------------------------------------------------------

t_check "yumi logs in from home" home_logins yumi@example.jp yumi-pw-1
t_check "yumi is fenced to JP" account fence yumi@example.jp JP
t_check "an IMAP login from the US is refused" eval '! imap yumi@example.jp yumi-pw-1 198.51.100.50'
submit yumi@example.jp yumi-pw-1 198.51.100.50 "$E2E_DIR/yumi-us.out"
t_check "a submission from the US is refused" eval '! accepted "$E2E_DIR/yumi-us.out"'
e2e_log "yumi from the US: $(refusal "$E2E_DIR/yumi-us.out")"
t_check "home still works: IMAP" imap yumi@example.jp yumi-pw-1 "$HOME_NET.13"
submit yumi@example.jp yumi-pw-1 "$HOME_NET.13" "$E2E_DIR/yumi-jp.out"
t_check "home still works: sending" accepted "$E2E_DIR/yumi-jp.out"
t_check "unfence" account unfence yumi@example.jp
t_check "then the US login works" imap yumi@example.jp yumi-pw-1 198.51.100.50

# -- 6: unlock -----------------------------------------------------------------

dc_set_password alice@example.jp alice-new-password-2
# Dovecot sees the new passwd-file when its mtime has moved on.
t_check "alice logs in from home with her new password" \
	e2e_wait_until 5 imap alice@example.jp alice-new-password-2 "$HOME_NET.10"
t_check "her suspension has lifted" \
	e2e_wait_until 10 eval '! account list --suspended | grep -q alice@'
submit alice@example.jp alice-new-password-2 "$HOME_NET.10" "$E2E_DIR/alice-after.out"
t_check "and she can send again" accepted "$E2E_DIR/alice-after.out"

t_check "jiro logs in from home" home_logins jiro@example.jp jiro-pw-1
for ip in $FOREIGN; do imap jiro@example.jp jiro-pw-1 "$ip"; done
for ((i = 0; i < 40; i++)); do
	set -- $FOREIGN
	shift $((i % 5))
	submit jiro@example.jp jiro-pw-1 "$1" "$E2E_DIR/jiro-$i.out"
	accepted "$E2E_DIR/jiro-$i.out" || break
done
t_check "jiro is suspended the same way" eval 'account list --suspended | grep -q jiro@'
t_check "the admin unlocks jiro" account unlock jiro@example.jp
submit jiro@example.jp jiro-pw-1 "$HOME_NET.14" "$E2E_DIR/jiro-after.out"
t_check "jiro can send again" accepted "$E2E_DIR/jiro-after.out"
t_check "the unlock is recorded with who did it" \
	eval 'account show jiro@example.jp --json | grep -q "\"last_unlock\":{\"at\":\"[^\"]*\",\"by\":\"admin '"$MW_USER"'\"}"'
t_check "jiro is told his sending works again" \
	e2e_wait_until 90 notices_at_least jiro@example.jp unlocked 1

# -- the end ---------------------------------------------------------------------

mw_stop
t_check "mailwarden exits 0 on SIGTERM" test $? = 0
t_check "mailwarden logged no warning about the store" \
	test "$(mw_log_count 'store is unhealthy')" = 0
t_summary
