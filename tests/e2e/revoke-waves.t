#!/bin/sh
# revoke-waves.t: revocation in the order Management sets. Three customers'
# certificates in waves: the first two customers at once, the third (a
# hospital, say) with a later start, the rest in no wave. Plain `revoke`
# runs the next wave whose time has come and never jumps ahead; `revoke
# --wave` runs one; `wave move` reorders; a later wave never takes a
# certificate from an earlier one; [revocation] per_second caps the rate.
# What the local CA published is counted with `openssl crl` after each run.
. "$(dirname "$0")/lib.sh"
no_plan

needs openssl sqlite3
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

"$WR_TOOLS/wr-mkcerts" --out certs --count 40 --format pem --expired-percent 0 --customers 4 \
	--seed 21 >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
cat >warroom.conf <<EOF
[revocation]
backend = local
batch = 7
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
EOF
export WARROOM_NOW=2026-11-25T08:00:00Z
W() { "$WARROOM" --db "$DB" --config "$WORK/warroom.conf" "$@"; }
W init --name "Waves" >/dev/null 2>&1 || bail_out "init failed"
W import --customers certs/customers.csv certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
W declare --reason misissued --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 || bail_out "declare failed"
W authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
customers=$(sqlite3 "$DB" "SELECT customer FROM cert GROUP BY customer ORDER BY customer" )
C1=$(printf '%s\n' "$customers" | sed -n 1p)
C2=$(printf '%s\n' "$customers" | sed -n 2p)
C3=$(printf '%s\n' "$customers" | sed -n 3p)
n_of() { sqlite3 "$DB" "SELECT count(*) FROM cert WHERE customer = '$1'"; }
N1=$(n_of "$C1") N2=$(n_of "$C2") N3=$(n_of "$C3")
crl_entries() {
	_n=0
	for _f in pub/*.crl; do
		[ -f "$_f" ] || continue
		openssl crl -in "$_f" -inform DER -CAfile certs/ca.pem -noout 2>/dev/null || { echo bad; return; }
		_n=$((_n + $(openssl crl -in "$_f" -inform DER -noout -text | grep -c "Serial Number:")))
	done
	echo "$_n"
}
revoked() { sqlite3 "$DB" "SELECT count(*) FROM cert WHERE revoked_at IS NOT NULL${1:+ AND $1}"; }

# ---- the order -------------------------------------------------------------------------------
run W wave add --customer "$C1" --customer "$C2" first
is "$RC" 0 "wave add: two customers"
like "$OUT" "wave first: $((N1 + N2)) certificates" "... takes their $((N1 + N2)) certificates"
run W wave add --customer "$C3" --not-before 2026-11-26T00:00:00Z hospital
is "$RC" 0 "wave add with a later start"
run W wave add --customer "$C1" taken
is "$RC" 2 "a later wave never takes a certificate from an earlier one (exit 2)"
like "$ERR" "no unrevoked certificate outside another wave" "... and says so, naming the customer"
like "$ERR" "not added" "... and adds no empty wave"
C4=$(printf '%s\n' "$customers" | sed -n 4p)
sqlite3 "$DB" "SELECT serial FROM cert WHERE customer = '$C4' ORDER BY id LIMIT 2" >two.txt
echo "DEADBEEF" >>two.txt
run W wave add --serials two.txt again
is "$RC" 2 "wave add --serials: an unknown serial is reported (exit 2)"
like "$ERR" "two\.txt:3: no unrevoked certificate outside another wave" "... by FILE:LINE"
like "$OUT" "wave again: 2 certificates" "... the two known ones are in the wave"
run W wave list --json
is "$(json_get "$OUT_FILE" 0.name) $(json_get "$OUT_FILE" 1.name) $(json_get "$OUT_FILE" 2.name)" \
	"first hospital again" "wave list: in the order they were added"
is "$(json_get "$OUT_FILE" 1.not_before)" 2026-11-26T00:00:00Z "... with the hospital's start"
is "$(json_get "$OUT_FILE" 1.left)" "$N3" "... and what each has left"
run W wave move again 1
is "$RC" 0 "wave move"
run W wave move again 9
is "$RC" 2 "a position past the last is refused (exit 2)"
run W wave list --json
is "$(json_get "$OUT_FILE" 0.name) $(json_get "$OUT_FILE" 1.name) $(json_get "$OUT_FILE" 2.name)" \
	"again first hospital" "... reorders"
run W wave move again 3
run "$WARROOM" --db "$DB" log --grep wave- --json
is "$(json_get "$OUT_FILE" 0.action)" wave-add "waves are in the audit trail"
run env WARROOM_USER=nobody "$WARROOM" --db "$DB" wave list
is "$RC" 0 "anyone may list the waves"

# ---- plain revoke follows the order ------------------------------------------------------------
run W revoke --dry-run
like "$OUT" "^wave: first" "the dry run names the wave that would run"
like "$OUT" "$((N1 + N2)) certificates would be revoked" "... and its size"
run W revoke --yes
is "$RC" 0 "revoke runs the first wave"
like "$OUT" "^wave: first" "... saying which"
is "$(revoked)" "$((N1 + N2))" "exactly the first wave is revoked"
is "$(revoked "customer NOT IN ('$C1', '$C2')")" 0 "... nothing of the others"
is "$(crl_entries)" "$((N1 + N2))" "openssl counts $((N1 + N2)) entries on the CA's CRLs"
run W revoke --yes
is "$RC" 1 "the next wave's time has not come: revoke refuses"
like "$ERR" "the next wave, 'hospital', may start at 2026-11-26T00:00:00Z" "... naming it and when"
run W revoke --wave hospital --yes
is "$RC" 1 "revoke --wave before its start is refused too"
is "$(revoked)" "$((N1 + N2))" "... nothing more revoked"

export WARROOM_NOW=2026-11-26T00:00:01Z
run W revoke --yes
is "$RC" 0 "once its time has come, the hospital's wave runs"
like "$OUT" "^wave: hospital" "... saying so"
is "$(revoked "customer = '$C3'")" "$N3" "... all of its certificates"
rest=$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE wave IS NULL")
is "$(revoked "wave IS NULL")" 0 "certificates in no wave wait for every wave"
run W revoke --yes
like "$OUT" "^wave: again" "then the third wave, from the file of serials"
is "$(revoked)" "$((N1 + N2 + N3 + 2))" "... its two certificates"

# ---- the rest, with a rate cap -----------------------------------------------------------------
sed -i 's/^batch = 7$/batch = 7\nper_second = 4/' warroom.conf
run W revoke --yes
is "$RC" 1 "[revocation] is policy: a new per_second waits for Management's pin"
run W policy pin
is "$RC" 0 "Management pins it"
run W revoke --yes
is "$RC" 0 "every wave done: the certificates in no wave run"
like "$OUT" "^wave: \(no wave\)" "... named as such"
is "$(revoked)" "$((N1 + N2 + N3 + 2 + rest))" "everything is revoked"
secs=$(sqlite3 "$DB" "SELECT json_extract(details, '\$.seconds') FROM event WHERE action = 'revoke' ORDER BY id DESC LIMIT 1")
min=$(( (rest - 4) / 4 ))
ok "per_second = 4: $rest certificates took at least $min s (took $secs s)" \
	perl -e "exit !($secs >= $min)"
is "$(sqlite3 "$DB" "SELECT max(json_extract(details, '\$.revoked') + json_extract(details, '\$.failed')) FROM event WHERE action = 'revoke-batch' AND id > (SELECT max(id) FROM event WHERE action = 'policy-pin')")" 4 \
	"... in batches of at most 4"
is "$(crl_entries)" 40 "openssl counts all 40 on the CRLs"

# ---- bad input -----------------------------------------------------------------------------------
run W wave add first
is "$RC" 1 "a wave name is unique"
run W wave add --customer "$C1" --serials /dev/null both
is "$RC" 2 "customers and serials together are refused"
run W wave add --not-before tomorrow late
is "$RC" 2 "a bad --not-before is a usage error"
run W revoke --wave nosuch --yes
is "$RC" 1 "revoke --wave with an unknown wave fails"
like "$ERR" "no wave 'nosuch'" "... naming it"

done_testing
