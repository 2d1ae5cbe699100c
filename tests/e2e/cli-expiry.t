#!/bin/sh
# cli-expiry.t: certificates with exact dates (made with openssl ca) and
# WARROOM_NOW moved around notAfter: counts.expired/pending in status
# --json and text, certs --state for every state, certs --limit; a
# short-lived certificate being exempt from the BR deadline criterion.
# notAfter is the last valid second (RFC 5280): expired only after it.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
# A fixture: created under WARROOM_NOW, the only kind of incident whose
# clock WARROOM_NOW moves afterwards.
WARROOM_NOW=2026-06-01T00:00:00Z W init --name "Expiry" >/dev/null 2>&1 || bail_out "init failed"
run W import "$FX/dated.pem" "$FX/late.pem"
is "$RC" 0 "two certificates with known dates import"

run W certs --json
is "$(json_get "$OUT_FILE" 0.not_after)" 2026-12-01T12:00:00Z "dated.pem: notAfter 2026-12-01T12:00:00Z"
is "$(json_get "$OUT_FILE" 0.not_before)" 2026-01-01T00:00:00Z "dated.pem: notBefore 2026-01-01T00:00:00Z"
is "$(json_get "$OUT_FILE" 1.not_after)" 2027-06-01T00:00:00Z "late.pem: notAfter 2027-06-01T00:00:00Z"

at() { # TIME EXPIRED PENDING
	WARROOM_NOW=$1 "$WARROOM" --db "$DB" status --json >"$WORK/st.json" 2>&1
	is "$(json_get "$WORK/st.json" incident.now)" "$1" "$1: status uses WARROOM_NOW"
	is "$(json_get "$WORK/st.json" counts.affected)" 2 "$1: affected 2"
	is "$(json_get "$WORK/st.json" counts.expired)" "$2" "$1: expired $2"
	is "$(json_get "$WORK/st.json" counts.pending)" "$3" "$1: pending $3"
}
at 2026-06-01T00:00:00Z 0 2
at 2026-12-01T11:59:59Z 0 2
at 2026-12-01T12:00:00Z 0 2
at 2026-12-01T12:00:01Z 1 1
at 2027-06-01T00:00:00Z 1 1
at 2027-06-01T00:00:01Z 2 0

states() { # TIME [certs options]: "SERIAL:state ..." of certs --json
	_t=$1
	shift
	WARROOM_NOW=$_t "$WARROOM" --db "$DB" certs --json "$@" >"$WORK/c.json" 2>"$WORK/c.err"
	perl -MJSON::PP -e 'local $/; print join(" ", map { "$_->{serial}:$_->{state}" } @{decode_json(<STDIN>)})' <"$WORK/c.json"
}
is "$(states 2026-12-01T12:00:00Z)" "2001:pending 2002:pending" "at notAfter, both are pending"
is "$(states 2026-12-01T12:00:01Z)" "2001:expired 2002:pending" "a second later, 2001 is expired"
is "$(states 2026-12-01T12:00:01Z --state expired)" "2001:expired" "certs --state expired lists 2001"
is "$(states 2026-12-01T12:00:01Z --state pending)" "2002:pending" "certs --state pending lists 2002"
is "$(states 2026-12-01T11:59:59Z --state expired)" "" "before notAfter, certs --state expired is empty"
for s in revoked held submitted failed; do
	is "$(states 2026-12-01T12:00:01Z --state $s)" "" "certs --state $s is empty (nothing revoked or held)"
done
is "$(states 2026-12-01T12:00:01Z --limit 1)" "2001:expired" "certs --limit 1 lists one"
is "$(states 2026-12-01T12:00:01Z --limit 0)" "2001:expired 2002:pending" "certs --limit 0 lists all"
is "$(states 2026-12-01T12:00:01Z --state pending --limit 5)" "2002:pending" "--state and --limit combine"

run env WARROOM_NOW=2026-12-01T12:00:01Z "$WARROOM" --db "$DB" certs --state expired
like "$OUT" '^2001 +expired +2026-12-01T12:00:00Z' "certs text shows 2001 expired with its notAfter"
unlike "$OUT" '^2002 ' "certs --state expired text omits 2002"
run env WARROOM_NOW=2026-12-01T12:00:01Z "$WARROOM" --db "$DB" status
like "$OUT" 'expired +1 ' "status text counts 1 expired"
like "$OUT" 'pending +1$' "status text counts 1 pending"

run W certs --state bogus
is "$RC" 2 "certs --state bogus exits 2"
like "$ERR" "pending" "... listing the states"
run W certs --limit -1
is "$RC" 2 "certs --limit -1 exits 2"

# ---- short-lived certificates are exempt from the deadlines ----------------------------------------
WARROOM_NOW=2026-11-20T00:00:00Z "$WARROOM" --db "$WORK/short.db" init --name Short >/dev/null 2>&1
"$WARROOM" --db "$WORK/short.db" import "$FX/short.pem" >/dev/null 2>&1
WARROOM_NOW=2026-11-22T00:00:00Z "$WARROOM" --db "$WORK/short.db" declare --reason key-compromise \
	--discovered 2026-11-21T00:00:00Z >/dev/null 2>&1
run env WARROOM_NOW=2026-11-22T00:00:00Z "$WARROOM" --db "$WORK/short.db" status --json
met=$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)->{mre}{criteria}}) { print $_->{met} ? "true" : "false" if $_->{id} eq "deadline" }' <"$OUT_FILE")
is "$met" false "a 5-day certificate is short-lived: the deadline criterion is not met"
is "$(json_get "$OUT_FILE" counts.pending)" 1 "... it is still pending"
run env WARROOM_NOW=2026-11-25T00:00:00Z "$WARROOM" --db "$WORK/short.db" status --json
is "$(json_get "$OUT_FILE" counts.expired)" 1 "after 2026-11-24T23:59:59Z it is expired"

done_testing
