#!/bin/sh
# probe-runs.t: a probe run is paused, resumed and cancelled like every run
# (issue 10), against slow and unreachable endpoints on 127.0.0.1 only:
# two TCP listeners that accept and never answer the TLS handshake (each
# probe ends at --timeout), a listener that closes every connection at
# once, and a closed port.
#  - The run shows in `runs --json` as a probe, running, with its total;
#    Revocation may not pause it; the Replacement team may.
#  - `runs pause ID`: the run is marked paused after its batch, its
#    progress is what the probe table holds, and it probes nothing more
#    while paused (the silent servers see no new connection).
#  - `runs resume ID`: it goes on; `runs cancel ID`: it ends after its
#    batch, 'cancelled', probe says so and by whom, and the endpoints it
#    did not reach are left to the next run, which probes only them.
. "$(dirname "$0")/lib.sh"
needs_root
needs sqlite3 perl /usr/bin/python3
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
no_plan

WARROOM_NOW=2026-11-25T08:00:00Z
export WARROOM_NOW
N=200
"$WR_TOOLS/wr-mkcerts" --out certs --count $N --format pem --expired-percent 0 --seed 9 \
	--now 2026-11-25T08:00:00Z >/dev/null 2>&1 || bail_out "wr-mkcerts failed"

# ---- the endpoints ---------------------------------------------------------------------------
# server.py MODE PORTFILE: a TCP listener on a free port written to
# PORTFILE; MODE silent holds every connection open without a word (one
# line per connection in PORTFILE.log), close closes it at once.
cat >server.py <<'EOF'
import os, socket, sys
mode, pf = sys.argv[1], sys.argv[2]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(256)
with open(pf + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(pf + ".tmp", pf)
held = []
while True:
    c, _ = s.accept()
    if mode == "close":
        c.close()
        continue
    held.append(c)
    with open(pf + ".log", "a") as f:
        f.write("accepted\n")
EOF
for m in silent1:silent silent2:silent closer:close; do
	/usr/bin/python3 server.py "${m#*:}" "${m%%:*}.port" &
	PIDS="$PIDS $!"
done
for m in silent1 silent2 closer; do
	until_ok 100 test -s "$m.port" || bail_out "the $m server did not start"
done
P_S1=$(cat silent1.port) P_S2=$(cat silent2.port) P_CL=$(cat closer.port) P_NONE=$(free_port)
accepted() { cat silent1.port.log silent2.port.log 2>/dev/null | wc -l; }

# ---- the incident ----------------------------------------------------------------------------
CONF=$WORK/warroom.conf
cat >"$CONF" <<EOF
[users]
alice = management
rita = replacement
bob = revocation
EOF
chmod 600 "$CONF"
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}
# One endpoint per certificate, in turn: silent, silent, closing, closed.
awk -F, -v s1="$P_S1" -v s2="$P_S2" -v cl="$P_CL" -v none="$P_NONE" '
	NR == 1 { print "serial,customer,contact,endpoints"; next }
	{ i = (NR - 2) % 4; p = i == 0 ? s1 : i == 1 ? s2 : i == 2 ? cl : none
	  print $1 ",Customer " NR ",ops" NR "@example.com,127.0.0.1:" p }' \
	certs/customers.csv >cust.csv
as alice init --name "Probe runs" >/dev/null 2>&1 || bail_out "init failed"
as alice import certs/bundle.pem --customers cust.csv >/dev/null 2>&1 || bail_out "import failed"
sql() { sqlite3 "$DB" "$1"; }
is "$(sql "SELECT count(*) FROM cert WHERE endpoints IS NOT NULL AND endpoints != ''")" $N \
	"$N certificates, each with one endpoint"
probed() { sql "SELECT count(*) FROM probe"; }

# field ID KEY: the run's KEY in runs --all --json ("" when none).
field() {
	as alice runs --all --json 2>/dev/null | perl -MJSON::PP -e '
		local $/; my ($id, $k) = @ARGV;
		for (@{decode_json(<STDIN>)}) { next unless $_->{id} == $id;
			my $v = $_->{$k}; print defined $v ? (ref $v ? ($v ? "true" : "false") : $v) : "" }' "$1" "$2"
}
field_is() { [ "$(field "$1" "$2")" = "$3" ]; }
newest_probe() {
	as alice runs --all --json 2>/dev/null | perl -MJSON::PP -e '
		local $/; my $id = ""; for (@{decode_json(<STDIN>)}) { $id = $_->{id} if $_->{kind} eq "probe" } print $id'
}
has_probe() { [ -n "$(newest_probe)" ]; }
accepted_more() { [ "$(accepted)" -gt "$1" ]; }

# ---- a run, paused ---------------------------------------------------------------------------
# Concurrency 2: batches of 64 endpoints (probe.c's smallest), half of
# them silent for 0.5 s each: about 8 s a batch, time enough for the
# requests to land in the batch they were made in.
WARROOM_USER=rita "$WARROOM" --config "$CONF" --db "$DB" probe --concurrency 2 --timeout 0.5 --json \
	>p1.json 2>p1.err &
P1=$!
until_ok 100 has_probe || bail_out "the probe run does not show in runs"
ID=$(newest_probe)
is "$(field "$ID" kind):$(field "$ID" state):$(field "$ID" total)" "probe:running:$N" \
	"runs --json: a probe run, running, $N endpoints to probe"
# Its first batch is under way once a silent server holds a connection.
until_ok 100 accepted_more 0 || fail "the silent servers see the probe"

WARROOM_USER=bob run "$WARROOM" --config "$CONF" --db "$DB" runs pause "$ID"
is "$RC" 1 "bob (Revocation) may not pause the Replacement team's probe"
like "$ERR" "replacement" "... the refusal names the team"
WARROOM_USER=rita run "$WARROOM" --config "$CONF" --db "$DB" runs pause "$ID"
is "$RC" 0 "rita (Replacement) pauses it"
if until_ok 300 field_is "$ID" state paused; then
	pass "runs --json: the probe is paused after its batch"
else
	fail "runs --json: the probe is paused after its batch" "$(as alice runs --all --json)"
fi
D1=$(field "$ID" done)
is "$(field "$ID" requested_by)" rita "... paused by rita"
is "$(probed)" "$D1" "its progress ($D1) is what the probe table holds"
is "$((D1 % 64)):$((D1 > 0 && D1 < N))" "0:1" "... whole batches of 64, not all $N"
ok "the paused probe is still there, waiting" kill -0 "$P1"
A1=$(accepted)
# Commands that read take their time; the paused run connects nowhere.
as alice runs >/dev/null 2>&1
as alice status >/dev/null 2>&1
is "$(field "$ID" state):$(field "$ID" done):$(probed)" "paused:$D1:$D1" \
	"while paused, it probes nothing more"
is "$(accepted)" "$A1" "... the silent servers see no new connection"

# ---- resumed, then cancelled -------------------------------------------------------------------
WARROOM_USER=rita run "$WARROOM" --config "$CONF" --db "$DB" runs resume "$ID"
is "$RC" 0 "rita resumes it"
until_ok 100 field_is "$ID" state running || fail "the run is running again" "$(as alice runs --all --json)"
until_ok 100 accepted_more "$A1" || fail "... and connects again"
pass "resumed, it probes again"
WARROOM_USER=alice run "$WARROOM" --config "$CONF" --db "$DB" runs cancel "$ID"
is "$RC" 0 "alice (Management) cancels it"
wait "$P1"
is "$?" 1 "the cancelled probe exits 1 (the endpoints it reached were unreachable)"
is "$(json_get p1.json cancelled)" true "probe --json: cancelled"
is "$(json_get p1.json cancelled_by)" alice "... by alice"
D2=$(json_get p1.json endpoints)
is "$(field "$ID" state)" cancelled "runs --json: the run is cancelled"
is "$(field "$ID" done)" "$D2" "... having probed $D2 endpoints"
is "$(probed)" "$D2" "the probe table holds those $D2"
is "$((D2 % 64)):$((D2 > D1 && D2 < N))" "0:1" "... more than when paused, whole batches, not all"
is "$(field "$ID" requested_by)" alice "... cancelled by alice"
as alice log --json --grep run-cancel >log.json
is "$(json_get log.json 0.actor)" alice "the cancel is in the audit log"

# ---- the next run takes up the rest ---------------------------------------------------------------
run as rita probe --concurrency 64 --timeout 0.5 --json
is "$RC" 1 "the next probe exits 1 (unreachable endpoints)"
is "$(json_get "$OUT_FILE" total)" "$((N - D2))" "it probes only the $((N - D2)) endpoints left"
is "$(json_get "$OUT_FILE" endpoints)" "$((N - D2))" "... all of them"
is "$(json_get "$OUT_FILE" cancelled)" false "... not cancelled"
is "$(probed)" "$N" "every endpoint is probed once in the round"
is "$(sql "SELECT count(DISTINCT cert_id) FROM probe")" "$N" "... one result per certificate"
is "$(sql "SELECT count(*) FROM probe WHERE outcome != 'unreachable'")" 0 \
	"every endpoint is unreachable"
like "$(sql "SELECT error FROM probe WHERE port = $P_S1 LIMIT 1")" "no TLS handshake within" \
	"the silent ones by the timeout"
like "$(sql "SELECT error FROM probe WHERE port = $P_NONE LIMIT 1")" "refused" \
	"the closed port refused"
NEXT=$(json_get "$OUT_FILE" run)
is "$(field "$NEXT" state):$(field "$NEXT" done)" "done:$((N - D2))" "runs --json: the next run is done"
run as rita probe
like "$OUT" "every endpoint is probed already" "a further run has nothing left"

done_testing
