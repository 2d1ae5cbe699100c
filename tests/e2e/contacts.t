#!/bin/sh
# contacts.t: contact readiness, `warroom contacts check [--send-test]`
# (issue 10, BR 5.7.1.2), against real peers on 127.0.0.1 only: Debian's
# dnsmasq as the DNS server ([contacts] resolver; --local=/test/, so it
# forwards nothing) and a real SMTP server (tests/e2e/smtp-sink.py).
#  - Each problem found and named: no contact, a malformed address (one
#    label, a doubled dot, CR LF put in the database behind the CSV), a
#    domain that does not exist (NXDOMAIN), one with no MX, A or AAAA, one
#    with a null MX (RFC 7505); an MX, an A only or an AAAA only is fine.
#    Exit 1 when any contact is not fine, 0 when all are, 2 on usage.
#  - Hostile customer names and contacts come out escaped (text and JSON).
#  - A resolver nobody answers (a UDP port bound by nothing, and one bound
#    by a socket that never answers) gives "no answer within 1 s", and the
#    check ends.
#  - --send-test: Customer Relations only; the test message (contact-test)
#    goes to each well-formed address, one refused by the server is
#    recorded as failed, the others as sent, in the message table like a
#    notice; no certificate counts as notified; a second check sends
#    again, with new Message-IDs; notify refuses the test template and
#    still has every notice to send.
. "$(dirname "$0")/lib.sh"

needs_root
# dnsmasq lives in /usr/sbin, which a CI runner's PATH may leave out.
PATH=$PATH:/usr/sbin
needs sqlite3 dnsmasq /usr/bin/python3
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	bail_out "python3-aiosmtpd is not installed (scripts/install-deps installs it)"
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"
no_plan

WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW
"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 0 --seed 5 \
	--now 2026-11-25T12:00:00Z >/dev/null 2>&1 || bail_out "wr-mkcerts failed"

# ---- the DNS server ----------------------------------------------------------------------------
# good.test has an MX; a-only.test and v6-only.test only an A or an AAAA
# record (mail goes to the domain itself); nomail.test exists (a TXT
# record) with none of them; nullmx.test has the null MX "0 ."; any other
# name under test. does not exist (NXDOMAIN), and nothing is forwarded.
DNS_PORT=$(free_port)
dnsmasq --no-daemon --port="$DNS_PORT" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --conf-file=/dev/null --pid-file= --log-facility=- \
	--local=/test/ \
	--mx-host=good.test,mail.good.test,10 --host-record=mail.good.test,127.0.0.1 \
	--host-record=a-only.test,127.0.0.1 --host-record=v6-only.test,::1 \
	--txt-record=nomail.test,hello --mx-host=nullmx.test,.,0 \
	>dnsmasq.log 2>&1 &
PIDS="$PIDS $!"
# A DNS question for good.test's MX over UDP; exit 0 on an answer.
cat >dnsq.py <<'EOF'
import socket, struct, sys
q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in "good.test".split(".")) + b"\0"
q += struct.pack(">HH", 15, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(q, ("127.0.0.1", int(sys.argv[1])))
r = s.recv(512)
sys.exit(0 if r[:2] == b"\x12\x34" and struct.unpack(">H", r[6:8])[0] >= 1 else 1)
EOF
until_ok 50 /usr/bin/python3 dnsq.py "$DNS_PORT" || bail_out "dnsmasq does not answer: $(cat dnsmasq.log)"

# ---- the incident ------------------------------------------------------------------------------
CONF=$WORK/warroom.conf
# conf RESOLVER [SMTP_PORT]
conf() {
	cat >"$CONF" <<EOF
[users]
alice = management
carol = customer-relations
bob = revocation
[contacts]
resolver = $1
timeout = 1
attempts = 1
EOF
	[ -n "${2:-}" ] && printf '[smtp]\nurl = smtp://127.0.0.1:%s\nfrom = pki@ca.example\n' "$2" >>"$CONF"
	chmod 600 "$CONF"
}
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}
conf "127.0.0.1:$DNS_PORT"

# 12 certificates, one customer each but Good Corp (2) and the one with no
# contact; the hostile name holds an escape sequence.
awk -F, 'NR == 1 { print "serial,customer,contact,critical"; next }
	NR <= 3 { print $1 ",Good Corp,ops@good.test,yes"; next }
	NR == 4 { print $1 ",A Only,ops@a-only.test,no"; next }
	NR == 5 { print $1 ",V6 Only,ops@V6-ONLY.test,no"; next }
	NR == 6 { print $1 ",Nowhere,ops@nowhere.test,no"; next }
	NR == 7 { print $1 ",Mute,ops@nomail.test,no"; next }
	NR == 8 { print $1 ",Null MX,ops@nullmx.test,no"; next }
	NR == 9 { print $1 ",One Label,ops@localhost,no"; next }
	NR == 10 { print $1 ",No Contact,,no"; next }
	NR == 11 { print $1 ",Dots,a..b@good.test,no"; next }
	NR == 12 { print $1 ",\"Evil\033[31m Red\",red@good.test,no"; next }
	{ print $1 ",Refused,refused@good.test,no" }' certs/customers.csv >cust.csv
as alice init --name "Contacts" >/dev/null 2>&1 || bail_out "init failed"
as alice import certs/bundle.pem --customers cust.csv >/dev/null 2>&1 || bail_out "import failed"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM customer')" 11 "11 customers imported"
# A contact edited in the database, behind the CSV's checks.
sqlite3 "$DB" "UPDATE customer SET contact = 'red@good.test' || char(13, 10) ||
	'Bcc: victim@evil.test' WHERE name LIKE 'Evil%'"

# ---- 1. the check ------------------------------------------------------------------------------
run as bob contacts check
is "$RC" 1 "contacts check exits 1 when some contacts are not fine (anyone may check)"
like "$OUT" '^contacts: 11 customers, 4 fine, 7 with a problem$' "... 4 fine, 7 not"
like "$OUT" '^no-contact +No Contact: no contact' "no contact"
like "$OUT" '^malformed +One Label <ops@localhost>: .*one label' "a one-label domain is malformed"
like "$OUT" '^malformed +Dots <a\.\.b@good\.test>: .*two in a row' "a doubled dot is malformed"
like "$OUT" '^malformed +Evil.* <red@good\.test\\x0d\\x0aBcc: victim@evil\.test>: .*line break' \
	"CR LF in a contact: malformed, shown escaped"
like "$OUT" '^no-domain +Nowhere <ops@nowhere\.test>: nowhere\.test does not exist \(NXDOMAIN\)$' \
	"a domain that does not exist"
like "$OUT" '^no-mail +Mute <ops@nomail\.test>: nomail\.test has no MX, A or AAAA record' \
	"a domain with no MX, A or AAAA"
like "$OUT" '^no-mail +Null MX <ops@nullmx\.test>: .*null MX' "a null MX takes no mail"
unlike "$OUT" 'Good Corp|A Only|V6 Only|Refused' "fine contacts are not listed"
no_control_bytes "$OUT_FILE" "the hostile name's escape sequence is escaped"

run as bob contacts check --json
is "$RC" 1 "--json: exit 1 too"
ok "... valid JSON" json_valid "$OUT_FILE"
# st NAME: status|detail of the customer called NAME in the JSON.
st() {
	perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die;
		for (@{JSON::PP->new->decode(<$f>)->{customers}}) {
			print "$_->{status}|$_->{detail}\n" if $_->{name} eq $ARGV[1] }' "$OUT_FILE" "$1"
}
is "$(st 'Good Corp')" "ok|MX 10 mail.good.test" "an MX: ok, with the MX named"
is "$(st 'A Only')" "ok|no MX; A 127.0.0.1 (the domain takes its own mail)" "an A record only: ok"
is "$(st 'V6 Only')" "ok|no MX; AAAA ::1 (the domain takes its own mail)" \
	"an AAAA record only (asked in any case): ok"
is "$(st 'Refused')" "ok|MX 10 mail.good.test" "Refused's domain is fine"
is "$(st 'Nowhere' | cut -d'|' -f1):$(st 'Mute' | cut -d'|' -f1):$(st 'Null MX' | cut -d'|' -f1)" \
	"no-domain:no-mail:no-mail" "the DNS problems in JSON"
is "$(json_get "$OUT_FILE" customers.0.name)" "Good Corp" \
	"the critical customer comes first"
is "$(json_get "$OUT_FILE" checked):$(json_get "$OUT_FILE" fine):$(json_get "$OUT_FILE" problems)" \
	11:4:7 "checked 11, fine 4, problems 7"
is "$(json_get "$OUT_FILE" counts.malformed):$(json_get "$OUT_FILE" counts.no-contact):$(json_get "$OUT_FILE" counts.no-domain):$(json_get "$OUT_FILE" counts.no-mail):$(json_get "$OUT_FILE" counts.no-answer)" \
	3:1:1:2:0 "counts by status"
is "$(json_get "$OUT_FILE" tests)" null "no test messages without --send-test"
no_control_bytes "$OUT_FILE" "the JSON holds no control byte"
like "$(cat "$OUT_FILE")" 'Evil\\u001[bB]\[31m Red' "... the escape is escaped"
is "$(sqlite3 "$DB" 'SELECT count(*) FROM message')" 0 "a check without --send-test records no message"

# ---- 2. usage ----------------------------------------------------------------------------------
run as bob contacts check --bogus
is "$RC" 2 "an unknown option: exit 2"
run as bob contacts check extra
is "$RC" 2 "a stray argument: exit 2"
like "$ERR" 'usage: warroom contacts check' "... with the usage"
run as bob contacts check --help
like "$OUT$ERR" 'contacts check' "help lists contacts check"

# ---- 3. a resolver that does not answer ---------------------------------------------------------
DEAD=$(/usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf "127.0.0.1:$DEAD"
run as bob contacts check --json
is "$RC" 1 "a UDP port bound by nothing: the check ends, exit 1"
is "$(st 'Good Corp' | cut -d'|' -f1)" no-answer "... no-answer"
like "$(st 'Good Corp')" "no answer within 1 s from 127.0.0.1:$DEAD" "... no answer within 1 s"
is "$(json_get "$OUT_FILE" counts.no-answer)" 7 "... for every well-formed contact (7)"
# A socket bound, never answering: a real timeout.
rm -f silent.port
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
open("silent.port.tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename("silent.port.tmp", "silent.port")
time.sleep(120)' &
PIDS="$PIDS $!"
until_ok 100 test -s silent.port || bail_out "the silent socket did not start"
SILENT=$(cat silent.port)
conf "127.0.0.1:$SILENT"
run as bob contacts check
is "$RC" 1 "a resolver that never answers: the check ends, exit 1"
like "$OUT" "^no-answer +Good Corp <ops@good.test>: no answer within 1 s from 127.0.0.1:$SILENT \(MX of good.test\)$" \
	"... no answer within 1 s"
like "$OUT" "^no-answer .*not asked: 127.0.0.1:$SILENT left the last 3 questions unanswered" \
	"... and after 3 unanswered questions the rest are not asked"
printf '[contacts]\nresolver = localhost:53\n' >bad.conf
run "$WARROOM" --config bad.conf --db "$DB" contacts check
is "$RC" 2 "[contacts] resolver not an IPv4 address: exit 2"
like "$ERR" 'resolver: want an IPv4 address' "... and says what it wants"

# ---- 4. --send-test -------------------------------------------------------------------------------
mkdir -p mail
/usr/bin/python3 "$WR_E2E_DIR/smtp-sink.py" sink.port mail --refuse refused@good.test &
PIDS="$PIDS $!"
until_ok 100 test -s sink.port || bail_out "smtp-sink.py did not start"
conf "127.0.0.1:$DNS_PORT" "$(cat sink.port)"
run as bob contacts check --send-test
is "$RC" 1 "bob (Revocation) may not send test messages"
like "$ERR" "customer-relations" "... the refusal names Customer Relations"
is "$(ls mail | grep -c 'eml$')" 0 "... nothing was sent"
is "$OUT" "" "... refused before checking anything"

run as carol contacts check --send-test --json
is "$RC" 1 "carol's --send-test: exit 1 (problems, and a refused test)"
# tst NAME: test state of NAME
tst() {
	perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or die;
		for (@{JSON::PP->new->decode(<$f>)->{customers}}) {
			next unless $_->{name} eq $ARGV[1];
			print $_->{test} ? "$_->{test}{state}|$_->{test}{detail}\n" : "none\n" }' "$OUT_FILE" "$1"
}
like "$(tst 'Good Corp')" '^sent\|250 ' "Good Corp's test: accepted, with the server's 250"
like "$(tst 'Refused')" '^failed\|.*550' "Refused's test: refused, with the 550"
is "$(tst 'Nowhere' | cut -d'|' -f1)" sent "a well-formed address in a dead domain is tested too"
is "$(tst 'Dots'):$(tst 'One Label'):$(tst 'No Contact')" none:none:none \
	"malformed and missing contacts are not sent anything"
like "$(tst 'Evil')$(perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0]; for (@{JSON::PP->new->decode(<$f>)->{customers}}) { print $_->{test} ? "X" : "-" if $_->{name} =~ /^Evil/ }' "$OUT_FILE")" \
	'-$' "the contact holding CR LF is not sent anything"
is "$(json_get "$OUT_FILE" tests.accepted):$(json_get "$OUT_FILE" tests.failed)" 6:1 \
	"6 test messages accepted, 1 refused (7 well-formed addresses)"
is "$(json_get "$OUT_FILE" fine)" 3 "fine: 3 (Refused's test was refused)"

cat >mail.py <<'EOF'
import email, email.policy, glob, os, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.eml"))):
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    print("%s|%s|%s" % (",".join(m.get_all("X-Rcpt-To", [])), m["Subject"], m["Message-ID"]))
EOF
/usr/bin/python3 mail.py mail >got.txt
is "$(wc -l <got.txt)" 6 "the server received 6 messages"
for a in ops@good.test ops@a-only.test ops@V6-ONLY.test ops@nowhere.test ops@nomail.test \
	ops@nullmx.test; do
	is "$(grep -c "^$a|" got.txt)" 1 "one test message to $a"
done
is "$(grep -c 'victim\|refused@\|localhost\|a\.\.b' got.txt)" 0 \
	"none to the refused, the malformed or an injected recipient"
like "$(grep '^ops@good.test|' got.txt)" '\|Test: is this still the right address for certificate notices to Good Corp\?\|' \
	"the contact-test template's Subject, with the customer"
is "$(sqlite3 "$DB" "SELECT group_concat(state || ':' || n) FROM (SELECT state, count(*) n FROM message WHERE template = 'contact-test' GROUP BY state ORDER BY state)")" \
	"failed:1,sent:6" "the message table: 6 sent, 1 failed, template contact-test"
like "$(sqlite3 "$DB" "SELECT error FROM message WHERE customer = 'Refused'")" 550 \
	"... the refused one with the server's 550"
is "$(sqlite3 "$DB" "SELECT message_id FROM message WHERE customer = 'Good Corp'")" \
	"$(grep '^ops@good.test|' got.txt | cut -d'|' -f3)" "... and each with the Message-ID it carried"
run as alice status --json
is "$(json_get "$OUT_FILE" counts.notified)" 0 "a test message notifies nobody: notified 0"
run as alice log --json --grep contact-test
like "$(json_get "$OUT_FILE" 0.details)" '"sent":6' "the sending is audited with its counts"

run as carol contacts check --send-test
is "$RC" 1 "a second --send-test: exit 1 again"
like "$OUT" 'test messages: 6 accepted, 1 not$' "... sends again: 6 accepted, 1 not"
like "$OUT" '^test-failed +Refused <refused@good.test>: MX 10 mail.good.test; test message failed: .*550' \
	"... the refused test listed as test-failed, with the 550"
/usr/bin/python3 mail.py mail >got2.txt
is "$(wc -l <got2.txt)" 12 "the server has 6 more messages"
is "$(sqlite3 "$DB" "SELECT attempts FROM message WHERE customer = 'Good Corp'")" 2 "... attempt 2"
is "$(sqlite3 "$DB" "SELECT message_id FROM message WHERE customer = 'Good Corp'")" \
	"$(grep '^ops@good.test|' got2.txt | tail -1 | cut -d'|' -f3)" "... the row keeps the newest Message-ID"
isnt "$(grep '^ops@good.test|' got2.txt | head -1 | cut -d'|' -f3)" \
	"$(grep '^ops@good.test|' got2.txt | tail -1 | cut -d'|' -f3)" "... a new one each time"

run as carol notify --template contact-test --yes
is "$RC" 2 "notify refuses the test template"
like "$ERR" "contacts check --send-test" "... and says what sends it"
run as carol notify --dry-run
like "$OUT" '^first-notice: 11 messages to send, 0 already sent$' \
	"the notices are all still to send (test messages are not notices)"

# ---- 5. every contact fine: exit 0 ----------------------------------------------------------------
DB=$WORK/fine.db
awk -F, 'NR == 1 { print "serial,customer,contact"; next }
	NR <= 3 { print $1 ",Good Corp,ops@good.test"; next }
	NR == 4 { print $1 ",A Only,ops@a-only.test"; next }' certs/customers.csv >fine.csv
as alice init --name "Fine" >/dev/null 2>&1 || bail_out "init failed"
as alice import certs/bundle.pem --customers fine.csv >/dev/null 2>&1 || bail_out "import failed"
run as carol contacts check --send-test
is "$RC" 0 "every contact fine and every test accepted: exit 0"
like "$OUT" '^contacts: 2 customers, 2 fine, 0 with a problem; test messages: 2 accepted, 0 not$' \
	"... and says so"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "... listing nobody"

done_testing
