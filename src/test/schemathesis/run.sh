#!/usr/bin/env bash
# Contract test (issue 14): schemathesis, pinned, against the packaged application's own OpenAPI document
# (/q/openapi), with every check and a bounded number of examples per operation. Exits non-zero on any failure.
#
#   src/test/schemathesis/run.sh                              # target/quarkus-app/quarkus-run.jar (./mvnw package)
#   src/test/schemathesis/run.sh target/native/meshwarden-runner   # the native executable
#
# Environment: SCHEMATHESIS_MAX_EXAMPLES (30), SCHEMATHESIS_SEED (1402), SCHEMATHESIS_TIMEOUT (seconds for the
# whole schemathesis run, 600). The virtual environment is cached in ~/.cache/meshwarden/schemathesis/<version>.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=src/test/schemathesis
version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
seed=${SCHEMATHESIS_SEED:-1402}
budget=${SCHEMATHESIS_TIMEOUT:-600}
out=target/schemathesis
mkdir -p "$out"

# --- the tool: a virtual environment per pinned version, installed from hashes, a no-op when cached -----------------
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" > /dev/null; then python=$candidate; break; fi
  done
fi
[ -n "$python" ] || { echo "schemathesis needs Python 3.10+"; exit 1; }
venv=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/schemathesis/$version/venv
lock=$here/requirements.txt
stamp=$venv/.meshwarden-lock-$(sha256sum "$lock" | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "== installing schemathesis $version into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  # Every distribution is pinned with its sha256 (requirements.txt); --no-deps: the lock is the whole closure.
  "$venv/bin/pip" install -q --disable-pip-version-check --require-hashes --no-deps --only-binary :all: -r "$lock"
  touch "$stamp"
fi
"$venv/bin/schemathesis" --version | grep -q " $version\$" || { echo "schemathesis is not $version"; exit 1; }

# --- the application: a temp store, a known admin token, a free port on 127.0.0.1 --------------------------------------
artifact=${1:-target/quarkus-app/quarkus-run.jar}
[ -e "$artifact" ] || { echo "no packaged application at $artifact (run ./mvnw package first)"; exit 1; }
work=$(mktemp -d)
token=$("$python" -c 'import secrets; print(secrets.token_hex(32))')
printf 'schemathesis admin sha256:%s\n' "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)" > "$work/tokens"
mkdir "$work/store"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
props=(-Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port"
  -Dmeshwarden.store.type=file -Dmeshwarden.store.dir="$work/store"
  -Dmeshwarden.cluster.enabled=false -Dmeshwarden.audit.enabled=false -Dmeshwarden.enforce.enabled=false
  -Dmeshwarden.leader-election.enabled=false
  -Dmeshwarden.auth.mode=tokens -Dmeshwarden.auth.tokens-file="$work/tokens")
if [[ "$artifact" == *.jar ]]; then
  cmd=(java -Xmx256m "${props[@]}" -jar "$artifact")
else
  cmd=("$artifact" "${props[@]}")
fi
app=
cleanup() {
  if [ -n "$app" ] && kill -0 "$app" 2> /dev/null; then kill "$app"; wait "$app" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
"${cmd[@]}" > "$out/app.log" 2>&1 &
app=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 600); do
  kill -0 "$app" 2> /dev/null || { tail -30 "$out/app.log"; echo "the application exited"; exit 1; }
  curl -fs -o /dev/null "$base/q/health/ready" && break
  sleep 0.1
done
curl -fs -o "$out/openapi.json" -H 'Accept: application/json' "$base/q/openapi?format=json" \
  || { tail -30 "$out/app.log"; echo "the application did not serve /q/openapi"; exit 1; }

# --- the run ---------------------------------------------------------------------------------------------------------
echo "== schemathesis $version against $artifact on $base ($max_examples examples per operation, seed $seed)"
t0=$(date +%s)
rc=0
# From target/schemathesis: schemathesis keeps its replay cache (.schemathesis/) in the working directory.
config=$PWD/$here/schemathesis.toml
cd "$out"
timeout --signal=INT --kill-after=30 "$budget" \
  "$venv/bin/schemathesis" --config-file "$config" run "$base/q/openapi?format=json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --generation-database none \
    --workers 1 \
    --request-timeout 10 \
    --no-color \
    --report junit --report-dir . \
  || rc=$?
cd - > /dev/null
echo "== schemathesis finished in $(( $(date +%s) - t0 ))s with exit code $rc"
if ! kill -0 "$app" 2> /dev/null; then echo "the application died during the run; see $out/app.log"; rc=1; fi
if grep -q ' ERROR ' "$out/app.log"; then grep ' ERROR ' "$out/app.log" | head -20; echo "ERROR in the app log"; rc=1; fi
exit "$rc"
