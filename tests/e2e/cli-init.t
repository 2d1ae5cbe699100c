#!/bin/sh
# cli-init.t: init from the built-in plan and from a plan file; where the
# database goes (--db, --db=, $WARROOM_DB, ./warroom.db); group-writable
# files whatever the umask; never overwriting an existing file (a warroom
# database, a text file, an empty file); bad plan files (FILE:LINE, exit 2,
# no database left behind); bad --name and --active-total.
. "$(dirname "$0")/lib.sh"
no_plan


# ---- the built-in plan ---------------------------------------------------------
run W init --name "Init test" --active-total 180000
is "$RC" 0 "init exits 0"
like "$OUT" "^created $DB: Init test" "init says what it created"
like "$OUT" '6 teams, 34 tasks, sha256 [0-9a-f]{64}' "init reports the plan's teams, tasks and SHA-256"
ok "the database exists" test -f "$DB"

run W status --json
is "$RC" 0 "status --json on the new database exits 0"
ok "status --json is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" incident.name)" "Init test" "incident.name"
is "$(json_get "$OUT_FILE" incident.state)" "assessing" "a new incident is being assessed"
is "$(json_get "$OUT_FILE" incident.reason)" "null" "no reason before declare"
is "$(json_get "$OUT_FILE" incident.deadline)" "null" "no deadline before declare"
is "$(json_get "$OUT_FILE" incident.seconds_left)" "null" "no seconds_left before declare"
is "$(json_get "$OUT_FILE" incident.active_total)" 180000 "--active-total is kept"
is "$(json_get "$OUT_FILE" mre.declared)" "false" "mre.declared is false"
is "$(json_get "$OUT_FILE" counts.affected)" 0 "no certificates yet"
is "$(json_get "$OUT_FILE" teams.0.id)" "management" "the first team is management"
is "$(json_get "$OUT_FILE" teams.0.name)" "Management" "... named Management"
is "$(json_get "$OUT_FILE" teams.5.id)" "compliance-legal" "six teams, the last compliance-legal"
is "$(json_get "$OUT_FILE" teams.6 >/dev/null; echo $?)" 2 "... and no seventh"
total=$(perl -MJSON::PP -e 'local $/; my $t = 0; $t += $_->{tasks_total} for @{decode_json(<STDIN>)->{teams}}; print $t' <"$OUT_FILE")
is "$total" 34 "the teams hold the plan's 34 tasks"
for k in name state reason crl_reason discovered deadline seconds_left; do
	ok "status --json has incident.$k" json_get "$OUT_FILE" "incident.$k"
done
for k in affected revoked pending expired replaced notified; do
	is "$(json_get "$OUT_FILE" "counts.$k")" 0 "counts.$k is 0"
done
for k in id met detail; do
	ok "mre.criteria.0.$k is there" json_get "$OUT_FILE" "mre.criteria.0.$k"
done

run W task list --json
n=$(perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$OUT_FILE")
is "$n" 34 "task list --json lists 34 tasks"
run W log --json
is "$(json_get "$OUT_FILE" 0.action)" "init" "the log starts with the init event"
is "$(json_get "$OUT_FILE" 1 >/dev/null; echo $?)" 2 "... and holds nothing else"

# ---- never overwrite ----------------------------------------------------------------
cp "$DB" "$WORK/copy.db"
run W init --name "Second"
is "$RC" 1 "init over an existing database exits 1"
like "$ERR" "$DB.*(already exists|refus)" "init over an existing database says it refuses"
is "$OUT" "" "... and prints nothing on stdout"
ok "the existing database is byte-for-byte unchanged" same_file "$DB" "$WORK/copy.db"
run W status --json
is "$(json_get "$OUT_FILE" incident.name)" "Init test" "the existing incident is intact"

printf 'precious notes\n' >"$WORK/notes.txt"
cp "$WORK/notes.txt" "$WORK/notes.copy"
run "$WARROOM" --db "$WORK/notes.txt" init --name X
is "$RC" 1 "init over a text file exits 1"
like "$ERR" "notes.txt" "init over a text file names it"
ok "the text file is unchanged" same_file "$WORK/notes.txt" "$WORK/notes.copy"

: >"$WORK/empty.db"
run "$WARROOM" --db "$WORK/empty.db" init --name X
is "$RC" 1 "init over an empty file exits 1"
is "$(wc -c <"$WORK/empty.db" | tr -d ' ')" 0 "the empty file stays empty"

run "$WARROOM" --db "$WORK/no/such/dir/x.db" init --name X
is "$RC" 1 "init in a missing directory exits 1"
like "$ERR" "no/such/dir/x.db" "... naming the path"

# ---- where the database goes -------------------------------------------------------------
mkdir "$WORK/cwd"
(cd "$WORK/cwd" && "$WARROOM" init --name "Default path" >/dev/null 2>&1)
ok "without --db or \$WARROOM_DB, init creates ./warroom.db" test -f "$WORK/cwd/warroom.db"
run sh -c "cd '$WORK/cwd' && '$WARROOM' status --json"
is "$(json_get "$OUT_FILE" incident.name)" "Default path" "... and status reads ./warroom.db"

WARROOM_DB=$WORK/env.db "$WARROOM" init --name "From env" >/dev/null 2>&1
ok "\$WARROOM_DB names the database" test -f "$WORK/env.db"
run env WARROOM_DB="$WORK/env.db" "$WARROOM" status --json
is "$(json_get "$OUT_FILE" incident.name)" "From env" "status reads \$WARROOM_DB"
run env WARROOM_DB="$WORK/env.db" "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" incident.name)" "Init test" "--db wins over \$WARROOM_DB"
run "$WARROOM" "--db=$WORK/env.db" status --json
is "$(json_get "$OUT_FILE" incident.name)" "From env" "--db=PATH works"

# ---- group-writable whatever the umask -------------------------------------------------
(umask 077 && "$WARROOM" --db "$WORK/g.db" init --name G >/dev/null 2>&1)
m=$(mode_of "$WORK/g.db")
is "$(( 0$m & 020 ))" 16 "under umask 077 the database is group-writable (mode $m)"
is "$(( 0$m & 0660 ))" 432 "... and readable/writable by owner and group"
# The -wal and -shm files: hold a reader open (umask 077 too) so they
# survive, then write.
( umask 077 && ( echo 'BEGIN; SELECT count(*) FROM event;'; sleep 1; echo 'COMMIT;' ) |
	sqlite3 "$WORK/g.db" >/dev/null 2>&1 ) &
reader=$!
sleep 0.3
(umask 077 && "$WARROOM" --db "$WORK/g.db" task assign 1 someone >/dev/null 2>&1)
for f in "$WORK/g.db-wal" "$WORK/g.db-shm"; do
	if [ -e "$f" ]; then
		m=$(mode_of "$f")
		is "$(( 0$m & 020 ))" 16 "$(basename "$f") is group-writable too (mode $m)"
	else
		missing "$(basename "$f") not present"
	fi
done
wait "$reader"

# ---- bad names and numbers ------------------------------------------------------------------
run "$WARROOM" --db "$WORK/n.db" init --name ""
is "$RC" 2 "init --name '' exits 2"
like "$ERR" "name" "... saying a name is needed"
ok "... and leaves no file behind" test ! -e "$WORK/n.db"
run "$WARROOM" --db "$WORK/n.db" init --name X --active-total -5
is "$RC" 2 "a negative --active-total exits 2"
ok "... and leaves no file behind" test ! -e "$WORK/n.db"

# ---- a plan file ---------------------------------------------------------------------------------
cat >"$WORK/good.plan" <<'EOF'
; a tabletop plan
[plan]
name = Tabletop plan
version = 2

[team management]
name = Management
activation = +1h Assess the scope

[team revocation]
name = Revocation
revocation = deadline-2h Revoke everything
post-mortem = Write it up
EOF
run "$WARROOM" --db "$WORK/p.db" init --name "Tabletop" --plan "$WORK/good.plan"
is "$RC" 0 "init --plan FILE exits 0"
like "$OUT" 'Tabletop plan \(2 teams, 3 tasks' "init reports the plan file's teams and tasks"
want=$(perl -MDigest::SHA=sha256_hex -e 'local $/; open my $f, "<:raw", $ARGV[0]; print sha256_hex(<$f>)' "$WORK/good.plan")
like "$OUT" "sha256 $want" "the SHA-256 reported is the plan file's"
run "$WARROOM" --db "$WORK/p.db" status --json
is "$(json_get "$OUT_FILE" incident.plan)" "Tabletop plan" "status names the plan"
is "$(json_get "$OUT_FILE" incident.plan_sha256)" "$want" "status carries the plan's SHA-256"
is "$(json_get "$OUT_FILE" teams.1.id)" "revocation" "the plan's second team"
is "$(json_get "$OUT_FILE" teams.1.tasks_total)" 2 "... with its 2 tasks"

# ---- bad plan files: FILE:LINE, exit 2, nothing created ---------------------------------------------
badplan() { # NAME LINE ERE DESC TEXT (a printf format)
	printf "$5" >"$WORK/$1"
	rm -f "$WORK/bp.db"
	run "$WARROOM" --db "$WORK/bp.db" init --name X --plan "$WORK/$1"
	is "$RC" 2 "$4: exit 2"
	like "$ERR" "$WORK/$1:$2: .*$3" "$4: the message names $1:$2"
	ok "$4: no database is created" test ! -e "$WORK/bp.db"
}
sh "$WR_FIXTURES/mkbad.sh" "$WORK/fx" || bail_out "mkbad.sh failed"
run "$WARROOM" --db "$WORK/bp.db" init --name X --plan "$WORK/fx/bad.plan"
is "$RC" 2 "the fixture bad.plan: exit 2"
like "$ERR" "bad.plan:6: .*\+4x" "the fixture bad.plan: names bad.plan:6 and the bad due time"
ok "the fixture bad.plan: no database is created" test ! -e "$WORK/bp.db"

badplan k.plan 5 "foo" "an unknown key in a team" \
	'[plan]\nname = X\n[team a]\nname = A\nfoo = bar\n'
badplan pk.plan 3 "owner" "an unknown key in [plan]" \
	'[plan]\nname = X\nowner = me\n[team a]\nname = A\n'
badplan en.plan 2 "name needs a value" "an empty plan name" \
	'[plan]\nname =\n[team a]\nname = A\n'
badplan s.plan 5 "" "a line that is not key = value" \
	'[plan]\nname = X\n[team a]\nname = A\nthis is not ini\n'
badplan d.plan 5 "deadline" "a due time relative to the deadline with +" \
	'[plan]\nname = X\n[team a]\nname = A\nrevocation = deadline+2h Revoke\n'
badplan w.plan '[34]' "wat" "an unknown section" \
	'[plan]\nname = X\n[wat]\nkey = v\n'
badplan t.plan '[34]' "Bad_ID" "a team id with upper case and _" \
	'[plan]\nname = X\n[team Bad_ID]\nname = v\n'
badplan nt.plan 5 "title" "a task with a due time but no title" \
	'[plan]\nname = X\n[team a]\nname = A\nactivation = +4h\n'

printf '[plan]\nname = X\n[team a]\nactivation = Do it\n' >"$WORK/nn.plan"
run "$WARROOM" --db "$WORK/bp.db" init --name X --plan "$WORK/nn.plan"
is "$RC" 2 "a team without a name: exit 2"
like "$ERR" "nn.plan.*team 'a'" "a team without a name: names the file and team"
printf '[plan]\nname = X\n' >"$WORK/empty.plan"
run "$WARROOM" --db "$WORK/bp.db" init --name X --plan "$WORK/empty.plan"
is "$RC" 2 "a plan without teams: exit 2"
like "$ERR" "empty.plan" "a plan without teams: names the file"
run "$WARROOM" --db "$WORK/bp.db" init --name X --plan "$WORK/missing.plan"
is "$RC" 2 "a missing plan file: exit 2"
like "$ERR" "missing.plan" "a missing plan file: names it"
rm -f "$WORK/bp.db"

done_testing
