#!/bin/sh
# cli-basics.t: the command surface itself: --version, --help of the program
# and of every command, help COMMAND, unknown commands, unknown options and
# missing arguments for every command (exit 2, a message naming the culprit,
# nothing changed), and the reasons table (text and JSON).
. "$(dirname "$0")/lib.sh"
no_plan


# Every command of the table, as the user types it.
CMDS="init|import|reasons|declare|status|certs|task list|task done|task reopen|task assign|task note|task add|phase|close|reopen|authorize|revoke|delay|crl|verify|log|audit verify"

# ---- version and help ----------------------------------------------------------
run "$WARROOM" --version
is "$RC" 0 "--version exits 0"
like "$OUT" '^warroom [0-9]+\.[0-9]+\.[0-9]+' "--version prints 'warroom X.Y.Z'"

run "$WARROOM" --help
is "$RC" 0 "--help exits 0"
like "$OUT" '^usage: warroom ' "--help prints a usage line"
_ifs=$IFS
IFS='|'
for c in $CMDS; do
	like "$OUT" "^  $c " "--help lists '$c'"
done
IFS=$_ifs
ok "--help needs no database" test ! -e "$WORK/warroom.db"

IFS='|'
for c in $CMDS; do
	IFS=$_ifs
	# shellcheck disable=SC2086
	run "$WARROOM" --db "$DB" $c --help
	is "$RC" 0 "$c --help exits 0"
	like "$OUT" "^usage: warroom $c" "$c --help prints its usage on stdout"
	is "$ERR" "" "$c --help prints nothing on stderr"
	IFS='|'
done
IFS=$_ifs
ok "no --help opened or created the database" test ! -e "$DB"

run "$WARROOM" help task done
is "$RC" 0 "help task done exits 0"
like "$OUT" '^usage: warroom task done' "help task done prints its usage"

run "$WARROOM" --db "$DB" task add -h
is "$RC" 0 "-h works like --help"
like "$OUT" '^usage: warroom task add' "-h prints the usage"

# ---- unknown commands ----------------------------------------------------------
run "$WARROOM" --db "$DB" frobnicate
is "$RC" 2 "unknown command exits 2"
like "$ERR" "unknown command 'frobnicate'" "unknown command is named on stderr"
is "$OUT" "" "unknown command prints nothing on stdout"

run "$WARROOM" --db "$DB" task frobnicate
is "$RC" 2 "unknown subcommand of task exits 2"
like "$ERR" "unknown command" "unknown subcommand is reported"

run "$WARROOM" --db "$DB" task
is "$RC" 2 "task without subcommand exits 2"

run "$WARROOM" --db "$DB" "$(printf 'x\033[2Jy')"
is "$RC" 2 "a hostile unknown command exits 2"
no_control_bytes "$ERR_FILE" "a hostile unknown command is echoed without control bytes"

# ---- global options -------------------------------------------------------------
run "$WARROOM" --db
is "$RC" 2 "--db without a path exits 2"
like "$ERR" "--db" "--db without a path says so"

run "$WARROOM" --config
is "$RC" 2 "--config without a path exits 2"

# From here on, a database to run commands on.
W init --name "Basics" >/dev/null 2>&1 || bail_out "init failed"
before=$(sha_of "$DB")

# An unknown global option must not be ignored (and the command after it
# must not be silently replaced by another). timeout: a console must not
# wait for a terminal here.
run timeout 5 "$WARROOM" --db "$DB" --bogus-global log
is "$RC" 2 "unknown global option exits 2"
like "$ERR" "--bogus-global" "unknown global option is named on stderr"
unlike "$OUT" '^Incident ' "unknown global option does not run status instead"

# ---- unknown options, command by command -----------------------------------------
unknown_opt() { # DESC ARGS...: exit 2, the option named, a usage line
	_d=$1
	shift
	run "$WARROOM" --db "$DB" "$@"
	is "$RC" 2 "$_d: unknown option exits 2"
	like "$ERR" "--bogus" "$_d: the unknown option is named"
	like "$ERR" "usage: warroom" "$_d: the usage follows"
}
unknown_opt "init" init --name X --bogus
unknown_opt "import" import --bogus "$WORK"
unknown_opt "reasons" reasons --bogus
unknown_opt "declare" declare --reason misuse --discovered 2026-01-01T00:00:00Z --bogus
unknown_opt "status" status --bogus
unknown_opt "certs" certs --bogus
unknown_opt "task list" task list --bogus
unknown_opt "task done" task done 1 --bogus
unknown_opt "task add" task add --team revocation --phase 1 --bogus Title
unknown_opt "close" close --bogus
unknown_opt "log" log --bogus
unknown_opt "authorize" authorize revoke --bogus
unknown_opt "revoke" revoke --bogus
unknown_opt "delay" delay --bogus
unknown_opt "crl" crl --bogus
unknown_opt "verify" verify --bogus

# ---- missing arguments ----------------------------------------------------------------
missing() { # DESC ERE ARGS...: exit 2 and stderr matching ERE
	_d=$1
	_re=$2
	shift 2
	run "$WARROOM" --db "$DB" "$@"
	is "$RC" 2 "$_d exits 2"
	like "$ERR" "$_re" "$_d: says what is missing"
}
missing "init without --name" "usage: warroom init" init
missing "init --name without a value" "name" init --name
missing "init --active-total not a number" "active-total" init --name X --active-total many
missing "import without a path" "usage: warroom import" import
missing "import --threads bad" "threads" import --threads lots "$WORK"
missing "declare without --discovered" "usage: warroom declare" declare --reason misuse
missing "declare without --reason" "usage: warroom declare" declare --discovered 2026-01-01T00:00:00Z
missing "declare --reason without a value" "reason" declare --discovered 2026-01-01T00:00:00Z --reason
missing "certs --limit without a value" "limit" certs --limit
missing "certs --limit not a number" "limit" certs --limit x
missing "certs --state unknown" "state" certs --state bogus
missing "task list --team without a value" "team" task list --team
missing "task done without an id" "usage: warroom task done" task done
missing "task done with a non-numeric id" "'abc' is not a task id" task done abc
missing "task done with id 0" "'0' is not a task id" task done 0
missing "task reopen without an id" "usage: warroom task reopen" task reopen
missing "task assign without a user" "usage: warroom task assign" task assign 1
missing "task note without text" "usage: warroom task note" task note 1
missing "task add without a title" "usage: warroom task add" task add --team revocation --phase 1
missing "task add without --team" "usage: warroom task add" task add --phase 1 Title
missing "task add with a bad phase" "phase" task add --team revocation --phase 9 Title
missing "phase without a phase" "usage: warroom phase" phase
missing "phase with an unknown phase" "usage: warroom phase" phase nowhere
missing "log --limit without a value" "limit" log --limit
missing "log --limit not a number" "limit" log --limit x
missing "log with a stray argument" "usage: warroom log" log extra
missing "status with a stray argument" "usage: warroom status" status extra

after=$(sha_of "$DB")
is "$after" "$before" "no refused command changed the database"
run W log --json
is "$(json_get "$OUT_FILE" 1 >/dev/null; echo $?)" 2 "the log holds only the init event"

# Commands that take only positional arguments must still refuse an option
# rather than take it as a value (a task assigned to '--bogus').
positional_opt() { # DESC ARGS...: exit 2 and a usage line at least
	_d=$1
	shift
	run "$WARROOM" --db "$DB" "$@"
	is "$RC" 2 "$_d: an option where a value belongs exits 2"
	like "$ERR" "usage: warroom" "$_d: the usage is printed"
}
positional_opt "task reopen" task reopen 1 --bogus
positional_opt "task assign" task assign 1 --bogus
positional_opt "task note" task note 1 --bogus
positional_opt "phase" phase --bogus
positional_opt "audit verify" audit verify --bogus
run W task list --json
is "$(json_get "$OUT_FILE" 0.owner)" "null" "task 1 was not assigned to '--bogus'"
is "$(json_get "$OUT_FILE" 0.note)" "null" "task 1 was not noted '--bogus'"

# ---- output that cannot be written is a failure -------------------------------------------
if [ -w /dev/full ]; then
	for args in "status" "task list" "log --json" "reasons"; do
		# shellcheck disable=SC2086
		W $args >/dev/full 2>"$ERR_FILE"
		is "$?" 1 "$args to a full disk exits 1"
	done
else
	missing "no /dev/full"
fi

# ---- reasons ------------------------------------------------------------------------------
run "$WARROOM" --db "$WORK/none.db" reasons
is "$RC" 0 "reasons exits 0 (no database needed)"
ok "reasons did not create a database" test ! -e "$WORK/none.db"
for code in subscriber-request unauthorized key-compromise key-computable \
	validation-unreliable weak-key misuse agreement-breach domain-not-permitted \
	wildcard-misleading info-changed misissued info-inaccurate ca-terminated \
	cps-required keygen-flawed subca-request subca-key-compromise subca-misissued; do
	like "$OUT" "^$code " "reasons lists $code"
done
like "$OUT" '^key-compromise .*(24 hours|1 days?) .*keyCompromise \(1\)' "key-compromise: 24 hours, keyCompromise (1)"
like "$OUT" '^validation-unreliable .*(24 hours|1 days?) .*superseded \(4\)' "validation-unreliable: 24 hours, superseded (4)"
like "$OUT" '^unauthorized .*(24 hours|1 days?) .*privilegeWithdrawn \(9\)' "unauthorized: 24 hours, privilegeWithdrawn (9)"
like "$OUT" '^subscriber-request .*(24 hours|1 days?) .*unspecified' "subscriber-request: 24 hours, unspecified"
like "$OUT" '^weak-key .*5 days .*superseded \(4\)' "weak-key: 5 days, superseded (4)"
like "$OUT" '^misuse .*5 days .*privilegeWithdrawn \(9\)' "misuse: 5 days, privilegeWithdrawn (9)"
like "$OUT" '^domain-not-permitted .*5 days .*cessationOfOperation \(5\)' "domain-not-permitted: 5 days, cessationOfOperation (5)"
like "$OUT" '^subca-misissued .*7 days' "subca-misissued: 7 days"
unlike "$OUT" ' 1 days ' "24-hour deadlines read '24 hours', not '1 days'"
unlike "$OUT" 'certificateHold' "no reason uses certificateHold (BR 4.9.13)"

run "$WARROOM" reasons --json
is "$RC" 0 "reasons --json exits 0"
ok "reasons --json is JSON" json_valid "$OUT_FILE"
n=$(perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$OUT_FILE")
is "$n" 25 "reasons --json lists 25 reason codes"
dl() { perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
	print defined $_->{$ARGV[1]} ? $_->{$ARGV[1]} : "null", "\n" if $_->{code} eq $ARGV[0] }' "$1" "$2" <"$OUT_FILE"; }
is "$(dl key-compromise deadline_seconds)" 86400 "key-compromise deadline is 86400 s"
is "$(dl misuse deadline_seconds)" 432000 "misuse deadline is 432000 s"
is "$(dl subca-misissued deadline_seconds)" 604800 "subca-misissued deadline is 604800 s"
is "$(dl subscriber-request crl_reason_code)" null "subscriber-request omits the reasonCode"
is "$(dl key-compromise crl_reason_code)" 1 "key-compromise reasonCode 1"
bad6=$(perl -MJSON::PP -e 'local $/; print scalar grep { defined $_->{crl_reason_code} && !($_->{crl_reason_code} =~ /^(0|1|2|3|4|5|9)$/) } @{decode_json(<STDIN>)}' <"$OUT_FILE")
is "$bad6" 0 "every reasonCode is allowed (never 6, certificateHold)"

done_testing
