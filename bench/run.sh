#!/bin/sh
# run.sh BUILD_DIR: every benchmark of bench/*.sh, one after another.
# Benchmarks print figures; none asserts a time. One that fails does not
# stop the others: each runs, and the script then exits non-zero naming
# those that failed.
set -u
build=$1
here=$(dirname "$0")
mkdir -p "$build/bench-data"
failed=
for b in "$here"/*.sh; do
  name=$(basename "$b" .sh)
  case "$name" in run|lib) continue;; esac
  echo "== $name"
  sh "$b" "$build" || { rc=$?; echo "== $name: failed (exit $rc)"; failed="$failed $name"; }
done
if [ -n "$failed" ]; then
  echo "bench: failed:$failed" >&2
  exit 1
fi
