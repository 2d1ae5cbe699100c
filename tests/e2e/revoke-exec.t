#!/bin/sh
# revoke-exec.t: the exec backend's process handling and {certs_file}.
# A CA tool that outlives its time is killed with everything it started
# (its process group), so nothing keeps revoking while the batch is
# submitted again; a tool that leaves a background process behind when it
# exits does not leave it running either, nor keeps the run waiting for it.
# {certs_file} hands the tool the batch's certificates as a PEM bundle,
# mode 0600 in $TMPDIR, removed after the run: a tool that reads the
# serials out of it with openssl answers for every certificate submitted.
. "$(dirname "$0")/lib.sh"
no_plan
needs openssl perl awk

"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --seed 5 >/dev/null ||
	bail_out "wr-mkcerts failed"
DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
mkdir tmp
TMPDIR=$WORK/tmp
export TMPDIR

# incident NAME <CONF: a database NAME.db with the certificates, declared
# and authorized, and NAME.conf (from standard input) for the exec backend.
incident() {
	cat >"$1.conf"
	"$WARROOM" --db "$1.db" init --name "$1" >/dev/null 2>&1 || bail_out "$1: init"
	"$WARROOM" --db "$1.db" import certs/bundle.pem >/dev/null 2>&1 || bail_out "$1: import"
	"$WARROOM" --db "$1.db" declare --reason key-compromise --discovered "$DISC" \
		>/dev/null 2>&1 || bail_out "$1: declare"
	"$WARROOM" --db "$1.db" authorize revoke >/dev/null 2>&1 || bail_out "$1: authorize"
}
R() { # NAME ARGS...: warroom on NAME's database and config
	_n=$1
	shift
	"$WARROOM" --db "$_n.db" --config "$_n.conf" "$@"
}
count() { # NAME STATE: how many certificates are in STATE
	R "$1" certs --state "$2" --json | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}'
}
# A pid is gone when kill -0 fails, or when only its zombie is left
# waiting for init to reap it: it runs no more either way.
gone() {
	kill -0 "$1" 2>/dev/null || return 0
	[ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}
now_ms() { perl -MTime::HiRes=time -e 'printf "%d\n", time * 1000'; }

# ---- a tool that times out: its children die with it --------------------------
incident slow <<EOF
[revocation]
backend = exec
batch = 100
[exec]
command = sh -c 'sleep 30 & echo \$! > $WORK/slow.pid; wait' {serials_file}
timeout = 1
EOF
run R slow revoke --yes
isnt "$RC" 0 "a timed-out batch fails the run"
ok "the tool wrote its child's pid" test -s slow.pid
PID=$(cat slow.pid 2>/dev/null)
ok "the tool's child (sleep, pid $PID) is gone when revoke returns" gone "${PID:-0}"
is "$(count slow failed)" 12 "the batch is failed, for the next run to submit again"
[ -n "$PID" ] && kill "$PID" 2>/dev/null

# ---- a tool that exits and leaves a background process -------------------------
incident stray <<EOF
[revocation]
backend = exec
batch = 100
[exec]
command = sh -c 'sleep 30 & echo \$! > $WORK/stray.pid; exit 0' {serials_file}
timeout = 20
EOF
t0=$(now_ms)
run R stray revoke --yes
t1=$(now_ms)
is "$RC" 0 "the tool's exit status 0 revokes the batch"
is "$(count stray revoked)" 12 "12 revoked"
PID=$(cat stray.pid 2>/dev/null)
ok "what the tool left behind (pid $PID) is gone when revoke returns" gone "${PID:-0}"
ok "the run did not wait for it ($((t1 - t0)) ms, timeout 20 s)" test $((t1 - t0)) -lt 10000
[ -n "$PID" ] && kill "$PID" 2>/dev/null

# ---- {certs_file}: the batch's certificates, for the tool to check ---------------
cat >check-ca.sh <<'SH'
#!/bin/sh
# check-ca.sh CERTS SERIALS LOG: revokes what is both asked for and in the
# bundle; logs the bundle's mode, path and count against the serials'.
certs=$1 serials=$2 log=$3
d=$(mktemp -d "$WORK/check.XXXXXX") || exit 2
awk -v d="$d" '/-----BEGIN CERTIFICATE-----/ { n++ } n { print > (d "/c" n ".pem") }' "$certs"
for c in "$d"/c*.pem; do
	[ -e "$c" ] || continue
	openssl x509 -in "$c" -noout -serial | sed 's/^serial=//'
done | sort >"$d/bundle"
sort "$serials" >"$d/asked"
echo "mode=$(stat -c %a "$certs") path=$certs bundle=$(wc -l <"$d/bundle") serials=$(wc -l <"$d/asked")" >>"$log"
while read -r s; do
	if grep -qx "$s" "$d/bundle"; then echo "$s revoked"; else echo "$s failed not in the bundle"; fi
done <"$d/asked"
rm -rf "$d"
SH
chmod +x check-ca.sh
export WORK
incident bundle <<EOF
[revocation]
backend = exec
batch = 5
[exec]
command = $WORK/check-ca.sh {certs_file} {serials_file} $WORK/bundle.log
EOF
run R bundle revoke --yes
is "$RC" 0 "every certificate the tool checked in the bundle is revoked"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
is "$(count bundle revoked)" 12 "12 revoked"
is "$(wc -l <bundle.log)" 3 "three batches of at most 5"
file_unlike bundle.log "bundle=0" "no batch came with an empty bundle"
is "$(perl -ne '/bundle=(\d+) serials=(\d+)/ && $1 != $2 && print' bundle.log)" "" \
	"each bundle holds as many certificates as the batch has serials"
is "$(perl -ne '/bundle=(\d+)/ and $n += $1; END { print $n + 0 }' bundle.log)" 12 \
	"the bundles hold the 12 certificates"
is "$(perl -ne '/mode=(\d+)/ and print "$1\n"' bundle.log | sort -u)" 600 "the bundle is mode 0600"
file_like bundle.log "path=$WORK/tmp/" "the bundle is made in \$TMPDIR"
is "$(ls -A tmp)" "" "the temporary files are removed after the run"

done_testing
