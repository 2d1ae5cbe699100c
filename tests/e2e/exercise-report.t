#!/bin/sh
# exercise-report.t: the evidence of a tabletop exercise for the assessor
# (`exercise report`). An exercise database (the exercise row written as
# `exercise start` writes it, its clock paused and moved by hand so every
# time is fixed), hostile certificate, customer, inject and observation
# text, tasks done on time and late, an inject fired late by the schedule;
# then the timeline (each event in order, in words, at its simulated
# time, the inject marked with its due time and firing), the Markdown
# report read by Debian's cmark-gfm (tables with the right columns), the
# HTML report read by python3's html.parser (self-contained: no script,
# no external resource; the SVG charts present; hostile text never raw),
# the audit head it states reproduced by `audit verify --head` and
# refused once the database is edited, and --previous naming the tasks a
# new plan added, removed and moved.
. "$(dirname "$0")/lib.sh"
no_plan

needs sqlite3 python3 cmark-gfm
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

WARROOM_USER=facil
WARROOM_NOW=2026-11-20T08:00:00Z
export WARROOM_USER WARROOM_NOW
T0=$(date -u -d 2026-11-20T08:00:00Z +%s)

# exercise_row DB TITLE: the exercise row, paused at T0.
exercise_row() {
	sqlite3 "$1" "INSERT INTO exercise(one, scenario, title, scenario_sha256, sim_start,
		real_start, sim_base, real_base_ms, speed, paused) VALUES (1, 'dv-bug', '$2',
		'$(printf x | sha256sum | cut -c1-64)', $T0, $T0, $T0, $T0 * 1000, 60, 1)"
}
# at SECONDS: the simulated clock, T0 + SECONDS.
at() { sqlite3 "$DB" "UPDATE exercise SET sim_base = $T0 + $1"; }

"$WR_TOOLS/wr-mkcerts" --out certs --count 8 --customers 3 --hostile --seed 5 --format pem \
	--now 2026-11-01T00:00:00Z >/dev/null 2>&1 || bail_out "wr-mkcerts failed"
W init --name "DV bug exercise" >/dev/null 2>&1 || bail_out "init failed"
exercise_row "$DB" 'Domain validation bug <script>alert(1)</script> | with a pipe'
W import --issuers certs/ca.pem --customers certs/customers.csv certs/bundle.pem \
	>/dev/null 2>&1 || bail_out "import failed"
W declare --reason misuse --discovered 2026-11-20T07:30:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"

# Management's first task (+1h after discovery, 08:30) done on time at
# 08:20, its third (+2h, 09:30) late at 11:00.
at 1200
run W task done 1
is "$RC" 0 "task 1 done at 08:20"
at 10800
run W task done 3
is "$RC" 0 "task 3 done at 11:00, 1h 30m late"
# i1 fired at 09:00 (by hand: no event); i2 (due +2h) is inserted unfired
# at 11:00: the next command fires it, an hour after its time, and the
# timeline says so.
sqlite3 "$DB" "INSERT INTO inject(id, at_offset, team, message, effect, fired_at, fired_by)
	VALUES ('i1', 3600, 'customer-relations', 'A customer asks <img src=x> for a delay',
	'delay-request', $T0 + 3600, 'facil'), ('i2', 7200, 'external-comms',
	'A journalist calls | <i>now</i>', 'question', NULL, NULL);
	INSERT INTO expectation(inject_id, kind, within, description, score, late_by, scored_by)
	VALUES ('i1', 'delay-decision', 7200, 'Decide the delay | in 2h', 'late', 1800, 'facil');
	INSERT INTO observation(at, by_user, text) VALUES ($T0 + 5400, 'obs',
	'Revocation lead waited for <b>approval</b>')" || bail_out "inject rows"

run W finding add --section lesson-badly 'Approval took <b>90</b> minutes | too long'
is "$RC" 0 "a lesson recorded"
run W action add 'Pre-approve the notice template' --kind mitigate --root-cause 'slow approval' \
	--criteria 'approval under 15 min in the next exercise' --due 2027-01-15T00:00:00Z
is "$RC" 0 "an action item recorded"

# ---- Markdown ----------------------------------------------------------------------------
run W exercise report
is "$RC" 0 "exercise report exits 0"
is "$(head -n 1 "$OUT_FILE")" EXERCISE "its first line says EXERCISE"
PLAN=$("$WARROOM" --db "$DB" status --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["plan"]["sha256"])' 2>/dev/null ||
	sqlite3 "$DB" 'SELECT plan_sha256 FROM incident')
like "$OUT" "$PLAN" "it names the plan's SHA-256 ($PLAN)"
unlike "$OUT" '<script>' "the scenario's title is escaped"
unlike "$OUT" '[^\\]<img' "an inject's message is escaped"
like "$OUT" 'Deadline|Revocation deadline' "it has the deadline"
like "$OUT" '\| Management \| [0-9]+ \| 1 \| 1 \|' "Management: 1 task done on time, 1 late"
like "$OUT" 'Decide the delay \\\| in 2h \| 2h 00m \| late \| 30m 00s' "the expectation, scored late by 30 minutes"
like "$OUT" 'Evidence for BR 5\.7\.1\.2' "it maps the evidence to BR 5.7.1.2"
like "$OUT" '\| lesson-badly \| Approval took \\<b\\>90\\</b\\> minutes \\\| too long \| facil \|' "the lesson, escaped"
like "$OUT" '\| Pre-approve the notice template \| mitigate \| 2027-01-15T00:00:00Z \| ongoing \|' "the action item"

# The timeline: every event in order as a sentence at its simulated time.
sed -n '/^## Timeline$/,/^## Measures$/p' "$OUT_FILE" >timeline.md
grep '^| 2026' timeline.md | cut -d'|' -f2 | tr -d ' ' >tl-times
ok "the timeline's simulated times never go back" sort -c tl-times
is "$(head -n 1 tl-times) $(tail -n 1 tl-times)" "2026-11-20T08:00:00Z 2026-11-20T11:00:00Z" \
	"... from the incident's start at 08:00 to the last action at 11:00"
is "$(grep '^| 2026' timeline.md | cut -d'|' -f5 | awk '{ print $2 }' | tr '\n' ' ')" \
	"created imported imported declared ticked ticked fired recorded added " \
	"the events in the order they happened"
file_like timeline.md '^\| 2026-11-20T08:20:00Z \| \+20m 00s \|  \| facil ticked "Assess scope and severity against the MRE criteria" \(Management\) \|$' \
	"a task ticked at 08:20, 20 minutes after the start, in words"
file_like timeline.md '^\| 2026-11-20T08:00:00Z \| \+0m 00s \|  \| facil declared a mass revocation event: .*; 1 of 7 MRE criteria met \|$' \
	"the declaration, with the criteria met"
file_like timeline.md '^\| 2026-11-20T11:00:00Z \| \+3h 00m \| \*\*Inject, due \+2h 00m, fired 1h 00m after \(when a process noticed\)\*\* \| exercise fired inject "i2" to External Communications: "A journalist calls \\\| \\<i\\>now\\</i\\>" \(a question\) \|$' \
	"the inject marked, with its due time and its firing, its message escaped"
file_like timeline.md 'Approval took \\<b\\>90\\</b\\> minutes \\\| too long' "a lesson's text escaped in the timeline"

cmark-gfm -e table "$OUT_FILE" >md.html 2>/dev/null
# Each table's header and body cells, as cmark-gfm reads them.
python3 - md.html >tables.txt <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.h = ''; s.cur = None; s.rows = []; s.t = []; s.out = []; s.inh = False
    def handle_starttag(s, t, a):
        if t in ('h2', 'h3'): s.inh = True; s.h = ''
        if t == 'table': s.rows = []
        if t == 'tr': s.cur = []
        if t in ('td', 'th'): s.t = []
    def handle_endtag(s, t):
        if t in ('h2', 'h3'): s.inh = False
        if t in ('td', 'th'): s.cur.append(''.join(s.t).strip())
        if t == 'tr': s.rows.append(s.cur)
        if t == 'table':
            widths = sorted(set(len(r) for r in s.rows))
            s.out.append('%s\t%s\t%d' % (s.h, ','.join(map(str, widths)), len(s.rows) - 1))
    def handle_data(s, d):
        if s.inh: s.h += d
        s.t.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); print('\n'.join(p.out))
PY
file_like tables.txt '^Timeline	4	9$' "cmark-gfm reads the timeline with 4 columns in each of its 9 rows"
file_like tables.txt '^Tasks against their due times	7	[0-9]+$' "cmark-gfm reads the tasks table with 7 columns in every row"
file_like tables.txt '^Injects and expectations	6	2$' "... the injects table: 6 columns, 2 injects"
file_like tables.txt '^Injects and expectations	7	1$' "... the expectations table: 7 columns, 1 row"
file_like tables.txt '^Evidence for BR 5\.7\.1\.2	2	9$' "... the BR 5.7.1.2 map: 9 elements"
file_like tables.txt '^Participants and roles	5	' "... the participants: 5 columns"
file_like tables.txt '^Findings and remediation	4	1$' "... the findings: 4 columns, 1 row"
file_unlike md.html '<script|<img|<b>|<i>' "no hostile tag survives into cmark-gfm's HTML"

# ---- the audit head -----------------------------------------------------------------------
HEAD=$(sed -n 's/.*head `\([0-9a-f]\{64\}\)`.*/\1/p' "$OUT_FILE")
is "$(printf %s "$HEAD" | wc -c | tr -d ' ')" 64 "the report states the chain's head"
run W audit verify --head "$HEAD"
is "$RC" 0 "audit verify --head reproduces it"

# ---- HTML ---------------------------------------------------------------------------------
run W exercise report --format html --out report.html
is "$RC" 0 "exercise report --format html --out exits 0"
like "$OUT" 'wrote the HTML report' "it says where it wrote"
python3 - report.html >html.txt <<'PY'
import sys
from html.parser import HTMLParser
VOID = {'meta', 'br', 'img', 'hr', 'link', 'input', 'line', 'polyline', 'rect', 'path', 'circle'}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.bad = []; s.svgs = 0; s.first = None
    def handle_starttag(s, t, a):
        if s.first is None and t == 'p': s.first = True
        if t == 'script': s.bad.append('script')
        if t == 'svg': s.svgs += 1
        for k, v in a:
            if k.startswith('on'): s.bad.append('handler ' + k)
            if k in ('src', 'href') or (v and 'url(' in v): s.bad.append('resource ' + k)
        if t not in VOID: s.stack.append(t)
    def handle_startendtag(s, t, a):
        for k, v in a:
            if k in ('src', 'href'): s.bad.append('resource ' + k)
    def handle_endtag(s, t):
        if t in VOID: return
        if not s.stack or s.stack[-1] != t: s.bad.append('unbalanced ' + t)
        else: s.stack.pop()
p = P(); txt = open(sys.argv[1]).read(); p.feed(txt); p.close()
print('svgs', p.svgs); print('bad', ' '.join(p.bad) or 'none'); print('open', ' '.join(p.stack) or 'none')
print('external', 'yes' if ('http://' in txt.replace('http://www.w3.org/2000/svg', '') or 'https://' in txt) else 'no')
PY
file_like html.txt '^svgs 3$' "three inline SVG charts: burn-down, outreach, task lateness"
file_like html.txt '^bad none$' "no script, handler or external resource"
file_like html.txt '^open none$' "every element is closed"
file_like html.txt '^external no$' "no URL to fetch anything from"
file_like report.html 'class="exercise">EXERCISE<' "the first line says EXERCISE"
file_like report.html '&lt;script&gt;alert' "the hostile title is shown as text"
file_like report.html '@media print' "it has print styles"
file_like report.html '^<tr class="inject"><td>2026-11-20T11:00:00Z</td><td>\+3h 00m</td><td><strong>Inject, due \+2h 00m, fired 1h 00m after \(when a process noticed\)</strong></td><td>exercise fired inject &quot;i2&quot; to External Communications: &quot;A journalist calls \| &lt;i&gt;now&lt;/i&gt;&quot; \(a question\)</td></tr>$' \
	"the HTML timeline sets the inject's row apart, its message escaped"
is "$(sed -n '/^<h2>Timeline</,/^<h2>Measures</p' report.html | grep -c '^<tr><td>2026-11-20T')" 8 \
	"... and has the 8 other events"

# ---- an edited database no longer matches the head ---------------------------------------
cp "$DB" edited.db
sqlite3 edited.db "UPDATE event SET actor = 'mallory' WHERE id = 2"
run "$WARROOM" --db edited.db audit verify --head "$HEAD"
isnt "$RC" 0 "audit verify --head fails on an edited copy"

# ---- --previous: how the plan changed ----------------------------------------------------
sed -e '/Collect customer feedback on the communication/d' \
    -e 's/^communication = +4h Send the early notification/communication = +2h Send the early notification/' \
    -e 's/^\[team replacement\]/[team replacement]\nreplacement = +12h Stage spare certificates for critical customers/' \
    "$WR_REPO/data/plan.ini" >plan2.ini
sed -n '/^\[team replacement\]/,+1p' plan2.ini | grep -q 'Stage spare' || bail_out "plan2.ini not as meant"
"$WARROOM" --db new.db init --name "Second exercise" --plan plan2.ini >/dev/null 2>&1 || bail_out "init 2"
exercise_row new.db 'DV bug, again'
run "$WARROOM" --db new.db exercise report --previous "$DB"
is "$RC" 0 "exercise report --previous exits 0"
like "$OUT" '\| added \| replacement \| 2 \| Stage spare certificates for critical customers \| not in the previous plan \|' "the added task"
like "$OUT" '\| removed \| customer-relations \| 4 \| Collect customer feedback on the communication \| not in this plan \|' "the removed task"
like "$OUT" '\| moved \| customer-relations \| 1 \| Send the early notification to affected customers \| team customer-relations, phase 1, due 4h 00m \|' "the moved task, with what it was"
unlike "$OUT" 'Approve the customer notice' "an unchanged task is not listed"
run "$WARROOM" --db new.db exercise report --previous nowhere.db
is "$RC" 1 "--previous of a missing database fails"
like "$ERR" 'nowhere\.db' "... naming it"

# ---- not an exercise ---------------------------------------------------------------------
"$WARROOM" --db plain.db init --name "Real incident" >/dev/null 2>&1
run "$WARROOM" --db plain.db exercise report
isnt "$RC" 0 "exercise report on an incident database fails"
like "$ERR" 'not an exercise' "... saying why"
run W exercise report --format pdf
is "$RC" 2 "--format pdf is a usage error"

done_testing
