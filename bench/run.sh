#!/bin/sh
# run.sh BUILD_DIR: every benchmark of bench/*.sh, one after another.
# Benchmarks print figures; none asserts a time.
set -eu
build=$1
here=$(dirname "$0")
mkdir -p "$build/bench-data"
for b in "$here"/*.sh; do
  case "$(basename "$b")" in run.sh|lib.sh) continue;; esac
  echo "== $(basename "$b" .sh)"
  sh "$b" "$build"
done
