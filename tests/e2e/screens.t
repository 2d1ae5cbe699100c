#!/bin/sh
# screens.t: the console's screens compared with expected text files, as
# tig's test suite does. Each case replays keys from a script
# (WARROOM_SCRIPT) at a fixed size (LINES, COLUMNS) on a fixed clock
# (WARROOM_NOW, TZ=UTC), saves the screen (save-display) and compares it
# with tests/screens/NAME.txt. A screen test is a text file anyone can
# read; after a deliberate change of the console, regenerate them with
#   WR_UPDATE_SCREENS=1 prove tests/e2e/screens.t
# and review the difference with git diff.
. "$(dirname "$0")/lib.sh"
no_plan

SCREENS=$WR_REPO/tests/screens
LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
WARROOM_NOW=2026-11-25T08:00:00Z
WARROOM_USER=alice
export LANG LC_ALL TZ WARROOM_NOW WARROOM_USER
unset NO_COLOR
cat >"$WORK/warroom.conf" <<'EOF'
[users]
alice = management
bob = revocation
EOF

# The incident every screen starts from: declared two hours ago, in phase
# 1, three certificates with fixed dates (one expired), a few tasks done,
# an owner, a hostile note.
sh "$WR_FIXTURES/mkbad.sh" "$WORK/fx" >/dev/null || bail_out "mkbad.sh failed"
BASE=$WORK/base.db
B() { "$WARROOM" --db "$BASE" "$@" >/dev/null 2>&1 || bail_out "setup: $*"; }
B init --name "Tabletop: weak keys (exercise 2026-11)"
B import "$WORK/fx/dated.pem" "$WORK/fx/late.pem" "$WORK/fx/short.pem"
B declare --reason key-compromise --discovered 2026-11-25T06:00:00Z --burden
B phase communication
B task done 1
B task done 12 --yes
B task assign 2 bob
B task assign 22 "José Núñez"
B task note 3 "$(printf 'call back\033[2J\342\200\256 now')"
B task add --team external-comms --phase communication "通知: notify the root programs (日本語)"
# The same with blocked tasks and notes: who is behind, what is blocked.
BLOCKED=$WORK/blocked.db
cp "$BASE" "$BLOCKED"
K() { "$WARROOM" --db "$BLOCKED" "$@" >/dev/null 2>&1 || bail_out "setup: $*"; }
K task block 4 "waiting for the legal review of the customer list"
K task note 4 "legal answers at noon"
K task note 4 "$(printf 'call \033[2J back')"
K task block 11 "template not approved"
UNDECLARED=$WORK/undeclared.db
# The same with a customer list: Customer Relations' and Replacement's
# customers furthest behind, a critical one first, a hostile name.
CUSTOMERS=$WORK/customers.db
cp "$BASE" "$CUSTOMERS"
C() { "$WARROOM" --db "$CUSTOMERS" "$@" >/dev/null 2>&1 || bail_out "setup: $*"; }
"$WARROOM" --db "$CUSTOMERS" certs --json 2>/dev/null |
	perl -MJSON::PP -e 'local $/; my @s = sort map { $_->{serial} } @{decode_json(<STDIN>)};
		printf "serial,customer,contact,critical\n%s,Contoso Health,ops\@contoso.example,yes\n"
		. "%s,\"Evil\033[2J\342\200\256 Corp\",ops\@evil.example,no\n"
		. "%s,Fabrikam,ops\@fabrikam.example,no\n", @s' >"$WORK/customers.csv" ||
	bail_out "setup: the customer list"
C import --customers "$WORK/customers.csv"
C ack --customer Fabrikam
"$WARROOM" --db "$UNDECLARED" init --name "Assessment only" >/dev/null || bail_out "init"

# screen NAME COLSxROWS DB [ARGS...] < script: replays the script on a copy
# of DB and compares the saved screen with tests/screens/NAME.txt.
screen() {
	_name=$1 _size=$2 _db=$3
	shift 3
	cp "$_db" "$WORK/s.db"
	{
		cat
		echo "save-display $WORK/$_name.txt"
		echo "quit"
	} >"$WORK/$_name.script"
	_cols=${_size%x*}
	_rows=${_size#*x}
	WARROOM_SCRIPT=$WORK/$_name.script COLUMNS=$_cols LINES=$_rows \
		"$WARROOM" --db "$WORK/s.db" "$@" >"$WORK/$_name.out" 2>&1
	_rc=$?
	if [ "$_rc" -ne 0 ]; then
		fail "$_name: the replay exits 0" "$(cat "$WORK/$_name.out")"
		return
	fi
	if [ "${WR_UPDATE_SCREENS:-0}" = 1 ]; then
		cp "$WORK/$_name.txt" "$SCREENS/$_name.txt"
		pass "$_name: updated $SCREENS/$_name.txt"
		return
	fi
	if [ ! -f "$SCREENS/$_name.txt" ]; then
		fail "$_name: no expected screen $SCREENS/$_name.txt (WR_UPDATE_SCREENS=1 makes it)"
		return
	fi
	if command -v git >/dev/null 2>&1; then
		git diff --no-index --exit-code "$SCREENS/$_name.txt" "$WORK/$_name.txt" \
			>"$WORK/$_name.diff" 2>&1
	else
		diff -u "$SCREENS/$_name.txt" "$WORK/$_name.txt" >"$WORK/$_name.diff" 2>&1
	fi
	if [ $? -eq 0 ]; then
		pass "$_name: the screen is as expected"
	else
		fail "$_name: the screen is as expected" "$(cat "$WORK/$_name.diff")"
	fi
	# The rows of the last size: a "resize" step changes it.
	_want=$(sed -n 's/^resize [0-9]*x\([0-9]*\)$/\1/p' "$WORK/$_name.script" | tail -1)
	_want=${_want:-$_rows}
	_lines=$(wc -l <"$WORK/$_name.txt" | tr -d ' ')
	is "$_lines" "$_want" "$_name: $_want rows saved"
}

# ---- the grid ---------------------------------------------------------------------
screen grid-120x40 120x40 "$BASE" </dev/null
screen grid-200x60 200x60 "$BASE" </dev/null
screen grid-100x30 100x30 "$BASE" </dev/null
screen undeclared-120x40 120x40 "$UNDECLARED" </dev/null

# ---- folded into tabs -----------------------------------------------------------------
screen tabs-80x24 80x24 "$BASE" </dev/null
screen tabs-timeline-80x24 80x24 "$BASE" <<'EOF'
key BTab
EOF
screen tabs-numbers-80x24 80x24 "$BASE" <<'EOF'
key BTab
key BTab
EOF

# ---- keys ----------------------------------------------------------------------------------
screen tick-120x40 120x40 "$BASE" <<'EOF'
key j
key space
EOF
WARROOM_USER=bob
screen refused-120x40 120x40 "$BASE" <<'EOF'
key 1
key space
EOF
WARROOM_USER=alice
screen help-120x40 120x40 "$BASE" <<'EOF'
key ?
EOF
screen help-80x24 80x24 "$BASE" <<'EOF'
key ?
key Down 12
EOF
screen zoom-120x40 120x40 "$BASE" <<'EOF'
key 5
key Enter
EOF
screen filter-120x40 120x40 "$BASE" <<'EOF'
key /
type notify
key Enter
EOF
screen output-120x40 120x40 "$BASE" <<'EOF'
:task list --team management
EOF
screen error-120x40 120x40 "$BASE" <<'EOF'
:task done 999
EOF
screen complete-120x40 120x40 "$BASE" <<'EOF'
key :
type declare --reason key-c
key Tab
EOF
screen resize-80x24 120x40 "$BASE" <<'EOF'
resize 80x24
EOF

# ---- safe by default: questions on the bottom row, u --------------------------------------
screen ask-close-120x40 120x40 "$BASE" <<'EOF'
:close
EOF
screen ask-tick-120x40 120x40 "$BASE" <<'EOF'
key 2
key space
EOF
screen undo-120x40 120x40 "$BASE" <<'EOF'
key j
key space
key u
EOF

# ---- health, blocked tasks, the task detail --------------------------------------------
screen health-120x40 120x40 "$BLOCKED" </dev/null
screen health-team-120x40 120x40 "$BLOCKED" --team management </dev/null
screen health-wall-120x40 120x40 "$BLOCKED" --wall </dev/null
screen detail-120x40 120x40 "$BLOCKED" <<'EOF'
key j 2
key Enter
EOF
screen detail-80x24 80x24 "$BLOCKED" <<'EOF'
key j 2
key Enter
EOF

# ---- customers furthest behind, in Customer Relations' and Replacement's panes -------------
screen customers-120x40 120x40 "$CUSTOMERS" </dev/null
screen customers-relations-80x24 80x24 "$CUSTOMERS" <<'EOF'
key 2
EOF
screen customers-replacement-80x24 80x24 "$CUSTOMERS" <<'EOF'
key 3
EOF

# ---- --team, --wall, an ASCII terminal ----------------------------------------------------------
WARROOM_USER=bob
screen team-revocation-120x40 120x40 "$BASE" --team revocation </dev/null
WARROOM_USER=alice
screen wall-120x40 120x40 "$BASE" --wall </dev/null
screen wall-80x24 80x24 "$BASE" --wall </dev/null
screen wall-200x60 200x60 "$BASE" --wall </dev/null
# G, half a page up, a click on team 2's third task, z: zoomed on it.
screen nav-120x40 120x40 "$BASE" <<'EOF'
key 1
key G
key C-u
click 50 5
key z
EOF
LANG=C LC_ALL=C
screen ascii-100x30 100x30 "$BASE" </dev/null
LANG=C.UTF-8 LC_ALL=C.UTF-8
file_unlike "$WORK/ascii-100x30.txt" "$(printf '[\200-\377]')" "ascii-100x30: plain ASCII in the C locale"

# No screen holds a control byte or a bidi control.
for f in "$WORK"/*.txt; do
	no_control_bytes "$f" "$(basename "$f"): no control byte or bidi control"
done

# ---- the replay's own errors ---------------------------------------------------------------------
printf 'key NoSuchKey\n' >"$WORK/bad.script"
run env WARROOM_SCRIPT="$WORK/bad.script" "$WARROOM" --db "$BASE"
is "$RC" 1 "an unknown key name fails the replay"
like "$ERR" 'bad.script:1: no key' "and names the line"
printf 'frobnicate\n' >"$WORK/bad.script"
run env WARROOM_SCRIPT="$WORK/bad.script" "$WARROOM" --db "$BASE"
like "$ERR" "bad.script:1: unknown step 'frobnicate'" "an unknown step is named"
run env WARROOM_SCRIPT="$WORK/none.script" "$WARROOM" --db "$BASE"
is "$RC" 1 "a missing script fails"
printf 'wait-change 0.2\n' >"$WORK/bad.script"
run env WARROOM_SCRIPT="$WORK/bad.script" "$WARROOM" --db "$BASE"
like "$ERR" 'did not change' "wait-change times out when nothing changes"
( sleep 0.5; "$WARROOM" --db "$BASE" task note 4 "from another process" >/dev/null ) &
printf 'wait-change 5\nsave-display %s\n' "$WORK/changed.txt" >"$WORK/wait.script"
run env WARROOM_SCRIPT="$WORK/wait.script" COLUMNS=120 LINES=40 "$WARROOM" --db "$BASE"
wait
is "$RC" 0 "wait-change returns when another process commits"
file_like "$WORK/changed.txt" 'alice noted on "Estimate time[^"]*" \(Mgmt\): "from another' \
	"and the next frame shows the change"
done_testing
