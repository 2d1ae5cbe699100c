#!/bin/sh
# cli-config.t: warroom.conf: where it is read from (--config, then
# $WARROOM_CONFIG, then ./warroom.conf), bad lines (FILE:LINE: what was
# wrong, exit 2, nothing done), and the [mre] thresholds taking effect.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
W init --name "Config test" --active-total 4 >/dev/null 2>&1 || bail_out "init failed"
cp "$DB" "$WORK/orig.db"

# ---- the fixture: bad.conf line 3 -------------------------------------------------
run W --config "$FX/bad.conf" status
is "$RC" 2 "bad.conf: exit 2"
like "$ERR" "bad\.conf:3: .*lots" "bad.conf: names bad.conf:3 and the bad value"
is "$OUT" "" "bad.conf: status printed nothing"

run W --config "$FX/bad.conf" task done 1
is "$RC" 2 "bad.conf: task done exits 2"
ok "bad.conf: the database is untouched" same_file "$DB" "$WORK/orig.db"

# ---- bad lines, one by one ---------------------------------------------------------
badconf() { # NAME LINE ERE DESC TEXT (a printf format)
	printf "$5" >"$WORK/$1"
	run W --config "$WORK/$1" status
	is "$RC" 2 "$4: exit 2"
	like "$ERR" "$WORK/$1:$2: .*$3" "$4: names $1:$2"
}
badconf syntax.conf 2 "" "a line that is not key = value" \
	'[mre]\nabsolute 100\n'
badconf int.conf 3 "ten" "a whole number that is not" \
	'# thresholds\n[mre]\nabsolute = ten\n'
badconf neg.conf 2 "-5" "a negative number" \
	'[mre]\nabsolute = -5\n'
badconf pct.conf 2 "150" "a percentage over 100" \
	'[mre]\nshare_percent = 150\n'
badconf key.conf 3 "absolut" "an unknown key (a typo)" \
	'[mre]\nabsolute = 5\nabsolut = 5\n'
badconf sect.conf '[12]' "nosuch" "an unknown section" \
	'[nosuch]\nkey = 1\n'
badconf user.conf 3 "bad user" "a user name with a space" \
	'[users]\nalice = management\nbad user = revocation\n'
badconf noteam.conf 2 "bob" "a user without teams" \
	'[users]\nbob =\n'

run W --config "$WORK/missing.conf" status
is "$RC" 2 "a missing --config file: exit 2"
like "$ERR" "missing\.conf" "a missing --config file: names it"

# ---- where the config comes from ---------------------------------------------------------
run env WARROOM_CONFIG="$FX/bad.conf" "$WARROOM" --db "$DB" status
is "$RC" 2 "\$WARROOM_CONFIG is read"
like "$ERR" "bad\.conf:3:" "\$WARROOM_CONFIG's bad line is named"

printf '[mre]\nabsolute = 1\n' >"$WORK/good.conf"
run env WARROOM_CONFIG="$FX/bad.conf" "$WARROOM" --config "$WORK/good.conf" --db "$DB" status
is "$RC" 0 "--config wins over \$WARROOM_CONFIG"

mkdir "$WORK/cwd"
cp "$FX/bad.conf" "$WORK/cwd/warroom.conf"
run sh -c "cd '$WORK/cwd' && exec '$WARROOM' --db '$DB' status"
is "$RC" 2 "./warroom.conf is read when nothing else names a config"
like "$ERR" "warroom\.conf:3:" "./warroom.conf's bad line is named"
run sh -c "cd '$WORK/cwd' && WARROOM_CONFIG='$WORK/good.conf' exec '$WARROOM' --db '$DB' status"
is "$RC" 0 "\$WARROOM_CONFIG wins over ./warroom.conf"

ok "no bad config changed the database" same_file "$DB" "$WORK/orig.db"

# ---- [mre] thresholds take effect --------------------------------------------------------------
W import "$FX/leaf1.pem" "$FX/leaf2.pem" >/dev/null 2>&1
criterion() { # FILE ID: met of criterion ID
	perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0]; for (@{decode_json(<$f>)->{mre}{criteria}}) {
		print $_->{met} ? "true" : "false", "\n" if $_->{id} eq $ARGV[1] }' "$1" "$2"
}
run W status --json
is "$(criterion "$OUT_FILE" absolute)" false "default threshold: 2 certificates are not 100"
is "$(criterion "$OUT_FILE" share)" true "default share: 2 of 4 active is over 1%"
printf '[mre]\nabsolute = 2\nshare_percent = 75\n' >"$WORK/mre.conf"
run W --config "$WORK/mre.conf" status --json
is "$RC" 0 "status with [mre] absolute = 2 exits 0"
is "$(criterion "$OUT_FILE" absolute)" true "[mre] absolute = 2: 2 certificates meet it"
is "$(criterion "$OUT_FILE" share)" false "[mre] share_percent = 75: 50% does not"
like "$(json_get "$OUT_FILE" mre.criteria.0.detail)" "threshold 2" "the detail shows the configured threshold"

done_testing
