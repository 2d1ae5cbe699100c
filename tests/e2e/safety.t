#!/bin/sh
# safety.t: safe by default. close, a phase change that leaves revocation
# with certificates pending, and a tick of another team's task ask first:
# refused without a terminal unless --yes, asked [y/N] on one, asked y/N
# on the console's bottom row; Management reopens a closed incident, on
# record, and nobody else may; u undoes your last tick in the console;
# --help lists every option and command of the table, each command's
# --help its options, formats and values; a mistyped command, option or
# value gets "did you mean"; an unusable terminal is refused, exit 2.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs tic
needs_root
no_plan

LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
WARROOM_NOW=2026-11-25T08:00:00Z
export LANG LC_ALL TZ WARROOM_NOW
SOCK=wrs-$$
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; _wr_cleanup' EXIT

cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
bob = revocation
EOF
A() { WARROOM_USER=alice "$WARROOM" --db "$DB" "$@"; }
Bob() { WARROOM_USER=bob "$WARROOM" --db "$DB" "$@"; }
fixtures
printf '[mre]\nabsolute = 100\n' >"$WORK/open.conf"
chmod 600 "$WORK/open.conf"
A init --name "Safety" >/dev/null || bail_out "init failed"
A import "$FX/leaf1.pem" "$FX/leaf2.pem" >/dev/null 2>&1 || bail_out "import failed"
A declare --reason key-compromise --discovered 2026-11-25T06:00:00Z >/dev/null ||
	bail_out "declare failed"
events() { W log --json >"$WORK/l.json" 2>/dev/null; perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$WORK/l.json"; }
state() { W status --json >"$WORK/s.json" && json_get "$WORK/s.json" incident.state; }
phase() { W status --json >"$WORK/s.json" && json_get "$WORK/s.json" incident.phase_name; }
task_done() { # ID: true or false
	W task list --json >"$WORK/t.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		print $_->{done} ? "true" : "false" if $_->{id} == $ARGV[0] }' "$1" <"$WORK/t.json"
}
first_of() { # TEAM: its first task's id
	W task list --team "$1" --json >"$WORK/t.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->[0]{id}' <"$WORK/t.json"
}
MGMT=$(first_of management)
CR=$(first_of customer-relations)
CR2=$(W task list --team customer-relations --json | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->[1]{id}')
REV=$(first_of revocation)

# ---- close asks; without a terminal it needs --yes ------------------------------------------
n=$(events)
run A close
is "$RC" 2 "close without --yes and without a terminal exits 2"
like "$ERR" 'Close the incident with 2 certificates pending\?' "the refusal quotes the question, with the count"
like "$ERR" 'add --yes' "and names --yes"
is "$(state)" declared "the incident is still declared"
is "$(events)" "$n" "nothing was recorded"
run Bob close
is "$RC" 1 "bob (not Management) is refused, not asked"
like "$ERR" "needs team 'management'" "the refusal names the team needed"
unlike "$ERR" 'Close the incident' "and no question was asked of him"
run A close --note "--yes"
is "$RC" 2 "a note that reads --yes is the note, not a confirmation"
run A close --yes --note "all revoked"
is "$RC" 0 "close --yes closes"
is "$(state)" closed "the incident is closed"
run A close --yes
is "$RC" 1 "closing a closed incident exits 1, unasked"

# ---- reopen: Management only, with a reason, on record ---------------------------------------
n=$(events)
run Bob reopen --note "mine"
is "$RC" 1 "bob may not reopen"
like "$ERR" "management" "the refusal names Management"
is "$(state)" closed "the incident stays closed"
run A reopen
is "$RC" 2 "reopen without --note exits 2"
like "$ERR" 'note' "and says the reason is required"
is "$(events)" "$n" "no refused reopen was recorded"
run A reopen --note "20 more certificates found"
is "$RC" 0 "Management reopens"
like "$OUT" 'reopened: declared' "reopen says the state it returns to"
is "$(state)" declared "the incident is declared again"
W status --json >"$WORK/s.json"
is "$(json_get "$WORK/s.json" incident.closed)" null "closed is cleared"
W log --limit 1 --json >"$WORK/l.json"
is "$(json_get "$WORK/l.json" 0.action)" incident-reopen "the log records incident-reopen"
is "$(json_get "$WORK/l.json" 0.actor)" alice "by alice"
is "$(json_get "$WORK/l.json" 0.details.note)" "20 more certificates found" "with the reason"
like "$(json_get "$WORK/l.json" 0.details.closed_at)" '^2026-' "and when it had been closed"
run A reopen --note "again"
is "$RC" 1 "an incident that is not closed does not reopen"
run W audit verify
is "$RC" 0 "the audit chain holds"

# ---- phase: leaving revocation with certificates pending asks ---------------------------------
run A phase communication
is "$RC" 0 "moving through the early phases does not ask"
run A phase revocation
is "$RC" 0 "moving into revocation does not ask"
run A phase post-mortem
is "$RC" 2 "leaving revocation with certificates pending needs --yes"
like "$ERR" 'Move to Phase 4: Post-mortem.* with 2 certificates pending\?' "the question names the phase and the count"
is "$(phase)" revocation "the phase did not change"
run A phase replacement
is "$RC" 2 "going back from revocation with certificates pending asks too"
like "$ERR" 'Go back to Phase 2' "and says it goes back"
run A phase post-mortem --yes
is "$RC" 0 "phase --yes moves"
is "$(phase)" post-mortem "the incident is in post-mortem"
run A phase revocation
is "$RC" 0 "back into revocation does not ask"

# ---- ticking another team's task ----------------------------------------------------------------
run A task done "$CR"
is "$RC" 2 "Management ticking a Customer Relations task needs --yes without a terminal"
like "$ERR" "Tick task $CR \".*\" of Customer Relations\\? It is not your team \\(yours: management\\)" \
	"the question names the task, its team and yours"
is "$(task_done "$CR")" false "the task stays open"
run A task done "$CR" --yes --note "done for them"
is "$RC" 0 "task done --yes ticks it"
is "$(task_done "$CR")" true "the task is done"
run A task done "$MGMT"
is "$RC" 0 "ticking one's own team's task does not ask"
run Bob task done "$MGMT"
is "$RC" 1 "bob ticking Management's task is refused, not asked"
unlike "$ERR" 'not your team' "no question for bob"
run Bob task done "$REV"
is "$RC" 0 "bob ticks his own team's task without a question"
# No [users]: every team is everyone's; nothing asks.
OPEN=$WORK/open.db
"$WARROOM" --db "$OPEN" --config "$WORK/open.conf" init --name Open >/dev/null 2>&1 ||
	bail_out "init open"
run env WARROOM_USER=bob "$WARROOM" --config "$WORK/open.conf" --db "$OPEN" task done 11
is "$RC" 0 "without [users] no tick asks"

# ---- the CLI on a terminal asks [y/N] -----------------------------------------------------------
shell() { # NAME CMD: a shell command in a tmux window, its exit status printed after
	T new-session -d -s "$1" -x 150 -y 20 -c "$WORK" "$2; echo exit=\$?; sleep 600"
}
waits() { # SESSION ERE DESC
	if wait_for "$1" "$2" 5; then pass "$3"; else fail "$3" "$(screen "$1")"; fi
}
shell tn "env WARROOM_USER=alice '$WARROOM' --db '$DB' close"
waits tn 'Close the incident with 2 certificates pending\? \[y/N\]' "on a terminal close asks [y/N]"
T send-keys -t tn n Enter
waits tn 'exit=1' "n: exit 1"
like "$(screen tn)" 'not confirmed; nothing done' "and says nothing was done"
is "$(state)" declared "the incident is still open"
shell ty "env WARROOM_USER=alice '$WARROOM' --db '$DB' close --note 'by terminal'"
wait_for ty '\[y/N\]' 5
T send-keys -t ty y Enter
waits ty 'exit=0' "y: exit 0"
is "$(state)" closed "and the incident is closed"
A reopen --note "for the console tests" >/dev/null || bail_out "reopen failed"

# ---- --help: every option and command of the table ---------------------------------------------
# The command table (tui/cmd.c's wr_cmds) and each entry's name (cmd-*.c).
perl -0e '
	my %name;
	for my $f (glob("$ARGV[0]/tui/cmd*.c")) {
		local $/; open my $h, "<", $f or die; my $s = <$h>;
		$name{$1} = $2 while $s =~ /const struct wr_cmd (cmd_\w+) = \{\s*"([^"]+)"/g;
	}
	local $/; open my $h, "<", "$ARGV[0]/tui/cmd.c" or die; my $s = <$h>;
	$s =~ /wr_cmds\[\] = \{(.*?)\};/s or die "no table";
	print "$name{$_}\n" for $1 =~ /&(cmd_\w+)/g;
' "$WR_REPO" >"$WORK/cmds.txt"
ok "the command table was read" test "$(wc -l <"$WORK/cmds.txt")" -ge 25
like "$(cat "$WORK/cmds.txt")" '^reopen$' "reopen is in the table"
run "$WARROOM" --help
is "$RC" 0 "--help exits 0"
HELP=$OUT
missing=
while read -r c; do
	printf '%s\n' "$HELP" | grep -q "^  $c " || missing="$missing|$c"
done <"$WORK/cmds.txt"
is "$missing" "" "--help lists every command of the table with its summary"
for o in --db --config --team --wall --help --version; do
	like "$HELP" "^  $o( |,)" "--help lists the option $o"
done
like "$HELP" 'Exit status: 0 success, 1 failure or refusal, 2 usage' "--help says the exit statuses"
ok "--help needs no database" test ! -e "$WORK/warroom.db"

# Each command's --help: every option of its synopsis has a line of its own.
bad=
while read -r c; do
	# shellcheck disable=SC2086
	"$WARROOM" --db "$WORK/none.db" $c --help >"$WORK/h.txt" 2>&1 || bad="$bad|$c exits non-zero"
	head -3 "$WORK/h.txt" | grep -o -- '--[a-z][a-z0-9-]*' | sort -u >"$WORK/o.txt"
	while read -r o; do
		grep -q "^  $o\\b" "$WORK/h.txt" || bad="$bad|$c: $o"
	done <"$WORK/o.txt"
	grep -q '^  --help ' "$WORK/h.txt" || bad="$bad|$c: --help"
done <"$WORK/cmds.txt"
is "$bad" "" "each command's --help lists each of its options"
ok "no --help created a database" test ! -e "$WORK/none.db"

run "$WARROOM" declare --help
like "$OUT" '^  --reason CODE +the BR reason code' "declare --help explains --reason"
like "$OUT" '^  key-compromise +24 hours' "and lists the reason codes with their deadlines"
like "$OUT" '^  weak-key +5 days' "5-day codes too"
like "$OUT" 'TIME is an RFC 3339 time, 2026-11-25T06:00:00Z' "and explains the time format"
like "$OUT" "'now';" "with every form it takes: now"
like "$OUT" "'@SECONDS' since 1970" "and @SECONDS"
run "$WARROOM" task list --help
like "$OUT" '^  3  revocation +Phase 3' "task list --help lists the phases with their numbers"
like "$OUT" '^  --unassigned +only tasks without an owner' "and explains its options"
run "$WARROOM" certs --help
like "$OUT" 'STATE is one of pending' "certs --help lists the states"
run "$WARROOM" close --help
like "$OUT" '^usage: warroom close \[--note TEXT\] \[--yes\]' "close --help shows --yes in the synopsis"
like "$OUT" '^  --yes +confirm beforehand' "and explains it"
like "$OUT" '^Asks before it acts: every time' "and when it asks"
run "$WARROOM" task done --help
like "$OUT" '^usage: warroom task done ID \[--note TEXT\] \[--yes\]' "task done takes --yes"
like "$OUT" "another team's than yours" "and says when it asks"
run "$WARROOM" reopen --help
like "$OUT" '^  --note TEXT +why it is reopened \(required' "reopen --help: --note is required"
run "$WARROOM" help phase
like "$OUT" '^  4  post-mortem' "help COMMAND gives the same help"

# ---- did you mean ---------------------------------------------------------------------------------
dym() { # DESC ERE ARGS...: exit 2 and stderr matching ERE
	_d=$1 _re=$2
	shift 2
	run "$@"
	is "$RC" 2 "$_d: exit 2"
	like "$ERR" "$_re" "$_d: names it and suggests"
}
dym "a mistyped command" "unknown command 'stauts'; did you mean 'status'\\?" W stauts
dym "a mistyped subcommand" "unknown command 'task dnoe'; did you mean 'task done'\\?" W task dnoe 1
dym "a mistyped option" "status: unknown option '--jsno'; did you mean '--json'\\?" W status --jsno
dym "a mistyped reason code" "unknown reason code 'key-compromse'; did you mean 'key-compromise'\\?" \
	W declare --reason key-compromse --discovered 2026-11-25T06:00:00Z
dym "a mistyped phase" "no phase 'replacment'; did you mean 'replacement'\\?" A phase replacment
dym "a mistyped state" "no state 'pendng'; did you mean 'pending'\\?" W certs --state pendng
dym "a mistyped global option" "unknown option '--tema'; did you mean '--team'\\?" W --tema revocation
dym "a mistyped team" "no team 'revocaton'; did you mean 'revocation'\\?" A --team revocaton
dym "nothing near" "unknown command 'frobnicate'" W frobnicate
unlike "$ERR" 'did you mean' "nothing near: no suggestion"

# ---- an unusable terminal ------------------------------------------------------------------------
run A
is "$RC" 2 "the console without a terminal exits 2"
like "$ERR" 'not a terminal' "and says so"
# A terminal type without cursor addressing, compiled for this test.
printf 'nocup|a terminal without cursor addressing,\n\tam, cols#80, lines#24,\n\tbel=^G, cr=\\r, cud1=\\n, ind=\\n,\n' >"$WORK/nocup.ti"
tic -o "$WORK/terminfo" "$WORK/nocup.ti" 2>/dev/null || bail_out "tic failed"
shell td "env WARROOM_USER=alice TERM=dumb '$WARROOM' --db '$DB'"
waits td 'exit=2' "TERM=dumb: the console exits 2"
like "$(screen td)" 'TERM=dumb cannot show the console' "with a clear error"
shell tu "env -u TERM WARROOM_USER=alice '$WARROOM' --db '$DB'"
waits tu 'exit=2' "TERM unset: exit 2"
like "$(screen tu)" 'TERM is not set' "says TERM is not set"
shell tk "env WARROOM_USER=alice TERM=no-such-terminal '$WARROOM' --db '$DB'"
waits tk 'exit=2' "an unknown TERM: exit 2"
like "$(screen tk)" 'terminfo database does not know' "says terminfo does not know it"
shell tc "env WARROOM_USER=alice TERMINFO='$WORK/terminfo' TERM=nocup '$WARROOM' --db '$DB'"
waits tc 'exit=2' "a terminal without cursor addressing: exit 2"
like "$(screen tc)" 'TERM=nocup cannot show the console: it has no cursor addressing' "and says why"
run env TERM=dumb WARROOM_USER=alice "$WARROOM" --db "$DB" status
is "$RC" 0 "commands still work with TERM=dumb"
printf 'save-display %s\nquit\n' "$WORK/dumb.txt" >"$WORK/dumb.script"
run env TERM=dumb WARROOM_SCRIPT="$WORK/dumb.script" WARROOM_USER=alice "$WARROOM" --db "$DB"
is "$RC" 0 "a replay (WARROOM_SCRIPT) needs no terminal, TERM=dumb or not"
file_like "$WORK/dumb.txt" 'WARROOM' "and draws the console"

# ---- the console asks on its bottom row ----------------------------------------------------------
# start NAME USER [ARGS]: a console at 120x40.
start() {
	_s=$1 _u=$2
	shift 2
	T new-session -d -s "$_s" -x 120 -y 40 -c "$WORK" \
		"env WARROOM_USER=$_u TERM=screen '$WARROOM' --db '$DB' $*; echo console-exit=\$?; sleep 600"
	wait_for "$_s" 'WARROOM' 5 || diag "the console in $_s did not start"
}
keys() {
	_s=$1
	shift
	T send-keys -t "$_s" "$@"
}
bottom() { screen "$1" | tail -1; }
status_line() { screen "$1" | tail -2 | head -1; }
# A tick from before the console opened: u leaves it alone.
A task done "$CR2" --yes >/dev/null 2>&1 || bail_out "task done $CR2 failed"
A task reopen "$CR" >/dev/null || bail_out "task reopen $CR failed"
A task reopen "$MGMT" >/dev/null || bail_out "task reopen $MGMT failed"
start c alice
keys c : ; keys c -l 'close --note "from the console"' ; keys c Enter
if wait_for c 'Close the incident with 2 certificates pending\? \[y/N\]$' 3; then
	pass "the console's :close asks on the bottom row"
else
	fail "the console's :close asks on the bottom row" "$(screen c)"
fi
like "$(screen c)" 'DECLARED' "the screen is still drawn behind the question"
keys c n
if wait_for c 'not confirmed; nothing done' 2; then pass "n answers no, and says so"; else
	fail "n answers no, and says so" "$(screen c)"; fi
is "$(state)" declared "the incident is still declared"
unlike "$(bottom c)" 'y/N' "the question is gone"
keys c : ; keys c -l 'close --note "from the console"' ; keys c Enter
wait_for c '\[y/N\]' 3
keys c y
if wait_for c 'incident closed' 3; then pass "y closes, and says so"; else fail "y closes" "$(screen c)"; fi
is "$(state)" closed "the incident is closed"
W log --limit 1 --json >"$WORK/l.json"
is "$(json_get "$WORK/l.json" 0.details.note)" "from the console" "with the command's own note"
keys c : ; keys c -l 'reopen --note "console test"' ; keys c Enter
if wait_for c 'incident reopened' 3; then pass ":reopen reopens, unasked"; else fail ":reopen" "$(screen c)"; fi
is "$(state)" declared "declared again"

# Another team's task, with the space bar.
keys c 2
wait_for c '╔═ 2 Customer Relations' 2
keys c Space
if wait_for c 'Tick task [0-9]+ ".*" of Customer Relations\? It is not your team \(yours: management\)\. \[y/N\]' 3; then
	pass "space on another team's task asks first"
else
	fail "space on another team's task asks first" "$(screen c)"
fi
# The selected task, as the question names it.
CR=$(bottom c | sed -n 's/.*Tick task \([0-9]*\) .*/\1/p')
is "$(task_done "$CR")" false "nothing is ticked while it asks"
keys c Escape
if wait_for c 'not confirmed' 2; then pass "Esc answers no"; else fail "Esc answers no" "$(screen c)"; fi
is "$(task_done "$CR")" false "the task stays open"
keys c Space
wait_for c '\[y/N\]' 3
keys c y
if wait_for c "task $CR done" 3; then pass "y ticks it"; else fail "y ticks it" "$(screen c)"; fi
is "$(task_done "$CR")" true "the task is done"
keys c 1 Space
if wait_for c 'task [0-9]+ done' 2; then pass "her own team's task ticks at once"; else fail "own team ticks" "$(screen c)"; fi
unlike "$(bottom c)" 'y/N' "without a question"

# u undoes her ticks of this console, newest first, then nothing.
OWN=$(W log --limit 1 --json >"$WORK/l.json" && json_get "$WORK/l.json" 0.details.task)
keys c u
if wait_for c "undone: your tick of task $OWN \".*\"; it is open again" 2; then pass "u undoes the last tick, saying which"; else
	fail "u undoes the last tick, saying which" "$(screen c)"; fi
is "$(task_done "$OWN")" false "the task is open again"
keys c u
if wait_for c "undone: your tick of task $CR " 2; then pass "u again undoes the tick before it"; else
	fail "u again undoes the tick before it" "$(screen c)"; fi
is "$(task_done "$CR")" false "that task is open again too"
keys c u
if wait_for c 'nothing to undo' 2; then pass "then there is nothing left to undo"; else fail "nothing to undo" "$(screen c)"; fi
is "$(task_done "$CR2")" true "a tick from before the console opened is left alone"
# A tick made with ':task done' counts too.
keys c : ; keys c -l "task done $MGMT" ; keys c Enter
wait_for c "task $MGMT done" 2
keys c u
if wait_for c "undone: your tick of task $MGMT " 2; then pass "u undoes a :task done tick"; else
	fail "u undoes a :task done tick" "$(screen c)"; fi
W log --limit 1 --json >"$WORK/l.json"
is "$(json_get "$WORK/l.json" 0.action)" task-reopen "the undo is an ordinary task-reopen, on record"
is "$(json_get "$WORK/l.json" 0.actor)" alice "by alice"

# The help overlay lists u and a legend of the symbols.
keys c '?'
wait_for c 'Keys of the console' 2
i=0
while [ $i -lt 60 ]; do keys c Down; i=$((i + 1)); done
sleep 0.3
S=$(screen c)
like "$S" 'Symbols on the screen' "the help overlay has a legend of the symbols"
like "$S" '\[b\] +a blocked task' "with the blocked marker"
like "$S" '• +timeline: new since you last looked' "and the new-event marker"
like "$S" '·· +burn-down: the straight line' "and the burn-down's line"
keys c q
keys c q
wait_for c 'console-exit=0' 3

# No [users]: the console's --team is the user's team; another asks.
T new-session -d -s o -x 120 -y 40 -c "$WORK" \
	"env WARROOM_USER=bob TERM=screen '$WARROOM' --config '$WORK/open.conf' --db '$OPEN' --team revocation; echo console-exit=\$?; sleep 600"
wait_for o 'WARROOM' 5
keys o Escape 1 Space
if wait_for o 'of Management\? It is not your team \(yours: revocation\)' 3; then
	pass "with no [users], --team makes the other teams' ticks ask"
else
	fail "with no [users], --team makes the other teams' ticks ask" "$(screen o)"
fi
keys o n q

done_testing
