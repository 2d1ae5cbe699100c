#!/bin/sh
# bugzilla.t: reports posted to Mozilla's Bugzilla, exactly once, and the
# update cadence (issue 11), against a small Bugzilla REST server on
# 127.0.0.1 (tests/e2e/bugzilla-server.py) that checks each request's
# method, path, API key header, Content-Type and JSON.
#  - External Communications (or Management) only; --bug N or --new.
#  - report post --new preliminary files the bug (product, component,
#    summary "CA Owner: title", version, description, is_markdown) and
#    records its number; --bug N KIND posts a comment (is_markdown); the
#    same text again is refused, nothing posted twice.
#  - Failures (an error JSON, a 500, the server down, a bug that does not
#    exist) keep the post queued with the error; --retry sends it once;
#    --settle N --as dropped drops it. A timeout or a dropped connection
#    after the request went is 'unknown', not sent again unless
#    --resend-unknown; --settle N --as sent when a person finds it there.
#  - kill -9 while Bugzilla holds the request: 'unknown', not sent again.
#  - A report over 65,535 characters goes as numbered parts, each within
#    the limit, its code block closed and opened again.
#  - --whiteboard adds [leaf-revocation-delay] once, only when delays exist.
#  - The API key never reaches the database, the timeline, the output or
#    an error; a config holding it that others can read is refused.
#  - status --json "reporting" under WARROOM_NOW; report posted by hand;
#    the console's header colour (amber past 3 days, red a day before 7)
#    and External Communications' duties, through tmux.
#  - A gateway's 502 after the request went is 'unknown' (Bugzilla may
#    have it); Bugzilla's own 503 error JSON is a refusal, queued.
#  - A full report of 10,000 certificates (wr-filldb) attaches the appendix
#    CSV (POST /rest/bug/N/attachment, base64, text/csv) before the
#    comments that say so, exactly once; an attachment refused holds the
#    comments back until a retry. Over [bugzilla] attachment_max (unset:
#    1000 KB, Bugzilla's default maxattachmentsize) it goes in parts of
#    whole rows, each headed, affected-certificates-I-of-N.csv; Bugzilla's
#    code 600 "Attachment Too Large" leaves the post queued, naming it.
#  - An exercise never posts to [bugzilla] url nor with its API key: only
#    to [exercise] bugzilla, a sink.
. "$(dirname "$0")/lib.sh"

needs sqlite3 /usr/bin/python3 tmux
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
no_plan

WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW
"$WR_TOOLS/wr-mkcerts" --out certs --count 300 --format pem --expired-percent 0 --seed 5 \
	--now 2026-11-25T12:00:00Z >/dev/null 2>&1 || bail_out "wr-mkcerts failed"

KEY=wr-bz-Key-7f3a9c21e0
printf '%s\n' "$KEY" >key
chmod 600 key
CONF=$WORK/warroom.conf
BZ=$WORK/bz
mkdir -p "$BZ"
TIMEOUT=3
# conf PORT: the configuration, pointing at a server on PORT.
conf() {
	cat >"$CONF" <<EOF
[users]
alice = management
dave = external-comms
bob = revocation
[bugzilla]
url = http://127.0.0.1:$1/
api_key_file = key
ca_owner = Example CA
timeout = $TIMEOUT
EOF
	chmod 600 "$CONF"
}
# Every command's output goes to the transcript too: the key must never be in it.
TRANSCRIPT=$WORK/transcript
as() { # USER ARGS...
	_u=$1
	shift
	run env WARROOM_USER="$_u" "$WARROOM" --config "$CONF" --db "$DB" "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$TRANSCRIPT"
}
/usr/bin/python3 "$WR_E2E_DIR/bugzilla-server.py" "$WORK/port" "$BZ" key &
PIDS="$PIDS $!"
until_ok 100 test -s "$WORK/port" || bail_out "bugzilla-server.py did not start"
PORT=$(cat "$WORK/port")
conf "$PORT"
ctl() { printf '%s\n' "$1" >"$BZ/control"; }
# The server's view: requests received, and bug 1000's comments.
nreq() { [ -f "$BZ/requests.jsonl" ] && wc -l <"$BZ/requests.jsonl" || echo 0; }
req() { sed -n "${1}p" "$BZ/requests.jsonl" >"$WORK/req.json"; json_get "$WORK/req.json" "$2"; }
ncomments() { json_get "$BZ/state.json" "1000.comments" | perl -MJSON::PP -e 'print scalar @{decode_json(<STDIN>)}, "\n"'; }
comment() { json_get "$BZ/state.json" "1000.comments.$1.$2"; }
rows() { sqlite3 "$DB" "SELECT $1 FROM bugzilla_post ORDER BY id"; }
status_json() { as dave status --json; printf '%s\n' "$OUT" >"$WORK/status.json"; json_get "$WORK/status.json" "reporting.$1"; }

as alice init --name "Weak keys" >/dev/null
as alice import certs/bundle.pem --customers certs/customers.csv
[ "$RC" = 0 ] || bail_out "import failed: $ERR"
as alice declare --reason key-compromise --discovered 2026-11-25T06:00:00Z
[ "$RC" = 0 ] || bail_out "declare failed: $ERR"

# ---- 1. who, and how ------------------------------------------------------------------------------
as bob report post --new preliminary
is "$RC" 1 "Revocation may not post to Bugzilla"
like "$ERR" "needs team 'external-comms'" "... the refusal names External Communications"
as dave report post preliminary
is "$RC" 2 "report post wants --bug N or --new (exit 2)"
as dave report post --bug 1000 --new preliminary
is "$RC" 2 "... not both"
as dave report post --bug 1000 nosuch
is "$RC" 2 "an unknown report kind is a usage error"
is "$(nreq)" 0 "nothing reached the server"
is "$(status_json bug)" null "status --json: no bug yet"
is "$(json_get "$WORK/status.json" reporting.preliminary_due)" 2026-11-28T06:00:00Z \
	"preliminary report due 72 h after the discovery"
is "$(json_get "$WORK/status.json" reporting.full_due)" 2026-12-09T06:00:00Z \
	"full report due 14 days after the discovery"
is "$(json_get "$WORK/status.json" reporting.next_due_should)" null "no update due before the first post"

# ---- 2. a new bug -------------------------------------------------------------------------------
as dave report post --new preliminary
is "$RC" 0 "report post --new preliminary exits 0"
like "$OUT" '^filed bug 1000 with the preliminary report$' "... and names the bug filed"
is "$(nreq)" 1 "one request"
is "$(req 1 method) $(req 1 path) $(req 1 status)" "POST /rest/bug 200" "... POST /rest/bug, answered 200"
is "$(req 1 key_ok)" true "... with the API key in X-BUGZILLA-API-KEY"
is "$(req 1 content_type)" application/json "... Content-Type application/json"
is "$(req 1 json.product)|$(req 1 json.component)" "CA Program|CA Certificate Compliance" \
	"... product and component by default"
like "$(req 1 json.summary)" '^Example CA: ' "... the summary is 'CA Owner name: brief title'"
like "$(req 1 json.description)" '^## Preliminary Incident Report' "... the description is the preliminary report"
is "$(req 1 json.is_markdown)" true "... in Markdown"
isnt "$(req 1 json.version)" "" "... with a version, which Bugzilla requires"
is "$(status_json bug)" 1000 "status --json: the bug is recorded"
is "$(json_get "$WORK/status.json" reporting.last_update)" 2026-11-25T12:00:00Z "... the last report posted"
is "$(json_get "$WORK/status.json" reporting.next_due_should)" 2026-11-28T12:00:00Z "... next update 3 days on (should)"
is "$(json_get "$WORK/status.json" reporting.next_due_must)" 2026-12-02T12:00:00Z "... and 7 days on (must)"
is "$(json_get "$WORK/status.json" reporting.preliminary_posted)" 2026-11-25T12:00:00Z "... the preliminary is posted"
as dave log
like "$OUT" 'dave filed Bugzilla bug 1000 with the preliminary report: "Example CA: ' "the timeline says so"
as dave report post --new preliminary
is "$RC" 1 "a second bug for the incident is refused"
like "$ERR" 'has bug 1000 already: post to it with --bug 1000' "... pointing at the bug it has"
is "$(nreq)" 1 "... and nothing is sent"

# ---- 3. a comment, once -----------------------------------------------------------------------
as dave report post --bug 1000 --whiteboard update
is "$RC" 0 "report post --bug 1000 update exits 0"
like "$OUT" '^posted the update report to bug 1000: comment 5000$' "... names the comment"
like "$OUT" 'no certificate is delayed' "--whiteboard with no delay leaves the whiteboard"
is "$(req 2 method) $(req 2 path) $(req 2 status)" "POST /rest/bug/1000/comment 201" "... POST /rest/bug/1000/comment"
is "$(req 2 json.is_markdown)" true "... is_markdown"
is "$(ncomments)" 1 "the bug has one comment"
like "$(comment 0 text)" '^## ' "... the update report"
is "$(sqlite3 "$DB" "SELECT state || ' ' || comment_id FROM bugzilla_post WHERE kind = 'update'")" "sent 5000" \
	"the comment id is recorded"
as dave report post --bug 1000 update
is "$RC" 1 "the same update again is refused"
like "$ERR" 'posted to bug 1000 already \(comment 5000\)' "... saying where it went"
is "$(ncomments)" 1 "... and nothing is posted twice"

# ---- 4. failures: error JSON, 500, server down; retry ------------------------------------------
WARROOM_NOW=2026-11-25T13:00:00Z
ctl 400
as dave report post --bug 1000 update
is "$RC" 1 "a 400 with Bugzilla's error JSON fails the post"
like "$ERR" 'queued: Bugzilla answered 400: A database error occurred: try again later \(code 32000\)' \
	"... with Bugzilla's message and code"
like "$OUT" "report post --retry" "... and says how to send it"
is "$(sqlite3 "$DB" "SELECT state FROM bugzilla_post ORDER BY id DESC LIMIT 1")" queued "... it stays queued"
like "$(sqlite3 "$DB" "SELECT error FROM bugzilla_post ORDER BY id DESC LIMIT 1")" 'A database error' "... with its error"
is "$(status_json queued)" 1 "status --json counts it queued"
ctl 500
as dave report post --retry
is "$RC" 1 "a retry answered 500 fails"
like "$ERR" 'Bugzilla answered 500' "... saying so"
DEAD=$(free_port)
conf "$DEAD"
as dave report post --retry
is "$RC" 1 "a retry with the server down fails"
like "$ERR" "127\\.0\\.0\\.1:$DEAD" "... naming where it tried"
conf "$PORT"
is "$(sqlite3 "$DB" "SELECT state || ' ' || attempts FROM bugzilla_post ORDER BY id DESC LIMIT 1")" "queued 3" \
	"three attempts, still queued"
is "$(ncomments)" 1 "none of them reached the bug"
ctl ok
as dave report post --retry
is "$RC" 0 "the retry succeeds once the server is back"
like "$OUT" '^posted the update report to bug 1000: comment 5001$' "... posting the comment"
is "$(ncomments)" 2 "the bug has two comments"
as dave report post --retry
is "$RC" 0 "another retry..."
like "$OUT" '^nothing queued$' "... finds nothing queued"
is "$(ncomments)" 2 "... and posts nothing twice"
# A mistyped bug: refused by Bugzilla, queued; settled as dropped by a person.
as dave report post --bug 999 update
is "$RC" 1 "a post to a bug that does not exist fails"
like "$ERR" '#[0-9]+: update report to bug 999 queued: Bugzilla answered 404: Bug #999 does not exist\. \(code 101\)' \
	"... with Bugzilla's words, naming the post"
is "$(status_json bug)" 1000 "the incident's bug stays the one posted to"
P999=$(sqlite3 "$DB" "SELECT post FROM bugzilla_post WHERE bug = 999")
as dave report post --list
like "$OUT" "^#$P999 +update +comment +queued  bug 999 \(1 attempt\): Bugzilla answered 404" "report post --list shows it queued"
as bob report post --settle "$P999" --as dropped
is "$RC" 1 "Revocation may not settle a post"
as dave report post --settle "$P999" --as dropped
is "$RC" 0 "report post --settle N --as dropped..."
is "$(sqlite3 "$DB" "SELECT state FROM bugzilla_post WHERE bug = 999")" dropped "... drops it"
as dave report post --retry
like "$OUT" '^nothing queued$' "... and the next retry has nothing to send"
as dave report post --settle "$P999" --as dropped
is "$RC" 1 "a post settled already cannot be settled again"

# ---- 5. a timeout after the request went: unknown ---------------------------------------------
WARROOM_NOW=2026-11-25T13:30:00Z
TIMEOUT=2
conf "$PORT"
ctl hang
as dave report post --bug 1000 update
is "$RC" 1 "a post whose answer never comes fails"
like "$ERR" 'unknown: no answer after the request went' "... its outcome unknown"
is "$(ncomments)" 3 "(Bugzilla has it)"
ctl ok
as dave report post --retry
is "$RC" 1 "a retry leaves an unknown post alone"
like "$OUT" 'unknown outcome' "... and says so"
is "$(ncomments)" 3 "... posting nothing twice"
is "$(status_json unknown)" 1 "status --json counts it unknown"
# The connection dropped after the request went: unknown too; a person
# who finds it on the bug settles it.
WARROOM_NOW=2026-11-25T13:40:00Z
ctl drop
as dave report post --bug 1000 update
is "$RC" 1 "a post whose connection drops unanswered fails"
like "$ERR" 'unknown: no answer after the request went' "... its outcome unknown"
is "$(ncomments)" 4 "(Bugzilla has it)"
ctl ok
PDROP=$(sqlite3 "$DB" "SELECT post FROM bugzilla_post ORDER BY id DESC LIMIT 1")
as dave report post --settle "$PDROP" --as sent
is "$RC" 0 "settled as sent"

# ---- 6. kill -9 while Bugzilla holds the request ----------------------------------------------
WARROOM_NOW=2026-11-25T14:00:00Z
TIMEOUT=60
conf "$PORT"
ctl hang
BEFORE=$(nreq)
WARROOM_USER=dave "$WARROOM" --config "$CONF" --db "$DB" report post --bug 1000 update \
	>"$WORK/k.out" 2>"$WORK/k.err" &
KPID=$!
grown() { [ "$(nreq)" -gt "$BEFORE" ]; }
until_ok 100 grown || fail "the post reached the server"
kill -9 "$KPID"
wait "$KPID" 2>/dev/null
cat "$WORK/k.out" "$WORK/k.err" >>"$TRANSCRIPT"
is "$(ncomments)" 5 "killed while Bugzilla held the comment (it has it)"
ctl ok
as dave report post --retry
is "$RC" 1 "the next run reports it..."
like "$OUT" '2 post\(s\) of unknown outcome' "... as of unknown outcome"
is "$(ncomments)" 5 "... and does not post it again"
like "$(sqlite3 "$DB" "SELECT error FROM bugzilla_post ORDER BY id DESC LIMIT 1")" 'the posting process died' \
	"the row says the process died"
PKILL=$(sqlite3 "$DB" "SELECT post FROM bugzilla_post ORDER BY id DESC LIMIT 1")
as dave report post --settle "$PKILL" --as sent
is "$RC" 0 "a person who found it on the bug settles it as sent"
is "$(sqlite3 "$DB" "SELECT state || ' ' || sent_at FROM bugzilla_post WHERE post = $PKILL")" "sent 1795615200" \
	"... sent when it went"
as dave report post --retry --resend-unknown
is "$RC" 0 "--resend-unknown sends the other again, when asked"
is "$(ncomments)" 6 "... once"

# ---- 7. a long report in parts -----------------------------------------------------------------
as dave report full
FULL=$(printf '%s' "$OUT" | wc -m)
ok "the full report of 300 certificates is over 65,535 characters ($FULL)" test "$FULL" -gt 65535
as dave report post --bug 1000 full
is "$RC" 0 "report post full exits 0"
like "$OUT" '^posted the full report to bug 1000 \(part 1/2\): comment 5006$' "... part 1/2"
like "$OUT" '^posted the full report to bug 1000 \(part 2/2\): comment 5007$' "... part 2/2"
is "$(ncomments)" 8 "two comments"
like "$(comment 6 text)" '^\(part 1/2\)' "the first is headed (part 1/2)"
like "$(comment 7 text)" '^\(part 2/2\)' "the second (part 2/2)"
like "$(comment 6 text)" '^## Full Incident Report' "the report begins in the first"
for i in 6 7; do
	comment $i text >"$WORK/part$i.md"
	ok "part $i is within 65,535 characters" test "$(wc -m <"$WORK/part$i.md")" -le 65535
	is "$(( $(grep -c '^```' "$WORK/part$i.md") % 2 ))" 0 "part $i opens and closes its code blocks"
done
is "$(cat "$WORK/part6.md" "$WORK/part7.md" | grep -Ec '^,[0-9a-f]{64},')" 300 \
	"every certificate's row of the appendix is in one of them"
is "$(json_get "$WORK/status.json" reporting.full_posted)" null "(before:) the full report was not posted"
is "$(status_json full_posted)" 2026-11-25T14:00:00Z "status --json: the full report is posted"

# ---- 8. the whiteboard -------------------------------------------------------------------------
CUST=$(sed -n '2p' certs/customers.csv | perl -ne 'print /^[^,]*,"([^"]*)"/ ? $1 : (split /,/)[1]')
as alice delay --customer "$CUST" --until 2026-12-05T00:00:00Z --rationale "critical infrastructure"
[ "$RC" = 0 ] || bail_out "delay failed: $ERR"
WARROOM_NOW=2026-11-25T15:00:00Z
NPUT=$(grep -c '"method": "PUT"' "$BZ/requests.jsonl")
as dave report post --bug 1000 --whiteboard update
is "$RC" 0 "report post --whiteboard exits 0"
like "$OUT" 'whiteboard: added \[leaf-revocation-delay\]' "... adding the tag"
is "$(json_get "$BZ/state.json" 1000.whiteboard)" "[leaf-revocation-delay]" "the bug's whiteboard has it"
is "$(grep -c '"method": "PUT"' "$BZ/requests.jsonl")" $((NPUT + 1)) "one PUT /rest/bug/1000"
grep '"method": "PUT"' "$BZ/requests.jsonl" | tail -1 >"$WORK/put.json"
is "$(json_get "$WORK/put.json" path) $(json_get "$WORK/put.json" key_ok)" "/rest/bug/1000 true" "... with the key"
WARROOM_NOW=2026-11-25T16:00:00Z
as dave report post --bug 1000 --whiteboard update
like "$OUT" 'is there already' "a second time it is there already"
is "$(grep -c '"method": "PUT"' "$BZ/requests.jsonl")" $((NPUT + 1)) "... and no PUT"
as dave log
like "$OUT" 'set the whiteboard of Bugzilla bug 1000 to "\[leaf-revocation-delay\]"' "the timeline says so"
like "$OUT" "dave settled post #$PKILL \\(the update report to Bugzilla bug 1000\\) as sent: 1 comment" \
	"... and the settling"

# ---- 9. the key never leaks ----------------------------------------------------------------------
is "$(grep -c '"key_ok": false' "$BZ/requests.jsonl")" 0 "every request carried the right key"
as dave log --json
printf '%s\n' "$OUT" >"$WORK/log.json"
sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
for f in "$DB" "$DB-wal" "$WORK/log.json" "$TRANSCRIPT" "$BZ/requests.jsonl" "$BZ/state.json"; do
	[ -f "$f" ] || continue
	nok "the key is not in $(basename "$f")" grep -aq -- "$KEY" "$f"
done
# A key written in a config its group can read: refused, and not echoed.
cat >"$WORK/open.conf" <<EOF
[users]
alice = management
dave = external-comms
bob = revocation
[bugzilla]
url = http://127.0.0.1:$PORT/
api_key = $KEY
EOF
chmod 640 "$WORK/open.conf"
run env WARROOM_USER=dave "$WARROOM" --config "$WORK/open.conf" --db "$DB" report post --retry
is "$RC" 1 "a config holding the key that its group can read is refused"
like "$ERR" 'chmod 600' "... saying how to fix it"
unlike "$OUT$ERR" "$KEY" "... without the key"
chmod 600 "$WORK/open.conf"
NREQ=$(nreq)
run env WARROOM_USER=dave "$WARROOM" --config "$WORK/open.conf" --db "$DB" report post --retry
is "$RC" 0 "readable by its owner alone, it is taken"
unlike "$OUT$ERR" "$KEY" "... and never printed"

# ---- 10. the cadence: by hand, and as time passes -----------------------------------------------
WARROOM_NOW=2026-11-29T00:00:00Z
as bob report posted --bug 1000 --at 2026-11-28T10:00:00Z
is "$RC" 1 "Revocation may not mark a report posted"
as dave report posted --bug 1000 --at 2026-11-30T10:00:00Z
isnt "$RC" 0 "a report is not marked posted in the future"
like "$ERR" 'in the future' "... saying so"
as dave report posted --bug 1000 --at 2026-11-28T10:00:00Z
is "$RC" 0 "report posted --bug --at marks an update posted by hand"
like "$OUT" 'next update due 2026-12-01T10:00:00Z \(should\), 2026-12-05T10:00:00Z \(must\)' "... and says what is next"
is "$(status_json last_update)" 2026-11-28T10:00:00Z "status --json: the last update is the one marked"
is "$(json_get "$WORK/status.json" reporting.next_due_should)" 2026-12-01T10:00:00Z "... should: 3 days on"
is "$(json_get "$WORK/status.json" reporting.next_due_must)" 2026-12-05T10:00:00Z "... must: 7 days on"
as dave log
like "$OUT" 'dave marked the update report as posted to Bugzilla bug 1000 at 2026-11-28 10:00Z' "the timeline says so"

# ---- 11. the console: the header's colour, External Communications' duties ----------------------
tmux_session wr-bz
# header NAME NOW: the console at NOW; the screen with its escapes in $WORK/NAME.txt.
header() {
	T new-session -d -s "$1" -x 120 -y 40 -c "$WORK" \
		"env WARROOM_NOW=$2 WARROOM_USER=dave TERM=screen-256color '$WARROOM' --config '$CONF' --db '$DB'; sleep 600"
	until_ok 50 sh -c "tmux -L '$SOCK' capture-pane -p -t '$1' | grep -q 'Update due'" ||
		fail "the console at $2 shows the update due"
	T capture-pane -p -e -t "$1" >"$WORK/$1.txt"
	T capture-pane -p -t "$1" >"$WORK/$1.plain"
	T send-keys -t "$1" q
}
E=$(printf '\033')
# The attributes right before the due time: SGR codes.
due_sgr() { perl -ne 'if (/Update due ((?:\e\[[0-9;]*m)+)/) { (my $s = $1) =~ s/\e/ESC/g; print "$s\n"; exit }' "$WORK/$1.txt"; }
header fine 2026-11-30T00:00:00Z
file_like "$WORK/fine.plain" 'Update due 12-01 10:00Z' "the header shows the next update due (should)"
like "$(due_sgr fine)" '\[([0-9;]*;)?32(;[0-9;]*)?m' "... green before the 3-day mark"
header warn 2026-12-02T00:00:00Z
file_like "$WORK/warn.plain" 'Update due 12-05 10:00Z' "past the 3-day mark: the 7-day limit"
like "$(due_sgr warn)" '\[([0-9;]*;)?33(;[0-9;]*)?m' "... in amber"
header alarm 2026-12-04T12:00:00Z
like "$(due_sgr alarm)" '\[([0-9;]*;)?41(;[0-9;]*)?m' "within 24 h of the 7-day limit: red"
header late 2026-12-06T00:00:00Z
file_like "$WORK/late.plain" 'Update due 12-05 10:00Z!' "past the limit: marked overdue"
file_like "$WORK/fine.plain" 'Mozilla reports: bug 1000' "External Communications lists the reporting duties"
file_like "$WORK/fine.plain" '\[x\] Preliminary report +11-25' "... the preliminary report, done"
file_like "$WORK/fine.plain" '\[ \] Next update +12-01' "... the next update, due"
file_like "$WORK/fine.plain" '\[x\] Full incident report +11-25' "... the full report, done"

# ---- 12. a gateway's answer after the request went: unknown ------------------------------------
WARROOM_NOW=2026-11-29T01:00:00Z
N0=$(ncomments)
ctl 502
as dave report post --bug 1000 update
is "$RC" 1 "a post a gateway answers 502 fails"
like "$ERR" "update report to bug 1000 unknown: http://127\\.0\\.0\\.1:$PORT answered 502 after the request went: Bugzilla may have it" \
	"... its outcome unknown, not queued"
is "$(rows state | tail -1)" unknown "... the row says unknown"
is "$(ncomments)" $((N0 + 1)) "(Bugzilla has it)"
ctl ok
as dave report post --retry
is "$RC" 1 "a retry leaves it alone..."
like "$OUT" '1 post\(s\) of unknown outcome' "... saying it is of unknown outcome"
is "$(ncomments)" $((N0 + 1)) "... and posts nothing twice"
as dave report post --settle "$(sqlite3 "$DB" "SELECT max(post) FROM bugzilla_post")" --as sent
is "$RC" 0 "a person who finds it on the bug settles it"
WARROOM_NOW=2026-11-29T01:10:00Z
ctl 503
as dave report post --bug 1000 update
is "$RC" 1 "Bugzilla's own 503, its error JSON: the post fails"
like "$ERR" 'update report to bug 1000 queued: Bugzilla answered 503: Bugzilla is down for maintenance \(code 32000\)' \
	"... queued: Bugzilla said it took nothing"
ctl ok
as dave report post --retry
is "$RC" 0 "the retry posts it"
is "$(ncomments)" $((N0 + 2)) "... once"

# ---- 13. 10,000 certificates: the appendix attached, once --------------------------------------
WARROOM_NOW=2026-11-29T02:00:00Z
BIG=$WORK/big.db
WARROOM_NOW=$WARROOM_NOW "$WR_TOOLS/wr-filldb" --db "$BIG" --certs 10000 --expired 0 --declare >/dev/null ||
	bail_out "wr-filldb failed"
# Its CSV is some 2.9 MB: over Bugzilla's default maxattachmentsize
# (1000 KB), it goes in parts (13b.); here [bugzilla] attachment_max is
# over it, and the CSV goes whole as one attachment.
BIGCONF=$WORK/big.conf
{ cat "$CONF"; echo "attachment_max = 8000000"; } >"$BIGCONF"
chmod 600 "$BIGCONF"
big() { # USER ARGS...: as, on the incident of 10,000
	_u=$1
	shift
	run env WARROOM_USER="$_u" "$WARROOM" --config "${BIGCF:-$BIGCONF}" --db "$BIG" "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$TRANSCRIPT"
}
big alice policy pin
big dave report full --out "$WORK/big.md" --appendix "$WORK/big.csv"
is "$RC" 0 "report full --appendix of 10,000 certificates"
file_like "$WORK/big.md" 'The CSV of every certificate is attached to the bug as `affected-certificates\.csv`' \
	"... the report says the CSV is attached"
NREQ0=$(nreq)
C0=$(ncomments)
big dave report post --bug 1000 full
is "$RC" 0 "report post full of 10,000 certificates exits 0"
like "$OUT" "^attached the full report's appendix \\(affected-certificates\\.csv\\) to bug 1000: attachment 1\$" \
	"... attaching the appendix"
like "$OUT" '^posted the full report to bug 1000 \(part 1/[0-9]+\): comment' "... and posting the report"
A=$((NREQ0 + 1))
is "$(req $A method) $(req $A path) $(req $A status)" "POST /rest/bug/1000/attachment 201" \
	"the attachment goes first: POST /rest/bug/1000/attachment"
is "$(req $A key_ok) $(req $A content_type)" "true application/json" "... with the key, in JSON"
is "$(req $A json.ids)" "[1000]" "... ids: the bug"
is "$(req $A json.file_name)|$(req $A json.content_type)" "affected-certificates.csv|text/csv" \
	"... file_name and content_type text/csv"
like "$(req $A json.summary)" '^Appendix' "... a summary"
ok "the attached CSV is the --appendix CSV, byte for byte" cmp -s "$BZ/attachment-1" "$WORK/big.csv"
is "$(wc -l <"$BZ/attachment-1")" 10001 "... a header and 10,000 rows"
NPARTS=$(sqlite3 "$BIG" "SELECT parts FROM bugzilla_post WHERE op = 'comment' LIMIT 1")
ok "the report went as $NPARTS comments" test "$NPARTS" -gt 1
is "$(ncomments)" $((C0 + NPARTS)) "... all of them on the bug"
is "$(nreq)" $((NREQ0 + 1 + NPARTS)) "one attachment and the comments: nothing else"
is "$(json_get "$BZ/state.json" 1000.comments | perl -MJSON::PP -e '
	my @c = @{decode_json(<STDIN>)}[$ARGV[0] .. $ARGV[0] + $ARGV[1] - 1];
	print scalar(grep { $_->{text} =~ /attached to the bug as `affected-certificates\.csv`/ } @c), "\n"' "$C0" "$NPARTS")" 1 \
	"one of its comments says the CSV is attached"
is "$(sqlite3 "$BIG" "SELECT op || ' ' || state || ' ' || comment_id FROM bugzilla_post WHERE op = 'attachment'")" \
	"attachment sent 1" "the attachment's id is recorded"
big dave log
like "$OUT" "dave attached the full report's appendix affected-certificates\\.csv \\([0-9,]+ bytes\\) to Bugzilla bug 1000 as attachment 1" \
	"the timeline says so"
big dave report post --retry
like "$OUT" '^nothing queued$' "a retry has nothing to send"
big dave report post --list
like "$OUT" '^#[0-9]+ +full +attachment sent +bug 1000 attachment 1 at 2026-11-29T02:00:00Z$' \
	"report post --list shows the attachment and its id"
is "$(json_get "$BZ/state.json" 1000.attachments | grep -o '"id"' | wc -l)" 1 "one attachment on the bug: nothing twice"
# Refused: the comments that say it is attached wait for it.
WARROOM_NOW=2026-11-29T03:00:00Z
C1=$(ncomments)
ctl 400
big dave report post --bug 1000 full
is "$RC" 1 "an attachment refused fails the post"
like "$ERR" "full report to bug 1000 \\(its appendix, affected-certificates\\.csv\\) queued: Bugzilla answered 400" \
	"... naming the appendix"
is "$(ncomments)" "$C1" "... and no comment goes before it"
is "$(sqlite3 "$BIG" "SELECT count(*) FROM bugzilla_post WHERE state = 'queued'")" $((NPARTS + 1)) \
	"... all of it queued"
ctl ok
big dave report post --retry
is "$RC" 0 "the retry sends it"
like "$OUT" "^attached the full report's appendix .* attachment 2\$" "... the appendix first"
is "$(ncomments)" $((C1 + NPARTS)) "... then the comments"
is "$(json_get "$BZ/state.json" 1000.attachments | grep -o '"id"' | wc -l)" 2 "... one attachment for each post"
# A new bug with the full report: the bug first, then its attachment.
WARROOM_NOW=$WARROOM_NOW "$WR_TOOLS/wr-filldb" --db "$WORK/big2.db" --certs 10000 --expired 0 \
	--declare >/dev/null || bail_out "wr-filldb failed"
BIG=$WORK/big2.db
big alice policy pin
NREQ0=$(nreq)
big dave report post --new full
is "$RC" 0 "report post --new full of 10,000 certificates exits 0"
NEWBUG=$(printf '%s\n' "$OUT" | sed -n 's/^filed bug \([0-9]*\) with the full report (part 1\/[0-9]*)$/\1/p')
like "$NEWBUG" '^[0-9]+$' "... filing a bug"
is "$(req $((NREQ0 + 1)) path) $(req $((NREQ0 + 2)) path) $(req $((NREQ0 + 3)) path)" \
	"/rest/bug /rest/bug/$NEWBUG/attachment /rest/bug/$NEWBUG/comment" \
	"the bug first, then the attachment to it, then the comments"
like "$OUT" "^attached the full report's appendix \\(affected-certificates\\.csv\\) to bug $NEWBUG: attachment 3\$" \
	"... the output says so"

# ---- 13b. the appendix in parts of [bugzilla] attachment_max ----------------------------------
# Unset, it is Bugzilla's default maxattachmentsize, 1000 KB: the CSV of
# 10,000 certificates goes in parts, each of whole rows under its header.
BIG=$WORK/big.db
BIGCF=$CONF
WARROOM_NOW=2026-11-29T05:00:00Z
big dave report full --out "$WORK/parts.md" --appendix "$WORK/parts.csv"
is "$RC" 0 "report full --appendix under the default attachment_max"
NP=$(sed -n 's/.*attached to the bug in \([0-9]*\) parts.*/\1/p' "$WORK/parts.md")
CSVB=$(wc -c <"$WORK/parts.csv")
is "$NP" $(((CSVB + 1023999) / 1024000)) "the report says the CSV of $CSVB bytes is attached in as many parts"
file_like "$WORK/parts.md" "in $NP parts, \`affected-certificates-1-of-$NP\.csv\` to \`affected-certificates-$NP-of-$NP\.csv\`" \
	"... naming the files"
is "$(wc -l <"$WORK/parts.csv")" 10001 "--appendix still writes one whole CSV"
NREQ0=$(nreq)
C0=$(ncomments)
big dave report post --bug 1000 full
is "$RC" 0 "report post full in parts exits 0"
IDS=$(printf '%s\n' "$OUT" | sed -n 's/^attached the full report.s appendix .* to bug 1000: attachment \([0-9]*\)$/\1/p')
is "$(printf '%s\n' "$IDS" | wc -l)" "$NP" "... $NP attachments"
like "$OUT" "^attached the full report's appendix \\(affected-certificates-$NP-of-$NP\\.csv\\) to bug 1000" \
	"... each named by its own file"
big dave report post --list
like "$OUT" "attachment +sent +bug 1000 $NP/$NP attachment" "report post --list shows which part"
i=0
: >"$WORK/rows.csv"
for id in $IDS; do
	i=$((i + 1))
	A=$((NREQ0 + i))
	is "$(req $A path)|$(req $A json.file_name)" \
		"/rest/bug/1000/attachment|affected-certificates-$i-of-$NP.csv" "part $i: its file name"
	like "$(req $A json.summary)" "part $i of $NP\$" "... its summary says which part"
	ok "... at most 1,024,000 bytes" test "$(wc -c <"$BZ/attachment-$id")" -le 1024000
	is "$(head -n 1 "$BZ/attachment-$id")" "$(head -n 1 "$WORK/parts.csv")" "... the header row first"
	tail -n +2 "$BZ/attachment-$id" >>"$WORK/rows.csv"
done
{ head -n 1 "$WORK/parts.csv"; cat "$WORK/rows.csv"; } >"$WORK/joined.csv"
ok "the parts' rows are the --appendix CSV's, in order, each once" cmp -s "$WORK/joined.csv" "$WORK/parts.csv"
is "$(req $((NREQ0 + NP + 1)) path)" /rest/bug/1000/comment "every part before the first comment"
NPARTS=$(sqlite3 "$BIG" "SELECT parts FROM bugzilla_post WHERE op = 'comment' ORDER BY id DESC LIMIT 1")
is "$(nreq)" $((NREQ0 + NP + NPARTS)) "the parts and the comments: nothing else"
is "$(ncomments)" $((C0 + NPARTS)) "... the comments on the bug"
is "$(sqlite3 "$BIG" "SELECT group_concat(part || '/' || parts || ' ' || state, ',') FROM (SELECT * FROM bugzilla_post
	WHERE op = 'attachment' AND post = (SELECT max(post) FROM bugzilla_post) ORDER BY part)")" \
	"$(seq -s, -f "%g/$NP sent" 1 "$NP")" "each part queued once and sent"
big dave report post --retry
like "$OUT" '^nothing queued$' "a retry has nothing to send: no part twice"
# Bugzilla's own maxattachmentsize below attachment_max: refused with its
# code 600; the post waits, naming the setting.
{ cat "$CONF"; echo "attachment_max = 1500000"; } >"$WORK/p2.conf"
chmod 600 "$WORK/p2.conf"
BIGCF=$WORK/p2.conf
echo 1000 >"$BZ/attach_max"
WARROOM_NOW=2026-11-29T06:00:00Z
C1=$(ncomments)
N1=$(json_get "$BZ/state.json" 1000.attachments | grep -o '"id"' | wc -l)
big dave report post --bug 1000 full
is "$RC" 1 "parts over Bugzilla's maxattachmentsize: the post fails"
P2=$(sqlite3 "$BIG" "SELECT max(post) FROM bugzilla_post")
like "$ERR" "affected-certificates-1-of-2\\.csv: Bugzilla answered 400: The file you are trying to attach is [0-9]+ kilobytes \\(KB\\) in size\\. Attachments cannot be more than 1000 KB" \
	"... Bugzilla's words, naming the part"
like "$ERR" "\\(code 600\\); this part is [0-9]+ bytes, over Bugzilla's maxattachmentsize: set \\[bugzilla\\] attachment_max \\(now 1500000 bytes\\) to it or lower, drop this post \\(report post --settle $P2 --as dropped\\)" \
	"... and the setting"
is "$(ncomments)" "$C1" "... no comment goes before it"
is "$(json_get "$BZ/state.json" 1000.attachments | grep -o '"id"' | wc -l)" "$N1" "... nor any part"
is "$(sqlite3 "$BIG" "SELECT count(*) FROM bugzilla_post WHERE post = $P2 AND state = 'queued'")" \
	$((NPARTS + 2)) "... all of it queued: its 2 parts and its comments"
like "$(sqlite3 "$BIG" "SELECT error FROM bugzilla_post WHERE post = $P2 AND op = 'attachment' AND part = 1")" \
	'attachment_max' "... the error kept with it"
# As the error says: dropped, and posted again in parts Bugzilla takes.
big dave report post --settle "$P2" --as dropped
is "$RC" 0 "the post refused is dropped"
{ cat "$CONF"; echo "attachment_max = 800000"; } >"$WORK/p2.conf"
big dave report post --bug 1000 full
is "$RC" 0 "attachment_max lowered, the report posted again goes"
is "$(json_get "$BZ/state.json" 1000.attachments | grep -o '"id"' | wc -l)" $((N1 + 4)) \
	"... in 4 parts Bugzilla takes"
is "$(ncomments)" $((C1 + NPARTS)) "... then its comments"
rm -f "$BZ/attach_max"
BIGCF=

# ---- 14. an exercise posts only to its sink ------------------------------------------------------
cat >"$WORK/tiny.ini" <<'SCN'
[scenario]
id = tiny
title = Tiny report test
based_on = nothing real
reason = validation-unreliable
discovered = -2h
declare = no
speed = 1

[population]
count = 20
real = 5
customers = 2
critical = 0%
expired = 0%
validity = 90d:100%
endpoints = 1..1
SCN
EXCONF=$WORK/ex.conf
excf() { # the exercise's config; $1: an [exercise] section, or nothing
	printf '[users]\nalice = facilitator\ndave = external-comms\n[bugzilla]\nurl = http://127.0.0.1:%s/\napi_key_file = key\nca_owner = Example CA\n%s\n' \
		"$PORT" "$1" >"$EXCONF"
	chmod 600 "$EXCONF"
}
excf ""
ex() { # USER ARGS...
	_u=$1
	shift
	run env WARROOM_USER="$_u" "$WARROOM" --config "$EXCONF" --db "$WORK/ex.db" "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >>"$TRANSCRIPT"
}
ex alice exercise start "$WORK/tiny.ini"
[ "$RC" = 0 ] || bail_out "exercise start failed: $ERR"
NREQ0=$(nreq)
ex dave report post --new preliminary
is "$RC" 1 "an exercise without [exercise] bugzilla posts nothing"
like "$ERR" '\[exercise\] bugzilla' "... saying how to name a sink"
is "$(nreq)" "$NREQ0" "... and the CA's Bugzilla got nothing"
printf 'exercise\n' >"$WORK/exkey"
SINK=$WORK/sink
mkdir -p "$SINK"
/usr/bin/python3 "$WR_E2E_DIR/bugzilla-server.py" "$WORK/port2" "$SINK" "$WORK/exkey" &
PIDS="$PIDS $!"
until_ok 100 test -s "$WORK/port2" || bail_out "the sink did not start"
excf "[exercise]
bugzilla = http://127.0.0.1:$(cat "$WORK/port2")/"
ex dave report post --new preliminary
is "$RC" 0 "with [exercise] bugzilla, the exercise files its bug there"
sed -n 1p "$SINK/requests.jsonl" >"$WORK/sreq.json"
is "$(json_get "$WORK/sreq.json" path) $(json_get "$WORK/sreq.json" key_ok)" "/rest/bug true" \
	"... with the key 'exercise', never the CA's"
like "$(json_get "$WORK/sreq.json" json.description)" '^\*\*EXERCISE\*\*' "... the report saying EXERCISE first"
is "$(nreq)" "$NREQ0" "the CA's Bugzilla got nothing"
nok "the CA's key is not in the sink's requests" grep -q -- "$KEY" "$SINK/requests.jsonl"

done_testing
