#!/bin/sh
# report.t: Mozilla's reports from the database (warroom report), on a
# fixture incident whose clock WARROOM_NOW fixes: 13 certificates
# (wr-mkcerts, two expired, one with a hostile subject) of three
# customers, one named with a pipe and HTML; key-compromise declared;
# a delay for that customer; 5 revoked through the local backend; the
# findings and action items people record (finding, action).
#   - the update's four numbers equal `status --json` and what
#     `openssl crl -text` lists on the local backend's CRLs;
#   - each kind, Markdown and JSON, equals its expected file in
#     tests/fixtures/reports/ (SHA-256 digests and run durations, which
#     change with each run's keys and speed, normalised);
#     WR_UPDATE_REPORTS=1 rewrites them (look at the diff);
#   - the full report rendered by cmark-gfm (GFM tables) has its tables
#     with the right columns, and no raw HTML from a customer's name;
#   - every report names the audit chain's head, which `audit verify
#     --head` proves (and which a rewritten database fails);
#   - the post-mortem lists each team's lessons under it, the rest overall,
#     and "Who" is who ticked a task, never the owner of one not done;
#   - --out, --appendix, bad kinds and formats, permissions;
#   - at 9,999 certificates the appendix is the CSV, at 10,000 crt.sh links
#     and `--appendix FILE` writes the CSV of all 10,000 (wr-filldb).
. "$(dirname "$0")/lib.sh"
no_plan

needs openssl sqlite3 perl cmark-gfm
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

EXPECTED=$WR_REPO/tests/fixtures/reports
T0=2026-11-25T08:00:00Z
NOW=2026-11-25T12:00:00Z
HOSTILE='Alpine | Motors <b>bold</b> #1'

"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 10 --customers 3 \
	--hostile --seed 5 --now $T0 >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
perl -i -pe 's/,Alpine Motors,/,"Alpine | Motors <b>bold<\/b> #1",/' certs/customers.csv
cat >warroom.conf <<'EOF'
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
crl_url = http://127.0.0.1:9/
[bugzilla]
ca_owner = Example CA
EOF
export WARROOM_USER=alice
at() { # TIME warroom ARGS...
	_t=$1
	shift
	WARROOM_NOW=$_t "$WARROOM" --db wr.db --config warroom.conf "$@"
}
{
	at $T0 init --name "Weak keys | DCV" &&
		at $T0 import --customers certs/customers.csv certs/bundle.pem &&
		at 2026-11-25T08:05:00Z declare --reason key-compromise --discovered 2026-11-25T06:00:00Z &&
		at 2026-11-25T09:00:00Z delay --customer "$HOSTILE" --until 2026-11-28T00:00:00Z \
			--rationale 'Infusion pumps | replacement window *agreed* with the hospital' &&
		at 2026-11-25T09:30:00Z task done 2 --note "population confirmed" --yes &&
		at 2026-11-25T09:45:00Z task assign 3 bob &&
		at 2026-11-25T10:00:00Z authorize revoke &&
		at 2026-11-25T10:00:00Z revoke --yes --limit 5 &&
		at 2026-11-25T11:00:00Z finding add --section root-cause "Weak RNG | HSM firmware" &&
		at 2026-11-25T11:00:00Z finding add --section related --bug 1900001 \
			--date 2025-06-01T00:00:00Z "Earlier weak keys" &&
		at 2026-11-25T11:00:00Z finding add --section lesson-well "The customer list was current" &&
		at 2026-11-25T11:00:00Z finding add --section lesson-lucky "The HSM vendor answered at night" &&
		at 2026-11-25T11:00:00Z finding add --section lesson-badly --team customer-relations \
			"The notice template | was out of date" &&
		at 2026-11-25T11:00:00Z action add "Replace the HSM firmware" --kind prevent \
			--root-cause "Weak RNG" --criteria "No weak key in 90 days" --due 2026-12-31T00:00:00Z &&
		at 2026-11-25T11:05:00Z action add "Alert on duplicate moduli" --kind detect \
			--root-cause "Weak RNG" --criteria "Alert within 1 h in a drill" --due 2027-01-31T00:00:00Z &&
		at 2026-11-25T11:10:00Z action set 1 --status delayed --due 2027-01-15T00:00:00Z
} >setup.log 2>&1 || bail_out "fixture failed: $(cat setup.log)"

# ---- the update's numbers: status --json and the CRLs -----------------------------------
at $NOW status --json >st.json 2>&1
run at $NOW report update --format json
is "$RC" 0 "report update --format json exits 0"
printf '%s\n' "$OUT" >up.json
ok "its output is JSON" json_valid up.json
is "$(json_get up.json revoked)" "$(json_get st.json counts.revoked)" "revoked = status's revoked"
is "$(json_get up.json not_revoked)" \
	"$(($(json_get st.json counts.pending) + $(json_get st.json counts.delayed)))" \
	"not_revoked = status's pending + delayed"
is "$(json_get up.json expired)" "$(json_get st.json counts.expired)" "expired = status's expired"
is "$(json_get up.json revoked)" 5 "5 revoked"
is "$(json_get up.json expired)" 2 "2 expired first"
# Every revoked serial is on a CRL shard, and nothing else is.
crl_serials=0
for f in pub/shard-*.crl; do
	n=$(openssl crl -in "$f" -inform DER -noout -text 2>/dev/null | grep -c 'Serial Number:')
	crl_serials=$((crl_serials + n))
done
is "$crl_serials" "$(json_get up.json revoked)" "openssl crl counts as many revoked as the report"
is "$(json_get up.json delays.0.customer)" "$HOSTILE" "the delay names its customer as kept"
is "$(json_get up.json delays.0.until)" 2026-11-28T00:00:00Z "the delay's until"
like "$(json_get up.json delays.0.rationale)" "^Infusion pumps" "the delay's rationale"
# At the rate since the first revocation (5 in 2 h), the 4 pending take
# 1.6 h; the delay ends later still: the estimate is when it ends.
is "$(json_get up.json estimated_completion)" 2026-11-28T00:00:00Z \
	"the estimate waits for the last delay"
is "$(json_get up.json estimate_reason)" null "no estimate_reason with an estimate"
run at 2026-11-25T08:30:00Z report update --format json
printf '%s\n' "$OUT" >early.json
is "$(json_get early.json estimated_completion)" null "before any revocation: no estimate"
like "$(json_get early.json estimate_reason)" "rate" "... and estimate_reason says why"

# ---- golden files -------------------------------------------------------------------
# Digests follow the keys wr-mkcerts draws, durations the machine.
normalise() {
	perl -pe 's/\b[0-9a-f]{64}\b/{sha256}/g; s/\bin [0-9]+\.[0-9]+ s\b/in {seconds} s/g'
}
mkdir -p out
for k in preliminary update full postmortem; do
	for fmt in md json; do
		at $NOW report $k --format $fmt >out/raw 2>out/err
		rc=$?
		normalise <out/raw >out/$k.$fmt
		is "$rc" 0 "report $k --format $fmt exits 0"
		no_control_bytes out/$k.$fmt "report $k --format $fmt: no control bytes"
		if [ -n "${WR_UPDATE_REPORTS:-}" ]; then
			mkdir -p "$EXPECTED"
			cp out/$k.$fmt "$EXPECTED/$k.$fmt"
		fi
		if cmp -s out/$k.$fmt "$EXPECTED/$k.$fmt"; then
			pass "report $k --format $fmt equals tests/fixtures/reports/$k.$fmt"
		else
			fail "report $k --format $fmt equals tests/fixtures/reports/$k.$fmt" \
				"$(diff -u "$EXPECTED/$k.$fmt" out/$k.$fmt | head -40)"
		fi
	done
done
is "$(head -1 out/preliminary.md)" "## Preliminary Incident Report" "the preliminary body's first line"
is "$(head -1 out/full.md)" "## Full Incident Report" "the full body's first line"
ok "report json output is JSON" json_valid out/full.json
is "$(json_get out/preliminary.json title)" "Example CA: Weak keys | DCV" \
	"the bug's title: [bugzilla] ca_owner and the incident"

# ---- GFM rendering: tables with the right columns -------------------------------------
# Prints, per table, its header cells joined by '|', then ":BAD" when a row
# has another number of cells than the header.
tables() {
	perl -0777 -ne '
		while (/<table>(.*?)<\/table>/sg) {
			my $t = $1;
			my ($head) = $t =~ /<thead>(.*?)<\/thead>/s;
			my @th = $head =~ /<th[^>]*>(.*?)<\/th>/sg;
			my $bad = "";
			my ($body) = $t =~ /<tbody>(.*?)<\/tbody>/s;
			for my $tr (($body // "") =~ /<tr>(.*?)<\/tr>/sg) {
				my $n = () = $tr =~ /<td[^>]*>/g;
				$bad = ":BAD" if $n != @th;
			}
			print join("|", @th), $bad, "\n";
		}' "$1"
}
cmark-gfm -e table out/full.md >full.html 2>&1
is "$(tables full.html)" "Subscriber|Certificates|Delayed until (UTC)|Rationale
Bug|Date|Description
Action Item|Kind|Root Cause|Evaluation Criteria|Due Date|Status" \
	"full: the delay, related-incident and action-item tables, each row with their columns"
file_like full.html '<td>Alpine \| Motors &lt;b&gt;bold&lt;/b&gt; #1</td>' \
	"the customer's pipe stays in its cell and its HTML is text"
file_unlike full.html '<b>bold|raw HTML omitted' "no raw HTML from a customer's name"
cmark-gfm -e table out/update.md >update.html 2>&1
is "$(tables update.html)" "Certificates|Count
Subscriber|Certificates|Delayed until (UTC)|Rationale" "update: the numbers and the delays"
cmark-gfm -e table out/postmortem.md >pm.html 2>&1
is "$(tables pm.html | sort -u)" "Task|Phase|Due (UTC)|Done (UTC)|Late by|Who" \
	"postmortem: each team's table has the six columns, every row too"
like "$(cat out/postmortem.md)" '^- \*\*Deadline\*\*: 2026-11-26 06:00:00 UTC: not decided yet' \
	"postmortem: the deadline not decided yet while time is left"
# Each team's lessons under the team; the rest overall.
perl -0777 -ne 'print $1 if /### Customer Relations\n(.*?)\n### /s' out/postmortem.md >pm-cr.md
file_like pm-cr.md "^- What didn't go well: The notice template \\\\\| was out of date\$" \
	"postmortem: Customer Relations' lesson under Customer Relations"
perl -0777 -ne 'print $1 if /### Lessons Learned: overall\n(.*?)\n---\n/s' out/postmortem.md >pm-all.md
file_like pm-all.md '^- The customer list was current$' "... the incident's own lessons overall"
file_unlike pm-all.md 'notice template' "... and not the team's"
file_like out/postmortem.md '\| 02:30:00 \| alice \|$' "Who: who ticked a task done"
file_like out/postmortem.md '\| not done \(owner bob\) \|$' "Who: the owner of a task not done, said as such"
run at $NOW finding add --section lesson-well --team nosuch "x"
is "$RC" 1 "finding add --team of no team fails"
like "$ERR" "no team 'nosuch'" "... saying so"
run at $NOW finding list --json
printf '%s\n' "$OUT" >fl.json
is "$(json_get fl.json 4.team)" customer-relations "finding list --json: the team recorded"

# ---- the audit chain's head, in every report ---------------------------------------
for k in preliminary update full postmortem; do
	at $NOW report $k >raw-$k.md 2>&1
	at $NOW report $k --format json >raw-$k.json 2>&1
	h=$(perl -ne 'print "$1\n" if /^Audit chain: \d+ events, head `(\d+:[0-9a-f]{64})`/' raw-$k.md)
	like "$h" '^[0-9]+:[0-9a-f]{64}$' "report $k names the audit head"
	is "$(json_get raw-$k.json audit.anchor)" "$h" "report $k --format json: the same head"
done
HEAD=$(perl -ne 'print "$1" if /head `(\d+:[0-9a-f]{64})`/' raw-update.md)
run at $NOW audit verify --head "$HEAD"
is "$RC" 0 "audit verify --head proves the report's head"
like "$OUT" "anchored head found: event ${HEAD%%:*} of ${HEAD%%:*}" "... the newest event when it was written"
cp wr.db tampered.db
at $NOW finding add --section lesson-other "after the report" >/dev/null 2>&1
run at $NOW audit verify --head "$HEAD"
is "$RC" 0 "... and still after more events"
sqlite3 tampered.db "UPDATE event SET details = replace(details, 'Weak RNG', 'Solar flare') WHERE action = 'finding-add'"
run env WARROOM_NOW=$NOW "$WARROOM" --db tampered.db --config warroom.conf audit verify --head "$HEAD"
is "$RC" 1 "a database rewritten since fails the report's head"

# The Compliance & Legal pane lists the action items, open ones first.
printf 'save-display %s/screen.txt\nquit\n' "$WORK" >screen.script
WARROOM_SCRIPT=$WORK/screen.script COLUMNS=120 LINES=40 TZ=UTC WARROOM_NOW=$NOW \
	"$WARROOM" --db wr.db --config warroom.conf >screen.out 2>&1
file_like screen.txt '─ Action items: 2 open of 2 ─' "the console: Compliance & Legal lists the action items"
file_like screen.txt 'A1 +\[!\] Replace the HSM firmware +01-15' "... the delayed one marked, with its due date"
file_like screen.txt 'A2 +\[ \] Alert on duplicate modu.* +01-31' "... the ongoing one"

# ---- --out, --appendix ----------------------------------------------------------------
run at $NOW report full --out full.md --appendix app.csv
is "$RC" 0 "report full --out --appendix exits 0"
like "$OUT" "wrote the full report" "it says where it wrote"
is "$(head -1 app.csv)" \
	"Precertificate SHA-256,Certificate SHA-256,Subject,Issuer,notBefore,notAfter,Serial,dNSNames,Is revoked?,Revocation date,Revocation reason" \
	"the appendix CSV's header, in domain.md's order"
is "$(($(wc -l <app.csv) - 1))" 13 "a row per certificate"
is "$(grep -c ',Yes,' app.csv)" 5 "5 revoked: Yes"
is "$(grep -c ',Delayed,,' app.csv)" "$(json_get st.json counts.delayed)" "the delayed ones: Delayed"
run at $NOW report preliminary --out pre.md
like "$OUT" "bug title: Example CA: Weak keys \| DCV" "--out prints the bug's title"

# ---- refusals --------------------------------------------------------------------------
run at $NOW report weekly
is "$RC" 2 "an unknown kind: usage error"
like "$ERR" "preliminary, update, full or postmortem" "... naming the kinds"
run at $NOW report update --format html
is "$RC" 2 "an unknown format: usage error"
run at $NOW report update --appendix x.csv
is "$RC" 2 "--appendix goes with full only"
run at $NOW report update --bogus
is "$RC" 2 "an unknown option: usage error"
like "$ERR" "usage: warroom report KIND" "... with the usage"
run at $NOW report --help
like "$OUT" "^usage: warroom report KIND" "report --help"
run at $NOW finding add "no section"
is "$RC" 2 "finding add without --section: usage error"
run at $NOW finding add --section lessons "x"
is "$RC" 2 "an unknown section: usage error"
like "$ERR" "root-cause, lesson-well, lesson-badly, lesson-lucky, lesson-other or related" \
	"... naming the sections"
run at $NOW finding add --section lesson-well --bug 1 "x"
is "$RC" 2 "a bug belongs to a related incident only"
run at $NOW action add "No due" --kind prevent --root-cause r --criteria c
is "$RC" 2 "action add without --due: usage error"
run at $NOW action add "Bad kind" --kind avoid --root-cause r --criteria c --due $NOW
is "$RC" 2 "action add with an unknown kind: usage error"
like "$ERR" "prevent, mitigate or detect" "... naming the kinds"
run at $NOW action set 1
is "$RC" 2 "action set without a change: usage error"
run at $NOW action set 99 --status complete
is "$RC" 1 "action set of no such item fails"
like "$ERR" "no action item 99" "... saying so"
run at $NOW action set 1 --status delayed
like "$OUT" "unchanged" "setting what is already so changes nothing"
cat >users.conf <<'EOF'
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
crl_url = http://127.0.0.1:9/
[users]
alice = management
bob = revocation
carol = compliance-legal
EOF
atu() { # USER TIME warroom ARGS...
	_u=$1 _t=$2
	shift 2
	WARROOM_USER=$_u WARROOM_NOW=$_t "$WARROOM" --db wr.db --config users.conf "$@"
}
if [ "$(id -u)" -eq 0 ]; then
	atu alice $NOW policy pin >/dev/null 2>&1
	run atu bob $NOW finding add --section lesson-badly "not mine"
	is "$RC" 1 "Revocation may not record a finding"
	like "$ERR" "compliance-legal" "... the refusal names the team needed"
	run atu carol $NOW action set 2 --status complete
	is "$RC" 0 "Compliance & Legal sets an action item's status"
	run atu bob $NOW report update
	is "$RC" 0 "anyone reads a report"
else
	missing "WARROOM_USER needs root: the permission checks did not run"
fi

run at $NOW action list --json
printf '%s\n' "$OUT" >al.json
is "$(json_get al.json 0.status)" delayed "action list --json: the status set"
is "$(json_get al.json 0.due)" 2027-01-15T00:00:00Z "... and the new due date"
run at $NOW log
like "$OUT" 'alice updated the action item #1 "Replace the HSM firmware": status delayed \(was ongoing\), due 2027-01-15' \
	"the change is a sentence in the timeline"
run at $NOW audit verify
is "$RC" 0 "the audit chain holds"

# ---- 9,999 and 10,000 certificates: the CSV, then crt.sh links -------------------------
[ -x "$WR_TOOLS/wr-filldb" ] || bail_out "no $WR_TOOLS/wr-filldb (make all builds it)"
for n in 9999 10000; do
	WARROOM_NOW=$NOW "$WR_TOOLS/wr-filldb" --db big$n.db --certs $n --expired 0 >/dev/null ||
		bail_out "wr-filldb failed"
	run env WARROOM_NOW=$NOW "$WARROOM" --db big$n.db report full --out big$n.md --appendix big$n.csv
	is "$RC" 0 "report full --appendix at $n certificates exits 0"
	is "$(($(wc -l <big$n.csv) - 1))" $n "... the appendix CSV has a row for each of the $n"
	is "$(head -1 big$n.csv)" \
		"Precertificate SHA-256,Certificate SHA-256,Subject,Issuer,notBefore,notAfter,Serial,dNSNames,Is revoked?,Revocation date,Revocation reason" \
		"... under its header"
done
file_like big9999.md '^```csv$' "9,999 certificates: the appendix is the CSV itself"
is "$(grep -c '^,[0-9a-f]\{64\},CN=host' big9999.md)" 9999 "... a row for each"
file_unlike big9999.md 'crt\.sh|attached' "... no crt.sh link, nothing said attached"
# The CSV, 2.9 MB, is over Bugzilla's default maxattachmentsize (1000 KB,
# [bugzilla] attachment_max): in parts.
file_like big10000.md '^10,000 certificates: each one on crt\.sh by its SHA-256\. The CSV of every certificate is attached to the bug in 3 parts, `affected-certificates-1-of-3\.csv` to `affected-certificates-3-of-3\.csv`\.$' \
	"10,000 certificates: crt.sh links, the CSV said attached in parts"
is "$(grep -c '^- <https://crt\.sh/?sha256=[0-9a-f]\{64\}>$' big10000.md)" 10000 "... a link for each"
file_unlike big10000.md '^```csv' "... and no CSV in the report"
is "$(sed -n 's/^- <https:\/\/crt\.sh\/?sha256=\([0-9a-f]*\)>$/\1/p' big10000.md | sort | md5sum)" \
	"$(cut -d, -f2 big10000.csv | sed 1d | sort | md5sum)" "... the links and the CSV name the same certificates"

done_testing
