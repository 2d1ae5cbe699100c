#!/bin/sh
# bench/import.sh BUILD_DIR: how fast `warroom import` is, and whether its
# memory stays flat as the count grows.
#
# Generates 10,000, 50,000 and 100,000 certificates (once; cached under
# BUILD_DIR/bench-data), imports each as one PEM bundle and as a directory
# of DER files into a fresh database, and prints wall time, certs/s and
# peak RSS; again with --issuers (the test CA: every signature checked,
# rows "pem+i" and "der+i"); then the d2i_X509 floor on the same 100,000
# certificates.
# Goal: at least 50,000 certs/s on 2 cores for 100,000, in both formats,
# without issuers; with them the ECDSA verifications bound the rate
# (openssl speed ecdsap256 gives the verifications per second per core).
set -eu

usage() { echo "usage: sh bench/import.sh BUILD_DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
build=$(cd "$1" && pwd)
warroom=$build/warroom
mkcerts=$build/tools/wr-mkcerts
floor=$build/bench/floor-d2i
for f in "$warroom" "$mkcerts" "$floor"; do
	[ -x "$f" ] || { echo "import.sh: $f missing; run 'make all' and build the bench tools first" >&2; exit 1; }
done

# GNU time gives peak RSS; without it (Debian package "time") only wall
# time is measured.
gnutime=
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e' true >/dev/null 2>&1; then
	gnutime=/usr/bin/time
else
	echo "import.sh: /usr/bin/time (package 'time') not found: no peak memory figures" >&2
fi

data=$build/bench-data
sizes="10000 50000 100000"
for n in $sizes; do
	dir=$data/$n
	# The stamp is written last, so an interrupted generation is redone.
	if [ ! -f "$dir/.complete" ]; then
		rm -rf "$dir"
		echo "generating $n certificates in $dir ..."
		"$mkcerts" --out "$dir" --count "$n" --format both --expired-percent 5 \
			--customers 200 --seed 1 >/dev/null
		touch "$dir/.complete"
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }

# run_import FORMAT N PATH [IMPORT OPTIONS]: prints one line of the table.
run_import() {
	fmt=$1 n=$2 path=$3
	shift 3
	db=$tmp/bench-$fmt-$n.db
	rm -f "$db" "$db-wal" "$db-shm"
	if ! "$warroom" --db "$db" init --name bench >"$tmp/init.log" 2>&1; then
		echo "import.sh: 'warroom init' failed:" >&2
		cat "$tmp/init.log" >&2
		exit 1
	fi
	# Let the previous run's dirty pages reach the disk first, so that
	# one run's writeback is not billed to the next.
	sync
	if [ -n "$gnutime" ]; then
		status=0
		"$gnutime" -f '%e %M' -o "$tmp/time" "$warroom" --db "$db" import "$@" "$path" \
			>"$tmp/import.log" 2>&1 || status=$?
		read -r secs kb <"$tmp/time" || true
	else
		t0=$(now)
		status=0
		"$warroom" --db "$db" import "$@" "$path" >"$tmp/import.log" 2>&1 || status=$?
		t1=$(now)
		secs=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
		kb=
	fi
	if [ "$status" -ne 0 ]; then
		echo "import.sh: 'warroom import $path' failed ($status):" >&2
		cat "$tmp/import.log" >&2
		exit 1
	fi
	echo "$fmt $n $secs $kb" | awk '{
		rate = $3 > 0 ? $2 / $3 : 0
		mem = $4 == "" ? "n/a" : sprintf("%.1f MB", $4 / 1024)
		printf "%-5s %8d %9.2f %10.0f %12s\n", $1, $2, $3, rate, mem
	}'
	rm -f "$db" "$db-wal" "$db-shm"
}

cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
echo "warroom import: $cores cores, $(openssl version 2>/dev/null || echo 'OpenSSL ?')"
printf '%-5s %8s %9s %10s %12s\n' fmt certs seconds certs/s "peak RSS"
for n in $sizes; do
	run_import pem "$n" "$data/$n/bundle.pem"
done
for n in $sizes; do
	run_import der "$n" "$data/$n/der"
done
# Every certificate's signature checked against the CA.
for n in $sizes; do
	run_import pem+i "$n" "$data/$n/bundle.pem" --issuers "$data/$n/ca.pem"
done
for n in $sizes; do
	run_import der+i "$n" "$data/$n/der" --issuers "$data/$n/ca.pem"
done
echo "goal: >= 50000 certs/s for 100000 certificates; peak RSS flat across sizes"
"$floor" "$data/100000/bundle.pem" | sed 's/$/ (PEM, one thread)/'
"$floor" "$data/100000/der" | sed 's/$/ (DER files, one thread)/'
