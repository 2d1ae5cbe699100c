#!/bin/sh
# migrate.t: a version-1 database written by the release of schema version
# 1 (tests/fixtures/v1/v1.db, made by mkv1.sh there) opens and upgrades to
# the current schema in one transaction: no row lost, every version-1 link
# of the audit chain still valid, one 'schema-upgrade' event added; a
# migration that fails leaves the file as it was. Rows are compared with
# sqlite3, not with warroom.
. "$(dirname "$0")/lib.sh"

needs sqlite3
no_plan

V1=$WR_FIXTURES/v1/v1.db
[ -f "$V1" ] || bail_out "no $V1"
cp "$V1" "$WORK/v1.db"
DB=$WORK/v1.db
is "$(sqlite3 "$DB" 'PRAGMA user_version')" 1 "the fixture is a version-1 database"
# The current version: schema.sql is 1, each data/migrate-NNN.sql one more.
LATEST=$(( $(ls "$WR_REPO"/data/migrate-*.sql | wc -l) + 1 ))

# What version 1 held, table by table, in version 1's columns.
snap() { # DB FILE
	sqlite3 "$1" >"$2" <<'SQL'
SELECT 'incident', id, name, state, phase, reason, crl_reason, discovered, declared, closed,
  mre_flags, active_total, plan_name, plan_sha256, created FROM incident;
SELECT 'team', id, name, position FROM team ORDER BY id;
SELECT 'task', id, team, phase, title, owner, due_offset, due_anchor, due, done_by, done_at, note
  FROM task ORDER BY id;
SELECT 'cert', id, hex(sha256), serial, issuer, subject, sans, not_before, not_after,
  hex(spki_sha256), customer, contact, state, crl_reason, revoked_at, notified_at, replaced_at,
  hold_until, hold_reason, claim, submitted_at, attempts, error, on_crl, ocsp_revoked
  FROM cert ORDER BY id;
SELECT 'der', cert_id, hex(der) FROM cert_der ORDER BY cert_id;
SELECT 'counter', name, n FROM counter WHERE name IN ('affected', 'revoked', 'notified',
  'replaced', 'long_lived') ORDER BY name;
SELECT 'authorization', * FROM authorization ORDER BY id;
SELECT 'publication', * FROM publication ORDER BY id;
SELECT 'event', id, at, actor, action, details, hex(hash) FROM event WHERE id <= 12 ORDER BY id;
SQL
}
snap "$DB" "$WORK/before.txt"
rows_before=$(wc -l <"$WORK/before.txt")

run "$WARROOM" --db "$DB" status --json
is "$RC" 0 "status opens the version-1 database (a reader upgrades it too)"
is "$(sqlite3 "$DB" 'PRAGMA user_version')" "$LATEST" "... which is now version $LATEST"
snap "$DB" "$WORK/after.txt"
ok "every version-1 row is there, unchanged ($rows_before rows)" same_file "$WORK/before.txt" "$WORK/after.txt"
is "$(json_get "$OUT_FILE" counts.affected)" 41 "status: 41 affected (the BER duplicate of version 1 kept)"
is "$(json_get "$OUT_FILE" counts.revoked)" 10 "status: 10 revoked"
is "$(sqlite3 "$DB" "SELECT n FROM counter WHERE name = 'unchecked'")" 41 \
	"the new 'unchecked' counter counts the 41 certificates nobody checked"
is "$(sqlite3 "$DB" "SELECT count(*) FROM event")" 13 "one event more than version 1 had"
is "$(sqlite3 "$DB" "SELECT action || ' ' || details FROM event WHERE id = 13")" \
	'schema-upgrade {"from":1,"to":'"$LATEST"'}' "... the upgrade, recorded in the chain"
is "$(sqlite3 "$DB" "SELECT count(*) FROM wave"):$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE wave IS NULL")" "0:41" \
	"version 3's waves: none yet, every certificate in none"
# Version 1 left one note, on task 1, set by root's task-done (event 6).
is "$(sqlite3 "$DB" "SELECT task || '|' || author || '|' || text || '|' ||
	(at = (SELECT at FROM event WHERE id = 6)) FROM task_note")" "1|root|scope confirmed|1" \
	"version 4's notes: the version-1 note is task 1's first, by root at its event's time"
is "$(sqlite3 "$DB" "SELECT count(*) FROM task WHERE blocked IS NOT NULL")" 0 "... and no task is blocked"
# Version 6: each version-1 customer is a row, with the contact of its
# first certificate; none critical, none acknowledged; the link is the name.
is "$(sqlite3 "$DB" "SELECT group_concat(name || '|' || contact || '|' || critical, ';') FROM
	(SELECT * FROM customer ORDER BY name)")" \
	"$(sqlite3 "$V1" "SELECT group_concat(customer || '|' || contact || '|0', ';') FROM
	(SELECT customer, contact FROM cert WHERE customer IS NOT NULL GROUP BY customer ORDER BY customer)")" \
	"version 6's customers: each version-1 customer a row, with its contact"
is "$(sqlite3 "$DB" "SELECT count(*) FROM customer")" 5 "... 5 of them"
is "$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE customer IS NOT NULL
	AND customer NOT IN (SELECT name FROM customer)")" 0 "... every customer of a certificate has its row"
is "$(sqlite3 "$DB" "SELECT count(*) FROM customer WHERE acknowledged_at IS NOT NULL OR critical")" 0 \
	"... none acknowledged or critical"
is "$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE endpoints IS NOT NULL")" 0 \
	"... and no certificate has endpoints (its SANs on 443)"
is "$(json_get "$OUT_FILE" counts.acknowledged)" 0 "status: 0 acknowledged"
# Version 7: replacements issued, none yet.
is "$(json_get "$OUT_FILE" counts.replacement_issued):$(sqlite3 "$DB" "SELECT count(*) FROM replacement")" \
	"0:0" "version 7: no replacement issued yet (status: replacement_issued 0)"
run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "the audit chain holds across the upgrade"
like "$OUT" "OK: 13 events" "... all 13 links"

run "$WARROOM" --db "$DB" status
is "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE action = 'schema-upgrade'")" 1 "opening again upgrades nothing"
run "$WARROOM" --db "$DB" task done 4 --note "after the upgrade"
is "$RC" 0 "a write works on the upgraded database"
run "$WARROOM" --db "$DB" task note 1 "a second note"
run "$WARROOM" --db "$DB" task show 1 --json
is "$(json_get "$OUT_FILE" notes.0.text)|$(json_get "$OUT_FILE" notes.1.text)" \
	"scope confirmed|a second note" "a new note appends after the version-1 one"
trey=$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE customer = 'Trey Telecom, Inc.'")
run "$WARROOM" --db "$DB" ack --customer "Trey Telecom, Inc." --note "after the upgrade"
is "$RC" 0 "a version-1 customer can be acknowledged"
run "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" counts.acknowledged)" "$trey" "status: its $trey certificates acknowledged"
run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "... and the chain goes on"
# Version 15: a finding may name the team it is about; the Bugzilla queue
# takes the appendix's attachment.
is "$(sqlite3 "$DB" "SELECT type || ' ' || \"notnull\" FROM pragma_table_info('finding') WHERE name = 'team'")" \
	"TEXT 0" "version 15: findings have a nullable team column"
is "$(sqlite3 "$DB" "SELECT count(*) FROM finding WHERE team IS NOT NULL")" 0 "... none set by the upgrade"
run "$WARROOM" --db "$DB" finding add --section lesson-badly --team management "after the upgrade"
is "$RC" 0 "finding add --team on the upgraded database"
is "$(sqlite3 "$DB" "SELECT team || '|' || text FROM finding")" "management|after the upgrade" \
	"... records its team"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE name = 'bugzilla_post' AND sql LIKE '%''attachment''%'")" 1 \
	"version 15: the Bugzilla queue takes attachments"
is "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'bugzilla_post' AND type = 'index'")" 2 \
	"... with its two indexes"
run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "... and the chain still holds"

# ---- a migration that fails leaves the file as it was ----------------------------------------
cp "$V1" "$WORK/bad.db"
sqlite3 "$WORK/bad.db" "CREATE TABLE meta (x)"
cksum <"$WORK/bad.db" >"$WORK/bad.sum"
run "$WARROOM" --db "$WORK/bad.db" status
is "$RC" 1 "a migration that fails: exit 1"
like "$ERR" "bad\.db: upgrading the schema to version 2: .*meta" "... naming the file, the version and the cause"
is "$(sqlite3 "$WORK/bad.db" 'PRAGMA user_version')" 1 "... the file is still version 1"
is "$(sqlite3 "$WORK/bad.db" 'SELECT count(*) FROM event')" 12 "... with its 12 events"
is "$(sqlite3 "$WORK/bad.db" "SELECT count(*) FROM pragma_table_info('event') WHERE name = 'mac'")" 0 \
	"... and no new column"

# ---- a newer database is refused ------------------------------------------------------------------
cp "$V1" "$WORK/new.db"
sqlite3 "$WORK/new.db" "PRAGMA user_version = 99"
run "$WARROOM" --db "$WORK/new.db" status
is "$RC" 2 "a database newer than this warroom is refused"
like "$ERR" "newer than this warroom" "... saying so"

done_testing
