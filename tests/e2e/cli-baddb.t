#!/bin/sh
# cli-baddb.t: databases that are not warroom's: a plain SQLite database,
# a text file, an empty file, a damaged warroom database, one from a newer
# warroom, and a path that does not exist. Every command, read-only or
# not, refuses with exit 2 (1 for a missing file), names the file, and
# leaves it byte-for-byte unchanged with no -wal/-shm/-journal beside it.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures

# Every command that opens the database, with arguments that would be
# valid on a warroom database.
for_each_command() { # FN: calls FN DESC ARGS... for each command
	"$1" "status" status
	"$1" "status --json" status --json
	"$1" "certs" certs
	"$1" "task list" task list
	"$1" "log" log
	"$1" "audit verify" audit verify
	"$1" "declare" declare --reason misuse --discovered 2026-01-01T00:00:00Z
	"$1" "import" import "$FX/leaf1.pem"
	"$1" "task done" task done 1
	"$1" "task reopen" task reopen 1
	"$1" "task assign" task assign 1 alice
	"$1" "task note" task note 1 hello
	"$1" "task add" task add --team revocation --phase 1 Title
	"$1" "phase" phase 1
	"$1" "close" close
}

# ---- a plain SQLite database -----------------------------------------------------
cp "$FX/notwr.sqlite" "$WORK/plain.db"
cp "$FX/notwr.sqlite" "$WORK/plain.orig"
refuse_plain() {
	_d=$1
	shift
	run "$WARROOM" --db "$WORK/plain.db" "$@"
	is "$RC" 2 "plain SQLite file, $_d: exit 2"
	like "$ERR" "plain\.db.*not a warroom database" "plain SQLite file, $_d: says so, naming it"
}
for_each_command refuse_plain
ok "the plain SQLite database is unchanged" same_file "$WORK/plain.db" "$WORK/plain.orig"
ok "... with no journal files beside it" sh -c "! ls '$WORK'/plain.db-* 2>/dev/null | grep -q ."
is "$(sqlite3 "$WORK/plain.db" 'SELECT a FROM t')" 42 "... and its data intact"

# ---- a text file ---------------------------------------------------------------------
cp "$FX/notwr.txt" "$WORK/text.db"
refuse_text() {
	_d=$1
	shift
	run "$WARROOM" --db "$WORK/text.db" "$@"
	is "$RC" 2 "text file, $_d: exit 2"
	like "$ERR" "text\.db.*not a warroom database" "text file, $_d: says so, naming it"
}
for_each_command refuse_text
ok "the text file is unchanged" same_file "$WORK/text.db" "$FX/notwr.txt"
ok "... with no journal files beside it" sh -c "! ls '$WORK'/text.db-* 2>/dev/null | grep -q ."

# ---- an empty file ------------------------------------------------------------------------
: >"$WORK/empty.db"
run "$WARROOM" --db "$WORK/empty.db" status
is "$RC" 2 "an empty file: status exits 2"
like "$ERR" "empty\.db.*not a warroom database" "an empty file: says so, naming it"
run "$WARROOM" --db "$WORK/empty.db" task done 1
is "$RC" 2 "an empty file: task done exits 2"
is "$(wc -c <"$WORK/empty.db" | tr -d ' ')" 0 "the empty file stays empty"

# ---- a missing file --------------------------------------------------------------------------
run "$WARROOM" --db "$WORK/nope.db" status
is "$RC" 1 "a missing database: status exits 1"
like "$ERR" "nope\.db" "a missing database: names it"
like "$ERR" "init" "a missing database: points to init"
run "$WARROOM" --db "$WORK/nope.db" task done 1
is "$RC" 1 "a missing database: task done exits 1"
ok "a missing database is not created" test ! -e "$WORK/nope.db"

# ---- a warroom database from a newer warroom ---------------------------------------------------
"$WARROOM" --db "$WORK/new.db" init --name New >/dev/null 2>&1 || bail_out "init failed"
sqlite3 "$WORK/new.db" 'PRAGMA user_version = 99;'
cp "$WORK/new.db" "$WORK/new.orig"
run "$WARROOM" --db "$WORK/new.db" status
is "$RC" 2 "a newer schema: status exits 2"
like "$ERR" "new\.db.*newer" "a newer schema: says it is newer, naming the file"
run "$WARROOM" --db "$WORK/new.db" task done 1
is "$RC" 2 "a newer schema: task done exits 2"
ok "a newer database is left unchanged" same_file "$WORK/new.db" "$WORK/new.orig"

# ---- a damaged warroom database --------------------------------------------------------------
"$WARROOM" --db "$WORK/full.db" init --name Full >/dev/null 2>&1 || bail_out "init failed"
head -c 100 "$WORK/full.db" >"$WORK/cut.db"
run "$WARROOM" --db "$WORK/cut.db" status
isnt "$RC" 0 "a truncated database: status fails"
like "$RC" '^[12]$' "a truncated database: exit 1 or 2, not a crash"
like "$ERR" "cut\.db" "a truncated database: the message names the file"

done_testing
