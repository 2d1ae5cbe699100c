#!/bin/sh
# cli-concurrency.t: four processes, started together, each do 20 changes
# (task assign and task note, alternately) on one database while an import
# and readers (status, log, audit verify) run beside them. Every command
# succeeds, "database is locked" never appears, the final state is each
# process's last write, and the audit chain verifies with exactly the
# expected number of events.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
"$WARROOM" --db "$DB" init --name "Concurrency" >/dev/null 2>&1 || bail_out "init failed"

PROCS=4
OPS=20

# Every wait is bounded: a test must never hang, even if $WORK vanishes.
await_go() {
	_w=0
	while [ ! -e "$WORK/go" ] && [ $_w -lt 1000 ]; do
		sleep 0.01
		_w=$((_w + 1))
	done
}
writer() { # P: 20 changes on tasks P (assign) and P+4 (note)
	await_go
	_i=1
	while [ $_i -le $OPS ]; do
		if [ $((_i % 2)) -eq 1 ]; then
			"$WARROOM" --db "$DB" task assign "$1" "user$1-$_i" >/dev/null 2>>"$WORK/err.$1" ||
				echo "FAILED: task assign $1 (exit $?)" >>"$WORK/err.$1"
		else
			"$WARROOM" --db "$DB" task note "$(($1 + PROCS))" "note $1 $_i" >/dev/null 2>>"$WORK/err.$1" ||
				echo "FAILED: task note $(($1 + PROCS)) (exit $?)" >>"$WORK/err.$1"
		fi
		_i=$((_i + 1))
	done
}
reader() { # status, log and audit verify until the writers are done
	await_go
	_k=0
	while [ ! -e "$WORK/stop" ] && [ $_k -lt 300 ]; do
		_k=$((_k + 1))
		"$WARROOM" --db "$DB" status --json >/dev/null 2>>"$WORK/err.reader" ||
			echo "FAILED: status (exit $?)" >>"$WORK/err.reader"
		"$WARROOM" --db "$DB" audit verify >/dev/null 2>>"$WORK/err.reader" ||
			echo "FAILED: audit verify (exit $?)" >>"$WORK/err.reader"
		"$WARROOM" --db "$DB" log --limit 5 >/dev/null 2>>"$WORK/err.reader" ||
			echo "FAILED: log (exit $?)" >>"$WORK/err.reader"
	done
}
importer() {
	await_go
	"$WARROOM" --db "$DB" import "$FX/bundle.pem" "$FX/leaf4.der" "$FX/leaf5.pem" \
		>/dev/null 2>>"$WORK/err.import" || echo "FAILED: import (exit $?)" >>"$WORK/err.import"
}

: >"$WORK/err.reader"
: >"$WORK/err.import"
pids=
p=1
while [ $p -le $PROCS ]; do
	: >"$WORK/err.$p"
	writer $p &
	pids="$pids $!"
	p=$((p + 1))
done
importer &
pids="$pids $!"
reader &
rpid=$!
touch "$WORK/go"
for pid in $pids; do wait "$pid"; done
touch "$WORK/stop"
wait "$rpid"

p=1
while [ $p -le $PROCS ]; do
	is "$(cat "$WORK/err.$p")" "" "writer $p: all $OPS commands succeeded, nothing on stderr"
	p=$((p + 1))
done
is "$(cat "$WORK/err.import")" "" "the concurrent import succeeded"
is "$(cat "$WORK/err.reader")" "" "the concurrent readers succeeded"
locked=$(cat "$WORK"/err.* | grep -ci 'locked\|busy')
is "$locked" 0 "'database is locked' never appeared"

run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "audit verify exits 0 after the concurrent writes"
EXPECT=$((1 + PROCS * OPS + 1))
like "$OUT" "^OK: $EXPECT events" "the chain holds exactly $EXPECT events (init, $((PROCS * OPS)) changes, import)"
run "$WARROOM" --db "$DB" log --json
is "$(perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}' <"$OUT_FILE")" "$EXPECT" "log --json lists $EXPECT events"
ids_ok=$(perl -MJSON::PP -e 'local $/; my $i = 0; my $ok = 1; for (@{decode_json(<STDIN>)}) { $ok = 0 unless $_->{id} == ++$i } print $ok' <"$OUT_FILE")
is "$ids_ok" 1 "event ids run 1..$EXPECT without gaps"

"$WARROOM" --db "$DB" task list --json >"$WORK/t.json"
p=1
while [ $p -le $PROCS ]; do
	got=$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		print "$_->{owner}|$_->{note}" if $_->{id} == $ARGV[0] } ' "$p" <"$WORK/t.json")
	note=$(perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print $_->{note} if $_->{id} == $ARGV[0] }' "$((p + PROCS))" <"$WORK/t.json")
	is "${got%%|*}" "user$p-$((OPS - 1))" "task $p holds writer $p's last assignment"
	is "$note" "note $p $OPS" "task $((p + PROCS)) holds writer $p's last note"
	p=$((p + 1))
done
run "$WARROOM" --db "$DB" status --json
is "$(json_get "$OUT_FILE" counts.affected)" 5 "the concurrent import added its 5 certificates"

done_testing
