#!/bin/sh
# console-pace.t: the pace in the numbers pane and on the wall says what
# `status --json` says (the pace of core/pace.c) for the same database on
# the same clock (WARROOM_NOW): the rate needed, the last hour's and the
# overall rate, the projected finish, the margin (ahead) and when a
# delayed-revocation report becomes unavoidable; behind plan and past the
# deadline it says so; the wall at 80x24 and 200x60 shows the countdown, pending, the rates,
# each team's health and the newest events, and no "you:".
. "$(dirname "$0")/lib.sh"
no_plan

LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
WARROOM_NOW=2026-11-25T08:00:00Z
WARROOM_USER=alice
export LANG LC_ALL TZ WARROOM_NOW WARROOM_USER
unset NO_COLOR

# 3000 certificates, 600 revoked within the last hour, declared an hour
# ago (validation-unreliable: 24 hours).
DB=$WORK/p.db
"$WR_TOOLS/wr-filldb" --db "$DB" --certs 3000 --tasks 30 --events 5 --revoked 20 --expired 5 \
	--declare >/dev/null || bail_out "wr-filldb failed"

# shot NAME COLSxROWS [ARGS...] < keys: the screen after the keys.
shot() {
	_n=$1 _s=$2
	shift 2
	{ cat; echo "save-display $WORK/$_n.txt"; echo quit; } >"$WORK/$_n.script"
	WARROOM_SCRIPT=$WORK/$_n.script COLUMNS=${_s%x*} LINES=${_s#*x} \
		"$WARROOM" --db "$DB" "$@" >"$WORK/$_n.out" 2>&1 || fail "$_n: the replay exits 0" "$(cat "$WORK/$_n.out")"
}
# The pane's formats: "98/h", "1.2k/h"; "03:16", "11-26 07:00".
pj() { json_get "$WORK/status.json" "$1"; }
rate() {
	perl -e '$v = $ARGV[0]; if ($v > 0 && $v < 9.95) { printf "%.1f/h", $v }
		elsif ($v + 0.5 < 1000) { printf "%d/h", $v + 0.5 }
		else { printf "%.1fk/h", int($v + 0.5) / 1000 }' "$1"
}
# An instant within 20 hours of now without its date.
when() {
	_d=$(( $(date -u -d "$1" +%s) - $(date -u -d "$WARROOM_NOW" +%s) ))
	[ "${_d#-}" -lt 72000 ] && date -u -d "$1" +'%H:%M' || date -u -d "$1" +'%m-%d %H:%M'
}

"$WARROOM" --db "$DB" status --json >"$WORK/status.json" || bail_out "status --json"
needed=$(rate "$(pj pace.rate_needed_per_hour)")
hour=$(rate "$(pj pace.rate_per_hour)")
overall=$(rate "$(pj pace.rate_overall_per_hour)")
finish=$(when "$(pj pace.projected_finish)")
report=$(when "$(pj pace.delay_report_unavoidable_at)")
margin=$(pj pace.margin_seconds)
pending=$(pj counts.pending)
ok "the fixture is ahead of the deadline" test "$margin" -gt 0
span=$(perl -e '$a = $ARGV[0]; printf $a >= 86400 ? sprintf("%dd%02dh", $a / 86400, $a % 86400 / 3600)
	: sprintf("%dh%02dm", $a / 3600, $a % 3600 / 60)' "$margin")

# ---- the numbers pane (folded at 80x24: its tab) ---------------------------------------------
shot numbers 80x24 <<'EOF'
key BTab
key BTab
EOF
S=$(cat "$WORK/numbers.txt")
like "$S" "rate needed $needed" "the pane's rate needed is status's ($needed)"
like "$S" "last hour $hour" "the last hour's rate is status's ($hour)"
like "$S" "overall $overall" "the overall rate is status's ($overall)"
like "$S" "finish $finish" "the projected finish is status's ($finish)"
like "$S" "ahead $span" "the margin is status's, ahead ($span)"
like "$S" "delay report after $report" "and when a delayed-revocation report becomes unavoidable ($report)"

# The counts of the same frame agree with status.
like "$S" "pending +$(perl -e '$_ = shift; 1 while s/^(\d+)(\d{3})/$1,$2/; print' "$pending")" \
	"the pane counts $pending pending"

# ---- the burn-down's present column is the count at this instant ------------------------------
# A replay saves the chart, waits for another process to revoke 1500
# certificates at the same instant, and saves it again: the present
# column (the last one drawn) drops at once, the columns before it stay.
present() { # FILE: "height of the present column, height of the first"
	perl -CSD -ne 'push @l, $_; END {
		my ($z) = grep { $l[$_] =~ /\x{2551} 0 +\x{2502}/ } 0 .. $#l;
		my $row = $l[$z]; my $x = -1;
		$x = $-[0] while $row =~ /[\x{2581}-\x{2588}](?=[^\x{2581}-\x{2588}]|$)/g;
		my $x0 = index($row, "\x{2502}") + 1;
		my ($h, $h0) = (0, 0);
		for my $i (0 .. $z) {
			$h++ if substr($l[$i], $x, 1) =~ /[\x{2581}-\x{2588}]/;
			$h0++ if substr($l[$i], $x0, 1) =~ /[\x{2581}-\x{2588}]/;
		}
		print "$h $h0\n" }' "$1"
}
cp "$DB" "$WORK/live.db"
printf 'key BTab\nkey BTab\nsave-display %s\nwait-change 10\nsave-display %s\nquit\n' \
	"$WORK/before.txt" "$WORK/after.txt" >"$WORK/live.script"
( sleep 1; sqlite3 "$WORK/live.db" "UPDATE cert SET state = 'revoked', revoked_at = $(date -u -d "$WARROOM_NOW" +%s)
	WHERE id IN (SELECT id FROM cert WHERE revoked_at IS NULL AND not_after > $(date -u -d "$WARROOM_NOW" +%s) LIMIT 1500)" ) &
WARROOM_SCRIPT=$WORK/live.script COLUMNS=80 LINES=24 "$WARROOM" --db "$WORK/live.db" >"$WORK/live.out" 2>&1
is "$?" 0 "the replay waits for the revocations" 
wait
set -- $(present "$WORK/before.txt")
b_now=$1 b_first=$2
set -- $(present "$WORK/after.txt")
ok "the present column drops when 1500 are revoked now ($b_now rows, then $1)" test "$1" -lt "$b_now"
is "$2" "$b_first" "the first column stays ($b_first rows)"

# ---- behind plan: the clock near the deadline with most still to revoke -----------------------
WARROOM_NOW=2026-11-26T07:30:00Z
export WARROOM_NOW
"$WARROOM" --db "$DB" status --json >"$WORK/late.json" || bail_out "status --json (late)"
shot late 80x24 <<'EOF'
key BTab
key BTab
EOF
S=$(cat "$WORK/late.txt")
like "$S" 'rate needed deadline missed' "past the deadline, the rate needed says it was missed"
like "$S" 'delay report DUE' "and that the delayed-revocation report is due"
WARROOM_NOW=2026-11-26T05:00:00Z
export WARROOM_NOW
shot behind 80x24 <<'EOF'
key BTab
key BTab
EOF
S=$(cat "$WORK/behind.txt")
like "$S" 'behind [0-9]' "two hours before the deadline at the last hour's rate (none): behind"
like "$S" 'delay report UNAVOIDABLE' "and the report can no longer be avoided"
WARROOM_NOW=2026-11-25T08:00:00Z
export WARROOM_NOW

# ---- the wall -------------------------------------------------------------------------------------
for size in 80x24 200x60; do
	shot "wall-$size" "$size" --wall </dev/null
	S=$(cat "$WORK/wall-$size.txt")
	like "$S" 'TIME LEFT' "wall $size: the countdown"
	like "$S" 'PENDING' "wall $size: pending"
	like "$S" 'NEEDED PER HOUR' "wall $size: the rate needed"
	like "$S" '(LAST HOUR|last hour [0-9])' "wall $size: the rate achieved (big, or on the pace line)"
	like "$S" "rate needed $needed" "wall $size: the pace line"
	like "$S" 'Management .*(late|overdue|unowned|unassigned|[0-9]+/[0-9]+)' "wall $size: each team's line"
	like "$S" 'Compliance & Legal' "wall $size: down to the last team"
	like "$S" 'bench' "wall $size: the newest events"
	unlike "$S" 'you:' "wall $size: no 'you:' on a room's screen"
	_rows=$(wc -l <"$WORK/wall-$size.txt" | tr -d ' ')
	is "$_rows" "${size#*x}" "wall $size: the whole screen saved"
done
like "$(cat "$WORK/wall-200x60.txt")" 'Burn-down' "wall 200x60: the burn-down"
# The chart gets the rows it needs (at most 14 with its title and axis),
# the events the rest.
chart_rows=$(awk '/Burn-down/ { on = 1 } on { n++ } on && /└/ { exit } END { print n }' "$WORK/wall-200x60.txt")
ok "wall 200x60: the burn-down keeps to its rows ($chart_rows)" test "$chart_rows" -le 14
like "$(sed -n '/└/,$p' "$WORK/wall-200x60.txt")" 'bench' "wall 200x60: the events take the rows under it"
done_testing
