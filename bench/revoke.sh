#!/bin/sh
# revoke.sh BUILD_DIR: `revoke` of 1,000,000 pending certificates through
# the local backend (claims, the test CA's record, CRLs and index.txt).
# Goal (issue 3): the whole run under 30 s.
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
data="$build/bench-data"
src="$data/pending-1000000-$(schema_tag).db"
if [ ! -f "$src" ]; then
  "$build/tools/wr-filldb" --db "$src" --certs 1000000 --revoked 0 --expired 0 --declare >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src" "$work/r.db"
# The filler's issuer is this CA's subject, so the local CA owns them all.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$work/ca.key" -out "$work/ca.pem" -days 30 \
  -subj "/C=US/O=Warroom Demo CA/CN=Warroom Bench Issuing CA" 2>/dev/null
cat > "$work/warroom.conf" <<CONF
[revocation]
backend = local
batch = 5000
[local]
ca_cert = ca.pem
ca_key = ca.key
out_dir = crl
crl_url = http://127.0.0.1:8080/
CONF
wr="$build/warroom --db $work/r.db --config $work/warroom.conf"
$wr authorize revoke >/dev/null
/usr/bin/time -f "%e %M" -o "$work/time" $wr revoke --yes >"$work/run.out" 2>"$work/err" || sed "s/^/  /" "$work/err" | grep -v "^  revoke: " >&2
read -r secs kb <<EOF
$(tail -n 1 "$work/time")
EOF
echo "revoke, 1,000,000 pending, local backend: $secs s, peak $((kb / 1024)) MB (goal < 30 s)"
sed 's/^/  /' "$work/run.out"
echo "  CRLs: $(wc -l < "$work/crl/crls.txt" 2>/dev/null || echo 0) (the shards and the ARL), $(du -sh "$work/crl" 2>/dev/null | cut -f1) in out_dir"
