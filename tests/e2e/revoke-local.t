#!/bin/sh
# revoke-local.t: the local test CA end to end, with the real commands and
# real OpenSSL peers on 127.0.0.1. A CA and 12 certificates (wr-mkcerts);
# init, import, declare, authorize, revoke with [revocation] backend =
# local; then `openssl crl` verifies every shard against the CA and lists
# each revoked serial, in the shard serial mod 3, with the reason the BRs
# give (privilegeWithdrawn for misuse, which `openssl ca` cannot write;
# none for subscriber-request; keyCompromise when proven later, through
# "already revoked"); a real `openssl ocsp -index` responder answers
# revoked and good from the index.txt warroom wrote; `warroom verify`
# proves it; `warroom crl` reissues (a new CRL number, an audit event,
# --out elsewhere); and bad [local] settings fail with clear messages.
. "$(dirname "$0")/lib.sh"
no_plan

# Nothing may leave 127.0.0.1, not even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

needs openssl python3 sqlite3
[ -x "$WR_TOOLS/wr-mkcerts" ] || { echo "Bail out! no $WR_TOOLS/wr-mkcerts (make all builds it)"; exit 1; }

sql() { sqlite3 "$1" "$2"; }
shard_of() { python3 -c "import sys; print(int(sys.argv[1], 16) % int(sys.argv[2]))" "$1" "$2"; }
# crl_verifies FILE: the DER CRL's signature verifies against the test CA.
crl_verifies() { openssl crl -in "$1" -inform DER -CAfile certs/ca.pem -noout 2>&1 | grep -q '^verify OK'; }

HP=$(free_port)
OP=$(free_port)
"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 0 --seed 11 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
mkconf() { # FILE OUT_DIR [EXTRA LINE]
	cat >"$1" <<EOF
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = $2
shard_entries = 5
crl_url = http://127.0.0.1:$HP/
ocsp_url = http://127.0.0.1:$OP
${3:-}
EOF
}
mkconf warroom.conf pub
DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
W() { "$WARROOM" --db "$WORK/wr.db" --config "$WORK/warroom.conf" "$@"; }
W init --name "Local CA exercise" >/dev/null 2>&1 || bail_out "init failed"
W import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
W declare --reason misuse --discovered "$DISC" >/dev/null 2>&1 || bail_out "declare failed"

# ---- before any revocation ----------------------------------------------------------
run W crl
is "$RC" 0 "crl before any revocation exits 0"
like "$OUT" "3 shards, 0 entries" "12 certificates, shard_entries 5: 3 shards, empty"
ok "an empty shard verifies" crl_verifies pub/shard-0.crl
is "$(grep -c '^V	' pub/index.txt)" 12 "index.txt lists the 12 certificates as valid"

# ---- revoke 8 of 12 for misuse -------------------------------------------------------
W authorize revoke --limit 8 >/dev/null 2>&1 || bail_out "authorize failed"
run W revoke --yes
is "$RC" 0 "revoke through the local backend exits 0"
like "$OUT" "revoked 8 certificates" "8 revoked"
like "$OUT" "0 failed" "none failed"
# The batch's update counts its rows itself, its trigger off (revoke.c).
is "$(sql wr.db "SELECT n FROM counter WHERE name = 'revoked'") $(sql wr.db "SELECT count(*) FROM cert WHERE revoked_at IS NOT NULL")" "8 8" \
	"the revoked counter is the count of revoked rows"

is "$(cat pub/crls.txt)" "shard-0.crl
shard-1.crl
shard-2.crl
arl.crl" "crls.txt names the 3 DER shards and the ARL (CA certificates)"
for k in 0 1 2; do
	ok "shard-$k.crl (DER) verifies against the CA" crl_verifies pub/shard-$k.crl
	run openssl crl -in pub/shard-$k.pem -CAfile certs/ca.pem -noout
	like "$ERR$OUT" "verify OK" "shard-$k.pem verifies too"
	openssl crl -in pub/shard-$k.crl -inform DER -noout -text >shard-$k.txt 2>&1
	file_like shard-$k.txt "Issuing Distribution Point: critical" "shard $k: a critical IDP"
	file_like shard-$k.txt "URI:http://127.0.0.1:$HP/shard-$k.crl" "shard $k: the IDP names its URL"
	file_like shard-$k.txt "Only User Certificates" "shard $k: onlyContainsUserCerts"
	file_like shard-$k.txt "CRL Number" "shard $k: a CRL number"
	file_like shard-$k.txt "Authority Key Identifier" "shard $k: an AKI"
done

REVOKED=$(sql wr.db "SELECT serial FROM cert WHERE revoked_at IS NOT NULL ORDER BY serial")
VALID=$(sql wr.db "SELECT serial FROM cert WHERE revoked_at IS NULL ORDER BY serial")
is "$(echo "$REVOKED" | wc -l)" 8 "the incident records 8 revoked"
for s in $REVOKED; do
	k=$(shard_of "$s" 3)
	# The serial and, within its entry, the reason.
	entry=$(sed -n "/Serial Number: $s\$/,/Serial Number:/p" shard-$k.txt)
	like "$entry" "Serial Number: $s" "$s is listed in shard-$k.crl (serial mod 3)"
	like "$entry" "Privilege Withdrawn" "$s: reason privilegeWithdrawn (misuse, BR 7.2.2)"
	file_like pub/index.txt "^R	[0-9]{12}Z	[0-9]{12}Z	$s	unknown	/" \
		"$s: index.txt R, without a reason OpenSSL 3.0 would refuse"
done
for s in $VALID; do
	k=$(shard_of "$s" 3)
	file_unlike shard-$k.txt "Serial Number: $s\$" "$s (not revoked) is not listed"
	file_like pub/index.txt "^V	[0-9]{12}Z		$s	unknown	/" "$s: index.txt V"
done
is "$(cat shard-0.txt shard-1.txt shard-2.txt | grep -c 'Privilege Withdrawn')" 8 \
	"8 entries in all, each privilegeWithdrawn"
is "$(awk -F'\t' 'NF != 6' pub/index.txt | wc -l)" 0 "index.txt: six TAB-separated fields a line"

# ---- OCSP from index.txt, and verify ------------------------------------------------
R1=$(echo "$REVOKED" | head -1)
V1=$(echo "$VALID" | head -1)
openssl ocsp -index pub/index.txt -port "$OP" -rsigner certs/ca.pem -rkey certs/ca.key \
	-CA certs/ca.pem -ndays 1 >ocsp.log 2>&1 &
PIDS="$PIDS $!"
python3 -m http.server --bind 127.0.0.1 --directory pub "$HP" >http.log 2>&1 &
PIDS="$PIDS $!"
until_ok 100 openssl ocsp -issuer certs/ca.pem -serial "0x$V1" -url "http://127.0.0.1:$OP" \
	-CAfile certs/ca.pem || bail_out "the OCSP responder did not start"
until_ok 100 python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HP/crls.txt')" ||
	bail_out "http.server did not start"

run openssl ocsp -issuer certs/ca.pem -serial "0x$R1" -url "http://127.0.0.1:$OP" -CAfile certs/ca.pem
like "$OUT" "^0x$R1: revoked" "openssl ocsp -index answers revoked for $R1"
like "$ERR$OUT" "Response verify OK" "... in a response signed by the CA"
run openssl ocsp -issuer certs/ca.pem -serial "0x$V1" -url "http://127.0.0.1:$OP" -CAfile certs/ca.pem
like "$OUT" "^0x$V1: good" "... and good for $V1, not revoked"

run W verify
is "$RC" 0 "warroom verify proves the publication (CRLs from crl_url, OCSP)"

# ---- crl reissues ---------------------------------------------------------------------
before=$(sha_of pub/shard-0.crl)
run W crl
is "$RC" 0 "crl reissues"
like "$OUT" "3 shards, 8 entries" "... the same 8 entries in 3 shards"
like "$OUT" "CRL number 3" "... under the next CRL number"
isnt "$(sha_of pub/shard-0.crl)" "$before" "shard-0.crl was rewritten"
ok "... and still verifies" crl_verifies pub/shard-0.crl
openssl crl -in pub/shard-0.crl -inform DER -noout -text >reissued.txt 2>&1
file_like reissued.txt "Next Update: " "a nextUpdate"
nu=$(openssl crl -in pub/shard-0.crl -inform DER -noout -nextupdate | sed 's/^nextUpdate=//')
lu=$(openssl crl -in pub/shard-0.crl -inform DER -noout -lastupdate | sed 's/^lastUpdate=//')
days=$(( ($(date -u -d "$nu" +%s) - $(date -u -d "$lu" +%s)) / 86400 ))
is "$days" 7 "nextUpdate is 7 days after thisUpdate (crl_days default; BR limit 10)"
run W log --json
last_crl() { # the newest "crl" event's detail $1
	perl -MJSON::PP -e 'local $/; my ($e) = grep { $_->{action} eq "crl" } reverse
		@{decode_json(<STDIN>)}; print $e ? $e->{details}{$ARGV[0]} : "none"' "$1" <"$OUT_FILE"
}
is "$(last_crl entries)" 8 "crl records an audit event with the entries"
is "$(last_crl shards)" 3 "... the shards"
is "$(last_crl crl_number)" 3 "... and the CRL number"
run W audit verify
is "$RC" 0 "the audit chain holds"

run W crl --out "$WORK/elsewhere"
is "$RC" 0 "crl --out DIR"
ok "... writes the shards there" crl_verifies elsewhere/shard-2.crl
ok "... and index.txt" test -s elsewhere/index.txt
ok "... but the CA's record stays in out_dir" test ! -e elsewhere/localca.db
ls -a pub | grep -q '^\.shard\|^\.index\|^\.crls' && fail "temporary files left in pub" ||
	pass "no temporary files left in pub"

# ---- a spilled publication ([local] spill_above) -------------------------------------
# Past spill_above revocations, a publication reads them back shard by
# shard from temporary files: the same entries, the same index.txt.
mkconf spill.conf pub "spill_above = 0"
WS() { "$WARROOM" --db "$WORK/wr.db" --config "$WORK/spill.conf" "$@"; }
WS policy pin >/dev/null 2>&1 || bail_out "pinning spill.conf failed"
run WS crl --out "$WORK/spilled"
is "$RC" 0 "crl with spill_above = 0 exits 0"
like "$OUT" "3 shards, 8 entries" "... the same 8 entries in 3 shards"
like "$OUT" "a shard at a time from temporary files" "... read back a shard at a time"
entries() { # DIR K: shard K's entries as openssl lists them
	openssl crl -in "$1/shard-$2.crl" -inform DER -noout -text |
		sed -n '/Revoked Certificates/,/Signature Algorithm/p'
}
for k in 0 1 2; do
	ok "spilled shard-$k.crl verifies against the CA" crl_verifies spilled/shard-$k.crl
	is "$(entries spilled $k)" "$(entries elsewhere $k)" "... and lists what the one built in memory does"
done
is "$(sort spilled/index.txt)" "$(sort elsewhere/index.txt)" "index.txt: the same lines"
run openssl ocsp -index spilled/index.txt -rsigner certs/ca.pem -rkey certs/ca.key -CA certs/ca.pem \
	-issuer certs/ca.pem -serial "0x$R1" -CAfile certs/ca.pem -resp_text
like "$OUT" "Cert Status: revoked" "openssl ocsp -index on it answers revoked for $R1"
run openssl ocsp -index spilled/index.txt -rsigner certs/ca.pem -rkey certs/ca.key -CA certs/ca.pem \
	-issuer certs/ca.pem -serial "0x$V1" -CAfile certs/ca.pem -resp_text
like "$OUT" "Cert Status: good" "... and good for $V1"
is "$(ls -A spilled pub | grep -v '^\.publish\.lock$' | grep -c '^\.')" 0 "no temporary file left in either directory (the lock apart)"
W policy pin >/dev/null 2>&1 || bail_out "pinning warroom.conf again failed"

run W crl stray
is "$RC" 2 "crl with a stray argument exits 2"

# ---- subscriber-request: no reason; key compromise later: keyCompromise ----------------
mkconf two.conf pub2
W2() { "$WARROOM" --db "$WORK/two.db" --config "$WORK/two.conf" "$@"; }
W2 init --name "Subscriber requests" >/dev/null 2>&1 || bail_out "init 2 failed"
W2 import certs/bundle.pem >/dev/null 2>&1
W2 declare --reason subscriber-request --discovered "$DISC" >/dev/null 2>&1
W2 authorize revoke >/dev/null 2>&1
# An UPDATE trigger the schema does not ship (a CA's own, by hand): the
# batch's update leaves the triggers on, and it fires for every row.
sql two.db "CREATE TABLE seen(n INTEGER); INSERT INTO seen VALUES (0);
	CREATE TRIGGER seen_state AFTER UPDATE OF state ON cert BEGIN UPDATE seen SET n = n + 1; END;"
run W2 revoke --yes
like "$OUT" "revoked 12 certificates" "second incident: 12 revoked for subscriber-request"
is "$(sql two.db "SELECT n FROM seen") $(sql two.db "SELECT n FROM counter WHERE name = 'revoked'")" "12 12" \
	"a trigger of the CA's own fires for each row, and the counter still counts 12"
cat pub2/shard-0.crl >/dev/null 2>&1 || fail "no shard in pub2"
for k in 0 1 2; do
	openssl crl -in pub2/shard-$k.crl -inform DER -noout -text >two-$k.txt 2>&1
done
is "$(cat two-0.txt two-1.txt two-2.txt | grep -c 'Serial Number:')" 12 "12 entries across the shards"
is "$(cat two-0.txt two-1.txt two-2.txt | grep -c 'CRL Reason Code')" 0 \
	"subscriber-request: no reasonCode extension at all (unspecified, omitted)"
is "$(grep -c '^R	[0-9]*Z	[0-9]*Z	' pub2/index.txt)" 12 "index.txt: 12 R without a reason"
first=$(openssl crl -in pub2/shard-0.crl -inform DER -noout -text | grep -m1 'Revocation Date')

# The same CA record (pub2), another incident: key compromise proven later.
W3() { "$WARROOM" --db "$WORK/three.db" --config "$WORK/two.conf" "$@"; }
W3 init --name "Key compromise" >/dev/null 2>&1 || bail_out "init 3 failed"
W3 import certs/bundle.pem >/dev/null 2>&1
W3 declare --reason key-compromise --discovered "$DISC" >/dev/null 2>&1
W3 authorize revoke >/dev/null 2>&1
sleep 1
run W3 revoke --yes
is "$RC" 0 "revoking again through the same CA exits 0"
like "$OUT" "12 already revoked" "the CA answers already revoked for all 12"
openssl crl -in pub2/shard-0.crl -inform DER -noout -text >three-0.txt 2>&1
file_like three-0.txt "Key Compromise" "the reason became keyCompromise (BR 4.9.1.1)"
is "$(grep -m1 'Revocation Date' three-0.txt)" "$first" "the first revocation date stands"
file_like pub2/index.txt "^R	[0-9]{12}Z	[0-9]{12}Z,keyCompromise	" "index.txt carries keyCompromise"

# ---- settings ----------------------------------------------------------------------------
# [local] is policy: each config below is pinned (no [users]: anyone is
# Management) before crl judges its settings; policy-pin.t has the refusal.
pin() { "$WARROOM" --db "$WORK/wr.db" --config "$1" policy pin >/dev/null 2>&1 || bail_out "pin $1 failed"; }
mkconf bad.conf pub3 "crl_days = 11"
pin "$WORK/bad.conf"
run "$WARROOM" --db "$WORK/wr.db" --config "$WORK/bad.conf" crl
isnt "$RC" 0 "crl_days = 11 is refused"
like "$ERR" "crl_days" "... naming crl_days"
like "$ERR" "10 days|4\\.9\\.7" "... and the BR limit"

openssl ecparam -name prime256v1 -genkey -noout -out other.key 2>/dev/null
sed 's|^ca_key = .*|ca_key = other.key|' warroom.conf >mismatch.conf
pin "$WORK/mismatch.conf"
run "$WARROOM" --db "$WORK/wr.db" --config "$WORK/mismatch.conf" crl
isnt "$RC" 0 "a key that is not the CA's is refused"
like "$ERR" "ca_key .*other.key.* does not match" "... naming both files"

sed 's|^ca_cert = .*|ca_cert = nowhere.pem|' warroom.conf >missing.conf
pin "$WORK/missing.conf"
run "$WARROOM" --db "$WORK/wr.db" --config "$WORK/missing.conf" crl
isnt "$RC" 0 "a missing ca_cert is refused"
like "$ERR" "\\[local\\] ca_cert .*nowhere.pem" "... naming the setting and the file"
no_control_bytes "$ERR_FILE" "... in a clean message"

needs_root
{ cat warroom.conf; printf '[users]\nroot = management\ncarol = customer-relations\nbob = revocation\n'; } >teams.conf
# The incident pinned missing.conf's policy: Management pins the new one.
run env WARROOM_USER=carol "$WARROOM" --db "$WORK/wr.db" --config "$WORK/teams.conf" crl
is "$RC" 1 "a config with another policy is refused until it is pinned"
like "$ERR" "differs from the one pinned" "... saying so"
run env WARROOM_USER=root "$WARROOM" --db "$WORK/wr.db" --config "$WORK/teams.conf" policy pin
is "$RC" 0 "Management pins the policy with [users]"
run env WARROOM_USER=carol "$WARROOM" --db "$WORK/wr.db" --config "$WORK/teams.conf" crl
is "$RC" 1 "crl needs the revocation team"
like "$ERR" "revocation" "... and says which"
run env WARROOM_USER=bob "$WARROOM" --db "$WORK/wr.db" --config "$WORK/teams.conf" crl
is "$RC" 0 "a member of the revocation team may reissue"

stop_servers
done_testing
