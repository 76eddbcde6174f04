#!/bin/bash
# Issue 20's three cluster measurements, recorded in BENCHMARKS.md ("Herald on a cluster"):
#   1  a cluster of one node (--cluster, 16 and 64 partitions) against a plain node: start until
#      ready, upload of a 1,000,000-line CSV, one marketing campaign on the simulated connector
#      (pipeline = finishedAt - startedAt; wall = create -> completed seen, polled every 200 ms);
#      plain / cluster-16 / cluster-64 alternate, RUNS rounds, fresh data directories each run
#   2  3 nodes, 16 partitions, default settings: a campaign at "tps": 40000, kill -9 of a non-seed
#      node at 25 % sent; time until its partitions run again, the campaign's view answers from
#      all 16, and an opt-out to a moved partition is acknowledged (RUNS runs)
#   3  3 nodes, 16 partitions: latency of POST /v1/suppressions (one number) to a partition on the
#      node asked vs on another node: 500 + 500 warm-up, then 2,000 + 2,000, alternating
# Usage: bench/scripts/cluster-benchmarks.sh [herald.jar] [work dir] [1|2|3|all]
#        (log: <work dir>/cluster-benchmarks.log; RUNS=3 by default; B1_MODES="plain c1 c4 c16 c64" picks benchmark 1's modes,
#         cN: a cluster of one with N partitions; default "plain c16 c64")
# Each run (nodes started, measured, stopped) holds flock /tmp/jmh.lock, so that it does not
# overlap other benchmarks; the load average is logged with every figure (2-core machine).
# Needs bash, curl, python3 (bench/scripts/cluster_bench.py), ~3 GB free in the work dir, and the
# ports 18081, 18091-18093, 25541-25543 free.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=${1:-dispatcher/target/herald.jar}
WORK=${2:-/tmp/herald-cluster-bench}
WHICH=${3:-all}
RUNS=${RUNS:-3}
PY="python3 $HERE/cluster_bench.py"
export HERALD_API_KEY=${HERALD_API_KEY:-hk_test_key_0123456789}
# pekko-http answers 503 to a request not answered within its request-timeout (20 s by default);
# a campaign create on 64 partitions of a cluster of one took longer than that on this machine
# (issue 20's findings in BENCHMARKS.md), so every node here waits up to 300 s
JVM=(java -Xmx1g -Dherald.service.directory-capacity=2000000 -Dpekko.http.server.request-timeout=300s)
mkdir -p "$WORK/logs"   # each node's log, kept after its data directory is removed
cp "$JAR" "$WORK/herald.jar"   # a private copy: a rebuild during the runs does not change what is measured
J="$WORK/herald.jar"
exec > >(tee -a "$WORK/cluster-benchmarks.log") 2>&1

# BENCH_TZ (e.g. America/New_York): every recipient in that zone (a tz column), for runs at hours when
# the UK numbers' own zone is in its quiet hours (21:00-08:00) and the marketing campaign would be deferred
if [ ! -s "$WORK/seg.csv" ]; then
  python3 -c "
import sys
tz = sys.argv[2]
with open(sys.argv[1], 'w') as f:
    f.write('phone,first_name' + (',tz' if tz else '') + '\n')
    for i in range(1000000):
        f.write('+4474%08d,Ann%d' % (i, i) + (',' + tz if tz else '') + '\n')" "$WORK/seg.csv" "${BENCH_TZ:-}"
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
say() { echo "$(date -u +%T) [load $(load)] $*"; }
lock() { exec 9>/tmp/jmh.lock; flock 9; }
unlock() { flock -u 9; exec 9>&-; }

PIDS=()
# start_plain DIR PORT: a plain node (no --cluster)
start_plain() {
  HERALD_PID=""
  "${JVM[@]}" -jar "$J" --data-dir "$1" serve --port "$2" >"$1.log" 2>&1 9>&- &
  HERALD_PID=$!; PIDS+=("$HERALD_PID")
}
# start_node DIR PORT NODE_PORT PARTITIONS MIN_MEMBERS ROOT: a cluster node, seed 127.0.0.1:25541
start_node() {
  "${JVM[@]}" -Dherald.cluster.partitions="$4" -Dherald.cluster.min-members="$5" -jar "$J" --data-dir "$1" \
    serve --cluster --port "$2" --node-port "$3" --seed 127.0.0.1:25541 --storage-root "$6" >"$1.log" 2>&1 9>&- &
  HERALD_PID=$!; PIDS+=("$HERALD_PID")
}
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  PIDS=()
}
trap stop_all EXIT
# upload PORT: the 1M CSV as segment "all"; prints {"upload_s": ..., "answer": ...}
upload() {
  local out
  out=$(curl -s -w ' %{http_code} %{time_total}' -H "Authorization: Bearer $HERALD_API_KEY" -H "Content-Type: text/csv" \
    --data-binary @"$WORK/seg.csv" "http://127.0.0.1:$1/v1/segments/all")
  echo "{\"upload_s\": ${out##* }, \"answer\": ${out% * *}}"
}

bench1() {
  say "benchmark 1: cluster of one vs plain node, 1M recipients, simulated connector"
  local i mode d
  for i in $(seq 1 "$RUNS"); do
    for mode in ${B1_MODES:-plain c16 c64}; do
      d="$WORK/b1-$mode"; rm -rf "$d" "$d.log"; mkdir -p "$d"
      lock
      say "b1 run $i $mode start"
      if [ "$mode" = plain ]; then
        start_plain "$d/node" 18081; port=18081
        echo "b1 $i $mode ready $($PY wait-ready $port)"
      else
        start_node "$d/node" 18091 25541 "${mode#c}" 1 "$d/root"; port=18091
        echo "b1 $i $mode ready $($PY wait-ready $port --cluster)"
      fi
      say "b1 $i $mode upload $(upload $port)"
      say "b1 $i $mode campaign $($PY campaign $port)"
      stop_all
      unlock
      cp "$d/node.log" "$WORK/logs/b1-$i-$mode.log"
      rm -rf "$d"
    done
  done
}

# three_nodes DIR: 3 nodes, 16 partitions, min-members 3, all ready; node 3's pid in NODE3_PID
three_nodes() {
  local d=$1
  rm -rf "$d"; mkdir -p "$d"
  start_node "$d/n1" 18091 25541 16 3 "$d/root"
  start_node "$d/n2" 18092 25542 16 3 "$d/root"
  start_node "$d/n3" 18093 25543 16 3 "$d/root"; NODE3_PID=$HERALD_PID
  echo "3 nodes ready $($PY wait-ready 18091 --cluster --members 3)"
}

bench2() {
  say "benchmark 2: kill -9 of a non-seed node at 25 % of a 40,000 tps campaign (3 nodes, 16 partitions)"
  local i d
  for i in $(seq 1 "$RUNS"); do
    d="$WORK/b2"
    lock
    say "b2 run $i start"
    three_nodes "$d"
    say "b2 $i upload $(upload 18091)"
    curl -s -H "Authorization: Bearer $HERALD_API_KEY" http://127.0.0.1:18091/v1/cluster; echo
    say "b2 $i failover $($PY failover --survivor-port 18091 --kill-pid "$NODE3_PID" --kill-node-port 25543 --tps 40000)"
    curl -s -H "Authorization: Bearer $HERALD_API_KEY" http://127.0.0.1:18091/v1/cluster; echo
    stop_all
    unlock
    for n in 1 2 3; do cp "$d/n$n.log" "$WORK/logs/b2-$i-n$n.log"; done
    grep -hE "ERROR|WARN" "$d"/n*.log | grep -v "UNENCRYPTED" | cut -c1-300 | sort | uniq -c | sort -rn | head -20 || true
    rm -rf "$d"
  done
}

bench3() {
  say "benchmark 3: opt-out latency, partition on the node asked vs on another (3 nodes, 16 partitions)"
  local d="$WORK/b3"
  lock
  three_nodes "$d"
  say "b3 latency $($PY latency 18091 --n 2000 --warmup 500)"
  stop_all
  unlock
  for n in 1 2 3; do cp "$d/n$n.log" "$WORK/logs/b3-n$n.log"; done
  rm -rf "$d"
}

say "start $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || true) jar $JAR"
case "$WHICH" in
  1) bench1 ;;
  2) bench2 ;;
  3) bench3 ;;
  all) bench1; bench2; bench3 ;;
  *) echo "usage: $0 [herald.jar] [work dir] [1|2|3|all]" >&2; exit 2 ;;
esac
say "done"
