#!/bin/sh
# pebble.sh: Let's Encrypt's ACME test server on 127.0.0.1, for the acme
# backend's tests and benchmark. Nothing listens beyond the loopback.
#
#   sh scripts/pebble.sh start DIR     TLS certificate, pebble.json with free
#                                      loopback ports, pebble in the background;
#                                      writes DIR/pebble.pid and DIR/env and
#                                      waits until the directory answers
#   sh scripts/pebble.sh stop DIR      kills it by its PID
#   sh scripts/pebble.sh issue DIR N [PREFIX]
#                                      issues N certificates with lego (names
#                                      PREFIX1.example.test ..., PREFIX "host")
#                                      into DIR/lego; leaf PEMs go to DIR/certs/,
#                                      their private keys to DIR/keys/SERIAL.key
#                                      (the serial in upper-case hex, as warroom
#                                      prints it: the acme backend's cert_key_dir
#                                      naming), and ACME_ACCOUNT_KEY to DIR/env
#
# DIR/env (sh syntax): ACME_DIR=https://127.0.0.1:PORT/dir,
# ACME_MGMT=https://127.0.0.1:MPORT, PEBBLE_CA=DIR/cert.pem (the listener's
# certificate: the ca_bundle to trust), HTTP_PORT, TLS_PORT, and after issue
# ACME_ACCOUNT_KEY (lego's account key, PEM).
#
# Environment: PEBBLE_WFE_NONCEREJECT (pebble's share of good nonces it
# rejects as bad, default 5: it exercises badNonce retries), LEGO_JOBS
# (parallel lego runs, default 8; one lego run issues one certificate and
# spends most of its time waiting on pebble, so runs overlap well).
# pebble forgets everything when it stops, and its roots change each start.
set -eu

usage() {
	echo "usage: pebble.sh start DIR | stop DIR | issue DIR N [PREFIX]" >&2
	exit 2
}

abs() { (cd "$1" && pwd); }

# Prints n free TCP ports on 127.0.0.1 (bound together, so distinct).
free_ports() {
	python3 -c '
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
}

start() {
	dir=$1
	mkdir -p "$dir"
	dir=$(abs "$dir")
	if [ -f "$dir/pebble.pid" ] && kill -0 "$(cat "$dir/pebble.pid")" 2>/dev/null; then
		echo "pebble.sh: already running in $dir (pid $(cat "$dir/pebble.pid"))" >&2
		exit 1
	fi
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" -days 30 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
	# A port can be taken between the probe and pebble's bind: try again.
	tries=0
	while :; do
		tries=$((tries + 1))
		# shellcheck disable=SC2046 # split into the four ports
		set -- $(free_ports 4)
		port=$1 mport=$2 hport=$3 tport=$4
		cat >"$dir/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$port",
  "managementListenAddress": "127.0.0.1:$mport",
  "certificate": "$dir/cert.pem", "privateKey": "$dir/key.pem",
  "httpPort": $hport, "tlsPort": $tport, "ocspResponderURL": "",
  "externalAccountBindingRequired": false}}
EOF
		PEBBLE_VA_ALWAYS_VALID=1 PEBBLE_VA_NOSLEEP=1 \
			PEBBLE_WFE_NONCEREJECT=${PEBBLE_WFE_NONCEREJECT:-5} \
			pebble -config "$dir/pebble.json" >"$dir/pebble.log" 2>&1 </dev/null &
		pid=$!
		echo "$pid" >"$dir/pebble.pid"
		i=0
		while [ $i -lt 100 ]; do
			if curl -sf --cacert "$dir/cert.pem" -o /dev/null \
				"https://127.0.0.1:$port/dir" 2>/dev/null &&
				curl -sfk -o /dev/null "https://127.0.0.1:$mport/roots/0" 2>/dev/null; then
				cat >"$dir/env" <<EOF
ACME_DIR=https://127.0.0.1:$port/dir
ACME_MGMT=https://127.0.0.1:$mport
PEBBLE_CA=$dir/cert.pem
HTTP_PORT=$hport
TLS_PORT=$tport
EOF
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$dir/pebble.pid"
		if [ $tries -ge 3 ]; then
			echo "pebble.sh: pebble did not start; its log:" >&2
			tail -5 "$dir/pebble.log" >&2
			exit 1
		fi
	done
}

stop() {
	dir=$1
	[ -f "$dir/pebble.pid" ] || return 0
	pid=$(cat "$dir/pebble.pid")
	if kill "$pid" 2>/dev/null; then
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/pebble.pid"
}

# One lego run: one certificate for $1 (its HTTP port only needs to be
# free: PEBBLE_VA_ALWAYS_VALID means no challenge is really fetched).
lego_one() {
	LEGO_CA_CERTIFICATES=$PEBBLE_CA lego --server "$ACME_DIR" \
		--email warroom@example.test --accept-tos --domains "$1" \
		--http --http.port "127.0.0.1:$2" --path "$dir/lego" run \
		>>"$dir/lego.log" 2>&1
}

issue() {
	[ -f "$1/env" ] || { echo "pebble.sh: $1/env: run start first" >&2; exit 1; }
	dir=$(abs "$1")
	n=$2
	prefix=${3:-host}
	. "$dir/env"
	mkdir -p "$dir/lego" "$dir/certs" "$dir/keys"
	jobs=${LEGO_JOBS:-8}
	# The first run registers the account; the others reuse it (parallel
	# first runs would each register one).
	lego_one "${prefix}1.example.test" "$HTTP_PORT" ||
		{ echo "pebble.sh: lego failed; see $dir/lego.log" >&2; exit 1; }
	if [ "$n" -gt 1 ]; then
		# Lanes, not batches: lane k issues names k+2, k+2+jobs, ... one
		# after another on its own port, so one slow order (pebble answers
		# some polls with Retry-After) holds up only its own lane.
		# shellcheck disable=SC2046 # split into the ports
		set -- $(free_ports "$jobs")
		k=0
		pids=""
		for p in "$@"; do
			(
				i=$((k + 2))
				while [ $i -le "$n" ]; do
					lego_one "$prefix$i.example.test" "$p" || exit 1
					i=$((i + jobs))
				done
			) &
			pids="$pids $!"
			k=$((k + 1))
		done
		fail=0
		for pid in $pids; do
			wait "$pid" || fail=1
		done
		[ $fail -eq 0 ] || { echo "pebble.sh: lego failed; see $dir/lego.log" >&2; exit 1; }
	fi
	i=1
	while [ $i -le "$n" ]; do
		name=$prefix$i.example.test
		crt=$dir/lego/certificates/$name.crt
		# lego writes leaf then issuer: keep the first block only.
		sed -n '1,/-----END CERTIFICATE-----/p' "$crt" >"$dir/certs/$name.pem"
		serial=$(openssl x509 -in "$dir/certs/$name.pem" -noout -serial | sed 's/^serial=//')
		cp "$dir/lego/certificates/$name.key" "$dir/keys/$serial.key"
		i=$((i + 1))
	done
	key=$(find "$dir/lego/accounts" -name '*.key' -path '*/keys/*' | head -1)
	# lego leaves its account key world-readable; warroom refuses a key
	# that others can read.
	[ -n "$key" ] && chmod 600 "$key"
	grep -v '^ACME_ACCOUNT_KEY=' "$dir/env" >"$dir/env.new" || true
	echo "ACME_ACCOUNT_KEY=$key" >>"$dir/env.new"
	mv "$dir/env.new" "$dir/env"
}

[ $# -ge 2 ] || usage
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
issue)
	[ $# -ge 3 ] || usage
	issue "$2" "$3" "${4:-}"
	;;
*) usage ;;
esac
