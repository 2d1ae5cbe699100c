#!/bin/sh
# mkcorpus.sh [OUTDIR]: writes the fuzzers' seed corpora (by default
# tests/fuzz/corpus, replacing the generated files there) from
# build/tools/wr-mkcerts, the openssl CLI and a little Python DER surgery,
# so nothing in the corpus is of unknown origin. Keys are fresh each run,
# so the bytes differ from one run to the next; the cases do not. Files not
# written here (crash reproducers added later) are left alone.
#   cert/    DER certificates: real ones, then edge cases of the walk
#   import/  PEM bundles and DER files as an operator might be handed them
#   csv/     customer lists naming the cert/ certificates' serials
#   config/  warroom.conf files, good and bad
#   plan/    plans: the default and variants
# Needs: make all (for wr-mkcerts), openssl, python3.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${1:-$here/corpus}
mkcerts=${WR_MKCERTS:-$top/build/tools/wr-mkcerts}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ossl() {
	openssl "$@" >/dev/null 2>"$tmp/openssl.err" || {
		echo "mkcorpus.sh: openssl $*" >&2
		cat "$tmp/openssl.err" >&2
		exit 1
	}
}

mkdir -p "$out/cert" "$out/import" "$out/csv" "$out/config" "$out/plan"
"$mkcerts" --out "$tmp/mk" --count 8 --format both --hostile --seed 1 >/dev/null
mk=$tmp/mk

# ---- cert: the real ones ------------------------------------------------------
i=0
for f in "$mk"/der/000/*.der; do
	cp "$f" "$out/cert/mkcerts-$i.der"
	i=$((i + 1))
done

# Made with the openssl CLI: v1 (no extensions), every SAN kind, an RSA key,
# dates past 2049 (GeneralizedTime), a negative serial.
cd "$tmp"
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out leaf.key
ossl req -new -key leaf.key -subj "/CN=v1.example" -out v1.csr
ossl x509 -req -in v1.csr -CA mk/ca.pem -CAkey mk/ca.key -set_serial 0x3001 -days 30 \
	-outform DER -out "$out/cert/v1.der"
printf '%s\n' 'subjectAltName=DNS:a.example,IP:192.0.2.1,IP:2001:db8::1,email:x@a.example,URI:https://a.example/,DNS:*.a.example' \
	'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
	'extendedKeyUsage=serverAuth' >sans.ext
ossl req -new -key leaf.key -subj "/C=US/O=Many SANs, Inc./CN=a.example" -out sans.csr
ossl x509 -req -in sans.csr -CA mk/ca.pem -CAkey mk/ca.key -set_serial 0x3002 -days 30 \
	-extfile sans.ext -outform DER -out "$out/cert/sans.der"
ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key
ossl req -x509 -new -key rsa.key -subj "/CN=rsa.example" -days 20000 -outform DER \
	-out "$out/cert/rsa-gentime.der"
ossl req -x509 -new -key leaf.key -subj "/CN=negative.example" -set_serial -0x1234 -days 30 \
	-outform DER -out "$out/cert/negative-serial.der"
ossl pkey -in leaf.key -outform DER -out "$out/cert/private-key.der"

# Edge cases by DER surgery on a real certificate.
python3 - "$out/cert/mkcerts-0.der" "$out/cert" <<'EOF'
import sys

src, out = sys.argv[1], sys.argv[2]
der = open(src, "rb").read()

def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b

def tlv(tag, content):
    return bytes([tag]) + length(len(content)) + content

def items(b):
    """The TLVs of b (single-byte tags, definite lengths) as (tag, content, whole)."""
    i, res = 0, []
    while i < len(b):
        tag, n, j = b[i], b[i + 1], i + 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(b[j:j + k], "big")
            j += k
        res.append((tag, b[j:j + n], b[i:j + n]))
        i = j + n
    return res

(_, cert, _), = items(der)
(_, tbs, _), (_, alg, alg_w), (_, sig, sig_w) = items(cert)
fields = items(tbs)
names = ["version", "serial", "sigalg", "issuer", "validity", "subject", "spki", "exts"]
f = {n: w for n, (_, _, w) in zip(names, fields)}

def build(**over):
    order = over.pop("order", names)
    body = b"".join(over.get(n, f[n]) for n in order if over.get(n, f.get(n)) is not None)
    return tlv(0x30, tlv(0x30, body) + alg_w + sig_w)

def write(name, data):
    open(f"{out}/{name}.der", "wb").write(data)

OID_CN = bytes.fromhex("0603550403")
def name(*rdns):
    return tlv(0x30, b"".join(tlv(0x31, tlv(0x30, OID_CN + tlv(t, v))) for t, v in rdns))

def ext(oid, value, critical=False):
    return tlv(0x30, tlv(0x06, oid) + (b"\x01\x01\xff" if critical else b"") + tlv(0x04, value))

def exts(*es):
    return tlv(0xa3, tlv(0x30, b"".join(es)))

SAN = bytes.fromhex("551d11")
def san(*gens):
    return tlv(0x30, b"".join(gens))

# The outer encoding.
write("truncated", der[: len(der) // 2])
write("trailing-byte", der + b"\x00")
write("indefinite-length", b"\x30\x80" + cert + b"\x00\x00")
write("long-form-length", b"\x30\x84" + len(cert).to_bytes(4, "big") + cert)
write("length-past-end", b"\x30\x84\x7f\xff\xff\xff" + cert)
write("no-signature", tlv(0x30, tlv(0x30, tbs) + alg_w))
write("empty-sequence", b"\x30\x00")
# Serials.
write("serial-negative-padded", build(serial=tlv(0x02, b"\xff\x7f\x01")))
write("serial-zero-padded", build(serial=tlv(0x02, b"\x00\x00\x12\x34")))
write("serial-empty", build(serial=tlv(0x02, b"")))
write("serial-40-bytes", build(serial=tlv(0x02, b"\x7f" + b"\xa5" * 39)))
write("serial-81-bytes", build(serial=tlv(0x02, b"\x11" * 81)))
write("no-version", build(version=None))
# Validity.
gt = tlv(0x18, b"20500101000000Z")
write("validity-generalized", build(validity=tlv(0x30, gt + tlv(0x18, b"99991231235959Z"))))
write("validity-bad-month", build(validity=tlv(0x30, tlv(0x17, b"991301000000Z") + gt)))
write("validity-three-times", build(validity=tlv(0x30, gt + gt + gt)))
# Names: BMPString and UniversalString with controls and bidi, T61 bytes.
write("name-bmp", build(subject=name((0x1e, "evil\x1b[2J\u202ex\n".encode("utf-16-be")))))
write("name-universal", build(subject=name((0x1c, "caf\u00e9\x07".encode("utf-32-be")))))
write("name-t61", build(issuer=name((0x14, b"\xe9t\xe9\x00\x1b"), (0x13, b"Printable+,=\\"))))
write("name-bad-utf8", build(issuer=name((0x0c, b"\xff\xfe bad utf8 \xc3"))))
write("name-empty", build(subject=tlv(0x30, b"")))
# Extensions.
dns = lambda s: tlv(0x82, s)
ip = lambda b: tlv(0x87, b)
write("san-odd", build(exts=exts(ext(SAN, san(dns(b"a,b\\c\x00\x1b.example"), ip(b"\x0a\x00\x00\x01"),
                                           ip(b"\x0a\x00\x00\x00\xff\x00\x00\x00"), ip(b"\x01\x02\x03")),
                                      critical=True))))
write("san-twice", build(exts=exts(ext(SAN, san(dns(b"first.example"))),
                                   ext(SAN, san(dns(b"second\x1b.example"))))))
write("san-not-a-sequence", build(exts=exts(ext(SAN, b"\x04\x00"))))
write("unique-ids", build(exts=tlv(0x81, b"\x00\x01") + tlv(0x82, b"\x00\x02") + f["exts"]))
write("exts-out-of-order", build(exts=f["exts"] + tlv(0x81, b"\x00")))
write("ext-bad-critical", build(exts=exts(tlv(0x30, tlv(0x06, SAN) + b"\x01\x01\xff\x01\x01\xff"
                                               + tlv(0x04, san(dns(b"x")))))))
EOF
rm -f "$tmp/openssl.err"

# ---- import: PEM and DER files ---------------------------------------------------
pem1() { openssl x509 -inform DER -in "$1"; }
pem1 "$out/cert/mkcerts-0.der" >"$out/import/one.pem"
for n in 1 2 3; do pem1 "$out/cert/mkcerts-$n.der"; done >"$out/import/bundle.pem"
cp "$out/cert/mkcerts-4.der" "$out/import/one.der"
{
	echo "Hello, here are the certificates you asked for."
	echo "Remember: a line such as -----BEGIN CERTIFICATE----- in prose is not a block."
	echo
	pem1 "$out/cert/mkcerts-5.der"
	echo "and the hostile one, mid-paragraph:"
	pem1 "$out/cert/mkcerts-8.der"
	echo "-- "
	echo "The PKI team"
} >"$out/import/prose.pem"
openssl x509 -inform DER -in "$out/cert/mkcerts-6.der" -trustout -addtrust serverAuth \
	-addreject clientAuth -setalias "trusted one" >"$out/import/trusted.pem"
cp "$mk/ca.key" "$out/import/key.pem"
{ cat "$mk/ca.key"; pem1 "$out/cert/mkcerts-7.der"; } >"$out/import/key-and-cert.pem"
openssl req -new -key "$tmp/leaf.key" -subj "/CN=request.example" >"$out/import/csr.pem" 2>/dev/null
pem1 "$out/cert/mkcerts-1.der" | sed 's/$/\r/' >"$out/import/crlf.pem"
pem1 "$out/cert/mkcerts-2.der" | head -n 5 >"$out/import/truncated.pem"
pem1 "$out/cert/mkcerts-3.der" | head -n 1 >"$out/import/begin-only.pem"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB!!not base64 at all\n-----END CERTIFICATE-----\n' \
	>"$out/import/bad-base64.pem"
printf -- '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n' >"$out/import/empty-block.pem"
{ pem1 "$out/cert/mkcerts-2.der" | sed '$s/CERTIFICATE/X509 CRL/'; } >"$out/import/wrong-end.pem"
printf -- '-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n' >"$out/import/crl-label.pem"
{ pem1 "$out/cert/negative-serial.der"; pem1 "$out/cert/negative-serial.der"; } \
	>"$out/import/duplicate.pem"
pem1 "$out/cert/sans.der" | tr -d '\n' >"$out/import/one-line.pem"
printf '\060\202\001\000this is not DER at all, only text\n' >"$out/import/garbage.der"
cp "$out/cert/indefinite-length.der" "$out/import/ber.der"
: >"$out/import/empty"
# Big bundles for the chunked scan (fuzz-import.c): "\377B", then the
# bytes of the input at which the chunk boundary falls (little endian).
big() { # NAME OFFSET FILE
	printf "\\377B\\$(printf %o $(($2 % 256)))\\$(printf %o $(($2 / 256)))" >"$out/import/$1"
	cat "$3" >>"$out/import/$1"
}
second=$(grep -bo -- '-----BEGIN' "$out/import/bundle.pem" | sed -n 2p | cut -d: -f1)
big big-mid-cert 1000 "$out/import/bundle.pem"
big big-at-begin "$second" "$out/import/bundle.pem"
big big-after-begin $((second + 1)) "$out/import/bundle.pem"
big big-before-begin $((second - 1)) "$out/import/bundle.pem"
big big-key 0 "$out/import/key.pem"
big big-truncated 20 "$out/import/truncated.pem"

# ---- csv: customer lists -------------------------------------------------------------
cp "$mk/customers.csv" "$out/csv/customers.csv"
s() { openssl x509 -inform DER -in "$out/cert/mkcerts-$1.der" -noout -serial | cut -d= -f2; }
s0=$(s 0) s1=$(s 1) s2=$(s 2) s3=$(s 3)
printf '%s\n' "serial,customer,contact" "$s0,\"Acme, Inc.\",\"ops@acme.example\"" \
	"$s1,\"Quote \"\"Q\"\" Ltd\",\"line one" "line two\"" \
	"  $s2  ,  spaced  ,  x@y.example  " "\"$s3\",\"\",\"\"" >"$out/csv/quoted.csv"
printf 'serial,customer,contact\r\n%s,Crlf Corp,noc@crlf.example\r\n\r\n%s,Other,o@x.example\r\n' \
	"$s0" "$s1" >"$out/csv/crlf.csv"
printf '\357\273\277Serial,Customer,Contact\n%s,Bom GmbH,it@bom.example\n' "$s2" >"$out/csv/bom.csv"
printf '%s\n' "serial,customer,contact" "$s0,Good Row,g@x.example" \
	"XYZ-not-hex,Broken Row Inc,x@broken.example" \
	"0x$(echo "$s1" | sed 's/\(..\)/\1:/g; s/:$//'),Colons,c@x.example" \
	"$s2,only-two-columns" "-1234,Negative,n@x.example" "$s3,a,b,c" \
	"$s3,\"closed\" then text,t@x.example" >"$out/csv/bad.csv"
printf 'serial,customer,contact\n%s,"never closed,x@y.example\n%s,After,a@x.example\n' \
	"$s0" "$s1" >"$out/csv/unterminated.csv"
printf '\n\n%s,No Header,nh@x.example' "$s3" >"$out/csv/no-header-no-eol.csv"

# ---- config: warroom.conf ---------------------------------------------------------------
cat >"$out/config/manual.conf" <<'EOF'
[revocation]
backend = local
two_person = yes

[local]
ca_cert = ca/ca.pem
ca_key = ca/ca.key
out_dir = /srv/crl
crl_url = http://crl.example.test/

[mre]
absolute = 100          ; affected certificates that make an MRE
share_percent = 1.0     ; share of the active TLS certificates

[users]
alice = management
bob = revocation,replacement
carol = customer-relations
EOF
cat >"$out/config/every-key.conf" <<'EOF'
; every key warroom.conf(5) names
[mre]
absolute = 10
share_percent = 0.5
[revocation]
backend = acme
two_person = no
batch = 100000
[local]
ca_cert = /etc/warroom/ca.pem
ca_key = ca.key
out_dir = out
shard_entries = 100000
crl_url = http://crl.example.test/
ocsp_url = http://ocsp.example.test/
crl_days = 7
[acme]
directory = https://127.0.0.1:14000/dir
ca_bundle = pebble.minica.pem
account_key = account.key
concurrency = 64
cert_key_dir = keys/
[exec]
command = /usr/local/bin/revoke --file {serials_file} --reason {reason} --code {reason_code}
timeout = 300
EOF
printf '[mre]\nabsolute = 10\nshare_percent = lots\n' >"$out/config/bad-percent.conf"
printf '[revocation]\nbackend = carrier-pigeon\n' >"$out/config/bad-backend.conf"
printf '[revocation]\ntwo_person = maybe\nbatch = -5\n' >"$out/config/bad-bool.conf"
printf '[users]\nalice = management\nbad user = revocation\n' >"$out/config/bad-user.conf"
printf '[users]\nalice =\n' >"$out/config/user-no-teams.conf"
printf '[mre]\nabsolute = 1\nabsolute = 2\n[mre]\nabsolute = 3\n' >"$out/config/repeated.conf"
printf '[nosuch]\nkey = value\n' >"$out/config/unknown-section.conf"
printf '[mre]\nabsolut = 100\n' >"$out/config/unknown-key.conf"
printf '[mre]\nthis line has no equals sign\n' >"$out/config/no-equals.conf"
printf 'absolute = 100\n' >"$out/config/no-section.conf"
printf '\357\273\277[exec]\r\ncommand = echo {serials_file} ; a comment\r\ntimeout = 99999999999999999999\r\n' \
	>"$out/config/bom-crlf.conf"
printf '[users]\nroot = *\nd.e-f_g = a,b,c,d,e,f\n[local]\nca_cert = \n' >"$out/config/users-odd.conf"

# ---- plan ---------------------------------------------------------------------------------
cp "$top/data/plan.ini" "$out/plan/default.ini"
cat >"$out/plan/minimal.ini" <<'EOF'
[team ops]
name = Operations
revocation = Revoke
EOF
cat >"$out/plan/due-times.ini" <<'EOF'
[plan]
name = Due times
version = 2
[team a-1]
name = A
activation = +90m Start
communication = +4h
replacement = +3d Replace   with  spaces
revocation = deadline Revoke
revocation = deadline-2h Almost
post-mortem = deadline-1d Before the end
[team b]
name = B
post-mortem = Plain title
EOF
printf '[plan]\nname = Broken plan\nversion = 0.1\n[team management]\nname = Management\nactivation = +4x Assess scope\n' \
	>"$out/plan/bad-due.ini"
printf '[team a]\nname = A\nrevocation = deadline+2h Wrong sign\n' >"$out/plan/bad-deadline.ini"
printf '[team nameless]\nactivation = +1h Task\n' >"$out/plan/team-no-name.ini"
printf '[plan]\nname = No teams\n' >"$out/plan/no-teams.ini"
printf '[team Bad_ID]\nname = Bad\n' >"$out/plan/bad-id.ini"
printf '[team a]\nname = A\nlunch = +1h Eat\n' >"$out/plan/unknown-key.ini"
printf '[team a]\nname = A\n1 = +1h Phase by digit\n' >"$out/plan/digit-phase.ini"
printf '[team a]\nname = A\n[team b]\nname = B\n[team a]\nname = A again\nrevocation = Back in a\n' \
	>"$out/plan/team-twice.ini"
printf '[plan]\nauthor = me\n' >"$out/plan/plan-unknown-key.ini"
printf '[team a]\nname = A\nrevocation = +4h\n' >"$out/plan/due-no-title.ini"
printf '\357\273\277[team a]\r\nname = A\r\nactivation = +1h Go ; not a comment?\r\n' >"$out/plan/bom-crlf.ini"
chmod 644 "$out"/*/*
echo "mkcorpus.sh: $(find "$out" -type f | wc -l) files," \
	"$(find "$out" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }') bytes in $out"
