#!/bin/sh
# scenario.t: exercise scenarios (warroom-scenario(5)). Every built-in
# scenario loads (`exercise check`, `exercise scenarios`); a malformed one
# is named FILE:LINE with exit 2, and `exercise start` on it leaves
# nothing behind. A scenario applied: the counts of `status --json` are
# the scenario's (certificates, expired, pending), the rows beyond the
# real ones are marked synthetic and have no DER, the customers and
# critical ones are as many as it says, every real certificate verifies
# against the exercise's own CA with `openssl verify`, and after `warroom
# revoke` the CRLs (`openssl crl`, signed by that CA) list exactly the
# revoked serials, real and synthetic. The smallest built-in scenario
# applies whole, with its injects and expectations.
. "$(dirname "$0")/lib.sh"

needs openssl
needs sqlite3
no_plan

# Every command at one real instant: the simulated clock stands still.
WARROOM_NOW=2026-11-25T08:00:00Z
export WARROOM_NOW
W() { "$WARROOM" "$@"; }
sql() { sqlite3 "$DB" "$1"; }

# ---- the built-in scenarios ----------------------------------------------------------------
run W exercise scenarios --json
is "$RC" 0 "exercise scenarios lists the built-in ones" || diag "$ERR"
printf '%s\n' "$OUT" >builtins.json
for i in 0 1 2 3 4; do
	id=$(json_get builtins.json $i.id)
	run W exercise check "$id"
	is "$RC" 0 "built-in scenario $id loads" || diag "$ERR"
	like "$OUT" "^injects: +[4-9]" "... with its injects"
done
is "$(json_get builtins.json 5.id 2>/dev/null; echo $?)" 2 "five of them"
ids=$(for i in 0 1 2 3 4; do json_get builtins.json $i.id; done | sort | tr '\n' ' ')
is "$ids" "ca-key-compromise caa-recheck dcv-24h heartbleed serial-entropy " \
	"the CAA bug, DCV, CA key, Heartbleed and serial-entropy scenarios"
run W exercise check caa-recheck --json
printf '%s\n' "$OUT" >caa.json
is "$(json_get caa.json certificates)" 3048289 "the CAA scenario is at full scale"
is "$(json_get caa.json reason)" misissued "... misissued: 5 days"
run W exercise check dcv-24h --json
printf '%s\n' "$OUT" >dcv.json
is "$(json_get dcv.json reason)" validation-unreliable "the DCV scenario: 24 hours"
is "$(json_get dcv.json certificates)" 83267 "... 83,267 certificates"
is "$(json_get dcv.json customers)" 6807 "... of 6,807 customers"
run W exercise check heartbled
is "$RC" 2 "an unknown built-in name exits 2"
like "$ERR" "did you mean 'heartbleed'" "... suggesting the nearest"

# ---- malformed scenarios: FILE:LINE, exit 2 --------------------------------------------------
cat >bad.ini <<'EOF'
[scenario]
title = Bad
reason = misissued
discovered = -1h
[population]
count = 10
[inject first]
message = hello
effect = smtp-down
for = 1h
[inject first]
message = again
EOF
run W exercise check bad.ini
is "$RC" 2 "a duplicate inject id exits 2"
like "$ERR" "bad.ini:11: duplicate inject id 'first' \(line 7\)" "... naming FILE:LINE"
sed -i '11,12d' bad.ini
printf 'team = nobody\n' >>bad.ini
run W exercise check bad.ini
is "$RC" 2 "an unknown team exits 2"
like "$ERR" "bad.ini:11: unknown team 'nobody'" "... at its line"
sed -i 's/^team = nobody/colour = red/' bad.ini
run W exercise check bad.ini
like "$ERR" "bad.ini:11: unknown key 'colour' in \[inject first\] \(smtp-down takes for\)" \
	"an unknown key names what the effect takes"
sed -i 's/^colour = red/count = 1x/; s/^effect = smtp-down/effect = more-certs/; /^for = 1h/d' bad.ini
run W exercise check bad.ini
like "$ERR" "bad.ini:10: count: expected a whole number" "a bad number, at its line"
sed -i 's/^count = 1x/count = 5/; s/^effect = more-certs/effect = explode/' bad.ini
run W exercise check bad.ini
like "$ERR" "bad.ini:9: unknown effect 'explode' \(more-certs, delay-request" \
	"an unknown effect lists the known ones"
sed -i 's/^effect = explode/effect = more-certs/' bad.ini
printf '[inject late]\nat = tomorrow\nmessage = x\n' >>bad.ini
run W exercise check bad.ini
like "$ERR" "bad.ini:12: bad at 'tomorrow'" "a bad time, at its line"
run W --db bad.db exercise start bad.ini
is "$RC" 2 "exercise start on a malformed scenario exits 2"
like "$ERR" "bad.ini:12: bad at 'tomorrow'" "... with FILE:LINE"
ok "... and leaves nothing behind" test ! -e bad.db -a ! -e bad.db.ca

# ---- a scenario applied ----------------------------------------------------------------------
cat >small.ini <<'EOF'
[scenario]
id = small
title = Small population
based_on = the scenario test
reason = validation-unreliable
discovered = -3h
declare = yes
speed = 1

[population]
count = 3000
real = 300
customers = 50
critical = 10%
expired = 5%
validity = 398d:50% 90d:50%
endpoints = 1..2

[customer Hospital Group]
critical = yes
certs = 120

[inject ask]
at = +2h
team = customer-relations
message = The hospital asks for a delay.
effect = delay-request
customer = Hospital Group
rationale = Medical devices.
for = 3d

[expect decide]
inject = ask
kind = delay-decision
customer = Hospital Group
within = 2h
description = Decide within two hours.
EOF
DB=$WORK/small.db
run W --db "$DB" exercise start small.ini
is "$RC" 0 "exercise start applies the scenario" || diag "$ERR"
run W --db "$DB" status --json
printf '%s\n' "$OUT" >st.json
is "$(json_get st.json counts.affected)" 3000 "status: 3000 certificates"
is "$(json_get st.json counts.expired)" 150 "... 150 expired (5%)"
is "$(json_get st.json counts.pending)" 2850 "... 2850 pending"
is "$(json_get st.json counts.unchecked)" 0 "... none unchecked"
is "$(json_get st.json incident.state)" declared "declared, as the scenario says"
is "$(json_get st.json incident.discovered)" 2026-11-25T05:00:00Z "... discovered 3 hours before"
is "$(sql 'SELECT count(*) FROM cert WHERE synthetic = 1')" 2700 "2700 rows marked synthetic"
is "$(sql 'SELECT count(*) FROM cert c JOIN cert_der d ON d.cert_id = c.id WHERE c.synthetic = 0')" \
	300 "... and the 300 real ones have their DER"
is "$(sql 'SELECT count(*) FROM cert_der d JOIN cert c ON d.cert_id = c.id WHERE c.synthetic = 1')" \
	0 "... the synthetic ones none"
is "$(sql 'SELECT count(DISTINCT serial) || " " || count(DISTINCT sha256) || " " || count(DISTINCT issuer) FROM cert')" \
	"3000 3000 1" "serials and hashes unique, one issuer"
is "$(sql 'SELECT count(*) || " " || sum(critical) FROM customer')" "50 5" "50 customers, 5 critical"
is "$(sql "SELECT count(*) FROM cert WHERE customer = 'Hospital Group'")" 120 \
	"the named customer has its 120 certificates"
is "$(sql "SELECT count(*) FROM cert WHERE endpoints IS NULL")" 0 "every certificate has endpoints"
is "$(sql "SELECT json_extract(params, '\$.for') || ' ' || json_extract(params, '\$.customer') FROM inject WHERE id = 'ask'")" \
	"259200 Hospital Group" "the inject's parameters are JSON"
is "$(sql "SELECT kind || ' ' || within || ' ' || json_extract(params, '\$.name') FROM expectation")" \
	"delay-decision 7200 decide" "... and the expectation's"
run W --db "$DB" log
like "$OUT" "imported 300 certificates" "the real certificates went through the import"
run W --db "$DB" customer recount
like "$OUT" "afresh: 0 differed" "each customer's figures were kept as the rows were written"

# Every real certificate verifies against the exercise's CA.
mkdir split
awk '/BEGIN CERT/ { n++ } { print > sprintf("split/%04d.pem", n) }' "$DB.ca/real.pem"
is "$(ls split | wc -l | tr -d ' ')" 300 "real.pem holds the 300 real certificates"
# At the simulated instant some have expired: their signatures are checked,
# not the calendar.
openssl verify -no_check_time -CAfile "$DB.ca/ca.pem" split/*.pem >verify.out 2>&1
is "$(grep -c ': OK$' verify.out)" 300 "openssl verify: all 300 verify against the exercise CA"
openssl verify -attime "$(date -u -d 2026-11-25T08:00:00Z +%s)" -CAfile "$DB.ca/ca.pem" \
	split/*.pem >verify-at.out 2>&1
is "$(grep -c 'certificate has expired' verify-at.out)" \
	"$(sql 'SELECT count(*) FROM cert WHERE synthetic = 0 AND not_after < strftime("%s", "2026-11-25T08:00:00Z")')" \
	"... at the simulated now, exactly the ones the database says have expired"
is "$(mode_of "$DB.ca/ca.key")" 600 "the CA key is its owner's alone"
is "$(mode_of "$DB.ca/ca.pem")" 644 "the CA certificate is readable"

# Revoke 1000, real and synthetic, and count the CRLs.
W --db "$DB" authorize revoke --limit 1000 >/dev/null 2>&1 || fail "authorize"
run W --db "$DB" revoke --limit 1000 --yes
is "$RC" 0 "revoke through the exercise's local CA" || diag "$ERR"
REVOKED=$(sql 'SELECT count(*) FROM cert WHERE revoked_at IS NOT NULL')
is "$REVOKED" 1000 "1000 revoked"
rs=$(sql 'SELECT sum(synthetic) || " " || sum(1 - synthetic) FROM cert WHERE revoked_at IS NOT NULL')
like "$rs" "^[1-9][0-9]* [1-9][0-9]*$" "... some real, some synthetic ($rs)"
: >crl-serials
nok=0
for crl in "$DB.ca/out/"*.crl; do
	case "$crl" in *arl.crl) continue ;; esac
	openssl crl -in "$crl" -inform DER -CAfile "$DB.ca/ca.pem" -noout 2>&1 | grep -q 'verify OK' ||
		nok=$((nok + 1))
	openssl crl -in "$crl" -inform DER -noout -text |
		sed -n 's/^ *Serial Number: *//p' >>crl-serials
done
is "$nok" 0 "every CRL shard verifies against the exercise CA"
is "$(wc -l <crl-serials | tr -d ' ')" 1000 "openssl crl lists 1000 serials over the shards"
sql 'SELECT serial FROM cert WHERE revoked_at IS NOT NULL ORDER BY serial' >want-serials
sort crl-serials >got-serials
ok "... exactly the revoked ones, real and synthetic" same_file want-serials got-serials
run W --db "$DB" status --json
printf '%s\n' "$OUT" >st2.json
is "$(json_get st2.json counts.revoked)" 1000 "status counts them revoked"
run W --db "$DB" audit verify
is "$RC" 0 "the audit chain verifies" || diag "$OUT$ERR"

# ---- the smallest built-in scenario, whole ---------------------------------------------------
DB=$WORK/dcv.db
run W --db "$DB" exercise start dcv-24h --speed 1
is "$RC" 0 "exercise start dcv-24h" || diag "$ERR"
run W --db "$DB" status --json
printf '%s\n' "$OUT" >dcv-st.json
is "$(json_get dcv-st.json counts.affected)" 83267 "dcv-24h: 83,267 certificates"
is "$(json_get dcv-st.json counts.expired)" "$(json_get dcv.json expired)" \
	"... expired as exercise check says"
is "$(json_get dcv-st.json incident.state)" assessing "... not declared: the participants decide"
is "$(json_get dcv-st.json incident.deadline)" 2026-11-26T06:00:00Z \
	"... the deadline runs from the discovery, 24 hours"
is "$(sql 'SELECT count(*) FROM cert WHERE synthetic = 0')" 2000 "... 2,000 real certificates"
is "$(sql 'SELECT count(*) FROM customer')" 6807 "... 6,807 customers"
is "$(sql 'SELECT count(*) FROM inject')" "$(json_get dcv.json injects)" "... its injects"
is "$(sql 'SELECT count(*) FROM expectation')" "$(json_get dcv.json expectations)" \
	"... and expectations"
# 81,267 synthetic rows go in with the indexes built after: the same ones.
idx() { sqlite3 "$1" "SELECT name || ': ' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cert' ORDER BY name"; }
is "$(idx "$DB")" "$(idx "$WORK/small.db")" "the cert table's indexes are the schema's"
is "$(sql 'PRAGMA integrity_check')" ok "... and the database is whole"
run W --db "$DB" customer recount
like "$OUT" "afresh: 0 differed" "... each customer's figures kept"

done_testing
