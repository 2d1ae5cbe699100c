#!/bin/sh
# console.sh BUILD_DIR: the console on 1,000,000 certificates and 500 tasks.
#   - redraw: frames drawn off-screen (WARROOM_BENCH_REDRAW, a terminal of
#     /dev/null at 120x40 and at 200x60): steady frames (what the
#     once-a-second countdown costs); frames each drawn right after another
#     process committed a change (WARROOM_BENCH_CHANGES: a writer below
#     revokes batches of 500 certificates and ticks a task, on a copy of
#     the database); and frames with the burn-down and the pace computed
#     whole (after a resize). Median and p99 of wall time, and of the
#     process's CPU time, which other work on the machine inflates less.
#     Goal: median under 5 ms, the frame after a change included.
#   - idle CPU: a console left alone in tmux for 10 s (utime + stime from
#     /proc). Goal: under 1%.
#   - change to screen: a CLI change in another process until tmux shows
#     it on the console's screen. Goal: under 1 s.
# Prints figures; asserts nothing.
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
db=$(bigdb "$build" 1000000)
wr="$build/warroom"
LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
export LANG LC_ALL TZ
unset WARROOM_NOW WARROOM_SCRIPT NO_COLOR
work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench-console.XXXXXX")
sock=wr-bench-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'T kill-server >/dev/null 2>&1 || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; rm -rf "$work"' EXIT
cd "$work" # no ./warroom.conf here

"$wr" --db "$db" status >/dev/null # warm the page cache
# The writer changes a copy: the cached database stays as bigdb made it.
copy=$work/copy.db
cp "$db" "$copy"
# Its batch keeps the customers' figures as the engine's does (core/tally.c:
# one grouped statement per batch), so the consoles read them as in a run.
writer() {
	while :; do
		sqlite3 "$copy" "BEGIN IMMEDIATE;
			CREATE TEMP TABLE b AS SELECT id FROM cert WHERE revoked_at IS NULL
			AND not_after > strftime('%s', 'now') LIMIT 500;
			UPDATE cert SET state = 'revoked', revoked_at = strftime('%s', 'now')
			WHERE id IN (SELECT id FROM temp.b);
			INSERT INTO customer_tally(customer, revoked, live)
			SELECT coalesce(customer, ''), count(*), -sum(replaced_at IS NULL) FROM cert
			WHERE id IN (SELECT id FROM temp.b) GROUP BY 1
			ON CONFLICT(customer) DO UPDATE SET revoked = revoked + excluded.revoked,
			live = live + excluded.live;
			UPDATE customer_tally_clock SET counts = (SELECT group_concat(n, ',') FROM
			(SELECT c.n FROM (SELECT 1 AS k, 'affected' AS name UNION ALL
			SELECT 2, 'notified' UNION ALL SELECT 3, 'revoked' UNION ALL
			SELECT 4, 'replaced' UNION ALL SELECT 5, 'replacement_issued' UNION ALL
			SELECT 6, 'replacement_deployed' UNION ALL SELECT 7, 'unreachable') o
			JOIN counter c ON c.name = o.name ORDER BY o.k));
			COMMIT" 2>/dev/null
		"$wr" --db "$copy" task done 1 --yes >/dev/null 2>&1 ||
			"$wr" --db "$copy" task reopen 1 >/dev/null 2>&1
		sleep 0.1
	done
}
for size in 120x40 200x60; do
	COLUMNS=${size%x*} LINES=${size#*x} WARROOM_BENCH_REDRAW=200 \
		"$wr" --db "$copy" 2>"$work/redraw.txt"
	sed 's/^/console /' "$work/redraw.txt"
	writer &
	wpid=$!
	COLUMNS=${size%x*} LINES=${size#*x} WARROOM_BENCH_REDRAW=100 WARROOM_BENCH_CHANGES=1 \
		"$wr" --db "$copy" 2>"$work/redraw.txt"
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" 2>/dev/null || true
	sed 's/^/console /' "$work/redraw.txt"
done

if ! command -v tmux >/dev/null 2>&1; then
	echo "console idle CPU and change-to-screen latency: skipped (no tmux)"
	exit 0
fi
T new-session -d -s b -x 120 -y 40 -c "$work" "'$wr' --db '$copy'; sleep 600"
i=0
until T capture-pane -p -t b | grep -q 'Timeline'; do
	i=$((i + 1))
	[ $i -gt 200 ] && { echo "console did not start"; exit 1; }
	sleep 0.05
done
pid=$(pgrep -P "$(T display -p -t b '#{pane_pid}')" | head -1)
hz=$(getconf CLK_TCK)
sleep 1
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
sleep 10
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN {
	printf "console idle CPU over 10 s: %.2f%% of a core (%d ticks at %d Hz; goal < 1%%)\n",
	d / hz / 10 * 100, d, hz }'

# Change to screen: a note by another process until the timeline shows it.
# The id of an open task of the current phase, whatever the plan holds.
# The timeline words it as a sentence that ends with the note: wide enough
# to show it whole.
T resize-window -t b -x 240 -y 50
sleep 1
n=0
while [ $n -lt 15 ]; do
	n=$((n + 1))
	"$wr" --db "$copy" task note 1 "latency-probe-$n-$$" >/dev/null
	s=$(now_ns)
	k=0
	until T capture-pane -p -t b | grep -q "latency-probe-$n-$$"; do
		k=$((k + 1))
		[ $k -gt 1000 ] && break
		sleep 0.005
	done
	e=$(now_ns)
	echo $(( (e - s) / 1000 ))
	sleep 0.3
done | sort -n | awk '{ v[NR] = $1 } END {
	printf "console change to screen (CLI commit until tmux shows it), %d changes: median %.0f ms, max %.0f ms (goal < 1000 ms)\n",
	NR, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'
