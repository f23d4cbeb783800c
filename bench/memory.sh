#!/usr/bin/env bash
# Memory and API-load benchmark of the packaged JVM app against a mock API server holding a synthetic cluster.
# For each JVM setting: time to ready, RSS after start, peak RSS (VmHWM) during one audit plus one dry-run
# enforcement cycle, and the API requests each of them made, counted at the mock.
#   bench/memory.sh                                   # 10000 workloads; the k8s/ Deployment's options, -Xmx64m, default
#   bench/memory.sh 10000 "-Xmx96m -XX:+UseSerialGC"  # chosen size and settings ("" is the JVM default)
#   MVNW_FLAGS=-o bench/memory.sh                      # build offline
#   NATIVE_BIN=target/native/meshwarden-runner bench/memory.sh
#                                                     # JVM and native side by side: the k8s/ JVM options, then the
#                                                     # native executable with the k8s/ native options and its default
#   NATIVE_BIN=... bench/memory.sh 10000 "-Xmx64m" "native:-Xmx32m"
#                                                     # a setting prefixed "native:" runs the native executable
# Ports: APP_PORT (18080), MOCK_PORT (18443; the request counts are served on MOCK_PORT+1).
set -euo pipefail
cd "$(dirname "$0")/.."

workloads=${1:-10000}
shift || true
settings=("$@")
jvm_k8s="-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -Xss512k -XX:MaxDirectMemorySize=32m"
# The native options of the k8s/ native overlay (k8s/overlays/native); keep the two in step.
native_k8s=${NATIVE_K8S_OPTS:-"-Xmx48m"}
if [ ${#settings[@]} -eq 0 ]; then
  if [ -n "${NATIVE_BIN:-}" ]; then
    settings=("$jvm_k8s" "native:$native_k8s" "native:")
  else
    settings=("$jvm_k8s" "-Xmx64m -XX:+UseSerialGC" "")
  fi
fi
# As the k8s/ Deployment sets it: glibc otherwise reserves a malloc arena per thread.
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
app_port=${APP_PORT:-18080}
mock_port=${MOCK_PORT:-18443}
counts_port=$((mock_port + 1))

source bench/mock-cluster.sh

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# kB from /proc/PID/status to MiB with one decimal
status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
counts_json() { curl -sf "http://localhost:$counts_port/counts"; }
total_of() { grep -o '"total":[0-9]*' <<<"$1" | cut -d: -f2; }
reset_counts() { curl -sf -X POST "http://localhost:$counts_port/reset" >/dev/null; }

rows=()
notes=()
for setting in "${settings[@]}"; do
  opts=${setting#native:}
  if [ "$opts" != "$setting" ]; then
    [ -n "${NATIVE_BIN:-}" ] || { echo "setting '$setting' needs NATIVE_BIN" >&2; exit 2; }
    launch=("$NATIVE_BIN"); jar=(); label="native ${opts:-default}"
  else
    launch=(java); jar=(-jar target/quarkus-app/quarkus-run.jar); label="JVM ${opts:-default}"
  fi
  store="$work/store-$RANDOM"
  log="$work/app-$RANDOM.log"
  # The API wants a token as on any install outside a cluster: the generated admin token, read once ready.
  token_file="$store.admin-token"
  start=$(now_ms)
  # Unquoted $opts: it holds several JVM options, or none.
  # shellcheck disable=SC2086
  "${launch[@]}" $opts -Dquarkus.http.port="$app_port" \
    -Dquarkus.kubernetes-client.api-server-url="http://localhost:$mock_port" \
    -Dquarkus.kubernetes-client.trust-certs=true \
    -Dmeshwarden.cluster.enabled=true -Dmeshwarden.audit.enabled=false -Dmeshwarden.enforce.enabled=false \
    -Dmeshwarden.leader-election.enabled=false -Dmeshwarden.store.dir="$store" \
    -Dmeshwarden.gitops.dir="$PWD/examples/policies" \
    -Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.generated-token-file="$token_file" \
    "${jar[@]}" >"$log" 2>&1 &
  app_pid=$!
  ready=""
  for _ in $(seq 1 1200); do
    if curl -sf "http://localhost:$app_port/q/health/ready" >/dev/null 2>&1; then
      ready=$(($(now_ms) - start))
      break
    fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$ready" ]; then
    rows+=("$(printf '%-28s %s' "$label" "did not become ready; log: $(grep -m1 -E 'ERROR|Exception|Error' "$log")")")
    kill "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    continue
  fi
  rss_start=$(status_mib "$app_pid" VmRSS)
  auth="Authorization: Bearer $(cat "$token_file")"
  policies=$(curl -sf -H "$auth" "http://localhost:$app_port/api/v1/policies" | grep -o '"kind":"MeshPolicy"' | wc -l)

  # Writing 5 to clear_refs resets VmHWM to the current RSS, so the peak is that of the cycle, not of start-up.
  hwm_scope=cycle
  echo 5 >"/proc/$app_pid/clear_refs" 2>/dev/null || hwm_scope=lifetime

  reset_counts
  t=$(now_ms)
  # A cycle that outlives CYCLE_TIMEOUT is reported (HTTP 000), not left hanging or ending the script.
  audit_code=$(curl -s --max-time "${CYCLE_TIMEOUT:-300}" -H "$auth" -o "$work/audit.json" -w '%{http_code}' -X POST \
    "http://localhost:$app_port/api/v1/audits" || true)
  audit_ms=$(($(now_ms) - t))
  audit_counts=$(counts_json)
  audit_reqs=$(total_of "$audit_counts")
  audit_findings=$(grep -o '"findings" *: *[0-9][0-9]*' "$work/audit.json" | head -1 | grep -o '[0-9]*$' || true)

  reset_counts
  t=$(now_ms)
  run_code=$(curl -s --max-time "${CYCLE_TIMEOUT:-300}" -H "$auth" -o "$work/run.json" -w '%{http_code}' -X POST \
    "http://localhost:$app_port/api/v1/runs?dryRun=true" || true)
  run_ms=$(($(now_ms) - t))
  run_counts=$(counts_json)
  run_reqs=$(total_of "$run_counts")
  run_outcome=$(grep -o '"outcome" *: *"[^"]*"' "$work/run.json" | head -1 | sed 's/.*"\([^"]*\)"$/\1/' || true)

  peak=$(status_mib "$app_pid" VmHWM)
  rss_end=$(status_mib "$app_pid" VmRSS)
  oom=$(grep -c 'OutOfMemoryError' "$log" || true)
  result=ok
  { [ "$audit_code" = 200 ] && [[ "$run_code" == 20[12] ]] && [ "$oom" = 0 ]; } || result=FAILED
  [ "$oom" = 0 ] || result="FAILED (OutOfMemoryError)"
  rows+=("$(printf '%-28s %8s %10s %11s %9s %10s %6s %8s %10s %6s %8s  %s' "$label" "$ready" "$rss_start" \
    "$peak" "$rss_end" "$audit_code/${audit_ms}" "${audit_reqs:-?}" "${audit_findings:--}" \
    "$run_code/${run_ms}" "${run_reqs:-?}" "${run_outcome:--}" "$result")")
  expected=$(ls examples/policies | wc -l)
  [ "$policies" = "$expected" ] || notes+=("$label: $policies policies loaded, expected $expected")
  echo "done: ${rows[${#rows[@]}-1]}" >&2
  [ "$hwm_scope" = cycle ] || notes+=("$label: cannot reset VmHWM; the peak includes start-up")
  if [ "$result" = ok ] && [ -z "${breakdown:-}" ]; then
    breakdown="$label: audit $audit_counts"$'\n'"$label: dry run $run_counts"
  fi
  if [ "$result" != ok ]; then
    notes+=("$label: $(grep -m1 -E 'OutOfMemoryError|ERROR' "$log" || echo "audit HTTP $audit_code, run HTTP $run_code")")
  fi
  kill "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
done

echo
echo "Meshwarden, $workloads workloads ($(grep -o '[0-9]* objects' "$work/mock.log")), $(ls examples/policies | wc -l) example policies;" \
  "MiB; ms; requests counted at the mock API server"
printf '%-28s %8s %10s %11s %9s %10s %6s %8s %10s %6s %8s  %s\n' "artifact and options" "ready" "RSS start" \
  "peak cycle" "RSS end" "audit" "reqs" "findings" "dry run" "reqs" "outcome" "result"
printf '%s\n' "${rows[@]}"
for n in "${notes[@]+"${notes[@]}"}"; do echo "note: $n"; done
echo "audit/dry run columns: HTTP status/duration in ms; peak cycle = VmHWM after resetting it once ready"
[ -z "${breakdown:-}" ] || { echo "requests by method and path:"; echo "$breakdown"; }
