# lib.sh: shared helpers for the end-to-end TAP scripts (POSIX sh).
#
#   . "$(dirname "$0")/lib.sh"
#
# Sourcing it:
#   - sets WR_E2E_DIR (this directory), WR_REPO (the repository),
#     WARROOM (default: $WR_REPO/build/warroom, made absolute), WR_TOOLS
#     (default: $WR_REPO/build/tools) and WR_FIXTURES (tests/fixtures);
#   - makes a private work directory WORK (mktemp -d), removed on exit
#     (kept when WR_KEEP=1), and cd's into it so nothing depends on the
#     caller's directory (warroom reads ./warroom.conf and ./warroom.db);
#   - unsets WARROOM_DB, WARROOM_CONFIG, WARROOM_USER and WARROOM_NOW so a
#     developer's environment cannot leak into a test.
#   - points XDG_STATE_HOME into WORK, where the console keeps what each
#     user has seen of the timeline.
#
# TAP:   plan N | no_plan ... done_testing
#        ok DESC CMD...        passes when CMD exits 0
#        nok DESC CMD...       passes when CMD exits non-zero
#        is GOT WANT DESC      string equality
#        isnt GOT UNWANTED DESC
#        like GOT ERE DESC     grep -E on GOT (any line)
#        unlike GOT ERE DESC
#        pass DESC | fail DESC | skip DESC | diag TEXT | note TEXT | bail_out WHY
# Running: run CMD...  captures stdout in $OUT (file $OUT_FILE), stderr in
#        $ERR (file $ERR_FILE), the exit status in $RC; never fails itself.
# Files: file_like FILE ERE DESC, file_unlike FILE ERE DESC,
#        no_control_bytes FILE DESC (no C0 but \n, no DEL, no C1, no bidi or
#        line-separator characters, no invalid UTF-8), mode_of FILE,
#        same_file A B (byte-identical), sha_of FILE.
# JSON:  json_get FILE PATH   prints the value at PATH ("a.b.0.c"; arrays by
#        index): strings raw, numbers as written, true/false/null as words,
#        arrays and objects as compact JSON; exit 2 when PATH is absent.
#        json_valid FILE
# Needs only sh, grep, cmp, stat and perl (JSON::PP is in perl's core).
# The counters live in shell variables: call the TAP functions from the
# script's own shell, never inside a pipeline or $(...), or the counts
# are lost with the subshell.

WR_E2E_DIR=${WR_E2E_DIR:-$(cd "$(dirname "$0")" && pwd)}
WR_REPO=${WR_REPO:-$(cd "$WR_E2E_DIR/../.." && pwd)}
WR_FIXTURES=${WR_FIXTURES:-$WR_REPO/tests/fixtures}
WARROOM=${WARROOM:-$WR_REPO/build/warroom}
WR_TOOLS=${WR_TOOLS:-$WR_REPO/build/tools}
case $WARROOM in /*) ;; *) WARROOM=$(pwd)/$WARROOM ;; esac
case $WR_TOOLS in /*) ;; *) WR_TOOLS=$(pwd)/$WR_TOOLS ;; esac
export WARROOM WR_TOOLS
unset WARROOM_DB WARROOM_CONFIG WARROOM_USER WARROOM_NOW

_tap_n=0
_tap_failed=0
_tap_planned=

plan() {
	_tap_planned=$1
	echo "1..$1"
}
no_plan() { _tap_planned=; }

diag() { for _l in "$@"; do printf '%s\n' "$_l"; done | sed 's/^/# /' >&2; }
note() { for _l in "$@"; do printf '%s\n' "$_l"; done | sed 's/^/# /'; }

bail_out() {
	echo "Bail out! $*"
	exit 255
}

pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# A missing precondition is a failure, never a skip: what CI cannot check
# must show as red, not pass unseen.
missing() {
	fail "precondition: $1"
}

# needs CMD...: ends the test as a failure when a program is missing.
needs() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 && continue
		echo "Bail out! $_c is not installed (scripts/install-deps installs it)"
		exit 1
	done
}

# needs_root: WARROOM_USER (acting as another user) is honoured for root only.
needs_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	echo "Bail out! this test acts as other users with WARROOM_USER: run it as root"
	exit 1
}

ok() {
	_d=$1
	shift
	if "$@"; then pass "$_d"; else fail "$_d" "command failed: $*"; fi
}

nok() {
	_d=$1
	shift
	if "$@"; then fail "$_d" "command succeeded: $*"; else pass "$_d"; fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "     got: '$1'" "expected: '$2'"
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		pass "$3"
	else
		fail "$3" "got '$1', which it should not be"
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3" "   '$1'" "doesn't match /$2/"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3" "   '$1'" "matches /$2/ but should not"
	else
		pass "$3"
	fi
}

done_testing() {
	[ -z "$_tap_planned" ] && echo "1..$_tap_n"
	[ -n "$_tap_planned" ] && [ "$_tap_planned" != "$_tap_n" ] &&
		diag "planned $_tap_planned tests but ran $_tap_n"
	[ $_tap_failed -gt 254 ] && _tap_failed=254
	exit $_tap_failed
}

# ---- servers a test starts on 127.0.0.1 -------------------------------------
# Add each server's PID to PIDS; they are stopped when the test ends.
PIDS=
stop_servers() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# until_ok TRIES CMD...: retries CMD every 0.1 s.
until_ok() {
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# ---- the work directory ------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/wr-e2e.XXXXXX") || bail_out "mktemp -d failed"
_wr_cleanup() {
	stop_servers
	cd / 2>/dev/null
	for _u in $_WR_OSUSERS; do userdel "$_u" >/dev/null 2>&1; done
	for _g in $_WR_OSGROUPS; do groupdel "$_g" >/dev/null 2>&1; done
	if [ "${WR_KEEP:-0}" = 1 ]; then
		echo "# kept $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap _wr_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE
cd "$WORK" || bail_out "cannot enter $WORK"
# The console records what each user has seen under XDG_STATE_HOME (see
# warroom(1), FILES): a test's record stays in its work directory.
XDG_STATE_HOME=$WORK/.state
export XDG_STATE_HOME

# tmux_session NAME: a tmux server of the test's own (T runs tmux on it),
# killed with its socket file at exit (kill-server leaves the file), in
# UTF-8 and UTC as the screens expect.
T() { tmux -L "$SOCK" -f /dev/null "$@"; }
tmux_session() {
	command -v tmux >/dev/null 2>&1 || bail_out "tmux is needed (scripts/install-deps)"
	LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC
	export LANG LC_ALL TZ
	SOCK=$1-$$
	trap 'T kill-server >/dev/null 2>&1; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; _wr_cleanup' EXIT
}
# screen SESSION: what the pane shows. wait_for / wait_gone SESSION ERE
# [SECONDS]: until the screen shows (no longer shows) a match, 3 s at most
# by default; false when it never did.
screen() { T capture-pane -p -t "$1"; }
wait_for() { # SESSION ERE [SECONDS]
	_n=$(( ${3:-3} * 20 ))
	while [ "$_n" -gt 0 ]; do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}
wait_gone() { # SESSION ERE [SECONDS]
	_n=$(( ${3:-3} * 20 ))
	while [ "$_n" -gt 0 ]; do
		screen "$1" | grep -Eq -- "$2" || return 0
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}

# ---- the usual fixtures and database ----------------------------------------
# fixtures: the bad-input fixtures of tests/fixtures/mkbad.sh, in $FX.
fixtures() {
	sh "$WR_FIXTURES/mkbad.sh" "$WORK/fx" >/dev/null || bail_out "mkbad.sh failed"
	FX=$WORK/fx
}
# W ARGS...: warroom on the test's database $DB ($WORK/wr.db unless set).
DB=$WORK/wr.db
W() { "$WARROOM" --db "$DB" "$@"; }

OUT_FILE=$WORK/.run.out
ERR_FILE=$WORK/.run.err

run() {
	"$@" >"$OUT_FILE" 2>"$ERR_FILE" </dev/null
	RC=$?
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
	return 0
}

# ---- files -------------------------------------------------------------------
file_like() {
	if grep -Eq -- "$2" "$1"; then pass "$3"; else fail "$3" "$1 doesn't match /$2/"; fi
}

file_unlike() {
	if grep -Eq -- "$2" "$1"; then
		fail "$3" "$1 matches /$2/: $(grep -En -- "$2" "$1" | head -3)"
	else
		pass "$3"
	fi
}

# Exit 0 when the file is valid UTF-8 without any terminal-dangerous
# character (newline allowed); prints the first offender otherwise.
has_no_control_bytes() {
	perl -e '
		local $/; open my $f, "<:raw", $ARGV[0] or die "$ARGV[0]: $!\n";
		my $b = <$f>; $b = "" unless defined $b;
		if ($b =~ /([\x00-\x09\x0b-\x1f\x7f])/) {
			printf "byte 0x%02x at offset %d\n", ord $1, $-[0]; exit 1;
		}
		utf8::decode(my $s = $b) or do { print "invalid UTF-8\n"; exit 1 };
		if ($s =~ /([\x{80}-\x{9f}\x{61c}\x{200e}\x{200f}\x{202a}-\x{202e}\x{2066}-\x{2069}\x{2028}\x{2029}\x{feff}])/) {
			printf "U+%04X at character %d\n", ord $1, $-[0]; exit 1;
		}
		exit 0;
	' "$1"
}

no_control_bytes() {
	if _why=$(has_no_control_bytes "$1"); then pass "$2"; else fail "$2" "$1: $_why"; fi
}

mode_of() { stat -c %a "$1" 2>/dev/null || perl -e 'printf "%o\n", (stat $ARGV[0])[2] & 07777' "$1"; }

sha_of() { cksum <"$1"; }

same_file() { cmp -s "$1" "$2"; }

# ---- JSON --------------------------------------------------------------------
json_get() {
	perl -MJSON::PP -e '
		local $/; open my $f, "<", $ARGV[0] or die "$ARGV[0]: $!\n";
		my $v = JSON::PP->new->allow_nonref->decode(<$f>);
		for my $k (split /\./, $ARGV[1]) {
			if (ref $v eq "ARRAY" && $k =~ /^\d+$/ && $k < @$v) { $v = $v->[$k] }
			elsif (ref $v eq "HASH" && exists $v->{$k}) { $v = $v->{$k} }
			else { exit 2 }
		}
		if (!defined $v) { print "null\n" }
		elsif (JSON::PP::is_bool($v)) { print $v ? "true\n" : "false\n" }
		elsif (ref $v) { print JSON::PP->new->canonical->encode($v), "\n" }
		else { binmode STDOUT, ":utf8"; print "$v\n" }
	' "$1" "$2"
}

json_valid() {
	perl -MJSON::PP -e 'local $/; open my $f, "<", $ARGV[0] or exit 1;
		eval { JSON::PP->new->allow_nonref->decode(<$f>); 1 } or exit 1' "$1"
}

[ -x "$WARROOM" ] || bail_out "no warroom binary at $WARROOM (run make)"

# ---- OS users, for the multi-user tests (root only) --------------------------
# os_group NAME and os_user NAME GROUP create a group, and a user without a
# home whose primary group is GROUP; both are removed when the test ends
# (one left by an aborted run is replaced). as_user NAME CMD... runs CMD as
# NAME with umask 022 from the current directory, the environment kept.
_WR_OSUSERS=
_WR_OSGROUPS=
os_group() {
	groupdel "$1" >/dev/null 2>&1
	groupadd "$1" || bail_out "groupadd $1 failed"
	_WR_OSGROUPS="$_WR_OSGROUPS $1"
}
os_user() {
	userdel "$1" >/dev/null 2>&1
	useradd -M -N -g "$2" -s /bin/sh "$1" || bail_out "useradd $1 failed"
	_WR_OSUSERS="$1 $_WR_OSUSERS"
}
as_user() {
	_u=$1
	shift
	setpriv --reuid="$_u" --regid="$(id -g "$_u")" --init-groups -- sh -c 'umask 022; exec "$@"' sh "$@"
}
