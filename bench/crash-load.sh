#!/usr/bin/env bash
# Crash safety under load through the REST API: WRITERS concurrent clients create, update (If-Match or
# unconditional) and delete policies on the packaged app while it is killed with kill -9 at a random moment,
# ITERATIONS times over the same store directory. After every restart: each write answered 2xx is served exactly
# (version and content, or 404 for a delete; the one write per writer in flight at the kill may have landed or not),
# no file in the store directory is torn, and versions handed out after the restart exceed every acknowledged one.
# The loop is src/test/java/io/meshwarden/bench/CrashLoadDriver.java; it prints a line per iteration and the totals.
#   bench/crash-load.sh                          # 200 iterations, 100 writers
#   bench/crash-load.sh 10 20                    # iterations, writers (the kill comes KILL_MS after the
#                                                # iteration's first acknowledged write)
#   ITERATIONS=50 WRITERS=100 KILL_MS=200-2000 SEED=42 bench/crash-load.sh
#   AUTH=none bench/crash-load.sh                # authentication off (meshwarden.auth.mode=none)
#   APP_JVM_OPTS="-Xmx64m -XX:+UseSerialGC" bench/crash-load.sh
#   MVNW_FLAGS=-o bench/crash-load.sh            # build offline; SKIP_BUILD=1 uses target/ as it is
#   WORK_DIR=/tmp/cl KEEP_WORK=1 bench/crash-load.sh  # store and app.log there (a temp dir is removed on success)
# Exit status: 0 when nothing was lost, torn or non-monotonic and every answer was expected, 1 otherwise.
# AUTH=tokens (default) writes a tokens file with a fresh random admin token and starts the app with
# -Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.tokens-file; every request carries "Authorization: Bearer <token>"
# in both modes.
set -euo pipefail
cd "$(dirname "$0")/.."

iterations=${1:-${ITERATIONS:-200}}
writers=${2:-${WRITERS:-100}}
work=${WORK_DIR:-}
own_work=""
[ -n "$work" ] || { work=$(mktemp -d -t crash-load.XXXXXX); own_work=1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  ./mvnw -B -q ${MVNW_FLAGS:-} package -DskipTests
  ./mvnw -B -q ${MVNW_FLAGS:-} test-compile
fi

args=(--iterations "$iterations" --writers "$writers" --auth "${AUTH:-tokens}" --work "$work"
  --jar target/quarkus-app/quarkus-run.jar --kill-ms "${KILL_MS:-200-2000}")
[ -z "${SEED:-}" ] || args+=(--seed "$SEED")
[ -z "${APP_JVM_OPTS:-}" ] || args+=(--jvm "$APP_JVM_OPTS")

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); work directory $work"
start=$(date +%s)
status=0
java -Xmx512m -cp "target/test-classes:target/classes:target/quarkus-app/lib/main/*" \
  io.meshwarden.bench.CrashLoadDriver "${args[@]}" || status=$?
echo "crash-load finished in $(( $(date +%s) - start )) s, exit $status; load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$status" = 0 ] && [ -n "$own_work" ] && [ -z "${KEEP_WORK:-}" ]; then
  rm -rf "$work"
else
  echo "kept $work (store/ and app.log)"
fi
exit "$status"
