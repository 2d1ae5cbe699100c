#!/bin/sh
# policy-pin.t: a config whose policy is not the pinned one changes
# nothing, outside the database as in it. The local CA's out_dir (signed
# CRLs, index.txt, crls.txt, the CA's record) stays byte for byte as it
# was when crl runs under a relaxed --config (another shard_entries and
# crl_days): the refusal comes before a CRL is signed, not after, when
# the event recording it is refused. The same for the other commands that
# act outside the database before they write: ari (files), verify (the
# network), revoke (the backend's command). crl --forecast, which writes
# nothing, still runs; once Management pins the new policy, crl uses it.
. "$(dirname "$0")/lib.sh"
no_plan

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
needs openssl python3
[ -x "$WR_TOOLS/wr-mkcerts" ] || { echo "Bail out! no $WR_TOOLS/wr-mkcerts (make all builds it)"; exit 1; }

"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 0 --seed 7 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
HP=$(free_port)
mkconf() { # FILE SHARD_ENTRIES CRL_DAYS [EXTRA LINES]
	cat >"$1" <<EOF
[revocation]
backend = local
[local]
ca_cert = certs/ca.pem
ca_key = certs/ca.key
out_dir = pub
shard_entries = $2
crl_days = $3
${4:-}
EOF
}
mkconf pinned.conf 5 7
mkconf relaxed.conf 3 10 "crl_url = http://127.0.0.1:$HP/"
printf '[revocation]\nbackend = exec\n[exec]\ncommand = touch %s/ran; cat {serials_file}\n' \
	"$WORK" >exec.conf
DB=$WORK/wr.db
P() { "$WARROOM" --db "$DB" --config "$WORK/pinned.conf" "$@"; }
R() { "$WARROOM" --db "$DB" --config "$WORK/relaxed.conf" "$@"; }
events() { "$WARROOM" --db "$DB" log --json | perl -MJSON::PP -e 'local $/; print scalar @{decode_json(<STDIN>)}'; }
# Every file of out_dir, dot files too, with its bytes' checksum; the CA's
# record as SQL (its file changes with a checkpoint, its content must not).
snapshot() {
	(cd pub && find . -type f ! -name 'localca.db*' | LC_ALL=C sort |
		while read -r f; do printf '%s %s\n' "$f" "$(cksum <"$f")"; done)
	printf 'localca.db %s\n' "$(sqlite3 pub/localca.db .dump | cksum)"
}
refused() { # DESC: the last run was refused for the pinned policy
	is "$RC" 1 "$1: exit 1"
	like "$ERR" "policy of .*relaxed\.conf .* differs from the one pinned in this incident by .*; nothing was changed" \
		"... the policy differs from the pinned one, nothing was changed"
}

P init --name "Pinned" >/dev/null 2>&1 || bail_out "init failed"
P import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
P declare --reason misuse --discovered "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null 2>&1 ||
	bail_out "declare failed"
P authorize revoke --limit 4 >/dev/null 2>&1 || bail_out "authorize failed"
run P revoke --yes
is "$RC" 0 "4 certificates revoked under the pinned config"
run P crl --json
is "$(json_get "$OUT_FILE" crl_number)" 2 "crl under the pinned config publishes CRL number 2 (the revocation published 1)"
is "$(json_get "$OUT_FILE" shards)" 3 "... on 3 shards (shard_entries 5)"
snapshot >before.txt
like "$(cat before.txt)" "index\.txt .*" "the snapshot has index.txt"
like "$(cat before.txt)" "crls\.txt .*" "... crls.txt"
like "$(cat before.txt)" "shard-0\.crl .*" "... and the signed CRLs"
n=$(events)

# ---- crl under the relaxed config ---------------------------------------------------------------
run R crl
refused "crl under a relaxed --config"
snapshot >after.txt
ok "out_dir is byte for byte as it was: no CRL signed, index.txt and crls.txt untouched" \
	cmp -s before.txt after.txt
is "$(events)" "$n" "... nothing recorded"
run R crl --reshard
refused "crl --reshard under the relaxed config"
snapshot >after.txt
ok "... out_dir untouched" cmp -s before.txt after.txt
run R crl --out "$WORK/elsewhere"
refused "crl --out DIR under the relaxed config"
ok "... DIR is not even made" test ! -e "$WORK/elsewhere"

run R crl --forecast --json
is "$RC" 0 "crl --forecast, which publishes nothing, runs under the relaxed config"
is "$(json_get "$OUT_FILE" 0.file)" shard-0.crl "... and forecasts the CRLs"
snapshot >after.txt
ok "... out_dir untouched" cmp -s before.txt after.txt

# ---- the other commands that act before they write ---------------------------------------------
run R ari --out "$WORK/ari"
refused "ari under the relaxed config"
ok "... writes no renewalInfo file" test ! -e "$WORK/ari"

python3 -m http.server --bind 127.0.0.1 --directory pub "$HP" >http.log 2>&1 &
PIDS="$PIDS $!"
until_ok 100 python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$HP/crls.txt')" ||
	bail_out "http.server did not start"
requests=$(grep -c '"GET ' http.log)
run R verify
refused "verify under the relaxed config (its crl_url)"
is "$(grep -c '"GET ' http.log)" "$requests" "... fetches nothing from the relaxed config's crl_url"

P authorize revoke --limit 2 >/dev/null 2>&1 || bail_out "authorize 2 failed"
n=$(events)
run "$WARROOM" --db "$DB" --config "$WORK/exec.conf" revoke --yes
is "$RC" 1 "revoke under a config with another backend: exit 1"
like "$ERR" "policy of .*exec\.conf .* differs from the one pinned" "... the policy differs"
ok "... the exec backend's command never ran" test ! -e "$WORK/ran"
is "$(events)" "$n" "... nothing recorded"

run R task done 1
refused "task done under the relaxed config (the transaction's own check)"
run R policy show --json
is "$(json_get "$OUT_FILE" matches)" false "policy show (read-only) runs and says the policy differs"

# ---- the pinned config publishes on; Management pins the new policy -----------------------------
run P crl --json
is "$RC" 0 "crl under the pinned config"
is "$(json_get "$OUT_FILE" crl_number)" 3 "... CRL number 3: the refused runs used no number"
run R policy pin
is "$RC" 0 "Management pins the relaxed policy (no [users]: anyone may)"
run R crl --reshard --json
is "$RC" 0 "crl --reshard under the newly pinned policy"
is "$(json_get "$OUT_FILE" shards)" 4 "... 4 shards now (shard_entries 3)"
run P crl
is "$RC" 1 "the formerly pinned config is refused in turn"
like "$ERR" "policy of .*pinned\.conf .* differs from the one pinned" "... saying so"

stop_servers
done_testing
