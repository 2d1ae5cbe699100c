#!/bin/sh
# replace.t: the Certificate Replacement team's tools on issued
# replacements, end to end.
#   import --replacements links each affected certificate to the newer
#   certificate of its issuer's family that covers all its names (a
#   wildcard covering one label), reports each certificate read that
#   replaces nothing with why (names, family, older, expired, forged, an
#   affected one), notes an ambiguity between customers and a chain's CA
#   certificate; certs --json and certs (a line under the row) show the
#   link, status --json counts it
#   (replacement_issued), a second run finds it linked already and a newer
#   replacement relinks; under a key-compromise incident a reissue on the
#   same key replaces nothing.
#   ari --out DIR writes, for each affected certificate neither revoked
#   nor expired, DIR/ID.json whose ID python3-cryptography computes on its
#   own from the DER (RFC 9773: the AKI keyIdentifier and the serial's DER
#   content octets, a serial with its high bit set among them), with a
#   suggestedWindow from now ending before the status deadline and
#   [notify] info_url as explanationURL; names the certificate without an
#   AKI; refuses an undeclared incident and a passed deadline.
# The certificates are made with python3-cryptography, which sets
# notBefore, serials and extensions exactly.
. "$(dirname "$0")/lib.sh"
no_plan

needs sqlite3 python3 perl
PY=/usr/bin/python3
"$PY" -c 'import cryptography.x509' 2>/dev/null || bail_out "no python3-cryptography for $PY"

NOW=2026-11-25T08:00:00Z
export WARROOM_NOW=$NOW

# ---- the certificates -------------------------------------------------------------------
# Two intermediates of one CA (R1, R2: both in [ca] issuers), another CA,
# and a forger using R1's name. Affected (R1, notBefore 30 days ago):
#   a1 1001 a1.example.com www.a1.example.com   Alpha
#   a2 8A0B0C0D0E shop.beta.example (high bit)  Beta
#   a3 1003 api.gamma.example *.gamma.example   Gamma
#   a4 1004 shared.example                      Delta
#   a5 1005 shared.example                      Epsilon
#   a6 1006 only.old.example                    Zeta (never replaced)
#   a7 1007 rev.example                         Eta (revoked before ari)
#   a8 1008 noaki.example, no AKI               Theta
mkdir affected repl
cat >mk.py <<'EOF'
import datetime, hashlib, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

NOW = datetime.datetime(2026, 11, 25, 8, 0, 0)
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

def key():
    return ec.generate_private_key(ec.SECP256R1())

def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

def ca(cn, k, signer=None, signer_key=None):
    b = (x509.CertificateBuilder().subject_name(name(cn))
         .issuer_name(signer.subject if signer else name(cn))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - 90 * D).not_valid_after(NOW + 900 * D)
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False))
    return b.sign(signer_key or k, hashes.SHA256())

def leaf(issuer, issuer_key, serial, names, nb, na, k=None, aki=True):
    k = k or key()
    b = (x509.CertificateBuilder().subject_name(name(names[0]))
         .issuer_name(issuer.subject).public_key(k.public_key()).serial_number(serial)
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                        critical=False))
    if aki:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
    return b.sign(issuer_key, hashes.SHA256()), k

def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)

def der(c):
    return c.public_bytes(serialization.Encoding.DER)

def put(path, data):
    with open(path, 'wb') as f:
        f.write(data)

root_k, r1_k, r2_k, other_k, forger_k = key(), key(), key(), key(), key()
root = ca("Test Root", root_k)
r1 = ca("Test CA R1", r1_k, root, root_k)
r2 = ca("Test CA R2", r2_k, root, root_k)
other = ca("Other CA", other_k)
forger = ca("Test CA R1", forger_k)
put("issuers.pem", pem(r1) + pem(r2))

old, exp = NOW - 30 * D, NOW + 60 * D
aff = {}
for tag, serial, names, kw in [
        ("a1", 0x1001, ["a1.example.com", "www.a1.example.com"], {}),
        ("a2", 0x8A0B0C0D0E, ["shop.beta.example"], {}),
        ("a3", 0x1003, ["api.gamma.example", "*.gamma.example"], {}),
        ("a4", 0x1004, ["shared.example"], {}),
        ("a5", 0x1005, ["shared.example"], {}),
        ("a6", 0x1006, ["only.old.example"], {}),
        ("a7", 0x1007, ["rev.example"], {}),
        ("a8", 0x1008, ["noaki.example"], {"aki": False})]:
    c, k = leaf(r1, r1_k, serial, names, old, exp, **kw)
    aff[tag] = (c, k)
    put("affected/%s.der" % tag, der(c))

new = NOW - H
# The replacements, each alone in its file; r1 with its chain (R1, a CA
# certificate with no name: noted, skipped).
r = {}
def repl(tag, issuer, ikey, serial, names, nb=new, na=NOW + 90 * D, k=None, chain=b""):
    c, _ = leaf(issuer, ikey, serial, names, nb, na, k=k)
    r[tag] = c
    put("repl/%s.pem" % tag, pem(c) + chain)
repl("r1", r1, r1_k, 0x2001, ["www.a1.example.com", "a1.example.com"], chain=pem(r1))
repl("r2", r2, r2_k, 0x2002, ["shop.beta.example"])           # the other intermediate
repl("r3", r1, r1_k, 0x2003, ["*.gamma.example"])             # covers api. and itself
repl("r4", r1, r1_k, 0x2004, ["shared.example"])              # Delta's and Epsilon's
repl("partial", r1, r1_k, 0x2005, ["a1.example.com"])         # www.a1 missing
repl("deep", r1, r1_k, 0x2006, ["*.example.com"])             # one label only
repl("foreign", other, other_k, 0x2007, ["only.old.example"]) # not R1's family
repl("older", r1, r1_k, 0x2008, ["only.old.example"], nb=NOW - 40 * D)
repl("expired", r1, r1_k, 0x2009, ["only.old.example"], nb=NOW - 5 * D, na=NOW - D)
repl("forged", forger, forger_k, 0x200A, ["only.old.example"])
put("repl/a1-again.der", der(aff["a1"][0]))                  # an affected one
# Later: a newer replacement for a1, and, for a key-compromise incident,
# a reissue of a6 on the same key and one on a new key.
c, _ = leaf(r1, r1_k, 0x3001, ["a1.example.com", "www.a1.example.com"], NOW - H / 6, NOW + 90 * D)
put("newer.pem", pem(c))
r["newer"] = c
c, _ = leaf(r1, r1_k, 0x3002, ["only.old.example"], new, NOW + 90 * D, k=aff["a6"][1])
put("samekey.pem", pem(c))
c, _ = leaf(r1, r1_k, 0x3003, ["only.old.example"], new, NOW + 90 * D)
put("newkey.pem", pem(c))
r["newkey"] = c
for tag, c in r.items():
    put("sha-%s" % tag, hashlib.sha256(der(c)).hexdigest().encode())
EOF
"$PY" mk.py || bail_out "making the certificates failed"

cat >warroom.conf <<'EOF'
[ca]
issuers = issuers.pem
[notify]
info_url = https://ca.example/incident-2026-11
EOF

W init --name "Replacement" >/dev/null 2>&1 || bail_out "init failed"
W import affected >/dev/null 2>&1 || bail_out "import of the affected certificates failed"
printf 'serial,customer,contact\n1001,Alpha,a@a1.example.com\n8A0B0C0D0E,Beta,b@beta.example\n1003,Gamma,g@gamma.example\n1004,Delta,d@shared.example\n1005,Epsilon,e@shared.example\n1006,Zeta,z@old.example\n1007,Eta,h@rev.example\n1008,Theta,t@noaki.example\n' >customers.csv
W import --customers customers.csv >/dev/null 2>&1 || bail_out "import of the customers failed"
sql() { sqlite3 "$DB" "$1"; }
is "$(sql 'SELECT count(*) FROM cert')" 8 "8 affected certificates"

# ---- import --replacements ----------------------------------------------------------------
run W import --replacements repl
is "$RC" 1 "import --replacements exits 1: some certificates replace nothing"
# 12 certificates in 11 files, the forged one rejected: 11 read.
like "$OUT" '^replacements: 11 certificates from 11 files: 5 affected certificates linked \(0 relinked' \
	"5 affected certificates linked (r1 a1, r2 a2, r3 a3, r4 a4 and a5)"
like "$ERR" 'repl/partial\.pem:1: certificate 2005 replaces no affected certificate: it does not cover www\.a1\.example\.com, a name of affected certificate 1001' \
	"partial: the name it lacks is named"
like "$ERR" 'repl/deep\.pem:1: certificate 2006 replaces no affected certificate: it does not cover www\.a1\.example\.com' \
	"*.example.com covers a1.example.com, not www.a1.example.com"
like "$ERR" 'repl/foreign\.pem:1: certificate 2007 replaces no affected certificate: its issuer \(CN=Other CA\) is not of the family' \
	"another CA's certificate: not of the family"
like "$ERR" 'repl/older\.pem:1: certificate 2008 replaces no affected certificate: it is not newer than affected certificate 1006' \
	"an older certificate: not newer"
like "$ERR" 'repl/expired\.pem:1: certificate 2009 expired at 2026-11-24T08:00:00Z' "an expired one"
like "$ERR" 'repl/forged\.pem:1: signature does not verify' "a forged one is rejected by its signature"
like "$ERR" 'repl/a1-again\.der: certificate 1001 is an affected certificate, not a replacement' \
	"an affected certificate is no replacement"
like "$OUT" 'note: repl/r4\.pem:1: certificate 2004 replaces certificates of several customers \(Delta, Epsilon\)' \
	"r4 covers Delta's and Epsilon's: noted as ambiguous"
like "$OUT" 'note: repl/r1\.pem:[0-9]+: certificate [0-9A-F]+ has no DNS or IP name' \
	"r1's chain: the CA certificate is noted and skipped"
like "$OUT" '^1 certificate read is affected, not a replacement' "the count of affected ones read"
like "$OUT" '^5 certificates replace no affected certificate' "the count of those replacing nothing"
like "$OUT" '^3 affected certificates have no replacement yet' "a6, a7, a8 have none"

# certs --json shows each link.
repl_of() { # SERIAL FIELD: the replacement's field in certs --json, "null" when none
	W certs --json >certs.json 2>/dev/null
	perl -MJSON::PP -e 'local $/; my ($s, $f) = @ARGV; my @c = grep { $_->{serial} eq $s } @{decode_json(<STDIN>)};
		my $r = $c[0]{replacement}; print defined $r ? $r->{$f} : "null"' "$1" "$2" <certs.json
}
is "$(repl_of 1001 serial)" 2001 "certs --json: a1's replacement is 2001"
is "$(repl_of 1001 sha256)" "$(cat sha-r1)" "... with the sha256 of its DER"
is "$(repl_of 1001 not_before)" 2026-11-25T07:00:00Z "... and its notBefore"
is "$(repl_of 1001 linked_at)" "$NOW" "... linked now"
is "$(repl_of 8A0B0C0D0E serial)" 2002 "a2's is 2002, from the other intermediate"
is "$(repl_of 1003 serial)" 2003 "a3 (api.gamma.example, *.gamma.example) is replaced by *.gamma.example"
is "$(repl_of 1004 serial):$(repl_of 1005 serial)" 2004:2004 "a4 and a5 are both replaced by 2004"
is "$(repl_of 1006 serial)" null "a6 has no replacement"

run W status --json
is "$(json_get "$OUT_FILE" counts.replacement_issued)" 5 "status --json: replacement_issued 5"
is "$(json_get "$OUT_FILE" counts.replaced)" 0 "... and replaced (deployed) still 0: issued is not deployed"
is "$(sql 'SELECT count(*) FROM replacement')" 5 "the replacement table has 5 rows"
is "$(sql "SELECT r.checked || ' ' || r.source FROM replacement AS r JOIN cert ON cert.id = cert_id WHERE cert.serial = '1001'")" \
	"1 repl/r1.pem:1" "a1's: its signature checked, and where it came from"
is "$(sql "SELECT count(*) FROM event WHERE action = 'replacements'")" 1 "one 'replacements' event"

# Again: nothing new.
run W import --replacements repl/r1.pem repl/r2.pem repl/r3.pem repl/r4.pem
is "$RC" 0 "a second import of the replacements exits 0"
like "$OUT" '0 affected certificates linked \(0 relinked to a newer one\), 5 already linked' "... all 5 already linked"

# A newer replacement relinks; the count stays.
run W import --replacements newer.pem
is "$RC" 0 "a newer replacement for a1 imports"
like "$OUT" '1 affected certificates linked \(1 relinked to a newer one\), 0 already linked' "... a1 relinked"
is "$(repl_of 1001 serial)" 3001 "certs --json: a1's replacement is now 3001"
is "$(sql "SELECT n FROM counter WHERE name = 'replacement_issued'")" 5 "replacement_issued still 5"
# The older one now replaces nothing newer than what a1 has.
run W import --replacements repl/r1.pem
like "$OUT" '0 affected certificates linked .*, 1 already linked' "r1 again: a1 has a newer one already"
is "$(repl_of 1001 serial)" 3001 "... and keeps it"

# certs (text) shows each link on a line under its certificate's row.
run W certs
under() { grep -A1 "^$1 " "$OUT_FILE" | sed -n 2p; } # SERIAL: the line under its row
like "$OUT" '^1001 +pending ' "certs: a1's row as before"
is "$(under 1001)" "  replaced by 3001 (linked $NOW)" "certs: under a1's row, its replacement 3001"
is "$(under 8A0B0C0D0E)" "  replaced by 2002 (linked $NOW)" "... under a2's, 2002"
is "$(under 1004):$(under 1005)" "  replaced by 2004 (linked $NOW):  replaced by 2004 (linked $NOW)" \
	"... under a4's and a5's, 2004"
unlike "$(under 1006)" 'replaced' "... a6 has none: no line under its row"
is "$(grep -c '^  replaced by ' "$OUT_FILE")" 5 "certs: 5 replacement lines, one a linked certificate"
run W certs --customer Alpha
is "$(sed -n 3p "$OUT_FILE")" "  replaced by 3001 (linked $NOW)" "certs --customer Alpha: the link under its one row"

run W import --replacements --customers customers.csv repl
is "$RC" 2 "--replacements with --customers is a usage error"
run W import --replacements
is "$RC" 2 "--replacements without PATH is a usage error"

# ---- a key-compromise incident: a new key is needed -------------------------------------
DB2=$WORK/kc.db
"$WARROOM" --db "$DB2" init --name "Key compromise" >/dev/null 2>&1 || bail_out "init 2 failed"
"$WARROOM" --db "$DB2" import affected/a6.der >/dev/null 2>&1 || bail_out "import 2 failed"
"$WARROOM" --db "$DB2" declare --reason key-compromise --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 ||
	bail_out "declare 2 failed"
run "$WARROOM" --db "$DB2" import --replacements samekey.pem
is "$RC" 1 "key-compromise: a reissue on the same key is refused"
like "$ERR" 'samekey\.pem:1: certificate 3002 replaces no affected certificate: it has the key of affected certificate 1006, which the incident.s reason \(key-compromise\) condemns' \
	"... saying why"
run "$WARROOM" --db "$DB2" import --replacements newkey.pem
is "$RC:$(sqlite3 "$DB2" "SELECT serial FROM replacement")" "0:3003" "one on a new key replaces it"

# ---- ari --------------------------------------------------------------------------------------
run W ari --out ari
is "$RC" 1 "ari before the declaration fails"
like "$ERR" 'no revocation deadline yet' "... there is no deadline to end the window before"
W declare --reason validation-unreliable --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"
sql "UPDATE cert SET state = 'revoked', revoked_at = strftime('%s', '2026-11-25T07:30:00Z') WHERE serial = '1007'"

run W ari --out ari
is "$RC" 1 "ari exits 1: one certificate has no identifier"
like "$ERR" 'certificate 1008: no authority key identifier' "... a8, named"
like "$OUT" '^wrote 6 renewalInfo files and index.json to ari' "6 files: a1-a6 (a7 revoked, a8 without AKI)"
like "$OUT" 'skipped: 1 revoked, 0 expired' "... a7 skipped as revoked"
like "$OUT" '1 certificate has no ARI identifier' "... a8 counted"

W status --json >st.json 2>/dev/null
DEADLINE=$(json_get st.json incident.deadline)
is "$DEADLINE" 2026-11-26T06:00:00Z "the deadline: 24 hours after the discovery"

# The identifiers, computed by python3-cryptography from the DER alone.
cat >ids.py <<'EOF'
import base64, sys
from cryptography import x509
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
for path in sys.argv[1:]:
    c = x509.load_der_x509_certificate(open(path, "rb").read())
    try:
        aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except x509.ExtensionNotFound:
        print(path, "none", format(c.serial_number, "X"))
        continue
    n = c.serial_number
    print(path, b64(aki) + "." + b64(n.to_bytes(n.bit_length() // 8 + 1, "big")),
          format(c.serial_number, "X"))
EOF
"$PY" ids.py affected/*.der >ids.txt || bail_out "ids.py failed"
is "$(grep -c '' ids.txt)" 8 "python computed 8 identifiers"
like "$(grep a2.der ids.txt)" '\.AIoLDA0O ' "a2's serial 8A0B0C0D0E has its leading 00 (AIoLDA0O)"
secs() { date -u -d "$1" +%s; }
while read -r path id serial; do
	tag=$(basename "$path" .der)
	case $tag in
	a7) [ -e "ari/$id.json" ] && fail "a7 (revoked) has no file" || pass "a7 (revoked) has no file"
		continue ;;
	a8) is "$id" none "a8 has no AKI, so no identifier"; continue ;;
	esac
	f=ari/$id.json
	if [ -f "$f" ]; then pass "$tag: $f exists, named as python computes"; else fail "$tag: no $f"; continue; fi
	is "$(json_get "$f" suggestedWindow.start)" "$NOW" "$tag: the window starts now"
	END=$(json_get "$f" suggestedWindow.end)
	if [ "$(secs "$END")" -lt "$(secs "$DEADLINE")" ]; then
		pass "$tag: the window ends ($END) before the deadline"
	else
		fail "$tag: the window ends ($END) before the deadline ($DEADLINE)"
	fi
	is "$(json_get "$f" explanationURL)" https://ca.example/incident-2026-11 "$tag: explanationURL from [notify] info_url"
	is "$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{certificates}{$ARGV[0]}' "$id" <ari/index.json)" \
		"$serial" "$tag: index.json maps the identifier to serial $serial"
done <ids.txt
is "$(json_get ari/index.json end)" 2026-11-25T19:00:00Z "the window ends halfway from now to the deadline"
is "$(ls ari | grep -c '')" 7 "ari holds the 6 files and index.json, no temporary file"
is "$(mode_of ari/index.json)" 664 "the files are 0664"
is "$(sql "SELECT count(*) FROM event WHERE action = 'ari'")" 1 "one 'ari' event"

# A link planted under a file's name is replaced, never followed.
id1=$(awk '/a1.der/ { print $2 }' ids.txt)
rm "ari/$id1.json"
ln -s "$WORK/victim" "ari/$id1.json"
run W ari --out ari
ok "a planted link: the file is written in its place" test -f "ari/$id1.json" -a ! -L "ari/$id1.json"
ok "... and its target is not created" test ! -e "$WORK/victim"

run W ari --out ari --json
is "$(json_get "$OUT_FILE" written):$(json_get "$OUT_FILE" no_aki)" 6:1 "ari --json: written 6, no_aki 1"

run env WARROOM_NOW=2026-11-26T06:30:00Z "$WARROOM" --db "$DB" ari --out late
is "$RC" 1 "ari after the deadline fails"
like "$ERR" 'the revocation deadline \(2026-11-26T06:00:00Z\) has passed' "... saying the deadline has passed"
ok "... and writes nothing" test ! -e late

cat >warroom.conf <<'EOF'
[ca]
issuers = issuers.pem
[notify]
info_url = javascript:alert(1)
EOF
run W ari --out ari
is "$RC" 2 "a [notify] info_url that is no http(s) URL is refused"
like "$ERR" 'info_url' "... naming the key"
run W ari
is "$RC" 2 "ari without --out is a usage error"

done_testing
