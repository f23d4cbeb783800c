#!/usr/bin/env bash
# Load test of the policy API of the packaged JVM app with wrk (Debian package "wrk"): SEED policies, then
# CONNECTIONS concurrent connections for DURATION mixing reads (GET one, GET list) and writes (PUT with If-Match
# of the last version seen, unconditional PUT, POST, DELETE of what was created); see bench/load.lua for the mix.
# Reports throughput, latency p50/p90/p99/max, answers by status (412 = expected If-Match conflicts; any other
# non-2xx or socket error is an error), RSS before, peak (VmHWM, reset after the warm-up) and after, and the heap
# used after a full GC before and after the run, and the durable writes of the run (meshwarden_store_write_seconds:
# count, mean and max; the store serializes writes and fsyncs each one, so they bound write throughput).
#   bench/load.sh                                  # JVM default and "-Xmx64m -XX:+UseSerialGC"
#   bench/load.sh "" "-Xmx128m"                    # chosen JVM settings ("" is the JVM default)
#   DURATION=60s WARMUP=10s CONNECTIONS=100 THREADS=2 SEED=200 bench/load.sh
#   AUTH=none bench/load.sh                        # authentication off (meshwarden.auth.mode=none)
#   MVNW_FLAGS=-o bench/load.sh                    # build offline; SKIP_BUILD=1 uses target/ as it is
# AUTH=tokens (default) writes a tokens file with a fresh random admin token and starts the app with
# -Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.tokens-file; every request carries "Authorization: Bearer <token>"
# in both modes.
# Port: APP_PORT (18090). Exit status 1 when a setting had errors, died or did not start.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=("" "-Xmx64m -XX:+UseSerialGC")
duration=${DURATION:-60s}
warmup=${WARMUP:-10s}
connections=${CONNECTIONS:-100}
threads=${THREADS:-$(nproc)}
seed=${SEED:-200}
port=${APP_PORT:-18090}
auth=${AUTH:-tokens}

if [ -z "${SKIP_BUILD:-}" ]; then
  ./mvnw -B -q ${MVNW_FLAGS:-} package -DskipTests
fi

work=$(mktemp -d -t meshwarden-load.XXXXXX)
app_pid=""
sampler_pid=""
cleanup() {
  [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
  [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth_props=()
case "$auth" in
  tokens)
    printf 'load admin sha256:%s\n' "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
    auth_props=(-Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.tokens-file="$work/tokens") ;;
  none) auth_props=(-Dmeshwarden.auth.mode=none) ;;
  *) echo "AUTH must be tokens or none" >&2; exit 2 ;;
esac
export TOKEN=$token SEED=$seed
api="http://127.0.0.1:$port"
curl_api() { curl -s -H "Authorization: Bearer $token" "$@"; }

# count, sum (s) and max (s) of the store's durable-write timer
store_writes() {
  curl_api "$api/q/metrics" | awk '/^meshwarden_store_write_seconds_count/ { c = $2 }
    /^meshwarden_store_write_seconds_sum/ { s = $2 } /^meshwarden_store_write_seconds_max/ { m = $2 }
    END { printf "%s %s %s", c + 0, s + 0, m + 0 }'
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
# Heap in use after a full collection (young + old, KiB columns of jstat), MiB.
heap_after_gc() {
  jcmd "$1" GC.run >/dev/null 2>&1 || { echo "-"; return; }
  jstat -gc "$1" | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 { printf "%.1f", ($col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"]) / 1024 }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$threads -c$connections -d$duration (warm-up $warmup);" \
  "$seed seeded policies; auth $auth"
rows=()
failed=0
for opts in "${settings[@]}"; do
  label=${opts:-default}
  store="$work/store-$RANDOM"
  log="$work/app-$RANDOM.log"
  start=$(now_ms)
  # shellcheck disable=SC2086
  java $opts -Dquarkus.http.port="$port" -Dmeshwarden.store.type=file -Dmeshwarden.store.dir="$store" \
    -Dmeshwarden.cluster.enabled=false -Dmeshwarden.audit.enabled=false -Dmeshwarden.enforce.enabled=false \
    -Dmeshwarden.leader-election.enabled=false "${auth_props[@]}" \
    -jar target/quarkus-app/quarkus-run.jar >"$log" 2>&1 &
  app_pid=$!
  ready=""
  for _ in $(seq 1 1800); do
    if curl -sf "$api/q/health/ready" >/dev/null 2>&1; then ready=$(($(now_ms) - start)); break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$ready" ]; then
    rows+=("$label: did not become ready: $(grep -m1 -E 'SRCFG|ERROR|Exception' "$log" || echo '?')")
    failed=1
    kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; app_pid=""
    continue
  fi

  seq 0 $((seed - 1)) | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -X POST "$api/api/v1/policies" \
    -d '{"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"load-seed-{}","labels":{"set":"seed"}},"spec":{"type":"TraceSampling","parameters":{"maxPercent":1}}}' \
    >"$work/seed.codes"
  seeded_ok=$(grep -c '^201$' "$work/seed.codes" || true)
  if [ "$seeded_ok" != "$seed" ]; then
    rows+=("$label: seeding failed: $(sort "$work/seed.codes" | uniq -c | tr '\n' ' ')")
    failed=1
    kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; app_pid=""
    continue
  fi

  if [ "$warmup" != 0 ] && [ "$warmup" != 0s ]; then
    wrk -t"$threads" -c"$connections" -d"$warmup" --timeout 10s -s bench/load.lua "$api" >"$work/warmup.txt" 2>&1 || true
  fi
  # GC first: a full collection may return heap to the OS, and RSS before must be measured after it.
  heap_before=$(heap_after_gc "$app_pid")
  rss_before=$(status_mib "$app_pid" VmRSS)
  writes_before=$(store_writes)
  hwm_scope=run
  echo 5 >"/proc/$app_pid/clear_refs" 2>/dev/null || hwm_scope=lifetime
  # RSS every 5 s during the run, to show whether it levels off.
  (while kill -0 "$app_pid" 2>/dev/null; do status_mib "$app_pid" VmRSS; echo; sleep 5; done) >"$work/rss.txt" &
  sampler_pid=$!
  wrk -t"$threads" -c"$connections" -d"$duration" --timeout 10s --latency -s bench/load.lua "$api" \
    >"$work/wrk.txt" 2>&1 || true
  kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=""
  if ! kill -0 "$app_pid" 2>/dev/null; then
    rows+=("$label: the app died during the run: $(grep -m1 -E 'OutOfMemoryError|ERROR' "$log" || echo '?')")
    failed=1; app_pid=""
    continue
  fi
  peak=$(status_mib "$app_pid" VmHWM)
  rss_after=$(status_mib "$app_pid" VmRSS)
  heap_after=$(heap_after_gc "$app_pid")
  writes_after=$(store_writes)
  # Timer count and sum: the run's writes and their mean duration; max is the timer's recent maximum.
  dur=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$work/wrk.txt" | head -1)
  writes=$(awk -v b="$writes_before" -v a="$writes_after" -v dur="${dur:-1}" 'BEGIN { split(b, x, " "); split(a, y, " ");
    n = y[1] - x[1]; printf "%d durable writes (%.0f/s), mean %.1f ms, max %.0f ms", n, n / dur,
    (n > 0 ? (y[2] - x[2]) * 1000 / n : 0), y[3] * 1000 }')
  policies=$(curl_api "$api/api/v1/policies" | grep -o '"kind":"MeshPolicy"' | wc -l)
  oom=$(grep -c 'OutOfMemoryError' "$log" || true)
  app_errors=$(grep -c ' ERROR ' "$log" || true)
  result=$(grep '^RESULT requests=' "$work/wrk.txt" | sed 's/^RESULT //')
  unexpected=$(sed -n 's/.* unexpected=\([0-9]*\).*/\1/p' <<<"$result")
  ok=ok
  if [ -z "$result" ] || [ "${unexpected:-1}" != 0 ] || [ "$oom" != 0 ]; then ok=FAILED; failed=1; fi
  echo
  echo "== $label: ready ${ready} ms"
  sed -n '/Latency Distribution/,/^ *99%/p' "$work/wrk.txt"
  grep -E '^(Requests/sec|Transfer/sec|  [0-9]+ requests in)' "$work/wrk.txt" || true
  grep '^RESULT' "$work/wrk.txt"
  echo "RSS samples (MiB, every 5 s): $(grep -v '^$' "$work/rss.txt" | tr '\n' ' ')"
  echo "store: $writes"
  rows+=("$(printf '%-28s %s | RSS before %s MiB, peak %s MiB (%s), after %s MiB | heap after GC %s -> %s MiB |' \
    "$label" "$result" "$rss_before" "$peak" "$hwm_scope" "$rss_after" "$heap_before" "$heap_after") $writes | policies after ${policies}, app ERROR lines $app_errors, OOM $oom: $ok")
  kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; app_pid=""
done

echo
echo "summary (wrk -t$threads -c$connections -d$duration after a $warmup warm-up; load average now" \
  "$(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${rows[@]}"
exit "$failed"
