#!/bin/sh
# cli-import-report.t: what import and certs tell the operator, as a
# reviewer found them.
#  - A PEM bundle with good and bad blocks is counted on its own: the last
#    of its rejections on stderr ends "(N of the file's M certificates
#    imported, K rejected)", for a small bundle and for one big enough to
#    be read in chunks; still one line per rejection; a clean bundle and a
#    single bad file get no count; the summary on stdout keeps its form.
#  - A serial given twice in one customers CSV: the first row wins, the
#    later row with another customer is rejected as FILE:LINE naming the
#    winner, and then nothing of the list is applied; the same serial and
#    customer again is no error.
#  - certs prints a 40-digit serial whole.
#  - Certificate text shows one form of escape in certs and certs --json:
#    a control character as \x1b, a DN's own escapes (\,) with one
#    backslash, never doubled.
#  - A customer name in Latin-1 ("Caf\xe9") prints as Caf\xe9, and certs
#    --customer finds it by that printed form or by its raw bytes, apart
#    from a customer literally named "Caf\xe9".
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
needs openssl
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no wr-mkcerts at $WR_TOOLS (run make)"
W init --name "Import report" >/dev/null 2>&1 || bail_out "init failed"

# cert_block FILE N: prints the Nth certificate block of a PEM bundle.
cert_block() {
	awk -v n="$2" '/-----BEGIN CERTIFICATE-----/ { i++ } i == n { print } /-----END CERTIFICATE-----/ && i == n { exit }' "$1"
}
# replace_blocks FILE N... : the bundle with blocks N... replaced by bad
# ones, alternately bad base64 and base64 of bytes that are not DER.
replace_blocks() {
	_f=$1
	shift
	awk -v list=" $* " '
		/-----BEGIN CERTIFICATE-----/ { i++; bad = index(list, " " i " ") > 0; if (bad) k++ }
		bad && /-----BEGIN/ {
			print
			if (k % 2) print "MIIB!!not-base64!!"; else print "MIIBbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs"
			next
		}
		bad && /-----END/ { print; bad = 0; next }
		bad { next }
		{ print }' "$_f"
}
serials() { # DB [certs options]: the serials, sorted, space-separated
	_db=$1
	shift
	"$WARROOM" --db "$_db" certs --json "$@" 2>/dev/null >"$WORK/.certs"
	perl -MJSON::PP -e 'local $/; print join(" ", sort map { $_->{serial} } @{decode_json(<STDIN>)}), "\n"' <"$WORK/.certs"
}

"$WR_TOOLS/wr-mkcerts" --out "$WORK/mk" --count 10 --format pem --seed 11 >/dev/null 2>&1 ||
	bail_out "wr-mkcerts failed"
"$WR_TOOLS/wr-mkcerts" --out "$WORK/big" --count 1000 --format pem --seed 12 >/dev/null 2>&1 ||
	bail_out "wr-mkcerts failed"

# ---- 1. a bundle's own count ------------------------------------------------------------
# 12 blocks: 10 good, a bad base64 block after the 4th and a block of bytes
# that are not a certificate after the 8th.
{
	for n in 1 2 3 4; do cert_block "$WORK/mk/bundle.pem" $n; done
	printf -- '-----BEGIN CERTIFICATE-----\nMIIB!!not-base64!!\n-----END CERTIFICATE-----\n'
	for n in 5 6 7 8; do cert_block "$WORK/mk/bundle.pem" $n; done
	printf -- '-----BEGIN CERTIFICATE-----\nMIIBbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n'
	for n in 9 10; do cert_block "$WORK/mk/bundle.pem" $n; done
} >"$WORK/mixed.pem"
is "$(grep -c 'BEGIN CERTIFICATE' "$WORK/mixed.pem")" 12 "the small bundle has 12 blocks"
last=$(($(grep -n '^MIIBbm90' "$WORK/mixed.pem" | cut -d: -f1) - 1)) # its last bad block's BEGIN
run W import "$WORK/mixed.pem"
is "$RC" 1 "a bundle with 2 bad blocks of 12 exits 1"
like "$OUT" '^imported 10 certificates from 1 files?: 10 added, 0 already present, 1 files? rejected$' \
	"the summary line keeps its form"
like "$ERR" 'mixed\.pem:[0-9]+: .*base64 in PEM certificate$' "the bad base64 block is named by its line"
is "$(wc -l <"$ERR_FILE" | tr -d ' ')" 2 "one line per rejection"
like "$(tail -n 1 "$ERR_FILE")" "^warroom: .*mixed\\.pem:$last: .* \\(10 of the file's 12 certificates imported, 2 rejected\\)\$" \
	"the bundle's last rejection says 10 of its 12 certificates were imported, 2 rejected"

run W import "$WORK/mixed.pem" "$FX/leaf1.pem" "$FX/garbage.bin" "$WORK/mk/bundle.pem"
is "$RC" 1 "the bundle again, with good and bad files, exits 1"
like "$ERR" "mixed\\.pem:$last: .*\\(10 of the file's 12 certificates imported, 2 rejected\\)\$" \
	"already-present certificates of the bundle count as imported"
unlike "$ERR" 'garbage\.bin: .*of the file' "a single bad file gets no count"
unlike "$ERR" '(leaf1|bundle)\.pem' "good files get no line"

"$WARROOM" --db "$WORK/clean.db" init --name Clean >/dev/null 2>&1
run "$WARROOM" --db "$WORK/clean.db" import "$WORK/mk/bundle.pem"
is "$RC" 0 "a clean bundle exits 0"
is "$ERR" "" "... and prints nothing on stderr"

# A conflict (another certificate under an imported issuer and serial) is
# one of the bundle's rejected certificates too.
openssl req -new -key "$FX/leaf.key" -subj "/CN=other2.example" -out "$WORK/o2.csr" 2>/dev/null
openssl x509 -req -in "$WORK/o2.csr" -CA "$FX/ca.pem" -CAkey "$FX/ca.key" -set_serial 0x1002 \
	-days 30 -out "$WORK/other2.pem" 2>/dev/null || bail_out "openssl x509 failed"
"$WARROOM" --db "$WORK/conflict.db" init --name Conflict >/dev/null 2>&1
"$WARROOM" --db "$WORK/conflict.db" import "$FX/leaf2.pem" >/dev/null 2>&1
cat "$FX/leaf1.pem" "$WORK/other2.pem" "$FX/leaf3.pem" >"$WORK/with-conflict.pem"
run "$WARROOM" --db "$WORK/conflict.db" import "$WORK/with-conflict.pem"
is "$RC" 1 "a bundle with a conflicting certificate exits 1"
like "$ERR" "with-conflict\\.pem:[0-9]+: another certificate .* serial 1002 .* \\(2 of the file's 3 certificates imported, 1 rejected\\)\$" \
	"the conflict is counted as the bundle's rejected certificate"

# A bundle read in chunks (~700 KiB), the bad blocks in different chunks.
replace_blocks "$WORK/big/bundle.pem" 200 900 >"$WORK/big.pem"
is "$(grep -c 'BEGIN CERTIFICATE' "$WORK/big.pem")" 1000 "the big bundle has 1000 blocks"
"$WARROOM" --db "$WORK/big.db" init --name Big >/dev/null 2>&1
run "$WARROOM" --db "$WORK/big.db" import "$WORK/big.pem"
is "$RC" 1 "a $(($(wc -c <"$WORK/big.pem") / 1024)) KiB bundle with 2 bad blocks exits 1"
like "$OUT" '^imported 998 certificates from 1 file' "the summary says 998 read"
is "$(wc -l <"$ERR_FILE" | tr -d ' ')" 2 "one line per rejection"
like "$(tail -n 1 "$ERR_FILE")" "^warroom: .*big\\.pem:[0-9]+: .* \\(998 of the file's 1000 certificates imported, 2 rejected\\)\$" \
	"the bundle's last rejection says 998 of its 1000 certificates were imported, 2 rejected"
is "$(grep -c 'of the file' "$ERR_FILE")" 1 "... once, not once per chunk"

# ---- 2. a serial twice in the customers CSV ---------------------------------------------------
s1=$(openssl x509 -in "$FX/leaf1.pem" -noout -serial | cut -d= -f2)
W import "$FX/leaf1.pem" "$FX/leaf2.pem" "$FX/leaf3.pem" >/dev/null 2>&1
{
	printf 'serial,customer,contact\n'
	printf '1001,Acme Corp,ops@acme.example\n'       # line 2: wins
	printf '1002,Globex,ops@globex.example\n'        # line 3
	printf '1001,Initech,ops@initech.example\n'      # line 4: loses
	printf '1002,Globex,ops@globex.example\n'        # line 5: the same again
	printf '0x10:01,Umbrella,u@example\n'            # line 6: 1001 spelt otherwise
	printf 'BEEF,Ghost,g@example\n'                  # line 7: no such certificate
	printf 'beef,Phantom,p@example\n'                # line 8: ... given twice
} >"$WORK/dup.csv"
run W import --customers "$WORK/dup.csv"
is "$RC" 1 "a CSV giving one serial to two customers exits 1"
like "$ERR" "dup\\.csv:4: .*1001.*'Acme Corp'.*line 2" "dup.csv:4 is named, with the customer of line 2 that won"
like "$ERR" "dup\\.csv:4: .*Initech" "... and its own customer"
like "$ERR" "dup\\.csv:6: .*1001.*'Acme Corp'" "dup.csv:6 (0x10:01 is 1001) is named too"
like "$ERR" "dup\\.csv:8: .*BEEF.*'Ghost'" "a serial no certificate has is checked too (dup.csv:8)"
unlike "$ERR" "dup\\.csv:[12357]:" "the first rows and the same customer again are not named"
like "$ERR" "dup\\.csv: 3 bad rows; nothing of the list was imported" "3 bad rows: nothing applied"
is "$(serials "$DB" --customer "Acme Corp")" "" "... not even the rows that won"
sed -e '/^1001,Initech/d' -e '/^0x10:01/d' -e '/^beef/d' "$WORK/dup.csv" >"$WORK/dup-fixed.csv"
run W import --customers "$WORK/dup-fixed.csv"
is "$RC" 0 "without the losing rows the CSV imports (exit 0)"
like "$OUT" '4 rows, 3 matched, 1 matched no certificate, 0 rejected' "... the repeated row counted as matched"
is "$(serials "$DB" --customer "Acme Corp")" "$s1" "the first row wins: 1001 is Acme Corp's"
is "$(serials "$DB" --customer Initech)" "" "... not Initech's"
is "$(serials "$DB" --customer Umbrella)" "" "... nor Umbrella's"
is "$(serials "$DB" --customer Globex)" "1002" "the repeated row leaves 1002 with Globex"

# ---- 3. a 40-digit serial, whole ---------------------------------------------------------------
long=4A0102030405060708090A0B0C0D0E0F10111213
openssl req -new -key "$FX/leaf.key" -subj "/CN=Acme, Inc." -out "$WORK/long.csr" 2>/dev/null
openssl x509 -req -in "$WORK/long.csr" -CA "$FX/ca.pem" -CAkey "$FX/ca.key" -set_serial "0x$long" \
	-days 30 -out "$WORK/long.pem" 2>/dev/null || bail_out "openssl x509 failed"
run W import "$WORK/long.pem"
is "$RC" 0 "a certificate with a 20-byte serial imports"
run W certs
like "$OUT" "^$long +pending " "certs prints the 40-digit serial whole, then the state"
unlike "$OUT" '…' "certs cuts no serial"
like "$OUT" '^SERIAL {35,}STATE' "the SERIAL column is 40 wide"

# ---- 4. one form of escape for certificate text ---------------------------------------------------
W import "$FX/hostile.pem" >/dev/null 2>&1
run W certs
no_control_bytes "$OUT_FILE" "certs: no control byte"
like "$OUT" '^1BAD .*CN=evil\\x1b\[2Jx\\u202egnp\.exe\\x0aline2$' \
	"certs: ESC and newline in the CN show as \\x1b and \\x0a, U+202E as \\u202e"
like "$OUT" "^$long .*CN=Acme\\\\, Inc\\.\$" "certs: the DN's escaped comma keeps one backslash"
unlike "$OUT" '\\\\' "certs: no doubled backslash"
run W certs --json
ok "certs --json is JSON" json_valid "$OUT_FILE"
perl -MJSON::PP -e 'binmode STDOUT, ":utf8"; local $/; for my $c (@{decode_json(<STDIN>)}) {
	printf "%s|%s|%s\n", $c->{serial}, $c->{subject}, $c->{sans} // "" }' <"$OUT_FILE" >"$WORK/json.txt"
like "$(grep '^1BAD|' "$WORK/json.txt")" '^1BAD\|O=Hostile,CN=evil\\x1b\[2Jx.*gnp\.exe\\x0aline2\|ok\.example,bad\\x1b\[31m\.example$' \
	"certs --json: the same \\x1b and \\x0a in the subject and the SANs"
like "$(grep "^$long|" "$WORK/json.txt")" '\|CN=Acme\\, Inc\.\|' "certs --json: the same one-backslash comma"

# ---- 5. a customer name that is not UTF-8 -------------------------------------------------------
W import "$FX/leaf4.pem" "$FX/leaf5.pem" >/dev/null 2>&1
printf 'serial,customer,contact\n1003,Caf\351,cafe@example\n1004,Caf\\xe9,lit@example\n1005,ACME\\Sales,s@example\n' >"$WORK/latin1.csv"
run W import --customers "$WORK/latin1.csv"
is "$RC" 0 "a CSV with a Latin-1 customer imports (exit 0)"
run W certs --customer "$(printf 'Caf\351')"
no_control_bytes "$OUT_FILE" "certs --customer with the raw Latin-1 bytes: valid UTF-8 output"
like "$OUT" '^1003 .* Caf\\xe9 ' "the Latin-1 name prints as Caf\\xe9 (one backslash)"
is "$(serials "$DB" --customer "$(printf 'Caf\351')")" "1003" "certs --customer finds it by its raw bytes"
is "$(serials "$DB" --customer 'Caf\xe9')" "1003" "certs --customer finds it by its printed form Caf\\xe9"
run W certs --customer 'Caf\\xe9'
like "$OUT" '^1004 .* Caf\\\\xe9 ' "a customer literally named Caf\\xe9 prints with its backslash doubled"
is "$(serials "$DB" --customer 'Caf\\xe9')" "1004" "... and is found by that printed form, apart from the Latin-1 one"
run W certs --customer 'Caf\xe9' --json
is "$(json_get "$OUT_FILE" 0.customer)" 'Caf\xe9' "certs --json shows the same Caf\\xe9"
is "$(serials "$DB" --customer 'ACME\Sales')" "1005" "a name with a backslash is found as typed"
is "$(serials "$DB" --customer 'ACME\\Sales')" "1005" "... and as printed"

done_testing
