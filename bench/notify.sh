#!/bin/sh
# notify.sh BUILD_DIR: `notify` to a local SMTP server (python3-aiosmtpd,
# tests/e2e/smtp-sink.py) over one reused connection: 2,000 customers of
# one certificate each, one message each, stored by the server.
# Goal (issue 10): at least 200 messages/s. Prints the figure.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
wr="$build/warroom"
work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench-notify.XXXXXX")
sink=
cleanup() {
  [ -n "$sink" ] && kill "$sink" 2>/dev/null && wait "$sink" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
n=2000
WARROOM_NOW=2026-11-25T12:00:00Z "$build/tools/wr-filldb" --db wr.db --certs $n --tasks 0 \
  --events 0 --declare >/dev/null 2>&1
sqlite3 wr.db "INSERT INTO customer(name, contact, critical, created, updated)
  SELECT customer, min(contact), 0, 0, 0 FROM cert GROUP BY customer"
mkdir mail
/usr/bin/python3 "$here/../tests/e2e/smtp-sink.py" port mail &
sink=$!
i=0
while [ ! -s port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat >warroom.conf <<CONF
[smtp]
url = smtp://127.0.0.1:$(cat port)
from = pki@ca.example
CONF
chmod 600 warroom.conf
t0=$(date +%s%N)
"$wr" --config warroom.conf --db wr.db notify --yes >out 2>err || { cat out err; exit 1; }
t1=$(date +%s%N)
got=$(ls mail | grep -c '\.eml$')
awk -v n="$got" -v ns=$((t1 - t0)) -v c="$(cat mail/connections)" 'BEGIN {
  printf "notify: %d messages in %.2f s: %.0f messages/s over %d connection(s) (goal >= 200/s)\n",
    n, ns / 1e9, n / (ns / 1e9), c }'
