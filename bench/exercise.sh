#!/bin/sh
# exercise.sh BUILD_DIR: `exercise start` on a 1,000,000-certificate
# population (10,000 signed by the exercise's CA and imported, 990,000
# synthetic rows), then the full-scale CAA scenario's 3,048,289 when
# WR_BENCH_FULL=1. Goal (issue 12): the million ready in under 30 s on
# 2 cores. Prints wall and CPU time; asserts nothing.
set -eu
build=$1
wr="$build/warroom"
dir=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench-exercise.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

cat >"$dir/million.ini" <<'EOF'
[scenario]
id = bench-million
title = Benchmark: a million certificates
reason = misissued
discovered = -1h
[population]
count = 1000000
real = 10000
customers = 20000
critical = 2%
expired = 3%
validity = 398d:60% 90d:40%
endpoints = 1..2
EOF

# start DB SCENARIO LABEL [GOAL]: one exercise start, timed (wall and CPU).
start() {
  t0=$(date +%s%N)
  # times: the shell's children's user and system CPU, before and after.
  c0=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  "$wr" --db "$1" exercise start "$2" --at 2026-11-25T08:00:00Z --speed 1 >/dev/null
  t1=$(date +%s%N)
  c1=$(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)
  hz=$(getconf CLK_TCK)
  awk -v w=$(( (t1 - t0) / 1000000 )) -v c=$((c1 - c0)) -v hz="$hz" -v l="$3" -v g="${4:-}" \
    'BEGIN { printf "%s: %.1f s wall, %.1f s CPU%s\n", l, w / 1000, c / hz, g }'
}

start "$dir/million.db" "$dir/million.ini" "exercise start, 1,000,000 certificates (10,000 real)" \
  " (goal: under 30 s on 2 cores)"
"$wr" --db "$dir/million.db" status --json | awk '/"affected"/ { gsub(/[ ,]/, ""); print "  " $0 }'
ls -l "$dir/million.db" | awk '{ printf "  database: %.0f MB\n", $5 / 1048576 }'
rm -rf "$dir/million.db"*

if [ "${WR_BENCH_FULL:-0}" = 1 ]; then
  start "$dir/caa.db" caa-recheck "exercise start caa-recheck, 3,048,289 certificates"
fi
