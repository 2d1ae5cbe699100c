#!/bin/sh
# cli-provenance.t: the provenance of imported certificates. A forgery
# (the CA's issuer Name, a genuine serial, another key; `openssl verify`
# confirms it fails and the genuine one passes) is rejected when the CA is
# known (--issuers, [ca] issuers, [local] ca_cert), named with its file
# and line, exit 1, the affected count unchanged; certificates of no known
# issuer are imported and counted as unchecked (import output, status,
# status --json), none with --issuers; a BER re-encoding of an imported
# certificate (30 83 00 LL LL) is "already present"; a different
# certificate under an imported issuer and serial is rejected as a
# conflict.
. "$(dirname "$0")/lib.sh"
no_plan
needs openssl perl

fixtures
W init --name "Provenance test" >/dev/null 2>&1 || bail_out "init failed"

affected() { # DB: counts.affected
	"$WARROOM" --db "$1" status --json >"$WORK/.st" 2>/dev/null
	json_get "$WORK/.st" counts.affected
}
unchecked() { # DB: counts.unchecked
	"$WARROOM" --db "$1" status --json >"$WORK/.st" 2>/dev/null
	json_get "$WORK/.st" counts.unchecked
}
ossl() { openssl "$@" >/dev/null 2>&1 || bail_out "openssl $* failed"; }
verifies() { openssl verify -CAfile "$1" "$2" >/dev/null 2>&1; } # CA CERT

# ---- the forgery ---------------------------------------------------------------------------
# Another key under the test CA's Name signs leaf2's serial (0x1002).
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout fake.key \
	-out fake-ca.pem -days 30 -subj "/CN=warroom e2e test CA"
ossl req -new -key "$FX/leaf.key" -subj "/CN=leaf2.example" -out forged.csr
printf 'subjectAltName=DNS:leaf2.example\nbasicConstraints=CA:FALSE\n' >forged.ext
ossl x509 -req -in forged.csr -CA fake-ca.pem -CAkey fake.key -set_serial 0x1002 -days 90 \
	-extfile forged.ext -out forged.pem
# A genuine certificate of the CA reusing leaf3's serial (0x1003) for
# another subject: it verifies, but conflicts with leaf3.
ossl req -new -key "$FX/leaf.key" -subj "/CN=other3.example" -out other3.csr
ossl x509 -req -in other3.csr -CA "$FX/ca.pem" -CAkey "$FX/ca.key" -set_serial 0x1003 -days 90 \
	-out other3.pem

is "$(openssl x509 -in forged.pem -noout -issuer -serial)" \
	"$(openssl x509 -in "$FX/leaf2.pem" -noout -issuer -serial)" \
	"the forgery has leaf2's issuer and serial"
nok "openssl verify -CAfile ca.pem: the forgery fails" verifies "$FX/ca.pem" forged.pem
ok "openssl verify -CAfile ca.pem: the genuine leaf2 passes" verifies "$FX/ca.pem" "$FX/leaf2.pem"
ok "openssl verify -CAfile fake-ca.pem: the forgery is the other key's" verifies fake-ca.pem forged.pem
ok "openssl verify -CAfile ca.pem: other3 (leaf3's serial) passes" verifies "$FX/ca.pem" other3.pem

# ---- no issuer known: imported, unchecked ------------------------------------------------
run W import "$FX/leaf1.pem" "$FX/leaf3.der"
is "$RC" 0 "import with no issuer known exits 0"
like "$OUT" '2 added' "... adds both"
like "$OUT" '^2 certificates could not be checked: no issuer known \(use --issuers or \[ca\] issuers\)$' \
	"... and says 2 could not be checked"
is "$(unchecked "$DB")" 2 "status --json: counts.unchecked is 2"
run W status
like "$OUT" '^  unchecked +2 ' "status shows 2 unchecked"
run W status --json
for k in affected revoked pending expired replaced notified delayed; do
	json_get "$OUT_FILE" "counts.$k" >/dev/null
	is "$?" 0 "status --json still has counts.$k"
done

# ---- the CA known: the forgery is rejected -----------------------------------------------------
before=$(affected "$DB")
run W import --issuers "$FX/ca.pem" forged.pem
is "$RC" 1 "the forgery: exit 1"
like "$ERR" '^warroom: .*forged\.pem:1: signature does not verify with the key of issuer CN=warroom e2e test CA' \
	"the forgery: stderr names the file, its line and why"
like "$OUT" '1 files? rejected' "the forgery: the summary counts the file"
like "$OUT" '^1 certificate rejected: the signature does not verify' "the forgery: and the certificate"
is "$(affected "$DB")" "$before" "the forgery: the affected count is unchanged"
run W log --json --limit 1
is "$(json_get "$OUT_FILE" 0.details.forged)" 1 "the forgery: the timeline's import event counts it"

# In a bundle between genuine ones: those go in, the forgery is named by line.
cat "$FX/leaf4.pem" forged.pem "$FX/leaf5.pem" >mixed.pem
line=$(($(wc -l <"$FX/leaf4.pem") + 1))
run W import --issuers "$FX/ca.pem" mixed.pem
is "$RC" 1 "a bundle with a forgery: exit 1"
like "$ERR" "mixed\\.pem:$line: signature does not verify" "... the forgery is named by the line of its BEGIN ($line)"
like "$OUT" '2 added' "... the two genuine certificates are added"
unlike "$OUT" 'could not be checked' "... all of them checked"
is "$(affected "$DB")" $((before + 2)) "... affected grows by 2, not 3"

# The genuine leaf2 goes in, checked; leaf1, imported unchecked, is checked now.
run W import --issuers "$FX/ca.pem" "$FX/leaf2.pem" "$FX/leaf1.pem"
is "$RC" 0 "the genuine leaf2 with --issuers: exit 0"
like "$OUT" '1 added, 1 already present' "... leaf2 added, leaf1 present"
is "$(unchecked "$DB")" 1 "leaf1, checked on its second import, is no longer unchecked"
run W log --json --limit 1
is "$(json_get "$OUT_FILE" 0.action)" "import" "the import is on the timeline"
is "$(json_get "$OUT_FILE" 0.details.unchecked)" 0 "... with 0 unchecked"

# ---- with --issuers, nothing unchecked ---------------------------------------------------------
"$WARROOM" --db "$WORK/all.db" init --name All >/dev/null 2>&1
run "$WARROOM" --db "$WORK/all.db" import --issuers "$FX/ca.pem" "$FX/bundle.pem" "$FX/leaf6.der"
is "$RC" 0 "a fresh incident, --issuers: exit 0"
unlike "$OUT" 'could not be checked' "... nothing is reported unchecked"
is "$(unchecked "$WORK/all.db")" 0 "... status --json: counts.unchecked is 0"
is "$(affected "$WORK/all.db")" 4 "... 4 affected"

# ---- BER: the same certificate, re-encoded ------------------------------------------------------
# 30 82 LL LL -> 30 83 00 LL LL: a non-minimal outer length.
perl -e 'local $/; binmode STDIN; binmode STDOUT; my $d = <STDIN>;
	die "not 30 82\n" unless substr($d, 0, 2) eq "\x30\x82";
	print "\x30\x83\x00", substr($d, 2)' <"$FX/leaf6.der" >leaf6-ber.der
isnt "$(sha_of leaf6-ber.der)" "$(sha_of "$FX/leaf6.der")" "the BER file differs from the DER"
openssl x509 -inform DER -in leaf6-ber.der -outform DER -out leaf6-again.der 2>/dev/null
ok "openssl reads it as leaf6" same_file leaf6-again.der "$FX/leaf6.der"
"$WARROOM" --db "$WORK/ber.db" init --name BER >/dev/null 2>&1
run "$WARROOM" --db "$WORK/ber.db" import "$FX/leaf6.der"
like "$OUT" '1 added' "leaf6 as DER is added"
run "$WARROOM" --db "$WORK/ber.db" import leaf6-ber.der
is "$RC" 0 "the BER re-encoding: exit 0"
like "$OUT" '0 added, 1 already present' "... is already present"
is "$(affected "$WORK/ber.db")" 1 "... the affected count stays 1"
run "$WARROOM" --db "$WORK/all.db" import --issuers "$FX/ca.pem" leaf6-ber.der
like "$OUT" '0 added, 1 already present' "... and with --issuers too (its signature verifies)"
is "$(affected "$WORK/all.db")" 4 "... the affected count stays 4"

# ---- a conflict: another certificate under an imported issuer and serial ------------------------
"$WARROOM" --db "$WORK/conflict.db" init --name Conflict >/dev/null 2>&1
"$WARROOM" --db "$WORK/conflict.db" import "$FX/leaf2.pem" "$FX/leaf3.pem" >/dev/null 2>&1
run "$WARROOM" --db "$WORK/conflict.db" import other3.pem
is "$RC" 1 "a genuine certificate reusing leaf3's serial: exit 1"
like "$ERR" 'other3\.pem:1: another certificate with issuer CN=warroom e2e test CA and serial 1003 is already imported; this one differs' \
	"... rejected as a conflict, named"
like "$OUT" '^1 certificate rejected: another certificate with the same issuer and serial' \
	"... counted as a conflict"
is "$(affected "$WORK/conflict.db")" 2 "... the affected count stays 2"
# With no issuer known the forgery is a conflict too, once leaf2 is in.
run "$WARROOM" --db "$WORK/conflict.db" import forged.pem
is "$RC" 1 "the forgery with no issuer known, after leaf2: exit 1"
like "$ERR" 'forged\.pem:1: another certificate with issuer CN=warroom e2e test CA and serial 1002 is already imported; this one differs' \
	"... rejected as a conflict"
is "$(affected "$WORK/conflict.db")" 2 "... the affected count stays 2"
# A genuine signature does not make it less of a conflict.
run "$WARROOM" --db "$WORK/all.db" import --issuers "$FX/ca.pem" other3.pem
is "$RC" 1 "with --issuers, other3 (its signature verifies) is still a conflict"
like "$ERR" 'other3\.pem:1: another certificate .* serial 1003 is already imported' "... named"
is "$(affected "$WORK/all.db")" 4 "... the affected count stays 4"

# ---- issuers from the configuration ----------------------------------------------------------------
mkdir conf
cp "$FX/ca.pem" conf/ca.pem
printf '[ca]\nissuers = ca.pem\n' >conf/warroom.conf
"$WARROOM" --db "$WORK/conf.db" --config conf/warroom.conf init --name Conf >/dev/null 2>&1
run "$WARROOM" --db "$WORK/conf.db" --config conf/warroom.conf import forged.pem "$FX/leaf7.pem"
is "$RC" 1 "[ca] issuers (relative to the config): the forgery is rejected"
like "$ERR" 'forged\.pem:1: signature does not verify' "... named"
like "$OUT" '1 added' "... the genuine leaf7 added"
is "$(unchecked "$WORK/conf.db")" 0 "... nothing unchecked"

printf '[local]\nca_cert = ca.pem\n' >conf/local.conf
"$WARROOM" --db "$WORK/local.db" --config conf/local.conf init --name Local >/dev/null 2>&1
run "$WARROOM" --db "$WORK/local.db" --config conf/local.conf import forged.pem "$FX/leaf8.der"
is "$RC" 1 "[local] ca_cert: the forgery is rejected"
like "$ERR" 'forged\.pem:1: signature does not verify' "... named"
is "$(affected "$WORK/local.db")" 1 "... only leaf8 is affected"

# ---- bad --issuers ---------------------------------------------------------------------------
before=$(affected "$DB")
run W import --issuers "$WORK/no-such-ca.pem" "$FX/leaf8.pem"
isnt "$RC" 0 "a missing --issuers file fails"
like "$ERR" 'no-such-ca\.pem' "... naming it"
run W import --issuers "$FX/key.pem" "$FX/leaf8.pem"
isnt "$RC" 0 "an --issuers file without a certificate fails"
like "$ERR" 'key\.pem: no certificate' "... saying so"
is "$(affected "$DB")" "$before" "nothing is imported when the issuers cannot be read"

done_testing
