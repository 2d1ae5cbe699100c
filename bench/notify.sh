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
# wr-filldb makes the customer rows too (name, contact, one in fifty
# critical), as `import --customers` would; none expired, so that each
# customer has a message.
WARROOM_NOW=2026-11-25T12:00:00Z "$build/tools/wr-filldb" --db wr.db --certs $n --tasks 0 \
  --events 0 --expired 0 --declare >/dev/null
mkdir mail
/usr/bin/python3 "$here/../tests/e2e/smtp-sink.py" port mail &
sink=$!
i=0
while [ ! -s port ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
[ -s port ] || { echo "notify: the SMTP sink did not start within 30 s" >&2; exit 1; }
cat >warroom.conf <<CONF
[smtp]
url = smtp://127.0.0.1:$(cat port)
from = pki@ca.example
CONF
chmod 600 warroom.conf
# warroom's own CPU time beside the wall time: on a busy machine the
# wall time also counts the sink's Python and everyone else.
t0=$(date +%s%N)
/usr/bin/time -f "%U %S" -o time "$wr" --config warroom.conf --db wr.db notify --yes \
  >out 2>err || { cat out err; exit 1; }
t1=$(date +%s%N)
read -r user sys <time
got=$(ls mail | grep -c '\.eml$')
awk -v n="$got" -v ns=$((t1 - t0)) -v c="$(cat mail/connections)" -v u="$user" -v s="$sys" 'BEGIN {
  printf "notify: %d messages in %.2f s (warroom %.2f s user, %.2f s system): %.0f messages/s over %d connection(s) (goal >= 200/s)\n",
    n, ns / 1e9, u, s, n / (ns / 1e9), c }'
