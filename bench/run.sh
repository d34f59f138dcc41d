#!/bin/sh
# `make bench`: the mail spine's figures, each printed beside its target.
# Benchmarks never fail the build on a timing; they print and record.
#   BENCH_TICKETS  tickets in the big store (default 1000000)
#   BENCH_SMTP_N   messages for the SMTP ingest run (default 30000)
#   BENCH_IMPORT_N messages for the mbox import run (default 100000)
set -u
cd "$(dirname "$0")/.."
B=${TAME_BUILD:-build}
PY=${PYTHON:-/usr/bin/python3}
TICKETS=${BENCH_TICKETS:-1000000}
SMTP_N=${BENCH_SMTP_N:-30000}
IMPORT_N=${BENCH_IMPORT_N:-100000}
W=$(mktemp -d /tmp/tame-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM
OUT="$W/results.txt"
: > "$OUT"

say() { echo "$*" | tee -a "$OUT"; }
free_port() { $PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

cc -O2 -Wall -Wextra -Werror -o "$B/smtp_load" bench/smtp_load.c -lpthread || exit 1

start_tamed() { # DATA -> sets TPID HTTP SMTP
	HTTP=$(free_port); SMTP=$(free_port)
	"$B/tamed" --data "$1" --http 127.0.0.1:$HTTP --smtp 127.0.0.1:$SMTP 2>"$1/tamed.log" &
	TPID=$!; PIDS="$PIDS $TPID"
	for _ in $(seq 1 200); do
		curl -sf "http://127.0.0.1:$HTTP/api/v1/health" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "tamed did not start"; cat "$1/tamed.log"; exit 1
}
stop_tamed() { kill "$TPID"; wait "$TPID" 2>/dev/null; }
rss_mb() { awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$1/status; }
cpu_s() { awk '{printf "%.2f", ($14 + $15) / 100}' /proc/$1/stat; } # user+sys

say "# Tame benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
# Other work on the machine shows in every figure, the tails most.
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
say ""

# 1. durable SMTP ingest, 16 connections, 4 kB messages
D="$W/smtp"; mkdir -p "$D"
"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
start_tamed "$D"
R=$("$B/smtp_load" -c 16 -n "$SMTP_N" -s 4096 -t support@localhost 127.0.0.1:$SMTP)
RATE=$(echo "$R" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
say "smtp ingest (16 conns, 4 kB, durable 250): $RATE msg/s   target >= 5000   [$R]"
say "  tamed peak RSS after ingest: $(rss_mb $TPID) MB, CPU $(cpu_s $TPID) s for $SMTP_N messages"
stop_tamed

# 2. tame import mbox
D="$W/import"; mkdir -p "$D"
"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
$PY bench/gen_mbox.py "$IMPORT_N" 4096 "$W/import.mbox"
T0=$(date +%s.%N)
"$B/tame" --data "$D" import mbox "$W/import.mbox" 2>"$W/import.log"
T1=$(date +%s.%N)
RATE=$(echo "$IMPORT_N $T0 $T1" | awk '{printf "%.0f", $1/($3-$2)}')
say "tame import mbox ($IMPORT_N x 4 kB): $RATE msg/s   target >= 30000"
rm -f "$W/import.mbox"

# 3. a store with many tickets: list p99, search p50, RSS, start-up
D="$W/big"; mkdir -p "$D"
"$B/tame" --data "$D" mailbox add --address support@localhost --name Support >/dev/null
echo secret-bench-pw | "$B/tame" --data "$D" user add --email bench@localhost --name Bench --role admin --password-stdin >/dev/null
TOKEN=$("$B/tame" --data "$D" token add --email bench@localhost)
$PY bench/gen_mbox.py "$TICKETS" 600 "$W/big.mbox" 2
T0=$(date +%s.%N)
"$B/tame" --data "$D" import mbox "$W/big.mbox" 2>"$W/big.log"
T1=$(date +%s.%N)
RATE=$(echo "$TICKETS $T0 $T1" | awk '{printf "%.0f", $1/($3-$2)}')
rm -f "$W/big.mbox"
say "store: $TICKETS tickets ($(du -sh "$D/tame.db" | cut -f1) on disk, imported at $RATE msg/s)"
T0=$(date +%s%N)
start_tamed "$D"
T1=$(date +%s%N)
say "start-up to first health answer: $(( (T1 - T0) / 1000000 )) ms   target < 300 ms ($(grep -o 'ready in [0-9]* ms' "$D/tamed.log"))"
if command -v wrk >/dev/null; then
	cat > "$W/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
	wrk -t2 -c32 -d10s --latency -s "$W/auth.lua" "http://127.0.0.1:$HTTP/api/v1/tickets?limit=50&status=any" > "$W/wrk.txt" 2>&1
	P99=$(awk '$1=="99%" {print $2}' "$W/wrk.txt")
	P50=$(awk '$1=="50%" {print $2}' "$W/wrk.txt")
	RPS=$(awk '/Requests\/sec/ {print $2}' "$W/wrk.txt")
	say "ticket list (50 rows, 32 conns, wrk): p50 $P50, p99 $P99   target p99 < 5 ms   ($RPS req/s)"
fi
$PY - "$HTTP" "$TOKEN" <<'PYEOF' | tee -a "$OUT"
import http.client, sys, time, statistics
port, token = int(sys.argv[1]), sys.argv[2]
words = ["password", "refund", "declined", "crashes", "locked", "invoice", "browser", "shipping"]
c = http.client.HTTPConnection("127.0.0.1", port)
lat = []
for i in range(200):
    q = words[i % len(words)] + ("" if i % 2 else " again")
    t = time.perf_counter()
    c.request("GET", "/api/v1/tickets?status=any&limit=50&q=" + q.replace(" ", "+"),
              headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); r.read()
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print("full-text search (50 rows): p50 %.2f ms, p99 %.2f ms   target p50 < 20 ms" % (statistics.median(lat), lat[int(len(lat) * .99) - 1]))
PYEOF
say "tamed resident memory (peak) with $TICKETS tickets: $(rss_mb $TPID) MB   target < 150 MB"
stop_tamed

# 4. the queue intelligence: trends, similar cases, ingest with it on
say ""
TAME_BUILD="$B" PYTHON="$PY" ./bench/intel.sh 2>&1 | tee -a "$OUT"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

{
	echo "# Benchmark results"
	echo
	echo "Latest \`make bench\` run (written by bench/run.sh)."
	echo
	echo '```'
	cat "$OUT"
	echo '```'
} > bench/RESULTS.md
echo "(written to bench/RESULTS.md)"
