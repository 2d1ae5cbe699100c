#!/bin/bash
# The revocation engine end to end, through the exec backend and a fake
# CA tool that keeps its own record (one directory per revoked serial,
# created atomically, so it answers "already" exactly as a real CA would):
# authorization and the two-person rule, failures and retries, delays,
# kill -9 in the middle of a 20,000-certificate run, and two runs at once.
set -u
WARROOM=${WARROOM:-$(cd "$(dirname "$0")/../.." && pwd)/build/warroom}
TOOLS=${WR_TOOLS:-$(dirname "$WARROOM")/tools}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
is()   { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1"; echo "#   got '$2', want '$3'"; fi; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
echo "1..30"

cd "$work"
cat > fake-ca.sh <<'SH'
#!/bin/sh
# fake-ca.sh SERIALS_FILE REASON: revokes each serial once, atomically
# (noclobber: the shell creates the record with O_EXCL, no fork; "true",
# not ":", because a failed redirection ends the shell on a special built-in).
store=${FAKE_CA_STORE:?}
set -C
while read -r s; do
  echo "$s $2" >> "$store/submitted.log"
  if [ -e "$store/fail7" ]; then
    case "$s" in *7) echo "$s failed refused by policy"; continue;; esac
  fi
  if { true > "$store/r/$s"; } 2>/dev/null; then
    echo "$s $2" >> "$store/revoked.log"; echo "$s revoked"
  else
    echo "$s already"
  fi
done < "$1"
sleep "${FAKE_CA_SLEEP:-0}"
SH
chmod +x fake-ca.sh
mkconf() { # mkconf FILE BATCH TWO_PERSON
  cat > "$1" <<CONF
[revocation]
backend = exec
batch = $2
two_person = $3
[exec]
command = $work/fake-ca.sh {serials_file} {reason}
[users]
root = management
alice = management
bob = revocation
CONF
}
newstore() { rm -rf "$1"; mkdir -p "$1/r"; : > "$1/submitted.log"; : > "$1/revoked.log"; }
disc=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)

# ---- small incident: authorization, failures, delays ----------------------
"$TOOLS/wr-mkcerts" --out small --count 300 --format pem --customers 6 --seed 7 >/dev/null
mkconf small.conf 40 yes
W="$WARROOM --db small.db --config small.conf"
export FAKE_CA_STORE=$work/store1; newstore "$FAKE_CA_STORE"
$W init --name "engine test" >/dev/null
$W import --customers small/customers.csv small/bundle.pem >/dev/null
$W declare --reason misuse --discovered "$disc" >/dev/null
live=$($W status --json | json "d['counts']['pending']")

WARROOM_USER=bob $W revoke --yes >out 2>err; rc=$?
is "revoke without an authorization fails" "$rc" 1
check "the refusal says to authorize" "grep -q 'authorize revoke' err"
is "nothing reached the CA" "$(wc -l < "$FAKE_CA_STORE/submitted.log")" 0
WARROOM_USER=bob $W authorize revoke >/dev/null 2>err; rc=$?
is "a revocation lead cannot authorize" "$rc" 1
check "the refusal names management" "grep -q management err"
WARROOM_USER=alice $W authorize revoke --limit 100 >/dev/null
WARROOM_USER=alice $W revoke --yes >/dev/null 2>err; rc=$?
is "two_person: the authorizer cannot execute" "$rc" 1
check "the refusal names the rule" "grep -q two_person err"
WARROOM_USER=bob $W revoke --dry-run > out
check "dry run counts what the authorization allows" "grep -q '100 certificates would be revoked' out"
is "dry run changes nothing" "$($W status --json | json "d['counts']['revoked']")" 0

cust=$($W certs --json | json "[c['customer'] for c in d][0]")
$W certs --customer "$cust" --json | json "'\n'.join(c['serial'] for c in d)" > held.txt
held=$(wc -l < held.txt)
WARROOM_USER=alice $W delay --customer "$cust" --until "$(date -u -d '+2 days' +%FT%TZ)" \
  --rationale "Hospital systems: replacement scheduled with the customer" > out
check "delay holds the customer's $held certificates" "grep -q 'held $held certificates' out"
is "status counts them delayed" "$($W status --json | json "d['counts']['delayed']")" "$held"

touch "$FAKE_CA_STORE/fail7"
WARROOM_USER=bob $W revoke --yes >out 2>err; rc=$?
got_failed=$($W certs --state failed --json | json "len(d)")
check "serials the CA refused are failed ($got_failed), exit 1" "[ $rc -eq 1 ] && [ $got_failed -gt 0 ]"
is "the authorization's limit holds" "$(wc -l < "$FAKE_CA_STORE/submitted.log")" 100
check "the error is recorded per certificate" "$W certs --state failed --json | grep -q 'refused by policy'"
check "held certificates were not submitted" "! cut -d' ' -f1 '$FAKE_CA_STORE/submitted.log' | grep -qxFf held.txt"
rm "$FAKE_CA_STORE/fail7"
WARROOM_USER=alice $W authorize revoke >/dev/null
# The engine counts its candidates through the indexes (held, failed and
# expired ones apart); sqlite3 counts them row by row.
want=$(sqlite3 small.db "SELECT (SELECT count(*) FROM cert WHERE state = 'pending'
  AND revoked_at IS NULL AND not_after >= unixepoch() AND (hold_until IS NULL
  OR hold_until <= unixepoch())) + (SELECT count(*) FROM cert WHERE state IN ('failed', 'submitted'))")
WARROOM_USER=bob $W revoke --dry-run > out
check "dry run: $want candidates, as sqlite3 counts them (held and failed apart)" \
  "grep -q 'dry run: $want certificates would be revoked' out"
WARROOM_USER=bob $W revoke --yes >out 2>err; rc=$?
is "the retry revokes the rest" "$rc" 0
is "all but the delayed are revoked" "$($W status --json | json "d['counts']['revoked']+d['counts']['delayed']")" "$live"
is "the CA revoked each exactly once" "$(cut -d' ' -f1 "$FAKE_CA_STORE/revoked.log" | sort | uniq -d | wc -l)" 0
check "the tool got the incident's CRLReason" "grep -q privilegeWithdrawn '$FAKE_CA_STORE/revoked.log'"

# ---- kill -9 in the middle of 20,000, then resume -------------------------
"$TOOLS/wr-mkcerts" --out big --count 20000 --format pem --customers 40 --seed 9 >/dev/null
mkconf big.conf 500 no
W="$WARROOM --db big.db --config big.conf"
export FAKE_CA_STORE=$work/store2; newstore "$FAKE_CA_STORE"
$W init --name "crash test" >/dev/null
$W import big/bundle.pem >/dev/null
$W declare --reason key-compromise --discovered "$disc" >/dev/null
$W authorize revoke >/dev/null
expect=$($W revoke --dry-run | awk '{print $3}')
FAKE_CA_SLEEP=0.15 $W revoke --yes >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(wc -l < "$FAKE_CA_STORE/revoked.log")" -lt 3000 ] && [ $i -lt 600 ]; do
  sleep 0.05; i=$((i + 1))
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
mid=$($W status --json | json "d['counts']['revoked']")
check "killed mid-run ($mid of $expect revoked)" "[ $mid -gt 0 ] && [ $mid -lt $expect ]"
sleep 0.5   # the orphaned tool finishes its batch, as a real CA would
$W revoke --yes > out 2>err; rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' out err
is "the resumed run succeeds" "$rc" 0
check "it took back what the dead run left submitted" "grep -q 'taken back' out"
is "every certificate is revoked" "$($W status --json | json "d['counts']['revoked']")" "$expect"
is "the CA revoked each exactly once" "$(cut -d' ' -f1 "$FAKE_CA_STORE/revoked.log" | sort | uniq -d | wc -l) $(wc -l < "$FAKE_CA_STORE/revoked.log")" "0 $expect"
check "the audit chain holds" "$W audit verify >/dev/null"

# ---- two runs at once never submit one certificate twice ------------------
export FAKE_CA_STORE=$work/store3; newstore "$FAKE_CA_STORE"
mkconf par.conf 100 no
W="$WARROOM --db par.db --config par.conf"
$W init --name "parallel" >/dev/null
$W import big/bundle.pem >/dev/null
$W declare --reason key-compromise --discovered "$disc" >/dev/null
$W authorize revoke >/dev/null
FAKE_CA_SLEEP=0.01 $W revoke --yes >out1 2>err1 & p1=$!
FAKE_CA_SLEEP=0.01 $W revoke --yes >out2 2>err2 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "both runs succeed" "$r1 $r2" "0 0"
is "no certificate was submitted twice" "$(cut -d' ' -f1 "$FAKE_CA_STORE/submitted.log" | sort | uniq -d | wc -l)" 0
check "all were revoked, and nobody saw 'locked'" "[ \$($W status --json | json \"d['counts']['revoked']\") -eq $expect ] && ! grep -qi locked err1 err2"
cat out1 out2 | sed 's/^/# /'
check "both runs did part of the work" "[ \$(grep -o 'revoked [0-9]*' out1 | cut -d' ' -f2) -gt 0 ] && [ \$(grep -o 'revoked [0-9]*' out2 | cut -d' ' -f2) -gt 0 ]"

[ $failed -eq 0 ]
