#!/bin/sh
# cli-pace.t: the pace of revocation in `status --json` (the object
# "pace") and text, after real revocation runs through the local backend,
# on a fixture incident whose clock WARROOM_NOW moves: 240 certificates
# (wr-mkcerts, dated from the fixture's clock; some expired, some expiring
# before the deadline), misuse (5 days), 50 revoked at 12:00 and 110 at
# 14:00. Every figure is checked against a value computed here from the
# database (sqlite3) and the definitions of core/wr.h: before any
# revocation, with the last hour's rate (110 >= 100 revocations), with the
# overall rate (an empty last hour), after the deadline, and once all is
# revoked.
. "$(dirname "$0")/lib.sh"
no_plan

needs sqlite3 perl
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

T0=2026-11-25T12:00:00Z
DISC=2026-11-25T06:00:00Z
DEADLINE=2026-11-30T06:00:00Z # misuse: 5 days (BR 4.9.1.1)
epoch() { date -u -d "$1" +%s; }
rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
D=$(epoch $DEADLINE)

"$WR_TOOLS/wr-mkcerts" --out certs --count 240 --format pem --expired-percent 5 --seed 11 \
	--now $T0 >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
cat >warroom.conf <<EOF
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
crl_url = http://127.0.0.1:9/
EOF
# A fixture: created under WARROOM_NOW, the clock every command follows.
at() { # TIME warroom ARGS...
	_t=$1
	shift
	WARROOM_NOW=$_t "$WARROOM" --db "$DB" --config "$WORK/warroom.conf" "$@"
}
at $T0 init --name "Pace" >/dev/null 2>&1 || bail_out "init failed"
at $T0 import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
at $T0 declare --reason misuse --discovered $DISC >/dev/null 2>&1 || bail_out "declare failed"

q() { sqlite3 "$DB" "$1"; }
# remaining, expiring and to_revoke at epoch $1, from the rows themselves.
counts_at() {
	REM=$(q "SELECT count(*) FROM cert WHERE revoked_at IS NULL AND not_after >= $1")
	EXP=$(q "SELECT count(*) FROM cert WHERE revoked_at IS NULL AND not_after >= $1 AND not_after < $D")
	TOREV=$((REM - EXP))
}
# A rate as status --json writes it: to the hundredth, as perl prints it.
rate() { perl -e 'printf "%s\n", int(eval($ARGV[0]) * 100 + 0.5) / 100' "$1"; }
# ceil(a * b / c), the seconds to revoke a at c per b seconds.
ceil_div() { perl -e 'use POSIX; print POSIX::ceil($ARGV[0] * $ARGV[1] / $ARGV[2]), "\n"' "$@"; }
status_at() { # TIME: status --json into st.json, status into st.txt
	at "$1" status --json >st.json 2>st.err || fail "status --json at $1 failed" "$(cat st.err)"
	at "$1" status >st.txt 2>&1
	ok "status --json at $1 is valid JSON" json_valid st.json
}
p() { json_get st.json "pace.$1"; }

# ---- before any revocation ------------------------------------------------------
status_at $T0
N0=$(epoch $T0)
counts_at $N0
ok "some certificates expire before the deadline (the fixture's seed)" test "$EXP" -gt 0
is "$(p remaining)" "$REM" "remaining: $REM neither revoked nor expired"
is "$(p expiring_before_deadline)" "$EXP" "expiring_before_deadline: $EXP, notAfter before $DEADLINE"
is "$(p to_revoke)" "$TOREV" "to_revoke: $TOREV"
is "$(p rate_needed_per_hour)" "$(rate "$TOREV * 3600 / ($D - $N0)")" \
	"rate_needed_per_hour: $TOREV over the 114 hours left"
is "$(p rate_per_hour)" 0 "rate_per_hour: 0"
is "$(p rate_overall_per_hour)" 0 "rate_overall_per_hour: 0"
is "$(p projected_finish)" null "projected_finish: null, nothing revoked yet"
is "$(p margin_seconds)" null "margin_seconds: null"
is "$(p delay_report_unavoidable_at)" null "delay_report_unavoidable_at: null, no rate shown yet"
is "$(p rate_basis)" none "rate_basis: none"
file_like st.txt '^Pace +[0-9.]+/h needed, 0\.0/h last hour, 0\.0/h overall; nothing revoked yet$' \
	"status text: a Pace line, nothing revoked yet"

# ---- 50 at 12:00, 110 at 14:00 through the local backend -------------------------
at $T0 authorize revoke --limit 50 >/dev/null 2>&1 || bail_out "authorize failed"
run at $T0 revoke --yes
is "$RC" 0 "revoke 50 at $T0 exits 0"
like "$OUT" "revoked 50 certificates" "... 50 revoked"
T1=2026-11-25T14:00:00Z
at $T1 authorize revoke --limit 110 >/dev/null 2>&1 || bail_out "authorize 2 failed"
run at $T1 revoke --yes
is "$RC" 0 "revoke 110 at $T1 exits 0"
like "$OUT" "revoked 110 certificates" "... 110 revoked"
is "$(q "SELECT count(*) FROM cert WHERE revoked_at = $N0")" 50 "the local CA dated 50 at $T0"
is "$(q "SELECT count(*) FROM cert WHERE revoked_at = $(epoch $T1)")" 110 "... and 110 at $T1"
# Runs this short are no sustained rate (under 60 s): the rates below come
# from the revocations alone.
is "$(q "SELECT count(*) FROM event WHERE action = 'revoke' AND json_extract(details, '\$.seconds') < 60")" 2 \
	"both runs took under 60 s"

# ---- 14:30: 110 in the last hour, the last hour's rate projects -------------------
T2=2026-11-25T14:30:00Z
N2=$(epoch $T2)
status_at $T2
counts_at $N2
is "$(p remaining)" "$REM" "14:30: remaining $REM"
is "$(p expiring_before_deadline)" "$EXP" "14:30: expiring_before_deadline $EXP"
is "$(p to_revoke)" "$TOREV" "14:30: to_revoke $TOREV"
is "$(p rate_per_hour)" 110 "14:30: rate_per_hour 110 (13:30 to 14:30)"
is "$(p rate_overall_per_hour)" 64 "14:30: rate_overall_per_hour 64 (160 in 2.5 hours)"
is "$(p rate_basis)" last-hour "14:30: 110 >= 100 in the last hour: it projects"
is "$(p rate_needed_per_hour)" "$(rate "$TOREV * 3600 / ($D - $N2)")" "14:30: rate_needed_per_hour"
FIN=$((N2 + $(ceil_div "$TOREV" 3600 110)))
is "$(p projected_finish)" "$(rfc $FIN)" "14:30: projected_finish: $TOREV at 110/h"
is "$(p margin_seconds)" "$((D - FIN))" "14:30: margin_seconds: ahead"
is "$(p rate_shown_per_hour)" 110 "14:30: the best rate shown is the last hour's"
REP=$((D - $(ceil_div "$TOREV" 3600 110)))
is "$(p delay_report_unavoidable_at)" "$(rfc $REP)" \
	"14:30: delay_report_unavoidable_at: the deadline less $TOREV at 110/h"
file_like st.txt "^Pace +[0-9.]+/h needed, 110\\.0/h last hour, 64\\.0/h overall; finish $(rfc $FIN) \\(.* ahead\\)\$" \
	"status text: the rates and the finish, ahead"
file_like st.txt "^ +delay report unavoidable after $(rfc $REP) \\(best shown 110\\.0/h\\)\$" \
	"status text: when a delay report becomes unavoidable"

# ---- 16:00: nothing in the last hour, the overall rate projects -------------------
T3=2026-11-25T16:00:00Z
N3=$(epoch $T3)
status_at $T3
counts_at $N3
is "$(p rate_per_hour)" 0 "16:00: rate_per_hour 0"
is "$(p rate_overall_per_hour)" 40 "16:00: rate_overall_per_hour 40 (160 in 4 hours)"
is "$(p rate_basis)" overall "16:00: fewer than 100 in the last hour: the overall rate projects"
FIN=$((N3 + $(ceil_div "$TOREV" 3600 40)))
is "$(p projected_finish)" "$(rfc $FIN)" "16:00: projected_finish: $TOREV at 40/h"
is "$(p margin_seconds)" "$((D - FIN))" "16:00: margin_seconds"
is "$(p rate_shown_per_hour)" 40 "16:00: the best rate shown is the overall one"
REP=$((D - $(ceil_div "$TOREV" 3600 40)))
is "$(p delay_report_unavoidable_at)" "$(rfc $REP)" "16:00: delay_report_unavoidable_at"

# ---- after the deadline ----------------------------------------------------------------
T4=2026-12-01T00:00:00Z
N4=$(epoch $T4)
status_at $T4
counts_at $N4
is "$(p remaining)" "$REM" "after the deadline: remaining $REM"
is "$(p expiring_before_deadline)" 0 "after the deadline: nothing expires before it any more"
is "$(p rate_needed_per_hour)" null "after the deadline: rate_needed_per_hour null (missed)"
FIN=$((N4 + $(ceil_div "$REM" $((N4 - N0)) 160)))
is "$(p projected_finish)" "$(rfc $FIN)" "after the deadline: projected_finish at the overall rate"
is "$(p margin_seconds)" "$((D - FIN))" "after the deadline: margin_seconds, negative"
is "$(p delay_report_unavoidable_at)" $DEADLINE "after the deadline: the report was due at the deadline"
file_like st.txt '^Pace +deadline missed, ' "status text: deadline missed"
file_like st.txt '^ +delay report due now: the deadline cannot be met$' "status text: the report is due"

# ---- everything revoked -------------------------------------------------------------
T5=2026-11-26T00:00:00Z
at $T5 authorize revoke >/dev/null 2>&1 || bail_out "authorize 3 failed"
run at $T5 revoke --yes
is "$RC" 0 "the rest revoked at $T5"
T6=2026-11-26T01:00:00Z
status_at $T6
is "$(p remaining)" 0 "done: remaining 0"
is "$(p to_revoke)" 0 "done: to_revoke 0"
is "$(p rate_needed_per_hour)" 0 "done: rate_needed_per_hour 0"
is "$(p projected_finish)" $T5 "done: projected_finish is the last revocation"
is "$(p margin_seconds)" "$((D - $(epoch $T5)))" "done: margin_seconds from the last revocation"
is "$(p delay_report_unavoidable_at)" null "done: no delay report"
file_like st.txt "^Pace +0\\.0/h needed, .*; done $T5 \\(.* ahead\\)\$" "status text: done, ahead"

done_testing
