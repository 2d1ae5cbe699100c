#!/bin/sh
# customer-figures.t: the per-customer figures the writers keep
# (customer_tally, core/tally.c) equal a fresh GROUP BY over the
# certificates after each operation that changes them, with real peers:
# import, the customer list, notify (python3-aiosmtpd on 127.0.0.1), ack,
# import --replacements, revoke (the local test CA), delay, and the clock
# moving past some certificates' notAfter. After each step:
#   - customers --json (which reads the kept figures when they agree with
#     the counters) equals the reference, computed here by sqlite3 from the
#     certificates, row by row and in the same order;
#   - customer recount finds 0 customers whose kept figures differed
#     (each step starts from figures just counted, so a difference is
#     the step's own).
# Then a write around warroom (sqlite3) makes them stale: customers --json
# still equals the reference (it counts instead), and the next write
# through warroom mends them.
. "$(dirname "$0")/lib.sh"

needs_root
needs sqlite3 perl /usr/bin/python3
/usr/bin/python3 -c 'import aiosmtpd, cryptography.x509' 2>/dev/null ||
	bail_out "python3-aiosmtpd and python3-cryptography are needed (scripts/install-deps)"
no_plan

NOW=2026-11-25T12:00:00Z
WARROOM_NOW=$NOW
export WARROOM_NOW

# ---- certificates: a CA, 30 affected, 8 replacements --------------------------------------------
# Customers by serial: 1001-1008 Contoso (critical), 1009-1016 Fabrikam,
# 1017-1022 Northwind, 1023-1026 an ESC in its name, 1027-1030 Tailspin.
# 1005, 1013, 1020 and 1028 expire at 15:00 (the clock goes to 18:00
# below). Replacements (same names, newer) for 1001-1004 and 1009-1012.
mkdir affected repl
cat >mk.py <<'EOF'
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

NOW = datetime.datetime(2026, 11, 25, 12, 0, 0)
D = datetime.timedelta(days=1)
H = datetime.timedelta(hours=1)
cak = ec.generate_private_key(ec.SECP256R1())
can = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Figures Test CA")])
ca = (x509.CertificateBuilder().subject_name(can).issuer_name(can)
      .public_key(cak.public_key()).serial_number(1)
      .not_valid_before(NOW - 900 * D).not_valid_after(NOW + 900 * D)
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(cak.public_key()), critical=False)
      .sign(cak, hashes.SHA256()))
open("ca.pem", "wb").write(ca.public_bytes(serialization.Encoding.PEM))
open("ca.key", "wb").write(cak.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
k = ec.generate_private_key(ec.SECP256R1())
aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(cak.public_key())

def leaf(serial, host, nb, na, path):
    c = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
         .issuer_name(can).public_key(k.public_key()).serial_number(serial)
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
         .add_extension(aki, critical=False)
         .sign(cak, hashes.SHA256()))
    open(path, "wb").write(c.public_bytes(serialization.Encoding.PEM))

for i in range(1, 31):
    s = 0x1000 + i
    na = NOW + 3 * H if i in (5, 13, 20, 28) else NOW + 60 * D
    leaf(s, "h%d.figures.example" % i, NOW - 30 * D, na, "affected/%X.pem" % s)
for i in list(range(1, 5)) + list(range(9, 13)):
    leaf(0x2000 + i, "h%d.figures.example" % i, NOW - H, NOW + 90 * D, "repl/%X.pem" % (0x2000 + i))
EOF
/usr/bin/python3 mk.py || bail_out "mk.py failed"
chmod 600 ca.key
ESC=$(printf '\033')
EVIL="Evil${ESC}[2J Corp"
{
	echo "serial,customer,contact,critical"
	for i in $(seq 1 30); do
		s=$(printf '%X' $((0x1000 + i)))
		if [ "$i" -le 8 ]; then echo "$s,Contoso Health,ops@contoso.example,yes"
		elif [ "$i" -le 16 ]; then echo "$s,Fabrikam,ops@fabrikam.example,no"
		elif [ "$i" -le 22 ]; then echo "$s,Northwind,ops@northwind.example,no"
		elif [ "$i" -le 26 ]; then echo "$s,$EVIL,ops@evil.example,no"
		else echo "$s,Tailspin,ops@tailspin.example,no"
		fi
	done
} >customers.csv

mkdir mail
rm -f port
/usr/bin/python3 "$WR_E2E_DIR/smtp-sink.py" "$WORK/port" "$WORK/mail" &
PIDS="$PIDS $!"
until_ok 100 test -s "$WORK/port" || bail_out "smtp-sink.py did not start"
CONF=$WORK/warroom.conf
cat >"$CONF" <<EOF
[users]
alice = management
carol = customer-relations
bob = revocation
[smtp]
url = smtp://127.0.0.1:$(cat "$WORK/port")
from = pki@ca.example
[notify]
info_url = https://ca.example/incident
[revocation]
backend = local
[local]
ca_cert = $WORK/ca.pem
ca_key = $WORK/ca.key
out_dir = $WORK/pub
EOF
chmod 600 "$CONF"
as() { # USER ARGS...
	_u=$1
	shift
	WARROOM_USER=$_u "$WARROOM" --config "$CONF" --db "$DB" "$@"
}

# The figures as customers --json gives them, one line per customer in
# its order: name|certs|notified|acknowledged|replaced|revoked|expired|
# outstanding|issued|deployed|unreachable|critical.
fast() {
	as alice customers --json >"$WORK/.fast" 2>"$WORK/.fast.err" || return 1
	perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) {
		print join("|", $_->{name}, map({ $_ // "null" } @$_{qw(certificates notified
		acknowledged replaced revoked expired outstanding replacement_issued
		replacement_deployed unreachable)}), $_->{critical} ? 1 : 0), "\n" }' <"$WORK/.fast"
}
# The same counted here, from the certificates, at now (epoch seconds).
reference() {
	sqlite3 "$DB" "SELECT cu.name, count(c.id) AS n, count(c.notified_at),
		CASE WHEN cu.acknowledged_at IS NULL THEN 0 ELSE count(c.id) END,
		count(c.replaced_at), count(c.revoked_at),
		coalesce(sum(c.revoked_at IS NULL AND c.not_after < $1), 0),
		coalesce(sum(c.revoked_at IS NULL AND c.replaced_at IS NULL AND c.not_after >= $1), 0) AS o,
		count(r.cert_id), coalesce(sum(p.deployed), 0), coalesce(sum(p.unreachable), 0),
		cu.critical
		FROM customer cu LEFT JOIN cert c ON c.customer = cu.name
		LEFT JOIN replacement r ON r.cert_id = c.id LEFT JOIN probe_cert p ON p.cert_id = c.id
		GROUP BY cu.id ORDER BY cu.critical DESC, o * 1.0 / max(count(c.id), 1) DESC, o DESC,
		cu.acknowledged_at IS NOT NULL, cu.name"
}
epoch() { date -u -d "$WARROOM_NOW" +%s; }
recounts() { sqlite3 "$DB" "SELECT count(*) FROM event WHERE action = 'customers-recount'"; }
# check STEP: the assertions of the header.
check() {
	fast >"$WORK/fast.txt" || fail "$1: customers --json" "$(cat "$WORK/.fast.err")"
	reference "$(epoch)" >"$WORK/ref.txt"
	if cmp -s "$WORK/fast.txt" "$WORK/ref.txt"; then
		pass "$1: customers --json equals a fresh count ($(wc -l <"$WORK/ref.txt") customers)"
	else
		fail "$1: customers --json equals a fresh count" \
			"$(diff "$WORK/ref.txt" "$WORK/fast.txt" | cat -v)"
	fi
	is "$(sqlite3 "$DB" "SELECT count(*) FROM customer_tally_clock")" 1 "$1: the tally has its clock"
	_before=$(recounts)
	run as alice customer recount
	like "$OUT" ' afresh: 0 differed$' "$1: customer recount finds the kept figures right"
	is "$(recounts)" $((_before + 1)) "$1: ... and records it"
}

# ---- the mix of operations ------------------------------------------------------------------------
as alice init --name "Figures" >/dev/null 2>&1 || bail_out "init failed"
run as alice import affected
is "$RC" 0 "import 30 certificates"
is "$(sqlite3 "$DB" "SELECT certificates FROM customer_tally WHERE customer = ''")" 30 \
	"the import counts them under no customer yet"
check "import"
run as alice import --customers customers.csv
is "$RC" 0 "import --customers"
check "customer list"
run as carol notify --yes --customer Fabrikam
is "$RC" 0 "notify one customer"
is "$(ls mail | grep -c 'eml$')" 1 "... the SMTP server has its message"
check "notify one"
run as carol notify --yes
is "$RC" 0 "notify the others"
is "$(ls mail | grep -c 'eml$')" 5 "... the SMTP server has one message per customer"
check "notify all"
run as carol ack --customer Fabrikam
is "$RC" 0 "ack"
check "ack"
run as alice import --replacements repl
is "$RC" 0 "import --replacements"
like "$OUT" '8 affected certificates linked' "... links 8"
check "replacements"
as alice declare --reason misissued --discovered 2026-11-25T10:00:00Z >/dev/null 2>&1 ||
	bail_out "declare failed"
as alice authorize revoke >/dev/null 2>&1 || bail_out "authorize failed"
run as bob revoke --customer Northwind --yes
is "$RC" 0 "revoke one customer's certificates"
is "$(sqlite3 "$DB" "SELECT revoked FROM customer_tally WHERE customer = 'Northwind'")" 6 \
	"... the engine's batch counts its 6"
check "revoke"
run as alice delay --customer Tailspin --until 2026-11-28T00:00:00Z --rationale "hospital change freeze"
is "$RC" 0 "delay one customer"
check "delay"

# The clock past four certificates' notAfter: what expired since the
# tally's instant is added at read.
WARROOM_NOW=2026-11-25T18:00:00Z
check "clock past notAfter"
run as bob revoke --yes
is "$RC" 0 "revoke the rest at the later instant"
check "revoke later"
is "$(sqlite3 "$DB" "SELECT count(*) FROM event WHERE action = 'customers-recount'
	AND json_extract(details, '\$.differed') <> 0")" 0 "no recount ever found a difference"

# ---- a write around warroom ------------------------------------------------------------------------
sqlite3 "$DB" "UPDATE cert SET notified_at = NULL WHERE customer = 'Fabrikam'" ||
	bail_out "sqlite3 update failed"
fast >"$WORK/fast.txt"
reference "$(epoch)" >"$WORK/ref.txt"
ok "stale kept figures: customers --json counts instead" cmp -s "$WORK/fast.txt" "$WORK/ref.txt"
is "$(grep '^Fabrikam|' "$WORK/fast.txt" | cut -d'|' -f3)" 0 "... and shows Fabrikam not notified"
# Fabrikam's certificates are revoked or expired by now: revocation-done
# is the message about them (a reminder has none still to be revoked).
run as carol notify --yes --customer Fabrikam --template revocation-done
is "$RC" 0 "a write through warroom (notify)"
run as alice customer recount
like "$OUT" ' afresh: 0 differed$' "... mended the kept figures"

done_testing
