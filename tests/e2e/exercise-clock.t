#!/bin/sh
# exercise-clock.t: an exercise's simulated clock lives in its database.
# On a test fixture (WARROOM_NOW is the real now): `exercise start` makes
# the database and its test CA, the clock runs from --at at --speed;
# commands stamp the simulated time (a task ticked, events); pause
# freezes it, resume continues from where it stopped, a new speed counts
# from the change, the end stops it for good; each change is an event of
# a chain that verifies; only the facilitator runs the clock. An
# exercise refuses the acme and exec backends, naming the config line,
# revokes on its own test CA, and sends mail only to [exercise] smtp
# (EXERCISE first), or nowhere. On the real clock, two consoles (tmux)
# on one exercise show the same simulated time, frozen by a pause in
# both, running on after a resume, at a new speed; the wall says
# EXERCISE too. A built-in scenario starts an exercise end to end.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs openssl
needs_root
no_plan

tmux_session wr-ex

# A scenario small enough to start at once (warroom-scenario(5)).
cat >"$WORK/tiny.ini" <<'EOF'
[scenario]
id = tiny
title = Tiny clock test
based_on = nothing real: the exercise clock's test
reason = validation-unreliable
discovered = -2h
declare = no
speed = 60

[population]
count = 40
real = 10
customers = 4
critical = 25%
expired = 0%
validity = 90d:100%
endpoints = 1..1
EOF

cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = facilitator
bob = management
carol = customer-relations
EOF
chmod 600 "$WORK/warroom.conf"

DB=$WORK/ex.db
# X REAL USER ARGS...: warroom on the exercise as USER at the real instant
# 2026-11-25T08:REAL (a test fixture: WARROOM_NOW is the real now).
X() {
	_r=$1 _u=$2
	shift 2
	env WARROOM_NOW="2026-11-25T$_r" WARROOM_USER="$_u" "$WARROOM" --db "$DB" "$@"
}
now_is() { # REAL WANT DESC: the simulated now at real instant REAL
	X "$1" alice exercise status --json >"$WORK/st.json" 2>&1
	is "$(json_get "$WORK/st.json" now)" "$2" "$3"
}

# ---- start ------------------------------------------------------------------------------
run X 08:00:00Z bob exercise start "$WORK/tiny.ini" --at 2026-11-20T12:00:00Z
is "$RC" 1 "a participant cannot start an exercise"
like "$ERR" "facilitator" "... the refusal names the role"
ok "... and leaves nothing behind" test ! -e "$DB" -a ! -e "$DB.ca"

run X 08:00:00Z alice exercise start "$WORK/tiny.ini" --at 2026-11-20T12:00:00Z
is "$RC" 0 "the facilitator starts the exercise" || diag "$ERR"
like "$OUT" "now: +2026-11-20T12:00:00Z \(simulated\)" "it starts at --at"
like "$OUT" "clock: +running, speed 60" "... at the scenario's speed"
ok "its test CA is beside the database" test -s "$DB.ca/ca.pem" -a -s "$DB.ca/ca.key"
is "$(mode_of "$DB.ca/ca.key")" 600 "... its key readable by its owner only"
run X 08:00:00Z alice exercise start "$WORK/tiny.ini"
is "$RC" 1 "start never overwrites an exercise"

X 08:00:00Z alice exercise status --json >"$WORK/st.json"
is "$(json_get "$WORK/st.json" scenario)" tiny "status: the scenario"
is "$(json_get "$WORK/st.json" real_start)" 2026-11-25T08:00:00Z "status: the real start"
is "$(json_get "$WORK/st.json" sim_start)" 2026-11-20T12:00:00Z "status: the simulated start"
is "$(json_get "$WORK/st.json" paused)" false "status: running"

# ---- the clock runs at the speed; commands use it ---------------------------------------
now_is 08:01:00Z 2026-11-20T13:00:00Z "a real minute at speed 60 is a simulated hour"
X 08:01:30Z bob task done 1 --yes >/dev/null || fail "task done"
X 08:01:30Z bob task list --json >"$WORK/tasks.json"
is "$(json_get "$WORK/tasks.json" 0.done_at)" 2026-11-20T13:30:00Z "a task is ticked at the simulated time"
X 08:01:30Z bob status --json >"$WORK/status.json"
is "$(json_get "$WORK/status.json" incident.now)" 2026-11-20T13:30:00Z "status says the simulated now" ||
	diag "$(head -c 400 "$WORK/status.json")"

# ---- pause, resume, speed, end ----------------------------------------------------------
run X 08:02:00Z bob exercise pause
is "$RC" 1 "a participant (even Management) cannot pause"
like "$ERR" "only the exercise's facilitator" "... told who can"
run X 08:02:00Z alice exercise pause
is "$RC" 0 "the facilitator pauses"
like "$OUT" "paused at 2026-11-20T14:00:00Z" "... at the simulated now"
run X 08:02:00Z alice exercise pause
is "$RC" 1 "a second pause is refused"
like "$ERR" "paused already" "... saying why"
now_is 09:30:00Z 2026-11-20T14:00:00Z "paused, the clock stays"
X 09:30:00Z bob task done 2 --yes >/dev/null
X 09:30:00Z bob task list --json >"$WORK/tasks.json"
is "$(json_get "$WORK/tasks.json" 1.done_at)" 2026-11-20T14:00:00Z "a task ticked while paused has the paused time"
run X 10:00:00Z alice exercise resume
like "$OUT" "resumed at 2026-11-20T14:00:00Z \(simulated\), speed 60" "resume continues from the pause"
now_is 10:01:00Z 2026-11-20T15:00:00Z "... and runs at the speed again"
run X 10:01:00Z alice exercise speed 3600
is "$RC" 0 "the facilitator changes the speed"
now_is 10:01:00Z 2026-11-20T15:00:00Z "a new speed does not move the clock"
now_is 10:01:10Z 2026-11-21T01:00:00Z "ten real seconds at 3600 are ten simulated hours"
run X 10:01:10Z alice exercise speed fast
is "$RC" 2 "a speed that is no number is a usage error"
run X 10:01:10Z alice exercise speed 0
is "$RC" 2 "... and so is 0"
run X 10:02:00Z alice exercise end
like "$OUT" "ended at" "the facilitator ends the exercise"
X 10:02:00Z alice exercise status --json >"$WORK/st.json"
end=$(json_get "$WORK/st.json" now)
now_is 12:00:00Z "$end" "ended, the clock stays"
run X 12:00:00Z alice exercise resume
is "$RC" 1 "an ended exercise does not resume"
like "$ERR" "ended at" "... saying when it ended"

X 12:00:00Z alice log >"$WORK/log.txt"
file_like "$WORK/log.txt" "alice started the exercise \"Tiny clock test\" \(scenario tiny\)" "the log has the start"
file_like "$WORK/log.txt" "alice paused the exercise's clock at 2026-11-20 14:00Z" "... the pause"
file_like "$WORK/log.txt" "alice resumed the exercise's clock at 2026-11-20 14:00Z, speed 60" "... the resume"
file_like "$WORK/log.txt" "alice changed the exercise's clock speed from 60.0 to 3600.0" "... the change of speed"
file_like "$WORK/log.txt" "alice ended the exercise at" "... and the end"
run X 12:00:00Z alice audit verify
is "$RC" 0 "the chain holds" || diag "$OUT $ERR"

# ---- the backends: local only, on the exercise's own CA ----------------------------------
printf '[revocation]\nbackend = acme\n' >"$WORK/acme.conf"
printf '[revocation]\nbackend = exec\n[exec]\ncommand = /bin/false\n' >"$WORK/exec.conf"
chmod 600 "$WORK/acme.conf" "$WORK/exec.conf"
run env WARROOM_NOW=2026-11-25T08:00:00Z "$WARROOM" --config "$WORK/acme.conf" --db "$WORK/a.db" \
	exercise start "$WORK/tiny.ini"
is "$RC" 2 "an exercise does not start with backend = acme"
like "$ERR" "acme.conf: \[revocation\] backend = acme: an exercise revokes only through the local backend" \
	"... the refusal names the config line"
ok "... and leaves nothing behind" test ! -e "$WORK/a.db" -a ! -e "$WORK/a.db.ca"

# [local] names a CA that is not the exercise's: the exercise uses its own.
cat >>"$WORK/warroom.conf" <<'EOF'
[local]
ca_cert = /nonexistent/real-ca.pem
ca_key = /nonexistent/real-ca.key
out_dir = /nonexistent/crl
EOF
DB=$WORK/rv.db
X 08:00:00Z alice exercise start "$WORK/tiny.ini" --at 2026-11-20T12:00:00Z >/dev/null ||
	fail "a second exercise starts"
X 08:00:10Z bob declare --reason validation-unreliable --discovered 2026-11-20T10:00:00Z >/dev/null ||
	fail "declare"
X 08:00:10Z bob authorize revoke --limit 5 >/dev/null || fail "authorize"
run env WARROOM_NOW=2026-11-25T08:00:20Z WARROOM_USER=bob "$WARROOM" --config "$WORK/exec.conf" \
	--db "$DB" revoke --limit 5 --yes
is "$RC" 2 "an exercise refuses backend = exec"
like "$ERR" "exec.conf: \[revocation\] backend = exec" "... naming the config line"
run X 08:00:20Z bob revoke --limit 5 --yes
is "$RC" 0 "the local backend revokes in the exercise" || diag "$ERR"
crl=$(ls "$DB.ca/out/"*.crl 2>/dev/null | grep -v arl | head -1)
ok "... publishing a CRL in the exercise's CA directory" test -n "$crl"
run openssl crl -in "$crl" -inform DER -CAfile "$DB.ca/ca.pem" -noout
like "$ERR$OUT" "verify OK" "... signed by the exercise's own test CA"

# ---- mail: only to [exercise] smtp, EXERCISE first ---------------------------------------
# sink NAME: an SMTP server storing in $WORK/mail/NAME; its port in $PORT.
sink() {
	mkdir -p "$WORK/mail/$1"
	rm -f "$WORK/port"
	/usr/bin/python3 "$WR_E2E_DIR/smtp-sink.py" "$WORK/port" "$WORK/mail/$1" &
	PIDS="$PIDS $!"
	until_ok 100 test -s "$WORK/port" || bail_out "smtp-sink.py did not start"
	PORT=$(cat "$WORK/port")
}
sink real
cat >>"$WORK/warroom.conf" <<EOF
[smtp]
url = smtp://127.0.0.1:$PORT
from = revocations@ca.example
EOF
X 08:00:30Z bob customers --json >"$WORK/cust.json"
c1=$(json_get "$WORK/cust.json" 0.name)
c2=$(json_get "$WORK/cust.json" 1.name)
run X 08:00:30Z carol notify --customer "$c1" --yes
is "$RC" 0 "notify without [exercise] smtp succeeds" || diag "$ERR"
X 08:00:30Z bob customers --json >"$WORK/cust.json"
is "$(json_get "$WORK/cust.json" 0.notified)" "$(json_get "$WORK/cust.json" 0.certificates)" \
	"... its message counts as sent (simulated)"
is "$(ls "$WORK/mail/real" | wc -l)" 0 "... and nothing reached the CA's SMTP server"

sink exercise
cat >>"$WORK/warroom.conf" <<EOF
[exercise]
smtp = smtp://127.0.0.1:$PORT
EOF
run X 08:00:40Z carol notify --customer "$c2" --yes
is "$RC" 0 "notify with [exercise] smtp succeeds" || diag "$ERR"
m=$(ls "$WORK/mail/exercise/"*.eml 2>/dev/null | head -1)
ok "... the message went to the exercise's sink" test -n "$m"
file_like "$m" "^Subject: \[EXERCISE\] " "... its subject starts [EXERCISE]"
body=$(/usr/bin/python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(("plain",)).get_content().splitlines()[0])' "$m")
like "$body" "^EXERCISE: this message is part of a tabletop exercise" "... and so does its body"
is "$(ls "$WORK/mail/real" | wc -l)" 0 "... and still nothing reached the CA's server"
stop_servers

# ---- two consoles on one exercise, on the real clock -----------------------------------
DB=$WORK/live.db
env WARROOM_USER=alice "$WARROOM" --db "$DB" exercise start "$WORK/tiny.ini" --speed 1 \
	--at 2026-11-20T12:00:00Z >/dev/null || bail_out "the live exercise did not start"
L() { env WARROOM_USER=alice "$WARROOM" --db "$DB" "$@"; }
L exercise pause >/dev/null || fail "pause the live exercise"

start() { # NAME USER [ARGS]: a console at 120x40 in a tmux session
	_s=$1 _u=$2
	shift 2
	T new-session -d -s "$_s" -x 120 -y 40 -c "$WORK" \
		"env WARROOM_USER=$_u TERM=screen XDG_STATE_HOME='$XDG_STATE_HOME' '$WARROOM' --db '$DB' $*; echo console-exit=\$?; sleep 600"
	wait_for "$_s" 'EXERCISE' 5 || diag "the console in $_s did not start: $(screen "$_s")"
}
shows() { screen "$1" | grep -Eq -- "$2"; } # SESSION ERE
shown_now() { screen "$1" | sed -n 's/.* Now \([0-9-]* [0-9:]*Z\).*/\1/p' | head -1; }
status_now() { # the simulated now as the header writes it
	L exercise status --json >"$WORK/live.json"
	json_get "$WORK/live.json" now | sed 's/T/ /'
}

start a bob
start b carol --wall
paused=$(status_now)
like "$(screen a | head -1)" "^ WARROOM  EXERCISE  " "the console's header says EXERCISE"
like "$(screen b | head -1)" "^ WARROOM  EXERCISE  " "... and so does the wall's"
wait_for a "Now $paused PAUSED" 3
is "$(shown_now a)" "$paused" "paused: the first console shows the exercise's time"
wait_for b "Now $paused PAUSED" 3
is "$(shown_now b)" "$paused" "... and the second the same"

L exercise speed 3600 >/dev/null
L exercise resume >/dev/null
# Ten real seconds at most for an hour and a half of simulated time.
later() { # SESSION: the console shows a time 90 min past the pause, running at x3600
	_t=$(shown_now "$1")
	[ -n "$_t" ] && screen "$1" | grep -q "Now $_t x3600" &&
		[ $(( $(date -u -d "$_t" +%s) - $(date -u -d "$paused" +%s) )) -ge 5400 ]
}
ok "resumed at x3600, the first console's clock runs on" until_ok 100 later a
ok "... and the second's" until_ok 100 later b

L exercise pause >/dev/null
p2=$(status_now)
ok "paused again, the first console stops at the exercise's time" until_ok 50 shows a "Now $p2 PAUSED"
ok "... and the second at the same" until_ok 50 shows b "Now $p2 PAUSED"
is "$(shown_now a)" "$(shown_now b)" "both consoles show the same simulated time"
L exercise speed 60 >/dev/null
L exercise resume >/dev/null
ok "a new speed shows in the first console" until_ok 50 shows a "Now [0-9-]+ [0-9:]+Z x60 "
ok "... and in the second" until_ok 50 shows b "Now [0-9-]+ [0-9:]+Z x60"
T kill-server >/dev/null 2>&1

# ---- a built-in scenario, end to end -----------------------------------------------------
DB=$WORK/builtin.db
run env WARROOM_NOW=2026-11-25T08:00:00Z WARROOM_USER=alice "$WARROOM" --db "$DB" exercise start dcv-24h
is "$RC" 0 "a built-in scenario starts an exercise" || diag "$ERR"
like "$OUT" "scenario dcv-24h" "... named as the scenario"
run env WARROOM_NOW=2026-11-25T08:00:00Z WARROOM_USER=alice "$WARROOM" --db "$DB" status --json
is "$(printf '%s' "$OUT" | perl -MJSON::PP -0e 'print decode_json(<STDIN>)->{incident}{reason}')" \
	validation-unreliable "... its incident has the scenario's reason"
run env WARROOM_USER=alice "$WARROOM" --db "$WORK/none.db" exercise start no-such-scenario
isnt "$RC" 0 "an unknown scenario starts nothing"
like "$ERR" "no-such-scenario" "... the message names it"
ok "... and leaves nothing behind" test ! -e "$WORK/none.db"

done_testing
