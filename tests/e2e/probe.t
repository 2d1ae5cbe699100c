#!/bin/sh
# probe.t: warroom probe against real TLS servers on 127.0.0.1.
#   openssl s_server instances serve an affected certificate, replacements,
#   an unrelated certificate, and, by SNI, a replacement only to a client
#   that names localhost; one port is closed, one server accepts and never
#   answers the handshake. probe records per endpoint 'affected',
#   'replacement', 'other' or 'unreachable' with the error; sets
#   replaced_at when every endpoint of a certificate serves something
#   else; status --json counts replacement_deployed and unreachable; a
#   run probes only what has no result in the current round (a customer
#   first, then the rest; nothing the second time; what a replacement
#   linked later makes worth probing again), --again opens a round that
#   a run killed midway leaves to the next; the timeout bounds a silent
#   server; each run is in the run table and the audit log. A TLS 1.2-only
#   server and one sending its chain are judged by the leaf they serve.
. "$(dirname "$0")/lib.sh"
no_plan

needs sqlite3 python3 openssl perl
PY=/usr/bin/python3
"$PY" -c 'import cryptography.x509' 2>/dev/null || bail_out "no python3-cryptography for $PY"

NOW=2026-11-25T08:00:00Z
export WARROOM_NOW=$NOW

# ---- the certificates -------------------------------------------------------------------
# One CA. Affected (notBefore 30 days ago), each with its endpoints:
#   A 1001 a.test   Alpha  served by SA (A itself)              -> affected
#   B 1002 b.test   Beta   SRB (B's replacement), SO (unrelated) -> replaced, not deployed
#   C 1003 c.test   Gamma  SRC (C's replacement)                -> deployed
#   D 1004 d.test   Delta  SRB (B's: another), a closed port    -> unreachable
#   E 1005 e.test   Eps    a server that never answers          -> unreachable (timeout)
#   F 1006 localhost Zeta  SNI: SRF to "localhost", else SO      -> deployed
#   G 1007 *.g.test Eta    no endpoints, a wildcard name only   -> nothing probed
mkdir affected repl srv
cat >mk.py <<'EOF'
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

NOW = datetime.datetime(2026, 11, 25, 8, 0, 0)
D = datetime.timedelta(days=1)

def key():
    return ec.generate_private_key(ec.SECP256R1())

def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

ca_k = key()
ca = (x509.CertificateBuilder().subject_name(name("Probe Test CA")).issuer_name(name("Probe Test CA"))
      .public_key(ca_k.public_key()).serial_number(1).not_valid_before(NOW - 90 * D)
      .not_valid_after(NOW + 900 * D)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .sign(ca_k, hashes.SHA256()))

def leaf(serial, names, nb, issuer=ca, ikey=ca_k):
    k = key()
    c = (x509.CertificateBuilder().subject_name(name(names[0])).issuer_name(issuer.subject)
         .public_key(k.public_key()).serial_number(serial)
         .not_valid_before(nb).not_valid_after(NOW + 60 * D)
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                        critical=False)
         .sign(ikey, hashes.SHA256()))
    return c, k

def put(path, data):
    with open(path, 'wb') as f:
        f.write(data)

def serve(tag, c, k):
    put("srv/%s.crt" % tag, c.public_bytes(serialization.Encoding.PEM))
    put("srv/%s.key" % tag, k.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

old, new = NOW - 30 * D, NOW - D
for tag, serial, names in [("A", 0x1001, ["a.test"]), ("B", 0x1002, ["b.test"]),
                           ("C", 0x1003, ["c.test"]), ("D", 0x1004, ["d.test"]),
                           ("E", 0x1005, ["e.test"]), ("F", 0x1006, ["localhost"]),
                           ("G", 0x1007, ["*.g.test"])]:
    c, k = leaf(serial, names, old)
    put("affected/%s.der" % tag, c.public_bytes(serialization.Encoding.DER))
    serve(tag, c, k)
for tag, serial, names in [("RB", 0x2002, ["b.test"]), ("RC", 0x2003, ["c.test"]),
                           ("RF", 0x2006, ["localhost"])]:
    c, k = leaf(serial, names, new)
    put("repl/%s.pem" % tag, c.public_bytes(serialization.Encoding.PEM))
    serve(tag, c, k)
other_k = key()
other = (x509.CertificateBuilder().subject_name(name("Other CA")).issuer_name(name("Other CA"))
         .public_key(other_k.public_key()).serial_number(9).not_valid_before(NOW - 90 * D)
         .not_valid_after(NOW + 900 * D).sign(other_k, hashes.SHA256()))
c, k = leaf(0x9001, ["elsewhere.test"], new, other, other_k)
serve("O", c, k)
put("srv/ca.crt", ca.public_bytes(serialization.Encoding.PEM))
EOF
"$PY" mk.py || bail_out "making the certificates failed"
sha() { openssl x509 -in "srv/$1.crt" -outform DER | openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F; }

# ---- the servers --------------------------------------------------------------------------
listening() { "$PY" -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1"; }
# tls_server VAR TAG [s_server options]: an s_server serving srv/TAG on a
# free port, in $VAR; another port when the one picked is taken meanwhile.
tls_server() {
	_var=$1 _tag=$2
	shift 2
	for _try in 1 2 3 4 5; do
		_port=$(free_port)
		openssl s_server -quiet -accept "127.0.0.1:$_port" -cert "srv/$_tag.crt" \
			-key "srv/$_tag.key" -www "$@" </dev/null >"srv/$_tag.$_port.log" 2>&1 &
		_pid=$!
		if until_ok 50 listening "$_port" && kill -0 "$_pid" 2>/dev/null; then
			PIDS="$PIDS $_pid"
			eval "$_var=$_port ${_var}_PID=$_pid"
			return 0
		fi
		kill "$_pid" 2>/dev/null
		wait "$_pid" 2>/dev/null
	done
	bail_out "cannot start openssl s_server for $_tag"
}
tls_server P_A A
tls_server P_RB RB
tls_server P_RC RC
tls_server P_O O
tls_server P_SNI O -servername localhost -cert2 srv/RF.crt -key2 srv/RF.key
P_CLOSED=$(free_port)
# A server that accepts and never says a word.
cat >silent.py <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(sys.argv[1] + ".log", "a") as f:
        f.write("accepted\n")
EOF
"$PY" silent.py silent.port &
PIDS="$PIDS $!"
until_ok 50 test -s silent.port || bail_out "the silent server did not start"
P_SILENT=$(cat silent.port)

# ---- the incident ---------------------------------------------------------------------------
W init --name "Probe" >/dev/null 2>&1 || bail_out "init failed"
W import affected >/dev/null 2>&1 || bail_out "import of the affected certificates failed"
cat >customers.csv <<EOF
serial,customer,contact,endpoints
1001,Alpha,a@a.test,127.0.0.1:$P_A
1002,Beta,b@b.test,127.0.0.1:$P_RB 127.0.0.1:$P_O
1003,Gamma,c@c.test,127.0.0.1:$P_RC
1004,Delta,d@d.test,127.0.0.1:$P_RB 127.0.0.1:$P_CLOSED
1005,Eps,e@e.test,127.0.0.1:$P_SILENT
1006,Zeta,f@f.test,localhost:$P_SNI
1007,Eta,g@g.test,
EOF
W import --customers customers.csv >/dev/null 2>&1 || bail_out "import of the customers failed"
sql() { sqlite3 "$DB" "$1"; }
is "$(sql 'SELECT count(*) FROM cert')" 7 "7 affected certificates"

outcome() { # SERIAL PORT: the outcome recorded for that endpoint
	sql "SELECT p.outcome FROM probe p JOIN cert c ON c.id = p.cert_id
	     WHERE c.serial = '$1' AND p.port = $2"
}
served() { # SERIAL PORT: the sha256 recorded as served, upper-case hex
	sql "SELECT hex(p.sha256) FROM probe p JOIN cert c ON c.id = p.cert_id
	     WHERE c.serial = '$1' AND p.port = $2"
}
replaced() { sql "SELECT replaced_at IS NOT NULL FROM cert WHERE serial = '$1'"; }

# ---- a customer first -------------------------------------------------------------------------
run W probe --customer Alpha --json
is "$RC" 0 "probe --customer Alpha exits 0: its endpoint answered"
is "$(json_get "$OUT_FILE" total)" 1 "... one endpoint to probe"
is "$(json_get "$OUT_FILE" affected)" 1 "... which serves the affected certificate"
is "$(outcome 1001 "$P_A")" affected "probe table: A's endpoint serves A"
is "$(served 1001 "$P_A")" "$(sha A)" "... with A's sha256"
is "$(replaced 1001)" 0 "A is not replaced"
run W probe --customer Nobody
is "$RC" 1 "probe --customer of an unknown name fails"
like "$ERR" "no customer of that name" "... saying so"

# ---- the rest, before any replacement is linked -----------------------------------------------
run W probe --timeout 1 --concurrency 3 --json
is "$RC" 1 "probe exits 1: endpoints unreachable"
is "$(json_get "$OUT_FILE" total)" 7 "the second run probes the 7 endpoints not probed yet (A's is done)"
is "$(json_get "$OUT_FILE" unreachable)" 2 "... 2 unreachable"
is "$(outcome 1002 "$P_RB")" other "B's replacement, not linked yet, is another certificate"
is "$(replaced 1002)" 1 "B, whose endpoints serve something else, is replaced"
is "$(outcome 1004 "$P_CLOSED")" unreachable "the closed port is unreachable"
like "$(sql "SELECT error FROM probe WHERE port = $P_CLOSED")" "connect: Connection refused" \
	"... connection refused"
is "$(outcome 1005 "$P_SILENT")" unreachable "the silent server is unreachable"
like "$(sql "SELECT error FROM probe WHERE port = $P_SILENT")" "no TLS handshake within 1 s" \
	"... the timeout ended its handshake"
is "$(sql "SELECT count(*) FROM probe p JOIN cert c ON c.id = p.cert_id WHERE c.serial = '1007'")" 0 \
	"G (a wildcard name, no endpoints) has nothing to probe"

# ---- replacements linked: what they change is probed again ------------------------------------
W import --replacements repl >/dev/null 2>&1
is "$(sql 'SELECT count(*) FROM replacement')" 3 "3 replacements linked (B, C, F)"
run W probe --timeout 1 --json
is "$(json_get "$OUT_FILE" total)" 4 "the next run probes again the 4 endpoints of B, C and F only"
is "$(json_get "$OUT_FILE" replacement)" 3 "... 3 serve the replacement"
is "$(json_get "$OUT_FILE" other)" 1 "... 1 another certificate"
is "$(outcome 1002 "$P_RB")" replacement "B's endpoint serves its replacement"
is "$(served 1002 "$P_RB")" "$(sha RB)" "... with RB's sha256"
is "$(outcome 1002 "$P_O")" other "B's other endpoint serves another certificate"
is "$(outcome 1003 "$P_RC")" replacement "C's endpoint serves its replacement"
is "$(outcome 1004 "$P_RB")" other "D's first endpoint serves B's replacement: another one"
is "$(outcome 1006 "$P_SNI")" replacement "F's endpoint, asked for localhost by SNI, serves F's replacement"
is "$(served 1006 "$P_SNI")" "$(sha RF)" "... RF, which s_server serves only to SNI localhost"
is "$(replaced 1001):$(replaced 1002):$(replaced 1003):$(replaced 1004):$(replaced 1005):$(replaced 1006)" \
	0:1:1:0:0:1 "replaced: B, C, F; not A (affected), D and E (unreachable)"
run W status --json
is "$(json_get "$OUT_FILE" counts.replaced)" 3 "status --json: replaced 3"
is "$(json_get "$OUT_FILE" counts.replacement_deployed)" 2 "... replacement_deployed 2 (C, F)"
is "$(json_get "$OUT_FILE" counts.unreachable)" 2 "... unreachable 2 (D, E)"
is "$(json_get "$OUT_FILE" counts.replacement_issued)" 3 "... replacement_issued 3"

run W probe
is "$RC" 0 "a run with nothing left in the round exits 0"
like "$OUT" "every endpoint is probed already" "... and says so"

# ---- a server falls back to the affected certificate -----------------------------------------
# C's replacement server now serves C itself again, on the same port.
kill "$P_RC_PID"
wait "$P_RC_PID" 2>/dev/null
openssl s_server -quiet -accept "127.0.0.1:$P_RC" -cert srv/C.crt -key srv/C.key -www \
	</dev/null >srv/C.log 2>&1 &
PIDS="$PIDS $!"
until_ok 50 listening "$P_RC" || bail_out "cannot serve C again on $P_RC"
run W probe --again --timeout 1 --json
is "$(json_get "$OUT_FILE" round)" 2 "probe --again opens round 2"
is "$(json_get "$OUT_FILE" total)" 8 "... and probes all 8 endpoints"
is "$(json_get "$OUT_FILE" unreplaced)" 1 "... one certificate serves the affected one again"
is "$(outcome 1003 "$P_RC")" affected "C's endpoint serves C again"
is "$(replaced 1003)" 0 "C is no longer replaced"
run W status --json
is "$(json_get "$OUT_FILE" counts.replaced):$(json_get "$OUT_FILE" counts.replacement_deployed):$(json_get "$OUT_FILE" counts.unreachable)" \
	2:1:2 "status --json: replaced 2, replacement_deployed 1 (F), unreachable 2"
run W status
like "$OUT" "replaced +2 " "status (text): replaced 2"
like "$OUT" "replacement issued 3, deployed 1" "... replacement issued 3, deployed 1"
like "$OUT" "unreachable +2 " "... unreachable 2"

# ---- killed midway, continued ------------------------------------------------------------------
# A long timeout holds the run on the silent server; kill -9 it there.
accepted() { cat silent.port.log 2>/dev/null | wc -l; }
BEFORE=$(accepted)
# (the binary itself, not W, so that $! is its pid)
"$WARROOM" --db "$DB" probe --again --timeout 60 --concurrency 1 >/dev/null 2>&1 &
KPID=$!
until_ok 100 sh -c "[ \"\$(sqlite3 '$DB' \"SELECT count(*) FROM run WHERE kind = 'probe' AND state = 'running'\")\" = 1 ]" ||
	fail "the probe run shows as running"
# It waits on the silent server once that has accepted its connection.
until_ok 100 sh -c "[ \$(cat silent.port.log | wc -l) -gt $BEFORE ]" ||
	fail "the probe run reached the silent server"
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
is "$(sql 'SELECT round FROM probe_round')" 3 "the killed run had opened round 3"
is "$(sql 'SELECT count(*) FROM probe WHERE round = 3')" 0 "... and recorded none of its batch"
KILLED=$(sql "SELECT max(id) FROM run WHERE kind = 'probe'")
run W runs --all --json
is "$(perl -MJSON::PP -e 'local $/; my $k = shift; my ($r) = grep { $_->{id} == $k } @{decode_json(<STDIN>)};
	print $r ? "$r->{kind} $r->{state}" : "none"' "$KILLED" <"$OUT_FILE")" "probe died" \
	"runs --all shows the killed probe run as died"
run W probe --timeout 1 --json
is "$(json_get "$OUT_FILE" round)" 3 "a plain run continues round 3"
is "$(json_get "$OUT_FILE" total)" 8 "... with all 8 endpoints the killed run left"
is "$(sql 'SELECT count(*) FROM probe WHERE round = 3')" 8 "... all recorded in round 3"
is "$(sql "SELECT state FROM run WHERE kind = 'probe' ORDER BY id DESC LIMIT 1")" done \
	"the run table shows the run done"
is "$(sql "SELECT done FROM run WHERE kind = 'probe' ORDER BY id DESC LIMIT 1")" 8 "... 8 done"

# ---- the audit log ---------------------------------------------------------------------------
is "$(sql "SELECT count(*) FROM event WHERE action = 'probe'")" 6 "an audited probe event per finished run"
like "$(sql "SELECT details FROM event WHERE action = 'probe' ORDER BY id DESC LIMIT 1")" \
	'"endpoints": *8' "... with its counts"
run W log --grep probed
like "$OUT" "probed 8 endpoints: 2 still serving the affected certificate, 2 its replacement, 2 another, 2 unreachable" \
	"log tells the last run in a sentence"
run W audit verify
is "$RC" 0 "the audit chain holds"

# ---- TLS 1.2, and a chain: the leaf is what counts --------------------------------------------
# The probe takes the certificate where OpenSSL would verify it and stops
# there; under TLS 1.2 it comes before the key exchange, and a server that
# sends its chain is judged by its leaf, not by the CA after it.
tls_server P_T12 RC -tls1_2
tls_server P_CHAIN A -cert_chain srv/ca.crt
DB2=$WORK/chain.db
W2() { "$WARROOM" --db "$DB2" "$@"; }
W2 init --name "Probe 2" >/dev/null 2>&1 || bail_out "init 2 failed"
W2 import affected/A.der affected/C.der >/dev/null 2>&1 || bail_out "import 2 failed"
printf 'serial,customer,contact,endpoints\n1001,Alpha,a@a.test,127.0.0.1:%s\n1003,Gamma,c@c.test,127.0.0.1:%s\n' \
	"$P_CHAIN" "$P_T12" >customers2.csv
W2 import --customers customers2.csv >/dev/null 2>&1 || bail_out "import of the customers 2 failed"
W2 import --replacements repl/RC.pem >/dev/null 2>&1 || bail_out "import of RC failed"
run W2 probe --timeout 5 --json
is "$RC:$(json_get "$OUT_FILE" unreachable)" 0:0 "TLS 1.2 and chain: probe exits 0, nothing unreachable"
p2() { sqlite3 "$DB2" "SELECT p.outcome || ' ' || hex(p.sha256) FROM probe p JOIN cert c ON c.id = p.cert_id
	WHERE c.serial = '$1'"; }
is "$(p2 1003)" "replacement $(sha RC)" "a TLS 1.2-only server: C's replacement, by its sha256"
is "$(p2 1001)" "affected $(sha A)" "a server sending A and its CA: A, by its sha256"

# ---- usage -----------------------------------------------------------------------------------
run W probe --concurrency 0
is "$RC" 2 "--concurrency 0 is a usage error"
run W probe --timeout soon
is "$RC" 2 "--timeout soon is a usage error"

done_testing
