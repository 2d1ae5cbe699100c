#!/bin/sh
# cli-escape-errors.t: an error about a config or plan line quotes the
# line, and the line may carry anything: ESC sequences that repaint the
# terminal, BEL, CR that hides what came before, C1 controls, bidi
# overrides that reorder what is shown. None of it may reach stderr raw;
# the message still names FILE:LINE and what was expected.
. "$(dirname "$0")/lib.sh"
no_plan

# hostile NAME BYTES: one printf format per kind of hostile byte.
set -- \
	esc '\033[31mred\033[2J' \
	bel 'ring\007\007' \
	cr 'hidden\rshown' \
	c1 'c1\302\233\062J' \
	bidi 'abc\342\200\256def'

while [ $# -ge 2 ]; do
	kind=$1 bytes=$2
	shift 2

	# ---- warroom --config F status: an unknown key ---------------------------
	printf '[revocation]\nbatch = 10\n%b = 1\n' "$bytes" >"conf-$kind.conf"
	run "$WARROOM" --config "conf-$kind.conf" --db "$WORK/none.db" status
	is "$RC" 2 "config, $kind: a bad line is a usage error"
	like "$ERR" "conf-$kind\.conf:3: unknown key" "config, $kind: the message names FILE:LINE and the problem"
	no_control_bytes "$ERR_FILE" "config, $kind: no raw control byte on stderr"

	# ---- a bad value, quoted back ---------------------------------------------
	printf '[revocation]\nbatch = %b\n' "$bytes" >"value-$kind.conf"
	run "$WARROOM" --config "value-$kind.conf" --db "$WORK/none.db" status
	is "$RC" 2 "config value, $kind: a usage error"
	like "$ERR" "value-$kind\.conf:2: expected a whole number" "config value, $kind: FILE:LINE and what was expected"
	no_control_bytes "$ERR_FILE" "config value, $kind: no raw control byte on stderr"

	# ---- warroom init --plan F: an unknown key and a bad section ---------------
	printf '[plan]\nname = Hostile\n[team ops]\nname = Ops\n%b = a task\n' "$bytes" >"plan-$kind.ini"
	run "$WARROOM" --db "$WORK/plan-$kind.db" init --name "Plan $kind" --plan "plan-$kind.ini"
	is "$RC" 2 "plan, $kind: a bad line is a usage error"
	like "$ERR" "plan-$kind\.ini:5: unknown key" "plan, $kind: the message names FILE:LINE and the problem"
	no_control_bytes "$ERR_FILE" "plan, $kind: no raw control byte on stderr"
	ok "plan, $kind: no database is left behind" test ! -e "$WORK/plan-$kind.db"

	printf '[plan]\nname = Hostile\n[team %b]\nname = Ops\n' "$bytes" >"team-$kind.ini"
	run "$WARROOM" --db "$WORK/team-$kind.db" init --name "Team $kind" --plan "team-$kind.ini"
	is "$RC" 2 "plan team id, $kind: a usage error"
	like "$ERR" "team-$kind\.ini:4: team id" "plan team id, $kind: FILE:LINE and what was expected"
	no_control_bytes "$ERR_FILE" "plan team id, $kind: no raw control byte on stderr"
done

# The file's own name is quoted too.
name=$(printf 'evil\033]0;title\007.conf')
printf '[nowhere]\nkey = 1\n' >"$name"
run "$WARROOM" --config "$name" --db "$WORK/none.db" status
is "$RC" 2 "a hostile config file name: a usage error"
like "$ERR" "evil.*\.conf:2: unknown section" "the message still names the file and line"
no_control_bytes "$ERR_FILE" "the file's name reaches stderr escaped"

done_testing
