#!/bin/sh
# acme.sh BUILD_DIR: revocations per second of the acme backend against
# pebble on 127.0.0.1, at concurrency 1, 8 and 32.
#
# Starts its own pebble (which forgets everything when it stops, so nothing
# is cached across runs), issues 3 x N certificates with lego (N = 200, or
# $ACME_BENCH_N), and revokes N of them per concurrency, each set in its own
# database through `warroom revoke --yes` with the issuing account's key.
# The rate is N over the run's time as warroom records it in its "revoke"
# event (opening the backend, claims, requests and recording included). pebble keeps its default of rejecting 5% of
# good nonces, so badNonce retries are part of the figure. Prints figures;
# asserts no time.
set -eu
build=$(cd "$1" && pwd)
wr=$build/warroom
here=$(cd "$(dirname "$0")" && pwd)
n=${ACME_BENCH_N:-200}
for t in pebble lego; do
	command -v $t >/dev/null 2>&1 || { echo "acme: $t not installed (scripts/install-deps); skipped"; exit 0; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench-acme.XXXXXX")
pebble_pid=
cleanup() {
	[ -n "$pebble_pid" ] && kill "$pebble_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sh "$here/../scripts/pebble.sh" start "$work/pebble" >/dev/null
pebble_pid=$(cat "$work/pebble/pebble.pid")
t0=$(date +%s)
LEGO_JOBS=${LEGO_JOBS:-12} sh "$here/../scripts/pebble.sh" issue "$work/pebble" $((3 * n)) b >/dev/null
. "$work/pebble/env"
echo "acme: issued $((3 * n)) certificates with lego in $(($(date +%s) - t0)) s"

disc=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
set=0
line="acme revokeCert against pebble, $n certificates per run:"
for c in 1 8 32; do
	d=$work/c$c
	mkdir -p "$d/certs"
	i=$((set * n + 1))
	while [ $i -le $(((set + 1) * n)) ]; do
		cp "$work/pebble/certs/b$i.example.test.pem" "$d/certs/"
		i=$((i + 1))
	done
	set=$((set + 1))
	cat >"$d/warroom.conf" <<EOF
[revocation]
backend = acme
[acme]
directory = $ACME_DIR
ca_bundle = $PEBBLE_CA
account_key = $ACME_ACCOUNT_KEY
concurrency = $c
EOF
	w() { "$wr" --db "$d/wr.db" --config "$d/warroom.conf" "$@"; }
	w init --name "acme bench" >/dev/null
	w import "$d/certs" >/dev/null
	w declare --reason key-compromise --discovered "$disc" >/dev/null
	w authorize revoke >/dev/null
	out=$(w revoke --yes 2>/dev/null) || { echo "acme: revoke at concurrency $c failed: $out"; exit 1; }
	got=$(echo "$out" | sed -n 's/^revoked \([0-9]*\) certificates.*/\1/p')
	[ "$got" = "$n" ] || { echo "acme: concurrency $c revoked $got of $n: $out"; exit 1; }
	# The run's own timing, at full precision: its "revoke" event.
	secs=$(w log --json --grep revoke | python3 -c '
import json, sys
print([e for e in json.load(sys.stdin) if e["action"] == "revoke"][-1]["details"]["seconds"])')
	rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }')
	printf 'acme: concurrency %2d: %d revoked in %.3f s = %d revocations/s\n' "$c" "$n" "$secs" "$rate"
	line="$line  c=$c $rate/s"
done
echo "$line"
