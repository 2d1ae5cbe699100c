#!/bin/sh
# pace.sh BUILD_DIR: the pace of revocation (core/pace.c) on 1,000,000
# certificates. Goal (the pace issue): wr_pace_get under 5 ms.
# bigdb's incident has 200,000 revocations dated within one hour, so
# asking at instants around that hour (bench/pace.c) puts all, part or
# none of them in "the last hour", whose count moves the cost.
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
db=$(bigdb "$build" 1000000)
"$build/bench/pace" --db "$db"
wr="$build/warroom"
"$wr" --db "$db" status --json >/dev/null # warm the page cache
echo "status --json (with the pace), now: median $(median_ms "$wr" --db "$db" status --json) ms"
