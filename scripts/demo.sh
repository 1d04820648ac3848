#!/usr/bin/env bash
# demo.sh - `make demo`: seeds 000, 001 and 004 (DESIGN.md section 1)
# replayed against a private Postfix and Dovecot wired to `mailwarden
# serve`, on loopback.
#
# It starts, under $DEMO_DIR (default build/demo):
#   - a private Postfix instance (tests/e2e/lib/postfix.sh): MX port and
#     submission port (milter_macro_daemon_name=ORIGINATING) on 127.0.0.1,
#     ports drawn at run time; example.jp delivered to maildirs; every other
#     domain relayed to smtp-sink; the prvs.regexp virtual alias;
#     smtpd_milters to mailwarden, milter_default_action = tempfail;
#   - a private Dovecot (tests/e2e/lib/dovecot.sh): IMAP and POP3 ports
#     on 127.0.0.1, a passwd-file, every login asked of mailwarden's
#     auth-policy endpoint; Postfix's submission port authenticates
#     through it (SMTP AUTH, tests/e2e/lib/postfix_sasl.sh);
#   - smtp-sink, "the rest of the Internet", recording envelopes;
#   - `build/mailwarden serve` (tests/e2e/lib/mailwarden.sh's
#     configuration): SQLite state, a freshly generated BATV key,
#     batv_mode = enforce, digests through the local Postfix, a small
#     flood_threshold; http_listen for Dovecot's auth policy, the test
#     GeoIP databases (tests/data/geoip/build.sh), notices to an admin;
# then tells the story: a user's mail goes out BATV-tagged, its genuine
# bounces come in, a forged-bounce flood made from real bounce formats is
# refused during SMTP, the user gets one digest instead of the flood, an
# account whose password was stolen (seed 004) shows up as bounces of its
# own mail, an old address is retired; then the account guard (seed 001):
# a password, 1234qwer, used from five foreign countries, sending
# suspended with 550 5.7.1 (English, then Japanese), notices to the user
# and the admin, the login history, `mailwarden password-check`
# refusing the password, a password change that lifts the suspension,
# and a traveller who only gets a login alert; and mailwarden's mail
# reading (trace, bounce) on the bundled samples.
#
# Everything keeps running afterwards, for you to poke at, until
# `make demo-stop` (scripts/demo-stop.sh). Running `make demo` again stops
# the running demo first and keeps its directory as $DEMO_DIR.prev.
#
# Environment: DEMO_DIR (build/demo), DEMO_FLOOD (forged bounces, 200, at
# most 1000), DEMO_CORPUS (the Sisimai corpus's eml directory; default
# ../shared/corpus/sisimai/eml; when absent, the bundled formats of
# tests/data/demo/forged are used).
#
# Bounded: every wait has a time limit, the whole script stops itself
# after 400 s; on a failure it stops what it started and keeps the
# directory for diagnosis. Needs root (a Postfix instance does).
set -u
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=scripts/demo_lib.sh
. scripts/demo_lib.sh
[ -r tests/e2e/lib/mailwarden.sh ] ||
	e2e_die "tests/e2e/lib/mailwarden.sh is missing"
# shellcheck source=tests/e2e/lib/mailwarden.sh
. tests/e2e/lib/mailwarden.sh

DEMO_T0=$(e2e_now_ms)
DATA=tests/data/demo
SAMPLES=tests/data/samples
DEMO_FLOOD=${DEMO_FLOOD:-200}
DEMO_CORPUS=${DEMO_CORPUS:-../shared/corpus/sisimai/eml}
if ! [[ $DEMO_FLOOD =~ ^[0-9]+$ ]] || [ "$DEMO_FLOOD" -lt 1 ] || [ "$DEMO_FLOOD" -gt 1000 ]; then
	e2e_die "DEMO_FLOOD must be a number from 1 to 1000"
fi
USER_A=tanaka@example.jp   # seed 000: the forged sender
USER_B=suzuki@example.jp   # seed 004: the stolen password
USER_OLD=tanaka.old@example.jp # seed 000: the address unused for ten years
USER_C=yamamoto@example.jp # seed 001: the password 1234qwer
PW_OLD=1234qwer
PW_NEW=Kawa-no-nagare-wa-taezu-7 # her new one: password-check accepts it
USER_T=ito@example.jp      # seed 002's traveller: one new country
PW_T=Ito-shutcho-2024-Boston
ADMIN=admin@example.jp     # admin_notify
DEMO_LIMIT=400             # seconds: the watchdog

# -- preconditions, and a demo that is already running ---------------------

[ "$(id -u)" -eq 0 ] || e2e_die "run as root (make demo): a private Postfix instance needs it"
for tool in postfix postconf smtp-sink perl setsid dovecot doveadm doveconf swaks setpriv; do
	command -v "$tool" >/dev/null || e2e_die "$tool is not installed (make deps)"
done
[ -x build/mailwarden ] || e2e_die "build/mailwarden is missing (make all)"
case $DEMO_DIR in
/*demo*) ;;
*) e2e_die "DEMO_DIR must be an absolute path with 'demo' in it: $DEMO_DIR" ;;
esac

if demo_load && demo_running; then
	echo "A demo is already running (started $DEMO_STARTED); stopping it first"
	echo "(make demo-stop does this by hand; its files move to $DEMO_DIR.prev)."
	demo_stop_all >/dev/null || e2e_die "the running demo did not stop; see scripts/demo-stop.sh"
fi
if [ -e "$DEMO_DIR" ]; then
	rm -rf "$DEMO_DIR.prev"
	mv "$DEMO_DIR" "$DEMO_DIR.prev" || e2e_die "cannot move the last run aside"
fi
# What the last run recorded must not be mistaken for this run's.
unset PF_MASTER_PID PF_MASTER_START MW_PID MW_START SINK_PID SINK_START \
	DC_MASTER_PID DC_MASTER_START DC_BASE DC_CONF PIMAP PPOP3 PPOLICY

# On any failure or interruption: stop what was started, keep the files.
DEMO_OK=0
demo_on_exit() {
	local rc=$?
	trap - EXIT
	trap '' INT TERM
	[ -n "${DEMO_WATCHDOG:-}" ] && kill "$DEMO_WATCHDOG" 2>/dev/null
	if [ "$DEMO_OK" != 1 ]; then
		echo "demo: stopped before the end (status $rc); stopping what it started" >&2
		demo_stop_all >&2
		[ -n "${PF_LOG:-}" ] && echo "demo: files kept in $DEMO_DIR (Postfix log $PF_LOG)" >&2
		[ "$rc" -eq 0 ] && rc=1
	fi
	exit "$rc"
}
trap demo_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# A watchdog: the scripted part ends within $DEMO_LIMIT s, whatever hangs.
(
	trap 'kill "$sp" 2>/dev/null; exit 0' TERM
	sleep "$DEMO_LIMIT" &
	sp=$!
	wait "$sp" || exit 0
	echo "demo: still running after $DEMO_LIMIT s, stopping" >&2
	kill -TERM $$
) &
DEMO_WATCHDOG=$!

# -- the private world ----------------------------------------------------

mkdir -p "$DEMO_DIR" || e2e_die "cannot make $DEMO_DIR"
chmod 0755 "$DEMO_DIR"
E2E_DIR=$DEMO_DIR
export E2E_DIR
W=$DEMO_DIR/work # the messages this script sends, and the SMTP results
mkdir -p "$W/flood"
DEMO_STARTED=$(date '+%F %T %Z')

PF_USERS="tanaka suzuki tanaka.old yamamoto ito admin"
e2e_free_ports P25 P587 PSINK PM PHTTP
# The test GeoIP databases (documentation ranges only) and a sample
# breached-password list, where the daemon's user can read them.
GEO=$DEMO_DIR/geoip
tests/data/geoip/build.sh "$GEO" >"$DEMO_DIR/geoip.out" 2>&1 ||
	e2e_die "cannot build the test GeoIP databases: $(tail -n 3 "$DEMO_DIR/geoip.out")"
chmod 0755 "$GEO"
chmod 0644 "$GEO"/*.mmdb
install -m 0644 tests/data/password/breached.txt "$DEMO_DIR/breached.txt" ||
	e2e_die "cannot copy tests/data/password/breached.txt"
DC_POLICY_KEY=demo-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
MW_HTTP_LISTEN=127.0.0.1:$PHTTP
MW_BIN=$DEMO_REPO/build/mailwarden
MW_USER=nobody
MW_TRUSTED="127.0.0.0/8" # loopback: the submission clients and the digest
# Not mx.example.jp: the Sisimai corpus's made-up originals passed through
# hosts of that name, and our_hostnames would then prove them genuine.
DEMO_HOST=mx01.example.jp
MW_HOSTNAMES=$DEMO_HOST
MW_KEY_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
MW_EXTRA_CONF="digest = yes
digest_smtp = 127.0.0.1:$P25
flood_threshold = 20
own_bounce_threshold = 10
geoip_country_db = $GEO/country.mmdb
geoip_asn_db = $GEO/asn.mmdb
admin_notify = $ADMIN
auth_policy_secret = $DC_POLICY_KEY
login_alert_interval = 1m
breached_passwords_file = $DEMO_DIR/breached.txt"
mw_setup

PF_MILTER="inet:127.0.0.1:$PM"
PF_MILTER_DEFAULT_ACTION=tempfail
pf_create
# shellcheck disable=SC2016 # ${1} is Postfix's, not the shell's
printf '%s\n' '/^prvs=[0-9]{4}[0-9a-f]{6}=(.+@example\.jp)$/	${1}' >"$PF_CONF/prvs.regexp"
pf_set "virtual_alias_maps = regexp:$PF_CONF/prvs.regexp" "myhostname = $DEMO_HOST" ||
	e2e_die "postconf virtual_alias_maps failed"
# Dovecot checks the passwords (and Postfix's SMTP AUTH) and asks
# mailwarden about every login; its maildirs are Postfix's.
DC_POLICY_URL=http://127.0.0.1:$PHTTP/auth-policy
DC_USERS="$USER_C:$PW_OLD $USER_T:$PW_T"
dc_create
pf_sasl_enable
demo_record

demo_sink_start
demo_record
demo_mw_start
e2e_wait_port "$PHTTP" 10 || e2e_die "mailwarden's http_listen is not listening on $PHTTP"
demo_record
dc_start </dev/null
DC_MASTER_PID=$(dc_master_pid)
DC_MASTER_START=$(demo_starttime "$DC_MASTER_PID")
demo_record
pf_start
PF_MASTER_PID=$(pf_master_pid)
PF_MASTER_START=$(demo_starttime "$PF_MASTER_PID")
demo_record

printf '%smailwarden demo: seeds 000, 001 and 004 (DESIGN.md section 1), on 127.0.0.1 only%s\n' \
	"$DEMO_B" "$DEMO_OFF"
demo_say "Postfix $(postconf -d -h mail_version 2>/dev/null): MX port $P25, submission port $P587 (ORIGINATING)"
demo_say "Dovecot $(dovecot --version 2>/dev/null | cut -d ' ' -f 1) (master pid $DC_MASTER_PID): IMAP port $PIMAP, POP3 port $PPOP3, SASL for port $P587"
demo_say "smtp-sink (the rest of the Internet): port $PSINK"
demo_say "mailwarden serve (pid $MW_PID): milter port $PM, auth-policy http://127.0.0.1:$PHTTP, batv_mode = enforce"
demo_say "users: $USER_A (田中), $USER_B (鈴木), $USER_OLD (田中の古いアドレス),"
demo_say "       $USER_C (山本, password $PW_OLD), $USER_T (伊藤), $ADMIN"
demo_say "files: $DEMO_DIR"

# -- small helpers for the story ---------------------------------------------

N_JOB=0
# send JOBLINES... - run one job (lines as demo_smtp reads them); the
# result file's path is in $RES.
send() {
	N_JOB=$((N_JOB + 1))
	local job=$W/job.$N_JOB
	printf '%s\n' "$@" >"$job"
	RES=$W/result.$N_JOB
	demo_smtp "$job" "$RES" 60
}

# result_line LABEL - "STAGE CODE TEXT" of one message, cut for printing.
result_line() {
	awk -F '\t' -v l="$1" '$1 == l { printf "%s: %s %s\n", $2, $3, $4 }' "$RES" |
		cut -c 1-150
}

# log_of QUEUEID - mailwarden's line for a Postfix queue id, in two lines
# (what came in; what was decided), without the connection number.
log_of() {
	grep -F " $1: " "$MW_LOG" | head -n 1 |
		sed 's/^.*conn [0-9]*: /mailwarden: /; s/ verdict=/\n    verdict=/'
}

# the count of lines of mailwarden's log matching a regex (0 if none).
mwlog_count() {
	grep -E -c -- "$1" "$MW_LOG"
}

TS=$(date +%s)
export T_DATE
T_DATE=$(date -R)

# -- 1. a user sends ----------------------------------------------------------

demo_section "田中さんがメールを送る / tanaka sends a mail through the submission port"
demo_say "tanaka@example.jp writes to yamada@example.net and sato@example.org (ISO-2022-JP, port $P587)."
export T_ORIG_ID="meeting.$TS@example.jp"
demo_fill "$DATA/genuine/outbound-tanaka.eml.in" "$W/tanaka-out.eml"
send "S	$P587	-	-" "M	$USER_A	yamada@example.net,sato@example.org	$W/tanaka-out.eml	out"
demo_show "SMTP: $(result_line out)"
QID_OUT=$(demo_queue_id "$(awk -F '\t' '$1 == "out" { print $4 }' "$RES")")
sink_wait_count 1 20 || e2e_die "the mail did not reach smtp-sink"
SINK_OUT=$(sink_files_to yamada@example.net | head -n 1)
TAGGED=$(sink_mail_from "$SINK_OUT")
demo_say "What the Internet (smtp-sink) received as the envelope sender:"
demo_show "MAIL FROM:<$TAGGED>"
if [[ $TAGGED =~ ^prvs=([0-9])([0-9]{3})([0-9a-f]{6})=tanaka@example\.jp$ ]] &&
	why=$(mw_batv_check "$TAGGED"); then
	demo_say "A BATV tag (draft-levine-smtp-batv-01), checked here independently in Perl:"
	demo_say "key ${BASH_REMATCH[1]}, valid until day ${BASH_REMATCH[2]} (mod 1000), HMAC-SHA1 ${BASH_REMATCH[3]}."
else
	e2e_die "the sink's envelope sender is not a valid tag: '$TAGGED' ${why:-}"
fi
demo_say "mailwarden's log line (its Message-ID is now in the sent log):"
log_of "$QID_OUT" | demo_indent

# -- 2. a genuine bounce to the tag --------------------------------------------

demo_section "本物のエラーメール (タグ付き) / a genuine bounce comes back to the tagged sender"
demo_say "mx.example.net says yamada's mailbox is full and bounces to the envelope sender."
# The original's header as the Internet got it (smtp-sink's own X- lines off).
export T_ORIG_HEADERS T_TO="$TAGGED" T_REPORTER_IP=192.0.2.25 T_BOUNCE_ID="dsn.$TS"
T_ORIG_HEADERS=$(awk '/^\r?$/ { exit } !/^X-(Client|Helo|Mail|Rcpt)/' "$SINK_OUT" | tr -d '\r')
demo_fill "$DATA/genuine/postfix-dsn-to-tag.eml.in" "$W/bounce-tagged.eml"
send "S	$P25	192.0.2.25	mx.example.net" "M		$TAGGED	$W/bounce-tagged.eml	dsn"
demo_show "from mx.example.net [192.0.2.25], MAIL FROM:<>, RCPT TO:<${TAGGED}>"
demo_show "SMTP: $(result_line dsn)"
maildir_wait_count "$USER_A" 1 20 || e2e_die "the genuine bounce was not delivered"
f=$(maildir_files "$USER_A" | head -n 1)
demo_say "Delivered to tanaka's maildir, with the tag taken off:"
demo_show "Delivered-To: $(demo_header "$f" Delivered-To)"
demo_show "Subject: $(demo_header "$f" Subject)"
log_of "$(demo_queue_id "$(awk -F '\t' '$1 == "dsn" { print $4 }' "$RES")")" | demo_indent

# -- 3. the forged flood --------------------------------------------------------

demo_section "偽のエラーメールの洪水 / the forged-bounce flood of seed 000"
if [ -d "$DEMO_CORPUS" ] && [ "$(find "$DEMO_CORPUS" -maxdepth 1 -name '*.eml' | head -n 1)" ]; then
	# Spread the choice over the whole corpus (every kind of MTA), in a
	# fixed order, so that every run sends the same messages.
	mapfile -t all < <(find "$DEMO_CORPUS" -maxdepth 1 -name '*.eml' | LC_ALL=C sort)
	step=$(((${#all[@]} + DEMO_FLOOD - 1) / DEMO_FLOOD))
	[ "$step" -ge 1 ] || step=1
	n=0
	for ((i = 0; i < ${#all[@]} && n < DEMO_FLOOD; i += step)); do
		n=$((n + 1))
		# An mbox "From " line is not part of a message.
		sed '1{/^From /d}' "${all[i]}" >"$W/flood/$(printf '%04d' "$n")-$(basename "${all[i]}")"
	done
	FLOOD_SRC="$n real bounces from the Sisimai corpus ($DEMO_CORPUS): $(
		find "$W/flood" -name '*.eml' | sed 's/.*[0-9]\{4\}-//; s/-[0-9]*\.eml$//' |
			sort -u | wc -l) formats (MTAs, carriers, ARF)"
else
	mapfile -t tmpl < <(LC_ALL=C ls "$DATA"/forged/*.eml.in)
	export T_TO="$USER_A" T_N T_REPORTER T_REPORTER_IP T_FAILED T_BOUNCE_ID T_SPAM_ID T_QID
	for ((n = 1; n <= DEMO_FLOOD; n++)); do
		t=${tmpl[$(((n - 1) % ${#tmpl[@]}))]}
		T_N=$n
		T_REPORTER="mx$((n % 40)).isp$((n % 13)).example"
		T_REPORTER_IP="203.0.113.$((n % 200 + 1))"
		T_FAILED="user$((n * 7919 % 10000))@customer$((n % 17)).example"
		T_BOUNCE_ID="nd.$TS.$n"
		T_SPAM_ID="$((TS - n * 37)).$n.parcel@pc-$n.dynamic.example.org"
		T_QID=$(printf '4Q%08X' "$((TS + n))")
		demo_fill "$t" "$W/flood/$(printf '%04d' "$n")-$(basename "$t" .eml.in).eml"
	done
	FLOOD_SRC="$DEMO_FLOOD forged bounces made from tests/data/demo/forged (Postfix DSN, qmail, Sendmail,
   Exchange, a Japanese carrier notice in ISO-2022-JP): the corpus is not at $DEMO_CORPUS"
fi
# Remote servers, each bouncing a few in one session: 8 at most per session,
# below Postfix's smtpd_soft_error_limit (10), after which every reply
# would be slowed by smtpd_error_sleep_time.
jobs=()
n=0
while IFS= read -r f; do
	if ((n % 8 == 0)); then
		s=$((n / 8))
		jobs+=("S	$P25	$(( s % 2 ? 198 : 203 )).$(( s % 2 ? 51 : 0 )).$(( s % 2 ? 100 : 113 )).$((s + 10))	-")
	fi
	n=$((n + 1))
	jobs+=("M		$USER_A	$f	$(basename "$f")")
done < <(find "$W/flood" -name '*.eml' | LC_ALL=C sort)
FLOOD_N=$n
demo_say "$FLOOD_SRC"
demo_say "Sent to $USER_A from $(((n + 7) / 8)) remote servers (XCLIENT), MAIL FROM:<> ..."
before_a=$(maildir_count "$USER_A")
before_sink=$(sink_count)
t0=$(e2e_now_ms)
send "${jobs[@]}"
t1=$(e2e_now_ms)
refused=$(awk -F '\t' '$3 ~ /^5/' "$RES" | wc -l)
accepted=$(awk -F '\t' '$2 == "eod" && $3 ~ /^2/' "$RES" | wc -l)
tempfail=$(awk -F '\t' '$3 ~ /^4/' "$RES" | wc -l)
other=$((FLOOD_N - refused - accepted - tempfail))
demo_say "In $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s:"
printf '   %s%-34s %5d%s\n' "$DEMO_B" "refused during SMTP (5xx)" "$refused" "$DEMO_OFF"
printf '   %-34s %5d\n' "accepted (250)" "$accepted" "temporary failure (4xx)" "$tempfail" \
	"no answer" "$other"
demo_say "What the remote servers were told (count, reply):"
awk -F '\t' '$3 ~ /^[45]/ { print $3 " " $4 }' "$RES" | sort | uniq -c | sort -rn | head -n 3 |
	sed 's/^ *\([0-9]*\) /\1 x /' | demo_indent
demo_say "Refused, among others:"
for kind in qmail postfix sendmail exchange gmail ezweb nttdocomo jp-carrier; do
	awk -F '\t' -v k="$kind" '$3 ~ /^5/ && index($1, k) { sub(/^[0-9]+-/, "", $1); print $1; exit }' "$RES"
done | head -n 6 | paste -sd ' ' | fold -s -w 100 | demo_indent
sleep 1 # postlogd and the milter's log lines are asynchronous
demo_say "tanaka's maildir: $before_a message(s) before, $(maildir_count "$USER_A") after."
demo_say "Mail that left for the Internet meanwhile: $(($(sink_count) - before_sink)) (we bounce nothing: every refusal"
demo_say "happens inside the SMTP dialogue, so the forger's servers keep their bounces)."
demo_say "mailwarden noticed the flood:"
grep -F "flood of backscatter to $USER_A" "$MW_LOG" | head -n 1 | sed 's/^.*info: //' | demo_indent

# -- 4. a genuine bounce to the header From ---------------------------------------

demo_section "本物のエラーメール (タグなし) / a genuine bounce sent to the header From"
demo_say "mail.example.org has no sato; it bounces to the From: header, without the tag,"
demo_say "and quotes the original's Message-ID <$T_ORIG_ID>."
export T_TO="$USER_A" T_BOUNCE_ID="fn.$TS" T_ORIG_FROM T_ORIG_SUBJECT T_ORIG_DATE="$T_DATE"
T_ORIG_FROM=$(grep -m1 '^From:' "$W/tanaka-out.eml" | sed 's/^From: *//')
T_ORIG_SUBJECT=$(grep -m1 '^Subject:' "$W/tanaka-out.eml" | sed 's/^Subject: *//')
demo_fill "$DATA/genuine/failure-notice-to-from.eml.in" "$W/bounce-from.eml"
before_a=$(maildir_count "$USER_A")
send "S	$P25	198.51.100.77	mail.example.org" "M		$USER_A	$W/bounce-from.eml	fn"
demo_show "from mail.example.org [198.51.100.77], MAIL FROM:<>, RCPT TO:<$USER_A>"
demo_show "SMTP: $(result_line fn)"
maildir_wait_count "$USER_A" $((before_a + 1)) 20 || e2e_die "the genuine untagged bounce was not delivered"
demo_say "Delivered (tanaka's maildir: $(maildir_count "$USER_A")). mailwarden found the proof in the sent log:"
log_of "$(demo_queue_id "$(awk -F '\t' '$1 == "fn" { print $4 }' "$RES")")" | demo_indent

# -- 5. seed 004: a stolen password ------------------------------------------------

demo_section "パスワードが盗まれた (seed 004) / suzuki's reused password is used to send spam"
demo_say "Spammers send 12 mails as suzuki@example.jp through our submission port (in real"
demo_say "life with SMTP AUTH and the stolen password; here the port trusts loopback)."
jobs=("S	$P587	-	-")
for ((n = 1; n <= 12; n++)); do
	export T_FAILED="friend$n@isp$n.example" T_ORIG_ID="spam.$TS.$n@example.jp"
	demo_fill "$DATA/genuine/outbound-spam.eml.in" "$W/spam-$n.eml"
	jobs+=("M	$USER_B	$T_FAILED	$W/spam-$n.eml	spam$n")
done
before_sink=$(sink_count)
send "${jobs[@]}"
sink_wait_count $((before_sink + 12)) 30 || e2e_die "the 12 mails did not reach smtp-sink"
demo_say "All 12 left, signed like any mail of ours (MAIL FROM:<$(sink_mail_from \
	"$(sink_files_to friend1@isp1.example | head -n 1)")> ...)."
demo_say "None of the addresses exists: 12 qmail \"failure notice\" bounces come back to"
demo_say "the tagged senders. They are genuine, so they are delivered; mailwarden counts them:"
jobs=()
for ((n = 1; n <= 12; n++)); do
	f=$(sink_files_to "friend$n@isp$n.example" | head -n 1)
	export T_TO T_FAILED="friend$n@isp$n.example" T_N=$n T_REPORTER="mx.isp$n.example" \
		T_BOUNCE_ID="own.$TS.$n" T_ORIG_HEADERS
	T_TO=$(sink_mail_from "$f")
	T_ORIG_HEADERS="Return-Path: <$T_TO>
$(awk '/^\r?$/ { exit } !/^X-(Client|Helo|Mail|Rcpt)/' "$f" | tr -d '\r')"
	demo_fill "$DATA/genuine/qmail-own-spam.eml.in" "$W/own-bounce-$n.eml"
	((n % 4 == 1)) && jobs+=("S	$P25	192.0.2.$((n + 100))	mx.isp$n.example")
	jobs+=("M		$T_TO	$W/own-bounce-$n.eml	own$n")
done
before_b=$(maildir_count "$USER_B")
send "${jobs[@]}"
maildir_wait_count "$USER_B" $((before_b + 12)) 20 || e2e_die "the 12 genuine bounces were not all delivered"
demo_show "delivered to suzuki's maildir: $(($(maildir_count "$USER_B") - before_b)) of 12"
sleep 1
grep -F "$USER_B: " "$MW_LOG" | grep -F 'bounces of own mail' | head -n 1 |
	sed 's/^.*info: //' | demo_indent
demo_say "An \"own_bounces\" event is recorded for the account: the sign of seed 004's takeover,"
demo_say "which the account guard adds to its takeover score (25 points an hour of them: docs/guard.md)."

# -- 6. retire an old address ---------------------------------------------------------

demo_section "使っていない古いアドレスを廃止する / retire the old address (seed 000's wish)"
demo_say "Before: a forged bounce to $USER_OLD is refused as backscatter (no proof):"
cat >"$W/old-bounce.eml" <<EOF
From: MAILER-DAEMON@mx9.isp9.example
To: $USER_OLD
Subject: failure notice
Date: $T_DATE
Message-ID: <old.$TS@mx9.isp9.example>

Hi. This is the qmail-send program at mx9.isp9.example.
I'm afraid I wasn't able to deliver your message to the following addresses.

<someone@isp9.example>:
Sorry, no mailbox here by that name. (#5.1.1)
EOF
cat >"$W/old-ordinary.eml" <<EOF
From: newsletter@shop.example
To: $USER_OLD
Subject: Year-end sale
Date: $T_DATE
Message-ID: <sale.$TS@shop.example>

50% off everything until Sunday.
EOF
send "S	$P25	203.0.113.250	mx9.isp9.example" "M		$USER_OLD	$W/old-bounce.eml	old1"
demo_show "SMTP: $(result_line old1)"
demo_say "The provider of seed 000 could not delete the address. Here the admin runs:"
demo_show "# mailwarden address retire $USER_OLD"
mw_cli address retire "$USER_OLD" 2>&1 | demo_indent
mw_cli address list 2>&1 | demo_indent
send "S	$P25	203.0.113.250	mx9.isp9.example" "M		$USER_OLD	$W/old-bounce.eml	old2" \
	"S	$P25	198.51.100.250	mail.shop.example" "M	newsletter@shop.example	$USER_OLD	$W/old-ordinary.eml	old3"
demo_say "After: any mail to it is refused at RCPT, the bounce and an ordinary newsletter alike:"
demo_show "bounce:     $(result_line old2)"
demo_show "newsletter: $(result_line old3)"

# -- 7. seed 001: a stolen password ----------------------------------------------------

# login USER PASS IP - one IMAP login through Dovecot, presented as coming
# from IP (IMAP ID x-originating-ip) by the mail program $CLIENT (the ID's
# name: the history's device); prints what the server said, with the
# address's country in the test GeoIP map. Its status is imap.pl's.
CLIENT=Thunderbird
login() {
	local out rc
	out=$(DC_IMAP_CLIENT=$CLIENT dc_imap_login "$1" "$2" "$3" 2>&1)
	rc=$?
	out=${out%%$'\n'*}
	demo_show "$(printf 'IMAP %-16s %-15s %s -> %s' "$1" "$3" "($(geo_cc "$3"))" "${out:0:60}")"
	return "$rc"
}

# geo_cc IP - the country of an address in tests/data/geoip's map (its
# README), for the story's lines; what mailwarden recorded is read back
# from its history.
geo_cc() {
	local last=${1##*.}
	case $1 in
	192.0.2.*) echo JP ;;
	198.51.100.*) ((last < 128)) && echo US || echo DE ;;
	203.0.113.*)
		case $((last / 64)) in 0) echo CN ;; 1) echo RU ;; 2) echo BR ;; *) echo KR ;; esac
		;;
	*) echo "??" ;;
	esac
}

# submit USER PASS IP OUT RCPT - one message over SMTP AUTH on the
# submission port (swaks), the client presented as IP (XCLIENT).
N_SUB=0
submit() {
	N_SUB=$((N_SUB + 1))
	pf_swaks_auth "$1" "$2" "$4" "$3" --from "$1" --to "$5" \
		--header "Subject: demo $N_SUB" >/dev/null 2>&1
}
accepted() { grep -q '^<- *250 .*queued as' "$1"; }
queued_as() { sed -n 's/^<- *250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$1" | head -n 1; }
# refusal OUT - the SMTP reply that refused the message, one line each.
refusal() { grep -E '^<\*\* *[45][0-9][0-9][- ]' "$1" | sed 's/^<\*\* *//'; }
# notices ADDRESS KIND - the guard's notices of KIND in ADDRESS's maildir.
notice_files() {
	local f
	for f in $(maildir_files "$1"); do
		grep -q "^X-Mailwarden-Notice: $2" "$f" && echo "$f"
	done
}
notices() { notice_files "$1" "$2" | wc -l; }
notices_at_least() { [ "$(notices "$1" "$2")" -ge "$3" ]; }
suspended() { mw_cli account list --suspended 2>/dev/null | grep -qF "$1"; }
# sent_by ADDRESS - messages the Internet (smtp-sink) got from ADDRESS
# (its envelope sender, BATV-tagged or not).
sent_by() {
	local f n=0
	for f in "$SINK_DIR"/msg.*; do
		[ -e "$f" ] || continue
		[[ $(sink_mail_from "$f") == *"$1" ]] && n=$((n + 1))
	done
	echo "$n"
}

demo_section "パスワード 1234qwer が盗まれた (seed 001) / yamamoto's password is stolen"
demo_say "Dovecot (IMAP port $PIMAP) checks every password and asks mailwarden's auth-policy endpoint"
demo_say "(http://127.0.0.1:$PHTTP/auth-policy) before and after; Postfix's SMTP AUTH on port $P587 goes"
demo_say "through the same Dovecot. Client addresses are presented with IMAP ID and XCLIENT;"
demo_say "their countries come from the test GeoIP map (tests/data/geoip: 192.0.2.0/24 is JP)."
demo_say "$USER_C (山本) reads her mail at home with the password $PW_OLD:"
if ! { login "$USER_C" "$PW_OLD" 192.0.2.10 && login "$USER_C" "$PW_OLD" 192.0.2.11; }; then
	e2e_die "yamamoto's logins from home failed (Dovecot log $DC_LOG)"
fi
demo_say "Someone has the password. Logins from five countries in a few seconds:"
FOREIGN="203.0.113.10 203.0.113.70 203.0.113.130 198.51.100.10 198.51.100.200"
CLIENT=imapsync
for ip in $FOREIGN; do
	login "$USER_C" "$PW_OLD" "$ip"
done
CLIENT=Thunderbird
sleep 0.5 # Dovecot reports a login's outcome to mailwarden after answering it
demo_say "The password is right, so Dovecot lets them read the mailbox (mailwarden does not"
demo_say "lock anyone out of their mail). But mailwarden scored the pattern:"
grep -F "guard: $USER_C: sending suspended" "$MW_LOG" | head -n 1 | sed -E 's/^.*(info|warning): //' |
	demo_wrap 120 | demo_indent
demo_say "Now the spam run: the attacker sends with SMTP AUTH ($USER_C / $PW_OLD) from each address:"
ATT_SENT=0 ATT_REFUSED=0 ATT_TRIES=0 ATT_REPLY=""
for ((i = 0; i < 25 && ATT_REFUSED < 5; i++)); do
	# shellcheck disable=SC2086 # five addresses, split on purpose
	set -- $FOREIGN
	shift $((i % 5))
	out=$W/attack-$i.out
	ATT_TRIES=$((ATT_TRIES + 1))
	submit "$USER_C" "$PW_OLD" "$1" "$out" "friend$i@victims$i.example"
	if accepted "$out"; then
		ATT_SENT=$((ATT_SENT + 1))
		demo_show "from $1 ($(geo_cc "$1")): 250 accepted, queued as $(queued_as "$out")"
		sleep 1
	else
		ATT_REFUSED=$((ATT_REFUSED + 1))
		[ -n "$ATT_REPLY" ] || ATT_REPLY=$out
		demo_show "from $1 ($(geo_cc "$1")): $(refusal "$out" | head -n 1 | cut -c 1-100)..."
	fi
done
[ -n "$ATT_REPLY" ] || e2e_die "the attacker's mail was never refused (mailwarden log $MW_LOG)"
demo_say "$ATT_TRIES attempts: $ATT_REFUSED refused, $ATT_SENT accepted. The whole reply, English then Japanese"
demo_say "(two lines, wrapped here for the screen):"
refusal "$ATT_REPLY" | demo_wrap 110 | demo_indent
demo_say "What reached the Internet from $USER_C: $(sent_by "$USER_C") message(s)."
demo_show "# mailwarden account list --suspended"
mw_cli account list --suspended 2>&1 | demo_indent
demo_say "Her login history, newest first (Dovecot's logins and the milter's submissions):"
demo_show "# mailwarden account history $USER_C -n 14"
mw_cli account history "$USER_C" -n 14 2>&1 | demo_indent
mw_cli account history "$USER_C" --json >"$W/yamamoto-history.json" 2>&1
HIST_CC=$(for cc in CN RU BR US DE; do
	grep -q "\"country\": *\"$cc\"" "$W/yamamoto-history.json" && printf '%s ' "$cc"
done)
demo_say "Countries of foreign logins recorded: ${HIST_CC:-none}"

# -- 8. the password is changed -----------------------------------------------------------

demo_section "パスワードを変えると送信が再開する / a new password lifts the suspension"
demo_say "The notice tells her to change the password. The admin checks the old one first:"
demo_show "# printf '%s\\n' '$PW_OLD' | mailwarden password-check --user $USER_C"
printf '%s\n' "$PW_OLD" | mw_cli password-check --user "$USER_C" 2>&1 | demo_indent
PWCHK_OLD=${PIPESTATUS[1]}
demo_say "(exit status $PWCHK_OLD; the breached list is breached_passwords_file = tests/data/password/breached.txt,"
demo_say "a sample in the format of Have I Been Pwned's SHA-1 file). And the new one:"
demo_show "# printf '%s\\n' '$PW_NEW' | mailwarden password-check --user $USER_C"
printf '%s\n' "$PW_NEW" | mw_cli password-check --user "$USER_C" 2>&1 | demo_indent
PWCHK_NEW=${PIPESTATUS[1]}
if [ "$PWCHK_OLD" != 1 ] || [ "$PWCHK_NEW" != 0 ]; then
	e2e_die "password-check: $PW_OLD gave $PWCHK_OLD (1 expected), the new one $PWCHK_NEW (0 expected)"
fi
dc_set_password "$USER_C" "$PW_NEW"
demo_say "Dovecot's passwd-file now has the new password. She logs in from home:"
# Dovecot sees the new passwd-file when its mtime has moved on.
e2e_wait_until 5 dc_imap_login "$USER_C" "$PW_NEW" 192.0.2.10 >/dev/null 2>&1
login "$USER_C" "$PW_NEW" 192.0.2.10 || e2e_die "the login with the new password failed"
not_suspended() { ! suspended "$1"; }
e2e_wait_until 10 not_suspended "$USER_C" || e2e_die "the suspension was not lifted"
grep -F "guard: $USER_C: suspension lifted" "$MW_LOG" | head -n 1 | sed -E 's/^.*(info|warning): //' | demo_indent
demo_show "# mailwarden account list --suspended"
(mw_cli account list --suspended 2>&1 | grep . || echo "(none)") | demo_indent
demo_say "The attacker's $PW_OLD no longer works:"
CLIENT=imapsync login "$USER_C" "$PW_OLD" 203.0.113.10 && e2e_die "the old password still works"
submit "$USER_C" "$PW_NEW" 192.0.2.10 "$W/yamamoto-after.out" "sato@example.org"
accepted "$W/yamamoto-after.out" || e2e_die "yamamoto cannot send after the change: $(refusal "$W/yamamoto-after.out")"
demo_say "And she sends again (SMTP AUTH from home, to sato@example.org):"
demo_show "$(grep -m1 '^<- *250 .*queued as' "$W/yamamoto-after.out" | sed 's/^<- *//')"

# -- 9. a traveller ----------------------------------------------------------------------------

demo_section "出張中のログイン / ito travels to the US: one new country is not a takeover"
if ! { login "$USER_T" "$PW_T" 192.0.2.20 && login "$USER_T" "$PW_T" 192.0.2.21; }; then
	e2e_die "ito's logins from home failed"
fi
demo_say "Then from a hotel in the US, and three mails:"
login "$USER_T" "$PW_T" 198.51.100.30 || e2e_die "ito's login from the US failed"
T_SENT=0
for ((i = 1; i <= 3; i++)); do
	submit "$USER_T" "$PW_T" 198.51.100.30 "$W/ito-$i.out" "client$i@partner.example.com"
	if accepted "$W/ito-$i.out"; then
		T_SENT=$((T_SENT + 1))
		demo_show "mail $i: 250 accepted, queued as $(queued_as "$W/ito-$i.out")"
	else
		demo_show "mail $i: $(refusal "$W/ito-$i.out" | head -n 1)"
	fi
done
[ "$T_SENT" = 3 ] || e2e_die "the traveller's mail was refused"
if suspended "$USER_T"; then e2e_die "the traveller was suspended"; fi
demo_say "All three sent; ito is not suspended. He gets a login alert (a new country, once)."

# -- 10. the notices ------------------------------------------------------------------------------

demo_section "お知らせ / the notices: yamamoto, the admin, ito"
e2e_wait_until 60 notices_at_least "$USER_C" suspended 1 ||
	e2e_die "yamamoto got no suspension notice within 60 s"
e2e_wait_until 30 notices_at_least "$ADMIN" suspended 1 ||
	e2e_die "the admin got no suspension notice"
e2e_wait_until 30 notices_at_least "$USER_T" login-alert 1 ||
	e2e_die "ito got no login alert"
e2e_wait_until 10 notices_at_least "$USER_C" unlocked 1
grep -E "guard: [a-z_-]+ notice for " "$MW_LOG" | sed -E 's/^.*(info|warning): //' | demo_indent
f=$(notice_files "$USER_C" suspended | head -n 1)
demo_say "In yamamoto's maildir ($(basename "$f")):"
demo_show "Subject: $(demo_header "$f" Subject)"
demo_notice_body "$f" 12 | demo_indent
demo_show "..."
f=$(notice_files "$ADMIN" suspended | head -n 1)
demo_say "The admin's copy: Subject: $(demo_header "$f" Subject | cut -c 1-110)"
f=$(notice_files "$USER_T" login-alert | head -n 1)
demo_say "ito's login alert: Subject: $(demo_header "$f" Subject | cut -c 1-110)"
demo_notice_body "$f" 5 | demo_indent
demo_show "..."

# -- 11. the digest ----------------------------------------------------------------------

demo_section "5万通ではなく、お知らせ 1 通 / one digest instead of the flood"
if ! grep -qF "digest to $USER_A" "$MW_LOG"; then
	demo_say "(mailwarden sends due digests once a minute; waiting for it, 90 s at most)"
fi
e2e_wait_until 90 grep -qF "digest to $USER_A" "$MW_LOG" ||
	e2e_die "no digest was sent within 90 s"
grep -F "digest to $USER_A" "$MW_LOG" | head -n 1 | sed 's/^.*info: //' | demo_indent
digest_file() {
	local d
	d=$(pf_maildir "$USER_A")
	grep -l -r '^X-Mailwarden-Digest:' "$d/new" "$d/cur" 2>/dev/null </dev/null | head -n 1
}
have_digest() { [ -n "$(digest_file)" ]; }
e2e_wait_until 20 have_digest
DIGEST=$(digest_file)
[ -n "$DIGEST" ] || e2e_die "the digest was sent but is not in tanaka's maildir"
demo_say "In tanaka's maildir ($(basename "$DIGEST")):"
demo_show "From: $(demo_header "$DIGEST" From)"
demo_show "Subject: $(demo_header "$DIGEST" Subject)"
demo_show ""
demo_body "$DIGEST" 7 | demo_indent
demo_show "..."
awk 'body && /^[A-Z][a-z]/ && !/^[^ ]*@/ { en = 1 } en && NF { print; if (++k >= 5) exit } /^\r?$/ { body = 1 }' \
	"$DIGEST" | tr -d '\r' | demo_indent
demo_show "..."
if command -v sqlite3 >/dev/null && command -v jq >/dev/null; then
	demo_say "The flood event, as written when the 20th refusal arrived (SQLite, $MW_DB):"
	mw_sql "SELECT payload FROM event WHERE key = 'rcpt:$USER_A' ORDER BY t, id LIMIT 2;" 2>/dev/null |
		jq -c '{type, count, servers, first, threshold}' 2>/dev/null |
		demo_indent
fi

# -- 12. the summary ---------------------------------------------------------------

demo_section "まとめ / summary"
sleep 1
# Every figure is counted from what the programs wrote: mailwarden's log,
# its store, the maildirs and the sink.
in_log() { # in_log FIXED-STRING REGEX - lines with both
	grep -F -- "$1" "$MW_LOG" | grep -E -c -- "$2"
}
bs_refused=$(in_log "to=<$USER_A>" 'verdict=reject')
gen_a=$(in_log "$USER_A>" 'verdict=accept reason="(tagged bounce|bounce proven)')
own_b=$(in_log "$USER_B>" 'verdict=accept reason="tagged bounce')
old_ref=$(in_log "to=<$USER_OLD>" 'verdict=reject')
old_ret=$(in_log "to=<$USER_OLD>" 'reason="retired address"')
outb=$(mwlog_count ' outbound .*verdict=accept.*new_from=<prvs=')
floods=$(mwlog_count 'shield: flood of backscatter to ')
digests=$(mwlog_count 'shield: digest to ')
ownev=$(mwlog_count 'bounces of own mail in an hour')
all_rej=$(mwlog_count 'verdict=reject')
n_foreign=$(grep -E '"country": *"(CN|RU|BR|US|DE)"' "$W/yamamoto-history.json" |
	grep -E -c '"proto": *"imap"')
n_susp=$(mwlog_count "guard: $USER_C: sending suspended")
n_lift=$(mwlog_count "guard: $USER_C: suspension lifted by a password change")
n_notice_log=$(mwlog_count 'guard: [a-z_-]+ notice for ')
n_notices=0
for u in "$USER_C" "$ADMIN" "$USER_T"; do
	for f in $(maildir_files "$u"); do
		grep -q '^X-Mailwarden-Notice:' "$f" && n_notices=$((n_notices + 1))
	done
done
sent_log=$outb
if command -v sqlite3 >/dev/null; then
	sent_log=$(mw_sql "SELECT count(*) FROM sent;" 2>/dev/null) || sent_log=$outb
fi
printf '   %s%-40s %8s %10s   %s%s\n' "$DEMO_B" "" refused delivered recorded "$DEMO_OFF"
row() { printf '   %-40s %8s %10s   %s\n' "$@"; }
row "forged bounces to tanaka (seed 000)" "$bs_refused" "$accepted" "$floods flood event, $digests digest"
row "genuine bounces of tanaka's mail" "0" "$gen_a" "proofs: BATV tag, sent log"
row "bounces of suzuki's spam (seed 004)" "0" "$own_b" "$ownev own_bounces event"
row "mail to tanaka.old (1 before retiring)" "$old_ref" "$(maildir_count "$USER_OLD")" "$old_ret refused as retired"
row "yamamoto's password used (seed 001)" "$ATT_REFUSED" "$ATT_SENT" "$n_foreign foreign logins (${HIST_CC% }), $n_susp suspension"
row "yamamoto, after her new password" "0" "1" "$n_lift lifted by a password change"
row "ito, travelling in the US" "0" "$T_SENT" "$(notices "$USER_T" login-alert) login alert, not suspended"
row "guard notices (yamamoto, admin, ito)" "0" "$n_notices" "$n_notice_log sent (mailwarden log)"
row "all outbound, BATV-tagged (smtp-sink)" "$ATT_REFUSED" "$(sink_count)" "$sent_log Message-IDs in the sent log"
echo
digest_n=0
[ -n "$DIGEST" ] && digest_n=1
demo_say "maildirs: tanaka $(maildir_count "$USER_A") ($gen_a genuine bounces, $digest_n digest, $accepted forged), suzuki $(maildir_count "$USER_B"), tanaka.old $(maildir_count "$USER_OLD"),"
demo_say "          yamamoto $(maildir_count "$USER_C"), ito $(maildir_count "$USER_T"), admin $(maildir_count "$ADMIN") (the guard's notices)"
demo_say "mailwarden refused $all_rej message(s) in all; Postfix generated no bounce (its queue: $(pf_queue_count))."
demo_say ""
demo_say "mailwarden log   $MW_LOG"
demo_say "its state        $MW_DB (SQLite; sqlite3 -readonly to look)"
demo_say "Postfix log      $PF_LOG"
demo_say "Dovecot log      $DC_LOG"
demo_say "maildirs         $PF_MAILDIR_BASE/example.jp/{tanaka,suzuki,tanaka.old,yamamoto,ito,admin}/new/"
demo_say "the Internet     $SINK_DIR/msg.* (smtp-sink: envelope, then message)"
demo_say "what was sent    $W/ (messages, SMTP results)"

# -- 13. mail reading ------------------------------------------------------------

demo_section "メールを読む / mailwarden's mail reading (trace, bounce) on the samples"
demo_say "One of the 50,000 (ISO-2022-JP): mailwarden bounce $SAMPLES/01-jp-backscatter-dsn.eml"
"$MW_BIN" bounce "$SAMPLES/01-jp-backscatter-dsn.eml" 2>&1 | head -n 14 | demo_indent
demo_say "Seed 001's spam, sent with a stolen password: mailwarden trace $SAMPLES/04-stolen-password-spam.eml"
"$MW_BIN" trace "$SAMPLES/04-stolen-password-spam.eml" 2>&1 | head -n 14 | demo_indent
demo_say "More: build/mailwarden --help; docs/shield.md, docs/daemon.md."

t_end=$(e2e_now_ms)
echo
printf '%sThe demo keeps running (Postfix, Dovecot, smtp-sink, mailwarden on 127.0.0.1; %d s so far).%s\n' \
	"$DEMO_B" "$(((t_end - DEMO_T0) / 1000))" "$DEMO_OFF"
echo "Send more: swaks --server 127.0.0.1:$P25 --to tanaka@example.jp --from '<>' --xclient-addr 203.0.113.9"
echo "Log in:    perl tests/e2e/lib/imap.pl 127.0.0.1 $PIMAP $USER_T '$PW_T' 203.0.113.200"
echo "Look:      build/mailwarden account history $USER_T -c $MW_CONF"
echo "Stop it:   make demo-stop   (scripts/demo-stop.sh; the files stay in $DEMO_DIR)"
demo_record
DEMO_OK=1
