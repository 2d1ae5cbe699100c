#!/bin/sh
# verify.t: warroom verify against a real publication on 127.0.0.1,
# independent of any warroom backend: a test CA made with the openssl CLI,
# CRL shards made by `openssl ca -gencrl` from index files written here and
# served by python3's http.server, and a real `openssl ocsp` responder.
# Certificates are marked revoked straight in the incident database with
# the sqlite3 CLI. Then: everything proven (exit 0, on_crl and
# ocsp_revoked set, a publication row, status --json "published", the
# audit event); the same from [local] in warroom.conf; and each failure
# named: a certificate missing from the CRLs, a wrong reason, a CRL signed
# by another key, a CRL valid for too long, OCSP answering "good", an
# unreachable server, a hostile crls.txt; bad input exits 2.
. "$(dirname "$0")/lib.sh"
no_plan

# Nothing may leave 127.0.0.1, not even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

needs openssl sqlite3 python3 curl


DB=$WORK/wr.db
W() { "$WARROOM" --db "$DB" "$@"; }
sql() { sqlite3 "$DB" "$1"; }

# ---- the test CA and its certificates ------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout ca.key -out ca.pem -days 30 -subj "/CN=warroom verify test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || bail_out "CA"
# The impostor: same name, another key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout evil.key -out evil.pem -days 30 -subj "/CN=warroom verify test CA" \
	>/dev/null 2>&1 || bail_out "impostor CA"
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key || bail_out "leaf key"
openssl req -new -key leaf.key -subj /CN=leaf.example -out leaf.csr || bail_out "csr"
# The servers' ports, chosen now: the certificates name them in their CRL
# Distribution Point (shard serial mod 2) and AIA OCSP URL.
HP=$(free_port)
BASE=http://127.0.0.1:$HP
OP=$(free_port)
OCSP=http://127.0.0.1:$OP
OP2=$(free_port)
mkdir certs
for i in 1 2 3 4 5 6; do
	printf 'subjectAltName=DNS:leaf%s.example\ncrlDistributionPoints=URI:%s/shard-%s.crl\nauthorityInfoAccess=OCSP;URI:%s\n' \
		$i "$BASE" $((i % 2)) "$OCSP" >ext.cnf
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x100$i \
		-days 90 -extfile ext.cnf -out certs/leaf$i.pem >/dev/null 2>&1 || bail_out "leaf$i"
done

W init --name "Verify" >/dev/null 2>&1 || bail_out "init"
W import certs >/dev/null 2>&1 || bail_out "import"
# misissued: superseded (4) is the incident's CRL reason.
W declare --reason misissued --discovered now >/dev/null 2>&1 || bail_out "declare"

# ---- the revocations, in warroom and at the "CA" --------------------------------
# 1001 the incident's reason (superseded), 1002 keyCompromise, 1003
# cessationOfOperation, 1004 unspecified (no reasonCode); 1005 and 1006
# stay valid. Shards by serial mod 2, as the local backend does.
RT=$(($(date +%s) - 3600))
RTX=$(date -u -d "@$RT" +%y%m%d%H%M%SZ)
revoke() { # SERIAL CRL_REASON(SQL)
	sql "UPDATE cert SET state = 'revoked', revoked_at = $RT, crl_reason = $2 WHERE serial = '$1'"
}
unrevoke() {
	sql "UPDATE cert SET state = 'pending', revoked_at = NULL, crl_reason = NULL WHERE serial = '$1'"
}
revoke 1001 NULL
revoke 1002 1
revoke 1003 5
revoke 1004 -1
is "$(sql "SELECT count(*) FROM cert WHERE revoked_at IS NOT NULL")" 4 "4 certificates marked revoked"

entry() { # STATUS SERIAL [REASON]
	_rt=
	[ "$1" = R ] && _rt=$RTX${3:+,$3}
	printf '%s\t301231235959Z\t%s\t%s\tunknown\t/CN=leaf%s.example\n' "$1" "$_rt" "$2" "$2"
}
{ entry R 1002 keyCompromise; entry R 1004; entry V 1006; } >index0.txt
{ entry R 1001 superseded; entry R 1003 cessationOfOperation; entry V 1005; } >index1.txt
cat index0.txt index1.txt >index.txt
# OCSP says "good" for 1001 here.
sed 's/^R\t\([^\t]*\)\t[^\t]*\t1001/V\t\1\t\t1001/' index.txt >index-good.txt
echo 1000 >crlnumber

# gencrl CONFIG-OUT INDEX KEY CERT DAYS IDP-URL OUT.crl
gencrl() {
	cat >"$1" <<EOF
[ca]
default_ca = CA_default
[CA_default]
database = $2
crlnumber = crlnumber
certificate = $4
private_key = $3
default_md = sha256
default_crl_days = $5
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[idp]
fullname = URI:$6
EOF
	openssl ca -gencrl -config "$1" -out "$7.pem" >/dev/null 2>&1 &&
		openssl crl -in "$7.pem" -outform DER -out "$7"
}
mkdir -p www/bad www/long www/hostile
gencrl ca0.cnf index0.txt ca.key ca.pem 7 "$BASE/shard-0.crl" www/shard-0.crl || bail_out "gencrl 0"
gencrl ca1.cnf index1.txt ca.key ca.pem 7 "$BASE/shard-1.crl" www/shard-1.crl || bail_out "gencrl 1"
printf 'shard-0.crl\nshard-1.crl\n' >www/crls.txt
gencrl bad.cnf index0.txt evil.key evil.pem 7 "$BASE/bad/shard-0.crl" www/bad/shard-0.crl ||
	bail_out "gencrl bad"
gencrl long.cnf index0.txt ca.key ca.pem 30 "$BASE/long/shard-0.crl" www/long/shard-0.crl ||
	bail_out "gencrl long"
cp www/shard-0.crl www/shard-1.crl www/hostile/
printf 'shard-0.crl\n\033[2J\342\200\256evil\n../../etc/passwd\nhttp://198.51.100.1/x.crl\nshard-1.crl\n' \
	>www/hostile/crls.txt
ok "openssl itself accepts shard 0" sh -c \
	'openssl crl -in www/shard-0.crl -inform DER -CAfile ca.pem -noout >/dev/null 2>&1'

# ---- the servers ------------------------------------------------------------------
python3 -m http.server --bind 127.0.0.1 --directory www "$HP" >http.log 2>&1 &
PIDS="$PIDS $!"
openssl ocsp -index index.txt -port "$OP" -rsigner ca.pem -rkey ca.key -CA ca.pem \
	-ndays 1 >ocsp.log 2>&1 &
PIDS="$PIDS $!"
openssl ocsp -index index-good.txt -port "$OP2" -rsigner ca.pem -rkey ca.key -CA ca.pem \
	-ndays 1 >ocsp2.log 2>&1 &
PIDS="$PIDS $!"
until_ok 100 curl -sf --noproxy '*' "$BASE/crls.txt" || bail_out "http.server did not start"
for p in "$OP" "$OP2"; do
	until_ok 100 openssl ocsp -issuer ca.pem -serial 0x1001 -url "http://127.0.0.1:$p" \
		-CAfile ca.pem || bail_out "the OCSP responder on $p did not start"
done

# ---- everything published ----------------------------------------------------------
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem
is "$RC" 0 "verify exits 0 when everything is published"
like "$OUT" "PROVEN" "it says so"
like "$OUT" "2 fetched, 2 verified, 4 entries" "both shards fetched and verified"
like "$OUT" "4 certificates checked: 4 on the CRLs with the right reason, 0 wrong reason, 0 missing" \
	"every revoked certificate found with its reason"
like "$OUT" "4 sampled, 4 confirmed revoked" "OCSP confirms the 4"
unlike "$OUT" "problem:" "no problem reported"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
is "$(sql "SELECT count(*) FROM cert WHERE on_crl IS NOT NULL")" 4 "on_crl set for the 4"
is "$(sql "SELECT count(*) FROM cert WHERE ocsp_revoked IS NOT NULL")" 4 "ocsp_revoked set for the 4"
is "$(sql "SELECT count(*) FROM cert WHERE on_crl IS NOT NULL AND revoked_at IS NULL")" 0 \
	"nothing unrevoked marked on_crl"
is "$(sql "SELECT on_crl, ocsp_confirmed, ocsp_sampled, problems FROM publication")" "4|4|4|0" \
	"one publication row with the figures"
is "$(sql "SELECT crl_url, ocsp_url FROM publication")" "$BASE/|$OCSP" "the URLs are recorded"
run W log --grep verify --json
is "$(json_get "$OUT_FILE" 0.action)" verify "a verify event is in the timeline"
is "$(json_get "$OUT_FILE" 0.details.on_crl)" 4 "the event carries the figures"
run W audit verify
is "$RC" 0 "the audit chain holds"

run W status --json
is "$(json_get "$OUT_FILE" published.on_crl)" 4 "status --json: published.on_crl"
is "$(json_get "$OUT_FILE" published.ocsp_confirmed)" 4 "status --json: published.ocsp_confirmed"
like "$(json_get "$OUT_FILE" published.checked_at)" '^20[0-9-]+T' "status --json: published.checked_at"

run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem --json
is "$RC" 0 "verify --json exits 0"
ok "verify --json prints JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" summary.proven)" true "summary.proven is true"
is "$(json_get "$OUT_FILE" summary.on_crl)" 4 "summary.on_crl"
is "$(json_get "$OUT_FILE" problems)" "[]" "no problems"

run W verify --crl-url "$BASE/" --issuer ca.pem --sample 0
is "$RC" 0 "--sample 0 skips OCSP"
like "$OUT" "OCSP: +not checked" "and says so"

# From the configuration: [local] ca_cert (relative to the file), crl_url, ocsp_url.
mkdir conf
cp ca.pem conf/issuer.pem
cat >conf/warroom.conf <<EOF
[local]
ca_cert = issuer.pem
crl_url = $BASE
ocsp_url = $OCSP
EOF
# On a copy: the first write under a config pins that config's policy in
# an incident that had none, and the rest of this test runs without one.
cp "$DB" "$WORK/conf.db"
run "$WARROOM" --db "$WORK/conf.db" --config conf/warroom.conf verify
is "$RC" 0 "verify from [local] in warroom.conf exits 0"
like "$OUT" "4 sampled, 4 confirmed" "OCSP from [local] ocsp_url"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"

# With no URL given nor configured: each certificate's own CRL Distribution
# Point and AIA OCSP URL.
fetches=$(grep -c 'GET /shard-[01].crl' http.log)
run W verify --issuer ca.pem
is "$RC" 0 "verify from the certificates' CDP and AIA exits 0"
like "$OUT" "CRL Distribution Points \(2 URLs\)" "both shards found through the CDPs"
like "$OUT" "4 on the CRLs with the right reason" "every revoked certificate found"
like "$OUT" "4 sampled, 4 confirmed revoked \($OCSP\)" "OCSP asked at the AIA URL"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
is "$(sql "SELECT crl_url IS NULL FROM publication ORDER BY id DESC LIMIT 1")" 1 \
	"CDP mode records no single CRL URL"
is "$(($(grep -c 'GET /shard-[01].crl' http.log) - fetches))" 2 "each shard fetched once"

# ---- a revoked certificate missing from the CRLs ------------------------------------
revoke 1006 NULL
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem --sample 0
is "$RC" 1 "a missing certificate: exit 1"
like "$OUT" "^problem: missing +1006: " "the missing certificate is named"
like "$OUT" "1 missing" "counted as missing"
like "$OUT" "NOT PROVEN" "not proven"
is "$(sql "SELECT on_crl IS NULL FROM cert WHERE serial = '1006'")" 1 "no on_crl for it"
is "$(sql "SELECT problems FROM publication ORDER BY id DESC LIMIT 1")" 1 "the row counts the problem"
run W verify --issuer ca.pem --sample 0
is "$RC" 1 "CDP mode: a missing certificate: exit 1"
like "$OUT" "^problem: missing +1006: .*not listed on its CRL $BASE/shard-0.crl" \
	"CDP mode names the certificate and its CRL"
unrevoke 1006

# ---- a wrong reason ---------------------------------------------------------------
sql "UPDATE cert SET crl_reason = 9 WHERE serial = '1002'"
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem
is "$RC" 1 "a wrong reason: exit 1"
like "$OUT" "^problem: reason +1002: listed with keyCompromise \(1\), expected privilegeWithdrawn \(9\)" \
	"the certificate and both reasons are named"
like "$OUT" "^problem: ocsp +1002: .*keyCompromise" "OCSP's reason is checked too"
like "$OUT" "1 wrong reason" "counted as a wrong reason"
is "$(sql "SELECT on_crl IS NULL FROM cert WHERE serial = '1002'")" 1 "on_crl cleared for it"
sql "UPDATE cert SET crl_reason = 1 WHERE serial = '1002'"

# The incident's reason applies when the certificate has none: omitted
# reasonCode is expected only for unspecified.
sql "UPDATE cert SET crl_reason = NULL WHERE serial = '1004'"
run W verify --crl-url "$BASE/" --issuer ca.pem --sample 0
is "$RC" 1 "no reasonCode where superseded is due: exit 1"
like "$OUT" "^problem: reason +1004: listed with no reasonCode \(unspecified\), expected superseded \(4\)" \
	"named"
sql "UPDATE cert SET crl_reason = -1 WHERE serial = '1004'"

# ---- a CRL signed by another key ------------------------------------------------------
run W verify --crl-url "$BASE/bad/shard-0.crl" --issuer ca.pem --sample 0
is "$RC" 1 "a CRL signed by another key: exit 1"
like "$OUT" "^problem: signature .*does not verify.*bad/shard-0.crl" "the signature problem is named"
like "$OUT" "1 fetched, 0 verified" "fetched but not verified"
like "$OUT" "^problem: missing +1002: " "its entries do not count"

# ---- a CRL valid for 30 days ----------------------------------------------------------
run W verify --crl-url "$BASE/long/shard-0.crl" --issuer ca.pem --sample 0
is "$RC" 1 "nextUpdate 30 days after thisUpdate: exit 1"
like "$OUT" "^problem: dates .*more than 10 days" "BR 4.9.7 named"

# ---- OCSP answering "good" -------------------------------------------------------------
run W verify --crl-url "$BASE/" --ocsp-url "http://127.0.0.1:$OP2" --issuer ca.pem
is "$RC" 1 "OCSP answering good for a revoked certificate: exit 1"
like "$OUT" "^problem: ocsp +1001: OCSP answers good, expected revoked" "the certificate is named"
like "$OUT" "4 sampled, 3 confirmed" "3 of 4 confirmed"
is "$(sql "SELECT ocsp_revoked IS NULL FROM cert WHERE serial = '1001'")" 1 "ocsp_revoked cleared for it"

# ---- nobody there ----------------------------------------------------------------------
DEAD=$(free_port)
run W verify --crl-url "http://127.0.0.1:$DEAD/" --ocsp-url "http://127.0.0.1:$DEAD" --issuer ca.pem
is "$RC" 1 "an unreachable server: exit 1"
like "$OUT" "^problem: fetch .*crls.txt" "the unfetched list is named"
like "$OUT" "^problem: ocsp .*no answer 3 times in a row" "OCSP gives up after 3"
run W verify --crl-url "$BASE/nothere/" --issuer ca.pem --sample 0
is "$RC" 1 "a 404: exit 1"
like "$OUT" "HTTP status 404" "the status is named"

# ---- a hostile crls.txt ------------------------------------------------------------------
run W verify --crl-url "$BASE/hostile" --issuer ca.pem --sample 0
is "$RC" 1 "hostile names in crls.txt: exit 1"
like "$OUT" "line 2: .*not a plain file name" "a control sequence is refused"
like "$OUT" "line 3: .*not a plain file name" "a path outside the base is refused"
like "$OUT" "line 4: .*not a plain file name" "another host is refused"
like "$OUT" "2 fetched, 2 verified" "the good names are still fetched"
no_control_bytes "$OUT_FILE" "nothing hostile reaches the terminal"
run W verify --crl-url "$BASE/hostile" --issuer ca.pem --sample 0 --json
ok "hostile: --json is still JSON" json_valid "$OUT_FILE"
no_control_bytes "$OUT_FILE" "hostile: nothing raw in the JSON"
file_unlike http.log "passwd" "no request left the base URL"

# ---- bad input -----------------------------------------------------------------------------
before=$(sql "SELECT count(*) FROM publication")
run W verify --crl-url ftp://127.0.0.1/x.crl --issuer ca.pem
is "$RC" 2 "an ftp URL: exit 2"
like "$ERR" "not http:// or https://" "says why"
run W verify --crl-url "$BASE/" --ocsp-url file:///etc/passwd --issuer ca.pem
is "$RC" 2 "a file: OCSP URL: exit 2"
run W verify --crl-url "$BASE/" --issuer nothere.pem
is "$RC" 2 "a missing issuer file: exit 2"
like "$ERR" "nothere.pem" "names the file"
run W verify --crl-url "$BASE/" --issuer index.txt
is "$RC" 2 "an issuer that is no certificate: exit 2"
run W verify --crl-url "$BASE/"
is "$RC" 2 "no issuer at all: exit 2"
like "$ERR" "issuer" "says the issuer is needed"
run W verify --sample -1 --issuer ca.pem
is "$RC" 2 "--sample -1: exit 2"
run W verify --sample many --issuer ca.pem
is "$RC" 2 "--sample many: exit 2"
run W verify --bogus
is "$RC" 2 "an unknown option: exit 2"
like "$ERR" "usage: warroom verify" "the usage follows"
run W verify stray
is "$RC" 2 "a stray argument: exit 2"
is "$(sql "SELECT count(*) FROM publication")" "$before" "bad input records nothing"

# And after all that, the good case still holds.
run W verify --crl-url "$BASE/" --ocsp-url "$OCSP" --issuer ca.pem
is "$RC" 0 "restored: verify exits 0 again"
is "$(sql "SELECT count(*) FROM cert WHERE on_crl IS NOT NULL")" 4 "on_crl set again for the 4"
run W audit verify
is "$RC" 0 "the audit chain still holds"

stop_servers
done_testing
