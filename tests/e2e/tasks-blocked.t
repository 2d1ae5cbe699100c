#!/bin/sh
# tasks-blocked.t: who is behind, what is blocked. task block / unblock
# (with their events, refusals, a lead only for their team), notes that
# append with author and time (task note, task done --note), task show in
# text and --json (title in full, block, notes, history), task list
# --json's notes and block, --owner and --unassigned; the plan's short
# team names in the tabs at 80x24; and
# the console driven through tmux: a team pane's counts and its red title
# when a task is overdue, the blocked marker, Enter opening the task's
# detail (notes, history) and Esc closing it, a note added by the CLI
# showing in the open detail.
. "$(dirname "$0")/lib.sh"

needs_root
no_plan

CONF=$WORK/users.conf
cat >"$CONF" <<'EOF'
[users]
alice = management
bob = revocation
EOF
WARROOM_NOW=2026-11-25T08:00:00Z
export WARROOM_NOW
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}
as alice init --name "Blocked" >/dev/null 2>&1 || bail_out "init failed"
as alice declare --reason key-compromise --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"
events() { "$WARROOM" --db "$DB" log --json >"$WORK/l.json" 2>/dev/null; perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$WORK/l.json"; }
count() { perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$1"; }
ids() { perl -MJSON::PP -e 'local $/; print join(",", map { $_->{id} } @{decode_json(<STDIN>)})' <"$1"; }

# ---- block and unblock ------------------------------------------------------------------------
n0=$(events)
run as alice task block 3 "waiting on legal for the customer list"
is "$RC" 0 "task block exits 0"
like "$OUT" '^task 3 blocked: waiting on legal' "task block says so, with the reason"
run as bob task block 3 "not mine"
is "$RC" 1 "bob (revocation) may not block a Management task: exit 1"
like "$ERR" "management" "... naming the team needed"
run as bob task block 22 "the HSM is offline"
is "$RC" 0 "bob blocks his own team's task"
run as alice task block 4 ""
is "$RC" 2 "a block without a reason exits 2"
run as alice task block 99999 "x"
is "$RC" 1 "blocking a task that does not exist exits 1"
like "$ERR" "no task 99999" "... naming it"
run as alice task unblock 5
is "$RC" 1 "unblocking a task that is not blocked exits 1"
like "$ERR" "not blocked" "... saying so"
as alice task done 6 >/dev/null
run as alice task block 6 "too late"
is "$RC" 1 "blocking a done task exits 1"
like "$ERR" "already done" "... saying it is done"
run as alice task block
is "$RC" 2 "task block without arguments exits 2"
like "$ERR" "usage: warroom task block ID REASON" "... with its usage"
is "$(events)" "$((n0 + 3))" "two blocks and a done: three events, none for a refusal"
"$WARROOM" --db "$DB" log --json --grep task-block >"$WORK/l.json"
is "$(json_get "$WORK/l.json" 0.details.reason)" "waiting on legal for the customer list" \
	"the task-block event carries the reason"
is "$(json_get "$WORK/l.json" 0.details.task)" 3 "... and the task"
is "$(json_get "$WORK/l.json" 1.actor)" bob "... and who blocked"

run as alice task list
like "$OUT" '^ +3 \[ \] management .*Determine the affected.*\[blocked: waiting on legal for the customer list\]' \
	"task list shows the block's reason after the title"
run as alice task list --json
is "$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print $_->{blocked} if $_->{id} == 3 }' <"$OUT_FILE")" \
	"waiting on legal for the customer list" "task list --json carries the reason"
is "$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print defined $_->{blocked} ? "set" : "null" if $_->{id} == 4 }' <"$OUT_FILE")" \
	null "... and null for a task not blocked"

# status --json carries each team's health, as counted here from task list --json
# (the tasks of the current phase and earlier; overdue: due before now).
run as alice status --json
cp "$OUT_FILE" "$WORK/status.json"
as alice task list --json >"$WORK/tasks.json" 2>/dev/null
for team in management revocation customer-relations; do
	want=$(perl -MJSON::PP -e '
		local $/; my $t = decode_json(<STDIN>); open my $f, "<", $ARGV[1]; my $s = decode_json(<$f>);
		my ($o, $d, $u, $b) = (0, 0, 0, 0);
		for (@$t) {
			next if $_->{team} ne $ARGV[0] || $_->{done} || $_->{phase} > $s->{incident}{phase};
			$o++; $u++ unless defined $_->{owner}; $b++ if defined $_->{blocked};
			$d++ if defined $_->{due} && $_->{due} lt "2026-11-25T08:00:00Z";
		}
		print "$o $d $u $b";' "$team" "$WORK/status.json" <"$WORK/tasks.json")
	got=$(perl -MJSON::PP -e '
		local $/; my $s = decode_json(<STDIN>);
		for (@{$s->{teams}}) { next if $_->{id} ne $ARGV[0]; my $h = $_->{health};
			print "$h->{open} $h->{overdue} $h->{unassigned} $h->{blocked}" }' "$team" <"$WORK/status.json")
	is "$got" "$want" "status --json: $team's health (open overdue unassigned blocked)"
done
like "$(cat "$WORK/status.json")" '"blocked": 1' "... a blocked task counted"

# ---- notes append ------------------------------------------------------------------------------------
as alice task note 3 "called legal" >/dev/null
WARROOM_NOW=2026-11-25T08:30:00Z as alice task note 3 "legal answers at noon" >/dev/null
run as bob task note 22 "HSM vendor on site at 10:00"
is "$RC" 0 "bob notes his own task"
as alice task note 22 "escalated to the vendor" >/dev/null
WARROOM_NOW=2026-11-25T09:00:00Z as bob task done 22 --note "HSM back" >/dev/null
run as alice task show 3 --json
is "$RC" 0 "task show --json exits 0"
ok "task show --json is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" title)" "Determine the affected certificates and customers" "the title in full"
is "$(json_get "$OUT_FILE" team)" management "the team"
is "$(json_get "$OUT_FILE" blocked)" "waiting on legal for the customer list" "the block's reason"
is "$(json_get "$OUT_FILE" blocked_by)" alice "who blocked it"
is "$(json_get "$OUT_FILE" blocked_at)" 2026-11-25T08:00:00Z "when"
is "$(json_get "$OUT_FILE" notes | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}')" 2 \
	"two notes: the second did not overwrite the first"
is "$(json_get "$OUT_FILE" notes.0.text)" "called legal" "the first note, first"
is "$(json_get "$OUT_FILE" notes.0.author)" alice "... with its author"
is "$(json_get "$OUT_FILE" notes.0.at)" 2026-11-25T08:00:00Z "... and its time"
is "$(json_get "$OUT_FILE" notes.1.text)" "legal answers at noon" "the newer note, after it"
is "$(json_get "$OUT_FILE" notes.1.at)" 2026-11-25T08:30:00Z "... at its own time"
is "$(json_get "$OUT_FILE" note)" "legal answers at noon" "note is the newest note's text"
actions=$(json_get "$OUT_FILE" history | perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{action} } @{decode_json(<STDIN>)})')
is "$actions" "task-block task-note task-note" "the history: the task's own events, oldest first"

run as alice task show 22 --json
is "$(json_get "$OUT_FILE" notes.0.author):$(json_get "$OUT_FILE" notes.1.author):$(json_get "$OUT_FILE" notes.2.author)" \
	bob:alice:bob "notes by bob, by alice, then bob's task done --note, appended"
is "$(json_get "$OUT_FILE" notes.2.text)" "HSM back" "done's note is a note too"
is "$(json_get "$OUT_FILE" notes.2.at)" 2026-11-25T09:00:00Z "... at the time it was ticked"
is "$(json_get "$OUT_FILE" done_by)" bob "done by bob"

run as alice task show 3
is "$RC" 0 "task show exits 0"
like "$OUT" '^task 3 \[ \] Determine the affected certificates and customers$' "the text form: the title in full"
like "$OUT" '^team +Management \(management\)' "... the team by name"
like "$OUT" '^owner +\(unassigned\)' "... the owner"
like "$OUT" '^due +2026-11-25T08:00:00Z' "... the due time"
like "$OUT" '^blocked +waiting on legal for the customer list \(by alice at 2026-11-25T08:00:00Z\)' "... the block"
like "$OUT" '^  2026-11-25T08:30:00Z alice: legal answers at noon' "... each note with time and author"
like "$OUT" 'task-block reason="waiting on legal' "... the history"
run as alice task show 99999
is "$RC" 1 "task show of a task that does not exist exits 1"
is "$OUT" "" "... and prints nothing on stdout"
run as alice task show abc
is "$RC" 2 "task show abc exits 2"

# A hostile note is escaped in the text form, kept as is in JSON.
ESC=$(printf '\033')
as alice task note 5 "x${ESC}[2Jy" >/dev/null
run as alice task show 5
unlike "$OUT" "$ESC" "task show escapes a note's control bytes"
like "$OUT" 'x\\x1b\[2Jy' "... as \\x1b"

run as alice task unblock 3
is "$RC" 0 "task unblock exits 0"
like "$OUT" 'task 3 unblocked' "task unblock says so"
run as alice task show 3 --json
is "$(json_get "$OUT_FILE" blocked)" null "the block is gone"
is "$(json_get "$OUT_FILE" history.3.action)" task-unblock "... and the unblock is in the history"

# ---- list filters ------------------------------------------------------------------------------------
as alice task assign 2 carol >/dev/null
as alice task assign 24 carol >/dev/null
run as alice task list --owner carol --json
is "$(ids "$OUT_FILE")" "2,24" "task list --owner carol: her two tasks"
run as alice task list --owner nobody --json
is "$(count "$OUT_FILE")" 0 "task list --owner nobody: none"
run as alice task list --unassigned --team management --json
is "$(ids "$OUT_FILE")" "1,3,4,5,6,7,8,9,10" "task list --unassigned --team management: all but task 2"
run as alice task list --unassigned --undone --team management --json
is "$(ids "$OUT_FILE")" "1,3,4,5,7,8,9,10" "... with --undone, the done task 6 left out"
run as alice task list --owner carol --unassigned
is "$RC" 2 "--owner with --unassigned exits 2"
run as alice task list --help
like "$OUT" '--owner USER' "task list --help names --owner"
like "$OUT" '--unassigned' "... and --unassigned"
for c in "task show" "task block" "task unblock"; do
	# shellcheck disable=SC2086
	run "$WARROOM" $c --help
	is "$RC" 0 "$c --help exits 0"
	like "$OUT" "usage: warroom $c" "$c --help shows its usage"
done

# ---- the console ---------------------------------------------------------------------------------------
# The rest drives the console through tmux on a private socket; the clock
# is the incident's simulated one, 08:00, in phase 0 (activation): of
# Management's tasks 1-6, 1 and 2 are overdue, 3 is due within the hour,
# 2 is carol's, 6 is done and 4 blocked.
command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
export LANG LC_ALL TZ
as alice task block 4 "waiting for the call" >/dev/null
as alice task add --team replacement --phase activation --due 2026-11-25T08:30:00Z \
	"Check the reissuance capacity" >/dev/null
SOCK=wr-blk-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; _wr_cleanup' EXIT
T new-session -d -s c -x 120 -y 40 -c "$WORK" \
	"env WARROOM_USER=alice TERM=screen '$WARROOM' --config '$CONF' --db '$DB'; sleep 600"
wait_for c 'WARROOM' 5 || bail_out "the console did not start: $(screen c)"
S=$(screen c)
like "$S" '═ 1 Mgmt ═ 2 late 4 unowned 1 blocked ╗' \
	"the Management pane's title counts overdue, unassigned and blocked (short, in 40 columns)"
like "$S" '─ 4 Certificate Revocation ─+┐' "a team with nothing open counts nothing"
like "$S" '║ 4 \[b\] Estimate time' "a blocked task shows [b]"
# The title's colour: red (SGR 31) for a team with an overdue task.
T capture-pane -e -p -t c >"$WORK/esc.txt"
title=$(grep -a '1 Mgmt' "$WORK/esc.txt" | head -1)
like "$title" "$(printf '\033')\\[[0-9;]*31m╔═" "the overdue team's border is red"
E=$(printf '\033')
like "$title" "$E\\[[0-9;]*31m($E\\[[0-9;]*m)*═?($E\\[[0-9;]*m)* 2 late" "... and its counts"
rev=$(grep -a '4 Certificate Revocation' "$WORK/esc.txt" | head -1)
unlike "$rev" "31m" "a team with nothing overdue has no red"
repl=$(grep -a ' 3 Replace ' "$WORK/esc.txt" | head -1)
repl=${repl#*Customer Relations} # the row's third pane only
like "$repl" "$(printf '\033')\\[[0-9;]*33m┌─" "a team with a task due within the hour has an amber (yellow) border"
unlike "$repl" "31m" "... not a red one"

T send-keys -t c j j j
wait_for c '║ 4>\[b\] Estimate' 2 || fail "j selects task 4" "$(screen c)"
T send-keys -t c Enter
if wait_for c '═ Task 4 ═' 2; then pass "Enter opens the selected task's detail"; else
	fail "Enter opens the selected task's detail" "$(screen c)"; fi
S=$(screen c)
like "$S" 'task 4 \[ \] Estimate time to notify, replace and revoke' "the detail shows the title in full"
like "$S" 'blocked +waiting for the call \(by alice' "... the block with who and when"
like "$S" 'history:' "... the history"
as alice task note 4 "the call is at 09:00" >/dev/null
if wait_for c '2026-11-25T08:00:00Z alice: the call is at 09:00' 3; then
	pass "a note added by the CLI shows in the open detail"; else
	fail "a note added by the CLI shows in the open detail" "$(screen c)"; fi
T send-keys -t c Escape
if wait_gone c '═ Task 4 ═' 2; then pass "Esc closes the detail"; else fail "Esc closes the detail" "$(screen c)"; fi
like "$(screen c)" '║ 4>\[b\] Estimate' "... back on the same task"
T send-keys -t c Enter
wait_for c '═ Task 4 ═' 2
T send-keys -t c q
if wait_gone c '═ Task 4 ═' 2; then pass "q closes the detail (and does not quit)"; else fail "q closes the detail"; fi
like "$(screen c)" 'WARROOM' "... the console is still there"

# At 80x24 the tabs fold, named by the plan's short names.
T resize-window -t c -x 80 -y 24
if wait_for c 'Mgmt.*CustRel.*Replace.*Revoke' 2; then pass "at 80x24 the tabs use the short names"; else
	fail "at 80x24 the tabs use the short names" "$(screen c)"; fi
T kill-session -t c

done_testing
