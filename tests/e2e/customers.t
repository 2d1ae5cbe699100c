#!/bin/sh
# customers.t: customers as rows of their own (issue 10), through the real
# binary.
#  - The customer CSV: a header with the critical and endpoints columns in
#    any order, a UTF-8 BOM, CRLF, quoted fields holding commas and doubled
#    quotes, serials with colons, 0x and leading zeros; an old
#    three-column file with or without a header; a bad row of any kind is
#    named FILE:LINE with what was expected, and then nothing of the file
#    is applied.
#  - customer set corrects a contact once for all its certificates (their
#    rows untouched), checks the address, is audited with old and new
#    values, and is Customer Relations' or Management's.
#  - customers [--json]: per customer its certificates, notified,
#    acknowledged, replaced, revoked, outstanding; critical first, then
#    furthest behind.
#  - ack --customer: recorded and audited; status --json counts the
#    acknowledged certificates.
#  - wave add --critical yes|no takes the certificates of critical
#    customers (or of the others), and revoke --wave revokes exactly them.
#  - Hostile customer names (ESC, U+202E, a newline) reach the terminal
#    escaped.
. "$(dirname "$0")/lib.sh"

needs_root
needs sqlite3 openssl
no_plan

fixtures
chmod 600 "$FX/ca.key"
CONF=$WORK/warroom.conf
cat >"$CONF" <<EOF
[users]
alice = management
carol = customer-relations
bob = revocation
[revocation]
backend = local
[local]
ca_cert = $FX/ca.pem
ca_key = $FX/ca.key
out_dir = $WORK/pub
EOF
WARROOM_NOW=2026-11-25T12:00:00Z
export WARROOM_NOW
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}
as alice init --name "Customers" >/dev/null 2>&1 || bail_out "init failed"
for n in 1 2 3 4 5 6 7 8; do set -- "$@" "$FX/leaf$n.pem"; done
as alice import "$@" "$FX/hostile.pem" >/dev/null 2>&1 || bail_out "import failed"
set --

ESC=$(printf '\033')
RLO=$(printf '\342\200\256')
CR=$(printf '\r')
# The customer's certificates, by serial, sorted, space-separated.
serials() { # CUSTOMER
	as alice certs --customer "$1" --json 2>/dev/null >"$WORK/.certs"
	perl -MJSON::PP -e 'local $/; print join(" ", sort map { $_->{serial} } @{decode_json(<STDIN>)}), "\n"' <"$WORK/.certs"
}
# One field of one customer in customers --json.
cust() { # NAME FIELD
	as alice customers --json >"$WORK/.cust" 2>/dev/null
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		if ($_->{name} eq $ARGV[0]) { my $v = $_->{$ARGV[1]};
			print JSON::PP::is_bool($v) ? ($v ? "true" : "false") : defined $v ? $v : "null"; } }' \
		"$1" "$2" <"$WORK/.cust"
}
ncust() { sqlite3 "$DB" "SELECT count(*) FROM customer"; }
events() { sqlite3 "$DB" "SELECT count(*) FROM event"; }

# ---- 1. a header with the new columns, BOM, CRLF, quotes ----------------------------------------
{
	printf '\357\273\277Serial,Customer,Contact,Critical,Endpoints\r\n'
	printf '00:10:01,"Contoso Health, ""East""",pki@contoso.example,yes,"WWW.Contoso.example api.contoso.example:8443 [2001:db8::1]:443"\r\n'
	printf '0x1002,"Contoso Health, ""East""",,,\r\n'
	printf '1003,Fabrikam,ops@fabrikam.example,no,\r\n'
	printf '0001004,Fabrikam,other@fabrikam.example,,10.0.0.1:4443 10.0.0.1:4443\r\n'
	printf ',,,,\r\n'
} >"$WORK/new.csv"
run as bob import --customers "$WORK/new.csv"
is "$RC" 0 "a CSV with a BOM, CRLF, a header naming critical and endpoints imports (exit 0)"
like "$OUT" '4 rows, 4 matched, 0 matched no certificate, 0 rejected; 2 new customers' \
	"... 4 rows matched (the empty row is none), 2 new customers"
CONTOSO='Contoso Health, "East"'
is "$(serials "$CONTOSO")" "1001 1002" "quoted commas and doubled quotes; 00:10:01 and 0x1002 are 1001 and 1002"
is "$(serials Fabrikam)" "1003 1004" "0001004 is 1004"
is "$(cust "$CONTOSO" critical)" true "critical yes is kept"
is "$(cust Fabrikam critical)" false "critical no is kept"
is "$(cust "$CONTOSO" contact)" pki@contoso.example "the customer's contact is its first row's"
is "$(cust Fabrikam contact)" ops@fabrikam.example "... the first row that gives one"
as alice certs --customer Fabrikam --json >"$WORK/fab.json"
is "$(json_get "$WORK/fab.json" 1.contact)" ops@fabrikam.example "certs shows the customer's contact for each certificate"
is "$(sqlite3 "$DB" "SELECT endpoints FROM cert WHERE serial = '1001'")" \
	"www.contoso.example api.contoso.example:8443 [2001:db8::1]" \
	"endpoints: kept space-separated, host in lower case, IPv6 in brackets, 443 left out"
is "$(sqlite3 "$DB" "SELECT endpoints FROM cert WHERE serial = '1004'")" "10.0.0.1:4443" \
	"... the same endpoint twice is one"
is "$(sqlite3 "$DB" "SELECT coalesce(endpoints, 'NULL') FROM cert WHERE serial = '1002'")" NULL \
	"no endpoints: NULL (its SANs on 443)"

# Columns in another order.
printf 'customer,serial,endpoints,critical,contact\n"Litware, Inc.",1005,litware.example:443,NO,ops@litware.example\n' >"$WORK/order.csv"
run as bob import --customers "$WORK/order.csv"
is "$RC" 0 "a header may name the columns in any order"
is "$(serials "Litware, Inc.")" 1005 "... the serial read from the second column"
is "$(cust "Litware, Inc." contact)" ops@litware.example "... the contact from the last"

# ---- 2. old three-column files ---------------------------------------------------------------
printf '1006,Northwind,n@northwind.example\n' >"$WORK/old.csv"
run as bob import --customers "$WORK/old.csv"
is "$RC" 0 "an old three-column file without a header imports"
is "$(serials Northwind)" 1006 "... and its row is applied"
printf 'serial,customer,contact\n1002,"Contoso Health, ""East""",pki@contoso.example\n' >"$WORK/old2.csv"
run as bob import --customers "$WORK/old2.csv"
is "$RC" 0 "an old three-column file with a header imports"
is "$(cust "$CONTOSO" critical)" true "... and leaves critical as it was"
is "$(sqlite3 "$DB" "SELECT endpoints FROM cert WHERE serial = '1001'")" \
	"www.contoso.example api.contoso.example:8443 [2001:db8::1]" "... and the endpoints"

# ---- 3. bad rows: FILE:LINE, and nothing applied ---------------------------------------------
n_cust=$(ncust)
n_ev=$(events)
{
	printf 'serial,customer,contact,critical,endpoints\n'              # 1
	printf '1007,"Multi\nLine Co",m@multi.example,no,\n'               # 2-3: good, two lines
	printf '1008,Bad Critical,b@bad.example,maybe,\n'                  # 4
	printf '1008,Bad Endpoint,b@bad.example,no,host:99999\n'           # 5
	printf '1008,Bad Contact,a@b@c.example,no,\n'                      # 6
	printf '1008,Injected,"x@evil.example\r\nBcc: all@evil.example",,\n' # 7-8
	printf '1008,,c@x.example,,\n'                                     # 9
	printf '1008,Too Many,c@x.example,no,,extra\n'                     # 10
	printf '1008,IPv6,c@x.example,no,2001:db8::1\n'                    # 11
	printf 'zz,Bad Serial,c@x.example,no,\n'                           # 12
} >"$WORK/bad.csv"
run as bob import --customers "$WORK/bad.csv"
is "$RC" 1 "a CSV with bad rows exits 1"
like "$ERR" 'bad\.csv:4: critical is .maybe.: want yes or no' "bad.csv:4: critical, after a two-line field"
like "$ERR" 'bad\.csv:5: endpoint .host:99999.: the port is a number from 1 to 65535' "bad.csv:5: the port"
like "$ERR" 'bad\.csv:6: the contact has more than one @' "bad.csv:6: two @"
like "$ERR" 'bad\.csv:7: the contact holds a line break' "bad.csv:7: CR/LF in a contact (header injection)"
like "$ERR" 'bad\.csv:9: no customer' "bad.csv:9: no customer"
like "$ERR" 'bad\.csv:10: 6 columns: want 5 \(serial,customer,contact,critical,endpoints\)' \
	"bad.csv:10: 6 columns, the header's 5 expected"
like "$ERR" 'bad\.csv:11: endpoint .2001:db8::1.: an IPv6 address goes in brackets' "bad.csv:11: IPv6 without brackets"
like "$ERR" "bad\\.csv:12: bad serial 'zz'" "bad.csv:12: the serial"
unlike "$ERR" 'bad\.csv:[123]:' "the header and the good two-line row are not named"
like "$ERR" 'bad\.csv: 8 bad rows; nothing of the list was imported' "... 8 bad rows: nothing imported"
is "$(serials "$(printf 'Multi\nLine Co')")" "" "the good row is not applied either"
is "$(ncust)" "$n_cust" "no customer row was made"
is "$(events)" "$n_ev" "no event was recorded"
no_control_bytes "$ERR_FILE" "the rejections are escaped (the CR/LF of line 7)"

printf 'serial,customer,email\n1007,X,x@x.example\n' >"$WORK/hdr.csv"
run as bob import --customers "$WORK/hdr.csv"
is "$RC" 1 "an unknown column in the header exits 1"
like "$ERR" "hdr\\.csv:1: header: unknown column 'email': want serial, customer, contact" "... naming hdr.csv:1 and the columns"
printf '1007,X,x@x.example,yes\n' >"$WORK/four.csv"
run as bob import --customers "$WORK/four.csv"
is "$RC" 1 "four columns without a header exit 1"
like "$ERR" 'four\.csv:1: 4 columns: want 3 \(serial,customer,contact\); the critical and endpoints columns need a header' \
	"... saying the new columns need a header row"
printf 'serial,customer,contact\n1007,"Unterminated,x@x.example\n' >"$WORK/quote.csv"
run as bob import --customers "$WORK/quote.csv"
is "$RC" 1 "an unterminated quote exits 1"
like "$ERR" 'quote\.csv:2: unterminated quoted field' "... naming quote.csv:2"

# ---- 4. customer set -------------------------------------------------------------------------
n_ev=$(events)
run as bob customer set Fabrikam --contact new@fabrikam.example
is "$RC" 1 "bob (revocation) may not set a customer (exit 1)"
like "$ERR" "needs team 'customer-relations'" "... the refusal names Customer Relations"
is "$(events)" "$n_ev" "... and records nothing"
run as carol customer set Fabrikam --contact new@fabrikam.example
is "$RC" 0 "carol (Customer Relations) sets Fabrikam's contact"
like "$OUT" '^customer Fabrikam: contact new@fabrikam\.example$' "... and is told so"
as alice certs --customer Fabrikam --json >"$WORK/fab.json"
is "$(json_get "$WORK/fab.json" 0.contact) $(json_get "$WORK/fab.json" 1.contact)" \
	"new@fabrikam.example new@fabrikam.example" "both its certificates show the new contact"
is "$(sqlite3 "$DB" "SELECT group_concat(contact, ' ') FROM (SELECT contact FROM cert WHERE customer = 'Fabrikam' ORDER BY id)")" \
	"ops@fabrikam.example other@fabrikam.example" "... without a change to their rows"
run as alice log --json --grep customer-set
is "$(json_get "$OUT_FILE" 0.action)" customer-set "the change is audited as customer-set"
like "$(json_get "$OUT_FILE" 0.details)" '"contact":"new@fabrikam.example"' "... with the new contact"
like "$(json_get "$OUT_FILE" 0.details)" '"previous_contact":"ops@fabrikam.example"' "... and the old one"
run as alice log --grep customer
like "$OUT" 'carol updated customer "Fabrikam": contact "new@fabrikam.example" \(was "ops@fabrikam.example"\)' \
	"the timeline says it in words"
run as alice customer set Fabrikam --critical yes
is "$RC" 0 "alice (Management) marks Fabrikam critical"
is "$(cust Fabrikam critical)" true "... it is critical"
run as alice customer set Fabrikam --critical yes
like "$OUT" 'unchanged' "setting what is already so changes nothing"
n_ev=$(events)
run as carol customer set Fabrikam --contact "$(printf 'x@evil.example\r\nBcc: all@evil.example')"
is "$RC" 2 "a contact with CR/LF is refused (exit 2)"
like "$ERR" 'line break' "... saying why"
run as carol customer set Fabrikam --contact "a@b@c.example"
is "$RC" 2 "a contact with two @ is refused"
like "$ERR" 'more than one @' "... saying why"
run as carol customer set Fabrikam --contact "nobody.example"
like "$ERR" 'no @' "a contact with no @ is refused"
run as carol customer set Fabrikam --contact "Ops <ops@fabrikam.example>"
like "$ERR" 'bare address' "a display name is refused"
is "$(events)" "$n_ev" "no refused contact is recorded"
run as carol customer set Fabrikan --contact x@fabrikam.example
is "$RC" 1 "an unknown customer: exit 1"
like "$ERR" "no customer 'Fabrikan'; did you mean 'Fabrikam'\\?" "... with a suggestion"
run as carol customer set Fabrikam
is "$RC" 2 "customer set with nothing to set: exit 2"

# ---- 5. ack, and the acknowledged count ------------------------------------------------------
run as bob ack --customer Northwind
is "$RC" 1 "bob may not record an acknowledgement"
run as carol ack --customer Northwind --note "replacing tonight"
is "$RC" 0 "carol records Northwind's acknowledgement"
like "$OUT" '^acknowledged: Northwind \(1 certificate\)$' "... of its 1 certificate"
run as carol ack --customer "$CONTOSO"
is "$RC" 0 "and Contoso's"
run as alice status --json
is "$(json_get "$OUT_FILE" counts.acknowledged)" 3 "status: 3 certificates acknowledged (1 + 2)"
run as alice status
like "$OUT" "acknowledged +3 " "status (text): acknowledged 3"
run as carol ack --customer Northwind --note "again"
run as alice status --json
is "$(json_get "$OUT_FILE" counts.acknowledged)" 3 "a second acknowledgement counts its certificates once"
is "$(cust Northwind ack_note)" again "... and is the customer's newest"
run as alice log --json --grep customer-ack
is "$(json_get "$OUT_FILE" 0.actor)" carol "acknowledgements are audited, by carol"
like "$(json_get "$OUT_FILE" 0.details)" '"note":"replacing tonight"' "... with the note"

# ---- 6. customers --json figures -------------------------------------------------------------
run as alice customers --json
is "$RC" 0 "customers --json exits 0"
ok "... and is JSON" json_valid "$OUT_FILE"
is "$(json_get "$OUT_FILE" 0.critical) $(json_get "$OUT_FILE" 1.critical) $(json_get "$OUT_FILE" 2.critical)" \
	"true true false" "critical customers first"
is "$(json_get "$OUT_FILE" 0.name)" "Fabrikam" "... the one furthest behind first (not acknowledged)"
is "$(cust "$CONTOSO" certificates)/$(cust "$CONTOSO" acknowledged)/$(cust "$CONTOSO" revoked)/$(cust "$CONTOSO" outstanding)" \
	"2/2/0/2" "Contoso: 2 certificates, 2 acknowledged, 0 revoked, 2 outstanding"
is "$(cust Fabrikam certificates)/$(cust Fabrikam acknowledged)/$(cust Fabrikam notified)/$(cust Fabrikam replaced)" \
	"2/0/0/0" "Fabrikam: 2 certificates, none acknowledged, notified or replaced"
run as alice customers
like "$OUT" '^CUSTOMER +CRIT +CERTS +NOTIFIED +ACK +REPLACED +REVOKED +OUTSTANDING +CONTACT' "customers: a header"
like "$OUT" '^Northwind +- +1 +0 +yes +0 +0 +1 +n@northwind\.example' "... a row per customer"

# ---- 7. waves by criticality -----------------------------------------------------------------
as alice customer set Fabrikam --critical no >/dev/null 2>&1
as alice declare --reason misissued --discovered 2026-11-25T06:00:00Z >/dev/null 2>&1 || bail_out "declare failed"
as alice authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
run as bob wave add --critical yes critical
is "$RC" 1 "wave add is Management's"
run as alice wave add --critical maybe x
is "$RC" 2 "--critical maybe is refused (exit 2)"
run as alice wave add --critical no early
is "$RC" 0 "wave add --critical no"
# Everything but Contoso's 2: leaf3..8 and the hostile one.
like "$OUT" '^wave early: 7 certificates' "... takes the 7 certificates of no critical customer (or none)"
run as alice wave add --critical yes late
is "$RC" 0 "wave add --critical yes"
like "$OUT" '^wave late: 2 certificates' "... takes Contoso's 2"
is "$(sqlite3 "$DB" "SELECT group_concat(serial, ' ') FROM (SELECT serial FROM cert c JOIN wave w ON w.id = c.wave WHERE w.name = 'late' ORDER BY serial)")" \
	"1001 1002" "... exactly 1001 and 1002"
run as alice wave add --critical yes --customer Fabrikam none
is "$RC" 2 "--critical yes with a customer that is not critical adds nothing (exit 2)"
like "$ERR" 'Fabrikam: this customer is not critical' "... saying so"
run as alice log --grep wave-add
like "$OUT" 'added wave "late" at position 2: 2 certificates \(critical customers: yes\)' "the timeline says which"
run as bob revoke --wave late --yes
is "$RC" 0 "revoke --wave late"
is "$(sqlite3 "$DB" "SELECT group_concat(serial, ' ') FROM (SELECT serial FROM cert WHERE revoked_at IS NOT NULL ORDER BY serial)")" \
	"1001 1002" "... revokes exactly the critical customer's certificates"
is "$(cust "$CONTOSO" revoked)/$(cust "$CONTOSO" outstanding)" "2/0" "customers: Contoso's 2 revoked, 0 outstanding"

# ---- 8. hostile customer names ---------------------------------------------------------------
printf 'serial,customer,contact,critical\n1BAD,"Evil%s[2J%sX\nY",ops@evil.example,yes\n' "$ESC" "$RLO" >"$WORK/hostile.csv"
run as bob import --customers "$WORK/hostile.csv"
is "$RC" 0 "a customer name with ESC, U+202E and a newline imports"
EVIL=$(printf 'Evil%s[2J%sX\nY' "$ESC" "$RLO")
for args in "customers" "customers --json" "log" "certs"; do
	# shellcheck disable=SC2086
	run as alice $args
	no_control_bytes "$OUT_FILE" "$args: no control byte, no raw U+202E"
done
run as alice customers
like "$OUT" 'Evil\\x1b\[2J\\u202eX\\x0aY' "customers: the name shows with visible escapes"
run as carol ack --customer "$EVIL" --note "$(printf 'ok%s[31m' "$ESC")"
is "$RC" 0 "ack of the hostile customer"
no_control_bytes "$OUT_FILE" "ack's output"
run as carol ack --customer 'Evil\x1b[2J\u202eX\x0aY'
is "$RC" 0 "... found by its printed form too"
run as carol customer set "$EVIL" --contact sec@evil.example
no_control_bytes "$OUT_FILE" "customer set's output"
run as carol ack --customer "$(printf 'Evil%s[2J' "$ESC")"
is "$RC" 1 "an unknown hostile name: exit 1"
no_control_bytes "$ERR_FILE" "... its error is escaped"
run as alice log
no_control_bytes "$OUT_FILE" "the timeline with the hostile acknowledgement"
unlike "$OUT" "$CR" "no raw CR anywhere"

run as alice audit verify
is "$RC" 0 "the audit chain holds"

done_testing
