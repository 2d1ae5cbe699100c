#!/bin/sh
# cli-tasks.t: task list (text, --json fields, --team, --phase, --undone),
# task done / reopen / assign / note / add with good and bad inputs (task
# ids that do not exist, done twice, reopen of an open task, unknown team,
# bad --due and --phase), phase and close, and the timeline they leave:
# log, log --json, log --limit, log --grep.
. "$(dirname "$0")/lib.sh"
no_plan

WARROOM_USER=tester
WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_USER WARROOM_NOW
W init --name "Tasks" >/dev/null 2>&1 || bail_out "init failed"

count() { perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$1"; }
task_field() { # ID FIELD: from task list --json
	"$WARROOM" --db "$DB" task list --json >"$WORK/t.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { next unless $_->{id} == $ARGV[0];
		my $v = $_->{$ARGV[1]}; print !defined $v ? "null" : JSON::PP::is_bool($v) ? ($v ? "true" : "false") : $v }' "$1" "$2" <"$WORK/t.json"
}
events() { "$WARROOM" --db "$DB" log --json >"$WORK/l.json" 2>/dev/null; count "$WORK/l.json"; }

# ---- task list -----------------------------------------------------------------------
run W task list
is "$RC" 0 "task list exits 0"
like "$OUT" '^ *ID +TEAM +PHASE +OWNER +DUE +TITLE' "task list prints a header"
like "$OUT" '^ +1 \[ \] management +activation .*Assess scope' "task 1 is management's first task, open"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 35 "34 tasks and a header"

run W task list --json
is "$RC" 0 "task list --json exits 0"
ok "task list --json is JSON" json_valid "$OUT_FILE"
missing=$(perl -MJSON::PP -e 'local $/; my $m = 0; for my $t (@{decode_json(<STDIN>)}) {
	for (qw(id team phase title owner due done)) { $m++ unless exists $t->{$_} } } print $m' <"$OUT_FILE")
is "$missing" 0 "every task has id, team, phase, title, owner, due and done"
is "$(json_get "$OUT_FILE" 0.done)" false "done is a JSON boolean"

run W task list --team revocation --json
is "$(count "$OUT_FILE")" 5 "task list --team revocation lists 5 tasks"
teams=$(perl -MJSON::PP -e 'local $/; my %t = map { $_->{team} => 1 } @{decode_json(<STDIN>)}; print join ",", sort keys %t' <"$OUT_FILE")
is "$teams" revocation "... all of team revocation"
REV=$(json_get "$OUT_FILE" 0.id)
run W task list --phase revocation --json
phases=$(perl -MJSON::PP -e 'local $/; my %p = map { $_->{phase} => 1 } @{decode_json(<STDIN>)}; print join ",", sort keys %p' <"$OUT_FILE")
is "$phases" 3 "task list --phase revocation lists phase 3 only"
run W task list --phase nowhere
is "$RC" 2 "task list --phase nowhere exits 2"

# ---- done, reopen, assign, note ------------------------------------------------------------
n0=$(events)
run W task done 1 --note "scope: 2 certificates"
is "$RC" 0 "task done 1 exits 0"
like "$OUT" 'task 1 done' "task done says so"
is "$(task_field 1 done)" true "task 1 is done"
is "$(task_field 1 done_by)" tester "done_by is the acting user"
is "$(task_field 1 done_at)" 2026-11-25T12:00:00Z "done_at is WARROOM_NOW"
is "$(task_field 1 note)" "scope: 2 certificates" "the note is kept"
run W task list --undone --json
is "$(count "$OUT_FILE")" 33 "task list --undone omits the done task"
run W task list
like "$OUT" '^ +1 \[x\] ' "task list text ticks task 1"

run W task done 1
is "$RC" 1 "task done of a done task exits 1"
like "$ERR" "already done" "... saying it is already done"

run W task reopen 1
is "$RC" 0 "task reopen 1 exits 0"
is "$(task_field 1 done)" false "task 1 is open again"
run W task reopen 1
is "$RC" 1 "task reopen of an open task exits 1"
like "$ERR" "not done" "... saying it is not done"

run W task assign 2 carol
is "$RC" 0 "task assign exits 0"
like "$OUT" 'task 2 assigned to carol' "task assign says so"
is "$(task_field 2 owner)" carol "task 2's owner is carol"
W task assign 2 dave >/dev/null 2>&1
is "$(task_field 2 owner)" dave "reassigning replaces the owner"
run W task note 3 "waiting on legal"
is "$RC" 0 "task note exits 0"
is "$(task_field 3 note)" "waiting on legal" "task 3's note is set"
run W task note 3 ""
is "$RC" 2 "an empty note exits 2"
run W task assign 3 ""
is "$RC" 2 "an empty owner exits 2"
is "$(events)" "$((n0 + 5))" "five changes, five events"

# ---- task ids that do not exist ------------------------------------------------------------------
n0=$(events)
for args in "done 99999" "reopen 99999" "assign 99999 carol" "note 99999 text"; do
	# shellcheck disable=SC2086
	run W task $args
	is "$RC" 1 "task $args: exit 1"
	like "$ERR" "no task 99999" "task $args: names the id"
done
is "$(events)" "$n0" "no event for a task that does not exist"

# ---- task add -----------------------------------------------------------------------------------------
run W task add --team revocation --phase revocation --due 2026-11-26T00:00:00Z "Check OCSP responders"
is "$RC" 0 "task add exits 0"
like "$OUT" '^task 35 added' "task add prints the new id"
is "$(task_field 35 team)" revocation "the new task's team"
is "$(task_field 35 phase)" 3 "the new task's phase"
is "$(task_field 35 due)" 2026-11-26T00:00:00Z "the new task's due time"
is "$(task_field 35 title)" "Check OCSP responders" "the new task's title"
run W task add --team replacement --phase 2 "No due time"
is "$RC" 0 "task add with a numeric phase and no --due exits 0"
is "$(task_field 36 due)" null "... and it has no due time"
run W status --json
rev_total=$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)->{teams}}) { print $_->{tasks_total} if $_->{id} eq "revocation" }' <"$OUT_FILE")
is "$rev_total" 6 "status counts the added task in its team"

n0=$(events)
run W task add --team nosuch --phase 1 "Title"
is "$RC" 1 "task add to an unknown team exits 1"
like "$ERR" "nosuch" "... naming the team"
run W task add --team revocation --phase 1 --due tomorrow "Title"
is "$RC" 2 "task add --due tomorrow exits 2"
like "$ERR" "tomorrow" "... naming the bad time"
run W task add --team revocation --phase 9 "Title"
is "$RC" 2 "task add --phase 9 exits 2"
run W task add --team revocation --phase 1 ""
is "$RC" 2 "task add with an empty title exits 2"
is "$(events)" "$n0" "no refused task add left an event"
run W task list --json
is "$(count "$OUT_FILE")" 36 "still 36 tasks"

# ---- phase and close ------------------------------------------------------------------------------------
run W phase communication
is "$RC" 0 "phase communication exits 0"
like "$OUT" 'Phase 1' "phase prints the phase's title"
run W status --json
is "$(json_get "$OUT_FILE" incident.phase)" 1 "status: phase 1"
is "$(json_get "$OUT_FILE" incident.phase_name)" communication "status: phase_name communication"
run W phase 3
is "$RC" 0 "phase 3 (by number) exits 0"
run W status --json
is "$(json_get "$OUT_FILE" incident.phase_name)" revocation "status: phase revocation"
run W phase 7
is "$RC" 2 "phase 7 exits 2"
run W close --note "all revoked"
is "$RC" 2 "close without --yes and without a terminal exits 2 (it asks first)"
like "$ERR" 'add --yes' "... and names --yes"
run W close --yes --note "all revoked"
is "$RC" 0 "close --yes exits 0"
run W status --json
is "$(json_get "$OUT_FILE" incident.state)" closed "status: closed"
is "$(json_get "$OUT_FILE" incident.closed)" 2026-11-25T12:00:00Z "status: closed at WARROOM_NOW"
run W close --yes
is "$RC" 1 "closing twice exits 1"
run W phase 4
is "$RC" 1 "phase after close exits 1"

# ---- the timeline -----------------------------------------------------------------------------------
run W log
is "$RC" 0 "log exits 0"
like "$OUT" '^12:00 tester created the incident ' "log line: the time (today's: no date), then the sentence"
like "$OUT" '^12:00 tester assigned "Alert team members internally of a possible activation" \(Management\) to dave$' \
	"an assignment reads with the task's title and team, and the owner"
like "$OUT" '^12:00 tester noted on "[^"]+" \(Management\): "waiting on legal"$' "a note reads with the note"
like "$OUT" '^12:00 tester added the task "Check OCSP responders" \(Certificate Revocation, Phase 3: Certificate revocation\), due 2026-11-26 00:00Z$' \
	"an added task reads with its team, phase and due time"
like "$OUT" '^12:00 tester closed the incident: "all revoked"$' "close reads with its note"
unlike "$OUT" '[a-z_]+=' "no key=value in the log"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 11 "one line an event"
run env WARROOM_NOW=2026-11-26T09:00:00Z "$WARROOM" --db "$DB" log --limit 1
like "$OUT" '^2026-11-25 12:00 tester closed the incident: "all revoked"$' \
	"an event of another day than the incident clock's shows its date"
run W log --raw
is "$RC" 0 "log --raw exits 0"
like "$OUT" '^ +1 2026-11-25T12:00:00Z tester +init ' "log --raw line: id, time, actor, action, as stored"
like "$OUT" '^ +4 2026-11-25T12:00:00Z tester +task-assign +\{"owner":"carol","task":2\}$' \
	"log --raw keeps the stored details"
run W log --raw --json
is "$RC" 2 "log --raw --json exits 2 (--json has the raw fields)"
run W log --json
is "$RC" 0 "log --json exits 0"
ok "log --json is JSON" json_valid "$OUT_FILE"
actions=$(perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{action} } @{decode_json(<STDIN>)})' <"$OUT_FILE")
is "$actions" "init task-done task-reopen task-assign task-assign task-note task-add task-add phase phase close" \
	"the log holds every change, in order"
missing=$(perl -MJSON::PP -e 'local $/; my $m = 0; for my $e (@{decode_json(<STDIN>)}) {
	for (qw(id at actor action details hash)) { $m++ unless exists $e->{$_} } } print $m' <"$OUT_FILE")
is "$missing" 0 "every event has id, at, actor, action, details and hash"
is "$(json_get "$OUT_FILE" 3.details.owner)" carol "task-assign details carry the owner"
is "$(json_get "$OUT_FILE" 10.details.note)" "all revoked" "close details carry the note"
is "$(json_get "$OUT_FILE" 10.text)" 'tester closed the incident: "all revoked"' "log --json: text has the sentence"
is "$(json_get "$OUT_FILE" 3.text)" \
	'tester assigned "Alert team members internally of a possible activation" (Management) to carol' \
	"log --json: text looks up the task"

run W log --limit 2 --json
ids=$(perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{id} } @{decode_json(<STDIN>)})' <"$OUT_FILE")
is "$ids" "10 11" "log --limit 2 shows the newest two, oldest first"
run W log --grep task-assign --json
actions=$(perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{action} } @{decode_json(<STDIN>)})' <"$OUT_FILE")
is "$actions" "task-assign task-assign" "log --grep task-assign finds the two assignments"
run W log --grep dave
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 1 "log --grep dave finds one event"
run W log --grep "Alert team members"
is "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 2 "log --grep matches the sentence (a task's title)"
run W log --grep "tester assigned" --limit 1 --json
is "$(json_get "$OUT_FILE" 0.details.owner)" dave "log --grep --limit 1: the newest match"
run W log --grep "no such text anywhere"
is "$RC" 0 "log --grep without a match exits 0"
is "$OUT" "" "... and prints nothing"

done_testing
