#!/bin/sh
# crl-forecast.t: `crl --forecast` says what a wave does to the CRLs relying
# parties download, before it runs, and changes nothing. A local CA with 2
# shards and two waves: the first is revoked, then the forecast of the next
# (plain, and --wave NAME) is compared with what revoking it really
# publishes: each CRL's entries exactly, its DER size within the tolerance
# of the ECDSA signature (wr-mkcerts makes a P-256 CA, whose DER signature
# is 70 to 72 bytes, rarely shorter: 4 bytes a CRL; an RSA CA's forecast is
# exact). [local] fetches_per_hour gives the download volume an hour.
. "$(dirname "$0")/lib.sh"
no_plan

needs openssl sqlite3
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

"$WR_TOOLS/wr-mkcerts" --out certs --count 40 --format pem --expired-percent 0 --customers 3 \
	--seed 8405 >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
cat >warroom.conf <<EOF2
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
shards = 2
fetches_per_hour = 1000
EOF2
export WARROOM_NOW=2026-11-25T08:00:00Z
W() { "$WARROOM" --db "$DB" --config "$WORK/warroom.conf" "$@"; }
W init --name "Forecast" >/dev/null 2>&1 || bail_out "init failed"
W import --customers certs/customers.csv certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
W declare --reason misissued --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 || bail_out "declare failed"
W authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
customers=$(sqlite3 "$DB" "SELECT customer FROM cert GROUP BY customer ORDER BY customer")
C1=$(printf '%s\n' "$customers" | sed -n 1p)
C2=$(printf '%s\n' "$customers" | sed -n 2p)
N2=$(sqlite3 "$DB" "SELECT count(*) FROM cert WHERE customer = '$C2'")
W wave add --customer "$C1" first >/dev/null 2>&1 || bail_out "wave add first failed"
W wave add --customer "$C2" second >/dev/null 2>&1 || bail_out "wave add second failed"

# Entries and DER size of one published CRL.
entries_of() { openssl crl -in "$1" -inform DER -noout -text | grep -c "Serial Number"; }
size_of() { stat -c %s "$1" 2>/dev/null || wc -c <"$1" | tr -d ' '; }
# Every published file with its checksum, the CA's record as SQL (its
# file changes with a checkpoint, its content must not), and the audit
# trail's length.
state() {
	(cd pub && for f in *; do case $f in localca.db*) ;; *) cksum "$f" ;; esac; done)
	sqlite3 pub/localca.db .dump | cksum
	sqlite3 "$DB" "SELECT count(*) FROM event"
}
TOL=4

# ---- the first wave, then the forecast of the second ----------------------------------------
run W revoke --yes
is "$RC" 0 "revoke: the first wave runs"
before=$(state)
run W crl --forecast --json
is "$RC" 0 "crl --forecast --json"
cp "$OUT_FILE" forecast.json
json_valid forecast.json && pass "... is JSON" || fail "... is JSON" "$OUT"
is "$(json_get forecast.json 0.file) $(json_get forecast.json 1.file) $(json_get forecast.json 2.file)" \
	"shard-0.crl shard-1.crl arl.crl" "... one object per CRL: the 2 shards, then the ARL"
json_get forecast.json 3 >/dev/null 2>&1 && fail "... and no other" || pass "... and no other"
is "$(state)" "$before" "a forecast writes no file and no event"
run W crl --forecast --wave second --json
entries() { for _i in 0 1 2; do json_get "$1" $_i.entries_now; json_get "$1" $_i.entries_after; done; }
# (Sizes may differ by a byte or two: each forecast signs afresh.)
is "$(entries "$OUT_FILE")" "$(entries forecast.json)" "--wave second: the wave a plain revoke runs next"

sum_now=0 sum_after=0
for i in 0 1 2; do
	f=$(json_get forecast.json $i.file)
	en=$(json_get forecast.json $i.entries_now) bn=$(json_get forecast.json $i.bytes_now)
	d=$(( $(size_of "pub/$f") - bn )); d=${d#-}
	is "$en" "$(entries_of "pub/$f")" "$f now: entries as published"
	ok "$f now: $bn bytes, the published size within $TOL bytes (off by $d)" [ "$d" -le "$TOL" ]
	is "$(json_get forecast.json $i.fetch_bytes_per_hour_now)" "$((bn * 1000))" \
		"$f now: fetches_per_hour 1000 x $bn bytes"
	sum_now=$((sum_now + en))
	sum_after=$((sum_after + $(json_get forecast.json $i.entries_after)))
done
is "$((sum_after - sum_now))" "$N2" "after: the second wave's $N2 certificates are added"

run W crl --forecast
is "$RC" 0 "crl --forecast: the table"
like "$OUT" "wave second" "... names the wave"
like "$OUT" "shard-1\.crl" "... has a row per CRL"
like "$OUT" "total +$sum_now " "... and a total row"
like "$OUT" "FETCH/H" "... with the download volume at fetches_per_hour"
run W crl --wave second
is "$RC" 2 "--wave without --forecast is refused (exit 2)"
run W crl --forecast --wave nosuch
isnt "$RC" 0 "an unknown wave is refused"

# ---- the real thing ---------------------------------------------------------------------------
run W revoke --yes
is "$RC" 0 "revoke: the second wave runs"
run W crl
is "$RC" 0 "crl: published"
for i in 0 1 2; do
	f=$(json_get forecast.json $i.file)
	ea=$(json_get forecast.json $i.entries_after) ba=$(json_get forecast.json $i.bytes_after)
	d=$(( $(size_of "pub/$f") - ba )); d=${d#-}
	is "$ea" "$(entries_of "pub/$f")" "$f after: the forecast's $ea entries are published"
	ok "$f after: $ba bytes, the published size within $TOL bytes (off by $d)" [ "$d" -le "$TOL" ]
	is "$(json_get forecast.json $i.fetch_bytes_per_hour_after)" "$((ba * 1000))" \
		"$f after: fetches_per_hour 1000 x $ba bytes"
done
done_testing
