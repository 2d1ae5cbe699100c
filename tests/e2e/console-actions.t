#!/bin/sh
# console-actions.t: the action items in Compliance & Legal's pane,
# selected, changed and opened from the console as tasks are, through
# tmux on a private socket:
#   - j past the pane's last task selects the first action item, k above
#     it gives the selection back to the task; G and g go to the last
#     item and back to the first task;
#   - space completes the selected item (action list --json and the
#     audit log have it, as carol's) and makes it ongoing again; s puts
#     "action set ID --status " on the ':' line; the ':' line's own
#     `action set` works too; the selection follows the item as its
#     status moves it;
#   - Enter opens its fields and history, a hostile title escaped;
#   - a change from the CLI shows within 3 s;
#   - a user outside Compliance & Legal and Management selects items
#     but sees the CLI's refusal, and nothing changes;
#   - a mouse click selects the item clicked (a replayed script).
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs_root
no_plan

tmux_session wr-act
WARROOM_NOW=2026-11-25T08:00:00Z
export WARROOM_NOW
cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
carol = compliance-legal
bob = revocation
EOF
as() { _u=$1; shift; env WARROOM_USER="$_u" "$WARROOM" --db "$DB" "$@"; }
ESC=$(printf '\033')
{
	as alice init --name "Action items on screen" &&
		as alice declare --reason key-compromise --discovered 2026-11-25T06:00:00Z &&
		as alice phase communication &&
		as carol action add "Replace the HSM firmware" --kind prevent --root-cause "Weak RNG" \
			--criteria "No weak key in 90 days" --due 2026-12-31T00:00:00Z &&
		as carol action add "Alert ${ESC}[31mred on duplicate moduli" --kind detect \
			--root-cause "Weak RNG" --criteria "Alert within 1 h" --due 2027-01-31T00:00:00Z &&
		as carol action add "Rotate the HSM" --kind mitigate --root-cause "Weak RNG" \
			--criteria "Done" --due 2027-02-28T00:00:00Z --status canceled
} >"$WORK/setup.log" 2>&1 || bail_out "setup failed: $(cat "$WORK/setup.log")"

# start NAME USER: a console at 120x40, Compliance & Legal's pane focused.
start() {
	T new-session -d -s "$1" -x 120 -y 40 -c "$WORK" \
		"env WARROOM_USER=$2 TERM=screen '$WARROOM' --db '$DB'; echo console-exit=\$?; sleep 600"
	wait_for "$1" 'Action items: 2 open of 3' 5 || diag "no action items in $1: $(screen "$1")"
	T send-keys -t "$1" 6
	wait_for "$1" '╔═ 6 ' 3 || diag "6 did not focus Compliance & Legal"
}
# key SESSION KEY ERE DESC: press KEY, then the screen must match ERE.
key() {
	T send-keys -t "$1" "$2"
	if wait_for "$1" "$3"; then pass "$4"; else fail "$4" "after $2, no /$3/ in:" "$(screen "$1")"; fi
}
status_line() { screen "$1" | tail -2 | head -1; }
# field N KEY: action item N's KEY in action list --json.
field() {
	as alice action list --json >"$WORK/al.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; my $a = decode_json(<STDIN>);
		for (@$a) { print $_->{$ARGV[1]} if $_->{id} == $ARGV[0] }' "$1" "$2" <"$WORK/al.json"
}
# events ACTOR: the action-set events of ACTOR, "ID:STATUS" a line.
events() {
	as alice log --json >"$WORK/log.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		next unless $_->{action} eq "action-set" && $_->{actor} eq $ARGV[0];
		print "$_->{details}{action}:$_->{details}{status}\n" }' "$1" <"$WORK/log.json"
}

# ---- selecting -------------------------------------------------------------------------------
start c carol
S=$(screen c)
like "$S" '║31>\[ \] Review legal' "the pane's task is selected first"
like "$S" '║A1 \[ \] Replace the HSM firmware +12-31 ║' "the action items under it, open ones first"
like "$S" '║A3 \[-\] Rotate the HSM' "... a canceled one last, marked [-]"
like "$S" '║A2 \[ \] Alert \\x1b\[31mred on du' "a title with ESC is drawn escaped"
unlike "$S" "$ESC\\[31m" "... its ESC never reaches the terminal"
key c j '║A1>\[ \] Replace the HSM' "j past the last task selects the first action item"
unlike "$(screen c)" '31>' "... and the task is no longer highlighted"
key c Down '║A2>\[ \] Alert' "Down selects the next item"
key c k '║A1>\[ \] Replace' "k the previous one"
key c Up '║31>\[ \] Review legal' "Up above the first item gives the selection back to the task"
unlike "$(screen c)" 'A[0-9]>' "... no item highlighted"
key c G '║A3>\[-\] Rotate' "G goes to the last action item"
key c g '║31>\[ \] Review legal' "g back to the first task"

# ---- changing its status --------------------------------------------------------------------
T send-keys -t c j
wait_for c '║A1>' 3
key c Space '║A1>\[x\] Replace' "space completes the selected item"
like "$(status_line c)" 'action item 1 updated' "the status line says so"
is "$(field 1 status)" complete "action list --json: item 1 complete"
is "$(events carol)" "1:complete" "the audit log has the change, as carol's"
S=$(screen c)
like "$S" 'Action items: 1 open of 3' "the rule counts one open item"
if printf '%s\n' "$S" | grep -A1 '║A2 ' | grep -q '║A1>'; then
	pass "complete, it moves under the open one, still selected"
else
	fail "complete, it moves under the open one, still selected" "$S"
fi
key c Space '║A1>\[ \] Replace' "space again makes it ongoing"
is "$(field 1 status)" ongoing "action list --json: item 1 ongoing again"
key c s ':action set 1 --status ?$' "s puts 'action set 1 --status' on the ':' line"
like "$(status_line c)" 'ongoing, complete, delayed or canceled' "... naming the statuses"
T send-keys -t c -l delayed
key c Enter '║A1>\[!\] Replace' "typed and entered, the item is delayed, marked [!]"
is "$(field 1 status)" delayed "action list --json: item 1 delayed"
T send-keys -t c :
T send-keys -t c -l 'action set 2 --status canceled'
key c Enter '║A2 \[-\] Alert' "':action set' works on the ':' line too"
is "$(field 2 status)" canceled "action list --json: item 2 canceled"
is "$(events carol | tr '\n' ' ')" "1:complete 1:ongoing 1:delayed 2:canceled " \
	"each change is an event of carol's, in order"
run as alice audit verify
is "$RC" 0 "the audit chain holds"

# ---- its fields and history -------------------------------------------------------------------
key c Enter ' Action item 1 ' "Enter opens the selected action item"
S=$(screen c)
like "$S" 'action 1 \[!\] Replace the HSM firmware' "its title and status box"
like "$S" 'kind +prevent' "its kind"
like "$S" 'status +delayed' "its status"
like "$S" 'due +2026-12-31T00:00:00Z' "its due date"
like "$S" 'root cause:' "the root cause"
like "$S" 'Weak RNG' "... as recorded"
like "$S" 'evaluation criteria:' "the evaluation criteria"
like "$S" 'No weak key in 90 days' "... as recorded"
like "$S" 'carol added the action item #1' "the history: added"
like "$S" 'carol updated the action item #1 "Replace the HSM firmware": status' "... and its changes"
key c G 'delayed \(was ongoing\)' "G scrolls to the newest change"
key c q '║A1>\[!\] Replace' "q closes it, the item still selected"
unlike "$(screen c)" ' Action item 1 ' "... the overlay gone"
T send-keys -t c j
wait_for c '║A2>' 3
key c Enter '\\x1b\[31mred' "an item with ESC in its title opens escaped"
unlike "$(screen c)" "$ESC\\[31m" "... its ESC never reaches the terminal"
T send-keys -t c Escape

# ---- another process's change ------------------------------------------------------------------
as alice action set 3 --status ongoing >/dev/null 2>&1 || fail "action set 3 from the CLI"
if wait_for c '║A3 \[ \] Rotate' 3; then
	pass "a change from the CLI shows within 3 s"
else
	fail "a change from the CLI shows within 3 s" "$(screen c)"
fi
like "$(screen c)" 'Action items: 2 open of 3' "... and the rule counts it"

# ---- a user who may not ------------------------------------------------------------------------
run as bob action set 1 --status complete
is "$RC" 1 "bob (Revocation) may not set an action item on the CLI"
REFUSAL=${ERR#warroom: }
like "$REFUSAL" "needs team 'compliance-legal'" "... the refusal names the team"
start b bob
like "$(screen b)" '═ 6 [^═]*\(view only\)' "bob's console shows the pane view only"
key b j '║A1>\[!\] Replace' "bob selects an action item"
T send-keys -t b Space
if wait_for b "$(printf '%s' "$REFUSAL" | sed 's/[][().*^$\\|+?{}]/\\&/g')" 3; then
	pass "space: bob sees the CLI's refusal"
else
	fail "space: bob sees the CLI's refusal" "$(status_line b)"
fi
# s replaces the refusal with the statuses, then Enter brings it back.
key b s 'ongoing, complete, delayed or canceled' "bob may open the ':' line with s"
T send-keys -t b -l complete
key b Enter "needs team 'compliance-legal'" "s and Enter: the same refusal"
is "$(field 1 status)" delayed "nothing changed"
is "$(events bob)" "" "no event of bob's"
key b Enter ' Action item 1 ' "bob may open an item"
T send-keys -t b q

# ---- a click -------------------------------------------------------------------------------------------
# A replay: save the screen, find the row of A2, click it, save again.
printf 'key 6\nsave-display %s/before.txt\nquit\n' "$WORK" >"$WORK/a.script"
env WARROOM_USER=carol WARROOM_SCRIPT="$WORK/a.script" COLUMNS=120 LINES=40 \
	"$WARROOM" --db "$DB" >/dev/null 2>&1
row=$(grep -n '║A2 ' "$WORK/before.txt" | head -1 | cut -d: -f1)
col=$(grep '║A2 ' "$WORK/before.txt" | head -1 | perl -CS -ne 'print index($_, "A2 ") + 5')
if [ -n "$row" ]; then
	printf 'key 6\nclick %s %s\nsave-display %s/after.txt\nquit\n' "$col" "$((row - 1))" "$WORK" \
		>"$WORK/b.script"
	env WARROOM_USER=carol WARROOM_SCRIPT="$WORK/b.script" COLUMNS=120 LINES=40 \
		"$WARROOM" --db "$DB" >/dev/null 2>&1
	file_like "$WORK/after.txt" '║A2>\[-\] Alert' "a click on an action item selects it"
	file_unlike "$WORK/after.txt" '31>' "... not the task"
else
	fail "a click on an action item selects it" "no A2 row in $(cat "$WORK/before.txt")"
fi

T send-keys -t c q
T send-keys -t b q
wait_for c 'console-exit=0' 3
ok "the consoles quit" wait_for b 'console-exit=0' 3
done_testing
