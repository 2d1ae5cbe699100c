#!/bin/sh
# cli-hostile.t: attacker-controlled text never reaches the terminal raw. A
# certificate whose CN holds ESC[2J, U+202E (RIGHT-TO-LEFT OVERRIDE) and a
# newline, and whose SAN holds ESC, is imported; so are a customer name, an
# incident name, a task owner and notes with control characters, and a
# rejected file whose name holds ESC and a newline. certs, certs --json,
# status, status --json, task list, log, log --json and import's stderr
# then hold no control byte (but newline between lines), no raw U+202E,
# no raw newline inside a field, and show visible escapes instead.
. "$(dirname "$0")/lib.sh"
no_plan

fixtures
ESC=$(printf '\033')
RLO=$(printf '\342\200\256')
NAME=$(printf 'Incident %s[2J%s evil\nsecond line' "$ESC" "$RLO")

# The visible forms we accept for ESC, U+202E and newline.
V_ESC='(\\{1,2}x1b|\\{1,2}u001b|\\{1,2}1b|\\{1,2}033|\\{1,2}e|\^\[)'
V_RLO='(\\{1,2}u202e|\\{1,2}x?e2\\{1,2}x?80\\{1,2}x?ae)'
V_NL='(\\{1,2}x0a|\\{1,2}u000a|\\{1,2}0a|\\{1,2}n)'

# Checks one output file: no dangerous byte, and (with ERE) a visible escape.
clean() { # FILE DESC
	no_control_bytes "$1" "$2: no control byte, no raw U+202E"
}
visible() { # FILE ERE DESC
	if grep -Eiq -- "$2" "$1"; then pass "$3"; else fail "$3" "$(head -c 600 "$1")"; fi
}

W init --name "$NAME" >/dev/null 2>&1 || bail_out "init failed"
run W import "$FX/hostile.pem" "$FX/leaf1.pem"
is "$RC" 0 "the hostile certificate imports (exit 0)"
like "$OUT" '2 added' "... with leaf1: 2 added"

printf 'serial,customer,contact\n1BAD,"Cust%s[31mRED%sX",ops@example\n' "$ESC" "$RLO" >"$WORK/c.csv"
run W import --customers "$WORK/c.csv"
is "$RC" 0 "a customer name with control characters imports"
run W declare --reason key-compromise --discovered now --note "$(printf 'note %s]0;pwned\007 %s end' "$ESC" "$RLO")"
is "$RC" 0 "declare with a hostile note exits 0"
clean "$OUT_FILE" "declare output"
run W task assign 1 "$(printf 'mal%s[2Jlory' "$ESC")"
is "$RC" 0 "a hostile owner is accepted"
clean "$OUT_FILE" "task assign output"
run W task note 2 "$(printf 'a%s[2Jb%sc\nd' "$ESC" "$RLO")"
is "$RC" 0 "a hostile note is accepted"

# ---- certs -------------------------------------------------------------------------------
run W certs
is "$RC" 0 "certs exits 0"
clean "$OUT_FILE" "certs"
is "$(wc -l <"$OUT_FILE" | tr -d ' ')" 3 "certs: header + 2 rows, no field split by a raw newline"
visible "$OUT_FILE" "evil$V_ESC\\[2J" "certs: ESC in the CN shows as a visible escape"
visible "$OUT_FILE" "x$V_RLO" "certs: U+202E in the CN shows as a visible escape"
visible "$OUT_FILE" "gnp\\.exe${V_NL}line2" "certs: the newline in the CN shows as a visible escape"
visible "$OUT_FILE" "Cust$V_ESC\\[31mRED" "certs: ESC in the customer shows as a visible escape"
run W certs --customer "$(printf 'Cust%s[31mRED%sX' "$ESC" "$RLO")"
like "$OUT" '^1BAD ' "certs --customer matches the hostile customer exactly"
clean "$OUT_FILE" "certs --customer"

run W certs --json
is "$RC" 0 "certs --json exits 0"
clean "$OUT_FILE" "certs --json"
ok "certs --json is JSON" json_valid "$OUT_FILE"
visible "$OUT_FILE" "evil$V_ESC\\[2J" "certs --json: ESC in the CN is escaped"
visible "$OUT_FILE" "x$V_RLO" "certs --json: U+202E in the CN is escaped"
visible "$OUT_FILE" "bad$V_ESC\\[31m\\.example" "certs --json: ESC in the SAN is escaped"
visible "$OUT_FILE" "gnp\\.exe${V_NL}line2" "certs --json: the newline in the CN is escaped"
serials=$(perl -MJSON::PP -e 'local $/; print join(" ", map { $_->{serial} } @{decode_json(<STDIN>)})' <"$OUT_FILE")
is "$serials" "1BAD 1001" "certs --json lists both certificates"
# Decoded, the fields still hold no raw ESC or newline: the escape is in the data, not only the transport.
raw=$(perl -MJSON::PP -e 'local $/; my $n = 0; for my $c (@{decode_json(<STDIN>)}) {
	for (qw(subject sans issuer)) { $n++ if defined $c->{$_} && $c->{$_} =~ /[\x00-\x1f\x7f]/ } } print $n' <"$OUT_FILE")
is "$raw" 0 "certs --json: decoded certificate fields hold no C0 control either"

# ---- status ---------------------------------------------------------------------------------
run W status
is "$RC" 0 "status exits 0"
clean "$OUT_FILE" "status"
like "$OUT" "^Incident +Incident " "status shows the name"
unlike "$OUT" "^second line" "status: the newline in the name does not start a line"
visible "$OUT_FILE" "Incident $V_ESC\\[2J" "status: ESC in the name is visible"
run W status --json
is "$RC" 0 "status --json exits 0"
clean "$OUT_FILE" "status --json"
ok "status --json is JSON" json_valid "$OUT_FILE"
visible "$OUT_FILE" "$V_RLO" "status --json: U+202E in the name is escaped"

# ---- tasks and the log -------------------------------------------------------------------------
run W task list
is "$RC" 0 "task list exits 0"
clean "$OUT_FILE" "task list"
visible "$OUT_FILE" "mal$V_ESC" "task list: the hostile owner is visible, escaped"
run W task list --json
clean "$OUT_FILE" "task list --json"
ok "task list --json is JSON" json_valid "$OUT_FILE"

run W log
is "$RC" 0 "log exits 0"
clean "$OUT_FILE" "log"
n=$(grep -Ec '^([0-9]{4}-[0-9]{2}-[0-9]{2} )?[0-9]{2}:[0-9]{2} ' "$OUT_FILE")
is "$(wc -l <"$OUT_FILE" | tr -d ' ')" "$n" "log: every line is an event (no field split by a newline)"
visible "$OUT_FILE" "note $V_ESC" "log: the declare note's ESC is visible"
visible "$OUT_FILE" "to mal$V_ESC\\[2Jlory" "log: the hostile owner is visible in the sentence, escaped"
visible "$OUT_FILE" ": \"a$V_ESC\\[2Jb" "log: the hostile note is visible in the sentence, escaped"
run W log --json
is "$RC" 0 "log --json exits 0"
clean "$OUT_FILE" "log --json"
ok "log --json is JSON" json_valid "$OUT_FILE"
run W log --grep "$(printf 'mal%s' "$ESC")"
clean "$OUT_FILE" "log --grep with a control character"

# ---- a hostile file name in import's messages ---------------------------------------------
hostile_file=$(printf 'evil%s[2J\nname.pem' "$ESC")
cp "$FX/garbage.bin" "$WORK/$hostile_file"
run W import "$WORK/$hostile_file"
is "$RC" 1 "a bad file with a hostile name is rejected (exit 1)"
clean "$ERR_FILE" "import's stderr"
clean "$OUT_FILE" "import's stdout"
is "$(wc -l <"$ERR_FILE" | tr -d ' ')" 1 "the rejection is one line"
visible "$ERR_FILE" "evil$V_ESC\\[2J${V_NL}name\\.pem" "the file name shows with visible escapes"

# ---- wr-mkcerts --hostile, when the tool is built -------------------------------------------
if [ -x "$WR_TOOLS/wr-mkcerts" ] &&
	"$WR_TOOLS/wr-mkcerts" --out "$WORK/mk" --count 12 --format both --hostile --seed 7 >/dev/null 2>&1; then
	"$WARROOM" --db "$WORK/mk.db" init --name MK >/dev/null 2>&1
	run "$WARROOM" --db "$WORK/mk.db" import --customers "$WORK/mk/customers.csv" "$WORK/mk"
	isnt "$RC" 2 "wr-mkcerts --hostile certificates import"
	for args in "certs" "certs --json" "status" "log"; do
		# shellcheck disable=SC2086
		run "$WARROOM" --db "$WORK/mk.db" $args
		clean "$OUT_FILE" "wr-mkcerts --hostile: $args"
	done
else
	missing "wr-mkcerts not built (or failed); the openssl fixtures above cover it"
fi

done_testing
