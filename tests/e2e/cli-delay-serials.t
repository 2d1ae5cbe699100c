#!/bin/sh
# cli-delay-serials.t: `warroom delay --serials FILE` takes one serial a
# line, whole lines only. A line longer than any serial, with bad hex or
# with more than one word is rejected as FILE:LINE and holds nothing, even
# when part of it is a real serial: before, 512-byte reads split a long
# line and held its tail. Blank lines and # comments are skipped; control
# bytes in a rejected line never reach the terminal.
. "$(dirname "$0")/lib.sh"
no_plan

"$WR_TOOLS/wr-mkcerts" --out certs --count 8 --format pem --seed 11 >/dev/null ||
	bail_out "wr-mkcerts failed"
W init --name "Delay serials" >/dev/null 2>&1 || bail_out "init failed"
W import certs/bundle.pem >/dev/null 2>&1 || bail_out "import failed"
W certs --json >all.json || bail_out "certs --json failed"
for i in 0 1 2 3 4 5; do
	eval "S$i=\$(json_get all.json $i.serial)"
done
[ -n "$S5" ] || bail_out "fewer than 6 certificates"
UNTIL=$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)

pad() { # N CHAR: N copies of CHAR
	perl -e 'print $ARGV[1] x $ARGV[0]' "$1" "$2"
}
{
	echo "# serials to hold"                    # 1
	echo ""                                     # 2
	echo "$S0"                                  # 3: held
	printf '  %s  \r\n' "$S1"                   # 4: held (spaces, CRLF)
	# 5: a comment longer than 511 bytes whose tail is a serial
	printf '# %s%s\n' "$(pad 509 x)" "$S2"
	# 6: 511 bad-but-hex digits, then a serial: too long as a whole
	printf '%s%s\n' "$(pad 511 F)" "$S3"
	printf '0 %s\n' "$S4"                       # 7: two words
	printf '%s extra\n' "$S5"                   # 8: two words
	printf 'ZZ\033[2J\007\342\200\256\n'        # 9: bad hex, hostile bytes
	printf '%s\n' "$(pad 3000 A)"               # 10: far too long
} >serials.txt

run W delay --serials serials.txt --until "$UNTIL" --rationale "replacement scheduled"
isnt "$RC" 0 "rejected lines make delay fail"
like "$OUT" "^held 2 certificates" "only the two good lines hold certificates"

W certs --state held --json >held.json || fail "certs --state held"
held=$(perl -MJSON::PP -e 'local $/; print join(" ", sort map { $_->{serial} } @{decode_json(<STDIN>)})' <held.json)
want=$(printf '%s\n%s\n' "$S0" "$S1" | sort | tr '\n' ' ' | sed 's/ $//')
is "$held" "$want" "exactly the two good serials are held"
for i in 2 3 4 5; do
	eval "s=\$S$i"
	is "$(W certs --json | perl -MJSON::PP -e 'local $/; for (@{decode_json(<STDIN>)}) { print defined $_->{hold_until} ? "held" : "free" if $_->{serial} eq $ARGV[0] }' "$s")" \
		free "S$i, inside a rejected line, is not held"
done

for l in 6 7 8 9 10; do
	like "$ERR" "serials\.txt:$l: expected one serial in hex, got" "line $l is rejected as FILE:LINE"
done
unlike "$ERR" "serials\.txt:(1|2|3|4|5):" "comments (even a long one), blank lines and good serials are not rejected"
unlike "$ERR" "serials\.txt:1[1-9]" "a long line counts as one line"
no_control_bytes "$ERR_FILE" "no control byte of a rejected line reaches the terminal"
long=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$ERR_FILE")
ok "a rejected line is shown shortened ($long bytes at most)" test "$long" -lt 300

run W log --grep delay --json
is "$(json_get "$OUT_FILE" 0.details.held)" 2 "the delay event counts 2 held"

done_testing
