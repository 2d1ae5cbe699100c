#!/bin/sh
# status.sh BUILD_DIR: `status --json` on 1,000,000 certificates.
# Goal (issue 2): under 50 ms. Counts come from trigger-kept counters and
# one indexed range count for "expired"; see core/incident.c.
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
db=$(bigdb "$build" 1000000)
wr="$build/warroom"
"$wr" --db "$db" status --json >/dev/null  # warm the page cache
echo "status --json, 1,000,000 certificates: median $(median_ms "$wr" --db "$db" status --json) ms (goal < 50 ms)"
echo "status (text),  1,000,000 certificates: median $(median_ms "$wr" --db "$db" status) ms"
echo "certs --state expired --limit 100:      median $(median_ms "$wr" --db "$db" certs --state expired --limit 100) ms"
echo "task list --json (500+ tasks):          median $(median_ms "$wr" --db "$db" task list --json) ms"
echo "audit verify (2,000+ events):           median $(median_ms "$wr" --db "$db" audit verify) ms"
