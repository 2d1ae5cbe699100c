#!/bin/sh
# cli-import.t: import of certificates (one PEM, a PEM bundle, DER, a
# directory tree of PEM and DER, a PEM with its key) with the fields read
# back by certs / certs --json; duplicates (same bundle twice, same
# certificate as PEM and DER) adding no row; every bad input (truncated
# PEM, garbage DER, bytes that are neither, a private key, a CSR, an empty
# file, a missing path) named with its reason on stderr, exit 1, and the
# good certificates of the same import still imported; the customers CSV
# (bad rows named FILE:LINE, exit 1, and then nothing of it applied; the
# same rows without the bad ones applied).
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
W init --name "Import test" >/dev/null 2>&1 || bail_out "init failed"

affected() { # DB: counts.affected
	"$WARROOM" --db "$1" status --json >"$WORK/.st" 2>/dev/null
	json_get "$WORK/.st" counts.affected
}
serials() { # DB [certs options]: the serials, sorted, space-separated
	_db=$1
	shift
	"$WARROOM" --db "$_db" certs --json "$@" 2>/dev/null >"$WORK/.certs"
	perl -MJSON::PP -e 'local $/; print join(" ", sort map { $_->{serial} } @{decode_json(<STDIN>)}), "\n"' <"$WORK/.certs"
}
iso() { # CERT -startdate|-enddate: RFC 3339
	openssl x509 -in "$1" -noout "$2" -dateopt iso_8601 | sed 's/^[^=]*=//; s/ /T/'
}

# ---- one PEM -------------------------------------------------------------------
run W import "$FX/leaf1.pem"
is "$RC" 0 "import of one PEM exits 0"
like "$OUT" '1 added' "the summary says 1 added"
like "$OUT" '0 files? rejected' "the summary says 0 rejected"
is "$ERR" "" "nothing on stderr"
is "$(affected "$DB")" 1 "1 certificate affected"
run W certs --json
is "$RC" 0 "certs --json exits 0"
ok "certs --json is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" 0.serial)" "1001" "serial in upper-case hex"
is "$(json_get "$OUT_FILE" 0.subject)" "CN=leaf1.example" "subject"
is "$(json_get "$OUT_FILE" 0.issuer)" "CN=warroom e2e test CA" "issuer"
is "$(json_get "$OUT_FILE" 0.sans)" "leaf1.example" "SANs"
is "$(json_get "$OUT_FILE" 0.not_before)" "$(iso "$FX/leaf1.pem" -startdate)" "not_before as openssl reads it"
is "$(json_get "$OUT_FILE" 0.not_after)" "$(iso "$FX/leaf1.pem" -enddate)" "not_after as openssl reads it"
is "$(json_get "$OUT_FILE" 0.state)" "pending" "state pending"
is "$(json_get "$OUT_FILE" 0.customer)" "null" "no customer yet"
want=$(openssl x509 -in "$FX/leaf1.pem" -outform DER | perl -MDigest::SHA=sha256_hex -e 'local $/; binmode STDIN; print sha256_hex(<STDIN>)')
is "$(json_get "$OUT_FILE" 0.sha256)" "$want" "sha256 is the DER's"
run W certs
is "$RC" 0 "certs exits 0"
like "$OUT" '^SERIAL ' "certs prints a header"
like "$OUT" '^1001 +pending .*CN=leaf1\.example' "certs lists 1001 pending with its subject"

# ---- DER, a bundle, duplicates -------------------------------------------------------------
run W import "$FX/leaf4.der"
is "$RC" 0 "import of one DER exits 0"
like "$OUT" '1 added' "DER: 1 added"
run W import "$FX/bundle.pem"
is "$RC" 0 "import of a bundle exits 0"
like "$OUT" 'imported 3 certificates' "bundle: 3 certificates read"
like "$OUT" '2 added' "bundle: 2 added (leaf1 was there)"
like "$OUT" '1 already present' "bundle: 1 already present"
is "$(serials "$DB")" "1001 1002 1003 1004" "serials 1001 to 1004"

run W import "$FX/bundle.pem"
is "$RC" 0 "the same bundle again exits 0"
like "$OUT" '0 added' "the same bundle again adds 0"
like "$OUT" '3 already present' "... and finds 3 present"
run W import "$FX/leaf4.pem"
like "$OUT" '0 added' "leaf4 as PEM after leaf4 as DER adds 0"
is "$(affected "$DB")" 4 "still 4 certificates, no second row"

# ---- a directory tree, PEM and DER mixed ------------------------------------------------------
mkdir -p "$WORK/tree/a/b/c" "$WORK/tree/d"
cp "$FX/leaf5.pem" "$WORK/tree/a/"
cp "$FX/leaf6.der" "$WORK/tree/a/b/c/"
cp "$FX/leaf7.pem" "$WORK/tree/d/seven.crt"
cp "$FX/leaf8.der" "$WORK/tree/d/eight.cer"
cp "$FX/leaf1.der" "$WORK/tree/a/b/dup.der"
run W import "$WORK/tree"
is "$RC" 0 "import of a directory tree exits 0"
like "$OUT" 'imported 5 certificates from 5 files' "tree: 5 files, 5 certificates, found recursively"
like "$OUT" '4 added' "tree: 4 added"
like "$OUT" '1 already present' "tree: leaf1 again is present"
is "$(serials "$DB")" "1001 1002 1003 1004 1005 1006 1007 1008" "serials 1001 to 1008"

# ---- a PEM with its private key: the certificate is what counts --------------------------------
"$WARROOM" --db "$WORK/ck.db" init --name CK >/dev/null 2>&1
cat "$FX/leaf2.pem" "$FX/key.pem" >"$WORK/cert+key.pem"
run "$WARROOM" --db "$WORK/ck.db" import "$WORK/cert+key.pem"
is "$RC" 0 "a certificate followed by its key imports (exit 0)"
is "$(serials "$WORK/ck.db")" "1002" "... the certificate"

# ---- bad inputs, one at a time --------------------------------------------------------------------
before=$(affected "$DB")
bad() { # FILE ERE DESC
	run W import "$1"
	is "$RC" 1 "$3: exit 1"
	like "$ERR" "$(basename "$1").*: .*$2" "$3: stderr names the file and why"
	like "$OUT" '1 files? rejected' "$3: the summary counts it"
	is "$(affected "$DB")" "$before" "$3: nothing added"
}
bad "$FX/truncated.pem" "(truncated|END)" "a truncated PEM"
like "$ERR" "truncated\.pem:1:" "a truncated PEM: the line of its BEGIN is named"
bad "$FX/garbage.der" "." "garbage DER"
bad "$FX/garbage.bin" "not a certificate" "bytes neither PEM nor DER"
bad "$FX/key.pem" "private key" "a private key where a certificate belongs"
bad "$FX/csr.pem" "(no certificate|CERTIFICATE REQUEST)" "a certificate request"
bad "$FX/empty.pem" "empty" "an empty file"
bad "$WORK/no-such-file.pem" "(No such file|not found|does not exist)" "a missing path"

# ---- bad and good together: nothing lost ----------------------------------------------------------
"$WARROOM" --db "$WORK/mix.db" init --name Mix >/dev/null 2>&1
mkdir -p "$WORK/mixdir/sub"
cp "$FX/truncated.pem" "$FX/key.pem" "$WORK/mixdir/"
cp "$FX/leaf6.der" "$FX/empty.pem" "$WORK/mixdir/sub/"
(cat "$FX/leaf7.pem"; head -n 4 "$FX/leaf8.pem") >"$WORK/cut-bundle.pem"
lines7=$(wc -l <"$FX/leaf7.pem" | tr -d ' ')
run "$WARROOM" --db "$WORK/mix.db" import "$FX/leaf1.pem" "$FX/garbage.der" "$WORK/mixdir" \
	"$FX/leaf2.der" "$WORK/cut-bundle.pem" "$FX/garbage.bin" "$FX/csr.pem"
is "$RC" 1 "a mixed import exits 1"
is "$(serials "$WORK/mix.db")" "1001 1002 1006 1007" "every good certificate of the mixed import is imported"
like "$OUT" '4 added' "the summary says 4 added"
like "$OUT" '7 files? rejected' "the summary says 7 rejected"
for f in garbage.der truncated.pem key.pem empty.pem garbage.bin csr.pem; do
	like "$ERR" "$f" "mixed import names $f"
done
like "$ERR" "cut-bundle\.pem:$((lines7 + 1)): .*(truncated|END)" "the cut bundle is named with the line of its bad block"
unlike "$ERR" "leaf1\.pem|leaf2\.der|leaf6\.der" "no good file is named on stderr"
run "$WARROOM" --db "$WORK/mix.db" log --json
is "$(json_get "$OUT_FILE" 1.action)" "import" "the import is on the timeline"
is "$(json_get "$OUT_FILE" 1.details.added)" 4 "... with 4 added"
is "$(json_get "$OUT_FILE" 1.details.rejected)" 7 "... and 7 rejected"

# ---- real-world PEM shapes: CRLF, text before the block -------------------------------------
"$WARROOM" --db "$WORK/shape.db" init --name Shapes >/dev/null 2>&1
sed 's/$/\r/' "$FX/leaf2.pem" >"$WORK/crlf.pem"
openssl x509 -in "$FX/leaf3.pem" -text >"$WORK/with-text.pem"
run "$WARROOM" --db "$WORK/shape.db" import "$WORK/crlf.pem" "$WORK/with-text.pem"
is "$RC" 0 "a CRLF PEM and a PEM after 'openssl x509 -text' output import (exit 0)"
is "$(serials "$WORK/shape.db")" "1002 1003" "... both certificates"

# ---- a bundle big enough to be read in chunks, with two bad blocks ---------------------------
"$WARROOM" --db "$WORK/big.db" init --name Big >/dev/null 2>&1
i=0
while [ $i -lt 150 ]; do
	cat "$FX/leaf1.pem" "$FX/leaf2.pem" "$FX/leaf3.pem" "$FX/leaf4.pem" \
		"$FX/leaf5.pem" "$FX/leaf6.pem" "$FX/leaf7.pem" "$FX/leaf8.pem"
	i=$((i + 1))
	[ $i = 100 ] && printf -- '-----BEGIN CERTIFICATE-----\nMIIB!!not-base64!!\n-----END CERTIFICATE-----\n'
done >"$WORK/big.pem"
cat "$FX/dated.pem" >>"$WORK/big.pem"
head -n 5 "$FX/late.pem" >>"$WORK/big.pem"
bad64=$(grep -n 'MIIB!!not-base64' "$WORK/big.pem" | cut -d: -f1)
lastbegin=$(grep -n 'BEGIN CERTIFICATE' "$WORK/big.pem" | tail -n 1 | cut -d: -f1)
run "$WARROOM" --db "$WORK/big.db" import "$WORK/big.pem"
is "$RC" 1 "a $(($(wc -c <"$WORK/big.pem") / 1024)) KiB bundle with two bad blocks exits 1"
like "$OUT" 'imported 1201 certificates from 1 file' "all 1201 good blocks are read"
like "$OUT" '9 added' "9 distinct certificates added"
like "$OUT" '1192 already present' "1192 duplicates counted"
like "$ERR" "big\.pem:$((bad64 - 1)): .*base64" "the bad base64 block is named by the line of its BEGIN ($((bad64 - 1)))"
like "$ERR" "big\.pem:$lastbegin: .*(truncated|END)" "the truncated last block is named by its line ($lastbegin)"
unlike "$OUT" '2 files rejected' "the summary does not call two bad blocks of one file '2 files'"

# ---- customers CSV ----------------------------------------------------------------------------
run W import --customers "$FX/bad.csv"
is "$RC" 1 "a CSV with bad rows exits 1"
like "$ERR" "bad\.csv:3: .*serial" "bad.csv:3 (bad serial) is named"
like "$ERR" "bad\.csv:5: .*column" "bad.csv:5 (2 columns) is named"
unlike "$ERR" "bad\.csv:[124]:" "good rows and the header are not named"
like "$ERR" "bad\.csv: 2 bad rows; nothing of the list was imported" "... and nothing of it is applied"
is "$(serials "$DB" --customer "Acme Corp")" "" "not even its good rows"
grep -v -e '^XYZ' -e '^1003,' "$FX/bad.csv" >"$WORK/good.csv"
run W import --customers "$WORK/good.csv"
is "$RC" 0 "the same CSV without its bad rows exits 0"
like "$OUT" '2 matched' "the summary says 2 matched"
like "$OUT" '0 rejected; 2 new customers, 0 updated' "... 0 rejected, 2 new customers"
is "$(serials "$DB" --customer "Acme Corp")" "1001" "certs --customer 'Acme Corp' lists 1001"
is "$(serials "$DB" --customer "Globex")" "1002" "0x10:02 is serial 1002: certs --customer Globex lists it"
is "$(serials "$DB" --customer "Broken Row Inc")" "" "the bad row's customer was not applied"
is "$(serials "$DB" --customer "Nobody")" "" "an unknown customer lists nothing"
run W certs --customer "Acme Corp" --json
is "$(json_get "$OUT_FILE" 0.contact)" "ops@acme.example" "the contact is kept"
run W certs --customer "Acme Corp"
like "$OUT" '^1001 .*Acme Corp' "certs text shows the customer"

printf 'serial,customer,contact\n1003,"Initech, Inc.",ops@initech.example\nDEADBEEF,Ghost,ghost@example\n' >"$WORK/quoted.csv"
run W import --customers "$WORK/quoted.csv"
is "$RC" 0 "a CSV with a quoted comma and an unknown serial exits 0"
like "$OUT" '1 matched no certificate' "the unknown serial is counted, not rejected"
is "$(serials "$DB" --customer "Initech, Inc.")" "1003" "a quoted customer with a comma is kept whole"

printf '1004,Umbrella,u@example\n' >"$WORK/noheader.csv"
run W import --customers "$WORK/noheader.csv" "$FX/leaf1.pem"
is "$RC" 0 "paths and --customers in one import exit 0"
is "$(serials "$DB" --customer Umbrella)" "1004" "a CSV without a header row works"

printf 'serial,customer,contact\r\n"1005","Hooli, Inc",h@example\r\n' >"$WORK/crlf.csv"
run W import --customers "$WORK/crlf.csv"
is "$RC" 0 "a CRLF CSV with quoted fields exits 0"
is "$(serials "$DB" --customer "Hooli, Inc")" "1005" "... and applies its row"

# Spreadsheets save CSV with a UTF-8 byte order mark before the header.
printf '\357\273\277serial,customer,contact\r\n1006,Stark,s@example\r\n' >"$WORK/bom.csv"
run W import --customers "$WORK/bom.csv"
is "$RC" 0 "a CSV starting with a UTF-8 BOM and a header exits 0"
unlike "$ERR" "bom\.csv:1:" "... the header after the BOM is not rejected as a row"
is "$(serials "$DB" --customer Stark)" "1006" "... and its row is applied"

run W import --customers "$WORK/missing.csv"
isnt "$RC" 0 "a missing CSV fails"
like "$ERR" "missing\.csv" "a missing CSV is named"

done_testing
