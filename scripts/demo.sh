#!/bin/sh
# demo.sh BUILD_DIR: create the demo incident once, then open the console.
#
# The demo is a DigiCert-2024-like validation bug: a few thousand
# certificates of realistic (fictional) customers, some already expired,
# issued by a throw-away test CA generated with OpenSSL. It lives in
# ./demo/ (not committed); delete that folder to start afresh.
set -eu
build=${1:-build}
dir=${WARROOM_DEMO_DIR:-demo}
db="$dir/warroom.db"
wr="$build/warroom"

if [ ! -f "$db" ]; then
  mkdir -p "$dir"
  echo "demo: generating a test CA and 3,000 certificates in $dir/certs" >&2
  "$build/tools/wr-mkcerts" --out "$dir/certs" --count 3000 --format pem \
    --expired-percent 4 --customers 60 --seed 2026 >&2
  "$wr" --db "$db" init --name "Demo: DCV bypass in the validation service" \
    --active-total 180000 >&2
  "$wr" --db "$db" import --issuers "$dir/certs/ca.pem" --customers "$dir/certs/customers.csv" \
    "$dir/certs/bundle.pem" >&2
  discovered=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)
  "$wr" --db "$db" declare --reason validation-unreliable --discovered "$discovered" \
    --burden --compliance \
    --note "Random-value DCV accepted a prefix; found by an internal review" >/dev/null
  "$wr" --db "$db" task done 1 --note "3,000 certificates, 60 customers; MRE" >/dev/null
  "$wr" --db "$db" task done 2 >/dev/null
  "$wr" --db "$db" task assign 3 alice >/dev/null
  "$wr" --db "$db" task assign 11 carol >/dev/null
  "$wr" --db "$db" task assign 22 bob >/dev/null
  "$wr" --db "$db" phase communication >/dev/null
  echo "demo: ready: $db" >&2
fi
exec "$wr" --db "$db"
