#!/bin/sh
# console.t: the console driven as a person would, through tmux on a
# private socket: it opens on six teams; a task ticked with the keyboard
# shows in status --json; a change made by the CLI (and by a second
# console) appears within 2 s; it survives resizing to 80x24 and 200x60
# and folds into tabs; a hostile certificate subject and note show
# escaped; every key the help overlay lists does what it says (the test
# reads the overlay and fails on a key it has not exercised); the
# ':' line runs commands, completes and shows errors; a lead may tick
# only their team's tasks; --team and --wall; NO_COLOR and a monochrome
# terminal; SIGTERM restores the terminal.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs_root
no_plan

LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
export LANG LC_ALL TZ
SOCK=wr-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
# kill-server leaves the socket file behind: remove it too.
trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; _wr_cleanup' EXIT

DB=$WORK/wr.db
W() { "$WARROOM" --db "$DB" "$@"; }
cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
bob = revocation
EOF
export WARROOM_USER=alice
sh "$WR_FIXTURES/mkbad.sh" "$WORK/fx" >/dev/null || bail_out "mkbad.sh failed"
W init --name "Console test" >/dev/null || bail_out "init failed"
W import "$WORK/fx/hostile.pem" "$WORK/fx/leaf1.pem" "$WORK/fx/leaf2.pem" >/dev/null 2>&1 ||
	bail_out "import failed"
W declare --reason key-compromise --discovered "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
	>/dev/null || bail_out "declare failed"

# start NAME COLS ROWS [USER [ARGS...]]: a console in a tmux session; the
# shell around it prints its exit status when it ends.
start() {
	_s=$1 _w=$2 _h=$3 _u=${4:-alice}
	shift 3
	[ $# -gt 0 ] && shift
	T new-session -d -s "$_s" -x "$_w" -y "$_h" -c "$WORK" \
		"env WARROOM_USER=$_u TERM=${CTERM:-screen} ${CENV:-} '$WARROOM' --db '$DB' $*; echo console-exit=\$?; sleep 600"
	wait_for "$_s" 'WARROOM' 5 || diag "the console in $_s did not start"
}
keys() {
	_s=$1
	shift
	T send-keys -t "$_s" "$@"
}
# key SESSION KEY ERE DESC: press KEY, then the screen must match ERE.
key() {
	keys "$1" "$2"
	if wait_for "$1" "$3"; then pass "$4"; else fail "$4" "after $2, no /$3/ in:" "$(screen "$1")"; fi
	TESTED="$TESTED|$5|"
}
tested() { TESTED="$TESTED|$1|"; }
TESTED=
focused() { screen "$1" | grep -o '╔═ [^═]*' | head -1 | sed 's/╔═ //; s/ *$//'; }
bottom() { screen "$1" | tail -1; }
status_line() { screen "$1" | tail -2 | head -1; }
ms() { date +%s%3N; }
task_done() { # ID: "true" or "false" from task list --json
	W task list --json >"$WORK/t.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		print $_->{done} ? "true" : "false" if $_->{id} == $ARGV[0] }' "$1" <"$WORK/t.json"
}

# ---- opening: six teams ---------------------------------------------------------------
start c 120 40
S=$(screen c)
for t in "1 Management" "2 Customer Relations" "3 Certificate Replacement" \
	"4 Certificate Revocation" "5 External Communications" "6 Compliance & Legal"; do
	like "$S" "[═─] $t " "the console shows the team pane '$t'"
done
like "$S" '─ Numbers ─' "a numbers pane"
like "$S" 'Timeline' "a timeline pane"
like "$S" 'DECLARED' "the header shows the state"
like "$S" 'key-compromise' "the header shows the reason"
like "$S" 'Deadline [0-9-]+ [0-9:]+Z +2[0-3]:[0-9]{2}:[0-9]{2} left' "the header counts down to the deadline"
like "$S" 'you: alice \(management\)' "the header names the user and their teams"
like "$S" 'affected +3 ' "the numbers pane counts the imported certificates"
like "$S" 'published +- ' "published shows '-' (not tracked yet)"
like "$S" 'Burn-down' "the burn-down chart is drawn"
like "$S" 'alice declared a mass revocation event' "the timeline shows who declared, in words"
is "$(focused c)" "1 Management" "alice starts on her own team, Management"
like "$S" '^║ 1>\[ \] Assess scope' "the first task is selected"
unlike "$S" 'SIMULATED' "the clock is not marked simulated without WARROOM_NOW"
wider() { perl -CS -ne 'BEGIN { $max = shift } chomp; $n++ if length > $max; END { print $n + 0 }' "$1"; }
is "$(screen c | wider 120)" 0 "nothing is drawn past 120 columns"

# ---- ticking a task with the keyboard ---------------------------------------------------
key c Space '^║ 1>\[x\] Assess scope' "space ticks the selected task" space
like "$(status_line c)" 'task 1 done' "the status line confirms it"
W status --json >"$WORK/s.json"
is "$(json_get "$WORK/s.json" teams.0.tasks_done)" 1 "status --json counts Management's task as done"
is "$(task_done 1)" true "task list --json has task 1 done"
W log --json >"$WORK/l.json"
like "$(cat "$WORK/l.json")" '"actor": "alice"' "the tick is recorded as alice's"
key c Space '^║ 1>\[ \] Assess scope' "space again unticks it" space
is "$(task_done 1)" false "task 1 is open again"
keys c Space
wait_for c '^║ 1>\[x\] Assess scope' 2
key c u '^║ 1>\[ \] Assess scope' "u undoes the last tick" u
like "$(status_line c)" 'undone: your tick of task 1 ' "and says which"
is "$(task_done 1)" false "task 1 is open after the undo"
# s sets an action item's status (console-actions.t): on a task, it says how.
key c s "s sets an action item's status: select one" "s on a task says how to select an action item" s

# ---- a change from the CLI and from another console ---------------------------------------
t0=$(ms)
W task assign 2 zed-from-cli >/dev/null
if wait_for c 'zed-fr' 2; then
	pass "a change made by the CLI appears within 2 s ($(( $(ms) - t0 )) ms)"
else
	fail "a change made by the CLI appears within 2 s" "$(screen c)"
fi
like "$(screen c)" 'alice assigned "Alert team members' "the timeline shows the CLI's change"
start c2 120 40 alice
keys c2 j
keys c2 Space
t0=$(ms)
if wait_for c '^║ 2 \[x\] Alert team' 2; then
	pass "a task ticked in a second console appears in the first within 2 s ($(( $(ms) - t0 )) ms)"
else
	fail "a task ticked in a second console appears in the first within 2 s" "$(screen c)"
fi
keys c2 q
wait_for c2 'console-exit=0' 3
like "$(screen c2)" 'console-exit=0' "q quits with status 0"
tested q
W task reopen 2 >/dev/null
W phase communication >/dev/null
if wait_for c 'Phase 1: Customer communication' 2; then pass "a phase change shows in the header"; else
	fail "a phase change shows in the header" "$(screen c)"; fi
# The header and the panes come from one redraw, but tmux may capture it half-written.
if wait_for c '^║ 7 \[ \] Approve the cust' 2; then pass "the new phase's tasks join the undone earlier ones"; else
	fail "the new phase's tasks join the undone earlier ones" "$(screen c)"; fi

# ---- resizing ------------------------------------------------------------------------------
T resize-window -t c -x 80 -y 24
if wait_for c '^\[1 Mgmt\]' 3; then pass "at 80x24 the panes fold into tabs"; else
	fail "at 80x24 the panes fold into tabs" "$(screen c)"; fi
S=$(screen c)
is "$(printf '%s\n' "$S" | wc -l | tr -d ' ')" 24 "24 rows"
is "$(printf '%s\n' "$S" | wider 80)" 0 "nothing past 80 columns"
like "$S" '^║ 1>\[ \] Assess scope and severity against the MRE criteria' \
	"the folded pane shows whole titles"
like "$S" '2 CustRel +3 Replace +4 Revoke +5 ExtComms +6 Legal' \
	"the tab bar names the other teams, by the plan's short names"
key c Tab '^ 1 Mgmt +\[2 CustRel' "Tab moves to the next tab when folded" Tab
key c BTab '^\[1 Mgmt\]' "BTab moves back" BTab
key c Left 'Timeline\]' "Left from the first tab wraps to the timeline" Left
key c Right '^\[1 Mgmt\]' "Right from the last tab wraps to the first" Right
T resize-window -t c -x 200 -y 60
if wait_for c '─ 3 Certificate Replacement ─' 3; then pass "at 200x60 every pane is back"; else
	fail "at 200x60 every pane is back" "$(screen c)"; fi
S=$(screen c)
is "$(printf '%s\n' "$S" | wc -l | tr -d ' ')" 60 "60 rows"
like "$S" '6 Compliance & Legal' "six teams at 200x60"
like "$S" '1>\[ \] Assess scope and severity against the MRE criteria +[0-9]{2}:[0-9]{2}' \
	"at 200 columns titles are whole, with the due time"
like "$S" '2 \[ \] Alert team members.* zed-from-cli +[0-9]{2}:[0-9]{2}' "... and the owner"

# ---- hostile text ------------------------------------------------------------------------------
# At 200 columns the timeline has room for the whole sentence, note included.
ESC=$(printf '\033')
W task note 3 "$(printf 'x%s[31m%s]0;\007 y' "$ESC" "$ESC")" >/dev/null
wait_for c 'noted on "Determine the affected' 2
S=$(screen c)
like "$S" 'alice noted on "Determine the affected certificates and customers" \(Management\): "x\\x1b\[31m\\x1b\]0;\\x07 y"' \
	"a hostile note shows escaped in the timeline"
T resize-window -t c -x 120 -y 40
wait_for c '─ 2 Customer Relations ─' 3
keys c : ; keys c -l 'certs' ; keys c Enter
wait_for c 'SUBJECT' 3
S=$(screen c)
# The serial column is 40 wide: the subject may be cut right after its ESC.
like "$S" 'evil\\{1,2}(x1b|1B|u001b)(\[2J|…)' "a hostile certificate subject shows ESC escaped"
like "$S" 'WARROOM' "the screen was not cleared by the subject's ESC[2J"
# The subject is wider than the window: it scrolls sideways.
keys c Right Right
key c l '\\{1,2}u202e' "Right and l scroll the output: the right-to-left override shows escaped" l
tested Right
unlike "$(screen c)" 'SERIAL' "the first columns scrolled out"
keys c Left Left
key c h ' SERIAL ' "Left and h scroll it back" h
tested Left
T capture-pane -p -e -t c >"$WORK/raw.txt"
if grep -q "$(printf '\033\\[2J')" "$WORK/raw.txt"; then fail "no raw ESC[2J on the screen"; else
	pass "no raw ESC[2J on the screen"; fi
keys c Escape
wait_gone c 'SUBJECT' 2

# ---- the help overlay and every key it lists ------------------------------------------------
keys c '?'
wait_for c 'Keys of the console' 2
HELP=$(screen c)
# Scroll to collect every line of a long overlay.
i=0
while [ $i -lt 40 ]; do
	keys c Down
	i=$((i + 1))
done
sleep 0.3
HELP="$HELP
$(screen c)"
like "$HELP" 'Keys of the console' "? opens the help overlay"
like "$HELP" "On the ':' and '/' line" "the overlay lists the line editor's keys"
like "$HELP" "In a command's output" "and the output window's keys"
# The overlay's key column: "║   h, Left      help...", up to the legend
# of symbols, which follows the keys in each capture of the overlay.
printf '%s\n' "$HELP" | perl -ne '$sym = 0 if /Help/; $sym = 1 if /Symbols on the screen/;
	next if $sym; print "$1\n" while /║   (\S(?:\S| (?! ))*) {2,}\S/g' |
	sed 's/, /\n/g' | sort -u >"$WORK/keys.txt"
ok "the overlay lists keys" test -s "$WORK/keys.txt"
keys c x
if wait_gone c 'Keys of the console' 2; then pass "any key closes the overlay"; else fail "any key closes the overlay"; fi
is "$(focused c)" "1 Management" "the key that closed it did nothing else"
keys c '?'
wait_for c 'Keys of the console' 2
key c '?' 'Timeline' "? closes the overlay too" '?'
wait_gone c 'Keys of the console' 2
tested '?'

# Panes: Tab, BTab, h/l/Left/Right, j/k/Up/Down, 1..9.
key c Tab '╔═ 2 Customer Relations' "Tab focuses the next pane" Tab
key c BTab '╔═ 1 Management' "BTab focuses the previous pane" BTab
key c l '╔═ 2 Customer Relations' "l focuses the pane to the right" l
key c Right '╔═ 3 (Certificate Replacement|Replace) ' "Right focuses the pane to the right" Right
key c h '╔═ 2 Customer Relations' "h focuses the pane to the left" h
key c Left '╔═ 1 Management' "Left focuses the pane to the left" Left
key c j '^║ 2>\[' "j selects the next task" j
key c Down '^║ 3>\[' "Down selects the next task" Down
key c k '^║ 2>\[' "k selects the previous task" k
key c Up '^║ 1>\[' "Up selects the previous task" Up
key c Up '^║ 1>\[' "Up at the top of the top row stays" Up
key c NPage '^║ 7>\[' "PgDn moves a page down (to the last of seven)" PgDn
key c PPage '^║ 1>\[' "PgUp moves a page up" PgUp
keys c j j
key c g '^║ 1>\[' "g goes back to the first task" g
keys c j j
key c Home '^║ 1>\[' "Home goes back to the first task" Home
# G/End, C-d/C-u (nav.c): the pane shows 9 rows, half a page is 4.
key c G '^║ 7>\[' "G goes to the last task" G
keys c g
key c End '^║ 7>\[' "End goes to the last task" End
key c C-u '^║ 3>\[' "C-u moves half a page up" C-u
key c C-d '^║ 7>\[' "C-d moves half a page down" C-d
keys c g
# A click (xterm's X10 report: ESC [ M, then button, column and row, each
# + 32, 1-based) on the third row of team 2 focuses it and selects that row.
keys c -l "$(printf '\033[M %s%s' "$(printf "\\$(printf %o $((32 + 51)))")" "$(printf "\\$(printf %o $((32 + 6)))")")"
if wait_for c '╔═ 2 Customer Relations' 2 && screen c | sed -n 6p | grep -q '║[ 0-9]*>\['; then
	pass "a mouse click focuses the pane and selects the task clicked"
else
	fail "a mouse click focuses the pane and selects the task clicked" "$(screen c)"
fi
tested Mouse
key c z '╔═ 2 Customer Relations ═{60}' "z zooms the pane" z
key c q '─ 1 Management ─' "q leaves the zoom first, without quitting" q
keys c 1
keys c NPage
keys c j
if wait_for c '╔═ 4 (Certificate Revocation|Revoke) ' 2; then pass "j past the last task moves to the pane below"; else
	fail "j past the last task moves to the pane below" "$(screen c)"; fi
keys c k
if wait_for c '╔═ 1 Management' 2; then pass "k past the first task moves to the pane above"; else
	fail "k past the first task moves to the pane above"; fi
key c 3 '╔═ 3 (Certificate Replacement|Replace) ' "3 focuses team 3" 3
key c 6 '╔═ 6 Compliance & Legal' "6 focuses team 6" 6
key c 9 'there is no team 9' "9 says there is no team 9" 9
for n in 1 2 4 5 7 8; do tested $n; done
keys c 1
key c z '╔═ 1 Management ═{50}' "z zooms the pane to the full width" z
unlike "$(screen c)" '2 Customer Relations' "the zoomed pane is alone"
like "$(status_line c)" 'ZOOM' "the status line says ZOOM"
key c Escape '─ 2 Customer Relations ─' "Esc leaves the zoom" Esc
key c z '╔═ 1 Management ═{50}' "z zooms again" z
key c z '─ 2 Customer Relations ─' "z again unzooms" z
# Enter opens the selected task's detail (tasks-blocked.t tests it in full).
key c Enter '═ Task [0-9]+ ═' "Enter opens the selected task's detail" Enter
like "$(screen c)" 'history:' "... with its history"
keys c Escape
if wait_gone c '═ Task [0-9]+ ═' 2; then pass "Esc closes the detail"; else fail "Esc closes the detail"; fi
key c C-l '─ 2 Customer Relations ─' "C-l redraws the whole screen" C-l
# p and C act on the run the banner shows (runs.t tests them on runs).
key c p 'p pauses the run the banner shows: none is in progress' "p with no run says so" p
key c C 'C cancels the run the banner shows: none is in progress' "C with no run says so" C

# The timeline scrolls: newest first, j/k and PgDn/PgUp within it.
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do W task note 20 "scroll-$i" >/dev/null; done
wait_for c 'scroll-14' 2
T resize-window -t c -x 120 -y 40
keys c 1 j j j j j j
wait_for c '╔═ 4 (Certificate Revocation|Revoke) ' 2
keys c j
wait_for c '╔═ Numbers' 2
keys c l
if wait_for c '╔═ Timeline' 2; then pass "the timeline takes the focus"; else fail "the timeline takes the focus"; fi
key c j 'Timeline: 1 newer above' "j scrolls the timeline to older events" j
key c k 'Timeline: newest first' "k scrolls back to the newest" k
key c NPage 'Timeline: [0-9]+ newer above' "PgDn pages down the timeline" PgDn
key c PPage 'Timeline: newest first' "PgUp pages back up" PgUp
keys c NPage
key c Home 'Timeline: newest first' "Home returns to the newest event" Home

# '/' filters tasks and events as it is typed.
keys c 1
key c / '^/$' "/ opens the filter line" /
keys c -l 'Notify root'
if wait_for c 'no task matches the filter' 2; then pass "typing filters the panes at once"; else fail "typing filters the panes at once" "$(screen c)"; fi
like "$(screen c)" '27 \[ \] Notify root' "the matching task stays in its pane"
key c Enter '/Notify root' "Enter keeps the filter (shown in the status line)" Enter
keys c Escape
if wait_gone c 'no task matches the filter' 2; then pass "Esc clears the filter"; else fail "Esc clears the filter"; fi

# ---- the ':' line: commands, errors, completion, editing -------------------------------------
key c : '^:$' ": opens the command line" :
keys c -l 'task done 999'
key c Enter 'no task 999' "an error is shown in place" Enter
keys c : ; keys c -l 'status'
keys c Enter
if wait_for c '(Incident|Certificates)' 2; then pass "a long output opens a window"; else fail "a long output opens a window" "$(screen c)"; fi
like "$(screen c)" ':status' "the window is titled with the command"
key c Down 'Incident|State' "Down scrolls the output" Down
tested j; tested k
key c Up 'Incident' "Up scrolls it back" Up
key c NPage '/[0-9]+ +Up/Down' "PgDn pages the output" PgDn
key c PPage 'Incident' "PgUp pages it back" PgUp
key c q 'Timeline: newest' "q closes the output" q
keys c : ; keys c -l 'help' ; keys c Enter
wait_for c 'commands:' 2
key c Enter 'Timeline: newest' "Enter closes the output" Enter
keys c : ; keys c -l 'help' ; keys c Enter
wait_for c 'commands:' 2
key c Escape 'Timeline: newest' "Esc closes the output" Esc

keys c : ; keys c -l 'decl'
key c Tab '^:declare$' "Tab completes a command name" Tab
keys c -l -- '--rea'
key c Tab '^:declare --reason$' "Tab completes an option (and the space after it)" Tab
keys c -l 'key-comp'
keys c Tab
if wait_for c 'key-compromise .*key-computable' 2; then pass "Tab lists the matching reason codes"; else
	fail "Tab lists the matching reason codes" "$(screen c)"; fi
keys c -l 'r'
key c Tab '^:declare --reason key-compromise$' "Tab completes a reason code" Tab
key c C-u '^:$' "C-u deletes to the start of the line" C-u
keys c -l 'task do'
keys c Tab
keys c -l '2'
keys c Tab
if wait_for c '^:task done 2[0-9]* ?$' 2; then pass "Tab completes a task id"; else fail "Tab completes a task id" "$(bottom c)"; fi
like "$(status_line c)" '2[0-9] \(' "and lists the open tasks with their titles"
keys c C-u
keys c -l 'abc def'
key c C-w '^:abc$' "C-w deletes the word before the cursor" C-w
keys c BSpace
key c BSpace '^:ab$' "Backspace deletes before the cursor" Backspace
# Each move is checked by typing a letter where the cursor went.
edit() { # KEY TEXT ERE DESC NAME
	keys c "$1"
	keys c -l "$2"
	if wait_for c "$3" 2; then pass "$4"; else fail "$4" "$(bottom c)"; fi
	TESTED="$TESTED|$5|"
}
edit Left X '^:aXb$' "Left moves the cursor" Left
edit Right Y '^:aXbY$' "Right moves the cursor" Right
edit Home Z '^:ZaXbY$' "Home goes to the start of the line" Home
edit End W '^:ZaXbYW$' "End goes to the end" End
edit C-a V '^:VZaXbYW$' "C-a goes to the start" C-a
edit C-e U '^:VZaXbYWU$' "C-e goes to the end" C-e
keys c C-a Right
key c DC '^:VaXbYWU$' "Del deletes under the cursor" Del
key c C-k '^:V$' "C-k deletes to the end of the line" C-k
keys c BSpace
key c Up '^:help$' "Up recalls the previous command" Up
key c Up '^:status$' "Up again, the one before" Up
keys c Down
key c Down '^:$' "Down goes forward in the history, to an empty line" Down
keys c -l 'status'
key c Escape 'Timeline: newest' "Esc cancels the command line" Esc
unlike "$(screen c)" 'Certificates' "nothing ran"
keys c : BSpace
if wait_for c '\? help' 2; then pass "Backspace on an empty line leaves it"; else fail "Backspace on an empty line leaves it"; fi
keys c : ; keys c -l 'init --name x' ; keys c Enter
wait_for c 'run it from a shell' 2
like "$(status_line c)" 'init creates a new database' "init is refused from the console"
ok "the database is still there" test -s "$DB"
keys c : ; keys c -l 'task assign 5 "Ana María"' ; keys c Enter
wait_for c 'assigned' 2
keys c z
if wait_for c '╔═ 1 Management ═{50}' 2; then pass "zoomed to read the owner column"; else fail "zoomed"; fi
like "$(screen c)" '5 \[ \] Hold a conference call .* Ana María' "a UTF-8 owner is drawn"
keys c z

# ---- wide characters -----------------------------------------------------------------------------
W task add --team compliance-legal --phase activation "証明書の確認 check" >/dev/null
wait_for c '証明書' 2
S=$(screen c)
# The team pane's row, and the timeline's ("alice added the task ...").
row=$(printf '%s\n' "$S" | grep '証明書' | head -1)
width=$(printf '%s\n' "$S" | grep '証明書' | perl -CS -ne 'chomp; my $w = 0; for (split //) {
	$w += /[\x{1100}-\x{115F}\x{2E80}-\x{A4CF}\x{AC00}-\x{D7A3}\x{F900}-\x{FAFF}\x{FF00}-\x{FF60}]/ ? 2 : 1 } print "$w\n"' |
	sort -u | tr '\n' ' ')
is "$width" "120 " "each row with wide characters is exactly 120 columns wide"
like "$row" '│$' "and ends with the pane's border"

# ---- permissions: a lead ticks their own team's tasks only ------------------------------------
start b 120 40 bob
like "$(focused b)" '^4 (Certificate Revocation|Revoke)$' "bob starts on his team, Certificate Revocation"
like "$(screen b)" 'Management \(view only\)' "teams bob cannot tick say so"
keys b 1
keys b Space
if wait_for b "needs team 'management'" 2; then pass "bob may not tick a Management task: the refusal shows"; else
	fail "bob may not tick a Management task: the refusal shows" "$(screen b)"; fi
is "$(task_done 1)" false "and the task stays open"
keys b 4 Space
if wait_for b 'task 22 done' 2; then pass "bob ticks his own team's task"; else fail "bob ticks his own team's task" "$(screen b)"; fi
is "$(task_done 22)" true "task 22 is done"
keys b q

# ---- --team and --wall ---------------------------------------------------------------------------
start z 120 40 alice --team external-comms
like "$(screen z)" '╔═ 5 External Communications ═{50}' "--team opens zoomed on that team"
like "$(status_line z)" 'ZOOM' "in zoom"
keys z q
run env WARROOM_USER=alice "$WARROOM" --db "$DB" --team nosuch
is "$RC" 2 "--team with an unknown team exits 2"
like "$ERR" "no team 'nosuch'; teams: management customer-relations" "and names the teams"

start w 120 40 alice --wall
S=$(screen w)
like "$S" 'TIME LEFT' "--wall shows the countdown"
like "$S" 'PENDING' "--wall shows what is pending"
like "$S" '(█|▀|▄)' "in big block digits"
like "$S" 'Management +.*%' "and the teams' progress"
like "$S" 'WALL read-only' "the wall says it is read-only"
keys w Space
if wait_for w 'the wall is read-only' 2; then pass "space does nothing on the wall"; else fail "space does nothing on the wall"; fi
keys w :
sleep 0.3
unlike "$(bottom w)" '^:' "no command line on the wall"
keys w q
wait_for w 'console-exit=0' 2
like "$(screen w)" 'console-exit=0' "q quits the wall"

# ---- colours: NO_COLOR and a monochrome terminal ---------------------------------------------------
CTERM=screen-256color
start col 120 40
T capture-pane -p -e -t col >"$WORK/col.txt"
file_like "$WORK/col.txt" "$(printf '\033')\\[([0-9;]*;)?3[1-7](;[0-9;]*)?m" "colours are used when the terminal has them"
keys col q
CENV="NO_COLOR=1"
start nc 120 40
T capture-pane -p -e -t nc >"$WORK/nc.txt"
file_unlike "$WORK/nc.txt" "$(printf '\033')\\[([0-9;]*;)?(3[0-7]|4[0-7]|38;5)(;[0-9;]*)?m" "NO_COLOR: no colour at all"
file_like "$WORK/nc.txt" "$(printf '\033')\\[([0-9;]*;)?7(;[0-9;]*)?m" "NO_COLOR: reverse video marks the header"
keys nc q
CENV= CTERM=vt100
start mono 120 40
like "$(screen mono)" '1 Management' "a monochrome terminal (vt100) works"
T capture-pane -p -e -t mono >"$WORK/mono.txt"
file_unlike "$WORK/mono.txt" "$(printf '\033')\\[([0-9;]*;)?(3[0-7]|38;5)(;[0-9;]*)?m" "vt100: no colour"
keys mono q
CTERM=

# ---- SIGTERM and the terminal ----------------------------------------------------------------------
start sig 100 30
pp=$(T display -p -t sig '#{pane_pid}')
cp=$(pgrep -P "$pp" | head -1)
is "$(T display -p -t sig '#{alternate_on}')" 1 "the console uses the alternate screen"
kill -TERM "$cp"
if wait_for sig 'console-exit=143' 3; then pass "SIGTERM ends the console (status 143)"; else fail "SIGTERM ends the console" "$(screen sig)"; fi
is "$(T display -p -t sig '#{alternate_on}')" 0 "the alternate screen is left"
is "$(T display -p -t sig '#{cursor_flag}')" 1 "the cursor is visible again"
is "$(T display -p -t sig '#{keypad_flag}')" 0 "keypad mode is off"
start hup 100 30
cp=$(pgrep -P "$(T display -p -t hup '#{pane_pid}')" | head -1)
kill -HUP "$cp"
if wait_for hup 'console-exit=129' 3; then pass "SIGHUP too (status 129)"; else fail "SIGHUP too" "$(screen hup)"; fi
is "$(T display -p -t hup '#{alternate_on}')" 0 "the alternate screen is left after SIGHUP"

# ---- the console needs a terminal ----------------------------------------------------------------------
run env WARROOM_USER=alice "$WARROOM" --db "$DB"
is "$RC" 2 "without a terminal the console exits 2"
like "$ERR" 'not a terminal' "and says why"
run "$WARROOM" --db "$WORK/none.db"
isnt "$RC" 0 "a missing database is an error before the screen opens"
like "$ERR" 'no such database' "with the core's message"

# ---- every key of the overlay was exercised ------------------------------------------------------------
missing=
while read -r k; do
	case $k in *..*) k=${k%%..*} ;; esac
	case $TESTED in *"|$k|"*) ;; *) missing="$missing $k" ;; esac
done <"$WORK/keys.txt"
is "$missing" "" "every key the help overlay lists was pressed and checked"
done_testing
