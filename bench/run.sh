#!/bin/sh
# `make bench`: the figures of the mail spine, the web app, the queue
# intelligence and the IMAP backlog, each printed beside its target.
#
# A timing never fails the run: it is printed and recorded, slow or not.
# The run fails (exit 1, nothing recorded) when the thing measured broke:
# mail refused or lost, an import that stored less than it was given,
# requests answered with errors, a web page without its rows, a tamed
# that did not start or died. Each such line starts with BROKEN.
#
# Parts, in this order (rough time on the 2-core machine at default sizes):
#   smtp    durable SMTP ingest, BENCH_SMTP_N mails (30000), one command
#           at a time (median of BENCH_SMTP_RUNS, 3), then pipelined,
#           then from postfix's smtp-source when it can be had         50 s
#   import  tame import mbox, BENCH_IMPORT_N x 4 kB (100000)            40 s
#   store   BENCH_TICKETS tickets (1000000): start-up, list (median of
#           BENCH_LIST_RUNS wrk runs, 3), search, RSS                 5 min
#   intel   bench/intel.sh: trend placement, trend index, trends list,
#           similar cases, SMTP ingest with the intelligence off and on
#           (BENCH_INTEL_OPEN 100000 open tickets, BENCH_INTEL_RUNS 3)  6 min
#   imap    bench/imap_backlog.sh: a dovecot backlog, BENCH_IMAP_N
#           ("5000 50000")                                              2 min
#   web     bench/web.mjs: the web app in chromium, BENCH_WEB_TICKETS
#           (100000; BENCH_WEB_QUEUE of them open, all by default),
#           BENCH_WEB_LOADS and BENCH_WEB_OPENS (20 each)               2 min
# BENCH_SKIP=web,imap leaves parts out; BENCH_ONLY=web,smtp runs only those.
# BENCH_RESULTS: the file the run is added to (bench/RESULTS.md), or
# "none" to record nothing (for trial runs).
set -u
cd "$(dirname "$0")/.."
B=${TAME_BUILD:-build}
PY=${PYTHON:-/usr/bin/python3}
TICKETS=${BENCH_TICKETS:-1000000}
SMTP_N=${BENCH_SMTP_N:-30000}
SMTP_RUNS=${BENCH_SMTP_RUNS:-3}
LIST_RUNS=${BENCH_LIST_RUNS:-3}
IMPORT_N=${BENCH_IMPORT_N:-100000}
SKIP=${BENCH_SKIP:-}
ONLY=${BENCH_ONLY:-}
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
W=$(mktemp -d -t tame-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
OUT="$W/results.txt"
: > "$OUT"
BROKEN=""

say() { echo "$*" | tee -a "$OUT"; }
# Something measured did not work: said now, and the run fails at the end.
broke() { say "BROKEN: $*"; BROKEN="$BROKEN
  $*"; }
# Whether part $1 runs (BENCH_ONLY, BENCH_SKIP).
want() {
	case ",$SKIP," in *",$1,"*) return 1 ;; esac
	[ -z "$ONLY" ] && return 0
	case ",$ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}
free_port() { $PY bench/free_port.py "$@"; }
# Runs a command with its output shown and recorded; its exit status in RC.
part() { { "$@" 2>&1; echo $? > "$W/rc"; } | tee -a "$OUT"; RC=$(cat "$W/rc"); }
# The messages stored in data directory $1.
messages_in() { $PY -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM messages').fetchone()[0])" "$1/tame.db" 2>/dev/null || echo 0; }
# `tame import mbox` of $2 into $1, its log in $3: broken unless all $4 stored.
import_mbox() {
	"$B/tame" --data "$1" import mbox "$2" 2>"$3" ||
		broke "tame import mbox exited with $?: $(tail -c 300 "$3")"
	STORED=$(grep -o '[0-9]* stored' "$3" | tail -1 | cut -d' ' -f1)
	[ "${STORED:-0}" = "$4" ] || broke "tame import mbox stored ${STORED:-0} of $4 messages"
}

for p in $(echo "$SKIP,$ONLY" | tr ',' ' '); do
	case "$p" in smtp|import|store|intel|imap|web) ;;
	*) echo "bench: unknown part '$p' in BENCH_SKIP/BENCH_ONLY (smtp, import, store, intel, imap, web)"; exit 2 ;;
	esac
done

if want smtp || want intel; then
	cc -O2 -Wall -Wextra -Werror -o "$B/smtp_load" bench/smtp_load.c -lpthread || exit 1
fi

launch_tamed() { # DATA -> sets TPID HTTP SMTP (kept when PORTS_SET=1)
	[ "${PORTS_SET:-0}" = 1 ] || { HTTP=$(free_port); SMTP=$(free_port "$HTTP"); }
	"$B/tamed" --data "$1" --http 127.0.0.1:$HTTP --smtp 127.0.0.1:$SMTP 2>"$1/tamed.log" &
	TPID=$!; PIDS="$PIDS $TPID"
}
wait_healthy() { # DATA: until the launched tamed answers health
	for _ in $(seq 1 1000); do
		curl -sf "http://127.0.0.1:$HTTP/api/v1/health" >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	echo "BROKEN: tamed did not start"; cat "$1/tamed.log"; exit 1
}
start_tamed() { launch_tamed "$1"; wait_healthy "$1"; }
stop_tamed() {
	kill -0 "$TPID" 2>/dev/null || broke "tamed died during the run: $(tail -3 "$D/tamed.log")"
	kill "$TPID"; wait "$TPID" 2>/dev/null
}
rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$1/status; }
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' /proc/$1/stat; } # user+sys
section() { say ""; say "## $* (load average $(cut -d' ' -f1-3 /proc/loadavg))"; }

STAMP=$(date -u +%Y-%m-%dT%H:%MZ)
T_START=$(date +%s)
say "# Tame benchmarks, $STAMP"
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
# Other work on the machine shows in every figure, the tails most.
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "$SKIP$ONLY" ] && say "parts: only '${ONLY:-all}', skipped '${SKIP:-none}'"

if want smtp || want import || want store; then
	section "mail spine"
fi

# One SMTP load of SMTP_N mails into a new store in $D, with smtp_load's
# options $1 ("" or -P): sets R (smtp_load's line), RATE, RUN_RSS and
# RUN_CPU; broken unless every mail got a 250 and is stored once.
smtp_run() {
	smtp_store_open
	R=$("$B/smtp_load" $1 -c 16 -n "$SMTP_N" -s 4096 -t support@localhost 127.0.0.1:$SMTP) ||
		broke "smtp_load $1 exited with $?: $R"
	RATE=$(echo "$R" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
	OK=$(echo "$R" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
	[ "${OK:-0}" = "$SMTP_N" ] || broke "smtp ingest $1: ${OK:-0} of $SMTP_N messages got a 250"
	smtp_store_close "${OK:-0}" "smtp ingest $1" "answered 250"
}

# A new store in $D with the support mailbox, and tamed on it.
smtp_store_open() {
	mkdir -p "$D"
	"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
	start_tamed "$D"
}

# After a load: RUN_RSS and RUN_CPU of tamed, which is stopped; broken
# unless the store holds $1 messages ($2 names the load, $3 says what $1
# counted); the store goes.
smtp_store_close() {
	RUN_RSS=$(rss_mb $TPID); RUN_CPU=$(cpu_s $TPID)
	stop_tamed
	N=$(messages_in "$D")
	[ "$N" = "$1" ] || broke "$2: $N messages stored for $1 $3"
	rm -rf "$D"
}

# Postfix's smtp-source, the load tool the issue names: on PATH or in
# /usr/sbin, else unpacked from Debian's postfix package into the work
# directory (apt-get download: nothing is installed, no MTA starts).
# Prints its path; fails when it cannot be had.
smtp_source() {
	if command -v smtp-source 2>/dev/null; then return 0; fi
	[ -x /usr/sbin/smtp-source ] && { echo /usr/sbin/smtp-source; return 0; }
	( cd "$W" && apt-get download postfix ) >/dev/null 2>&1 || return 1
	dpkg -x "$W"/postfix_*.deb "$W/postfix" 2>/dev/null || return 1
	[ -x "$W/postfix/usr/sbin/smtp-source" ] || return 1
	echo "$W/postfix/usr/sbin/smtp-source"
}

# The same SMTP load from smtp-source $1 (16 sessions, each keeping its
# connection, 4 kB): sets RATE and RUN_CPU; broken unless every mail is
# stored once.
smtp_source_run() {
	smtp_store_open
	T0=$(date +%s.%N)
	LD_LIBRARY_PATH="$(dirname "$(dirname "$1")")/lib/postfix" "$1" -d -s 16 \
	    -m "$SMTP_N" -l 4096 -f bench@localhost -t support@localhost \
	    127.0.0.1:$SMTP > "$W/smtp-source.txt" 2>&1 ||
		broke "smtp-source exited with $?: $(tail -3 "$W/smtp-source.txt")"
	T1=$(date +%s.%N)
	RATE=$(echo "$SMTP_N $T0 $T1" | awk '{printf "%.0f", $1/($3-$2)}')
	smtp_store_close "$SMTP_N" smtp-source sent
}

# 1. durable SMTP ingest, 16 connections, 4 kB messages: the median of
# BENCH_SMTP_RUNS runs, each into a new store (on the shared 2-core
# machine one run moves by 10-15% from the next; the median of three
# says more than any one)
if want smtp; then
	D="$W/smtp"
	RATES=""; RUNS_OUT="$W/smtp-runs.txt"; : > "$RUNS_OUT"
	for RUN in $(seq 1 "$SMTP_RUNS"); do
		smtp_run ""
		[ -n "$RATE" ] && echo "$RATE|$R|$RUN_RSS|$RUN_CPU" >> "$RUNS_OUT"
		RATES="$RATES ${RATE:-failed}"
	done
	# the median run's line: rate, then its latencies, RSS and CPU
	N=$(wc -l < "$RUNS_OUT")
	MED=$(sort -t'|' -k1,1n "$RUNS_OUT" | awk -v n="$N" 'NR == int((n + 1) / 2)')
	RATE=$(echo "$MED" | cut -d'|' -f1); R=$(echo "$MED" | cut -d'|' -f2)
	say "smtp ingest (16 conns, 4 kB, durable 250, median of $N): ${RATE:-none} msg/s   target >= 5000   [$R; runs:$RATES]"
	say "  tamed peak RSS after ingest: $(echo "$MED" | cut -d'|' -f3) MB, CPU $(echo "$MED" | cut -d'|' -f4) s for $SMTP_N messages"
	# The same with MAIL, RCPT and DATA in one write (RFC 2920), as
	# Postfix's and Exim's clients send them; the figure above, one
	# command at a time as smtp-source sends, is the one held to target.
	smtp_run -P
	say "  the same, pipelined (MAIL, RCPT, DATA in one write): $RATE msg/s, CPU $RUN_CPU s   [$R]"
	# Its body is 78-character lines of one word ("1XXX..."), far less
	# to index than smtp_load's text of words: printed beside the figure
	# held to target, not instead of it.
	if SRC=$(smtp_source); then
		smtp_source_run "$SRC"
		say "  the same from postfix's smtp-source -d -s 16 -l 4096 (its body: one word a line): $RATE msg/s, CPU $RUN_CPU s"
	else
		say "  (postfix's smtp-source was not found and could not be fetched: no run with it)"
	fi
fi

# 2. tame import mbox
if want import; then
	D="$W/import"; mkdir -p "$D"
	"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
	$PY bench/gen_mbox.py "$IMPORT_N" 4096 "$W/import.mbox"
	T0=$(date +%s.%N)
	import_mbox "$D" "$W/import.mbox" "$W/import.log" "$IMPORT_N"
	T1=$(date +%s.%N)
	RATE=$(echo "$IMPORT_N $T0 $T1" | awk '{printf "%.0f", $1/($3-$2)}')
	say "tame import mbox ($IMPORT_N x 4 kB): $RATE msg/s   target >= 30000"
	rm -rf "$W/import.mbox" "$D"
fi

# 3. a store with many tickets: list p99, search p50, RSS, start-up
if want store; then
	D="$W/big"; mkdir -p "$D"
	"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
	echo secret-bench-pw | "$B/tame" --data "$D" user add --email bench@localhost --name Bench --role admin --password-stdin >/dev/null
	TOKEN=$("$B/tame" --data "$D" token add --email bench@localhost)
	$PY bench/gen_mbox.py "$TICKETS" 600 "$W/big.mbox" 2
	T0=$(date +%s.%N)
	import_mbox "$D" "$W/big.mbox" "$W/big.log" "$TICKETS"
	T1=$(date +%s.%N)
	RATE=$(echo "$TICKETS $T0 $T1" | awk '{printf "%.0f", $1/($3-$2)}')
	rm -f "$W/big.mbox"
	say "store: $TICKETS tickets ($(du -sh "$D/tame.db" | cut -f1) on disk, imported at $RATE msg/s)"
	# the import's gigabytes go to disk first: the start-up is timed
	# alone, not behind the kernel writing them back (308 ms once, where
	# 135-170 ms is usual even with a cold page cache)
	sync
	# ports picked before the clock starts (each pick is a python), and
	# the first health answer seen by a poller started before it too,
	# asking every 2 ms: wait_healthy runs curl, about 26 ms a try here,
	# which made the figure step by 36 ms and took CPU from the start it
	# timed, so it only confirms once the poller has seen the answer
	HTTP=$(free_port); SMTP=$(free_port "$HTTP"); PORTS_SET=1
	$PY - "$HTTP" > "$W/ready.txt" <<'PYEOF' &
import http.client, sys, time
port, end = int(sys.argv[1]), time.time() + 60
while time.time() < end:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/api/v1/health")
        if c.getresponse().status == 200:
            print("%.6f" % time.time())
            break
    except OSError:
        pass
    time.sleep(0.002)
PYEOF
	POLLER=$!
	sleep 0.5
	T0=$(date +%s.%N)
	launch_tamed "$D"
	wait $POLLER
	wait_healthy "$D"
	PORTS_SET=0
	MS=$(echo "$T0 $(cat "$W/ready.txt")" | awk 'NF == 2 {printf "%.0f", ($2 - $1) * 1000}')
	[ -n "$MS" ] || broke "the start-up poller saw no health answer"
	say "start-up to first health answer: ${MS:-none} ms   target < 300 ms ($(grep -o 'ready in [0-9]* ms' "$D/tamed.log"))"
	# the trend index is rebuilt in the background at start (about 20 s
	# of one core at 1M tickets): the list is measured after it
	if [ "${TAME_INTEL:-}" != off ]; then
		T0=$(date +%s)
		for _ in $(seq 1 600); do
			grep -q "intel: ready" "$D/tamed.log" && break
			sleep 0.5
		done
		grep -q "intel: ready" "$D/tamed.log" ||
			say "  (the queue intelligence was not ready after 300 s; measured anyway)"
		say "queue intelligence ready $(( $(date +%s) - T0 )) s after the start-up figure"
	fi
	LIST="http://127.0.0.1:$HTTP/api/v1/tickets?limit=50&status=any"
	ROWS=$(curl -sf -H "Authorization: Bearer $TOKEN" "$LIST" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["tickets"]))' 2>/dev/null)
	[ "${ROWS:-0}" -eq "$([ "$TICKETS" -lt 50 ] && echo "$TICKETS" || echo 50)" ] ||
		broke "the ticket list answered ${ROWS:-nothing} rows, not 50"
	if command -v wrk >/dev/null; then
		cat > "$W/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
		# LIST_RUNS runs of 10 s; the run with the median p99 is
		# printed (wrk prints "9.71ms" or "1.02s": compared in us)
		P99S=""; : > "$W/wrk-runs.txt"
		for RUN in $(seq 1 "$LIST_RUNS"); do
			wrk -t2 -c32 -d10s --latency -s "$W/auth.lua" "$LIST" > "$W/wrk.txt" 2>&1 ||
				broke "wrk exited with $?: $(tail -3 "$W/wrk.txt")"
			P99=$(awk '$1=="99%" {print $2}' "$W/wrk.txt")
			P50=$(awk '$1=="50%" {print $2}' "$W/wrk.txt")
			RPS=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.txt")
			US=$(echo "$P99" | awk '/us$/ {print $1+0; next} /ms$/ {print ($1+0)*1000; next} /s$/ {print ($1+0)*1000000; next} {print 0}')
			[ -n "$P50" ] && [ -n "$P99" ] && [ -n "$RPS" ] &&
				echo "$US $P50 $P99 $RPS" >> "$W/wrk-runs.txt"
			P99S="$P99S ${P99:-failed}"
			grep -q "Non-2xx" "$W/wrk.txt" && broke "ticket list under wrk: $(grep -E 'Non-2xx|requests in' "$W/wrk.txt" | tr '\n' ' ')"
			grep -q "Socket errors" "$W/wrk.txt" && say "  wrk: $(grep 'Socket errors' "$W/wrk.txt")"
		done
		# the median of the runs that gave figures
		N=$(wc -l < "$W/wrk-runs.txt")
		MED=$(sort -n "$W/wrk-runs.txt" | awk -v n="$N" 'NR == int((n + 1) / 2)')
		if [ -n "$MED" ]; then
			set -- $MED
			say "ticket list (50 rows, 32 conns, wrk, median of $N): p50 $2, p99 $3   target p99 < 5 ms   ($4 req/s; p99 of each run:$P99S)"
		else
			broke "ticket list under wrk: no run gave figures"
		fi
	else
		broke "wrk is not installed (scripts/deps.sh installs it)"
	fi
	part $PY - "$HTTP" "$TOKEN" <<'PYEOF'
import http.client, json, sys, time, statistics
port, token = int(sys.argv[1]), sys.argv[2]
words = ["password", "refund", "declined", "crashes", "locked", "invoice", "browser", "shipping"]
c = http.client.HTTPConnection("127.0.0.1", port)
lat, bad, hits = [], [], 0
for i in range(200):
    q = words[i % len(words)] + ("" if i % 2 else " again")
    t = time.perf_counter()
    c.request("GET", "/api/v1/tickets?status=any&limit=50&q=" + q.replace(" ", "+"),
              headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); body = r.read()
    lat.append((time.perf_counter() - t) * 1000)
    if r.status != 200:
        bad.append("%s: %d" % (q, r.status))
    else:
        hits += len(json.loads(body)["tickets"])
lat.sort()
print("full-text search (50 rows): p50 %.2f ms, p99 %.2f ms   target p50 < 20 ms" % (statistics.median(lat), lat[int(len(lat) * .99) - 1]))
if bad:
    sys.exit("BROKEN: full-text search answered %d of 200 queries with an error (%s)" % (len(bad), bad[0]))
if hits == 0:
    sys.exit("BROKEN: full-text search found nothing for any of its words")
# the same words in the web app's views, which list the open queue
# oldest first
lat = []
for i in range(100):
    q = words[i % len(words)]
    t = time.perf_counter()
    c.request("GET", "/api/v1/tickets?status=new,open,pending&sort=oldest&limit=50&q=" + q,
              headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); body = r.read()
    lat.append((time.perf_counter() - t) * 1000)
    if r.status != 200:
        sys.exit("BROKEN: search in the oldest-first view answered %d" % r.status)
lat.sort()
print("search in a view sorted oldest first (50 rows): p50 %.2f ms, p99 %.2f ms   (no target of its own; search's is p50 < 20 ms)" % (statistics.median(lat), lat[int(len(lat) * .99) - 1]))
PYEOF
	[ "$RC" = 0 ] || broke "full-text search (above)"
	# the counts the web app's navigation asks on every live change, in
	# every browser: a mailbox's open tickets walked the whole mailbox
	# for a status few tickets have before schema 23
	part $PY - "$HTTP" "$TOKEN" <<'PYEOF'
import http.client, json, sys, time, statistics
port, token = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port)
def get(path):
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); body = r.read()
    if r.status != 200:
        sys.exit("BROKEN: %s answered %d" % (path, r.status))
    return json.loads(body)
mb = get("/api/v1/mailboxes")["mailboxes"][0]["id"]
lat = []
for i in range(50):
    t = time.perf_counter()
    n = len(get("/api/v1/tickets?status=new,open,pending&mailbox=%d&limit=100" % mb)["tickets"])
    lat.append((time.perf_counter() - t) * 1000)
if n == 0:
    sys.exit("BROKEN: the mailbox count found no ticket")
lat.sort()
print("a mailbox's open-ticket count (the navigation's, 100 rows): p50 %.2f ms, p99 %.2f ms   (no target of its own; the list's is p99 < 5 ms)" % (statistics.median(lat), lat[-1]))
PYEOF
	[ "$RC" = 0 ] || broke "mailbox count (above)"
	say "tamed resident memory (peak) with $TICKETS tickets: $(rss_mb $TPID) MB   target < 150 MB"
	stop_tamed
	rm -rf "$D"
fi

# 4. the queue intelligence: placement, trends, similar cases, ingest
if want intel; then
	section "queue intelligence"
	part env TAME_BUILD="$B" PYTHON="$PY" ./bench/intel.sh
	[ "$RC" = 0 ] || broke "bench/intel.sh exited with $RC (above)"
fi

# 5. IMAP backlog from dovecot
if want imap; then
	section "IMAP backlog"
	part env TAME_BUILD="$B" PYTHON="$PY" ./bench/imap_backlog.sh
	[ "$RC" = 0 ] || broke "bench/imap_backlog.sh exited with $RC (above)"
fi

# 6. the web app in headless chromium
if want web; then
	section "web app"
	if [ ! -d tests/browser/node_modules/playwright-core ]; then
		broke "playwright-core is not installed: make bench installs it (tests/browser: npm ci)"
	else
		part env TAME_BUILD="$B" PYTHON="$PY" node bench/web.mjs
		[ "$RC" = 0 ] || broke "bench/web.mjs exited with $RC (above)"
	fi
fi

say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(( ($(date +%s) - T_START) / 60 )) min in all"

if [ -n "$BROKEN" ]; then
	echo
	echo "make bench: what was measured broke, so this run is not recorded:$BROKEN"
	exit 1
fi
[ "$RESULTS" = none ] && exit 0
# The run goes on top of the results file; earlier runs stay below it.
[ -f "$RESULTS" ] || printf '# Benchmark results\n\n' > "$RESULTS"
{
	SIZES=$(env | grep '^BENCH_' | grep -v '^BENCH_RESULTS=' | sort | tr '\n' ' ' | sed 's/ $//')
	echo "## $STAMP, make bench $([ -n "$SIZES" ] && echo "($SIZES)" || echo "at default sizes")"
	echo
	echo '```'
	cat "$OUT"
	echo '```'
	echo
} > "$W/section.md"
awk -v sec="$W/section.md" '
	function put(l) { while ((getline l < sec) > 0) print l; done = 1 }
	/^## / && !done { put() }
	{ print }
	END { if (!done) put() }' "$RESULTS" > "$W/results.md" &&
	cat "$W/results.md" > "$RESULTS"
echo "(added to $RESULTS)"
