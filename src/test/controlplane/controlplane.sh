#!/usr/bin/env bash
# A real Kubernetes control plane for Meshwarden's end-to-end tests, built from Go modules with the ordinary go
# command: etcd (embedded, see etcd/main.go), kube-apiserver, kube-controller-manager and kube-scheduler (from
# k8s.io/kubernetes, pinned in go.mod), kwok for a fake node and pod lifecycle, and helm.
#
#   controlplane.sh build    build the binaries once into the cache (a no-op when they are there)
#   controlplane.sh up       build if needed, generate certificates, start everything, wait until usable
#                            (--watch-parent: also stop everything once the calling process, e.g. Maven, is gone)
#   controlplane.sh down     stop every process `up` started, also after a partial or failed `up`
#   controlplane.sh env      print shell exports (KUBECONFIG, the binaries' directory)
#   controlplane.sh status   what runs, on which ports
#   controlplane.sh kill COMPONENT    SIGKILL one component (its process group), for fault tests
#   controlplane.sh start COMPONENT   start etcd, kube-apiserver or kwok again on its ports and flags (the API
#                                     server: and wait until ready)
#
# MESHWARDEN_CP_AUDIT=1 at `up` turns on the API server's audit log: every write request (create, update, patch,
# delete) at level Metadata, once per request (stage ResponseComplete), in $MESHWARDEN_CP_STATE/logs/audit.log.
# Off by default. A restart by `start kube-apiserver` keeps it (the policy file in the state directory decides).
#
# Binaries: ${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/controlplane/<key>/bin, the key naming every version and a
# hash of the Go sources here, so that a second run skips the build. Runtime state (certificates, etcd data,
# logs, pids, kubeconfig): $MESHWARDEN_CP_STATE, by default target/controlplane of the checkout.
# Linux only (setsid, /proc); needs go 1.26+, openssl and curl.
set -euo pipefail
# Failures inside $(...) must stop the script too.
shopt -s inherit_errexit

KWOK_VERSION=v0.8.0
HELM_VERSION=v3.22.0
NODE_NAME=kwok-node-0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
STATE=${MESHWARDEN_CP_STATE:-$ROOT/target/controlplane}
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/controlplane
# Stopped first to last in reverse, so that nothing writes to a store that is already gone.
COMPONENTS=(watchdog etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
START_WAIT=${MESHWARDEN_CP_START_TIMEOUT:-120}

log() { printf '[controlplane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The version go.mod requires a module at, in a require block or on a single require line.
module_version() {
    awk -v m="$1" '{ if ($1 == "require") { $1 = ""; $0 = $0 } } $1 == m && $2 ~ /^v/ { print $2; exit }' "$HERE/go.mod"
}

cache_key() {
    local k8s etcd sources
    k8s=$(module_version k8s.io/kubernetes)
    etcd=$(module_version go.etcd.io/etcd/server/v3)
    [ -n "$k8s" ] && [ -n "$etcd" ] || die "cannot read the k8s.io/kubernetes and etcd versions from $HERE/go.mod"
    # What decides the binaries: the module graph, our etcd program, and the flags this script builds with.
    sources=$( (cat "$HERE/go.mod" "$HERE/go.sum" "$HERE/etcd/main.go"; declare -f build_into) | sha256sum | cut -c1-12)
    echo "k8s-$k8s-etcd-$etcd-kwok-$KWOK_VERSION-helm-$HELM_VERSION-$sources"
}

cache_dir() {
    local key
    key=$(cache_key)
    echo "$CACHE_ROOT/$key"
}

# ------------------------------------------------------------------------------------------------------ build

timed() {
    local what=$1 start
    shift
    start=$(date +%s)
    log "building $what"
    "$@" >&2 || die "building $what failed: $*"
    echo "$what $(( $(date +%s) - start ))s" >> "$TIMES"
    log "built $what in $(( $(date +%s) - start ))s"
}

build_into() {
    local dir=$1 gomodcache kwok_stages
    mkdir -p "$dir/bin"
    TIMES="$dir/build-times.txt"
    : > "$TIMES"
    command -v go >/dev/null || die "go is not on PATH; the control plane is built from Go modules (Go 1.26+)"
    # No VCS stamping: the checkout's git state must not decide (or break) the build.
    local flags=(-trimpath -buildvcs=false "-ldflags=-s -w")
    (cd "$HERE" && timed etcd go build "${flags[@]}" -o "$dir/bin/" ./etcd)
    # Kubernetes' own build stamps the version (hack/lib/version.sh); without it /version reports v0.0.0-master,
    # which clients such as helm (.Capabilities.KubeVersion, kubeVersion constraints) take at its word.
    local k8s major minor stamp="" pkg
    k8s=$(module_version k8s.io/kubernetes)
    major=${k8s#v}; major=${major%%.*}
    minor=${k8s#v*.}; minor=${minor%%.*}
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        stamp+=" -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
    done
    # One go build for the three shares the compilation of everything they have in common.
    (cd "$HERE" && timed "kube-apiserver, kube-controller-manager, kube-scheduler" go build -trimpath \
        -buildvcs=false "-ldflags=-s -w$stamp" -o "$dir/bin/" k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
    # Outside our module: kwok and helm bring their own module graphs, which ours must not constrain.
    (cd "$dir" && GOBIN="$dir/bin" timed "kwok $KWOK_VERSION" go install "${flags[@]}" \
        "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION")
    (cd "$dir" && GOBIN="$dir/bin" timed "helm $HELM_VERSION" go install "${flags[@]}" \
        "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
    # kwok's stock node and pod stages, from the module go install just fetched.
    gomodcache=$(go env GOMODCACHE)
    kwok_stages="$gomodcache/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
    mkdir -p "$dir/kwok-stages"
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
        pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
        [ -f "$kwok_stages/$f" ] || die "kwok stage $f not found under $kwok_stages"
        cp "$kwok_stages/$f" "$dir/kwok-stages/"
    done
    go version > "$dir/go-version.txt"
}

cmd_build() {
    local dir lock tmp start
    dir=$(cache_dir)
    if [ -f "$dir/.complete" ]; then
        echo "$dir"
        return
    fi
    mkdir -p "$CACHE_ROOT"
    lock="$CACHE_ROOT/.build.lock"
    exec 9>"$lock"
    # Two checkouts (or CI jobs) building at once would each spend the cold build; the second waits and reuses.
    flock 9
    if [ ! -f "$dir/.complete" ]; then
        start=$(date +%s)
        log "cold build into $dir (about 10-30 minutes on 2 cores; later runs reuse it)"
        tmp="$dir.tmp.$$"
        # Left by an interrupted build; nobody else builds while we hold the lock.
        rm -rf "$dir".tmp.*
        build_into "$tmp"
        echo "total $(( $(date +%s) - start ))s" >> "$tmp/build-times.txt"
        rm -rf "$dir"
        mv "$tmp" "$dir"
        touch "$dir/.complete"
        log "cold build finished in $(( $(date +%s) - start ))s: $(tr '\n' ';' < "$dir/build-times.txt")"
    fi
    exec 9>&-
    echo "$dir"
}

# ------------------------------------------------------------------------------------------------------ up

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Random ports, checked free: fixed ones would collide with a second checkout or the Java tests (8080/8081). They
# are taken below the kernel's ephemeral range, where an outgoing connection could grab one between check and bind.
free_port() {
    local p taken=" ${*:-} " low
    low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null || echo 32768)
    [ "$low" -gt 16000 ] || low=60000
    for _ in $(seq 1 200); do
        p=$(( 15000 + RANDOM % (low - 15000) ))
        if [[ "$taken" != *" $p "* ]] && ! port_in_use "$p"; then
            echo "$p"
            return
        fi
    done
    die "no free port found"
}

certificates() {
    local pki=$STATE/pki
    mkdir -p "$pki"
    (
        cd "$pki"
        openssl req -x509 -new -nodes -newkey rsa:2048 -keyout ca.key -out ca.crt -days 30 \
            -subj "/CN=meshwarden-e2e-ca" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
        issue apiserver "/CN=kube-apiserver" \
            "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
        # system:masters: the tests act as cluster admin, including creating RBAC and CRDs.
        issue admin "/O=system:masters/CN=meshwarden-e2e-admin" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    ) || die "generating certificates with openssl failed"
}

issue() {
    local name=$1 subject=$2 ext=$3
    openssl req -new -nodes -newkey rsa:2048 -keyout "$name.key" -out "$name.csr" -subj "$subject" 2>/dev/null
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 30 \
        -extfile <(printf '%s\n' "$ext") 2>/dev/null
    rm -f "$name.csr"
}

kubeconfig() {
    local pki=$STATE/pki
    cat > "$STATE/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: meshwarden-e2e
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: meshwarden-e2e-admin
  user:
    client-certificate-data: $(base64 -w0 < "$pki/admin.crt")
    client-key-data: $(base64 -w0 < "$pki/admin.key")
contexts:
- name: meshwarden-e2e
  context: {cluster: meshwarden-e2e, user: meshwarden-e2e-admin}
current-context: meshwarden-e2e
EOF
    chmod 600 "$STATE/kubeconfig"
}

kwok_config() {
    local bin_dir=$1 f
    {
        for f in "$bin_dir"/kwok-stages/*.yaml "$HERE/kwok/never-ready-stage.yaml"; do
            echo "---"
            cat "$f"
        done
    } > "$STATE/kwok.yaml"
}

# Each component leads its own process group, so that `down` stops it with whatever it may have spawned.
start() {
    local name=$1 pid i
    shift
    setsid "$@" > "$STATE/logs/$name.log" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$STATE/pids/$name.pid"
    # Until the forked shell has exec'd the component, its command line is this script's, which `ours` does not
    # recognise: a check at once would take a slow exec (a loaded machine) for a dead component, as CI once did.
    for i in $(seq 1 100); do
        if ours "$pid" || ! kill -0 "$pid" 2> /dev/null; then
            return 0
        fi
        sleep 0.05
    done
}

alive() {
    local pid
    pid=$(cat "$STATE/pids/$1.pid" 2>/dev/null) || return 1
    ours "$pid"
}

# A pid file outlives its process; never signal a pid the system has since given to something else.
ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF -- "$STATE"; }

api() {
    curl -sS --max-time 10 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" --key "$STATE/pki/admin.key" \
        "$@"
}

fail_with_log() {
    local name=$1 why=$2
    log "$name: $why; last lines of $STATE/logs/$name.log:"
    tail -n 40 "$STATE/logs/$name.log" >&2 || true
    return 1
}

# Waits until check succeeds, failing early when the component (or one it relies on) has died.
wait_until() {
    local name=$1 what=$2 check=$3 deadline=$(( $(date +%s) + START_WAIT )) c
    shift 3
    until eval "$check" > /dev/null 2>&1; do
        for c in "$name" "$@"; do
            alive "$c" || { fail_with_log "$c" "exited while waiting for $what"; return 1; }
        done
        if [ "$(date +%s)" -ge "$deadline" ]; then
            fail_with_log "$name" "$what not reached within ${START_WAIT}s"
            return 1
        fi
        sleep 0.5
    done
}

# Ready, and schedulable: the API server taints a new node not-ready until node-lifecycle-controller sees it Ready.
node_ready() {
    local node
    node=$(api -f "https://127.0.0.1:$APISERVER_PORT/api/v1/nodes/$NODE_NAME" | tr -d ' \n')
    [[ "$node" == *'"type":"Ready","status":"True"'* ]] && [[ "$node" != *'"taints"'* ]]
}

default_service_account() {
    api -f "https://127.0.0.1:$APISERVER_PORT/api/v1/namespaces/default/serviceaccounts/default"
}

# Reads the ports `up` chose, for a component started again by `start`.
read_ports() {
    [ -f "$STATE/ports" ] || die "no control plane in $STATE; run: $0 up"
    ETCD_PORT=$(sed -n 's/^etcd=//p' "$STATE/ports")
    PEER_PORT=$(sed -n 's/^etcd-peer=//p' "$STATE/ports")
    APISERVER_PORT=$(sed -n 's/^kube-apiserver=//p' "$STATE/ports")
    KWOK_PORT=$(sed -n 's/^kwok=//p' "$STATE/ports")
}

# Writes only: a fault test counts the writes each client sent, per object; reads would swamp the log.
audit_policy() {
    cat > "$STATE/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
}

start_etcd() {
    read_ports
    start etcd "$STATE/bin/etcd" --data-dir "$STATE/etcd" --listen-client-url "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-url "http://127.0.0.1:$PEER_PORT"
}

start_kwok() {
    read_ports
    start kwok "$STATE/bin/kwok" \
        --kubeconfig "$STATE/kubeconfig" --config "$STATE/kwok.yaml" \
        --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
        --server-address "127.0.0.1:$KWOK_PORT" --node-lease-duration-seconds 40 --cidr 10.0.0.0/16
}

start_apiserver() {
    local audit=()
    read_ports
    if [ -f "$STATE/audit-policy.yaml" ]; then
        # Blocking mode: an entry is written before the answer is sent, so a kill -9 loses no answered write.
        audit=(--audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/logs/audit.log"
            --audit-log-format json --audit-log-mode blocking --audit-log-maxsize 0)
    fi
    start kube-apiserver "$STATE/bin/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
        --cert-dir "$STATE/pki" \
        --tls-cert-file "$STATE/pki/apiserver.crt" --tls-private-key-file "$STATE/pki/apiserver.key" \
        --client-ca-file "$STATE/pki/ca.crt" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$STATE/pki/sa.pub" \
        --service-account-signing-key-file "$STATE/pki/sa.key" \
        --service-cluster-ip-range 10.96.0.0/16 \
        --authorization-mode RBAC \
        --profiling=false "${audit[@]}"
    wait_until kube-apiserver "/readyz" \
        'api -f "https://127.0.0.1:$APISERVER_PORT/readyz"' etcd
}

cmd_up() {
    local dir bin start_time etcd_port peer_port kwok_port
    start_time=$(date +%s)
    dir=$(cmd_build)
    bin=$dir/bin
    if [ -d "$STATE/pids" ] && [ -n "$(ls -A "$STATE/pids" 2>/dev/null)" ]; then
        log "stopping the control plane a previous run left in $STATE"
        cmd_down
    fi
    if [ -n "$(ls -A "$STATE" 2>/dev/null)" ] && [ ! -f "$STATE/.meshwarden-controlplane" ]; then
        die "$STATE is not empty and was not made by this script; refusing to wipe it"
    fi
    rm -rf "$STATE"
    mkdir -p "$STATE/logs" "$STATE/pids" "$STATE/etcd" "$STATE/helm"
    touch "$STATE/.meshwarden-controlplane"
    ln -s "$bin" "$STATE/bin"
    # Whatever fails from here on, leave no process behind: Maven runs no post-integration-test after a failure.
    trap 'rc=$?; if [ "$rc" -ne 0 ]; then log "up failed; stopping what was started"; cmd_down; fi' EXIT
    certificates
    etcd_port=$(free_port)
    peer_port=$(free_port "$etcd_port")
    APISERVER_PORT=$(free_port "$etcd_port" "$peer_port")
    kwok_port=$(free_port "$etcd_port" "$peer_port" "$APISERVER_PORT")
    kubeconfig
    kwok_config "$dir"
    cat > "$STATE/ports" <<EOF
etcd=$etcd_port
etcd-peer=$peer_port
kube-apiserver=$APISERVER_PORT
kwok=$kwok_port
EOF

    if [ "${MESHWARDEN_CP_AUDIT:-0}" = 1 ]; then
        audit_policy
    fi
    start_etcd
    start_apiserver
    log "kube-apiserver ready on 127.0.0.1:$APISERVER_PORT after $(( $(date +%s) - start_time ))s"

    start kube-controller-manager "$bin/kube-controller-manager" \
        --kubeconfig "$STATE/kubeconfig" --leader-elect=false --secure-port 0 \
        --controllers "deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller,job-controller,cronjob-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,disruption-controller,root-ca-certificate-publisher-controller,node-lifecycle-controller" \
        --service-account-private-key-file "$STATE/pki/sa.key" --root-ca-file "$STATE/pki/ca.crt" \
        --concurrent-gc-syncs 5 --profiling=false
    start kube-scheduler "$bin/kube-scheduler" \
        --kubeconfig "$STATE/kubeconfig" --leader-elect=false --secure-port 0 --profiling=false
    start_kwok
    api -f -X POST -H 'Content-Type: application/json' --data-binary "@$HERE/kwok/node.json" \
        "https://127.0.0.1:$APISERVER_PORT/api/v1/nodes" > /dev/null || die "creating node $NODE_NAME failed"
    wait_until kwok "node $NODE_NAME Ready and untainted" node_ready kube-apiserver kube-controller-manager
    wait_until kube-controller-manager "the default ServiceAccount" default_service_account kube-apiserver
    if [ "${1:-}" = "--watch-parent" ]; then
        # Maven skips post-integration-test when the build breaks off (an error rather than a test failure,
        # Ctrl-C, a killed JVM); this stops the control plane in that case too.
        start watchdog bash -c 'while kill -0 "$1" 2> /dev/null; do sleep 2; done; MESHWARDEN_CP_STATE="$3" exec "$2" down' \
            watchdog "$PPID" "$HERE/controlplane.sh" "$STATE"
    fi
    trap - EXIT
    log "control plane up in $(( $(date +%s) - start_time ))s; KUBECONFIG=$STATE/kubeconfig"
    echo "$(( $(date +%s) - start_time ))" > "$STATE/up-seconds"
}

# ------------------------------------------------------------------------------------------------------ down

cmd_down() {
    local i name pid stopped=0 deadline
    [ -d "$STATE/pids" ] || { log "nothing to stop in $STATE"; return 0; }
    # One at a time, clients before the API server before etcd: an API server whose etcd is gone hangs on
    # shutdown instead of draining.
    for (( i=${#COMPONENTS[@]}-1; i>=0; i-- )); do
        name=${COMPONENTS[$i]}
        pid=$(cat "$STATE/pids/$name.pid" 2>/dev/null) || continue
        # The watchdog runs `down` itself, as the same process.
        if [ "$pid" != "$$" ] && ours "$pid"; then
            kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
            deadline=$(( $(date +%s) + 15 ))
            while ours "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do
                sleep 0.1
            done
            if ours "$pid"; then
                log "$name (process group $pid) did not stop on TERM within 15s; killing it"
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            fi
            stopped=$((stopped + 1))
        fi
        rm -f "$STATE/pids/$name.pid"
    done
    log "stopped $stopped component(s)"
}

# ------------------------------------------------------------------------------------------------------ faults

# kill -9, as a crash: no shutdown, no draining. The pid file stays, so that `down` and `status` still know it.
cmd_kill() {
    local name=${1:-} pid
    [[ " ${COMPONENTS[*]} " == *" $name "* ]] || die "kill: unknown component '$name' (${COMPONENTS[*]})"
    pid=$(cat "$STATE/pids/$name.pid" 2>/dev/null) || die "kill: $name has no pid file in $STATE"
    ours "$pid" || die "kill: $name (pid $pid) is not running"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
    while ours "$pid"; do
        sleep 0.05
    done
    log "killed $name (pid $pid)"
}

cmd_start() {
    local name=${1:-} start_time
    start_time=$(date +%s%N)
    alive "$name" && die "start: $name is running"
    case "$name" in
        etcd) start_etcd ;;
        kube-apiserver) start_apiserver ;;
        # kwok's watches can stall for a minute after an API server restart; a real kubelet reconnects at once.
        kwok) start_kwok ;;
        *) die "start: only etcd, kube-apiserver and kwok can be started again, not '$name'" ;;
    esac
    log "$name started again in $(( ($(date +%s%N) - start_time) / 1000000 ))ms"
}

# ------------------------------------------------------------------------------------------------------ env, status

cmd_env() {
    [ -f "$STATE/kubeconfig" ] || die "no control plane in $STATE; run: $0 up"
    echo "export KUBECONFIG=$STATE/kubeconfig"
    echo "export MESHWARDEN_CP_BIN=$STATE/bin"
    echo "export HELM_CONFIG_HOME=$STATE/helm/config HELM_CACHE_HOME=$STATE/helm/cache HELM_DATA_HOME=$STATE/helm/data"
}

cmd_status() {
    local name state
    echo "cache:  $(cache_dir)$([ -f "$(cache_dir)/.complete" ] && echo ' (built)' || echo ' (not built)')"
    echo "state:  $STATE"
    for name in "${COMPONENTS[@]}"; do
        if alive "$name"; then state="running (pid $(cat "$STATE/pids/$name.pid"))"; else state="stopped"; fi
        printf '  %-24s %s\n' "$name" "$state"
    done
    [ -f "$STATE/ports" ] && sed 's/^/  port /' "$STATE/ports"
    if [ -f "$STATE/ports" ] && alive kube-apiserver; then
        APISERVER_PORT=$(sed -n 's/^kube-apiserver=//p' "$STATE/ports")
        echo "  readyz: $(api "https://127.0.0.1:$APISERVER_PORT/readyz" 2>&1 || true)"
    fi
}

case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up "${2:-}" ;;
    down) cmd_down ;;
    env) cmd_env ;;
    status) cmd_status ;;
    kill) cmd_kill "${2:-}" ;;
    start) cmd_start "${2:-}" ;;
    *) echo "usage: $0 build|up|down|env|status|kill COMPONENT|start COMPONENT" >&2; exit 2 ;;
esac
