#!/bin/sh
# publish-shared.t: the local test CA published by two operators of one
# group, as real OS users (wrpub1, wrpub2 of wrpubgrp), each with umask
# 022, sharing one incident directory (root:wrpubgrp 2775) and one
# root-owned config. wrpub1 revokes, wrpub2 then reissues the CRLs and
# revokes more: both succeed, out_dir is made 2775 and every file in it
# (the lock, the CA's record localca.db, index.txt, the CRLs) is
# group-writable; `openssl crl` verifies each CRL against the CA and
# counts the entries. A publication waiting for the lock gives up after
# [local] lock_timeout seconds naming the holder the lock file records
# (a paused warroom run of wrpub1's; a flock(1) holder); a symbolic link
# planted by wrpub2 as .publish.lock or localca.db, pointing at a file of
# wrpub1's, is refused by name and the file is untouched; a world-readable
# CA key is refused. The users and the group are removed when the test
# ends, whether it passes or not.
. "$(dirname "$0")/lib.sh"
no_plan

needs_root
needs openssl sqlite3 flock setpriv useradd userdel groupadd groupdel stat pgrep timeout make hostname
[ -x "$WR_TOOLS/wr-mkcerts" ] || bail_out "no $WR_TOOLS/wr-mkcerts (make all builds it)"

U1=wrpub1
U2=wrpub2
G=wrpubgrp
# Removed when the test ends (lib.sh), whether it passes or not.
os_group $G
os_user $U1 $G
os_user $U2 $G

# The path down to the work directory is everyone's to walk, nobody's to
# write; the incident directory is the group's.
chmod 755 "$WORK"
mkdir -p conf certs inc home1
chmod 755 conf certs
chown root:$G inc
chmod 2775 inc
chown $U1 home1
chmod 700 home1

"$WR_TOOLS/wr-mkcerts" --out certs --count 12 --format pem --expired-percent 0 --seed 5 \
	>/dev/null 2>&1 || bail_out "wr-mkcerts failed"
is "$(stat -c %a certs/ca.key)" 600 "wr-mkcerts writes the CA key 0600"
chgrp $G certs/ca.key
chmod 640 certs/ca.key

CONF=$WORK/conf/warroom.conf
PUB=$WORK/inc/pub
DB=$WORK/inc/wr.db
cat >"$CONF" <<EOF
[users]
root = management
$U1 = revocation
$U2 = revocation
[revocation]
backend = local
[local]
ca_cert = $WORK/certs/ca.pem
ca_key = $WORK/certs/ca.key
out_dir = $PUB
shard_entries = 5
lock_timeout = 2
EOF
chmod 644 "$CONF"

# as USER ARGS...: warroom as USER, with umask 022 and the shared config.
# timeout bounds a run that would wait for a lock forever.
as() {
	_u=$1
	shift
	timeout 60 setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- \
		sh -c 'umask 022; exec "$@"' sh "$WARROOM" --db "$DB" --config "$CONF" "$@"
}
R() { "$WARROOM" --db "$DB" --config "$CONF" "$@"; }
# crl_count FILE: "verify OK" and the number of entries, from openssl.
crl_count() {
	openssl crl -in "$1" -inform DER -CAfile certs/ca.pem -noout >"$WORK/v.txt" 2>&1 &&
		grep -q '^verify OK' "$WORK/v.txt" || { echo "unverified"; return; }
	openssl crl -in "$1" -inform DER -noout -text | grep -c 'Serial Number:'
}
entries() { # [DIR]: the entries of every shard DIR/crls.txt names, each verified
	_d=${1:-$PUB}
	_t=0
	for _f in $(cat "$_d/crls.txt"); do
		_n=$(crl_count "$_d/$_f")
		[ "$_n" = unverified ] && { echo "$_f does not verify"; return; }
		_t=$((_t + _n))
	done
	echo $_t
}

DISC=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
umask 022
R init --name "Shared publication" >/dev/null 2>&1 || bail_out "init failed"
R import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
R declare --reason misuse --discovered "$DISC" >/dev/null 2>&1 || bail_out "declare failed"
R authorize revoke --limit 5 >/dev/null 2>&1 || bail_out "authorize failed"

# ---- wrpub1 revokes: out_dir and its files are the group's ---------------------------
run as $U1 revoke --yes
is "$RC" 0 "$U1 revokes through the local backend"
like "$OUT" "revoked 5 certificates" "... 5 of them"
[ "$RC" = 0 ] || diag "$ERR"
is "$(mode_of "$PUB")" 2775 "out_dir made 2775 (group-writable, setgid) under umask 022"
is "$(stat -c %G "$PUB")" $G "... of the group"
is "$(mode_of "$PUB/.publish.lock")" 664 ".publish.lock is group-writable"
is "$(mode_of "$PUB/localca.db")" 664 "the CA's record localca.db is group-writable"
is "$(stat -c %G "$PUB/localca.db")" $G "... and the group's"
for f in index.txt index.txt.attr crls.txt shard-0.crl shard-0.pem; do
	is "$(mode_of "$PUB/$f")" 664 "$f is group-writable (and public)"
done
for f in localca.db-wal localca.db-shm; do
	[ -e "$PUB/$f" ] && is "$(mode_of "$PUB/$f")" 664 "$f is group-writable"
done
is "$(stat -c %s "$PUB/.publish.lock")" 0 "the lock names no holder once released"
is "$(entries)" 5 "openssl verifies every CRL: 5 entries in all"

# ---- wrpub2 publishes over wrpub1's files, then revokes --------------------------------
run as $U2 crl
is "$RC" 0 "$U2 reissues the CRLs over $U1's files"
[ "$RC" = 0 ] || diag "$ERR"
like "$OUT" "3 shards, 5 entries" "... 3 shards, the same 5 entries"
is "$(stat -c %U "$PUB/shard-0.crl")" $U2 "shard-0.crl is $U2's now"
is "$(mode_of "$PUB/shard-0.crl")" 664 "... and group-writable"
R authorize revoke --limit 4 >/dev/null 2>&1 || bail_out "authorize 2 failed"
run as $U2 revoke --yes
is "$RC" 0 "$U2 revokes into $U1's record"
like "$OUT" "revoked 4 certificates" "... 4 more"
[ "$RC" = 0 ] || diag "$ERR"
is "$(entries)" 9 "openssl verifies every CRL: 9 entries in all"
is "$(sqlite3 "$PUB/localca.db" 'SELECT count(*) FROM revoked')" 9 "the record holds 9"

# ---- the lock: waited for lock_timeout seconds, its holder named -----------------------
# Held by another program, with a holder line written by hand: the
# shell's flock(1) on a descriptor that `sleep` inherits, so killing that
# one process releases it.
printf 'mallory (pid 4242 on elsewhere, since 2026-11-25T07:53:34Z)\n' >"$PUB/.publish.lock"
(exec 9<>"$PUB/.publish.lock" && flock -x 9 && exec sleep 60) &
LOCKER=$!
PIDS="$PIDS $LOCKER"
until_ok 50 sh -c "! flock -n '$PUB/.publish.lock' true" || fail "flock(1) did not take the lock"
t0=$(date +%s.%N)
run as $U2 crl
t1=$(date +%s.%N)
isnt "$RC" 0 "a lock held by another program makes crl fail"
like "$ERR" "$PUB/\\.publish\\.lock is held by mallory \\(pid 4242 on elsewhere, since 2026-11-25T07:53:34Z\\): waited 2 s" \
	"... naming whom the lock file names, and the wait"
ok "... after about lock_timeout (2 s), not forever" \
	perl -e 'exit !($ARGV[1] - $ARGV[0] >= 1.8 && $ARGV[1] - $ARGV[0] < 8)' "$t0" "$t1"

# A warroom run of wrpub1's holding the lock, paused: sqlite3 holds the
# CA record's write lock (a busy timeout of its own, since the probe
# takes it for a moment too); wrpub1's run starts while flock(1) still
# holds the publication lock, opens the record (reading needs no write
# lock) and polls; flock(1) lets go, and wrpub1's run takes the lock,
# records itself in it and waits for the record. wrpub2 meanwhile must
# learn who holds it.
waiting_warroom() { # wrpub1's warroom has the lock file open
	for _p in $(pgrep -u $U1 -x warroom); do
		ls -l "/proc/$_p/fd" 2>/dev/null | grep -q -- "$PUB/\.publish\.lock" && return 0
	done
	return 1
}
record_locked() { ! sqlite3 "$PUB/localca.db" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; }
printf '.timeout 5000\nBEGIN IMMEDIATE;\n.shell sleep 8\nCOMMIT;\n' |
	sqlite3 "$PUB/localca.db" >/dev/null 2>&1 &
HOLD=$!
PIDS="$PIDS $HOLD"
until_ok 50 record_locked || fail "sqlite3 did not take the record's write lock"
# Not through as(): $! must be timeout's, which passes a kill on.
timeout 60 setpriv --reuid=$U1 --regid="$(id -g $U1)" --init-groups -- \
	sh -c 'umask 022; exec "$@"' sh "$WARROOM" --db "$DB" --config "$CONF" crl \
	>"$WORK/first.out" 2>"$WORK/first.err" &
FIRST=$!
PIDS="$PIDS $FIRST"
until_ok 100 waiting_warroom || fail "$U1's run never reached the lock"
kill "$LOCKER"
wait "$LOCKER" 2>/dev/null
PIDS="$HOLD $FIRST"
until_ok 50 grep -q "^$U1 (" "$PUB/.publish.lock" || fail "$U1's run did not record itself in the lock"
note "lock: $(cat "$PUB/.publish.lock")"
like "$(cat "$PUB/.publish.lock")" "^$U1 \\(pid [0-9]+ on [^ ]+, since 20[0-9-]{8}T[0-9:]{8}Z\\)\$" \
	"the holder wrote itself into the lock: user, pid, host, time"
t0=$(date +%s.%N)
run as $U2 crl
t1=$(date +%s.%N)
isnt "$RC" 0 "$U2's crl fails while $U1's run holds the lock"
like "$ERR" "$PUB/\\.publish\\.lock is held by $U1 \\(pid [0-9]+ on $(hostname), since 20[0-9-]{8}T[0-9:]{8}Z\\): waited 2 s" \
	"... naming $U1 from the lock file, with pid, host and time"
ok "... after about lock_timeout (2 s)" \
	perl -e 'exit !($ARGV[1] - $ARGV[0] >= 1.8 && $ARGV[1] - $ARGV[0] < 8)' "$t0" "$t1"
wait "$FIRST"
is "$?" 0 "$U1's paused run completes once the record is free"
wait "$HOLD" 2>/dev/null
PIDS=
is "$(stat -c %s "$PUB/.publish.lock")" 0 "... and leaves the lock naming nobody"

# ---- planted links: refused, the target untouched ----------------------------------------
printf 'precious\n' >home1/victim
chown $U1 home1/victim
chmod 600 home1/victim
VSUM=$(sha_of home1/victim)
as_user $U2 sh -c "rm -f '$PUB/.publish.lock' && ln -s '$WORK/home1/victim' '$PUB/.publish.lock'" ||
	fail "$U2 could not plant the link"
run as $U1 crl
isnt "$RC" 0 "a symbolic link planted as .publish.lock is refused"
like "$ERR" "$PUB/\\.publish\\.lock is a symbolic link: refusing to follow it" "... with a clear message"
is "$(sha_of home1/victim)" "$VSUM" "... and $U1's file it points at is unchanged"
is "$(mode_of home1/victim)" 600 "... mode too"
rm -f "$PUB/.publish.lock"

# An empty file of wrpub1's: SQLite would write a database into it.
: >home1/empty
chown $U1 home1/empty
chmod 600 home1/empty
as_user $U2 sh -c "mv '$PUB/localca.db' '$PUB/saved.db' && ln -s '$WORK/home1/empty' '$PUB/localca.db'" ||
	fail "$U2 could not plant the link"
run as $U1 crl
isnt "$RC" 0 "a symbolic link planted as localca.db is refused"
like "$ERR" "$PUB/localca\\.db is a symbolic link: refusing to follow it" "... with a clear message"
is "$(stat -c %s home1/empty)" 0 "... and $U1's file it points at is still empty"
is "$(mode_of home1/empty)" 600 "... mode unchanged"
rm -f "$PUB/localca.db"
mv "$PUB/saved.db" "$PUB/localca.db"
run as $U1 crl
is "$RC" 0 "the record back in place, crl works again"
is "$(entries)" 9 "... with the same 9 entries"

# ---- the CA key is a secret -----------------------------------------------------------------
chmod 644 certs/ca.key
run as $U1 crl
isnt "$RC" 0 "a world-readable CA key is refused"
like "$ERR" "ca_key.*others can read it" "... saying so"
chmod 640 certs/ca.key

# ---- installed setgid: crl --out is written with the user's own rights ---------------------
# `make install SHARED_GROUP` into a private PREFIX, as shared-mode.t: the
# config's out_dir is written with the warroom group's rights; a
# directory wrpub1 names is written with wrpub1's, so a directory only
# the group may write stays untouched.
SG=wrpubsg
os_group $SG
INST=$WORK/inst
flock /tmp/warroom-e2e-install.lock make --no-print-directory -s -C "$WR_REPO" install PREFIX="$INST" SHARED_GROUP=$SG \
	>"$WORK/install.log" 2>&1 || { cat "$WORK/install.log" >&2; bail_out "make install SHARED_GROUP failed"; }
WRI=$INST/bin/warroom
ETC=$INST/etc/warroom
VAR=$INST/var/lib/warroom
install -o root -g $SG -m 0640 certs/ca.key "$ETC/ca.key"
install -o root -g $SG -m 0644 certs/ca.pem "$ETC/ca.pem"
cat >"$ETC/warroom.conf" <<EOF
[users]
root = management
$U1 = revocation
[revocation]
backend = local
[local]
ca_cert = $ETC/ca.pem
ca_key = $ETC/ca.key
out_dir = $VAR/pub
EOF
chown root:$SG "$ETC/warroom.conf"
chmod 0640 "$ETC/warroom.conf"
IDB=$VAR/inc.db
I() { "$WRI" --db "$IDB" "$@"; }
I init --name "Installed" >/dev/null 2>&1 || bail_out "installed init failed"
I import certs/bundle.pem >/dev/null 2>&1 || bail_out "installed import failed"
I declare --reason misuse --discovered "$DISC" >/dev/null 2>&1 || bail_out "installed declare failed"
I authorize revoke --limit 3 >/dev/null 2>&1 || bail_out "installed authorize failed"
IU() {
	timeout 60 setpriv --reuid=$U1 --regid="$(id -g $U1)" --init-groups -- \
		sh -c 'umask 022; exec "$@"' sh "$WRI" --db "$IDB" "$@"
}
run IU revoke --yes
is "$RC" 0 "installed: $U1 revokes; out_dir from the config is written with the group's rights"
[ "$RC" = 0 ] || diag "$ERR"
is "$(stat -c %G "$VAR/pub/crls.txt" 2>/dev/null)" $SG "... its files are the warroom group's"
mkdir -p grouponly/sub
chown root:$SG grouponly grouponly/sub
chmod 2775 grouponly grouponly/sub
run IU crl --out "$WORK/grouponly/sub"
isnt "$RC" 0 "installed: crl --out into a directory only the group may write is refused"
like "$ERR" "grouponly/sub: not writable" "... as $U1 could not write it"
run IU crl --out "$WORK/grouponly/new"
isnt "$RC" 0 "... nor may warroom make a directory there for $U1"
is "$(ls -A grouponly/sub; ls -d grouponly/new 2>/dev/null)" "" "... nothing was written there"
run IU crl --out "$WORK/home1/out"
is "$RC" 0 "installed: crl --out into $U1's own directory works"
[ "$RC" = 0 ] || diag "$ERR"
is "$(stat -c '%U %G' home1/out/crls.txt 2>/dev/null)" "$U1 $G" "... its files are $U1's, not the group's"
is "$(entries home1/out)" 3 "openssl verifies the CRLs written there: 3 entries"

done_testing
