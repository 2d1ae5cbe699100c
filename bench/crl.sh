#!/bin/sh
# crl.sh BUILD_DIR: CRLs for 1,000,000 revocations, `openssl ca -gencrl`
# against warroom, in the same run.
# Goal (the revocation issue): `warroom crl`, index.txt included, at least
# 10 times faster than openssl ca, in at most a quarter of its peak
# memory. Each run starts after a sync. Both read the same
# revocations: openssl ca from an index.txt, warroom from the local CA's
# record (localca.db). Two warroom figures:
#   - CRLs only, as openssl ca -gencrl (bench/crl-bench.c --crls-only:
#     core/crl.c reading localca.db, writing the DER and PEM shards);
#   - `warroom crl` whole: the same plus index.txt for 1,000,000
#     certificates (for `openssl ocsp -index`), the incident's count and
#     duplicate check, the CRL number and the audit event.
# Data (cached in BUILD_DIR/bench-data/crl): an EC P-256 test CA named as
# wr-filldb's issuer, a copy of the 1,000,000-certificate incident, and
# every one of its certificates revoked. The machine may be shared: each
# is run several times and the fastest run counts, with its peak memory
# (the peak is the largest seen).
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
data=$build/bench-data/crl
wr=$build/warroom
n=1000000
mkdir -p "$data"
big=$(bigdb "$build" $n)
mkdir -p "$data/only"

if [ ! -f "$data/ready" ]; then
	rm -rf "$data" && mkdir -p "$data/openssl" "$data/wr" "$data/only"
	openssl ecparam -name prime256v1 -genkey -noout -out "$data/ca.key" 2>/dev/null
	openssl req -new -x509 -key "$data/ca.key" -out "$data/ca.pem" -days 3650 -sha256 \
		-subj "/C=US/O=Warroom Demo CA/CN=Warroom Bench Issuing CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" 2>/dev/null
	cp "$big" "$data/incident.db"
	cat >"$data/warroom.conf" <<EOF
[revocation]
backend = local
[local]
ca_cert = ca.pem
ca_key = ca.key
out_dir = wr
crl_url = http://127.0.0.1/crl
EOF
	"$build/bench/crl-bench" --db "$data/incident.db" --config "$data/warroom.conf" \
		--openssl-dir "$data/openssl" >&2
	touch "$data/ready"
fi

# The minimal configuration `openssl ca -gencrl` needs, with an AKI as
# warroom writes (it cannot shard, so no Issuing Distribution Point).
cat >"$data/openssl/openssl.cnf" <<EOF
[ca]
default_ca = bench
[bench]
dir = $data/openssl
database = \$dir/index.txt
crlnumber = \$dir/crlnumber
certificate = $data/ca.pem
private_key = $data/ca.key
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
EOF

# best NAME RUNS CMD...: runs CMD, keeps the fastest "SECONDS KB" in
# $data/NAME.time and the largest peak in $data/NAME.peak.
best() {
	name=$1 runs=$2
	shift 2
	rm -f "$data/$name.time" "$data/$name.peak"
	i=0
	while [ $i -lt "$runs" ]; do
		# Each run starts with the last one's files on disk: their
		# writeback would land in this one's first fsync.
		sync
		/usr/bin/time -f "%e %M" -o "$data/$name.run" "$@" >"$data/$name.out.tmp" \
			2>"$data/$name.err" || { cat "$data/$name.err" >&2; exit 1; }
		read -r s kb <"$data/$name.run"
		if [ ! -f "$data/$name.time" ] ||
			awk -v a="$s" -v b="$(cut -d' ' -f1 "$data/$name.time")" 'BEGIN { exit !(a < b) }'; then
			echo "$s $kb" >"$data/$name.time"
			mv "$data/$name.out.tmp" "$data/$name.out"
		fi
		peak=$(cat "$data/$name.peak" 2>/dev/null || echo 0)
		[ "$kb" -gt "$peak" ] && echo "$kb" >"$data/$name.peak"
		i=$((i + 1))
	done
	rm -f "$data/$name.out.tmp" "$data/$name.run"
}

sync
cat "$data/incident.db" "$data/wr/localca.db" "$data/openssl/index.txt" >/dev/null # warm the cache
echo 01 >"$data/openssl/crlnumber"
best openssl 2 openssl ca -gencrl -config "$data/openssl/openssl.cnf" -out "$data/openssl/crl.pem"
openssl crl -in "$data/openssl/crl.pem" -outform DER -out "$data/openssl/crl.der"
best only 3 "$build/bench/crl-bench" --crls-only --config "$data/warroom.conf" --issued $n \
	--out "$data/only"
best full 3 "$wr" --db "$data/incident.db" --config "$data/warroom.conf" crl --json

for d in only wr; do
	for k in 0 9; do
		openssl crl -in "$data/$d/shard-$k.crl" -inform DER -CAfile "$data/ca.pem" -noout 2>&1 |
			grep -q "verify OK" || { echo "$d/shard-$k.crl does not verify" >&2; exit 1; }
	done
done

j() { sed -n "s/.*\"$2\": \\([0-9.]*\\).*/\\1/p" "$data/$1.out" | head -1; }
read -r os okb <"$data/openssl.time"
read -r cs ckb <"$data/only.time"
read -r fs fkb <"$data/full.time"
awk -v os="$os" -v opeak="$(cat "$data/openssl.peak")" -v cs="$cs" -v cpeak="$(cat "$data/only.peak")" \
	-v fs="$fs" -v fpeak="$(cat "$data/full.peak")" -v n="$n" \
	-v opem="$(wc -c <"$data/openssl/crl.pem")" -v oder="$(wc -c <"$data/openssl/crl.der")" \
	-v shards="$(j only shards)" -v entries="$(j only entries)" -v wder="$(j only bytes)" \
	-v wpem="$(j only pem_bytes)" -v idx="$(j full index_lines)" 'BEGIN {
	printf "CRLs for %d revocations (goal: >= 10x faster than openssl ca, <= 1/4 of its memory)\n", n
	printf "  openssl ca -gencrl      %6.2f s  peak %4.0f MB  1 CRL:     %5.1f MB DER, %5.1f MB PEM, %.1f bytes/entry\n",
		os, opeak / 1024, oder / 1e6, opem / 1e6, oder / n
	printf "  warroom, CRLs only      %6.2f s  peak %4.0f MB  %d shards: %5.1f MB DER, %5.1f MB PEM, %.1f bytes/entry\n",
		cs, cpeak / 1024, shards, wder / 1e6, wpem / 1e6, wder / entries
	printf "  warroom crl (+index.txt)%6.2f s  peak %4.0f MB  the same shards, and index.txt for %d certificates\n",
		fs, fpeak / 1024, idx
	printf "  CRLs only:  %.1fx faster, %.2f of the memory\n", os / cs, cpeak / opeak
	printf "  warroom crl, index.txt included (the goal): %.1fx faster, %.2f of the memory (%s)\n",
		os / fs, fpeak / opeak, (os / fs >= 10 && fpeak / opeak <= 0.25) ? "goal met" : "goal NOT met"
	printf "  shards chosen for %d certificates at shard_entries = 100000: %d\n", n, shards
}'
