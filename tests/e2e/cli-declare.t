#!/bin/sh
# cli-declare.t: declaring the MRE with WARROOM_NOW fixed: the deadline,
# seconds_left and CRLReason in status --json for a 24-hour code, a 5-day
# code and a 7-day subordinate CA code; overdue; time zones; the plan's due
# times becoming real; the declare event; and the bad inputs (unknown
# reason code, bad times, a discovery in the future, declaring twice or
# after close), which change nothing.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
NOW=2026-11-25T12:00:00Z
DISC=2026-11-25T06:00:00Z
WARROOM_NOW=$NOW
export WARROOM_NOW

fresh() { # NAME: a new database at $WORK/NAME.db with leaf1 imported
	DB=$WORK/$1.db
	"$WARROOM" --db "$DB" init --name "$1" >/dev/null 2>&1 || bail_out "init $1 failed"
	"$WARROOM" --db "$DB" import "$FX/leaf1.pem" >/dev/null 2>&1 || bail_out "import failed"
}

deadline_case() { # CODE DEADLINE SECONDS_LEFT CRL
	fresh "$1"
	run W declare --reason "$1" --discovered "$DISC"
	is "$RC" 0 "$1: declare exits 0"
	like "$OUT" "deadline $2" "$1: declare prints the deadline"
	run W status --json
	is "$RC" 0 "$1: status --json exits 0"
	is "$(json_get "$OUT_FILE" incident.state)" "declared" "$1: state declared"
	is "$(json_get "$OUT_FILE" incident.reason)" "$1" "$1: reason"
	is "$(json_get "$OUT_FILE" incident.discovered)" "$DISC" "$1: discovered"
	is "$(json_get "$OUT_FILE" incident.deadline)" "$2" "$1: deadline $2"
	is "$(json_get "$OUT_FILE" incident.seconds_left)" "$3" "$1: seconds_left $3"
	is "$(json_get "$OUT_FILE" incident.crl_reason)" "$4" "$1: crl_reason $4"
	is "$(json_get "$OUT_FILE" mre.declared)" "true" "$1: mre.declared"
}
deadline_case key-compromise 2026-11-26T06:00:00Z 64800 keyCompromise
deadline_case misuse 2026-11-30T06:00:00Z 410400 privilegeWithdrawn
deadline_case subca-misissued 2026-12-02T06:00:00Z 583200 superseded
deadline_case subscriber-request 2026-11-26T06:00:00Z 64800 unspecified

# ---- the rest on a key-compromise incident ---------------------------------------
DB=$WORK/key-compromise.db
run W status
like "$OUT" '^Deadline +2026-11-26T06:00:00Z +\(18:00:00 left\)' "status text: deadline and time left"
like "$OUT" '^Reason +key-compromise \(BR 4\.9\.1\.1 \(3\)\), CRLReason keyCompromise' "status text: reason, BR section, CRLReason"
run W status --json
criterion_met=$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)->{mre}{criteria}}) { print $_->{met} ? "true" : "false" if $_->{id} eq "deadline" }' <"$OUT_FILE")
is "$criterion_met" true "the deadline criterion is met once a 24-hour code applies to a long-lived certificate"

run env WARROOM_NOW=2026-11-26T07:00:00Z "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" incident.seconds_left)" -3600 "an hour past the deadline, seconds_left is -3600"
run env WARROOM_NOW=2026-11-26T07:00:00Z "$WARROOM" --db "$DB" status
like "$OUT" 'OVERDUE' "status text says OVERDUE"
run env WARROOM_NOW=2026-11-26T06:00:00Z "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" incident.seconds_left)" 0 "at the deadline, seconds_left is 0"

# The plan's due times: +1h after discovery, deadline-4h, deadline.
run W task list --json
due_of() { perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print defined $_->{due} ? $_->{due} : "null" if index($_->{title}, $ARGV[0]) == 0 }' "$1" <"$OUT_FILE"; }
is "$(due_of 'Assess scope and severity')" 2026-11-25T07:00:00Z "a +1h task is due an hour after discovery"
is "$(due_of 'Authorize the mass revocation')" 2026-11-26T02:00:00Z "a deadline-4h task is due 4 hours before the deadline"
is "$(due_of 'Revoke the affected certificates')" 2026-11-26T06:00:00Z "a deadline task is due at the deadline"
is "$(due_of 'Review the effectiveness')" null "a task without a due time has none"

run W log --json
is "$(json_get "$OUT_FILE" 2.action)" "declare" "the declaration is on the timeline"
is "$(json_get "$OUT_FILE" 2.details.reason)" "key-compromise" "... with its reason"
is "$(json_get "$OUT_FILE" 2.details.deadline)" "2026-11-26T06:00:00Z" "... and its deadline"

# ---- time forms --------------------------------------------------------------------------
fresh tz
run W declare --reason weak-key --discovered 2026-11-25T08:00:00+02:00 --json
is "$RC" 0 "declare with a +02:00 offset exits 0"
ok "declare --json is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" discovered)" "$DISC" "the offset is applied (08:00+02:00 is 06:00Z)"
is "$(json_get "$OUT_FILE" deadline)" 2026-11-30T06:00:00Z "declare --json: the 5-day deadline"
fresh nowcase
run W declare --reason misuse --discovered now
is "$RC" 0 "--discovered now is accepted"
run W status --json
is "$(json_get "$OUT_FILE" incident.discovered)" "$NOW" "'now' is WARROOM_NOW"
is "$(json_get "$OUT_FILE" incident.seconds_left)" 432000 "... and 5 days are left"

# ---- bad inputs: exit 2, nothing changed ------------------------------------------------------
fresh bad
cp "$DB" "$WORK/bad.orig"
run W declare --reason no-such-reason --discovered "$DISC"
is "$RC" 2 "an unknown reason code exits 2"
like "$ERR" "no-such-reason" "... naming it"
like "$ERR" "key-compromise" "... and listing the codes"
for t in yesterday 2026-13-01T00:00:00Z 2026-02-30T00:00:00Z 2026-11-25T06:00:00 \
	2026-11-25T25:00:00Z "2026-11-25T06:00:00Z junk" ""; do
	run W declare --reason misuse --discovered "$t"
	is "$RC" 2 "--discovered '$t' exits 2"
	like "$ERR" "discovered.*'$t'" "--discovered '$t' is named"
done
run W declare --reason misuse --discovered 2026-11-25T13:00:00Z
is "$RC" 2 "a discovery an hour in the future exits 2"
like "$ERR" "future" "... saying it is in the future"
ok "no refused declaration changed the database" same_file "$DB" "$WORK/bad.orig"
run W status --json
is "$(json_get "$OUT_FILE" incident.state)" "assessing" "the incident is still being assessed"

DB=$WORK/misuse.db
run W declare --reason key-compromise --discovered "$DISC"
is "$RC" 1 "declaring twice exits 1"
like "$ERR" "declared" "... saying it is already declared"
run W status --json
is "$(json_get "$OUT_FILE" incident.reason)" "misuse" "the first declaration stands"

fresh closed
W close --yes >/dev/null 2>&1
run W declare --reason misuse --discovered "$DISC"
is "$RC" 1 "declaring a closed incident exits 1"
like "$ERR" "closed" "... saying it is closed"

done_testing
