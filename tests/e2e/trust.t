#!/bin/sh
# trust.t: the single-user mode (warroom not installed setgid) shared by
# three real OS users of one group, a Management lead, a Revocation lead
# and a Customer Relations member, attacked as a member would: a planted
# ./warroom.conf, a --config owned by another member, a relaxed --config,
# a forged authorization, WARROOM_NOW in a real incident, and the audit
# chain rewritten or cut short. Each is refused or found; the CRLs are
# read back with openssl.
. "$(dirname "$0")/lib.sh"

needs_root
needs openssl python3 setpriv sqlite3
no_plan

os_group wrtrust
os_user wrtalice wrtrust
os_user wrtbob wrtrust
os_user wrtcarol wrtrust
chmod 755 "$WORK"

"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 0 --seed 5 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
# A team shares the test CA's key through its group, never with others.
chgrp wrtrust certs/ca.key && chmod 0640 certs/ca.key
# The policy: root's, in a directory only root writes.
mkdir conf
CONF=$WORK/conf/warroom.conf
cat >"$CONF" <<EOF
[users]
wrtalice = management
wrtbob = revocation
wrtcarol = customer-relations

[revocation]
two_person = yes
backend = local

[local]
ca_cert = $WORK/certs/ca.pem
ca_key = $WORK/certs/ca.key
out_dir = $WORK/pub
EOF
chmod 644 "$CONF"
# The incident directory and the CA's: group-writable, as SQLite's WAL and
# several publishing operators need.
mkdir inc pub
chgrp wrtrust inc pub && chmod 2775 inc pub
DB=$WORK/inc/mre.db
A() { as_user wrtalice "$WARROOM" --config "$CONF" --db "$DB" "$@"; }
B() { as_user wrtbob "$WARROOM" --config "$CONF" --db "$DB" "$@"; }
C() { as_user wrtcarol "$WARROOM" --config "$CONF" --db "$DB" "$@"; }
events() { "$WARROOM" --db "$DB" log --json 2>/dev/null | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}'; }
revoked() { "$WARROOM" --db "$DB" status --json 2>/dev/null | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{counts}{revoked}'; }

run A init --name "Trust"
is "$RC" 0 "alice creates the incident with the team's config"
run A import certs/bundle.pem
is "$RC" 0 "alice imports 12 certificates"
discovered=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
run A declare --reason misissued --discovered "$discovered"
is "$RC" 0 "alice declares"
run "$WARROOM" --db "$DB" log --json
like "$(json_get "$OUT_FILE" 0.action) $(json_get "$OUT_FILE" 1.action)" "policy-pin" \
	"init pins the policy in the audit trail"
pinned=$("$WARROOM" --config "$CONF" --db "$DB" policy show --json | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{pinned_sha256}')
like "$pinned" '^[0-9a-f]{64}$' "policy show names the pinned policy's sha256"

# ---- 1. a ./warroom.conf planted in the group-writable incident directory ----------------------
cat >inc/warroom.conf <<EOF
[revocation]
backend = exec
[exec]
command = touch $WORK/inc/pwned; sed 's/\$/ revoked/' {serials_file}
EOF
chown wrtcarol:wrtrust inc/warroom.conf
chmod 664 inc/warroom.conf
run A authorize revoke --limit 5
is "$RC" 0 "alice authorizes 5 revocations"
n=$(events)
run sh -c "cd '$WORK/inc' && setpriv --reuid=wrtbob --regid=wrtrust --init-groups '$WARROOM' --db mre.db revoke --yes"
is "$RC" 2 "bob's revoke in the incident directory refuses carol's planted warroom.conf (exit 2)"
like "$ERR" "warroom\.conf.*refusing to trust it" "... saying it will not trust that file"
ok "... carol's command never ran" test ! -e "$WORK/inc/pwned"
is "$(revoked)" 0 "... nothing is recorded as revoked"
is "$(events)" "$n" "... and nothing at all is recorded"
chmod 644 inc/warroom.conf
chown root:root inc/warroom.conf
run sh -c "cd '$WORK/inc' && setpriv --reuid=wrtbob --regid=wrtrust --init-groups '$WARROOM' --db mre.db status"
is "$RC" 2 "even root's ./warroom.conf is refused in a directory others can write"
like "$ERR" "directory .*inc is writable by others" "... naming the directory"
rm -f inc/warroom.conf

# ---- 1b. a --config owned by another member, even one nobody else can write ----------------------
# conf/ is root's and writable by root alone; the file is carol's, mode 0644,
# with the pinned policy word for word: only its owner is wrong.
cp "$CONF" conf/carols.conf
chown wrtcarol:wrtrust conf/carols.conf
chmod 644 conf/carols.conf
carol_uid=$(id -u wrtcarol)
n=$(events)
run as_user wrtbob "$WARROOM" --config "$WORK/conf/carols.conf" --db "$DB" task done 2
is "$RC" 2 "bob's --config owned by carol (not root, not bob; mode 0644) is refused (exit 2)"
like "$ERR" "carols\.conf: owned by uid $carol_uid, neither root nor you: refusing to trust it" \
	"... naming the file and its owner"
is "$(events)" "$n" "... nothing is recorded"
run as_user wrtbob "$WARROOM" --config "$WORK/conf/carols.conf" --db "$DB" policy show
is "$RC" 2 "... not even read for policy show"
run as_user wrtcarol "$WARROOM" --config "$WORK/conf/carols.conf" --db "$DB" policy show --json
is "$RC" 0 "carol, its owner, may use it"
is "$(json_get "$OUT_FILE" matches)" true "... and its policy is the pinned one"
# A file of bob's own in a directory carol owns: she could swap it.
mkdir conf/bycarol
cp "$CONF" conf/bycarol/bob.conf
chown wrtbob:wrtrust conf/bycarol/bob.conf
chmod 644 conf/bycarol/bob.conf
chown wrtcarol:wrtrust conf/bycarol
chmod 755 conf/bycarol
run as_user wrtbob "$WARROOM" --config "$WORK/conf/bycarol/bob.conf" --db "$DB" policy show
is "$RC" 2 "bob's own config in a directory carol owns (mode 0755) is refused"
like "$ERR" "its directory .*bycarol is owned by another user" "... naming the directory"
rm -rf conf/carols.conf conf/bycarol

# ---- 2. a relaxed --config of carol's own -------------------------------------------------------
mkdir carol
cat >carol/relaxed.conf <<EOF
[users]
wrtcarol = management
[revocation]
two_person = no
backend = local
[local]
ca_cert = $WORK/certs/ca.pem
ca_key = $WORK/certs/ca.key
out_dir = $WORK/pub
EOF
chown -R wrtcarol carol && chmod 700 carol && chmod 600 carol/relaxed.conf
CR() { as_user wrtcarol "$WARROOM" --config "$WORK/carol/relaxed.conf" --db "$DB" "$@"; }
n=$(events)
run CR authorize revoke
is "$RC" 1 "carol cannot authorize with a relaxed --config of her own"
like "$ERR" "wrtcarol.*needs team 'management'" "... her role is the pinned one, not her config's"
run CR revoke --yes
is "$RC" 1 "... nor revoke with it"
cr_task=$("$WARROOM" --db "$DB" task list --team customer-relations --json | perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->[0]{id}')
run CR task done "$cr_task"
is "$RC" 1 "... nor even tick her own team's task under a config other than the pinned one"
like "$ERR" "differs from the one pinned" "... the policy differs from the pinned one"
run CR policy pin
is "$RC" 1 "... nor pin it: Management is judged by the pinned [users]"
like "$ERR" "wrtcarol.*management" "... the refusal names her and the team needed"
run CR task done 1
is "$RC" 1 "... nor tick a Management task"
is "$(events)" "$n" "none of it is recorded"
is "$(revoked)" 0 "nothing is revoked"

# ---- 3. a forged authorization through the command line -----------------------------------------
run as_user wrtcarol env WARROOM_USER=wrtalice "$WARROOM" --config "$CONF" --db "$DB" authorize revoke
is "$RC" 1 "carol cannot act as alice with WARROOM_USER"
like "$ERR" "user 'wrtcarol'" "... the actor is her real uid"
is "$(events)" "$n" "... nothing recorded"

# ---- 4. the two-person rule, and the real clock -------------------------------------------------
run A revoke --yes
is "$RC" 1 "alice may not execute her own authorization (two_person = yes)"
run as_user wrtbob env WARROOM_NOW=2020-01-01T00:00:00Z "$WARROOM" --config "$CONF" --db "$DB" revoke --yes
is "$RC" 0 "bob revokes under alice's authorization"
is "$(revoked)" 5 "... 5 certificates, the authorization's limit"
year_now=$(date -u +%Y)
run "$WARROOM" --db "$DB" certs --state revoked --json
like "$(json_get "$OUT_FILE" 0.revoked_at)" "^$year_now-" "WARROOM_NOW does not backdate revoked_at in a real incident"
entries=0
for f in pub/*.crl; do
	openssl crl -in "$f" -inform DER -CAfile certs/ca.pem -noout 2>/dev/null || fail "openssl verifies $f"
	openssl crl -in "$f" -inform DER -noout -text >>"$WORK/crl.txt" 2>/dev/null
done
entries=$(grep -c "Serial Number:" "$WORK/crl.txt")
is "$entries" 5 "openssl crl counts 5 revoked entries on the CA's CRLs"
file_unlike "$WORK/crl.txt" "Revocation Date: .* 2020 GMT" "... none dated by WARROOM_NOW"
run as_user wrtalice env WARROOM_NOW=2020-01-01T00:00:00Z "$WARROOM" --config "$CONF" --db "$DB" task done 2
is "$RC" 0 "alice ticks a task with WARROOM_NOW set"
run "$WARROOM" --db "$DB" log --limit 1 --json
like "$(json_get "$OUT_FILE" 0.at)" "^$year_now-" "... the event carries the real time"
# A fixture made under WARROOM_NOW follows it: that is what tests use.
WARROOM_NOW=2026-01-02T03:04:05Z "$WARROOM" --db "$WORK/fixture.db" init --name F >/dev/null 2>&1
run env WARROOM_NOW=2026-01-02T03:04:05Z "$WARROOM" --db "$WORK/fixture.db" status --json
is "$(json_get "$OUT_FILE" incident.now)" 2026-01-02T03:04:05Z "a database created under WARROOM_NOW follows it"

# ---- 5. the audit chain rewritten, backdated, cut short -----------------------------------------
run "$WARROOM" --db "$DB" audit verify
is "$RC" 0 "the chain holds"
python3 "$WR_E2E_DIR/syslog-sink.py" "$WORK/syslog.port" "$WORK/syslog.txt" &
PIDS="$PIDS $!"
until_ok 600 test -s "$WORK/syslog.port" || bail_out "the syslog sink did not start"
PORT=$(cat "$WORK/syslog.port")
{ cat "$CONF"; printf '\n[audit]\nsyslog = 127.0.0.1:%s\n' "$PORT"; } >conf/anchor.conf
chmod 644 conf/anchor.conf
run as_user wrtalice "$WARROOM" --config "$WORK/conf/anchor.conf" --db "$DB" audit anchor
is "$RC" 0 "audit anchor exits 0 (the [audit] section is not policy)"
anchor=$(printf '%s\n' "$OUT" | sed -n 's/^anchored: //p')
like "$anchor" '^[0-9]+:[0-9a-f]{64}$' "audit anchor prints COUNT:HASH"
until_ok 300 grep -q "head=" "$WORK/syslog.txt"
file_like "$WORK/syslog.txt" "^<85>.*warroom\[[0-9]+\]: audit anchor: db=.*mre\.db events=${anchor%%:*} head=${anchor#*:}$" \
	"the syslog server received the head, as RFC 3164 (authpriv.notice)"
run "$WARROOM" --db "$DB" audit verify --head "$anchor"
is "$RC" 0 "audit verify --head finds the anchored head"

cp "$DB" "$WORK/rewritten.db"
python3 "$WR_E2E_DIR/rechain.py" "$WORK/rewritten.db" \
	"UPDATE event SET details = replace(details, 'misissued', 'weak-key') WHERE action = 'declare'" >/dev/null
run "$WARROOM" --db "$WORK/rewritten.db" audit verify
is "$RC" 0 "a rewritten event with every later hash recomputed passes the plain chain (the known limit)"
run "$WARROOM" --db "$WORK/rewritten.db" audit verify --head "$anchor"
is "$RC" 1 "... but not the anchored head"
like "$ERR" "anchored head .* is not in this chain" "... which says so"

cp "$DB" "$WORK/cut.db"
sqlite3 "$WORK/cut.db" "DELETE FROM event WHERE id > (SELECT max(id) - 2 FROM event)"
run "$WARROOM" --db "$WORK/cut.db" audit verify
is "$RC" 0 "deleting the newest events leaves a chain that holds"
run "$WARROOM" --db "$WORK/cut.db" audit verify --head "$anchor"
is "$RC" 1 "... but the anchored head is gone"

cp "$DB" "$WORK/backdated.db"
python3 "$WR_E2E_DIR/rechain.py" "$WORK/backdated.db" \
	"UPDATE event SET at = at - 86400 WHERE id = (SELECT max(id) FROM event)" >/dev/null
run "$WARROOM" --db "$WORK/backdated.db" audit verify
is "$RC" 1 "a backdated event, hashes recomputed, fails audit verify"
like "$ERR" "dated [0-9]+ s before the event ahead of it" "... time runs backwards, it says"

# ---- 6. the CA key: never exposed, never copied -----------------------------------------------
chmod 0644 certs/ca.key
run B crl
isnt "$RC" 0 "a CA key that others can read is refused"
like "$ERR" "ca\.key holds a secret but others can read it" "... naming the file, not its content"
chmod 0640 certs/ca.key
run B crl
is "$RC" 0 "... and used again once it is 0640"
keyline=$(sed -n 2p certs/ca.key)
[ -n "$keyline" ] || bail_out "no key line"
sqlite3 "$DB" .dump >"$WORK/dump.sql"
"$WARROOM" --db "$DB" log --json >"$WORK/log.json"
cat "$OUT_FILE" "$ERR_FILE" "$WORK"/.run.* >"$WORK/outputs.txt" 2>/dev/null
leaks=$(grep -rlF -e "$keyline" "$WORK/dump.sql" "$WORK/log.json" "$WORK/outputs.txt" inc pub 2>/dev/null)
is "$leaks" "" "no part of the CA key is in the database, the timeline, the outputs or the published files"

run "$WARROOM" --db "$DB" audit verify --head "$(printf '%064d' 0)"
is "$RC" 1 "a head that never was fails"
run "$WARROOM" --db "$DB" audit verify --head nothex
is "$RC" 2 "a malformed --head is a usage error"

done_testing
