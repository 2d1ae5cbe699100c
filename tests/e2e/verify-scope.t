#!/bin/sh
# verify-scope.t: warroom verify checks the scope of what it fetched, as a
# relying party meets it, not only that each revoked serial is on some
# CRL. Against real peers on 127.0.0.1: a test CA made with the openssl
# CLI, CRL shards made with python3-cryptography (the API can write
# privilegeWithdrawn, a wrong Issuing Distribution Point and any CRL
# number) served by python3's http.server, and real `openssl ocsp`
# responders. Each failure is named, exits 1 and is NOT PROVEN:
#   - a shard whose IDP names another URL, shards without an IDP (scope);
#   - a serial listed on another shard than the one its CRL Distribution
#     Point names (shard) -- and `openssl verify -crl_check` with that
#     shard really accepts the revoked certificate;
#   - a CRL number lower than the last verify saw, or the same number
#     with another thisUpdate (rollback), remembered across runs;
#   - OCSP giving another reason than the CRL (ocsp);
# while privilegeWithdrawn on the CRL that `openssl ocsp -index` cannot
# say is a note, and the correct setup (base URL, CDP mode, a full CRL
# without IDP at the certificates' own URL) is PROVEN. Last, status marks
# the proof stale once a certificate is revoked after it.
. "$(dirname "$0")/lib.sh"
no_plan

# Nothing may leave 127.0.0.1, not even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

needs openssl sqlite3 python3 curl
# The Debian interpreter sees the Debian package python3-cryptography.
PY=/usr/bin/python3
"$PY" -c 'import cryptography.x509' 2>/dev/null || bail_out "no python3-cryptography for $PY"

sql() { sqlite3 "$DB" "$1"; }

# ---- the test CA and its certificates ------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout ca.key -out ca.pem -days 30 -subj "/CN=warroom scope test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || bail_out "CA"
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key || bail_out "leaf key"
openssl req -new -key leaf.key -subj /CN=leaf.example -out leaf.csr || bail_out "csr"
HP=$(free_port)
BASE=http://127.0.0.1:$HP
OP=$(free_port)
OCSP=http://127.0.0.1:$OP
OP2=$(free_port)
OCSP2=http://127.0.0.1:$OP2
# leaf SERIAL CDP-URL: a certificate of the CA naming its CRL and OCSP URL.
leaf() {
	printf 'subjectAltName=DNS:leaf%s.example\ncrlDistributionPoints=URI:%s\nauthorityInfoAccess=OCSP;URI:%s\n' \
		"$1" "$2" "$OCSP" >ext.cnf
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial "0x$1" \
		-days 90 -extfile ext.cnf -out "certs/leaf$1.pem" >/dev/null 2>&1 || bail_out "leaf $1"
}
mkdir certs
# The shard is serial mod 2, as the local backend does: 3001 and 3003 on
# shard-1, 3002 and 3004 on shard-0.
for s in 3001 3002 3003 3004 3005 3006; do
	leaf $s "$BASE/shard-$((0x$s % 2)).crl"
done

W init --name "Verify scope" >/dev/null 2>&1 || bail_out "init"
W import certs >/dev/null 2>&1 || bail_out "import"
# misissued: superseded (4) is the incident's reason.
W declare --reason misissued --discovered now >/dev/null 2>&1 || bail_out "declare"
RT=$(($(date +%s) - 3600))
RTX=$(date -u -d "@$RT" +%y%m%d%H%M%SZ)
revoke() { # SERIAL CRL_REASON(SQL) [REVOKED_AT]
	sql "UPDATE cert SET state = 'revoked', revoked_at = ${3:-$RT}, crl_reason = $2 WHERE serial = '$1'"
}
# 3001 the incident's reason, 3002 keyCompromise, 3003 privilegeWithdrawn
# (info-inaccurate, say), 3004 superseded; 3005 and 3006 stay valid.
revoke 3001 NULL
revoke 3002 1
revoke 3003 9
revoke 3004 4

# ---- CRLs, made with the API -----------------------------------------------------
# mkcrl OUT.crl IDP-URL|none NUMBER THIS-UPDATE(epoch) SERIAL:REASON...
# (REASON: a CRLReason number, or "none"); also writes OUT.pem.
cat >mkcrl.py <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

out, idp, number, this_update = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rt = int(sys.argv[5])
ca = x509.load_pem_x509_certificate(open("ca.pem", "rb").read())
key = serialization.load_pem_private_key(open("ca.key", "rb").read(), None)
reasons = {0: x509.ReasonFlags.unspecified, 1: x509.ReasonFlags.key_compromise,
           4: x509.ReasonFlags.superseded, 5: x509.ReasonFlags.cessation_of_operation,
           9: x509.ReasonFlags.privilege_withdrawn}
tu = datetime.datetime.utcfromtimestamp(this_update)
b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
     .last_update(tu).next_update(tu + datetime.timedelta(days=7))
     .add_extension(x509.CRLNumber(number), critical=False)
     .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()),
                    critical=False))
if idp != "none":
    b = b.add_extension(x509.IssuingDistributionPoint(
        full_name=[x509.UniformResourceIdentifier(idp)], relative_name=None,
        only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
        indirect_crl=False, only_contains_attribute_certs=False), critical=True)
for e in sys.argv[6:]:
    serial, reason = e.split(":")
    r = (x509.RevokedCertificateBuilder().serial_number(int(serial, 16))
         .revocation_date(datetime.datetime.utcfromtimestamp(rt)))
    if reason != "none":
        r = r.add_extension(x509.CRLReason(reasons[int(reason)]), critical=False)
    b = b.add_revoked_certificate(r.build())
crl = b.sign(key, hashes.SHA256())
open(out, "wb").write(crl.public_bytes(serialization.Encoding.DER))
open(out[:-4] + ".pem", "wb").write(crl.public_bytes(serialization.Encoding.PEM))
EOF
TU=$(($(date +%s) - 600))
mkcrl() { # OUT IDP NUMBER THIS-UPDATE ENTRIES...
	_o=$1 _i=$2 _n=$3 _t=$4
	shift 4
	"$PY" mkcrl.py "$_o" "$_i" "$_n" "$_t" "$RT" "$@" || bail_out "mkcrl $_o"
}
# The right entries for each shard.
S0="3002:1 3004:4"
S1="3001:4 3003:9"
# shards DIR NUMBER THIS-UPDATE: both shards, each IDP naming its URL.
shards() {
	mkdir -p "www/$1"
	mkcrl "www/$1/shard-0.crl" "$BASE/$1/shard-0.crl" "$2" "$3" $S0
	mkcrl "www/$1/shard-1.crl" "$BASE/$1/shard-1.crl" "$2" "$3" $S1
	printf 'shard-0.crl\nshard-1.crl\n' >"www/$1/crls.txt"
}
mkdir www
# The good publication at the URLs the certificates name.
mkcrl www/shard-0.crl "$BASE/shard-0.crl" 10 "$TU" $S0
mkcrl www/shard-1.crl "$BASE/shard-1.crl" 10 "$TU" $S1
printf 'shard-0.crl\nshard-1.crl\n' >www/crls.txt
ok "openssl accepts shard 0's signature" sh -c \
	'openssl crl -in www/shard-0.crl -inform DER -CAfile ca.pem -noout 2>&1 | grep -q "verify OK"'
# One shard's IDP names the other shard.
mkdir -p www/idp
mkcrl www/idp/shard-0.crl "$BASE/idp/shard-0.crl" 10 "$TU" $S0
mkcrl www/idp/shard-1.crl "$BASE/idp/shard-0.crl" 10 "$TU" $S1
printf 'shard-0.crl\nshard-1.crl\n' >www/idp/crls.txt
# Two shards, no IDP at all.
mkdir -p www/noidp
mkcrl www/noidp/shard-0.crl none 10 "$TU" $S0
mkcrl www/noidp/shard-1.crl none 10 "$TU" $S1
printf 'shard-0.crl\nshard-1.crl\n' >www/noidp/crls.txt
# 3001 (CDP shard-1) listed on shard-0 only.
mkdir -p www/shard
mkcrl www/shard/shard-0.crl "$BASE/shard/shard-0.crl" 10 "$TU" $S0 3001:4
mkcrl www/shard/shard-1.crl "$BASE/shard/shard-1.crl" 10 "$TU" 3003:9
printf 'shard-0.crl\nshard-1.crl\n' >www/shard/crls.txt
shards roll 20 "$TU"

# OCSP: index.txt as domain section 3 has it. It cannot carry
# privilegeWithdrawn: 3003 is revoked without a reason there.
entry() { # STATUS SERIAL [REASON]
	_rt=
	[ "$1" = R ] && _rt=$RTX${3:+,$3}
	printf '%s\t301231235959Z\t%s\t%s\tunknown\t/CN=leaf%s.example\n' "$1" "$_rt" "$2" "$2"
}
{
	entry R 3001 superseded
	entry R 3002 keyCompromise
	entry R 3003
	entry R 3004 superseded
	entry V 3005
	entry V 3006
} >index.txt
# The second responder gives 3002 another reason than its CRL does.
sed 's/^\(R\t[^\t]*\t[^\t]*\),keyCompromise\t3002/\1,superseded\t3002/' index.txt >index2.txt
ok "index2.txt differs for 3002 only" sh -c \
	'[ "$(diff index.txt index2.txt | grep -c "^[<>]")" = 2 ] && grep -q "superseded	3002" index2.txt'

# ---- the servers ------------------------------------------------------------------
"$PY" -m http.server --bind 127.0.0.1 --directory www "$HP" >http.log 2>&1 &
PIDS="$PIDS $!"
openssl ocsp -index index.txt -port "$OP" -rsigner ca.pem -rkey ca.key -CA ca.pem \
	-ndays 1 >ocsp.log 2>&1 &
PIDS="$PIDS $!"
openssl ocsp -index index2.txt -port "$OP2" -rsigner ca.pem -rkey ca.key -CA ca.pem \
	-ndays 1 >ocsp2.log 2>&1 &
PIDS="$PIDS $!"
until_ok 100 curl -sf --noproxy '*' "$BASE/crls.txt" || bail_out "http.server did not start"
for p in "$OP" "$OP2"; do
	until_ok 100 openssl ocsp -issuer ca.pem -serial 0x3001 -url "http://127.0.0.1:$p" \
		-CAfile ca.pem || bail_out "the OCSP responder on $p did not start"
done
run openssl ocsp -issuer ca.pem -serial 0x3002 -url "$OCSP2" -CAfile ca.pem
like "$OUT" "Reason: superseded" "the second responder really answers superseded for 3002"

# ---- the correct setup is proven -----------------------------------------------------
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem
is "$RC" 0 "the correct shards: verify exits 0"
like "$OUT" "^PROVEN" "PROVEN"
unlike "$OUT" "^problem:" "no problem"
like "$OUT" "4 on the CRLs with the right reason, 0 wrong reason, 0 missing, 0 on the wrong shard" \
	"each serial on its own shard"
like "$OUT" "^note: +ocsp +3003: OCSP answers revoked with no reason where the CRL says privilegeWithdrawn \(9\): .*index.txt" \
	"privilegeWithdrawn that index.txt cannot carry is a note"
like "$OUT" "^notes: +1 known difference" "the summary counts the note apart"
like "$OUT" "4 sampled, 4 confirmed revoked" "OCSP confirms the 4"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem --json
is "$RC" 0 "--json: exit 0"
ok "--json is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" summary.proven)" true "--json: proven"
is "$(json_get "$OUT_FILE" problems)" "[]" "--json: no problems"
is "$(json_get "$OUT_FILE" notes.0.kind)/$(json_get "$OUT_FILE" notes.0.serial)" "ocsp/3003" \
	"--json: the note, with its kind and serial"
is "$(json_get "$OUT_FILE" summary.notes)" 1 "--json: summary.notes"
is "$(json_get "$OUT_FILE" summary.wrong_shard)" 0 "--json: summary.wrong_shard"

run W verify --issuer ca.pem
is "$RC" 0 "CDP mode (each certificate's own shard): exit 0"
like "$OUT" "CRL Distribution Points \(2 URLs\)" "both shards found through the CDPs"
like "$OUT" "^PROVEN" "PROVEN"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
run openssl verify -crl_check -CAfile ca.pem -CRLfile www/shard-1.pem certs/leaf3001.pem
isnt "$RC" 0 "openssl verify -crl_check with 3001's own shard rejects it"
like "$OUT$ERR" "certificate revoked" "... as revoked"

# ---- the IDP must name the URL ------------------------------------------------------
run W verify --crl-url "$BASE/idp/" --issuer ca.pem --sample 0
is "$RC" 1 "an IDP naming another shard: exit 1"
like "$OUT" "^problem: scope +its Issuing Distribution Point names $BASE/idp/shard-0.crl, not the URL it was fetched from.*\[$BASE/idp/shard-1.crl\]$" \
	"the scope problem names the IDP's URL and the URL fetched"
is "$(grep -c '^problem: scope' "$OUT_FILE")" 1 "only that shard"
like "$OUT" "^NOT PROVEN" "NOT PROVEN"
run W verify --crl-url "$BASE/idp/" --issuer ca.pem --sample 0 --json
is "$RC" 1 "--json: exit 1"
is "$(json_get "$OUT_FILE" problems.0.kind)" scope "--json: kind scope"
is "$(json_get "$OUT_FILE" problems.0.url)" "$BASE/idp/shard-1.crl" "--json: the URL fetched"
is "$(json_get "$OUT_FILE" summary.proven)" false "--json: not proven"

run W verify --crl-url "$BASE/noidp/" --issuer ca.pem --sample 0
is "$RC" 1 "shards without an IDP: exit 1"
is "$(grep -c '^problem: scope .*no Issuing Distribution Point naming its URL, yet it is one of 2 CRLs' "$OUT_FILE")" 2 \
	"each shard without an IDP is a scope problem"
like "$OUT" "^NOT PROVEN" "NOT PROVEN"
run W verify --crl-url "$BASE/noidp/shard-1.crl" --issuer ca.pem --sample 0
unlike "$OUT" "^problem: scope" "one CRL without IDP, alone: no scope problem"

# ---- each serial on its own shard ---------------------------------------------------
run W verify --crl-url "$BASE/shard/" --issuer ca.pem --sample 0
is "$RC" 1 "3001 listed on the wrong shard: exit 1"
like "$OUT" "^problem: shard +3001: wrong shard: listed on $BASE/shard/shard-0.crl but not on $BASE/shard/shard-1.crl, the CRL its CRL Distribution Point names" \
	"the wrong shard is named, with both CRLs"
unlike "$OUT" "^problem: missing" "it is not called missing"
like "$OUT" "3 on the CRLs with the right reason, 0 wrong reason, 0 missing, 1 on the wrong shard" \
	"counted as on the wrong shard"
like "$OUT" "^NOT PROVEN" "NOT PROVEN"
is "$(sql "SELECT on_crl IS NULL FROM cert WHERE serial = '3001'")" 1 "no on_crl for 3001"
run W verify --crl-url "$BASE/shard/" --issuer ca.pem --sample 0 --json
is "$(json_get "$OUT_FILE" summary.wrong_shard)" 1 "--json: summary.wrong_shard"
is "$(json_get "$OUT_FILE" problems.0.kind)/$(json_get "$OUT_FILE" problems.0.serial)" "shard/3001" \
	"--json: kind shard, serial 3001"

# ---- CRL numbers only grow ----------------------------------------------------------
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0
is "$RC" 0 "numbers 20: exit 0"
is "$(sql "SELECT json_extract(details, '\$.crl_numbers.\"$BASE/roll/shard-1.crl\".number') FROM publication ORDER BY id DESC LIMIT 1")" 14 \
	"the CRL number (hex) is remembered in publication.details"
cp www/roll/shard-1.crl roll-20.crl
cp www/roll/shard-1.pem roll-20.pem
# Another verify in between, of other URLs: the numbers are carried.
run W verify --crl-url "$BASE/" --issuer ca.pem --sample 0
is "$RC" 0 "another verify in between"
mkcrl www/roll/shard-1.crl "$BASE/roll/shard-1.crl" 19 $((TU + 60)) $S1
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0
is "$RC" 1 "number 19 after 20: exit 1"
like "$OUT" "^problem: rollback +CRL number 19 with thisUpdate .*; the last verify saw 20 with thisUpdate .*rollback.*\[$BASE/roll/shard-1.crl\]$" \
	"the rollback is named, with both numbers"
is "$(grep -c '^problem:' "$OUT_FILE")" 1 "only shard-1"
like "$OUT" "^NOT PROVEN" "NOT PROVEN"
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0
is "$RC" 1 "still 19: still a rollback (the higher number is kept)"
mkcrl www/roll/shard-1.crl "$BASE/roll/shard-1.crl" 20 $((TU + 120)) $S1
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0 --json
is "$RC" 1 "number 20 again with another thisUpdate: exit 1"
is "$(json_get "$OUT_FILE" problems.0.kind)" rollback "--json: kind rollback"
like "$(json_get "$OUT_FILE" problems.0.what)" "same CRL number .* another thisUpdate" "--json: says why"
cp roll-20.crl www/roll/shard-1.crl
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0
is "$RC" 0 "the same CRL (number and thisUpdate) again: exit 0"
mkcrl www/roll/shard-1.crl "$BASE/roll/shard-1.crl" 21 $((TU + 180)) $S1
run W verify --crl-url "$BASE/roll/" --issuer ca.pem --sample 0
is "$RC" 0 "number 21: exit 0"
[ "$RC" = 0 ] || diag "$OUT"

# ---- OCSP's reason agrees with the CRL's ---------------------------------------------
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP2" --issuer ca.pem
is "$RC" 1 "OCSP answering superseded where the CRL says keyCompromise: exit 1"
like "$OUT" "^problem: ocsp +3002: OCSP answers revoked with superseded \(4\), the CRL lists it with keyCompromise \(1\)" \
	"named, with both reasons"
like "$OUT" "^note: +ocsp +3003: " "privilegeWithdrawn stays a note"
like "$OUT" "^NOT PROVEN: 1 problems" "one problem, NOT PROVEN"

# ---- CDP mode: the certificate's own shard --------------------------------------------
# The shards at the certificates' own URLs, 3001 on the wrong one (numbers up).
mkcrl www/shard-0.crl "$BASE/shard-0.crl" 11 $((TU + 60)) $S0 3001:4
mkcrl www/shard-1.crl "$BASE/shard-1.crl" 11 $((TU + 60)) 3003:9
run W verify --issuer ca.pem --sample 0
is "$RC" 1 "CDP mode, 3001 on the wrong shard: exit 1"
like "$OUT" "^problem: shard +3001: wrong shard: listed on $BASE/shard-0.crl but not on $BASE/shard-1.crl" \
	"named the same way"
# A relying party agrees: with the CRL 3001's CDP names, OpenSSL accepts
# the revoked certificate; the shard that lists it is out of its scope.
run openssl verify -crl_check -CAfile ca.pem -CRLfile www/shard-1.pem certs/leaf3001.pem
is "$RC" 0 "openssl verify -crl_check accepts revoked 3001 with the shard its CDP names"
like "$OUT" "leaf3001.pem: OK" "... and says OK"
run openssl verify -crl_check -CAfile ca.pem -CRLfile www/shard-0.pem certs/leaf3001.pem
isnt "$RC" 0 "the shard that lists it does not apply to it (IDP scope)"
like "$ERR$OUT" "different CRL scope" "... OpenSSL says so"
unlike "$OUT$ERR" "certificate revoked" "... and never sees it revoked"
mkcrl www/shard-0.crl "$BASE/shard-0.crl" 12 $((TU + 120)) $S0
mkcrl www/shard-1.crl "$BASE/shard-1.crl" 12 $((TU + 120)) $S1
run W verify --issuer ca.pem --sample 0
is "$RC" 0 "mended: PROVEN again"

# ---- status: published goes stale --------------------------------------------------
run W status --json
is "$(json_get "$OUT_FILE" published.stale)" false "status --json: not stale right after verify"
is "$(json_get "$OUT_FILE" published.revoked_since)" 0 "status --json: nothing revoked since"
run W status
unlike "$OUT" "stale" "status: no stale mark"
CHECKED=$(sql "SELECT checked_at FROM publication ORDER BY id DESC LIMIT 1")
revoke 3005 NULL $((CHECKED + 60))
run W status --json
is "$(json_get "$OUT_FILE" published.stale)" true "status --json: stale after a later revocation"
is "$(json_get "$OUT_FILE" published.revoked_since)" 1 "status --json: 1 revoked since"
run W status
like "$OUT" "published: .* \(stale: 1 revoked since\)" "status: (stale: 1 revoked since)"

# ---- a full CRL without IDP, at the URL the certificates name ---------------------------
DB=$WORK/full.db
mkdir fullcerts
for s in 4001 4002; do
	leaf $s "$BASE/full.crl"
	mv "certs/leaf$s.pem" fullcerts/
done
W init --name "Full CRL" >/dev/null 2>&1 || bail_out "init full"
W import fullcerts >/dev/null 2>&1 || bail_out "import full"
W declare --reason key-compromise --discovered now >/dev/null 2>&1 || bail_out "declare full"
revoke 4001 1
revoke 4002 1
mkcrl www/full.crl none 5 "$TU" 4001:1 4002:1 3001:4
run W verify --issuer ca.pem --sample 0
is "$RC" 0 "a full CRL without IDP, fetched from the certificates' URL: exit 0"
unlike "$OUT" "^problem:" "no scope problem"
[ "$RC" = 0 ] || diag "$OUT"

stop_servers
done_testing
