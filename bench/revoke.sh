#!/bin/sh
# revoke.sh BUILD_DIR: `revoke` of 1,000,000 and of 3,000,000 pending
# certificates through the local backend (the batches read from the
# incident, the test CA's record, the answers recorded, the CRLs and
# index.txt published), each on a fresh CA.
# Goals (the revocation issue): 1,000,000 under 10 s whole; 3,000,000 in at
# most 3.3 times the time of 1,000,000, with peak memory flat.
# WR_BENCH_SIZES overrides the sizes (e.g. "200000 1000000"), WR_BENCH_RUNS
# the runs of each (2; the fastest counts).
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
data="$build/bench-data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The filler's issuer is this CA's subject, so the local CA owns them all.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$work/ca.key" -out "$work/ca.pem" -days 30 \
  -subj "/C=US/O=Warroom Demo CA/CN=Warroom Bench Issuing CA" 2>/dev/null
chmod 600 "$work/ca.key"
cat > "$work/warroom.conf" <<CONF
[revocation]
backend = local
[local]
ca_cert = ca.pem
ca_key = ca.key
out_dir = crl
crl_url = http://127.0.0.1:8080/
CONF
chmod 600 "$work/warroom.conf"
first=
for n in ${WR_BENCH_SIZES:-1000000 3000000}; do
  src="$data/pending-$n-$(schema_tag).db"
  if [ ! -f "$src" ]; then
    "$build/tools/wr-filldb" --db "$src" --certs "$n" --revoked 0 --expired 0 --declare >&2
  fi
  # The fastest of WR_BENCH_RUNS runs counts (the machine may be shared),
  # each on a fresh copy and a fresh CA; the peak is the largest seen.
  secs= kb=0 r=0
  while [ $r -lt "${WR_BENCH_RUNS:-2}" ]; do
    r=$((r + 1))
    rm -rf "$work/crl" "$work/r.db" "$work/r.db-wal" "$work/r.db-shm"
    cp "$src" "$work/r.db"
    wr="$build/warroom --db $work/r.db --config $work/warroom.conf"
    $wr authorize revoke >/dev/null
    sync
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" $wr revoke --yes >"$work/run1.out" 2>"$work/err" ||
      sed "s/^/  /" "$work/err" | grep -v "^  revoke: " >&2
    read -r s1 u1 y1 k1 <<EOF
$(tail -n 1 "$work/time")
EOF
    [ "$k1" -gt "$kb" ] && kb=$k1
    if [ -z "$secs" ] || awk -v a="$s1" -v b="$secs" 'BEGIN { exit !(a < b) }'; then
      secs=$s1 user=$u1 sys=$y1
      mv "$work/run1.out" "$work/run.out"
      crls="$(wc -l < "$work/crl/crls.txt" 2>/dev/null || echo 0) (the shards and the ARL), $(du -sh "$work/crl" 2>/dev/null | cut -f1) in out_dir"
    fi
  done
  echo "revoke, $n pending, local backend: $secs s ($user s user, $sys s system), peak $((kb / 1024)) MB"
  sed 's/^/  /' "$work/run.out"
  echo "  CRLs: $crls; the fastest of ${WR_BENCH_RUNS:-2} runs"
  if [ -z "$first" ]; then
    first="$n $secs $kb"
  else
    set -- $first
    awk -v n0="$1" -v s0="$2" -v k0="$3" -v n="$n" -v s="$secs" -v k="$kb" 'BEGIN {
      printf "  %d against %d: %.2f times the time for %.1f times the work (goal <= 3.3 at 3x), %.2f times the peak memory\n",
        n, n0, s / s0, n / n0, k / k0 }'
  fi
done
echo "  goal: 1,000,000 under 10 s"
