#!/bin/sh
# shared-mode.t: the installed mode. `make install SHARED_GROUP=...` into a
# private PREFIX makes warroom setgid to a group that three real OS users
# (Management, Revocation, Customer Relations) are not members of; the
# policy, the CA key and the audit key are root's and that group's. Then:
# users reach the incident only through warroom, the policy comes only from
# SYSCONFDIR, no WARROOM_* variable counts, user-named paths are opened
# with the user's rights, and every event carries an HMAC that catches a
# chain rewritten behind warroom's back.
. "$(dirname "$0")/lib.sh"

needs_root
needs openssl setpriv sqlite3 make python3 flock
no_plan

os_group wrsgid
os_group wrsteam
os_user wrsmgmt wrsteam
os_user wrsrev wrsteam
os_user wrscust wrsteam
chmod 755 "$WORK"

INST=$WORK/inst
flock /tmp/warroom-e2e-install.lock make --no-print-directory -s -C "$WR_REPO" install PREFIX="$INST" SHARED_GROUP=wrsgid \
	>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; bail_out "make install SHARED_GROUP failed"; }
WRI=$INST/bin/warroom
ETC=$INST/etc/warroom
VAR=$INST/var/lib/warroom
is "$(stat -c '%a %U %G' "$WRI")" "2755 root wrsgid" "make install SHARED_GROUP installs warroom setgid"
is "$(stat -c '%a %U %G' "$ETC")" "750 root wrsgid" "... SYSCONFDIR/warroom for root and the group"
is "$(stat -c '%a %U %G' "$ETC/audit.key")" "640 root wrsgid" "... an audit key only they read"
is "$(stat -c '%a %U %G' "$VAR")" "2770 root wrsgid" "... and an incident directory nobody else enters"

"$WR_TOOLS/wr-mkcerts" --out certs --count 10 --format pem --expired-percent 0 --seed 9 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
chmod 644 certs/*.pem
install -o root -g wrsgid -m 0640 certs/ca.key "$ETC/ca.key"
install -o root -g wrsgid -m 0644 certs/ca.pem "$ETC/ca.pem"
cat >"$ETC/warroom.conf" <<EOF
[users]
wrsmgmt = management
wrsrev = revocation
wrscust = customer-relations

[revocation]
two_person = yes
backend = local

[local]
ca_cert = $ETC/ca.pem
ca_key = $ETC/ca.key
out_dir = $VAR/pub
EOF
chmod 0640 "$ETC/warroom.conf" && chgrp wrsgid "$ETC/warroom.conf"

DB=$VAR/mre.db
M() { as_user wrsmgmt "$WRI" --db "$DB" "$@"; }
R() { as_user wrsrev "$WRI" --db "$DB" "$@"; }
C() { as_user wrscust "$WRI" --db "$DB" "$@"; }

run M init --name "Shared"
is "$RC" 0 "Management creates the incident in the shared directory"
is "$(stat -c %G "$DB")" wrsgid "... the file belongs to the warroom group"
run M policy show --json
is "$(json_get "$OUT_FILE" installed)" true "policy show: the installed mode"
is "$(json_get "$OUT_FILE" config)" "$ETC/warroom.conf" "... the policy is SYSCONFDIR's"

# ---- the file and the keys only through warroom --------------------------------------------------
nok "a user cannot open the database behind warroom's back" as_user wrsmgmt sqlite3 "$DB" "SELECT 1"
nok "... nor read the policy" as_user wrsmgmt cat "$ETC/warroom.conf"
nok "... nor the audit key" as_user wrsmgmt cat "$ETC/audit.key"
run as_user wrsmgmt "$WRI" --db "$WORK/mine.db" init --name Mine
is "$RC" 1 "an incident outside the shared directory is refused"
like "$ERR" "only in a directory owned by root and its group" "... saying where incidents live"
ok "... and no file was made" test ! -e "$WORK/mine.db"

# ---- the policy is SYSCONFDIR's alone ------------------------------------------------------------
mkdir cust && chown wrscust cust && chmod 700 cust
printf '[users]\nwrscust = management\n[revocation]\ntwo_person = no\n' >cust/own.conf
chown wrscust cust/own.conf && chmod 600 cust/own.conf
run C --config "$WORK/cust/own.conf" authorize revoke
is "$RC" 2 "--config is refused by the installed warroom"
like "$ERR" "not allowed for the installed warroom" "... saying why"
run as_user wrscust env WARROOM_CONFIG="$WORK/cust/own.conf" WARROOM_USER=wrsmgmt "$WRI" --db "$DB" authorize revoke
is "$RC" 1 "WARROOM_CONFIG and WARROOM_USER count for nothing"
like "$ERR" "user 'wrscust'" "... the actor is the real user"
chmod 0660 "$ETC/warroom.conf"
run M status
is "$RC" 2 "a group-writable policy is refused"
like "$ERR" "warroom\.conf: writable by its group" "... naming the file"
chmod 0640 "$ETC/warroom.conf"
chown wrsmgmt "$ETC/warroom.conf"
run M status
is "$RC" 2 "a policy not owned by root is refused"
chown root "$ETC/warroom.conf"

# ---- user-named paths with the user's own rights -------------------------------------------------
run M import certs/bundle.pem
is "$RC" 0 "Management imports the certificates it can read"
run M import "$ETC/audit.key"
isnt "$RC" 0 "importing the audit key (readable by the group, not by the user) fails"
like "$ERR" "[Pp]ermission denied" "... with the user's own rights"
mkdir private && chmod 700 private && cp certs/bundle.pem private/ && chmod 600 private/bundle.pem
run M import private/bundle.pem
like "$ERR" "[Pp]ermission denied" "a file only root reads is not imported through warroom"

# ---- the real clock, the two-person rule ---------------------------------------------------------
run as_user wrsmgmt env WARROOM_NOW=2020-01-01T00:00:00Z "$WRI" --db "$DB" declare \
	--reason misissued --discovered "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)"
is "$RC" 0 "Management declares"
run M log --limit 1 --json
like "$(json_get "$OUT_FILE" 0.at)" "^$(date -u +%Y)-" "WARROOM_NOW does not move the installed warroom's clock"
run M authorize revoke
is "$RC" 0 "Management authorizes"
run M revoke --yes
is "$RC" 1 "... and may not execute it herself"
run C revoke --yes
is "$RC" 1 "Customer Relations may not revoke"
run R revoke --yes
is "$RC" 0 "the Revocation lead revokes"
n=0
for f in "$VAR"/pub/*.crl; do
	openssl crl -in "$f" -inform DER -CAfile "$ETC/ca.pem" -noout 2>/dev/null || fail "openssl verifies $f"
	n=$((n + $(openssl crl -in "$f" -inform DER -noout -text | grep -c "Serial Number:")))
done
is "$n" 10 "openssl counts 10 revoked entries on the CRLs the group wrote"
# A CA key its group (not warroom's) may read is refused, as a secret is.
chgrp wrsteam "$ETC/ca.key"
run R crl
isnt "$RC" 0 "a CA key readable by the users' own group is refused"
like "$ERR" "ca.key holds a secret readable by a group other than warroom's" "... and named"
chgrp wrsgid "$ETC/ca.key"
run R crl
is "$RC" 0 "... and used again once only warroom's group reads it"

# ---- every event keyed -----------------------------------------------------------------------------
run M audit verify
is "$RC" 0 "the chain holds"
like "$OUT" "MACs: [0-9]+ events carry the installed warroom's HMAC, all valid" "... every event's HMAC checks"
cp "$DB" "$WORK/copy.db"
chmod 644 "$WORK/copy.db"
python3 "$WR_E2E_DIR/rechain.py" "$DB" \
	"UPDATE event SET details = replace(details, 'misissued', 'weak-key') WHERE action = 'declare'" >/dev/null
run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "rewritten with every hash recomputed, the plain chain holds"
like "$OUT" "HMAC that only the installed warroom can check" "... and an uninstalled warroom says it cannot check the MACs"
run M audit verify
is "$RC" 1 "the installed warroom finds the rewritten event by its MAC"
like "$ERR" "MAC does not match" "... and says so"
cp "$WORK/copy.db" "$DB"
sqlite3 "$DB" "UPDATE event SET mac = NULL WHERE id = 3"
run M audit verify
is "$RC" 1 "an event stripped of its MAC is found"
like "$ERR" "event 3: it lacks the MAC" "... and named"

done_testing
