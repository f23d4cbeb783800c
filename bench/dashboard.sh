#!/usr/bin/env bash
# Server time of each dashboard page and the service's memory, with the packaged JVM app reading a synthetic cluster
# of N workloads (default 10000) from the mock API server (the same cluster as bench/memory.sh).
#   bench/dashboard.sh                        # 10000 workloads, the k8s/ Deployment's JVM options
#   bench/dashboard.sh 10000 "-Xmx96m"        # chosen size and JVM options
#   NATIVE_BIN=target/native/meshwarden-runner bench/dashboard.sh   # the native executable (-Xmx48m)
#   MVNW_FLAGS=-o bench/dashboard.sh          # build offline
#   DRY_RUN=1 bench/dashboard.sh 1000         # also a dry run, and its pages (at 10k it needs more than -Xmx64m:
#   DRY_RUN=1 bench/dashboard.sh 10000 "-Xmx160m -XX:+UseSerialGC"   # about 6 min of dry run against the mock)
# Server time = curl's time_starttransfer - time_pretransfer (request sent to first byte back) over loopback, the
# median and the maximum of REPEAT (20) requests per page after 3 unmeasured ones. RSS and VmHWM from /proc.
# Ports: APP_PORT (18090), MOCK_PORT (18453).
set -euo pipefail
cd "$(dirname "$0")/.."

workloads=${1:-10000}
jvm_k8s="-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=32m -Xss512k -XX:MaxDirectMemorySize=32m"
opts=${2-$jvm_k8s}
repeat=${REPEAT:-20}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
app_port=${APP_PORT:-18090}
mock_port=${MOCK_PORT:-18453}
base="http://localhost:$app_port"

source bench/mock-cluster.sh

token=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)
printf 'bench-admin admin sha256:%s\n' "$(printf %s "$token" | sha256sum | cut -d' ' -f1)" >"$work/tokens"
props=(-Dquarkus.http.port="$app_port" -Dquarkus.kubernetes-client.api-server-url="http://localhost:$mock_port"
  -Dquarkus.kubernetes-client.trust-certs=true -Dmeshwarden.cluster.enabled=true -Dmeshwarden.audit.enabled=false
  -Dmeshwarden.enforce.enabled=false -Dmeshwarden.leader-election.enabled=false
  -Dmeshwarden.store.dir="$work/store" -Dmeshwarden.gitops.dir="$PWD/examples/policies"
  -Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.tokens-file="$work/tokens")
if [ -n "${NATIVE_BIN:-}" ]; then
  # shellcheck disable=SC2206
  launch=("$NATIVE_BIN" ${NATIVE_OPTS:--Xmx48m} "${props[@]}"); label="native ${NATIVE_OPTS:--Xmx48m}"
else
  # shellcheck disable=SC2206
  launch=(java $opts "${props[@]}" -jar target/quarkus-app/quarkus-run.jar); label="JVM ${opts:-default}"
fi
"${launch[@]}" >"$work/app.log" 2>&1 &
app_pid=$!
ready=""
for _ in $(seq 1 3000); do
  curl -sf "$base/q/health/ready" >/dev/null 2>&1 && { ready=1; break; }
  kill -0 "$app_pid" 2>/dev/null || { echo "the app died:" >&2; tail -20 "$work/app.log" >&2; exit 1; }
  sleep 0.05
done
[ -n "$ready" ] || { echo "the app was not ready within 150 s" >&2; tail -20 "$work/app.log" >&2; exit 1; }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
rss_ready=$(status_mib "$app_pid" VmRSS)
auth="Authorization: Bearer $token"
code=$(curl -s -X POST -H "$auth" "$base/api/v1/audits" -o "$work/audit.json" -w '%{http_code}')
[ "$code" = 200 ] || { echo "audit: HTTP $code" >&2; cat "$work/audit.json" >&2; tail -20 "$work/app.log" >&2; exit 1; }
findings=$(grep -o '"findings" *: *[0-9]*' "$work/audit.json" | head -1 | grep -o '[0-9]*$')
run_id=""
dry_note=""
# Off by default: at 10k the dry run runs out of a 64 MiB heap (BENCHMARKS.md, memory), a known gap of the enforcer.
# A plan that takes longer than meshwarden.enforce.answer-within (20 s) is answered 202 while it plans: poll the run
# until it is planned, at most DRY_RUN_TIMEOUT seconds (900).
if [ -n "${DRY_RUN:-}" ]; then
  t0=$(date +%s%N)
  run_id=$(curl -s -X POST -H "$auth" "$base/api/v1/runs?dryRun=true" | { grep -o '"id" *: *"[^"]*"' || true; } | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
  outcome=""
  if [ -n "$run_id" ]; then
    for _ in $(seq 1 "${DRY_RUN_TIMEOUT:-900}"); do
      outcome=$(curl -s -H "$auth" "$base/api/v1/runs/$run_id" -o "$work/run.json" -w '%{http_code}')
      outcome=$(grep -o '"outcome" *: *"[^"]*"' "$work/run.json" | head -1 | sed 's/.*"\([^"]*\)"$/\1/')
      [ "$outcome" = running ] || break
      sleep 1
    done
  fi
  if [ "$outcome" = planned ]; then
    dry_note="dry run $run_id planned in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  else
    echo "note: the dry run ended '${outcome:-without an answer}'; its pages are left out" >&2
    run_id=""
  fi
fi
rss_before=$(status_mib "$app_pid" VmRSS)
hwm_before=$(status_mib "$app_pid" VmHWM)
echo 5 >"/proc/$app_pid/clear_refs" 2>/dev/null || true

# Log in as a browser does: the login page's cookie and hidden CSRF field, then the form.
curl -s -D "$work/h1" -o "$work/login.html" "$base/login"
login_cookie=$(grep -i '^set-cookie: mw_login=' "$work/h1" | sed 's/^[^=]*=\([^;]*\);.*/\1/' | tr -d '\r')
csrf=$(grep -o 'name="csrf" value="[^"]*"' "$work/login.html" | sed 's/.*value="\([^"]*\)"/\1/')
curl -s -D "$work/h2" -o /dev/null -H "Cookie: mw_login=$login_cookie" --data-urlencode "csrf=$csrf" \
  --data-urlencode "token=$token" "$base/login"
session=$(grep -i '^set-cookie: mw_session=' "$work/h2" | sed 's/^[^=]*=\([^;]*\);.*/\1/' | tr -d '\r')
[ -n "$session" ] || { echo "login failed" >&2; cat "$work/h2" >&2; exit 1; }
cookie="Cookie: mw_session=$session"
at=$(curl -s -H "$cookie" "$base/findings" | grep -o '/findings/0?at=[0-9]*' | head -1 | cut -d= -f2)
# The last page of all findings (the deepest offset).
last_page=$(( (findings + 49) / 50 ))

pages=("/" "/findings" "/findings?severity=danger" "/findings?q=istio-proxy" "/findings?namespace=team-7&kind=Deployment"
  "/findings?page=$last_page" "/findings/0?at=$at" "/rules/proxy-sizing-deviates" "/runs" "/runs/new?mode=dry-run"
  "/policies" "/policies/proxy-sizing" "/helm")
if [ -n "$run_id" ]; then
  # The plan is paged, 50 objects to a page: its first and its last page.
  plan_pages=$(curl -s -H "$cookie" "$base/runs/$run_id" | grep -o 'page 1 of [0-9]*' | head -1 | grep -o '[0-9]*$' || echo 1)
  dry_note="$dry_note, $(curl -s -H "$cookie" "$base/runs/$run_id" | grep -o 'Plan: [0-9]* objects' | head -1) on ${plan_pages:-1} pages"
  pages+=("/runs/$run_id" "/runs/$run_id?page=${plan_pages:-1}" "/runs/new?mode=enforce")
fi
printf '%-46s %7s %9s %9s %9s\n' "page" "status" "bytes" "median ms" "max ms"
for p in "${pages[@]}"; do
  for _ in 1 2 3; do curl -s -o /dev/null -H "$cookie" "$base$p"; done
  times=()
  code="" size=""
  for _ in $(seq 1 "$repeat"); do
    out=$(curl -s -o /dev/null -H "$cookie" -w '%{http_code} %{size_download} %{time_pretransfer} %{time_starttransfer}' "$base$p")
    read -r code size pre first <<<"$out"
    times+=("$(awk -v a="$pre" -v b="$first" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(sed -n "$(( (repeat + 1) / 2 ))p" <<<"$sorted")
  max=$(tail -1 <<<"$sorted")
  printf '%-46s %7s %9s %9s %9s\n' "$p" "$code" "$size" "$median" "$max"
done
echo
echo "$label, $workloads workloads ($(grep -o '[0-9]* objects' "$work/mock.log")), $findings findings, examples/policies;" \
  "RSS ready $rss_ready MiB, after the audit${run_id:+ and the dry run} $rss_before MiB (peak $hwm_before MiB), after the pages $(status_mib "$app_pid" VmRSS) MiB, peak during the pages $(status_mib "$app_pid" VmHWM) MiB"
[ -z "$dry_note" ] || echo "$dry_note"
