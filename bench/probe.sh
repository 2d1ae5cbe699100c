#!/bin/sh
# probe.sh BUILD_DIR: `warroom probe` at concurrency 64 against 64
# loopback TLS servers (openssl s_server), 2,048 endpoints (32 affected
# certificates, each deployed on all 64 servers), beside a sequential
# `openssl s_client -connect` loop over 50 of those endpoints, in the
# same run. Prints both rates and their ratio; asserts nothing.
# Goal (issue 10): at least 1,000 endpoints/s on 2 cores.
# WR_BENCH_PROBE_SERVERS, WR_BENCH_PROBE_CERTS and WR_BENCH_PROBE_ROUNDS
# override 64, 32 and 3.
set -eu
build=$(cd "$1" && pwd) # absolute: the runs below cd to a work directory
. "$(dirname "$0")/lib.sh"
servers=${WR_BENCH_PROBE_SERVERS:-64}
certs=${WR_BENCH_PROBE_CERTS:-32}
rounds=${WR_BENCH_PROBE_ROUNDS:-3}
work=$(mktemp -d)
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || :; done
  for p in $pids; do wait "$p" 2>/dev/null || :; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"
# A python3 that is not a version manager's shim (each call through one
# costs tens of milliseconds).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

if ! $PY -c 'import cryptography.x509' 2>/dev/null; then
  echo "probe: skipped, no python3-cryptography to make the certificates"
  exit 0
fi

# The affected certificates, and one certificate every server serves.
mkdir affected
$PY - "$certs" <<'EOF'
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
now = datetime.datetime.utcnow()
k = ec.generate_private_key(ec.SECP256R1())
n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Probe Bench CA")])
def cert(serial, name):
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(n).public_key(k.public_key()).serial_number(serial)
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now + datetime.timedelta(days=60))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(k, hashes.SHA256()))
for i in range(int(sys.argv[1])):
    with open("affected/%04d.der" % i, "wb") as f:
        f.write(cert(0x10000 + i, "c%d.bench.test" % i).public_bytes(serialization.Encoding.DER))
with open("srv.crt", "wb") as f:
    f.write(cert(0x20000, "localhost").public_bytes(serialization.Encoding.PEM))
with open("srv.key", "wb") as f:
    f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()))
EOF

# The servers, each on a port the kernel had free a moment before; one
# whose port was taken meanwhile is started again on another.
free_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
listening() {
  $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}
ports=
i=0
while [ "$i" -lt "$servers" ]; do
  tries=0
  while :; do
    port=$(free_port)
    openssl s_server -quiet -accept "127.0.0.1:$port" -cert srv.crt -key srv.key -www \
      </dev/null >/dev/null 2>&1 &
    pid=$!
    n=0
    while [ $n -lt 50 ] && ! listening "$port"; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$pid" 2>/dev/null && listening "$port"; then break; fi
    kill "$pid" 2>/dev/null || :
    tries=$((tries + 1))
    [ $tries -lt 5 ] || { echo "probe: cannot start openssl s_server" >&2; exit 1; }
  done
  pids="$pids $pid"
  ports="$ports $port"
  i=$((i + 1))
done

# Every certificate deployed on every server.
eps=
for p in $ports; do eps="$eps 127.0.0.1:$p"; done
wr="$build/warroom --db $work/p.db"
$wr init --name "probe bench" >/dev/null
$wr import affected >/dev/null 2>&1
{
  echo "serial,customer,contact,endpoints"
  i=0
  while [ "$i" -lt "$certs" ]; do
    printf '%X,Customer %d,c%d@bench.test,%s\n' $((0x10000 + i)) "$i" "$i" "$eps"
    i=$((i + 1))
  done
} >customers.csv
$wr import --customers customers.csv >/dev/null
total=$((certs * servers))

# The sequential loop: one s_client per endpoint, 50 endpoints.
sample=50
t0=$(now_ns)
i=0
for p in $ports $ports; do
  [ "$i" -lt "$sample" ] || break
  openssl s_client -connect "127.0.0.1:$p" -servername localhost </dev/null >/dev/null 2>&1 || :
  i=$((i + 1))
done
t1=$(now_ns)
seq_rate=$(awk -v n="$i" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
echo "sequential openssl s_client: $i endpoints in $(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }') s, $seq_rate endpoints/s"

# warroom probe, each round a new one (--again), the best reported.
best=0
r=1
while [ "$r" -le "$rounds" ]; do
  t0=$(now_ns)
  /usr/bin/time -f "%U %S %M" -o time $wr probe --again --concurrency 64 --timeout 10 \
    --json >out.json 2>err || :
  t1=$(now_ns)
  read -r user sys kb <time
  n=$($PY -c 'import json; print(json.load(open("out.json"))["endpoints"])' 2>/dev/null || echo 0)
  bad=$($PY -c 'import json; print(json.load(open("out.json"))["unreachable"])' 2>/dev/null || echo "?")
  rate=$(awk -v n="$n" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
  echo "warroom probe --concurrency 64, round $r: $n of $total endpoints in $(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }') s ($user s user, $sys s system, peak $((kb / 1024)) MB), $rate endpoints/s, $bad unreachable"
  [ "$rate" -gt "$best" ] && best=$rate
  r=$((r + 1))
done
awk -v b="$best" -v s="$seq_rate" 'BEGIN { printf "  best %d endpoints/s: %.1f times the sequential s_client loop\n", b, (s > 0 ? b / s : 0) }'
echo "  goal: at least 1,000 endpoints/s on 2 cores ($(nproc) here)"
