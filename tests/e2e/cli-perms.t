#!/bin/sh
# cli-perms.t: who may do what with a [users] section: alice (management)
# acts for every team, bob (revocation) only for revocation, carol for two
# teams, dave is not listed. A refusal exits 1, names the team needed and
# changes nothing (no event either). Acting users come from WARROOM_USER,
# which warroom honours for root only.
. "$(dirname "$0")/lib.sh"

needs_root
no_plan

fixtures
CONF=$WORK/users.conf
cat >"$CONF" <<'EOF'
[users]
alice = management
bob = revocation
carol = revocation, replacement
EOF
WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}
"$WARROOM" --db "$DB" init --name "Perms" >/dev/null 2>&1 || bail_out "init failed"

"$WARROOM" --db "$DB" task list --json >"$WORK/t.json"
first_of() { # TEAM: the id of the team's first task
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { if ($_->{team} eq $ARGV[0]) { print $_->{id}; last } }' "$1" <"$WORK/t.json"
}
MGMT=$(first_of management)
REV=$(first_of revocation)
REPL=$(first_of replacement)
EXT=$(first_of external-comms)
events() { "$WARROOM" --db "$DB" log --json >"$WORK/l.json" 2>/dev/null; perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$WORK/l.json"; }
done_by() {
	"$WARROOM" --db "$DB" task list --json >"$WORK/t.json" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print defined $_->{done_by} ? $_->{done_by} : "null" if $_->{id} == $ARGV[0] }' "$1" <"$WORK/t.json"
}

refused() { # DESC ERE USER ARGS...
	_d=$1
	_re=$2
	shift 2
	_n=$(events)
	run as "$@"
	is "$RC" 1 "$_d: exit 1"
	like "$ERR" "$_re" "$_d: the refusal names '$_re'"
	is "$(events)" "$_n" "$_d: no event recorded"
}

# ---- bob, revocation lead -------------------------------------------------------------
refused "bob ticks a Management task" "management" bob task done "$MGMT"
is "$(done_by "$MGMT")" null "the Management task is still open"
run as bob task done "$REV" --note "batches ready"
is "$RC" 0 "bob ticks a revocation task"
is "$(done_by "$REV")" bob "... and done_by is bob"
refused "bob ticks an external-comms task" "external-comms" bob task done "$EXT"
refused "bob assigns a Management task" "management" bob task assign "$MGMT" bob
refused "bob notes a Management task" "management" bob task note "$MGMT" "mine now"
refused "bob reopens a Management task" "management" bob task reopen "$MGMT"
refused "bob declares" "management" bob declare --reason misuse --discovered 2026-11-25T06:00:00Z
refused "bob moves the phase" "management" bob phase communication
refused "bob closes the incident" "management" bob close
refused "bob adds a Management task" "management" bob task add --team management --phase 1 "Mine"
run as bob task add --team revocation --phase revocation "Double-check serials"
is "$RC" 0 "bob adds a revocation task"
run as bob task assign "$REV" bob
is "$RC" 0 "bob assigns a revocation task"
run as bob import "$FX/leaf1.pem"
is "$RC" 0 "bob (revocation) imports certificates"
run as bob status
is "$RC" 0 "bob reads the status"

# ---- carol, two teams -------------------------------------------------------------------
run as carol task done "$REPL"
is "$RC" 0 "carol ticks a replacement task"
refused "carol ticks a Management task" "management" carol task done "$MGMT"

# ---- dave, not listed ----------------------------------------------------------------------
refused "dave (not listed) ticks a revocation task" "(not listed|dave)" dave task done "$REV"
refused "dave (not listed) imports" "(not listed|dave)" dave import "$FX/leaf2.pem"
run as dave task list
is "$RC" 0 "dave may still read the task list"

# ---- alice, management: anything -------------------------------------------------------------
run as alice task done "$MGMT"
is "$RC" 0 "alice ticks a Management task"
run as alice task done "$EXT"
is "$RC" 2 "alice ticking another team's task without a terminal needs --yes"
like "$ERR" "not your team" "... the question says whose task it is"
is "$(done_by "$EXT")" null "... and the task stays open"
run as alice task done "$EXT" --yes
is "$RC" 0 "alice ticks an external-comms task with --yes"
run as alice task reopen "$REV"
is "$RC" 0 "alice reopens bob's revocation task"
run as alice declare --reason misuse --discovered 2026-11-25T06:00:00Z
is "$RC" 0 "alice declares"
run as alice phase communication
is "$RC" 0 "alice moves the phase"

run "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" incident.state)" declared "the incident is declared (by alice)"
run "$WARROOM" --db "$DB" log --json
actors=$(perl -MJSON::PP -e 'local $/; my %a; $a{$_->{actor}}++ for @{decode_json(<STDIN>)}; print join ",", sort keys %a' <"$OUT_FILE")
is "$actors" "alice,bob,carol,root" "the log names who acted (init ran as root)"

# ---- the pinned policy: no config is not "no [users]" ------------------------------------------
# The incident pinned CONF's [users] when it was first used with it: a run
# without that config is refused, so dropping --config lifts no role.
_n=$(events)
run env WARROOM_USER=bob "$WARROOM" --db "$DB" task done "$(first_of compliance-legal)"
is "$RC" 1 "without the pinned config, bob's write is refused"
like "$ERR" "differs from the one pinned" "... the refusal says the policy differs from the pinned one"
is "$(events)" "$_n" "... and records nothing"

# ---- no [users]: everyone may do everything -----------------------------------------------------
OPEN_DB=$WORK/open.db
"$WARROOM" --db "$OPEN_DB" init --name "Open" >/dev/null 2>&1 || bail_out "init open.db failed"
run env WARROOM_USER=bob "$WARROOM" --db "$OPEN_DB" task done "$(first_of compliance-legal)"
is "$RC" 0 "without [users], bob may tick any task"

done_testing
