#!/bin/sh
# exercise-injects.t: a tabletop exercise's injects, their effects and the
# scoring of what should follow them (core/inject.c, tui/cmd-inject.c).
# The exercise database is made with init, import and sqlite3 inserts into
# exercise/inject/expectation; its clock runs at x1 from the simulated
# start, so the simulated now is WARROOM_NOW, which each step sets.
#   - injects fire exactly once with three warroom processes racing;
#   - effects: more-certs adds certificates, backend-down makes a revocation
#     fail until it is over, then it succeeds, reclassify moves the deadline
#     from 5 days to 24 hours, delay-request gives Management a task,
#     unavailable names who cannot be reached and for how long;
#   - expectations scored met, late (by how much) and missed from the
#     database, and by the facilitator by hand, overriding;
#   - participants never see an inject before it fires, and may not fire,
#     inject or score; observations are anyone's;
#   - the facilitator pane in tmux (p, +, n and f: an inject fired from
#     it), and a participant's team pane banner.
. "$(dirname "$0")/lib.sh"
needs sqlite3 tmux openssl
needs_root
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
no_plan

tmux_session wr-inj

T0=2026-11-25T08:00:00Z
S0=$(date -u -d "$T0" +%s)
# at H:MM: the simulated (and WARROOM_NOW) instant T0 + H:MM.
at() {
	_h=${1%%:*} _m=${1#*:}
	WARROOM_NOW=$(date -u -d "@$((S0 + _h * 3600 + ${_m#0} * 60))" +%Y-%m-%dT%H:%M:%SZ)
	export WARROOM_NOW
}
as() { _u=$1; shift; WARROOM_USER=$_u "$WARROOM" --db "$DB" "$@"; }
sql() { sqlite3 "$DB" "$1"; }

cat >warroom.conf <<'EOF'
[users]
fran = facilitator
alice = management
rob = revocation
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
EOF
at 0:00
"$WR_TOOLS/wr-mkcerts" --out certs --count 6 --format pem --expired-percent 0 --seed 7 \
	--now "$T0" >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
# Contoso (critical) has two certificates, Fabrikam three, Northwind one.
awk -F, 'NR == 1 { print "serial,customer,contact,critical"; next }
	NR <= 3 { print $1 ",Contoso,ops@contoso.example,yes"; next }
	NR <= 6 { print $1 ",Fabrikam,ops@fabrikam.example,no"; next }
	{ print $1 ",Northwind,ops@northwind.example,no" }' certs/customers.csv >cust.csv
as alice init --name "Tabletop: injects" >/dev/null 2>&1 || bail_out "init failed"
as alice import certs/bundle.pem --customers cust.csv >/dev/null 2>&1 || bail_out "import failed"
as alice declare --reason weak-key --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"

# The exercise: running at x1 from T0, so that simulated now = WARROOM_NOW.
sql "INSERT INTO exercise(one, scenario, title, scenario_sha256, sim_start, real_start,
	sim_base, real_base_ms, speed, paused) VALUES (1, 'test', 'Injects', '00', $S0, $S0,
	$S0, ${S0}000, 1, 0);
INSERT INTO inject(id, at_offset, team, message, effect, params, position) VALUES
 ('i1', 3600, 'revocation', 'Another 40 certificates are affected', 'more-certs',   '{\"count\": 40, \"customer\": \"Found Later\"}', 1),
 ('i2', 7200, 'revocation', 'The CA''s revocation API is down', 'backend-down', '{\"for\": \"2h\"}', 2),
 ('i3', 10800, NULL, 'The keys are proven compromised', 'reclassify', '{\"reason\": \"key-compromise\"}', 3),
 ('i4', 18000, 'management', 'Contoso asks for a delay', 'delay-request',
  '{\"customer\": \"Contoso\", \"rationale\": \"hospital systems\", \"until\": \"3d\"}', 4),
 ('i5', 21600, 'external-comms', 'A journalist calls', 'question', '{\"from\": \"a journalist\"}', 5),
 ('i6', 23400, 'revocation', 'OCSP responders lag', 'ocsp-lag', '{\"for\": \"1h\", \"seconds\": 1800}', 6),
 ('i7', 24300, 'customer-relations', 'The mail server is down', 'smtp-down', '{\"for\": \"30m\"}', 7),
 ('i8', 500000, 'management', 'SECRET-LATER the CISO cannot be reached', 'unavailable',
  '{\"who\": \"the CISO\", \"for\": \"4h\"}', 8),
 ('i9', 360000, 'management', 'SECRET-FUTURE the root program writes', 'question', NULL, 9);
INSERT INTO expectation(id, inject_id, kind, params, within, description) VALUES
 (1, 'i4', 'delay-decision', '{\"customer\": \"Contoso\"}', 7200, 'A delay decision within 2 h'),
 (2, 'i3', 'task-done', '{\"task\": 3}', 3600, 'The affected set confirmed within 1 h'),
 (3, 'i1', 'critical-notified', NULL, 3600, 'Critical customers notified within 1 h'),
 (4, 'i5', 'manual', NULL, 3600, 'The journalist answered');" || bail_out "exercise rows"

fired() { sql "SELECT count(*) FROM inject WHERE fired_at IS NOT NULL"; }
fire_events() { sql "SELECT count(*) FROM event WHERE action = 'inject-fire'"; }

# ---- before anything is due: participants see nothing ----------------------------
at 0:30
run as alice exercise injects
is "$RC" 0 "a participant lists the injects"
like "$OUT" "no inject has fired yet" "nothing has fired yet"
unlike "$OUT$ERR" "SECRET|i1|i9" "a participant sees no inject before it fires"
run as alice exercise injects --json
is "$(json_get "$OUT_FILE" injects)" "[]" "--json: no inject for a participant"
is "$(json_get "$OUT_FILE" schedule)" "false" "--json: not the schedule"
run as fran exercise injects
like "$OUT" "i9 .*SECRET-FUTURE" "the facilitator sees the whole schedule"
like "$OUT" "expectation 1 .*delay-decision" "... with the expectations"
is "$(fired)" 0 "nothing fired before its time"

# ---- three processes race at +1:30: i1 fires once ---------------------------------
at 1:30
as alice status --json >race1.out 2>&1 &
P1=$!
as rob exercise injects >race2.out 2>&1 &
P2=$!
as fran log >race3.out 2>&1 &
P3=$!
wait $P1 $P2 $P3
is "$(fired)" 1 "three racing processes: one inject fired"
is "$(fire_events)" 1 "... and one event"
is "$(sql "SELECT fired_by FROM inject WHERE id = 'i1'")" exercise "fired by the schedule"
is "$(sql "SELECT count(*) FROM cert")" 46 "more-certs: 6 + 40 certificates, added once"
is "$(sql "SELECT count(*) FROM cert WHERE synthetic = 1")" 40 "the 40 are synthetic rows"
run as alice status --json
is "$(json_get "$OUT_FILE" counts.affected)" 46 "status counts them"

# ---- again at +3:30: i2 and i3 come due together -------------------------------------
at 3:30
for k in 1 2 3; do as alice status >/dev/null 2>&1 & done
wait
is "$(fired)" 3 "i2 and i3 fired"
is "$(fire_events)" 3 "each once"
run as alice status --json
is "$(json_get "$OUT_FILE" incident.reason)" key-compromise "reclassify: the reason is key-compromise"
is "$(json_get "$OUT_FILE" incident.deadline)" 2026-11-26T06:00:00Z \
	"... and the deadline moves from 5 days to 24 hours after the discovery"
run as alice log
like "$OUT" "exercise fired inject \"i3\".*the deadline moves from 2026-11-30T06:00:00Z to 2026-11-26T06:00:00Z" \
	"the timeline says what moved"
like "$OUT" "exercise fired inject \"i1\" to Certificate Revocation: \"Another 40" \
	"the timeline names the team and the message"

# ---- the backend is down until 5:30 --------------------------------------------------
at 3:40
as alice authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
run as rob revoke --customer Fabrikam --yes
is "$RC" 1 "revoke during backend-down exits 1"
like "$OUT" "revoked 0 certificates.*3 failed" "every certificate failed"
is "$(sql "SELECT count(*) FROM cert WHERE state = 'failed' AND error LIKE '%unavailable (exercise fault%'")" 3 \
	"recorded as failures with the fault's reason"
# critical-notified (i1 fired at 1:30, window 1 h, grace 1 h): missed after 3:30.
is "$(sql "SELECT score || '/' || scored_by FROM expectation WHERE id = 3")" "missed/auto" \
	"no critical customer notified: missed, automatically"

# ---- 5:00: Management ticks task 3 (due 4:30): late by 30 minutes; i4 fires ---------
at 5:00
run as alice task done 3 --note "population confirmed"
is "$RC" 0 "task 3 done"
as alice status >/dev/null 2>&1 # the next command scores what the database shows
is "$(sql "SELECT score || '/' || late_by FROM expectation WHERE id = 2")" "late/1800" \
	"task-done: late by 30 minutes"
is "$(sql "SELECT count(*) FROM task WHERE team = 'management' AND title LIKE 'Decide on Contoso''s request%hospital systems'")" 1 \
	"delay-request: Management has a task to decide, with the rationale"
is "$(sql "SELECT score FROM expectation WHERE id = 1")" "" "the delay decision is still open"

at 5:20
as alice delay --customer Contoso --until 2026-11-28T00:00:00Z --rationale "hospital systems" \
	>/dev/null 2>&1 || fail "delay failed"
run as alice status
is "$(sql "SELECT score || '/' || scored_by FROM expectation WHERE id = 1")" "met/auto" \
	"a delay recorded 20 minutes after the request: met"

# ---- 5:40: the fault is over, the same revocation succeeds -----------------------------
at 5:40
run as rob revoke --customer Fabrikam --yes
is "$RC" 0 "revoke after the fault exits 0"
like "$OUT" "revoked 3 certificates" "the 3 failed ones are revoked"
is "$(grep -c '^R' pub/index.txt)" 3 "... and published: index.txt (OCSP) says revoked"

# ---- 6:40: OCSP lags until 7:30: a revocation's publication waits --------------------
at 6:40
run as rob revoke --customer Northwind --yes
is "$RC" 0 "revoke during the OCSP lag exits 0"
like "$OUT" "revoked 1 certificate" "the certificate is revoked"
is "$(grep -c '^R' pub/index.txt)" 3 "... but not published yet: OCSP still says good"
run as alice log --grep "OCSP lag"
like "$OUT" "publication deferred until 2026-11-25 15:40Z \\(OCSP lag\\)" "the timeline says why"
# ---- 7:00: the SMTP server is down until 7:30; the notices fail, then go ----------
at 7:00
run as alice notify --yes
is "$RC" 1 "notify during smtp-down exits 1"
# Fabrikam's and Northwind's certificates are revoked by now: a first
# notice goes only to Contoso, whose revocation is delayed.
is "$(sql "SELECT group_concat(customer) FROM message WHERE state = 'failed' AND error LIKE 'the SMTP server is unavailable%'")" Contoso \
	"the notice failed with the fault's reason"
at 7:40
run as alice notify --yes
is "$RC" 0 "notify after the fault exits 0"
is "$(sql "SELECT group_concat(customer) FROM message WHERE state = 'sent'")" Contoso "the notice is sent"
run as alice crl
is "$RC" 0 "crl after the lag publishes"
is "$(grep -c '^R' pub/index.txt)" 4 "... and OCSP says revoked"

# ---- the facilitator's hand --------------------------------------------------------
at 7:50
run as alice exercise score 4 met
is "$RC" 1 "a participant may not score"
like "$ERR" "facilitator" "... the refusal names the role"
run as alice exercise inject i9
is "$RC" 1 "a participant may not fire an inject"
run as alice exercise inject --team management "fake news"
is "$RC" 1 "nor inject one of their own"
run as alice exercise injects
unlike "$OUT" "SECRET" "i9 is still hidden from participants"
like "$OUT" "i5 .*A journalist calls" "i5 has fired: participants see it"
run as fran exercise score 4 late --late-by 45m --note "answered by phone"
is "$RC" 0 "the facilitator scores by hand"
run as fran exercise score 3 met --note "called Contoso instead"
is "$RC" 0 "... and overrides an automatic score"
run as fran exercise score 3 maybe
is "$RC" 2 "a score is met, late or missed"
run as fran exercise injects --json
is "$(json_get "$OUT_FILE" schedule)" true "the facilitator gets the schedule"
is "$(json_get "$OUT_FILE" injects.4.expectations.0.score)" late "expectation 4: late"
is "$(json_get "$OUT_FILE" injects.4.expectations.0.late_by)" 2700 "... by 45 minutes"
is "$(json_get "$OUT_FILE" injects.4.expectations.0.note)" "answered by phone" "... with the note"
is "$(json_get "$OUT_FILE" injects.0.expectations.0.score)" met "expectation 3 overridden: met"
is "$(json_get "$OUT_FILE" injects.0.expectations.0.scored_by)" fran "... by fran"
run as fran exercise inject i9
is "$RC" 0 "the facilitator fires a scheduled inject early"
run as fran exercise inject i9
is "$RC" 1 "an inject fires once"
like "$ERR" "fired already" "... and says so"
run as fran exercise inject --team revocation "The CA vendor calls back"
is "$RC" 0 "an ad hoc inject"
like "$OUT" "adhoc-1" "... named adhoc-1"
run as alice exercise observe "Management decided in 20 minutes"
is "$RC" 0 "anyone records an observation"
is "$(sql "SELECT by_user || ': ' || text FROM observation")" "alice: Management decided in 20 minutes" \
	"the observation is kept"
run as alice log
like "$OUT" "fran scored \"The journalist answered\" \\(inject \"i5\"\\) late, 00:45:00 late: \"answered by phone\"" \
	"the score is in the timeline"
like "$OUT" "alice observed: \"Management decided" "the observation too"
is "$(fire_events)" 9 "nine injects fired in all, each once"
run as alice audit verify
is "$RC" 0 "the audit chain holds"

# ---- the consoles: a team's banner, the facilitator's pane --------------------------
at 8:00
start() { # NAME USER ARGS...
	_s=$1 _u=$2
	shift 2
	T new-session -d -s "$_s" -x 160 -y 45 -c "$WORK" \
		"env WARROOM_USER=$_u WARROOM_NOW=$WARROOM_NOW TERM=screen '$WARROOM' --db '$DB' $*; echo console-exit=\$?; sleep 600"
}
start rob rob --team revocation
ok "the Revocation pane shows the ad hoc inject as a banner" wait_for rob "adhoc-1: The CA vendor calls back" 5
screen rob >rob.txt
file_unlike rob.txt "SECRET" "no unfired text on a participant's screen"
start alice alice --facilitator
ok "a participant cannot open the facilitator's pane" wait_for alice "console-exit=1" 5
start fran fran --facilitator
ok "the facilitator's console opens with its pane" wait_for fran "Facilitator: schedule and expectations" 5
ok "... the schedule, i9 fired" wait_for fran "\\[x\\] .*i9" 5
ok "... expectations and scores" wait_for fran "#2 +task-done +late 00:30:00" 5
# Tab to the pane (the 6 teams, then it), pause the clock with p.
T send-keys -t fran Tab Tab Tab Tab Tab Tab p
ok "p pauses the exercise's clock" wait_for fran "PAUSED" 5
is "$(sql "SELECT paused FROM exercise")" 1 "the database says paused"
T send-keys -t fran +
ok "+ doubles the speed" wait_for fran "x2 PAUSED" 5
T send-keys -t fran n
ok "n opens the ':' line for a note" wait_for fran ":exercise observe" 5
T send-keys -t fran "seen from the pane" Enter
ok "the note is recorded" wait_for fran "observation 2 recorded" 5
is "$(sql "SELECT by_user || ': ' || text FROM observation WHERE id = 2")" "fran: seen from the pane" \
	"the pane's note is fran's"
# f fires the selected inject: the first (i1) has fired, and is refused;
# the last (i8, days ahead: a key participant unavailable) fires now.
T send-keys -t fran g f
ok "f on an inject that has fired says so" wait_for fran "fired already" 5
is "$(fire_events)" 9 "... and fires nothing"
T send-keys -t fran G f
ok "f on the last inject fires it" wait_for fran "fired inject i8" 5
ok "... the schedule shows it fired" wait_for fran "\\[x\\] [0-9:]+ +i8 +management +unavailable" 5
is "$(sql "SELECT fired_by FROM inject WHERE id = 'i8'")" fran "fired by the facilitator's hand"
is "$(fire_events)" 10 "... once"
is "$(sql "SELECT json_extract(details, '$.who') || ': ' || json_extract(details, '$.summary')
	FROM event WHERE action = 'inject-fire' AND json_extract(details, '$.inject') = 'i8'")" \
	"the CISO: the CISO is unavailable for 04:00:00" "unavailable: the timeline names who, and for how long"
T send-keys -t fran q
ok "q quits" wait_for fran "console-exit=0" 5
run as alice exercise injects
like "$OUT" "i8 .*SECRET-LATER" "once fired, participants see it"
run as alice log --grep i8
like "$OUT" "fran fired inject \"i8\" to Management: \"SECRET-LATER the CISO cannot be reached\" \\(the CISO is unavailable for 04:00:00\\)" \
	"... and the timeline says it in words"

done_testing
