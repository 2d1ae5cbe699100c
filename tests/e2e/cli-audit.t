#!/bin/sh
# cli-audit.t: the audit chain. After several changes, audit verify exits 0
# with OK and the number of events; then, on copies, one byte of one event
# is changed with the sqlite3 CLI (details, actor, time, hash), or an event
# is deleted: audit verify exits 1 naming the first broken event. Putting
# the byte back makes it verify again. audit verify itself changes nothing.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
DB=$WORK/good.db
WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW

W init --name "Audit" >/dev/null 2>&1 || bail_out "init failed"
W task assign 1 alice >/dev/null 2>&1 # event 2
W import "$FX/bundle.pem" >/dev/null 2>&1
W declare --reason misuse --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1
W task done 1 --note "done" >/dev/null 2>&1
W task note 2 "a note" >/dev/null 2>&1
W task add --team revocation --phase 3 "Extra" >/dev/null 2>&1
W phase communication >/dev/null 2>&1
W task reopen 1 >/dev/null 2>&1

run W log --json
N=$(perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$OUT_FILE")
is "$N" 9 "nine changes, nine events"
is "$(json_get "$OUT_FILE" 1.action)" task-assign "event 2 is the assignment to alice"

cp "$DB" "$WORK/before.db"
run W audit verify
is "$RC" 0 "audit verify on an untouched chain exits 0"
like "$OUT" "^OK" "... says OK"
like "$OUT" "[^0-9]$N events" "... and counts $N events"
is "$ERR" "" "... with nothing on stderr"
ok "audit verify changed nothing" same_file "$DB" "$WORK/before.db"

tamper() { # NAME SQL: a copy of the good database with SQL applied
	cp "$DB" "$WORK/$1.db"
	sqlite3 "$WORK/$1.db" "$2" || bail_out "sqlite3 failed on $1"
}
broken() { # NAME ID DESC
	run "$WARROOM" --db "$WORK/$1.db" audit verify
	is "$RC" 1 "$3: audit verify exits 1"
	like "$OUT$ERR" "event $2([^0-9]|$)" "$3: names event $2"
	unlike "$OUT" "^OK" "$3: does not say OK"
}

tamper details "UPDATE event SET details = replace(details, 'alice', 'alicf') WHERE id = 2"
is "$(sqlite3 "$WORK/details.db" 'SELECT details FROM event WHERE id = 2')" '{"owner":"alicf","task":1}' \
	"one byte of event 2's details changed"
broken details 2 "one byte of event 2's details"
like "$ERR" "hash" "... the message says the hash does not match"

sqlite3 "$WORK/details.db" "UPDATE event SET details = replace(details, 'alicf', 'alice') WHERE id = 2"
run "$WARROOM" --db "$WORK/details.db" audit verify
is "$RC" 0 "the byte put back: audit verify exits 0 again"

tamper actor "UPDATE event SET actor = 'mallory' WHERE id = 5"
broken actor 5 "the actor of event 5"
tamper at "UPDATE event SET at = at + 1 WHERE id = 3"
broken at 3 "the time of event 3 moved by a second"
tamper action "UPDATE event SET action = 'task-done' WHERE id = 2"
broken action 2 "the action of event 2"
tamper hash "UPDATE event SET hash = zeroblob(32) WHERE id = 7"
broken hash 7 "the stored hash of event 7"
tamper deleted "DELETE FROM event WHERE id = 4"
broken deleted 5 "event 4 deleted"
like "$ERR" "missing" "... the message says an event is missing"
tamper rehashed "UPDATE event SET details = '{\"owner\":\"mallory\",\"task\":1}' WHERE id = 2"
broken rehashed 2 "event 2 rewritten"
run "$WARROOM" --db "$WORK/rehashed.db" audit verify
like "$OUT" "1 events? before it verified" "... and says how many verified before it"

done_testing
