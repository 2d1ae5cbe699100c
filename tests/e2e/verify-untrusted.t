#!/bin/sh
# verify-untrusted.t: the CRL Distribution Point and OCSP URLs in the
# imported certificates are whatever their author wrote, so verify takes
# them only from a certificate whose signature verifies with the issuer's
# key, and only http:// ones. A forged certificate (the issuer's name,
# another key) pointing at a listener on 127.0.0.1 must not make verify
# request anything there; a genuine certificate's file://, ftp:// and
# https:// URLs are not fetched either. When no certificate's URLs can be
# trusted verify says so and asks for --crl-url / --ocsp-url, and URLs the
# operator gives are still used.
. "$(dirname "$0")/lib.sh"
no_plan

# Nothing may leave 127.0.0.1, not even through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

needs openssl sqlite3 python3 curl

sql() { sqlite3 "$DB" "$1"; }

# ---- the CA, the impostor and the certificates --------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout ca.key -out ca.pem -days 30 -subj "/CN=warroom untrusted test CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1 || bail_out "CA"
# Same name, another key: what a forger can make without the CA's key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout evil.key -out evil.pem -days 30 -subj "/CN=warroom untrusted test CA" \
	>/dev/null 2>&1 || bail_out "impostor CA"
openssl ecparam -name prime256v1 -genkey -noout -out leaf.key || bail_out "leaf key"
openssl req -new -key leaf.key -subj /CN=leaf.example -out leaf.csr || bail_out "csr"

HP=$(free_port)
BASE=http://127.0.0.1:$HP
mkdir certs www
# leaf SERIAL CA-CERT CA-KEY EXTENSIONS...
leaf() {
	_s=$1 _ca=$2 _key=$3
	shift 3
	printf '%s\n' "subjectAltName=DNS:leaf$_s.example" "$@" >ext.cnf
	openssl x509 -req -in leaf.csr -CA "$_ca" -CAkey "$_key" -set_serial "0x$_s" \
		-days 90 -extfile ext.cnf -out "certs/leaf$_s.pem" >/dev/null 2>&1 ||
		bail_out "leaf $_s"
}
# Genuine, with the CA's real CRL and no OCSP.
leaf 2001 ca.pem ca.key "crlDistributionPoints=URI:$BASE/good.crl"
# Forged: the CA's name, the impostor's key, URLs into the listener.
leaf 2002 evil.pem evil.key "crlDistributionPoints=URI:$BASE/trap.crl" \
	"authorityInfoAccess=OCSP;URI:$BASE/trap-ocsp"
# Genuine, but none of its URLs is http://.
leaf 2003 ca.pem ca.key \
	"crlDistributionPoints=URI:file:///etc/passwd,URI:ftp://127.0.0.1:$HP/ftp.crl,URI:https://127.0.0.1:$HP/tls.crl" \
	"authorityInfoAccess=OCSP;URI:https://127.0.0.1:$HP/tls-ocsp"
ok "openssl rejects the forged certificate" sh -c \
	'! openssl verify -CAfile ca.pem certs/leaf2002.pem >/dev/null 2>&1'
ok "openssl accepts the genuine one" sh -c \
	'openssl verify -CAfile ca.pem certs/leaf2001.pem >/dev/null 2>&1'

# The CA's CRL lists 2001 and 2002, as a CA would after the incident.
RT=$(($(date +%s) - 3600))
RTX=$(date -u -d "@$RT" +%y%m%d%H%M%SZ)
printf 'R\t301231235959Z\t%s,keyCompromise\t%s\tunknown\t/CN=leaf%s.example\n' \
	"$RTX" 2001 2001 "$RTX" 2002 2002 "$RTX" 2003 2003 >index.txt
echo 1000 >crlnumber
cat >ca.cnf <<EOF
[ca]
default_ca = CA_default
[CA_default]
database = index.txt
crlnumber = crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_crl_days = 7
EOF
openssl ca -gencrl -config ca.cnf -out good.pem >/dev/null 2>&1 &&
	openssl crl -in good.pem -outform DER -out www/good.crl || bail_out "gencrl"
# What a fetch of a trap would find: a CRL, so nothing else fails first.
cp www/good.crl www/trap.crl

python3 -m http.server --bind 127.0.0.1 --directory www "$HP" >http.log 2>&1 &
PIDS="$PIDS $!"
until_ok 100 curl -sf --noproxy '*' "$BASE/good.crl" -o /dev/null || bail_out "http.server did not start"
: >http.log

W init --name "Untrusted" >/dev/null 2>&1 || bail_out "init"
W import certs >/dev/null 2>&1 || bail_out "import"
W declare --reason key-compromise --discovered now >/dev/null 2>&1 || bail_out "declare"
revoke() { sql "UPDATE cert SET state = 'revoked', revoked_at = $RT, crl_reason = 1 WHERE serial = '$1'"; }
unrevoke() { sql "UPDATE cert SET state = 'pending', revoked_at = NULL, crl_reason = NULL WHERE serial = '$1'"; }

# ---- only the forged certificate is revoked -----------------------------------
revoke 2002
run W verify --issuer ca.pem
is "$RC" 1 "forged URLs only: nothing proven, exit 1"
file_unlike http.log "trap" "verify requested nothing the forged certificate names"
like "$OUT" "^problem: missing +2002: .*signature does not verify" \
	"the forged certificate's URLs are refused because of its signature"
like "$OUT" "--crl-url" "verify asks for --crl-url"
like "$OUT" "--ocsp-url" "verify asks for --ocsp-url"
like "$OUT" "0 fetched" "no CRL was fetched"
no_control_bytes "$OUT_FILE" "nothing raw on the terminal"
run W verify --issuer ca.pem --json
ok "--json is still JSON" json_valid "$OUT_FILE"
file_unlike http.log "trap" "--json: still nothing requested from the forged URLs"

# The operator's URL is always used.
run W verify --issuer ca.pem --crl-url "$BASE/good.crl" --sample 0
is "$RC" 0 "with --crl-url the forged certificate's revocation is found on the CA's CRL"
file_like http.log "GET /good.crl" "the operator's URL was fetched"
file_unlike http.log "trap" "and still nothing from the forged URLs"

# ---- a genuine certificate alongside: its URL is trusted -----------------------
revoke 2001
: >http.log
run W verify --issuer ca.pem
file_like http.log "GET /good.crl" "the genuine certificate's CRL is fetched"
file_unlike http.log "trap" "the forged certificate's are not"
like "$OUT" "1 fetched, 1 verified" "one CRL, verified"
unlike "$OUT" "^problem: missing +2001" "the genuine certificate is found"
unlike "$OUT" "^problem: missing +2002" "the forged one is listed on the CA's CRL, found through the genuine URL"
like "$OUT" "^problem: source .*OCSP URL.*--ocsp-url" "the forged certificate's OCSP URL is not asked"

# ---- a genuine certificate whose URLs are not http:// ----------------------------
unrevoke 2001
unrevoke 2002
revoke 2003
: >http.log
run W verify --issuer ca.pem
is "$RC" 1 "only file://, ftp:// and https:// URLs: exit 1"
is "$(cat http.log)" "" "no connection reached the listener (not even https://)"
like "$OUT" "^problem: missing +2003: .*http://" "the certificate's URLs are refused as not http://"
like "$OUT" "--crl-url" "verify asks for --crl-url"

# ---- with [local] ca_cert as the issuer --------------------------------------------
revoke 2002
cat >warroom.conf <<EOF
[local]
ca_cert = ca.pem
EOF
: >http.log
run "$WARROOM" --db "$DB" --config warroom.conf verify
is "$RC" 1 "[local] ca_cert: nothing proven, exit 1"
file_unlike http.log "trap" "[local] ca_cert: nothing requested from the forged URLs"

stop_servers
done_testing
