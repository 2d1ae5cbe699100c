# Shared by the bench/*.sh scripts (sourced, not run).
# now_ns: monotonic-enough wall clock in nanoseconds.
now_ns() { date +%s%N; }
# median_ms CMD...: runs CMD 21 times, prints the median wall time in ms.
median_ms() {
  i=0
  while [ $i -lt 21 ]; do
    t0=$(now_ns); "$@" >/dev/null 2>&1; t1=$(now_ns)
    echo $(( (t1 - t0) / 1000 ))
    i=$((i + 1))
  done | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'
}
# schema_tag: changes with data/schema.sql and the migrations, so cached
# databases follow them.
schema_tag() {
  cat "$(dirname "$0")"/../data/schema.sql "$(dirname "$0")"/../data/migrate-*.sql |
    sha256sum | cut -c1-12
}
# bigdb BUILD N: a cached database with N synthetic certificates and 500 tasks.
bigdb() {
  db="$1/bench-data/big-$2-$(schema_tag).db"
  if [ ! -f "$db" ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    "$1/tools/wr-filldb" --db "$db" --certs "$2" --tasks 500 --events 2000 \
      --revoked 20 --expired 5 --declare >&2
  fi
  echo "$db"
}
# Consoles started by a benchmark remember what they saw (core/seen.c)
# here, not in the user's own state directory.
XDG_STATE_HOME=${TMPDIR:-/tmp}/wr-bench-state
export XDG_STATE_HOME
