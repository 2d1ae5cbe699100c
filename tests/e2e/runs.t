#!/bin/sh
# runs.t: long commands are runs every console sees, and anyone allowed
# pauses, resumes or cancels them between batches. A revocation through a
# slow exec backend (a second a batch of 10) started from the CLI shows in
# `runs --json` with done/total; `runs pause` stops its progress (counts
# stay still over 2 s, while the run is marked paused), `runs resume`
# goes on, `runs cancel` ends it after its batch with the rest pending,
# and the next `revoke` finishes them; a run killed with -9 shows as died
# and blocks nothing. Only its starter, Management or the revocation team
# may touch it; each request is an event. In the console (tmux): a
# `:revoke --yes` runs in the background while the clock keeps ticking
# and keys answer, its output shows when it ends; a run started elsewhere
# shows in the banner, whose p pauses and resumes it and C cancels it
# after a question; quitting leaves a run going and says so; a write that
# finds another writer holding the database says "waiting for" and is
# done once it is free.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs perl python3
needs_root
no_plan

tmux_session wr-runs

"$WR_TOOLS/wr-mkcerts" --out certs --count 60 --format pem --seed 7 >/dev/null ||
	bail_out "wr-mkcerts failed"
DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
# The CA's tool: a second a batch; exit 0 revokes the batch.
cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
bob = revocation
carol = replacement
[revocation]
backend = exec
batch = 10
[exec]
command = sh -c 'sleep 1' {serials_file}
timeout = 30
EOF
CONF=$WORK/warroom.conf

# incident NAME: NAME.db with the 60 certificates, declared, authorized.
incident() {
	for _a in "init --name $1" "import certs/bundle.pem" \
		"declare --reason key-compromise --discovered $DISC" "authorize revoke"; do
		# shellcheck disable=SC2086
		WARROOM_USER=alice "$WARROOM" --db "$WORK/$1.db" --config "$CONF" $_a \
			>/dev/null 2>&1 || bail_out "$1: $_a"
	done
}
# W [USER=bob] ARGS...: warroom on $DB as USER.
U=bob
W() { WARROOM_USER=$U "$WARROOM" --db "$DB" --config "$CONF" "$@"; }
count() { W certs --state "$1" --json | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}'; }
# field ID KEY: the run's KEY in runs --all --json ("" when none).
field() {
	W runs --all --json 2>/dev/null | perl -MJSON::PP -e '
		local $/; my ($id, $k) = @ARGV;
		for (@{decode_json(<STDIN>)}) { next unless $_->{id} == $id;
			my $v = $_->{$k}; print defined $v ? (ref $v ? ($v ? "true" : "false") : $v) : "" }' "$1" "$2"
}
newest_run() {
	W runs --all --json 2>/dev/null | perl -MJSON::PP -e 'local $/; my $a = decode_json(<STDIN>); print @$a ? $a->[-1]{id} : ""'
}
field_is() { [ "$(field "$1" "$2")" = "$3" ]; }
has_run() { [ -n "$(newest_run)" ]; }
done_at_least() { [ "$(field "$1" done)" -ge "$2" ] 2>/dev/null; }

# ---- the CLI: runs, pause, resume, cancel ------------------------------------------
DB=$WORK/cli.db
incident cli
W revoke --yes >rv.out 2>rv.err &
REV=$!
until_ok 100 has_run
ID=$(newest_run)
if until_ok 100 done_at_least "${ID:-0}" 10; then
	pass "runs --json shows the revocation live, with its progress"
else
	fail "runs --json shows the revocation live, with its progress" "$(W runs --all --json)"
fi
W runs --json >runs.json
is "$(json_get runs.json 0.kind)" revoke "its kind"
is "$(json_get runs.json 0.total)" 60 "its total: the 60 pending"
is "$(json_get runs.json 0.started_by)" bob "who started it"
is "$(json_get runs.json 0.state)" running "its state"
like "$(json_get runs.json 0.args)" "exec backend" "what it was asked"
run W runs
like "$OUT" "^ +$ID +revoke +running +bob " "runs lists it as a table"

U=carol run W runs pause "$ID"
is "$RC" 1 "carol (replacement) may not pause the revocation team's run"
like "$ERR" "revocation" "the refusal names the team it needs"
U=alice run W runs pause "$ID"
is "$RC" 0 "alice (Management) pauses it"
like "$OUT" "pause asked" "runs pause says it was asked"
if until_ok 50 field_is "$ID" state paused; then
	pass "the run is paused after its batch"
else
	fail "the run is paused after its batch" "$(W runs --all --json)"
fi
D1=$(field "$ID" done)
sleep 2
is "$(field "$ID" done)" "$D1" "paused, its count stays still over 2 s"
is "$(count revoked)" "$D1" "and no certificate was revoked meanwhile ($D1)"
is "$(count submitted)" 0 "nothing is left claimed while paused"
is "$(field "$ID" requested_by)" alice "the run says who paused it"
run W runs pause "$ID"
is "$RC" 1 "pausing a paused run is refused"
like "$ERR" "paused already" "... saying so"
run W runs resume "$ID"
is "$RC" 0 "bob resumes it"
if until_ok 50 done_at_least "$ID" $((D1 + 10)); then
	pass "resumed, it goes on"
else
	fail "resumed, it goes on" "$(W runs --all --json)"
fi
run W runs cancel "$ID"
is "$RC" 0 "bob cancels it"
like "$OUT" "after its current batch" "runs cancel says when it ends"
wait "$REV"
is "$?" 1 "a cancelled revoke exits 1"
file_like rv.out "cancelled by bob after [0-9]+ of 60" "revoke says it was cancelled, and how far it got"
is "$(field "$ID" state)" cancelled "the run is cancelled"
D2=$(field "$ID" done)
is "$(count revoked)" "$D2" "what it had done is revoked ($D2)"
is "$(count submitted)" 0 "nothing is left claimed"
is "$(count pending)" $((60 - D2)) "the rest stays pending"
ok "it did not get to the end" test "$D2" -lt 60
W log --json >log.json
for a in run-pause:alice run-resume:bob run-cancel:bob; do
	act=${a%:*} who=${a#*:}
	ok "the $act is on record, by $who" perl -MJSON::PP -e '
		local $/; open my $f, "<", $ARGV[0] or die; my $l = decode_json(<$f>);
		exit !grep { $_->{action} eq $ARGV[1] && $_->{actor} eq $ARGV[2] &&
			$_->{details}{kind} eq "revoke" && $_->{details}{run} == $ARGV[3] } @$l' \
		log.json "$act" "$who" "$ID"
done
run W runs resume "$ID"
is "$RC" 1 "an ended run cannot be resumed"
run W revoke --yes
is "$RC" 0 "the next revoke takes up the rest"
is "$(count revoked)" 60 "all 60 are revoked"
is "$(field "$(newest_run)" state)" done "the second run is done"
run W runs
like "$OUT" "no run in progress" "runs lists nothing in progress afterwards"
run W runs pause 999
is "$RC" 1 "no run 999"
run W runs pause x1
is "$RC" 2 "a run's ID is a number"

# ---- a run whose process dies -------------------------------------------------------
DB=$WORK/died.db
incident died
W revoke --yes >/dev/null 2>&1 &
until_ok 100 has_run
ID=$(newest_run)
until_ok 100 done_at_least "$ID" 10
PID=$(field "$ID" pid)
kill -9 "$PID"
if until_ok 50 field_is "$ID" state died; then
	pass "a run whose process was killed shows as died"
else
	fail "a run whose process was killed shows as died" "$(W runs --all --json)"
fi
is "$(field "$ID" live)" false "... and not live"
run W runs cancel "$ID"
is "$RC" 1 "a died run cannot be cancelled"
like "$ERR" "died" "... the refusal says it died"
run W revoke --yes
is "$RC" 0 "a died run blocks nothing: the next revoke runs"
is "$(count revoked)" 60 "and revokes the rest"
wait

# ---- the console --------------------------------------------------------------------
start() { # NAME USER DB: a console in tmux, 140x40
	T new-session -d -s "$1" -x 140 -y 40 -c "$WORK" \
		"env WARROOM_USER=$2 TERM=screen '$WARROOM' --db '$3' --config '$CONF'; echo console-exit=\$?; sleep 600"
	wait_for "$1" 'WARROOM' 5 || diag "the console in $1 did not start"
}
keys() { _s=$1; shift; T send-keys -t "$_s" "$@"; }
clock() { screen "$1" | grep -o 'Now [0-9-]* [0-9:]*' | head -1; }
focused() { screen "$1" | grep -o '╔═ [^═]*' | head -1; }

# A revocation typed on the ':' line runs in the background.
DB=$WORK/con.db
incident con
start a bob "$DB"
keys a : "revoke --yes" Enter
if wait_for a 'RUNNING +run [0-9]+ revoke' 5; then
	pass "the console that started it shows the run in its banner"
else
	fail "the console that started it shows the run in its banner" "$(screen a)"
fi
like "$(screen a)" 'runs in the background' "the status line says it runs in the background"
c1=$(clock a)
f1=$(focused a)
sleep 1.5
c2=$(clock a)
isnt "$c2" "$c1" "the clock keeps ticking during the run ($c1, then $c2)"
keys a Tab
if wait_for a "╔═ " 1 && [ "$(focused a)" != "$f1" ]; then
	pass "a key answers during the run (Tab moves the focus)"
else
	fail "a key answers during the run (Tab moves the focus)" "$(screen a)"
fi
like "$(screen a)" '[0-9]+/60 [0-9]+%' "the banner shows done/total"
if wait_for a 'revoked [0-9]+ certificates' 20; then
	pass "its output shows when it ends"
else
	fail "its output shows when it ends" "$(screen a)"
fi
unlike "$(screen a)" 'RUNNING +run' "the banner is gone once it ended"
is "$(count revoked)" 60 "the console's revocation revoked all 60"
keys a q
wait_for a 'console-exit=0' 3

# A run started elsewhere shows in every console; p and C act on it.
DB=$WORK/other.db
incident other
start b alice "$DB"
W revoke --yes >other.out 2>&1 &
REV=$!
if wait_for b 'RUNNING +run [0-9]+ revoke .* by bob' 5; then
	pass "a run started from the CLI shows in the banner of another console"
else
	fail "a run started from the CLI shows in the banner of another console" "$(screen b)"
fi
like "$(screen b)" 'p pause +C cancel' "the banner names its keys"
ID=$(newest_run)
keys b p
if until_ok 50 field_is "$ID" state paused; then
	pass "p on the banner pauses the run"
else
	fail "p on the banner pauses the run" "$(W runs --all --json)" "$(screen b)"
fi
if wait_for b 'PAUSED by alice' 3; then pass "the banner shows it paused, and by whom"
else fail "the banner shows it paused, and by whom" "$(screen b)"; fi
keys b p
if until_ok 50 field_is "$ID" state running; then
	pass "p again resumes it"
else
	fail "p again resumes it" "$(W runs --all --json)"
fi
keys b C
if wait_for b "Cancel run $ID \\(revoke by bob" 2; then
	pass "C asks before cancelling"
else
	fail "C asks before cancelling" "$(screen b)"
fi
keys b y
wait "$REV"
is "$?" 1 "the CLI's revoke ends, cancelled from the console"
is "$(field "$ID" state)" cancelled "the run is cancelled"
is "$(field "$ID" requested_by)" alice "by alice"
ok "the rest stays pending" test "$(count pending)" -gt 0
keys b q
wait_for b 'console-exit=0' 3

# Quitting while a run goes on leaves it going, and says so.
DB=$WORK/quit.db
incident quit
start c bob "$DB"
keys c : "revoke --yes" Enter
wait_for c 'RUNNING +run' 5
ID=$(newest_run)
keys c q
if wait_for c 'goes on in the background' 3; then
	pass "quitting says the run goes on"
else
	fail "quitting says the run goes on" "$(screen c)"
fi
like "$(screen c)" 'console-exit=0' "the console exits 0"
if until_ok 200 field_is "$ID" state done; then
	pass "the run went on to the end without the console"
else
	fail "the run went on to the end without the console" "$(W runs --all --json)"
fi
is "$(count revoked)" 60 "... revoking all 60"

# A write that finds another writer holding the database waits on the
# tick, saying so, and is done once it is free.
DB=$WORK/quit.db
start d alice "$DB"
# In the background too, revoke keeps its rule: no --yes, nothing done.
keys d : "revoke" Enter
if wait_for d 'would be revoked; add --yes' 5; then
	pass ":revoke without --yes is refused with the count, as on the CLI"
else
	fail ":revoke without --yes is refused with the count, as on the CLI" "$(screen d)"
fi
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(3)
c.execute("ROLLBACK")' "$DB" "$WORK/locked" &
LOCKER=$!
until_ok 50 test -e "$WORK/locked"
keys d : "task note 1 'written after the wait'" Enter
if wait_for d 'waiting for another writer' 2; then
	pass "a write that finds the database busy says it waits"
else
	fail "a write that finds the database busy says it waits" "$(screen d)"
fi
c1=$(clock d)
sleep 1.2
isnt "$(clock d)" "$c1" "the clock ticks while the write waits"
wait "$LOCKER"
if wait_for d 'task 1 noted' 3; then pass "the write is done once the database is free"
else fail "the write is done once the database is free" "$(screen d)"; fi
W task show 1 --json >show.json 2>&1
is "$(perl -MJSON::PP -e 'local $/; print scalar grep { $_->{text} eq "written after the wait" }
	@{decode_json(<STDIN>)->{notes}}' <show.json)" 1 "the note was written once"
keys d q

done_testing
