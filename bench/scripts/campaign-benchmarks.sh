#!/bin/bash
# Runs the campaign engine's end-to-end measurements recorded in BENCHMARKS.md:
# herald demo at 1M (3 fresh runs), herald bench at 1M (3 runs), herald demo at 10M with -Xmx1g.
# Usage: bench/scripts/campaign-benchmarks.sh [herald.jar] [work dir]   (log: <work dir>/campaign-benchmarks.log)
# Runs are serialised with other benchmarks through flock /tmp/jmh.lock. Needs ~3 GB free in the work dir.
set -euo pipefail
JAR=${1:-dispatcher/target/herald.jar}
WORK=${2:-/tmp/herald-campaign-bench}
mkdir -p "$WORK"
cp "$JAR" "$WORK/herald.jar"   # a private copy: a rebuild during the runs does not change what is measured
J="$WORK/herald.jar"
exec > >(tee "$WORK/campaign-benchmarks.log") 2>&1
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
for i in 1 2 3; do
  rm -rf "$WORK/demo1m"
  flock /tmp/jmh.lock java -jar "$J" demo --recipients 1000000 --data-dir "$WORK/demo1m" --json "$WORK/demo1m-$i.json" \
    | grep -E "pipeline|throughput|peak|sent |deferred|suppressed|build"
done
for i in 1 2 3; do
  flock /tmp/jmh.lock java -jar "$J" --data-dir "$WORK/bench1m" bench --json "$WORK/bench1m-$i.json" | tail -30
done
rm -rf "$WORK/demo10m/send-ledger" "$WORK/demo10m/campaigns" "$WORK/demo10m/connector"
flock /tmp/jmh.lock /usr/bin/time -v java -Xmx1g -Xlog:gc:file="$WORK/demo10m-gc.log" -jar "$J" \
  demo --recipients 10000000 --data-dir "$WORK/demo10m" --json "$WORK/demo10m.json" | grep -v "^building\|^sending"
echo "done $(date -u +%FT%TZ)"
