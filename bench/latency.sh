#!/bin/sh
# latency.sh BUILD_DIR: key-to-screen latency of a console while another
# process revokes 1,000,000 pending certificates through the local backend
# (WR_BENCH_CERTS sets another count). The console runs in tmux at
# 120x40 on the incident; the revocation runs from the CLI, and the
# console shows it in its banner. Until the revocation ends, ? is sent
# (through a tmux control client) and the time taken until the console
# writes the help overlay to its terminal (tmux's %output) is one sample;
# ? again closes it. The figure includes tmux's relaying, and whatever
# else the machine runs. Prints p50, p99 and max (goal: p99 under 50 ms)
# and the revocation's time with the console watching; asserts nothing.
set -eu
build=$1
. "$(dirname "$0")/lib.sh"
n=${WR_BENCH_CERTS:-1000000}
wr="$build/warroom"
LANG=C.UTF-8
LC_ALL=C.UTF-8
TZ=UTC
export LANG LC_ALL TZ
unset WARROOM_NOW WARROOM_SCRIPT NO_COLOR
if ! command -v tmux >/dev/null 2>&1; then
	echo "console key latency during a revocation: skipped (no tmux)"
	exit 0
fi
data="$build/bench-data"
mkdir -p "$data"
src="$data/pending-$n-$(schema_tag).db"
if [ ! -f "$src" ]; then
	"$build/tools/wr-filldb" --db "$src" --certs "$n" --revoked 0 --expired 0 --declare >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wr-bench-latency.XXXXXX")
sock=wr-bench-lat-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
rpid=
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; T kill-server >/dev/null 2>&1 || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"; rm -rf "$work"' EXIT
cd "$work"
cp "$src" r.db
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout ca.key -out ca.pem -days 30 \
	-subj "/C=US/O=Warroom Demo CA/CN=Warroom Bench Issuing CA" 2>/dev/null
cat >warroom.conf <<CONF
[revocation]
backend = local
batch = 1000
[local]
ca_cert = ca.pem
ca_key = ca.key
out_dir = crl
crl_url = http://127.0.0.1:8080/
CONF
W() { "$wr" --db r.db --config warroom.conf "$@"; }
W authorize revoke >/dev/null

T new-session -d -s b -x 120 -y 40 -c "$work" "'$wr' --db r.db --config warroom.conf; sleep 600"
i=0
until T capture-pane -p -t b | grep -q 'Timeline'; do
	i=$((i + 1))
	[ $i -gt 400 ] && { echo "console did not start"; exit 1; }
	sleep 0.05
done

t0=$(now_ns)
W revoke --yes >revoke.out 2>revoke.err &
rpid=$!
# Until the banner shows the run: the measure is taken while it runs.
i=0
until T capture-pane -p -t b | grep -q 'RUNNING'; do
	i=$((i + 1))
	[ $i -gt 600 ] && { echo "the banner never showed the run"; break; }
	sleep 0.05
done

# The samples: through a tmux control client, which reports what the
# console writes to its terminal as it writes it (%output): from
# send-keys ? to the first output that draws the help overlay, then ? again
# to close it. No screen polling: the figure is the console's, and tmux's
# relaying.
perl -MTime::HiRes=time,sleep -MIPC::Open2 -e '
	my ($sock, $rpid) = @ARGV;
	my $pid = open2(my $out, my $in, "tmux", "-L", $sock, "-f", "/dev/null", "-C",
			"attach", "-t", "b");
	$in->autoflush(1);
	my $rin = ""; vec($rin, fileno($out), 1) = 1;
	my $buf = "";
	# wait_output RE SECS: true when an output line matching RE arrives.
	sub wait_output { my ($re, $secs) = @_; my $end = time + $secs;
		while (time < $end) {
			while ($buf =~ s/^([^\n]*)\n//) { my $l = $1;
				return 1 if $l =~ /^%output / && $l =~ $re; }
			my $r = $rin; select($r, undef, undef, 0.05) or next;
			sysread($out, $buf, 65536, length $buf) or return 0; }
		return 0; }
	sleep 0.3; wait_output(qr/^\0/, 0.2); $buf = "";
	# Until the revocation ends (its zombie waits for the shell).
	sub running { open(my $f, "<", "/proc/$rpid/stat") or return 0;
		my $s = <$f>; return $s !~ /\) Z /; }
	while (running()) {
		my $t0 = time;
		print $in "send-keys -t b ?\n";
		printf STDOUT "%d\n", (time - $t0) * 1e6 if wait_output(qr/ Help /, 2);
		print $in "send-keys -t b ?\n";
		wait_output(qr/^\0/, 0.1); $buf = "";
	}
	close $in; waitpid $pid, 0;
' "$sock" "$rpid" >samples
wait "$rpid" || true
rpid=
t1=$(now_ns)
sort -n samples | awk -v n="$n" '{ v[NR] = $1 } END {
	if (NR == 0) { print "console key latency during a revocation: no sample"; exit }
	p99 = int(NR * 0.99); if (p99 < 1) p99 = 1
	printf "console key to screen during a revoke of %d (tmux, %d keys): p50 %.1f ms, p99 %.1f ms, max %.1f ms (goal p99 < 50 ms)\n",
		n, NR, v[int((NR + 1) / 2)] / 1000, v[p99] / 1000, v[NR] / 1000 }'
awk -v t=$(( (t1 - t0) / 1000000 )) 'BEGIN { printf "  the revocation, the console watching: %.1f s\n", t / 1000 }'
sed 's/^/  /' revoke.out
