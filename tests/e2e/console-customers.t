#!/bin/sh
# console-customers.t: the Customer Relations and Replacement panes list
# the customers furthest behind under their tasks, through tmux on a
# private socket, while other processes change the figures:
#   - Customer Relations: not acknowledged before acknowledged; an
#     acknowledgement by another user's CLI moves the customer down and
#     shows "yes"; a customer made critical goes first, marked '*';
#   - Replacement: critical first, then the largest share outstanding; a
#     revocation by another process moves the customer to the end;
#   - a customer name holding ESC is drawn escaped.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
needs_root
no_plan

tmux_session wr-cu

fixtures
chmod 600 "$FX/ca.key"
cat >"$WORK/warroom.conf" <<EOF
[users]
alice = management
carol = customer-relations
rita = replacement
bob = revocation
[revocation]
backend = local
[local]
ca_cert = $FX/ca.pem
ca_key = $FX/ca.key
out_dir = $WORK/pub
EOF
as() { _u=$1; shift; env WARROOM_USER="$_u" "$WARROOM" --db "$DB" "$@" >/dev/null 2>&1; }
as alice init --name "Customers on screen" || bail_out "init failed"
for n in 1 2 3 4 5 6 7; do set -- "$@" "$FX/leaf$n.pem"; done
as alice import "$@" || bail_out "import failed"
set --
ESC=$(printf '\033')
# Two certificates each; Delta (ESC in its name) has one.
printf 'serial,customer,contact\n1001,Alpha,a@alpha.example\n1002,Alpha,a@alpha.example\n1003,Beta,b@beta.example\n1004,Beta,b@beta.example\n1005,Gamma,g@gamma.example\n1006,Gamma,g@gamma.example\n1007,Delta%s[31m,d@delta.example\n' \
	"$ESC" >"$WORK/customers.csv"
as alice import --customers "$WORK/customers.csv" || bail_out "import --customers failed"
as alice declare --reason misissued --discovered "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" ||
	bail_out "declare failed"

# start NAME USER TEAM: a console zoomed on TEAM at 120x40.
start() {
	T new-session -d -s "$1" -x 120 -y 40 -c "$WORK" \
		"env WARROOM_USER=$2 TERM=screen '$WARROOM' --db '$DB' --team $3; echo console-exit=\$?; sleep 600"
	wait_for "$1" 'Customers behind' 5 || diag "the console in $1 shows no customers: $(screen "$1")"
}
# order SESSION: the customers' names as the pane lists them, top down.
order() { screen "$1" | grep -oE '(Alpha|Beta|Gamma|Delta)' | tr '\n' ' ' | sed 's/ $//'; }
# until_order SESSION ORDER: waits up to 3 s for the pane to list ORDER.
until_order() {
	_n=60
	while [ "$_n" -gt 0 ]; do
		[ "$(order "$1")" = "$2" ] && return 0
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}

# ---- Customer Relations ----------------------------------------------------------------------
start cr carol customer-relations
S=$(screen cr)
like "$S" 'Customers behind.* certs +notified +acked' "Customer Relations: certs, notified, acknowledged"
is "$(order cr)" "Alpha Beta Gamma Delta" \
	"none acknowledged or notified: the most certificates first, then by name"
like "$S" ' Alpha +2 +0 +-[║│]' "... each with its figures"
like "$S" 'Delta\\x1b\[31m +1 ' "a name with ESC is drawn escaped"
unlike "$S" "$ESC\\[31m" "... its ESC never reaches the terminal"

as carol ack --customer Alpha || bail_out "ack failed"
if until_order cr "Beta Gamma Delta Alpha"; then
	pass "another user's acknowledgement moves Alpha behind those that have not acknowledged"
else
	fail "another user's acknowledgement moves Alpha behind those that have not acknowledged" \
		"$(screen cr)"
fi
like "$(screen cr)" 'Alpha +2 +0 +yes' "... and shows it acknowledged"

as alice customer set Gamma --critical yes || bail_out "customer set failed"
if until_order cr "Gamma Beta Delta Alpha"; then
	pass "a customer made critical goes first"
else
	fail "a customer made critical goes first" "$(screen cr)"
fi
like "$(screen cr)" '\*Gamma +2 ' "... marked '*'"

# ---- Replacement -----------------------------------------------------------------------------------
start rp rita replacement
like "$(screen rp)" 'Customers behind.* certs +issued +deployed +unreachable' \
	"Replacement: certs, issued, deployed, unreachable"
is "$(order rp)" "Gamma Beta Alpha Delta" \
	"critical first, then the largest share outstanding, the most, acknowledged after"
as alice authorize revoke || bail_out "authorize failed"
as bob revoke --customer Beta --yes || bail_out "revoke failed"
if until_order rp "Gamma Alpha Delta Beta"; then
	pass "Beta revoked (nothing outstanding) goes last"
else
	fail "Beta revoked (nothing outstanding) goes last" "$(screen rp)"
fi

# q backs out of the zoom (--team), then quits.
T send-keys -t cr q q
T send-keys -t rp q q
wait_for cr 'console-exit=0' 3
ok "the consoles quit" wait_for rp 'console-exit=0' 3
done_testing
