#!/bin/sh
# notify.t: messages to customers over SMTP, exactly once (issue 10), with a
# real SMTP server (python3-aiosmtpd, tests/e2e/smtp-sink.py) on 127.0.0.1.
#  - --dry-run sends and records nothing; without a terminal sending needs
#    --yes; Customer Relations or Management only.
#  - One message per customer, to its contact, critical customers first,
#    with the Subject and the certificate list; over 50 certificates the
#    list is a CSV attachment; a second run repeats nothing.
#  - A recipient the server refuses (550) is 'failed', tried again by the
#    next run and then sent once; the others are sent once.
#  - A connection dropped at RCPT is 'failed' (the server has nothing) and
#    retried; one dropped after the server took the data is 'unknown' (the
#    server has it): not sent again without --resend-unknown, then with the
#    same Message-ID.
#  - kill -9 while the server holds a message: the message is 'unknown' and
#    not sent again; the rest are sent by the next run.
#  - Hostile customer names (CR LF, a Bcc: line) never become a header; a
#    contact holding a line break is refused, never sent; a non-ASCII name
#    in the Subject is an RFC 2047 encoded-word.
#  - [notify] templates = DIR: a CA's own template; an unknown field is an
#    error naming FILE:LINE.
#  - A notice before the revocation lists and counts only the certificates
#    still to be revoked (not revoked, not expired); revocation-done those
#    revoked; a customer with none of them gets no message.
#  - [smtp] user: login over STARTTLS to a server with a self-signed
#    certificate ([smtp] ca_file trusts it); a config or password_file its
#    group can read is refused; a wrong password stops the run at once; a
#    server without STARTTLS is refused before AUTH (it never sees the
#    password); the password is in no output, error, log or database page.
#  - [smtp] per_second: the server's arrival times span (N-1)/R at least.
#  - On a terminal (tmux), notify shows the count and the first message and
#    asks: no sends nothing, yes sends.
. "$(dirname "$0")/lib.sh"

needs_root
needs sqlite3 /usr/bin/python3 openssl tmux base64
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	bail_out "python3-aiosmtpd is not installed (scripts/install-deps installs it)"
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
no_plan

WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW
"$WR_TOOLS/wr-mkcerts" --out certs --count 70 --format pem --expired-percent 0 --seed 21 \
	--now 2026-11-25T12:00:00Z >/dev/null 2>&1 || bail_out "wr-mkcerts failed"

# 70 certificates: Big Corp 55, the others 1 or 2; Contoso is critical.
awk -F, 'NR == 1 { print "serial,customer,contact,critical"; next }
	NR <= 56 { print $1 ",Big Corp,big@big.example,no"; next }
	NR == 57 { print $1 ",Contoso,ops@contoso.example,yes"; next }
	NR == 58 { print $1 ",Fabrikam,ops@fabrikam.example,no"; next }
	NR == 59 { print $1 ",Northwind,ops@northwind.example,no"; next }
	NR <= 61 { print $1 ",\"Evil\r\nBcc: victim@evil.example\",evil@evil.example,no"; next }
	NR == 62 { print $1 ",Tailspin,ops@tailspin.example,no"; next }
	NR == 63 { print $1 ",Caf\303\251 \303\234nic\303\266de,ops@cafe.example,no"; next }
	{ print $1 ",Woodgrove,ops@woodgrove.example,no" }' certs/customers.csv >cust.csv

mkdir tpl
printf 'Subject: Notice for {customer} ({count})\n\nHello {customer},\n{certificates}\nDeadline: {deadline}\n' >tpl/hostile.txt
printf 'Subject: Hello\n\nDear {customer},\nyour {custmer} list\n' >tpl/typo.txt
cp "$WR_REPO/data/templates/"*.txt tpl/

CONF=$WORK/warroom.conf
SMTP_EXTRA=
# conf PORT: the configuration, pointing at the sink on PORT, with the
# lines of SMTP_EXTRA in [smtp].
conf() {
	cat >"$CONF" <<EOF
[users]
alice = management
carol = customer-relations
bob = revocation
[smtp]
url = smtp://127.0.0.1:$1
from = pki@ca.example
$SMTP_EXTRA
[notify]
info_url = https://ca.example/incident
templates = tpl
EOF
	chmod 600 "$CONF"
}
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}

# sink NAME [OPTIONS]: starts smtp-sink.py storing in $WORK/mail/NAME;
# PORT is its port; the config points at it.
NSINK=0
sink() {
	_d=$WORK/mail/$1
	shift
	mkdir -p "$_d"
	rm -f "$WORK/port"
	/usr/bin/python3 "$WR_E2E_DIR/smtp-sink.py" "$WORK/port" "$_d" "$@" &
	SINK=$!
	PIDS="$PIDS $SINK"
	until_ok 100 test -s "$WORK/port" || bail_out "smtp-sink.py did not start"
	PORT=$(cat "$WORK/port")
	conf "$PORT"
}
stop_sink() { kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null; }

# Every stored message, one line each, in the order received per sink:
# envelope recipients|decoded Subject|CSV rows attached or -|header names|
# the text part's lines naming a serial|Message-ID
cat >mail.py <<'EOF'
import email, email.policy, glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    rcpt = ",".join(m.get_all("X-Rcpt-To", []))
    csv, text = "-", ""
    for p in m.walk():
        if p.get_filename() == "certificates.csv":
            csv = str(len(p.get_content().strip().splitlines()) - 1)
        elif p.get_content_type() == "text/plain":
            text = p.get_content()
    serials = sum(1 for l in text.splitlines() if "  expires " in l)
    names = ",".join(sorted(set(k.lower() for k in m.keys())))
    subj = str(m["Subject"]).replace("\r", "<CR>").replace("\n", "<LF>")
    print("%s|%s|%s|%s|%d|%s" % (rcpt, subj, csv, names, serials, m["Message-ID"]))
EOF
mails() { /usr/bin/python3 mail.py "$WORK/mail/$1"; }
# count PATTERN: stored messages, over every sink, whose line matches.
count() { for _d in "$WORK"/mail/*/; do /usr/bin/python3 mail.py "$_d"; done | grep -Ec -- "$1"; }
state() { sqlite3 "$DB" "SELECT state FROM message WHERE customer = '$1' AND template = '$2'"; }

sink a --refuse ops@fabrikam.example
as alice init --name "Notify" >/dev/null 2>&1 || bail_out "init failed"
as alice import certs/bundle.pem --customers cust.csv >/dev/null 2>&1 || bail_out "import failed"
as alice declare --reason misissued --discovered 2026-11-25T10:00:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"

# ---- 1. dry run, --yes, roles ------------------------------------------------------------------
run as carol notify --dry-run
is "$RC" 0 "notify --dry-run exits 0"
like "$OUT" '^first-notice: 8 messages to send, 0 already sent$' "... counts 8 customers"
like "$OUT" '^  \| To: ops@contoso.example$' "... shows the first message: the critical customer's"
like "$OUT" '^  \| Subject: Action required: 1 of your certificates will be revoked by 2026-11-30 10:00 UTC$' \
	"... its Subject, with the deadline in UTC"
is "$(ls "$WORK/mail/a" | grep -c 'eml$')" 0 "... and sends nothing"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM message')" 0 "... nor records anything"
run as carol notify
is "$RC" 2 "without a terminal, sending needs --yes (exit 2)"
like "$ERR" 'add --yes' "... and says so"
run as bob notify --yes
is "$RC" 1 "Revocation may not send messages"
like "$ERR" "needs team 'customer-relations'" "... the refusal names Customer Relations"
is "$(ls "$WORK/mail/a" | grep -c 'eml$')" 0 "... and nothing was sent"

# ---- 2. one message each, critical first, a refused recipient ----------------------------------
run as carol notify --yes
is "$RC" 1 "notify exits 1 when a message failed"
like "$OUT" '^first-notice: 7 sent, 1 failed, 0 unknown, 0 already sent' "... 7 sent, 1 failed"
like "$ERR" 'failed: Fabrikam <ops@fabrikam.example>: .*550' "... the refused one named, with the 550"
mails a >a.txt
is "$(wc -l <a.txt)" 7 "the server received 7 messages"
is "$(head -1 a.txt | cut -d'|' -f1)" ops@contoso.example "the critical customer's went first"
# libcurl closes a connection after an error: one more after the refusal.
is "$(cat "$WORK/mail/a/connections")" 2 "8 messages over 2 connections: one reused, one after the refusal"
for a in big@big.example ops@contoso.example ops@northwind.example evil@evil.example \
	ops@tailspin.example ops@cafe.example ops@woodgrove.example; do
	is "$(grep -c "^$a|" a.txt)" 1 "one message to $a, and only to it"
done
is "$(grep -c 'ops@fabrikam' a.txt)" 0 "none reached the refused recipient"
like "$(grep '^big@big.example|' a.txt)" '^big@big.example\|Action required: 55 of your certificates will be revoked by 2026-11-30 10:00 UTC\|55\|' \
	"Big Corp's 55 certificates go as a CSV attachment of 55 rows"
like "$(grep '^ops@woodgrove.example|' a.txt)" '\|-\|[^|]*\|8\|<' "Woodgrove's 8 are listed in the body"
HEADERS='auto-submitted,content-type,date,from,message-id,mime-version,subject,to,x-rcpt-to'
like "$(grep '^ops@contoso.example|' a.txt)" "|$HEADERS|" \
	"... with From, To, Date, Subject and a Message-ID"
is "$(state Fabrikam first-notice)" failed "Fabrikam's message is 'failed'"
like "$(sqlite3 "$DB" "SELECT error FROM message WHERE customer = 'Fabrikam'")" 550 "... with the server's 550"
like "$(sqlite3 "$DB" "SELECT reply FROM message WHERE customer = 'Contoso'")" '^250 ' \
	"a sent one keeps the server's reply"
is "$(sqlite3 "$DB" "SELECT message_id FROM message WHERE customer = 'Contoso'")" \
	"$(grep '^ops@contoso.example|' a.txt | cut -d'|' -f6)" "... and the Message-ID it carried"
run as alice status --json
is "$(json_get "$OUT_FILE" counts.notified)" 69 "69 certificates notified (all but Fabrikam's one)"
run as alice log --json --grep notify
like "$(json_get "$OUT_FILE" 0.details)" '"sent":7' "the run is audited with its counts"
like "$(json_get "$OUT_FILE" 0.details)" '"failed":1' "... failed too"

run as carol notify --yes
is "$RC" 1 "a second run tries the refused one again (and fails again)"
like "$OUT" '0 sent, 1 failed, 0 unknown, 7 already sent' "... sending nothing else"
is "$(mails a | wc -l)" 7 "... the server has no new message"
is "$(sqlite3 "$DB" "SELECT attempts FROM message WHERE customer = 'Fabrikam'")" 2 "... attempt 2"
stop_sink

sink b
run as carol notify --yes
is "$RC" 0 "once the server takes it, the next run sends it"
like "$OUT" '1 sent, 0 failed, 0 unknown, 7 already sent' "... and only it"
is "$(mails b | cut -d'|' -f1)" ops@fabrikam.example "the server received Fabrikam's message"
run as carol notify --yes
is "$RC" 0 "a further run exits 0"
like "$OUT" '^first-notice: 0 messages to send, 8 already sent$' "... with nothing to send"
is "$(count 'Action required')" 8 "each customer got the first notice exactly once"
stop_sink

# ---- 3. hostile names and contacts; a CA's own template -----------------------------------------
sqlite3 "$DB" "UPDATE customer SET contact = 'ops@tailspin.example' || char(13, 10) ||
	'Bcc: victim@evil.example' WHERE name = 'Tailspin'"
sink c
run as carol notify --template hostile --yes
is "$RC" 1 "the hostile template: exit 1 (one contact refused)"
like "$ERR" 'failed: Tailspin <ops@tailspin.example\\x0d\\x0aBcc: victim@evil.example>: .*line break' \
	"a contact holding CR LF is refused, escaped in the report"
mails c >c.txt
is "$(grep -c tailspin c.txt)" 0 "... and nothing goes to it"
is "$(grep -c '^[^|]*victim' c.txt)" 0 \
	"no message has the Bcc victim as a recipient"
like "$(grep '^evil@evil.example|' c.txt)" '^evil@evil.example\|Notice for Evil\\x0d\\x0aBcc: victim@evil.example \(2\)\|-\|'"$HEADERS"'\|' \
	"a CR LF in the name stays inside the Subject, escaped: no Bcc header"
like "$(grep '^ops@cafe.example|' c.txt)" '\|Notice for Café Ünicöde \(1\)\|' \
	"a non-ASCII name reaches the Subject intact (an RFC 2047 encoded-word)"
ok "... which is encoded on the wire" grep -q '^Subject: =?UTF-8?B?' "$WORK"/mail/c/*.eml
run as carol notify --template typo --dry-run
is "$RC" 2 "a template with an unknown field is refused (exit 2)"
like "$ERR" 'tpl/typo.txt:4: unknown field \{custmer\}' "... naming FILE:LINE and the field"
run as carol notify --template nosuch --dry-run
isnt "$RC" 0 "an unknown template is refused"
like "$ERR" "nosuch" "... by name"
stop_sink
sqlite3 "$DB" "UPDATE customer SET contact = 'ops@tailspin.example' WHERE name = 'Tailspin'"

# ---- 4. dropped connections ---------------------------------------------------------------------
sink d --drop-rcpt ops@woodgrove.example --drop-data ops@northwind.example \
	--reject-data ops@tailspin.example
run as carol notify --template reminder --yes
is "$RC" 1 "reminder with a server that drops connections: exit 1"
like "$OUT" '5 sent, 2 failed, 1 unknown' \
	"... 5 sent, 2 failed (dropped at RCPT, data refused), 1 unknown"
is "$(state Tailspin reminder)" failed "data refused with 554: 'failed'"
like "$(sqlite3 "$DB" "SELECT error FROM message WHERE customer = 'Tailspin' AND template = 'reminder'")" \
	554 "... with the server's answer"
is "$(state Woodgrove reminder)" failed "dropped before the data: 'failed'"
is "$(state Northwind reminder)" unknown "dropped after the server took the data: 'unknown'"
like "$ERR" 'unknown: Northwind <ops@northwind.example>: .*may have it' "... reported as such"
is "$(mails d | grep -c '^ops@northwind.example|')" 1 "the server did store Northwind's message"
is "$(mails d | grep -c 'woodgrove')" 0 "... and nothing for Woodgrove"
NW_ID=$(mails d | grep '^ops@northwind.example|' | cut -d'|' -f6)
stop_sink
sink e
run as carol notify --template reminder --yes
is "$RC" 1 "the next run: exit 1 while an outcome is unknown"
like "$OUT" '2 sent, 0 failed, 1 unknown, 5 already sent' \
	"... Woodgrove and Tailspin sent, Northwind left alone"
is "$(mails e | cut -d'|' -f1 | sort | tr '\n' ' ')" 'ops@tailspin.example ops@woodgrove.example ' \
	"... only their messages went"
run as carol notify --template reminder --yes --resend-unknown
is "$RC" 0 "--resend-unknown sends the unknown one"
is "$(mails e | grep -c '^ops@northwind.example|')" 1 "... once"
is "$(mails e | grep '^ops@northwind.example|' | cut -d'|' -f6)" "$NW_ID" \
	"... with the same Message-ID, so the recipient can tell a repeat"
is "$(count '\|Reminder:')" 9 "reminders stored: one per customer, Northwind's twice (asked for)"
stop_sink

# ---- 5. kill -9 mid-run -------------------------------------------------------------------------
sink f --slow ops@fabrikam.example
WARROOM_USER=carol "$WARROOM" --config "$CONF" --db "$DB" notify --template final-notice --yes \
	>/dev/null 2>&1 &
NOTIFY=$!
until_ok 300 sh -c "ls '$WORK/mail/f' | grep -q . && [ \"\$(sqlite3 '$DB' \"SELECT state FROM message WHERE customer = 'Fabrikam' AND template = 'final-notice'\")\" = sending ] && /usr/bin/python3 mail.py '$WORK/mail/f' | grep -q fabrikam"
is "$(state Fabrikam final-notice)" sending "Fabrikam's message is in flight ('sending')"
kill -9 "$NOTIFY"
wait "$NOTIFY" 2>/dev/null
BEFORE=$(mails f | wc -l)
stop_sink
sink g
run as carol notify --template final-notice --yes
is "$RC" 1 "after kill -9, the next run exits 1 (an unknown outcome)"
is "$(state Fabrikam final-notice)" unknown "the in-flight message is 'unknown'"
like "$OUT" "1 unknown, $((BEFORE - 1)) already sent" "... the others before it are not sent again"
is "$(mails g | grep -c fabrikam)" 0 "... and Fabrikam's is not sent again"
is "$(count '\|Final notice:')" 8 "every customer has the final notice exactly once"
run as carol notify --template final-notice --yes
like "$OUT" "^final-notice: 0 messages to send, 7 already sent, 1 with an unknown outcome" \
	"a later run still reports the unknown one"
stop_sink

# ---- 6. what a notice lists: certificates still to be revoked ----------------------------------
# Woodgrove has 8 certificates: 2 revoked, 3 expired, 3 still to be revoked;
# Tailspin's only one is revoked.
NOWS=$(date -u -d "$WARROOM_NOW" +%s)
set -- $(sqlite3 "$DB" "SELECT serial FROM cert WHERE customer = 'Woodgrove' ORDER BY serial")
sqlite3 "$DB" "UPDATE cert SET state = 'revoked', revoked_at = $NOWS - 3600, crl_reason = 1
	WHERE serial IN ('$1', '$2') OR customer = 'Tailspin'"
sqlite3 "$DB" "UPDATE cert SET not_after = $NOWS - 60 WHERE serial IN ('$3', '$4', '$5')"
printf 'Subject: {count} for {customer}\n\n{certificates}\n' >tpl/list.txt
sink h
run as carol notify --template list --customer Woodgrove --dry-run
like "$OUT" '^  \| Subject: 3 for Woodgrove$' \
	"a notice before the revocation counts only the 3 certificates still to be revoked"
is "$(printf '%s\n' "$OUT" | grep -c ' expires ')" 3 "... and lists only them"
unlike "$OUT" "  ($1|$2|$3|$4|$5)  " "... not the revoked nor the expired ones"
run as carol notify --template list --yes
is "$RC" 0 "a notice to every customer with a certificate still to be revoked"
like "$OUT" '^list: 7 sent, 0 failed' "... 7 of them: not Tailspin, whose only one is revoked"
is "$(mails h | grep -c tailspin)" 0 "... which gets no '0 certificates' notice"
like "$(mails h | grep '^ops@woodgrove.example|')" '\|3 for Woodgrove\|-\|[^|]*\|3\|' \
	"Woodgrove's notice counts and lists 3"
run as carol notify --template revocation-done --yes
is "$RC" 0 "revocation-done goes out"
like "$OUT" '^revocation-done: 2 sent, 0 failed' "... to the 2 customers with a revoked certificate"
like "$(mails h | grep '^ops@woodgrove.example|Your certificates have been revoked|')" '\|2\|<' \
	"... Woodgrove's lists its 2 revoked ones"
ok "... and counts 2" grep -lq '(2 in all)' "$WORK"/mail/h/*.eml
like "$(mails h | grep '^ops@tailspin.example|Your certificates have been revoked|')" '\|1\|<' \
	"... Tailspin's its one"
stop_sink

# ---- 7. login over STARTTLS; a password is never in clear, nor anywhere else -------------------
# The sink's certificate is self-signed: [smtp] ca_file trusts it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout tls.key \
	-out tls.pem -days 30 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 ||
	bail_out "openssl req failed"
SECRET=h32pw-Zq7x-VERY-DISTINCT-9f3k
printf '%s\n' "$SECRET" >sink-pw
printf 'Subject: Login for {customer}\n\n{count}\n' >tpl/login.txt
cp tpl/login.txt tpl/login2.txt
cp tpl/login.txt tpl/login3.txt
# srun: run, keeping every stdout and stderr for the grep at the end.
srun() {
	run "$@"
	cat "$OUT_FILE" "$ERR_FILE" >>"$WORK/seen"
}
emls() { ls "$WORK/mail/$1" | grep -c 'eml$'; }

SMTP_EXTRA="user = wrops
password = $SECRET
ca_file = tls.pem"
sink i --tls tls.pem:tls.key --auth wrops:sink-pw
chmod 640 "$CONF"
srun as carol notify --template login --yes
is "$RC" 1 "a password in a config its group can read is refused"
like "$ERR" "\\[smtp\\] password: .*warroom.conf holds a secret but its group can read it" \
	"... saying which file and why"
is "$(emls i)" 0 "... nothing sent"
nok "... no login tried" test -e "$WORK/mail/i/auth"
chmod 600 "$CONF"
srun as carol notify --template login --yes
is "$RC" 0 "with the config readable by its owner alone, notify logs in over STARTTLS"
like "$OUT" '^login: 7 sent, 0 failed' "... and sends every message"
is "$(emls i)" 7 "the server accepted 7 messages"
is "$(grep -c ' tls=yes auth=wrops$' "$WORK/mail/i/log")" 7 \
	"... each over TLS (STARTTLS), after the login as wrops"
is "$(cat "$WORK/mail/i/auth")" "ok wrops" "... one login, the password right"
is "$(cat "$WORK/mail/i/connections")" 1 "... over one connection"
stop_sink

SMTP_EXTRA="user = wrops
password_file = smtp-pw
ca_file = tls.pem"
sink j --tls tls.pem:tls.key --auth wrops:sink-pw
printf '%s\n' "$SECRET" >smtp-pw
chmod 640 smtp-pw
srun as carol notify --template login2 --yes
is "$RC" 1 "a password_file its group can read is refused (a secret, not a shared key)"
like "$ERR" "\\[smtp\\] password_file: .*smtp-pw holds a secret but its group can read it" \
	"... saying which file and why"
is "$(emls j)" 0 "... nothing sent"
chmod 600 smtp-pw
printf 'not-%s\n' "$SECRET" >smtp-pw
srun as carol notify --template login2 --yes
is "$RC" 1 "a wrong password: exit 1"
like "$ERR" "refused the login of \\[smtp\\] user" "... the login refusal said once, plainly"
is "$(sqlite3 "$DB" "SELECT count(*) || ' ' || group_concat(state) FROM message WHERE template = 'login2'")" \
	"1 failed" "... the run stops at the first message (failed, tried again by the next run)"
is "$(cat "$WORK/mail/j/auth")" "denied wrops" "... after one attempt"
printf '%s\n' "$SECRET" >smtp-pw
srun as carol notify --template login2 --yes
is "$RC" 0 "with the right password_file, every message goes"
is "$(grep -c ' tls=yes auth=wrops$' "$WORK/mail/j/log")" 7 "... 7, over TLS, logged in"
stop_sink

# A server that offers no STARTTLS but AUTH in clear: warroom must not log in.
SMTP_EXTRA="user = wrops
password = $SECRET"
sink k --auth wrops:sink-pw
srun as carol notify --template login3 --yes
is "$RC" 1 "with [smtp] user set, a server without STARTTLS is refused"
like "$ERR" 'offers no STARTTLS.*the password goes only over TLS: refused before logging in' \
	"... with a clear message"
is "$(emls k)" 0 "... nothing sent"
nok "... no login tried" test -e "$WORK/mail/k/auth"
B64=$(printf '%s' "$SECRET" | base64 -w0)
PLAIN=$(printf '\0wrops\0%s' "$SECRET" | base64 -w0)
nok "... the server never received AUTH, the password, nor its base64" \
	grep -aqE "AUTH|$SECRET|$B64|$PLAIN" "$WORK/mail/k/received"
ok "... though it saw the client's EHLO" grep -aq EHLO "$WORK/mail/k/received"
is "$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE template = 'login3'")" 1 \
	"... the run stops at its first message"
stop_sink

# The secret, after all that: in no output, the database, its WAL, the log.
SMTP_EXTRA="user = wrops
password = $SECRET
ca_file = tls.pem"
sink l --tls tls.pem:tls.key --auth wrops:sink-pw
for c in "notify --template login --dry-run" "status" "status --json" "log" "log --json" \
	"customers" "customers --json" "runs" "audit verify"; do
	# shellcheck disable=SC2086
	srun as carol $c
done
ok "the outputs were captured" test -s "$WORK/seen"
nok "no command's output or error holds the password, nor its base64" \
	grep -aqE "$SECRET|$B64|$PLAIN" "$WORK/seen"
nok "the database does not hold it" grep -aqE "$SECRET|$B64|$PLAIN" "$DB"
if [ -e "$DB-wal" ]; then
	nok "... nor its -wal" grep -aqE "$SECRET|$B64|$PLAIN" "$DB-wal"
else
	pass "... nor its -wal (none left)"
fi
sqlite3 "$DB" .dump >dump.sql
nok "... nor any row of it (sqlite3 .dump)" grep -aqE "$SECRET|$B64|$PLAIN" dump.sql
stop_sink
SMTP_EXTRA=

# ---- 8. [smtp] per_second: the spacing the server saw -----------------------------------------
SMTP_EXTRA="per_second = 4"
sink p
printf 'Subject: Paced {customer}\n\n{count}\n' >tpl/paced.txt
run as carol notify --template paced --yes
is "$RC" 0 "notify at per_second = 4"
is "$(wc -l <"$WORK/mail/p/log")" 7 "... 7 messages"
# From the first arrival at the server to the last: 7 at 4 a second take
# 6/4 s at least. The tolerance is downwards only (no bound above): the
# first message also opened the connection, so it arrived a little late.
SPAN=$(awk 'NR == 1 { a = $2 } { b = $2 } END { printf "%.3f", b - a }' "$WORK/mail/p/log")
ok "... the server received them over at least about 6/4 s (got $SPAN s)" \
	awk -v s="$SPAN" 'BEGIN { exit !(s >= 1.5 - 0.2) }'
stop_sink
SMTP_EXTRA=

# ---- 9. on a terminal, notify asks before sending ----------------------------------------------
tmux_session notify
printf 'Subject: Asked {customer}\n\n{count}\n' >tpl/asked.txt
sink q
# ask SESSION: notify in a tmux pane, its exit status shown when it ends.
ask() {
	T new-session -d -s "$1" -x 120 -y 40 "WARROOM_USER=carol '$WARROOM' --config '$CONF' \
--db '$DB' notify --template asked; echo \"exit \$?\"; sleep 600"
}
ask no
ok "on a terminal, notify asks before sending" wait_for no 'Send 7 messages \(asked\)\? \[y/N\]' 20
like "$(screen no)" '^asked: 7 messages to send, 0 already sent' "... showing the count"
like "$(screen no)" '^  \| To: ops@contoso.example$' "... and the first message, to whom"
like "$(screen no)" '^  \| Subject: Asked Contoso$' "... as it will read"
is "$(emls q)" 0 "... having sent nothing while it asks"
T send-keys -t no n Enter
ok "answering no" wait_for no '^exit 1$' 20
like "$(screen no)" 'not confirmed; nothing sent' "... says nothing was sent"
is "$(emls q)" 0 "... and the server got nothing"
is "$(sqlite3 "$DB" "SELECT count(*) FROM message WHERE template = 'asked'")" 0 \
	"... nor was anything recorded"
ask yes
ok "asked again" wait_for yes 'Send 7 messages \(asked\)\? \[y/N\]' 20
T send-keys -t yes y Enter
ok "answering yes sends" wait_for yes '^exit 0$' 20
like "$(screen yes)" '^asked: 7 sent, 0 failed' "... all 7"
is "$(emls q)" 7 "... the server got them"
stop_sink

done_testing
