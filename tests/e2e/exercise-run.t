#!/bin/sh
# exercise-run.t: a tabletop exercise run end to end at high speed, with
# scripted participants, and the evidence it leaves. The scenario is
# tests/fixtures/exercise/run.ini (300 certificates of 6 customers, 24
# hours, injects: more-certs, a delay request, a backend outage, a
# journalist's question). `exercise start` runs its clock at x60 from a
# real instant given by WARROOM_NOW, which each step moves (a real second
# is a simulated minute): Management declares and ticks tasks, Customer
# Relations notifies (the mail reaches the [exercise] smtp sink and says
# EXERCISE), Revocation authorizes and revokes through the exercise's
# test CA (refused during the outage, revoked after), a console replaying
# WARROOM_SCRIPT ticks a task as Revocation; injects fire once each;
# expectations are scored met, late, missed automatically and by the
# facilitator's hand; an observer adds a note; the facilitator ends it.
# Then `exercise report` (Markdown and HTML) and `report postmortem`
# equal the files in tests/fixtures/exercise/ (digests of the test CA's
# random key and a run's real seconds normalised; WR_UPDATE_REPORTS=1
# rewrites them: look at the diff), and,
# independently: the report's counts are those of `status --json`, the
# exercise CA's CRLs list as many serials as the report says revoked, and
# `audit verify --head` reproduces the head the report states.
. "$(dirname "$0")/lib.sh"

needs sqlite3 openssl python3
needs_root
no_plan

LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
export LANG LC_ALL TZ
EXPECTED=$WR_FIXTURES/exercise
DB=$WORK/ex.db
sql() { sqlite3 "$DB" "$1"; }

# The real instant the exercise starts at, and the simulated one.
R0=$(date -u -d 2026-11-25T08:00:00Z +%s)
SIM0=2026-11-20T12:00:00Z
S0=$(date -u -d "$SIM0" +%s)
# at H:MM: WARROOM_NOW (the real now) when the simulated clock, at x60
# from the start, reads SIM0 + H:MM: a simulated minute is a real second.
at() {
	_h=${1%%:*} _m=${1#*:}
	WARROOM_NOW=$(date -u -d "@$((R0 + _h * 60 + ${_m#0}))" +%Y-%m-%dT%H:%M:%SZ)
	export WARROOM_NOW
}
# sim H:MM: the simulated instant, as warroom writes it.
sim() {
	_h=${1%%:*} _m=${1#*:}
	date -u -d "@$((S0 + _h * 3600 + ${_m#0} * 60))" +%Y-%m-%dT%H:%M:%SZ
}
as() { _u=$1; shift; WARROOM_USER=$_u "$WARROOM" --db "$DB" "$@"; }

# The exercise's mail sink.
mkdir -p mail
/usr/bin/python3 "$WR_E2E_DIR/smtp-sink.py" "$WORK/port" "$WORK/mail" &
PIDS="$PIDS $!"
until_ok 100 test -s "$WORK/port" || bail_out "smtp-sink.py did not start"

cat >warroom.conf <<EOF
[users]
fran = facilitator
alice = management
carol = customer-relations
rob = revocation
olga = external-comms
[smtp]
from = revocations@ca.example
[exercise]
smtp = smtp://127.0.0.1:$(cat "$WORK/port")
EOF
chmod 600 warroom.conf

fired() { sql "SELECT count(*) FROM inject WHERE fired_at IS NOT NULL"; }
fire_events() { sql "SELECT count(*) FROM event WHERE action = 'inject-fire'"; }
score_of() { sql "SELECT coalesce(e.score, '-') || '/' || coalesce(e.late_by, 0) || '/' || coalesce(e.scored_by, '-')
	FROM expectation e WHERE e.description LIKE '$1%'"; }
task_id() { sql "SELECT id FROM task WHERE title = '$1'"; }

# ---- the start -------------------------------------------------------------------------
at 0:00
run as fran exercise start "$EXPECTED/run.ini" --at "$SIM0"
is "$RC" 0 "the facilitator starts the scenario" || diag "$ERR"
like "$OUT" "clock: +running, speed 60" "... at the scenario's speed"
run as fran exercise status --json
is "$(json_get "$OUT_FILE" now)" "$SIM0" "the simulated clock starts at --at"
is "$(fired)" 1 "the inject due at +0 fired at the start"
at 0:10
run as alice status --json
is "$(json_get "$OUT_FILE" incident.now)" "$(sim 0:10)" "ten real seconds later, ten simulated minutes"
is "$(json_get "$OUT_FILE" counts.affected)" 300 "the population: 300 certificates"

# ---- Management assesses and declares ---------------------------------------------------
at 0:40
run as alice task done "$(task_id 'Assess scope and severity against the MRE criteria')" --yes
is "$RC" 0 "Management ticks its assessment at +0:40" || diag "$ERR"
run as alice declare --reason validation-unreliable --discovered 2026-11-20T10:00:00Z
is "$RC" 0 "Management declares" || diag "$ERR"
is "$(score_of 'Management assesses')" "met/0/auto" "assessed within the hour: met, automatically"

# ---- +1:00 more certificates; +2:00 a delay request ----------------------------------
at 1:00
run as rob status --json
is "$(fired)" 2 "at +1:00 the second inject fires"
is "$(json_get "$OUT_FILE" counts.affected)" 325 "more-certs: 300 + 25 certificates"
at 2:00
# Three participants' commands race: the inject fires once.
as carol status >/dev/null 2>&1 &
P1=$!
as rob certs >/dev/null 2>&1 &
P2=$!
as olga log >/dev/null 2>&1 &
P3=$!
wait $P1 $P2 $P3
is "$(fired)" 3 "at +2:00 the delay request fires, once for three processes"
is "$(fire_events)" 3 "three injects, three fire events"
ok "Management has a task to decide on it" test -n "$(sql "SELECT id FROM task WHERE team = 'management'
	AND title LIKE 'Decide on Contoso Health%Infusion pumps%'")"
at 2:30
run as alice delay --customer "Contoso Health" --until 2026-11-23T10:00:00Z --rationale "Infusion pumps need a maintenance window"
is "$RC" 0 "Management records the delay at +2:30" || diag "$ERR"
as alice status >/dev/null 2>&1
is "$(score_of 'Management decides')" "met/0/auto" "decided 30 minutes after the request: met"

# ---- +3:00 the backend is down for an hour -------------------------------------------
at 3:00
as rob status >/dev/null 2>&1
is "$(fired)" 4 "at +3:00 the outage begins"
at 3:10
run as alice authorize revoke
is "$RC" 0 "Management authorizes the revocation" || diag "$ERR"
run as rob revoke --yes
is "$RC" 1 "a revocation during the outage exits 1"
like "$OUT" "revoked 0 certificates" "... and revokes nothing"
is "$(sql "SELECT count(*) FROM cert WHERE state = 'failed' AND error LIKE '%unavailable (exercise fault%'")" 285 \
	"the 285 not delayed failed, with the fault's reason"

# ---- +3:30 Customer Relations notifies: late -----------------------------------------
at 3:30
run as carol notify --yes
is "$RC" 0 "Customer Relations notifies every customer" || diag "$ERR"
like "$OUT" "6 sent, 0 failed" "... six notices sent"
is "$(ls mail/*.eml | wc -l)" 6 "the six reached the exercise's SMTP sink"
as carol status >/dev/null 2>&1
is "$(score_of 'Every critical')" "late/1800/auto" "critical customers notified 30 minutes late"

# ---- +4:00 a journalist's question; Revocation's console ticks a task -----------------
at 4:00
as olga status >/dev/null 2>&1
is "$(fired)" 5 "at +4:00 the journalist's question fires"
confirm=$(task_id 'Confirm the affected serials and prepare revocation batches')
at 4:20
cat >rob.script <<EOF
:task done $confirm
save-display $WORK/rob.txt
quit
EOF
WARROOM_SCRIPT=$WORK/rob.script COLUMNS=120 LINES=40 WARROOM_USER=rob "$WARROOM" --db "$DB" --team revocation \
	>rob.out 2>&1
is "$?" 0 "Revocation's console replays its script" || diag "$(cat rob.out)"
file_like rob.txt "task $confirm done" "the console says so"
is "$(sql "SELECT done_by || ' ' || done_at FROM task WHERE id = $confirm")" "rob $(date -u -d "$(sim 4:20)" +%s)" \
	"the console ticked the task as rob, at the simulated +4:20"

# ---- +4:30 the outage is over: the revocation succeeds --------------------------------
at 4:30
run as rob revoke --yes
is "$RC" 0 "the revocation after the outage exits 0" || diag "$ERR"
like "$OUT" "revoked 285 certificates \(0 already revoked, 0 failed\)" "... the 285 are revoked"

# ---- the facilitator scores by hand, an observer notes, the end -------------------------
at 5:00
run as alice exercise score "$(sql "SELECT id FROM expectation WHERE kind = 'manual'")" met
is "$RC" 1 "a participant may not score"
run as fran exercise score "$(sql "SELECT id FROM expectation WHERE kind = 'manual'")" late --late-by 20m \
	--note "answered by phone"
is "$RC" 0 "the facilitator scores the answer to the journalist by hand" || diag "$ERR"
at 5:10
run as olga exercise observe "External Communications waited for Legal's wording"
is "$RC" 0 "an observer adds a note" || diag "$ERR"

at 8:30
as alice status >/dev/null 2>&1
is "$(score_of 'The preliminary')" "missed/0/auto" "no preliminary report: missed"
at 9:00
run as fran exercise end
is "$RC" 0 "the facilitator ends the exercise" || diag "$ERR"
like "$OUT" "ended at $(sim 9:00) \(simulated\)" "... at the simulated +9:00"
is "$(fire_events)" 5 "five injects fired in all, each once"
is "$(sql "SELECT count(*) FROM expectation WHERE score IS NULL")" 0 "every expectation is scored"
# Even the policy pinned as the database was made: no real instant in the timeline.
is "$(sql "SELECT count(*) FROM event WHERE at NOT BETWEEN $S0 AND $S0 + 9 * 3600")" 0 \
	"every event has a simulated time within the exercise"

# ---- the mail: EXERCISE first --------------------------------------------------------------
m=$(ls mail/*.eml | head -1)
file_like "$m" "^Subject: \[EXERCISE\] " "a notice's subject starts [EXERCISE]"
body=$(/usr/bin/python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(("plain",)).get_content().splitlines()[0])' "$m")
like "$body" "^EXERCISE: " "... and so does its body"

# ---- golden reports ----------------------------------------------------------------------
# Later, in real time: the ended exercise's clock stays at its end.
at 30:00
run as fran exercise report
is "$RC" 0 "exercise report exits 0" || diag "$ERR"
cp "$OUT_FILE" exercise-report.raw
run as fran report postmortem
is "$RC" 0 "report postmortem exits 0" || diag "$ERR"
cp "$OUT_FILE" postmortem.raw
run as fran exercise report --format html
is "$RC" 0 "exercise report --format html exits 0" || diag "$ERR"
cp "$OUT_FILE" exercise-report.html.raw
# The chain's head follows the test CA's random key (the certificates'
# DER are in the import events); the plan's and scenario's digests do not.
HEAD=$(sed -n 's/.*head `\([0-9a-f]\{64\}\)`.*/\1/p' exercise-report.raw)
is "$(printf %s "$HEAD" | wc -c | tr -d ' ')" 64 "the report states the chain's head"
# A revocation run's real duration ("in 0.2 s", in the timeline) is the
# machine's, not the exercise's.
normalise() { sed -e "s/$HEAD/{audit-head}/g" -e 's/\( failed, in \)[0-9][0-9.]* s/\1{seconds} s/g'; }
for k in exercise-report.md postmortem.md exercise-report.html; do
	normalise <${k%.md}.raw >$k
	no_control_bytes $k "$k: no control bytes"
	[ -n "${WR_UPDATE_REPORTS:-}" ] && cp $k "$EXPECTED/$k"
	if cmp -s $k "$EXPECTED/$k"; then
		pass "$k equals tests/fixtures/exercise/$k"
	else
		fail "$k equals tests/fixtures/exercise/$k" "$(diff -u "$EXPECTED/$k" $k | head -40)"
	fi
done
is "$(head -n 1 exercise-report.raw)" EXERCISE "the exercise report says EXERCISE first"
like "$(head -n 1 postmortem.raw)" "EXERCISE" "... and so does the postmortem"
file_like exercise-report.raw "Scenario SHA-256 \| \`$(sha256sum "$EXPECTED/run.ini" | cut -c1-64)\`" \
	"the report names the scenario file's SHA-256"

# ---- the report against the database, the CRLs and the chain ----------------------------
as fran status --json >status.json
set -- $(sed -n 's/^| Certificates | \([0-9]*\) affected: \([0-9]*\) revoked, \([0-9]*\) pending, \([0-9]*\) delayed, \([0-9]*\) expired |$/\1 \2 \3 \4 \5/p' exercise-report.raw)
is "$#" 5 "the report gives the certificates' counts"
is "$1/$2/$3/$4/$5" "$(for k in affected revoked pending delayed expired; do printf '%s/' "$(json_get status.json counts.$k)"; done | sed 's,/$,,')" \
	"... those of status --json (affected/revoked/pending/delayed/expired)"
is "$2" 285 "285 revoked: all but Contoso Health's delayed 40"
is "$(sql "SELECT count(*) > 0 FROM cert WHERE state = 'revoked' AND synthetic = 0")/$(sql "SELECT count(*) > 0 FROM cert WHERE state = 'revoked' AND synthetic = 1")" \
	1/1 "... real certificates and synthetic rows among them"
crls=$(ls "$DB.ca/out/"*.crl | grep -v '/arl\.crl$')
ok "the exercise's CA published CRLs" test -n "$crls"
n=0 signed=0 all=0
for c in $crls; do
	all=$((all + 1))
	openssl crl -inform DER -in "$c" -CAfile "$DB.ca/ca.pem" -noout 2>&1 | grep -q 'verify OK' &&
		signed=$((signed + 1))
	n=$((n + $(openssl crl -inform DER -in "$c" -text -noout | grep -c 'Serial Number:')))
done
is "$signed" "$all" "each is signed by the exercise's own test CA"
is "$n" "$2" "the CRLs list as many serials as the report says revoked"
for c in $crls; do
	openssl crl -inform DER -in "$c" -text -noout | sed -n 's/^ *Serial Number: *//p'
done | sort >crl-serials
sql "SELECT serial FROM cert WHERE state = 'revoked' ORDER BY 1" | sort >db-serials
ok "... exactly the serials the database has revoked, real and synthetic" same_file crl-serials db-serials
run as fran audit verify --head "$HEAD"
is "$RC" 0 "audit verify --head reproduces it" || diag "$OUT $ERR"
run as fran audit verify --head "$(printf %s "$HEAD" | tr 0-9a-f 1-9a-f0)"
isnt "$RC" 0 "... and refuses another head"

done_testing
