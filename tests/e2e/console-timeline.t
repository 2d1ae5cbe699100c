#!/bin/sh
# console-timeline.t: the console's timeline reads as sentences and marks
# what someone else did since you last looked, through tmux on a private
# socket: the first console marks nothing; a change by another user's
# CLI is marked and counted in the title, one's own is not; the mark
# clears once the timeline has shown it for a moment, and the record
# (under XDG_STATE_HOME) carries over to the next console, so a change
# made while no console was open is marked when one opens; quitting counts
# as having looked; another user has a record of their own; without UTF-8
# the mark is '*'; a state directory that cannot be written costs the
# marks only.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs_root
no_plan

tmux_session wr-tl

cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
bob = management
carol = management
EOF
as() { _u=$1; shift; env WARROOM_USER="$_u" "$WARROOM" --db "$DB" "$@" >/dev/null 2>&1; }
as alice init --name "Timeline test" || bail_out "init failed"
as alice declare --reason key-compromise --discovered "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" ||
	bail_out "declare failed"

# start NAME USER [ENV...]: a console at 140x40 (the grid) in a tmux
# session; the shell around it prints its exit status when it ends.
start() {
	_s=$1 _u=$2
	shift 2
	T new-session -d -s "$_s" -x 140 -y 40 -c "$WORK" \
		"env WARROOM_USER=$_u TERM=screen XDG_STATE_HOME='$XDG_STATE_HOME' $* '$WARROOM' --db '$DB'; echo console-exit=\$?; sleep 600"
	wait_for "$_s" 'Timeline' 5 || diag "the console in $_s did not start"
}
quit() { # SESSION: q, and the console's exit status
	T send-keys -t "$1" q
	wait_for "$1" 'console-exit=' 3
	screen "$1" | grep -o 'console-exit=[0-9]*'
	T kill-session -t "$1"
}
MARK='•[0-9]{2}:[0-9]{2}'

# ---- the first console marks nothing --------------------------------------------------------
start a alice
S=$(screen a)
like "$S" ' [0-9]{2}:[0-9]{2} alice declared a mass revocation event: evidence that the subscriber' \
	"the timeline words the declaration, the reason in words"
unlike "$S" "$MARK" "the first console on a database marks nothing"
like "$S" 'Timeline: newest first ─' "... and counts nothing new"

# ---- another user's change is marked, one's own is not ----------------------------------------
as bob task assign 2 carol
if wait_for a "$MARK bob assigned \"Alert team members internally" 3; then
	pass "a change by another user's CLI appears marked, in words"
else
	fail "a change by another user's CLI appears marked, in words" "$(screen a)"
fi
like "$(screen a)" 'Timeline: newest first, 1 new ─' "the title counts what is new"
as alice task note 2 "my own note"
wait_for a 'alice noted on' 3
like "$(screen a)" '│ [0-9]{2}:[0-9]{2} alice noted on "Alert team' "one's own change is not marked"
if wait_gone a "$MARK" 10; then
	pass "the mark clears once the timeline has shown it for a moment"
else
	fail "the mark clears once the timeline has shown it for a moment" "$(screen a)"
fi
like "$(screen a)" 'Timeline: newest first ─' "... and the title no longer counts it"
rec=$(ls "$XDG_STATE_HOME"/warroom/seen-* 2>/dev/null | head -1)
ok "what alice has seen is recorded under XDG_STATE_HOME/warroom" test -f "$rec"
is "$(mode_of "$rec")" 600 "... readable by her alone"
is "$(mode_of "$XDG_STATE_HOME/warroom")" 700 "... in a directory of her own"
is "$(quit a)" console-exit=0 "q quits"

# ---- a change made while no console was open ---------------------------------------------------
as bob task done 3 --note "done while you were away"
start a alice
S=$(screen a)
like "$S" "$MARK bob ticked \"Determine the affected[^\"]*\" \\(Mgmt\\): \"done while you were away\"" \
	"a change made while no console was open is marked in the next (a long title cut to fit the note)"
is "$(printf '%s\n' "$S" | grep -Ec "$MARK")" 1 "... and nothing older"
# Quitting counts as having looked.
is "$(quit a)" console-exit=0 "q quits at once"
start a alice
unlike "$(screen a)" "$MARK" "what was on screen when the console quit is no longer new"

# ---- another user's record is their own ------------------------------------------------------
as bob task note 3 "for carol and alice"
wait_for a "$MARK bob noted on" 3
start c carol
unlike "$(screen c)" "$MARK" "carol's first console marks nothing, whatever alice has not seen"
is "$(quit c)" console-exit=0 "carol quits"
is "$(quit a)" console-exit=0 "alice quits"

# ---- without UTF-8 the mark is '*' -----------------------------------------------------------
as bob task assign 3 dave
start p alice LANG=C LC_ALL=C
if wait_for p '\|\*[0-9]{2}:[0-9]{2} bob assigned' 3; then
	pass "without UTF-8 the mark is '*'"
else
	fail "without UTF-8 the mark is '*'" "$(screen p)"
fi
is "$(quit p)" console-exit=0 "q quits the plain console"

# ---- a record that cannot be written --------------------------------------------------------------
: >"$WORK/not-a-dir"
T new-session -d -s x -x 140 -y 40 -c "$WORK" \
	"env WARROOM_USER=alice TERM=screen XDG_STATE_HOME='$WORK/not-a-dir' '$WARROOM' --db '$DB'; echo console-exit=\$?; sleep 600"
wait_for x 'Timeline' 5
as bob task note 3 "unrecorded"
if wait_for x "$MARK bob noted on \"Determine" 3; then
	pass "with a state directory that cannot be made, the marks still show"
else
	fail "with a state directory that cannot be made, the marks still show" "$(screen x)"
fi
is "$(quit x)" console-exit=0 "... and the console quits cleanly"

done_testing
