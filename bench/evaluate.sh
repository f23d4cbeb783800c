#!/usr/bin/env bash
# Evaluation benchmark: synthetic snapshots x the 5 example policies (one of each type), on ONE core,
# one JVM per size so that sizes do not share warm-up or garbage.
#   bench/evaluate.sh                  # 1000 10000 50000 workloads
#   bench/evaluate.sh 10000            # chosen sizes
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q package -DskipTests
./mvnw -B -q test-compile
cp="target/classes:target/test-classes:target/quarkus-app/lib/main/*"
pin=""
if command -v taskset >/dev/null 2>&1; then pin="taskset -c 0"; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
for n in "${sizes[@]}"; do
  $pin java -XX:ActiveProcessorCount=1 -XX:+UseSerialGC -Xms2g -Xmx2g -cp "$cp" \
    io.meshwarden.bench.EvaluateBenchmark "$n"
done
