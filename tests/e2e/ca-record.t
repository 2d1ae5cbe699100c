#!/bin/sh
# ca-record.t: the local CA's record (out_dir/localca.db) across versions
# and incidents. A version-2 record, as the previous warroom wrote it
# (revocations keyed by serial), already holds three of the incident's
# certificates and one serial of no incident: revoke upgrades it to
# version 3 (revocations in order of arrival, found by serial in memory),
# answers "already revoked" for the three with their first date, and
# every revocation lands once on the CRLs (`openssl crl` counts them).
# Then two incidents on the same CA revoke at the same time, each
# learning the other's revocations as it goes: every serial once, every
# certificate revoked in both, and `openssl verify -crl_check` agrees.
. "$(dirname "$0")/lib.sh"
no_plan
needs openssl python3 sqlite3
[ -x "$WR_TOOLS/wr-mkcerts" ] || { echo "Bail out! no $WR_TOOLS/wr-mkcerts (make all builds it)"; exit 1; }

"$WR_TOOLS/wr-mkcerts" --out certs --count 40 --format pem --expired-percent 0 --seed 7 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
cat >warroom.conf <<EOF
[revocation]
backend = local
batch = 7
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
shards = 2
crl_url = http://127.0.0.1:9/
EOF
DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
W() { db=$1; shift; "$WARROOM" --db "$WORK/$db" --config "$WORK/warroom.conf" "$@"; }
W a.db init --name "Incident A" >/dev/null 2>&1 || bail_out "init failed"
W a.db import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
W a.db declare --reason misuse --discovered "$DISC" >/dev/null 2>&1 || bail_out "declare failed"
serials=$(sqlite3 a.db "SELECT serial FROM cert ORDER BY id")
first3=$(printf '%s\n' "$serials" | head -n 3)

# ---- a version-2 record, written as the previous warroom wrote it -----------------
mkdir -p pub
sqlite3 pub/localca.db <<'EOF' || bail_out "cannot write the version-2 record"
PRAGMA journal_mode = WAL;
CREATE TABLE revoked (serial TEXT PRIMARY KEY, revoked_at INTEGER NOT NULL, reason INTEGER) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('crl_number', 4), ('shards', 2);
ALTER TABLE revoked ADD COLUMN shard INTEGER;
CREATE TABLE issued (serial TEXT PRIMARY KEY, not_after INTEGER NOT NULL, subject TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE source (incident TEXT PRIMARY KEY, created INTEGER NOT NULL, last_cert INTEGER NOT NULL) WITHOUT ROWID;
PRAGMA user_version = 2;
EOF
for s in $first3; do
	sqlite3 pub/localca.db "INSERT INTO revoked(serial, revoked_at, reason) VALUES ('$s', 1767225600, 1)"
done
# A serial the CA revoked for an incident this database never saw.
sqlite3 pub/localca.db "INSERT INTO revoked(serial, revoked_at, reason) VALUES ('0ABCDEF012345678', 1735689600, 4)"

W a.db authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
run W a.db revoke --yes
is "$RC" 0 "revoke into a version-2 record exits 0"
like "$OUT" "revoked 37 certificates \\(3 already revoked, 0 failed\\)" \
	"37 revoked now, the 3 of the old record answered 'already revoked'"
like "$OUT" "time: reading [0-9.]+ s, backend [0-9.]+ s, recording [0-9.]+ s, publishing [0-9.]+ s" \
	"... and it says where the time went"
is "$(sqlite3 pub/localca.db 'PRAGMA user_version')" 3 "the record is now version 3"
is "$(sqlite3 pub/localca.db 'SELECT count(*) FROM revoked')" 41 "it holds 41 revocations: 40 and the foreign one"
is "$(sqlite3 pub/localca.db 'SELECT count(DISTINCT serial) FROM revoked')" 41 "... each serial once"
is "$(sqlite3 a.db "SELECT count(*) FROM cert WHERE state = 'revoked'")" 40 "the incident records all 40 revoked"
for s in $first3; do
	is "$(sqlite3 a.db "SELECT revoked_at FROM cert WHERE serial = '$s'")" 1767225600 \
		"$s keeps the record's first date"
done

# Every revocation on the CRLs once, as openssl reads them.
crl_serials() {
	for k in 0 1; do
		openssl crl -in pub/shard-$k.crl -inform DER -noout -text 2>/dev/null |
			sed -n 's/^ *Serial Number: *//p'
	done
}
crl_serials >on-crl.txt
is "$(wc -l <on-crl.txt)" 41 "openssl crl lists 41 entries over the two shards"
is "$(sort on-crl.txt | uniq -d | wc -l)" 0 "... none twice"
ok "... the foreign serial among them" grep -qx 0ABCDEF012345678 on-crl.txt
openssl crl -in pub/shard-0.crl -inform DER -noout -text >s0.txt 2>/dev/null
openssl crl -in pub/shard-1.crl -inform DER -noout -text >s1.txt 2>/dev/null
s1=$(printf '%s\n' "$first3" | head -n 1)
ok "$s1 is listed with its first date (1 Jan 2026)" \
	sh -c "grep -A1 -x '    Serial Number: $s1' s0.txt s1.txt | grep -q 'Jan  1 00:00:00 2026'"
is "$(sqlite3 pub/localca.db "SELECT value FROM meta WHERE key = 'crl_number'")" 5 \
	"the CRL number goes on from the old record's"

# ---- two incidents on one CA, revoking at the same time -----------------------------
# The same 40 certificates in two incidents, on a fresh record: each serial
# is revoked once, by whichever run comes first, and "already" for the other.
# One shard: a full CRL, which covers these leaves (they name no CDP).
sed -e 's|^out_dir = pub$|out_dir = pub2|' -e 's|^shards = 2$|shards = 1|' warroom.conf >two.conf
W() { db=$1; shift; "$WARROOM" --db "$WORK/$db" --config "$WORK/two.conf" "$@"; }
for db in b.db c.db; do
	W $db init --name "Incident $db" >/dev/null 2>&1 || bail_out "init $db failed"
	W $db import certs/bundle.pem >/dev/null 2>&1 || bail_out "import $db failed"
	W $db declare --reason misuse --discovered "$DISC" >/dev/null 2>&1 || bail_out "declare $db failed"
	W $db authorize revoke >/dev/null 2>&1 || bail_out "authorize $db failed"
done
n=$(sqlite3 b.db "SELECT count(*) FROM cert")
W b.db revoke --yes --batch 5 >b.out 2>&1 &
pb=$!
W c.db revoke --yes --batch 5 >c.out 2>&1 &
pc=$!
wait $pb
rb=$?
wait $pc
rc=$?
is "$rb.$rc" "0.0" "two incidents revoke on one CA at once, both exit 0"
got=$(sed -n 's/^revoked \([0-9]*\) certificates (\([0-9]*\) already.*/\1 \2/p' b.out c.out)
total=$(printf '%s\n' "$got" | awk '{ s += $1 + $2 } END { print s }')
is "$total" $((2 * n)) "between them, every certificate answered in both incidents (revoked or already)"
fresh=$(printf '%s\n' "$got" | awk '{ s += $1 } END { print s }')
is "$fresh" "$n" "... each newly revoked by one run only: the other learnt it from the record"
is "$(sqlite3 b.db "SELECT count(*) FROM cert WHERE state = 'revoked'")" "$n" "incident B: all $n revoked"
is "$(sqlite3 c.db "SELECT count(*) FROM cert WHERE state = 'revoked'")" "$n" "incident C: all $n revoked"
dups=$(sqlite3 pub2/localca.db 'SELECT count(*) - count(DISTINCT serial) FROM revoked')
is "$dups" 0 "the record holds each serial once"
mismatch=$(sqlite3 b.db "ATTACH 'c.db' AS c; SELECT count(*) FROM cert b JOIN c.cert c USING (serial)
	WHERE b.revoked_at <> c.revoked_at")
is "$mismatch" 0 "... and both incidents carry the CA's one date for each"

# A relying party's check: a certificate of incident C is revoked on the full CRL.
W c.db crl >/dev/null 2>&1
last=$(sqlite3 c.db "SELECT serial FROM cert ORDER BY id DESC LIMIT 1")
sqlite3 c.db "SELECT hex(der) FROM cert_der JOIN cert ON cert.id = cert_id WHERE serial = '$last'" |
	xxd -r -p >leaf.der
openssl x509 -inform DER -in leaf.der -out leaf.pem 2>/dev/null
openssl crl -in pub2/$(head -n 1 pub2/crls.txt) -inform DER -out crl.pem 2>/dev/null
run openssl verify -crl_check -CAfile certs/ca.pem -CRLfile crl.pem leaf.pem
like "$OUT$ERR" "certificate revoked" "openssl verify -crl_check: the last certificate of C is revoked"

done_testing
