#!/bin/sh
# publish-scope.t: what the local test CA publishes, checked the way a
# relying party checks it: `openssl verify -crl_check` against the CRL
# each certificate's own CRL Distribution Point names, `openssl ocsp`
# against a real `openssl ocsp -index` responder, and the Issuing
# Distribution Points read independently with python3-cryptography.
#   (a) a certificate's shard never moves: certificates issued naming
#       serial mod 2 (the count the CA took at its first publication),
#       revoked, more imported, published again: every revoked one is
#       "certificate revoked" on the CRL its CDP names, every other OK;
#       each shard's IDP names its own URL, onlyContainsUserCerts;
#   (b) a sub-CA certificate revoked for a subca-* reason lands on the ARL
#       (arl.crl: onlyContainsCACerts), where verify finds it revoked;
#   (c) two incidents (two databases) on one CA and out_dir: after the
#       second publishes, the responder answers revoked for both
#       incidents' revocations, and every shard file of the first is
#       still there with its entries;
#   (d) shards = 1, and a CA whose certificates name one CRL URL: a full
#       CRL without IDP, which verify accepts for them;
#   (e) an expired, unrevoked certificate gets "good" from the responder
#       (a V line in index.txt; E would give "No Status found");
#   (f) changing [local] shards after publication is refused (crl and
#       revoke alike, nothing written) until `crl --reshard`, which keeps
#       every entry on the shard it was published on while new
#       revocations take the new count.
. "$(dirname "$0")/lib.sh"
no_plan

# Nothing may leave 127.0.0.1, not even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

needs openssl sqlite3 python3
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
# The Debian interpreter sees the Debian package (peers.md).
PY=/usr/bin/python3
$PY -c 'from cryptography import x509; x509.IssuingDistributionPoint' 2>/dev/null ||
	bail_out "no python3-cryptography for $PY (scripts/install-deps installs it)"

HP=$(free_port)
OP=$(free_port)
DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)

# The test CA and 20 leaves without CRL Distribution Point (a quarter of
# them expired), from wr-mkcerts; leaves with one are made below with
# openssl, signed by the same CA.
"$WR_TOOLS/wr-mkcerts" --out certs --count 20 --format pem --expired-percent 25 --seed 23 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key 2>/dev/null &&
	chmod 600 leaf.key &&
	openssl req -new -key leaf.key -subj /CN=leaf.example -out leaf.csr 2>/dev/null ||
	bail_out "openssl req failed"

# crlinfo FILE: the DER CRL's IDP ("idp critical=.. user=.. ca=.. url=..",
# or "no-idp"), then "serial HEX" for each entry (even-length upper hex,
# as warroom writes serials), read with python3-cryptography.
cat >crlinfo.py <<'EOF'
import sys
from cryptography import x509
crl = x509.load_der_x509_crl(open(sys.argv[1], "rb").read())
try:
    e = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    v = e.value
    urls = ",".join(n.value for n in (v.full_name or []))
    print("idp critical=%s user=%s ca=%s url=%s" % (e.critical, v.only_contains_user_certs,
                                                    v.only_contains_ca_certs, urls))
except x509.ExtensionNotFound:
    print("no-idp")
for r in crl:
    h = "%X" % r.serial_number
    print("serial " + "0" * (len(h) % 2) + h)
EOF
crlinfo() { $PY crlinfo.py "$1" 2>&1; }
crl_serials() { crlinfo "$1" | sed -n 's/^serial //p'; }
mod() { python3 -c "import sys; print(int(sys.argv[1], 16) % int(sys.argv[2]))" "$1" "$2"; }
sql() { sqlite3 "$1" "$2"; }

# mkleaf DIR SERIAL CDP-URL: DIR/SERIAL.pem, a leaf of the test CA.
mkleaf() {
	mkdir -p "$1"
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:leaf-%s.example\ncrlDistributionPoints=URI:%s\n' \
		"$2" "$3" >"$1/$2.ext"
	openssl x509 -req -in leaf.csr -CA certs/ca.pem -CAkey certs/ca.key -set_serial "0x$2" \
		-days 30 -extfile "$1/$2.ext" -out "$1/$2.pem" 2>/dev/null || bail_out "openssl x509 -req failed"
}
# serial I: a 16-byte serial, upper-case hex, as warroom writes it.
serial() { printf '7A%030X' "$1"; }
# cdp_of CERT: the URI of its CRL Distribution Point.
cdp_of() { openssl x509 -in "$1" -noout -ext crlDistributionPoints 2>/dev/null | sed -n 's/^ *URI://p' | head -1; }

mkconf() { # FILE OUT_DIR CRL_URL [EXTRA LINE]
	cat >"$1" <<EOF
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = $2
shard_entries = 4
crl_url = $3
ocsp_url = http://127.0.0.1:$OP
${4:-}
EOF
}
# wr DB CONF ARGS...: warroom on one incident, always with its own config.
wr() { _db=$1 _conf=$2; shift 2; "$WARROOM" --db "$WORK/$_db" --config "$WORK/$_conf" "$@"; }
# start DB CONF REASON FILE...: a declared incident with these
# certificates. A step that fails is a failure of the part, not of the
# whole test: the part's checks then fail too, and the other parts run.
start() {
	_db=$1 _conf=$2 _reason=$3
	shift 3
	for _step in "init --name Scope-$_db" "import $*" \
		"declare --reason $_reason --discovered $DISC"; do
		# shellcheck disable=SC2086
		run wr "$_db" "$_conf" $_step
		[ "$RC" = 0 ] || { fail "setting up $_db: ${_step%% *} failed" "$ERR"; return 1; }
	done
}
# revoke DB CONF N: authorize and revoke N more of the incident's certificates.
revoke() {
	run wr "$1" "$2" authorize revoke --limit "$3"
	[ "$RC" = 0 ] || { fail "authorizing $1 failed" "$ERR"; return 1; }
	run wr "$1" "$2" revoke --yes
	[ "$RC" = 0 ] || diag "revoke $1: $ERR"
}

# verify_all DB DIR BASE CERTDIR...: every certificate of CERTDIR checked
# against the CRL its own CDP names (BASE/name is DIR/name): revoked when
# the incident DB says so, OK otherwise.
verify_all() {
	_db=$1 _dir=$2 _base=$3
	shift 3
	_revoked=" $(sql "$_db" "SELECT serial FROM cert WHERE revoked_at IS NOT NULL" | tr '\n' ' ') "
	for _c in $(ls "$@" | sed -n 's/\.pem$//p'); do
		for _d in "$@"; do [ -f "$_d/$_c.pem" ] && _cert=$_d/$_c.pem; done
		_url=$(cdp_of "$_cert")
		_crl=$_dir/${_url#"$_base"}
		_v=$(openssl verify -crl_check -CAfile certs/ca.pem -CRLfile "$_crl" "$_cert" 2>&1)
		case $_revoked in
		*" $_c "*) like "$_v" "certificate revoked" "$_c (revoked): revoked on ${_url##*/}, the CRL its CDP names" ;;
		*) like "$_v" ": OK\$" "$_c (not revoked): OK against ${_url##*/}" ;;
		esac
	done
}

# ---- (a) a certificate's shard never moves ------------------------------------------
BA=http://127.0.0.1:$HP/a/
mkconf a.conf pubA "$BA"
# 8 certificates, shard_entries 4: the CA's first publication takes 2
# shards, and its certificates name serial mod 2.
for i in 1 2 3 4 5 6 7 8; do s=$(serial $i); mkleaf leavesA1 "$s" "${BA}shard-$(mod "$s" 2).crl"; done
cat leavesA1/*.pem >batchA1.pem
start a.db a.conf misuse batchA1.pem
revoke a.db a.conf 5
like "$OUT" "revoked 5 certificates" "(a) 5 of the first 8 revoked"
is "$(cat pubA/crls.txt)" "shard-0.crl
shard-1.crl
arl.crl" "(a) the first publication: 2 shards (8 certificates, shard_entries 4) and the ARL"
# 8 more, issued naming the same 2 shards; the incident now holds 16,
# which shard_entries 4 would once have made 4 shards.
for i in 9 10 11 12 13 14 15 16; do s=$(serial $i); mkleaf leavesA2 "$s" "${BA}shard-$(mod "$s" 2).crl"; done
cat leavesA2/*.pem >batchA2.pem
run wr a.db a.conf import batchA2.pem
is "$RC" 0 "(a) 8 more certificates imported"
run wr a.db a.conf crl
is "$RC" 0 "(a) crl after importing 8 more exits 0"
like "$OUT" "2 shards, 5 entries" "(a) ... still 2 shards: the count was fixed at the first publication"
verify_all a.db pubA "$BA" leavesA1 leavesA2
revoke a.db a.conf 3
like "$OUT" "revoked 3 certificates" "(a) 3 more revoked"
verify_all a.db pubA "$BA" leavesA1 leavesA2
for k in 0 1; do
	is "$(crlinfo pubA/shard-$k.crl | head -1)" \
		"idp critical=True user=True ca=False url=${BA}shard-$k.crl" \
		"(a) shard-$k.crl: a critical IDP naming its own URL, end-entity certificates only"
done
is "$(crlinfo pubA/arl.crl | head -1)" "idp critical=True user=False ca=True url=${BA}arl.crl" \
	"(a) arl.crl: a critical IDP naming its URL, CA certificates only"
ls pubA | grep -q '^shard-[2-9]' && fail "(a) shards beyond the CA's 2 were written" ||
	pass "(a) no shard beyond the CA's 2"

# ---- (b) a sub-CA certificate goes on the ARL ------------------------------------------
openssl ecparam -name prime256v1 -genkey -noout -out sub.key 2>/dev/null && chmod 600 sub.key
openssl req -new -key sub.key -subj "/O=Warroom Demo CA/CN=Warroom Test Sub CA" -out sub.csr 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\ncrlDistributionPoints=URI:%sarl.crl\n' \
	"$BA" >sub.ext
SUB=5B0000000000000000000000000001
openssl x509 -req -in sub.csr -CA certs/ca.pem -CAkey certs/ca.key -set_serial "0x$SUB" -days 60 \
	-extfile sub.ext -out sub.pem 2>/dev/null || bail_out "making the sub-CA failed"
ok "(b) the sub-CA verifies under the test CA" sh -c 'openssl verify -CAfile certs/ca.pem sub.pem | grep -q ": OK"'
# Another incident on the same CA (the record of (a)), BR 4.9.1.2.
start b.db a.conf subca-key-compromise sub.pem
revoke b.db a.conf 1
like "$OUT" "revoked 1 certificate" "(b) the sub-CA certificate is revoked"
run openssl verify -crl_check -CAfile certs/ca.pem -CRLfile pubA/arl.crl sub.pem
like "$OUT$ERR" "certificate revoked" "(b) openssl verify -crl_check against the ARL its CDP names: revoked"
unlike "$OUT$ERR" "different CRL scope" "(b) ... not 'different CRL scope'"
run openssl verify -crl_check_all -CAfile certs/ca.pem -CRLfile pubA/arl.crl sub.pem
like "$OUT$ERR" "certificate revoked" "(b) -crl_check_all too"
like "$(crl_serials pubA/arl.crl)" "^$SUB\$" "(b) arl.crl lists the sub-CA's serial"
unlike "$(crl_serials pubA/shard-0.crl; crl_serials pubA/shard-1.crl)" "^$SUB\$" \
	"(b) ... and no end-entity shard does"
run wr b.db a.conf crl --json
is "$RC" 0 "(b) crl --json exits 0"
is "$(json_get "$OUT_FILE" ca_entries)" 1 "(b) ... the ARL's 1 entry"
is "$(json_get "$OUT_FILE" shards)" 2 "(b) ... beside the CA's 2 shards"
# (a)'s revocations are still where their certificates point.
verify_all a.db pubA "$BA" leavesA1 leavesA2

# ---- (c) one CA, two incidents ----------------------------------------------------------
# wr-mkcerts' 20 leaves (no CDP): 16 for the first incident (4 shards at
# shard_entries 4), 4 for the second (which alone would make 1 shard).
awk '/BEGIN CERT/ { n++ } { print > (n <= 16 ? "bundleC1.pem" : "bundleC2.pem") }' certs/bundle.pem
BC=http://127.0.0.1:$HP/c/
mkconf c.conf pubC "$BC"
start c1.db c.conf misuse bundleC1.pem
revoke c1.db c.conf 6
like "$OUT" "revoked 6 certificates" "(c) the first incident revokes 6"
is "$(grep -c . pubC/crls.txt)" 5 "(c) ... published in 4 shards and the ARL"
for f in $(cat pubC/crls.txt); do crl_serials "pubC/$f" | sort >"first-$f.txt"; done
is "$(cat first-*.txt | wc -l)" 6 "(c) the first incident's 6 entries across its shards"
start c2.db c.conf misuse bundleC2.pem
revoke c2.db c.conf 3
like "$OUT" "revoked 3 certificates" "(c) the second incident (another database) revokes 3"
for f in $(ls first-*.txt | sed 's/^first-//; s/\.txt$//'); do
	if [ -f "pubC/$f" ]; then
		pass "(c) $f, published by the first incident, still exists"
		missing_entries=$(crl_serials "pubC/$f" | sort | comm -13 - "first-$f.txt")
		is "$missing_entries" "" "(c) ... with every entry it had"
	else
		fail "(c) $f, published by the first incident, is gone"
	fi
done
C1R=$(sql c1.db "SELECT serial FROM cert WHERE revoked_at IS NOT NULL ORDER BY serial")
C2R=$(sql c2.db "SELECT serial FROM cert WHERE revoked_at IS NOT NULL ORDER BY serial")
is "$(echo "$C1R" | wc -l) $(echo "$C2R" | wc -l)" "6 3" "(c) the incidents record 6 and 3 revoked"
is "$(for f in $(cat pubC/crls.txt); do crl_serials "pubC/$f"; done | wc -l)" 9 \
	"(c) the CRLs list both incidents' 9 revocations"

openssl ocsp -index pubC/index.txt -port "$OP" -rsigner certs/ca.pem -rkey certs/ca.key \
	-CA certs/ca.pem -ndays 1 >ocsp.log 2>&1 &
PIDS="$PIDS $!"
ask() { openssl ocsp -issuer certs/ca.pem -serial "0x$1" -url "http://127.0.0.1:$OP" -CAfile certs/ca.pem 2>&1; }
until_ok 100 ask 01 || bail_out "the OCSP responder did not start"
for s in $C1R; do like "$(ask "$s")" "^0x$s: revoked" "(c) OCSP: revoked for $s, of the first incident"; done
for s in $C2R; do like "$(ask "$s")" "^0x$s: revoked" "(c) OCSP: revoked for $s, of the second incident"; done

# ---- (e) an expired, unrevoked certificate -------------------------------------------------
NOW=$(date -u +%s)
EXP=$(sql c1.db "SELECT serial FROM cert WHERE revoked_at IS NULL AND not_after < $NOW ORDER BY serial LIMIT 1")
VAL=$(sql c1.db "SELECT serial FROM cert WHERE revoked_at IS NULL AND not_after >= $NOW ORDER BY serial LIMIT 1")
[ -n "$EXP" ] || bail_out "no expired certificate among wr-mkcerts' leaves"
file_like pubC/index.txt "^V	[0-9]{12}Z		$EXP	" "(e) index.txt keeps the expired, unrevoked $EXP as V (its expiry in the past)"
r=$(ask "$EXP")
like "$r" "^0x$EXP: good" "(e) OCSP answers a definite good for it"
unlike "$r" "No Status found" "(e) ... not 'No Status found'"
like "$(ask "$VAL")" "^0x$VAL: good" "(e) and good for a valid one"
stop_servers

# ---- (d) one shard, one URL: a full CRL --------------------------------------------------
BD1=http://127.0.0.1:$HP/d1/
mkconf d1.conf pubD1 "$BD1" "shards = 1"
for i in 1 2 3 4; do s=$(serial $((100 + i))); mkleaf leavesD1 "$s" "${BD1}shard-0.crl"; done
cat leavesD1/*.pem >batchD1.pem
start d1.db d1.conf misuse batchD1.pem
revoke d1.db d1.conf 2
is "$RC" 0 "(d) shards = 1: revoke exits 0"
is "$(crlinfo pubD1/shard-0.crl | head -1)" "no-idp" "(d) shards = 1: shard-0.crl is a full CRL, without IDP"
verify_all d1.db pubD1 "$BD1" leavesD1

FULL=http://127.0.0.1:$HP/d2/full.crl
mkconf d2.conf pubD2 "$FULL"
for i in 1 2 3 4; do mkleaf leavesD2 "$(serial $((200 + i)))" "$FULL"; done
cat leavesD2/*.pem >batchD2.pem
start d2.db d2.conf misuse batchD2.pem
revoke d2.db d2.conf 2
is "$RC" 0 "(d) crl_url naming one CRL: revoke exits 0"
is "$(cat pubD2/crls.txt 2>/dev/null)" "full.crl
arl.crl" "(d) ... crls.txt names full.crl, the file the URL names"
is "$(crlinfo pubD2/full.crl | head -1)" "no-idp" "(d) ... a full CRL, without IDP"
verify_all d2.db pubD2 "http://127.0.0.1:$HP/d2/" leavesD2
run openssl crl -in pubD2/full.pem -CAfile certs/ca.pem -noout
like "$OUT$ERR" "verify OK" "(d) full.pem is the same CRL, signed by the CA"
mkconf d3.conf pubD3 "$FULL" "shards = 2"
wr d3.db d3.conf init --name "Scope d3" >/dev/null 2>&1
run wr d3.db d3.conf crl
isnt "$RC" 0 "(d) one CRL URL with shards = 2 is refused"
like "$ERR" "crl_url names one CRL.*shards must be 1" "(d) ... saying why"

# ---- (f) the shard count stays until crl --reshard -------------------------------------
mkconf f.conf pubA "$BA" "shards = 3"
s17=$(serial 17)
for i in 17 18 19 20 21 22; do s=$(serial $i); mkleaf leavesF "$s" "${BA}shard-$(mod "$s" 3).crl"; done
cat leavesF/*.pem >batchF.pem
start f.db f.conf misuse batchF.pem
before=$(sha_of pubA/crls.txt)$(sha_of pubA/shard-0.crl)$(sha_of pubA/index.txt)
nrev=$(sql pubA/localca.db "SELECT count(*) FROM revoked")
run wr f.db f.conf crl
isnt "$RC" 0 "(f) crl with shards = 3 on a CA that published 2 shards is refused"
like "$ERR" "shards = 3.* 2 shards" "(f) ... naming both counts"
like "$ERR" "crl --reshard" "(f) ... and the way to change it"
no_control_bytes "$ERR_FILE" "(f) ... in a clean message"
run wr f.db f.conf authorize revoke --limit 6
[ "$RC" = 0 ] || fail "authorizing f.db failed" "$ERR"
run wr f.db f.conf revoke --yes
isnt "$RC" 0 "(f) revoke with that config is refused too"
like "$ERR$OUT" "crl --reshard" "(f) ... with the same message"
is "$(sql pubA/localca.db "SELECT count(*) FROM revoked")" "$nrev" "(f) ... before revoking anything"
is "$(sha_of pubA/crls.txt)$(sha_of pubA/shard-0.crl)$(sha_of pubA/index.txt)" "$before" \
	"(f) ... and nothing was published"

run wr f.db f.conf crl --reshard
is "$RC" 0 "(f) crl --reshard exits 0"
like "$OUT" "re-sharded from 2 to 3 shards" "(f) ... re-sharded from 2 to 3"
is "$(cat pubA/crls.txt)" "shard-0.crl
shard-1.crl
shard-2.crl
arl.crl" "(f) crls.txt names 3 shards and the ARL"
run wr f.db f.conf log --json
like "$OUT" '"reshard_from": *2' "(f) the audit trail records the re-shard"
# Every entry already published stays on its shard: (a)'s certificates
# still name serial mod 2, (b)'s the ARL.
verify_all a.db pubA "$BA" leavesA1 leavesA2
run openssl verify -crl_check -CAfile certs/ca.pem -CRLfile pubA/arl.crl sub.pem
like "$OUT$ERR" "certificate revoked" "(f) the sub-CA is still revoked on the ARL"
# New revocations take the new count (certificates issued naming mod 3).
run wr f.db f.conf revoke --yes
is "$RC" 0 "(f) revoking after the re-shard exits 0"
like "$OUT" "revoked 6 certificates" "(f) ... 6 revoked"
verify_all f.db pubA "$BA" leavesF
verify_all a.db pubA "$BA" leavesA1 leavesA2
run wr f.db f.conf crl
is "$RC" 0 "(f) with the new count recorded, shards = 3 publishes without --reshard"

# Entries without a shard of their own (certificates without CDP, (c)):
# pinned to serial mod 4 by the re-shard to 5, new ones by mod 5
# (certificates whose CDP names no shard of this CA's URL).
mkconf f2.conf pubC "$BC" "shards = 5"
for i in 31 32 33 34 35 36; do mkleaf leavesF2 "$(serial $i)" "http://127.0.0.1:$HP/elsewhere/ca.crl"; done
cat leavesF2/*.pem >batchF2.pem
start f2.db f2.conf misuse batchF2.pem
run wr f2.db f2.conf crl --reshard
is "$RC" 0 "(f) crl --reshard from 4 to 5 on the CA of (c)"
like "$OUT" "re-sharded from 4 to 5 shards: the 9 entries already published stay on their shards" \
	"(f) ... the 9 entries of (c) stay where they were"
for s in $C1R $C2R; do
	k=$(mod "$s" 4)
	like "$(crl_serials pubC/shard-$k.crl)" "^$s\$" "(f) $s stays on shard-$k.crl (serial mod 4)"
done
revoke f2.db f2.conf 4
like "$OUT" "revoked 4 certificates" "(f) 4 more revoked after the re-shard"
for s in $(sql f2.db "SELECT serial FROM cert WHERE revoked_at IS NOT NULL"); do
	k=$(mod "$s" 5)
	like "$(crl_serials pubC/shard-$k.crl)" "^$s\$" "(f) the new revocation $s is on shard-$k.crl (serial mod 5)"
done

stop_servers
done_testing
