#!/bin/sh
# revoke-acme.t: the acme backend (RFC 8555 revokeCert) end to end.
#
# Against pebble on 127.0.0.1 (scripts/pebble.sh), with certificates issued
# by lego: revocation signed with the issuing account's key (kid) and with
# each certificate's own key (cert_key_dir, jwk), each checked
# independently on pebble's management listener (/cert-status-by-serial:
# Valid or Revoked, and the reason); a certificate revoked beforehand out of
# band (lego revoke) counts as revoked (alreadyRevoked); a second run sends
# nothing; status --json counts them; the reason is omitted when the
# CRLReason is unspecified; a certificate of another account fails
# (unauthorized) and stays queued; a missing own key fails and a later run
# with the key revokes it. pebble rejects 5% of good nonces, so badNonce
# retries run all along.
#
# Against a hostile fake ACME server (Python, TLS on 127.0.0.1): problem
# documents with terminal escapes, a 500 page, a huge answer, endless
# badNonce, and a server that dies in the middle of a batch (the batch
# fails as a whole, nothing is lost, and the next run finishes it).
. "$(dirname "$0")/lib.sh"

needs pebble lego curl openssl python3 sqlite3
no_plan

PEBBLE_SH=$WR_REPO/scripts/pebble.sh
P=$WORK/pebble
FAKE_PID=
PEBBLE_PID=
# By PID, so that pebble stops even when its directory is gone.
cleanup() {
	[ -n "$PEBBLE_PID" ] && kill "$PEBBLE_PID" 2>/dev/null
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	_wr_cleanup
}
trap cleanup EXIT

# No random badNonce from pebble here, so request counts are exact; the
# fake server below tests the badNonce retries on purpose.
PEBBLE_WFE_NONCEREJECT=0 sh "$PEBBLE_SH" start "$P" >/dev/null 2>&1 || bail_out "pebble did not start: $(tail -3 "$P/pebble.log" 2>/dev/null)"
PEBBLE_PID=$(cat "$P/pebble.pid")
. "$P/env"
pass "pebble answers on $ACME_DIR"

DISC=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)

serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }
# pebble's view of a serial: STATUS [REASON]
pebble_status() {
	curl -sk "$ACME_MGMT/cert-status-by-serial/$1" >"$WORK/.ps" || { echo "unreachable"; return; }
	_s=$(json_get "$WORK/.ps" Status 2>/dev/null) || _s="?"
	_r=$(json_get "$WORK/.ps" Reason 2>/dev/null) && _s="$_s $_r"
	echo "$_s"
}
revoke_posts() { grep -c 'POST /revoke-cert' "$P/pebble.log"; }
counts() { # DB FIELD
	"$WARROOM" --db "$1" status --json >"$WORK/.st" 2>/dev/null
	json_get "$WORK/.st" "counts.$2"
}
newdb() { # DB CONFIG CERTDIR REASON: init, import, declare, authorize
	"$WARROOM" --db "$1" --config "$2" init --name "acme test" >/dev/null 2>&1 &&
		"$WARROOM" --db "$1" --config "$2" import "$3" >/dev/null 2>&1 &&
		"$WARROOM" --db "$1" --config "$2" declare --reason "$4" --discovered "$DISC" >/dev/null 2>&1 &&
		"$WARROOM" --db "$1" --config "$2" authorize revoke >/dev/null 2>&1
}

# ---- certificates ----------------------------------------------------------------
t0=$(date +%s)
LEGO_JOBS=6 sh "$PEBBLE_SH" issue "$P" 8 acct >/dev/null 2>&1 || bail_out "lego failed: $(tail -3 "$P/lego.log")"
LEGO_JOBS=6 sh "$PEBBLE_SH" issue "$P" 4 own >/dev/null 2>&1 || bail_out "lego failed: $(tail -3 "$P/lego.log")"
. "$P/env"
note "issued 12 certificates with lego in $(($(date +%s) - t0)) s"
ok "lego's account key is known" test -f "$ACME_ACCOUNT_KEY"

# A certificate of another account (its own lego --path).
LEGO_CA_CERTIFICATES=$PEBBLE_CA lego --server "$ACME_DIR" --email other@example.test \
	--accept-tos --domains other.example.test --http --http.port "127.0.0.1:$HTTP_PORT" \
	--path "$P/lego-other" run >/dev/null 2>&1 || bail_out "lego (other account) failed"
sed -n '1,/-----END CERTIFICATE-----/p' "$P/lego-other/certificates/other.example.test.crt" \
	>"$WORK/other.pem"

# acct8 is revoked out of band before warroom runs.
LEGO_CA_CERTIFICATES=$PEBBLE_CA lego --server "$ACME_DIR" --email warroom@example.test \
	--domains acct8.example.test --path "$P/lego" revoke --keep --reason 4 >/dev/null 2>&1
S8=$(serial_of "$P/certs/acct8.example.test.pem")
is "$(pebble_status "$S8")" "Revoked 4" "acct8 revoked out of band by lego (superseded)"

# ---- with the account key ------------------------------------------------------
mkdir -p "$WORK/acct"
cp "$P"/certs/acct*.pem "$WORK/other.pem" "$WORK/acct/"
cat >"$WORK/acct.conf" <<EOF
[revocation]
backend = acme
batch = 4
[acme]
directory = $ACME_DIR
ca_bundle = $PEBBLE_CA
account_key = $ACME_ACCOUNT_KEY
concurrency = 3
EOF
DB=$WORK/acct.db
W() { "$WARROOM" --db "$DB" --config "$WORK/acct.conf" "$@"; }
newdb "$DB" "$WORK/acct.conf" "$WORK/acct" key-compromise || bail_out "init/import/declare failed"
is "$(counts "$DB" affected)" 9 "9 certificates imported"

for i in 1 2 3 4 5 6 7; do
	is "$(pebble_status "$(serial_of "$P/certs/acct$i.example.test.pem")")" "Valid" \
		"acct$i is valid before the run"
done

run W revoke --yes
is "$RC" 1 "revoke exits 1: one certificate failed"
like "$OUT" 'revoked 7 certificates \(1 already revoked, 1 failed' \
	"7 revoked, 1 already revoked (out of band), 1 failed (another account's)"
like "$OUT" 'through the acme backend' "the acme backend ran"
for i in 1 2 3 4 5 6 7; do
	is "$(pebble_status "$(serial_of "$P/certs/acct$i.example.test.pem")")" "Revoked 1" \
		"pebble: acct$i revoked, keyCompromise (1)"
done
is "$(pebble_status "$S8")" "Revoked 4" "pebble: acct8 keeps its out-of-band reason"
SO=$(serial_of "$WORK/other.pem")
is "$(pebble_status "$SO")" "Valid" "pebble: another account's certificate is still valid"
is "$(counts "$DB" revoked)" 8 "status --json counts 8 revoked"
is "$(counts "$DB" pending)" 1 "status --json: 1 still pending (the failed one)"
err=$(sqlite3 "$DB" "SELECT error FROM cert WHERE state = 'failed'")
like "$err" '^unauthorized: .*\(HTTP 403\)$' "the failure keeps the problem type and detail: $err"
# The CA's revocation time: within this run.
rat=$(W certs --json | perl -MJSON::PP -e 'local $/; my @c = grep { $_->{serial} eq $ARGV[0] } @{decode_json(<STDIN>)}; print $c[0]{revoked_at}' "$(serial_of "$P/certs/acct1.example.test.pem")")
like "$rat" "^$(date -u +%Y-%m-%d)T" "revoked_at is set to the run's time ($rat)"

# A second run: nothing new is sent for the revoked ones.
before=$(revoke_posts)
run W revoke --yes
is "$RC" 1 "second run: the unauthorized one fails again"
like "$OUT" 'revoked 0 certificates \(0 already revoked, 1 failed' "second run: no-op but for the failed one"
is "$(($(revoke_posts) - before))" 1 "second run: one revokeCert request (the failed certificate's)"
is "$(counts "$DB" revoked)" 8 "still 8 revoked"

# ---- with the certificates' own keys ------------------------------------------
# own1: SERIAL.key as pebble.sh names it; own2: renamed to the SHA-256 of
# its DER; own3: lower-case serial; own4: no key at first.
mkdir -p "$WORK/own" "$WORK/keys"
cp "$P"/certs/own*.pem "$WORK/own/"
for i in 1 2 3 4; do
	eval "SOWN$i=$(serial_of "$P/certs/own$i.example.test.pem")"
done
cp "$P/keys/$SOWN1.key" "$WORK/keys/"
fp=$(openssl x509 -in "$P/certs/own2.example.test.pem" -outform DER | sha256sum | cut -c1-64)
cp "$P/keys/$SOWN2.key" "$WORK/keys/$fp.key"
cp "$P/keys/$SOWN3.key" "$WORK/keys/$(echo "$SOWN3" | tr 'A-F' 'a-f').key"
cat >"$WORK/own.conf" <<EOF
[revocation]
backend = acme
[acme]
directory = $ACME_DIR
ca_bundle = $PEBBLE_CA
cert_key_dir = keys
concurrency = 1
EOF
DB2=$WORK/own.db
W2() { "$WARROOM" --db "$DB2" --config "$WORK/own.conf" "$@"; }
# subscriber-request: CRLReason unspecified, so no "reason" in the request.
newdb "$DB2" "$WORK/own.conf" "$WORK/own" subscriber-request || bail_out "init/import/declare failed"
run W2 revoke --yes
is "$RC" 1 "own keys: exits 1 (own4 has no key)"
like "$OUT" 'revoked 3 certificates \(0 already revoked, 1 failed' "own keys: 3 revoked, 1 failed"
i=0
for s in "$SOWN1" "$SOWN2" "$SOWN3"; do
	i=$((i + 1))
	is "$(pebble_status "$s")" "Revoked" "pebble: own$i revoked with its own key, no reason sent"
done
is "$(pebble_status "$SOWN4")" "Valid" "pebble: own4 still valid"
err=$(sqlite3 "$DB2" "SELECT error FROM cert WHERE state = 'failed'")
like "$err" "no key for this certificate in cert_key_dir \\($SOWN4.key or [0-9a-f]{64}.key\\)" \
	"the failure names the key files looked for"
# A wrong key under own4's name is refused before anything is sent.
cp "$P/keys/$SOWN1.key" "$WORK/keys/$SOWN4.key"
run W2 revoke --yes
is "$RC" 1 "a key of another certificate: still failing"
err=$(sqlite3 "$DB2" "SELECT error FROM cert WHERE state = 'failed'")
like "$err" "does not match the certificate" "a mismatched key is named as such"
cp "$P/keys/$SOWN4.key" "$WORK/keys/"
run W2 revoke --yes
is "$RC" 0 "with its key in place, own4's retry succeeds"
like "$OUT" 'revoked 1 certificates \(0 already revoked, 0 failed' "the retry revokes own4 only"
is "$(pebble_status "$SOWN4")" "Revoked" "pebble: own4 revoked"
is "$(counts "$DB2" revoked)" 4 "own keys: status counts 4 revoked"

# ---- configuration errors --------------------------------------------------------
# Each on an incident of its own: an incident runs only under the config
# whose policy it pinned, and these configs are what it pins.
errdb() { # CONFIG: a fresh incident under CONFIG, in $EDB
	EDB=$WORK/err-$(basename "$1" .conf).db
	newdb "$EDB" "$1" "$WORK/acct" key-compromise || bail_out "init/import/declare for $1 failed"
}
cat >"$WORK/nokey.conf" <<EOF
[revocation]
backend = acme
[acme]
directory = $ACME_DIR
ca_bundle = $PEBBLE_CA
EOF
errdb "$WORK/nokey.conf"
run "$WARROOM" --db "$EDB" --config "$WORK/nokey.conf" revoke --yes
isnt "$RC" 0 "neither account_key nor cert_key_dir: an error"
like "$ERR" 'account_key.*cert_key_dir' "the error names both settings"
sed "s#^ca_bundle = .*#ca_bundle = /etc/ssl/certs/ca-certificates.crt#" "$WORK/acct.conf" >"$WORK/badca.conf"
errdb "$WORK/badca.conf"
run "$WARROOM" --db "$EDB" --config "$WORK/badca.conf" revoke --yes
isnt "$RC" 0 "a ca_bundle that does not trust the server: an error"
like "$ERR" 'certificate' "the error is about the server's certificate"
openssl genpkey -algorithm ed25519 -out "$WORK/ed.key" 2>/dev/null
sed "s#^account_key = .*#account_key = $WORK/ed.key#" "$WORK/acct.conf" >"$WORK/ed.conf"
errdb "$WORK/ed.conf"
run "$WARROOM" --db "$EDB" --config "$WORK/ed.conf" revoke --yes
isnt "$RC" 0 "an Ed25519 account key: an error"
like "$ERR" 'unsupported key' "the error says the key is unsupported"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/stranger.key" 2>/dev/null
sed "s#^account_key = .*#account_key = $WORK/stranger.key#" "$WORK/acct.conf" >"$WORK/stranger.conf"
errdb "$WORK/stranger.conf"
run "$WARROOM" --db "$EDB" --config "$WORK/stranger.conf" revoke --yes
isnt "$RC" 0 "an account key without an account: an error"
like "$ERR" 'no account' "the error says the key has no account"

# ---- a hostile ACME server ---------------------------------------------------------
# Answers by certificate: the behaviours file maps base64url(DER) to one of
# ok, hostile, http500, huge, badnonce, die. Also rejects 10% of good
# nonces and sends a Replay-Nonce with control bytes now and then.
cat >"$WORK/fakeacme.py" <<'PY'
import base64, http.server, json, os, random, secrets, ssl, sys, threading
cert, key, portfile, behaviours, store = sys.argv[1:6]
port = int(sys.argv[6]) if len(sys.argv) > 6 else 0
beh = dict(l.split() for l in open(behaviours) if l.strip())
nonces, lock = set(), threading.Lock()
revoked = set(l.strip() for l in open(store)) if os.path.exists(store) else set()

def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def base(self): return "https://127.0.0.1:%d" % self.server.server_port
    def nonce(self):
        n = secrets.token_urlsafe(16)
        with lock: nonces.add(n)
        return n
    def reply(self, code, body=b"", ctype="application/problem+json", extra=()):
        self.send_response(code)
        if random.random() < 0.1:
            self.send_header("Replay-Nonce", "evil\x1b[2J")
        else:
            self.send_header("Replay-Nonce", self.nonce())
        for k, v in extra: self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def problem(self, code, typ, detail):
        self.reply(code, json.dumps({"type": typ, "detail": detail}).encode())
    def do_HEAD(self):
        self.reply(200)
    def do_GET(self):
        if self.path == "/dir":
            b = self.base()
            d = {"newNonce": b + "/nonce", "newAccount": b + "/acct", "revokeCert": b + "/revoke"}
            self.reply(200, json.dumps(d).encode(), "application/json")
        else:
            self.reply(404, b"{}")
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Type") != "application/jose+json":
            return self.problem(415, "urn:ietf:params:acme:error:malformed", "content type")
        jws = json.loads(body)
        hdr = json.loads(b64d(jws["protected"]))
        with lock:
            fresh = hdr.get("nonce") in nonces
            nonces.discard(hdr.get("nonce"))
        if hdr.get("url") != self.base() + self.path:
            return self.problem(400, "urn:ietf:params:acme:error:malformed", "url")
        if not fresh or random.random() < 0.1:
            return self.problem(400, "urn:ietf:params:acme:error:badNonce", "bad nonce")
        if self.path == "/acct":
            return self.reply(200, b"{}", "application/json",
                              [("Location", self.base() + "/acct/1")])
        payload = json.loads(b64d(jws["payload"]))
        c = payload["certificate"]
        b = beh.get(c, "ok")
        if b == "die":
            os._exit(0)
        if b == "hostile":
            return self.problem(403, "urn:ietf:params:acme:error:unauthorized\x1b[31m",
                "evil\x1b]8;;http://x\x07link\u202e\r\nsecond line\x00" + "A" * 5000)
        if b == "http500":
            return self.reply(500, b"<html><h1>\x1b[2J oops</h1></html>", "text/html")
        if b == "huge":
            return self.problem(400, "urn:ietf:params:acme:error:malformed", "x" * 300000)
        if b == "badnonce":
            return self.problem(400, "urn:ietf:params:acme:error:badNonce", "always")
        with lock:
            already = c in revoked
            if not already:
                revoked.add(c)
                with open(store, "a") as f: f.write(c + "\n")
        if already:
            return self.problem(400, "urn:ietf:params:acme:error:alreadyRevoked", "already")
        self.reply(200, b"", "application/json")

class S(http.server.ThreadingHTTPServer):
    request_queue_size = 64
    daemon_threads = True
srv = S(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
# The TLS handshake happens in each connection's thread, not in accept().
srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
with open(portfile + ".tmp", "w") as f: f.write(str(srv.server_port))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
PY
b64cert() { openssl x509 -in "$1" -outform DER | base64 -w0 | tr '+/' '-_' | tr -d '='; }
# 60 fresh test certificates from warroom's own generator, one a file.
"$WR_TOOLS/wr-mkcerts" --out "$WORK/fake" --count 60 --format pem --seed 3 >/dev/null 2>&1 ||
	bail_out "wr-mkcerts failed"
mkdir -p "$WORK/fakecerts"
awk -v d="$WORK/fakecerts" '/-----BEGIN CERTIFICATE-----/ { n++; f = sprintf("%s/c%02d.pem", d, n) }
	f { print > f } /-----END CERTIFICATE-----/ { close(f); f = "" }' "$WORK/fake/bundle.pem"
FAKEPEMS=$(ls "$WORK/fakecerts"/*.pem)
: >"$WORK/behaviours"
i=0
for f in $FAKEPEMS; do
	i=$((i + 1))
	case $i in
	1) b=hostile ;; 2) b=http500 ;; 3) b=huge ;; 4) b=badnonce ;; *) b=ok ;;
	esac
	echo "$(b64cert "$f") $b" >>"$WORK/behaviours"
done
NFAKE=$i
fake_start() { # [PORT]
	rm -f "$WORK/fake.port"
	python3 "$WORK/fakeacme.py" "$P/cert.pem" "$P/key.pem" "$WORK/fake.port" \
		"$WORK/behaviours" "$WORK/fake.store" ${1:-} 2>"$WORK/fake.err" &
	FAKE_PID=$!
	_i=0
	while [ ! -s "$WORK/fake.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	FAKE_PORT=$(cat "$WORK/fake.port" 2>/dev/null)
}
fake_start
[ -n "$FAKE_PORT" ] || bail_out "the fake ACME server did not start: $(cat "$WORK/fake.err")"
cat >"$WORK/fake.conf" <<EOF
[revocation]
backend = acme
[acme]
directory = https://127.0.0.1:$FAKE_PORT/dir
ca_bundle = $P/cert.pem
account_key = $ACME_ACCOUNT_KEY
concurrency = 4
EOF
DB3=$WORK/fake.db
# A server that misbehaves must not hang the test: each run is bounded.
W3() { timeout 120 "$WARROOM" --db "$DB3" --config "$WORK/fake.conf" "$@"; }
newdb "$DB3" "$WORK/fake.conf" "$WORK/fakecerts" key-compromise || bail_out "init/import/declare failed"
NIMP=$(counts "$DB3" affected)
is "$NIMP" "$NFAKE" "the fake server's $NFAKE certificates imported"
run W3 revoke --yes
is "$RC" 1 "hostile server: exits 1 (4 failed)"
like "$OUT" "revoked $((NFAKE - 4)) certificates \\(0 already revoked, 4 failed" \
	"hostile server: the good ones revoked despite badNonce and bad nonces, 4 failed"
sqlite3 "$DB3" "SELECT error FROM cert WHERE state = 'failed' ORDER BY error" >"$WORK/errors"
no_control_bytes "$WORK/errors" "the server's hostile text is stored without control bytes"
file_like "$WORK/errors" '^unauthorized\?\[31m: evil\?\]8;;http://x\?link\?{5}second line\?A+\.\.\. \(HTTP 403\)$' \
	"hostile problem: type and detail kept, each control byte a '?'"
file_unlike "$WORK/errors" 'A{300}' "hostile problem: the long detail is cut"
file_like "$WORK/errors" '^HTTP 500 from the ACME server, without a problem document$' "a 500 page: named by its status"
file_like "$WORK/errors" '^HTTP 400 from the ACME server, without a problem document$' "a huge answer is not buffered"
file_like "$WORK/errors" '^badNonce: (always|bad nonce) \(HTTP 400\)$' "endless badNonce: retries are bounded"
run W3 log
no_control_bytes "$OUT_FILE" "log shows the batch's errors without control bytes"

# The server dies in the middle of a batch: the batch fails as a whole (the
# certificates stay queued), and a run after its restart finishes the job.
: >"$WORK/fake.store"
: >"$WORK/behaviours"
i=0
for f in $FAKEPEMS; do
	i=$((i + 1))
	[ $i -eq 30 ] && echo "$(b64cert "$f") die" >>"$WORK/behaviours"
done
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
fake_start "$FAKE_PORT"
DB4=$WORK/die.db
W4() { timeout 120 "$WARROOM" --db "$DB4" --config "$WORK/fake.conf" "$@"; }
newdb "$DB4" "$WORK/fake.conf" "$WORK/fakecerts" key-compromise || bail_out "init/import/declare failed"
run W4 revoke --yes
isnt "$RC" 0 "the server dies mid-batch: revoke fails"
like "$ERR" 'cannot reach the ACME server' "the error says the server cannot be reached"
done_before=$(wc -l <"$WORK/fake.store")
note "the fake server revoked $done_before before it died"
nok "the fake server is dead" kill -0 "$FAKE_PID" 2>/dev/null
is "$(counts "$DB4" revoked)" 0 "nothing counted revoked from the failed batch"
# Restart without the dying certificate.
: >"$WORK/behaviours"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
fake_start "$FAKE_PORT"
[ -n "$FAKE_PORT" ] || bail_out "the fake ACME server did not restart"
run W4 revoke --yes
is "$RC" 0 "after the restart, the run succeeds"
like "$OUT" "revoked $((NFAKE - done_before)) certificates \\($done_before already revoked, 0 failed" \
	"the ones done before the death come back as already revoked"
is "$(counts "$DB4" revoked)" "$NFAKE" "all $NFAKE counted revoked"
is "$(sort -u "$WORK/fake.store" | wc -l)" "$NFAKE" "the server revoked each exactly once"

# ---- unreachable ---------------------------------------------------------------------
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
FAKE_PID=
sh "$PEBBLE_SH" stop "$P"
ok "pebble stopped" test ! -f "$P/pebble.pid"
nok "pebble's process is gone" kill -0 "$PEBBLE_PID" 2>/dev/null
PEBBLE_PID=
run W revoke --yes
isnt "$RC" 0 "pebble gone: revoke fails"
like "$ERR" 'cannot reach the ACME server' "the error says the server cannot be reached"
is "$(counts "$DB" revoked)" 8 "the database is unchanged"

done_testing
