#!/usr/bin/env bash
# Istio itself as the judge in Meshwarden's tests: the Helm charts, Istio's own sidecar injector (wrapped by the
# injection oracle in oracle/main.go) and istioctl, each at pinned versions of the istio.io/istio Go module, built
# with the ordinary go command and cached.
#
#   istio.sh build [VERSION...]      build the charts, the oracle and istioctl for the given versions (default: all
#                                    pinned ones) into the cache; a no-op when they are there.
#                                    MESHWARDEN_ISTIO_COMPONENTS="charts oracle" leaves istioctl out.
#   istio.sh charts VERSION          print the cached charts folder (manifests/charts of the module), building if needed
#   istio.sh oracle VERSION          print the oracle binary's path, building if needed
#   istio.sh istioctl VERSION        print istioctl's path, building if needed
#   istio.sh render VERSION [VALUES_FILE] [NAMESPACE]
#                                    helm template of istio-discovery with those values; prints one JSON object
#                                    {injectorConfig, injectorValues, meshConfig, webhooks, istiodEnv}: the oracle's
#                                    inputs (helm: $MESHWARDEN_HELM, else the control plane's, see ../controlplane)
#   istio.sh env                     print shell exports: the pinned versions and the cache folder
#   istio.sh versions                print the pinned versions, one a line
#   istio.sh tidy VERSION            (maintainers) regenerate versions/VERSION/go.mod and go.sum with go mod tidy
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/istio/<istio module version>-<hash>/ with charts/, bin/oracle,
# bin/istioctl and build-times.txt; the hash covers the oracle's sources, that version's go.mod and go.sum, the
# build functions of this script and the Go version, so that any change rebuilds and nothing else does.
# Each version is its own Go module (versions/VERSION/go.mod, go.sum checked in), so builds need the module proxy
# only, never the checksum database. Needs go 1.26+.
set -euo pipefail
# Failures inside $(...) must stop the script too.
shopt -s inherit_errexit

# The module proxy serves only some pseudo-versions of istio.io/istio (its release tags are not module versions).
# VERSION files: both say 1.31; the first (April 2026) has istio.io/api v1.30.0-alpha.1, the second v1.31.0-rc.0.
PINNED=(v0.0.0-20260423205519-b01690e6db7d v0.0.0-20260827124520-eed52ebb66ad)
ALL_COMPONENTS="charts oracle istioctl"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/istio

log() { printf '[istio %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

check_version() {
    local v
    for v in "${PINNED[@]}"; do
        [ "$v" = "$1" ] && [ -f "$HERE/versions/$1/go.mod" ] && [ -f "$HERE/versions/$1/go.sum" ] && return 0
    done
    die "istio module version '$1' is not pinned here (pinned: ${PINNED[*]}; each needs versions/VERSION/go.mod and go.sum)"
}

cache_key() {
    local v=$1 sources
    command -v go > /dev/null || die "go is not on PATH; Istio is built from Go modules (Go 1.26+)"
    # What decides the outputs: the oracle's sources, the module graph, how this script builds, the toolchain.
    sources=$( (cat "$HERE"/oracle/*.go "$HERE/versions/$v/go.mod" "$HERE/versions/$v/go.sum"
        declare -f assemble build_charts build_oracle build_istioctl; go env GOVERSION) | sha256sum | cut -c1-12)
    echo "$v-$sources"
}

cache_dir() { echo "$CACHE_ROOT/$(cache_key "$1")"; }

# ------------------------------------------------------------------------------------------------------ build

timed() {
    local what=$1 start
    shift
    start=$(date +%s)
    log "building $what"
    "$@" >&2 || die "building $what failed: $*"
    echo "$what $(( $(date +%s) - start ))s" >> "$DIR/build-times.txt"
    log "built $what in $(( $(date +%s) - start ))s"
}

# The Go module the oracle and istioctl are built in: the oracle's sources with this version's go.mod and go.sum.
assemble() {
    local v=$1 src=$DIR/src
    rm -rf "$src"
    mkdir -p "$src"
    cp "$HERE"/oracle/*.go "$HERE/versions/$v/go.mod" "$HERE/versions/$v/go.sum" "$src/"
}

# manifests/charts out of the module cache; go.sum vouches for the module's content.
build_charts() {
    local v=$1 moddir
    # (Called in a `|| die` list, where set -e does not act: each step says itself when it fails.)
    moddir=$(cd "$DIR/src" && go mod download -json istio.io/istio | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || return 1
    if [ -z "$moddir" ] || [ ! -d "$moddir/manifests/charts" ]; then
        log "no manifests/charts in istio.io/istio@$v ($moddir)"
        return 1
    fi
    rm -rf "$DIR/charts.tmp"
    cp -r "$moddir/manifests/charts" "$DIR/charts.tmp" || return 1
    # Files in the module cache are read-only; helm does not care, but rm -rf of the cache would.
    chmod -R u+w "$DIR/charts.tmp" || return 1
    mv "$DIR/charts.tmp" "$DIR/charts"
}

# -mod=readonly: the checked-in go.sum must cover everything; no VCS stamping: the checkout's git state must not
# decide (or break) the build.
build_oracle() {
    (cd "$DIR/src" && go build -mod=readonly -trimpath -buildvcs=false "-ldflags=-s -w" -o "$DIR/bin/oracle.tmp" .)
    mv "$DIR/bin/oracle.tmp" "$DIR/bin/oracle"
}

# Stamped the way Istio's own build does (common/scripts/report_build_info.sh), from what the module version says.
build_istioctl() {
    local v=$1 moddir rev stamp
    moddir=$(cd "$DIR/src" && go mod download -json istio.io/istio | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') || return 1
    [ -f "$moddir/VERSION" ] || { log "no VERSION file in istio.io/istio@$v ($moddir)"; return 1; }
    rev=${v##*-}
    stamp="-X istio.io/istio/pkg/version.buildVersion=$(cat "$moddir/VERSION")-dev"
    stamp+=" -X istio.io/istio/pkg/version.buildGitRevision=$rev -X istio.io/istio/pkg/version.buildStatus=Clean"
    stamp+=" -X istio.io/istio/pkg/version.buildTag=$v -X istio.io/istio/pkg/version.buildHub=docker.io/istio"
    stamp+=" -X istio.io/istio/pkg/version.buildOS=$(go env GOOS) -X istio.io/istio/pkg/version.buildArch=$(go env GOARCH)"
    (cd "$DIR/src" && go build -mod=readonly -trimpath -buildvcs=false "-ldflags=-s -w $stamp" \
        -o "$DIR/bin/istioctl.tmp" istio.io/istio/istioctl/cmd/istioctl)
    mv "$DIR/bin/istioctl.tmp" "$DIR/bin/istioctl"
}

# Builds the components of one version that are missing. Each lands in place by a rename and is marked complete
# after, so an interrupted build leaves at worst a *.tmp that the next one removes.
ensure() {
    local v=$1 components=$2 c start built=0
    check_version "$v"
    DIR=$(cache_dir "$v")
    for c in $components; do
        [ -f "$DIR/.$c.complete" ] || built=1
    done
    [ "$built" = 1 ] || return 0
    mkdir -p "$CACHE_ROOT"
    exec 9> "$CACHE_ROOT/.build.lock"
    # Two checkouts (or CI jobs) building at once would each spend the cold build; the second waits and reuses.
    flock 9
    mkdir -p "$DIR/bin"
    start=$(date +%s)
    rm -rf "$DIR/charts.tmp" "$DIR"/bin/*.tmp
    assemble "$v"
    for c in $components; do
        [ -f "$DIR/.$c.complete" ] && continue
        case $c in
            charts) rm -rf "$DIR/charts"; timed "charts $v" build_charts "$v" ;;
            oracle) timed "oracle $v" build_oracle "$v" ;;
            istioctl) timed "istioctl $v" build_istioctl "$v" ;;
            *) die "unknown component $c (known: $ALL_COMPONENTS)" ;;
        esac
        touch "$DIR/.$c.complete"
    done
    go version > "$DIR/go-version.txt"
    log "istio $v: built [$components] in $(( $(date +%s) - start ))s into $DIR"
    exec 9>&-
}

without() {
    local drop=$1 c out=""
    for c in $2; do
        [ "$c" = "$drop" ] || out+="$c "
    done
    echo "$out"
}

cmd_build() {
    local v versions=("$@") components=${MESHWARDEN_ISTIO_COMPONENTS:-$ALL_COMPONENTS} start
    [ ${#versions[@]} -gt 0 ] || versions=("${PINNED[@]}")
    start=$(date +%s)
    for v in "${versions[@]}"; do
        check_version "$v"
    done
    # The charts and the oracle of every version first, istioctl (the slow one) after.
    for v in "${versions[@]}"; do
        ensure "$v" "$(without istioctl "$components")"
    done
    if [[ " $components " == *" istioctl "* ]]; then
        for v in "${versions[@]}"; do
            ensure "$v" istioctl
        done
    fi
    for v in "${versions[@]}"; do
        cache_dir "$v"
    done
    log "build finished in $(( $(date +%s) - start ))s"
}

# ------------------------------------------------------------------------------------------------------ render

helm_bin() {
    if [ -n "${MESHWARDEN_HELM:-}" ]; then
        echo "$MESHWARDEN_HELM"
    elif [ -n "${MESHWARDEN_CP_BIN:-}" ] && [ -x "$MESHWARDEN_CP_BIN/helm" ]; then
        echo "$MESHWARDEN_CP_BIN/helm"
    else
        # The control plane's cache (a no-op when it is built) holds the helm the end-to-end tests use.
        echo "$(bash "$HERE/../controlplane/controlplane.sh" build)/bin/helm"
    fi
}

cmd_render() {
    local v=$1 values=${2:-} ns=${3:-istio-system} dir helm args=()
    ensure "$v" "charts oracle"
    dir=$(cache_dir "$v")
    helm=$(helm_bin)
    [ -x "$helm" ] || die "helm not found at $helm"
    if [ -n "$values" ]; then
        [ -f "$values" ] || die "values file $values not found"
        args+=(-f "$values")
    fi
    # No cluster: helm template takes the Kubernetes version from this (the charts' kubeVersion checks need one).
    args+=(--kube-version "${MESHWARDEN_ISTIO_KUBE_VERSION:-v1.34.0}")
    # HELM_* homes in a throw-away folder: helm template reads no repositories and must not write to $HOME.
    local tmp
    tmp=$(mktemp -d)
    HELM_CONFIG_HOME=$tmp HELM_CACHE_HOME=$tmp HELM_DATA_HOME=$tmp \
        "$helm" template istiod "$dir/charts/istio-control/istio-discovery" -n "$ns" "${args[@]}" > "$tmp/rendered.yaml" \
        || { rm -rf "$tmp"; die "helm template failed"; }
    "$dir/bin/oracle" --extract "$ns" < "$tmp/rendered.yaml" || { rm -rf "$tmp"; die "extracting the injector inputs failed"; }
    rm -rf "$tmp"
}

# ------------------------------------------------------------------------------------------------------ tidy

cmd_tidy() {
    local v=$1 tmp moddir api kver kmod m mv replaces=""
    [ -n "$v" ] || die "usage: $0 tidy VERSION"
    tmp=$(mktemp -d)
    mkdir -p "$HERE/versions/$v"
    cp "$HERE"/oracle/*.go "$tmp/"
    [ -f "$HERE/versions/$v/go.sum" ] && cp "$HERE/versions/$v/go.sum" "$tmp/"
    # Seeded with Istio's own go.sum: the checksum database (reached through the module proxy here) does not know
    # every pseudo-version Istio depends on, and Istio's maintainers vouch for those.
    moddir=$(cd "$tmp" && go mod download -json "istio.io/istio@$v" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -f "$moddir/go.sum" ] || { rm -rf "$tmp"; die "no go.sum in istio.io/istio@$v"; }
    cat "$moddir/go.sum" >> "$tmp/go.sum"
    # The oracle applies the API server's Pod defaulting (k8s.io/kubernetes/pkg/apis/core/v1) at the Kubernetes
    # release that matches Istio's k8s.io/api. k8s.io/kubernetes requires its staging modules as v0.0.0 (replaced
    # inside its own repository): pin each to the version Istio's go.mod selects, else to that release, so that
    # Istio's own module graph stays as Istio builds it.
    api=$(awk '$1 == "k8s.io/api" && $2 ~ /^v0\./ { print $2; exit }' "$moddir/go.mod")
    [ -n "$api" ] || { rm -rf "$tmp"; die "no k8s.io/api in istio.io/istio@$v's go.mod"; }
    kver=v1.${api#v0.}
    kmod=$(cd "$tmp" && go mod download -json "k8s.io/kubernetes@$kver" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$kmod" ] || { rm -rf "$tmp"; die "k8s.io/kubernetes@$kver not found"; }
    # shellcheck disable=SC2013 # module paths hold no spaces
    for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$kmod" | sort -u); do
        mv=$(awk -v m="$m" '{ if ($1 == "require") { $1 = ""; $0 = $0 } } $1 == m && $2 ~ /^v/ { print $2; exit }' "$moddir/go.mod")
        replaces+=$(printf '\t%s => %s %s' "$m" "$m" "${mv:-$api}")$'\n'
    done
    {
        printf '// The injection oracle and istioctl at istio.io/istio %s. Generated by istio.sh tidy.\n' "$v"
        printf 'module meshwarden.io/istio-oracle\n\ngo 1.26.0\n\nrequire (\n\tistio.io/istio %s\n\tk8s.io/kubernetes %s\n)\n\n' "$v" "$kver"
        printf 'tool istio.io/istio/istioctl/cmd/istioctl\n\n'
        printf '// k8s.io/kubernetes requires its staging modules as v0.0.0; pinned to what Istio selects, else %s.\n' "$api"
        printf 'replace (\n%s)\n' "$replaces"
    } > "$tmp/go.mod"
    (cd "$tmp" && go mod tidy) || { rm -rf "$tmp"; die "go mod tidy failed"; }
    cp "$tmp/go.mod" "$tmp/go.sum" "$HERE/versions/$v/"
    rm -rf "$tmp"
    log "wrote $HERE/versions/$v/go.mod and go.sum; add $v to PINNED in $0 if it is new"
}

# ------------------------------------------------------------------------------------------------------ env

cmd_env() {
    echo "export MESHWARDEN_ISTIO_VERSIONS='${PINNED[*]}'"
    echo "export MESHWARDEN_ISTIO_CACHE=$CACHE_ROOT"
    echo "export MESHWARDEN_ISTIO_SH=$HERE/istio.sh"
}

need() { [ -n "${2:-}" ] || { echo "usage: $0 $1 VERSION" >&2; exit 2; }; }

case "${1:-}" in
    build) shift; cmd_build "$@" ;;
    charts) need charts "${2:-}"; ensure "$2" charts; echo "$(cache_dir "$2")/charts" ;;
    oracle) need oracle "${2:-}"; ensure "$2" oracle; echo "$(cache_dir "$2")/bin/oracle" ;;
    istioctl) need istioctl "${2:-}"; ensure "$2" istioctl; echo "$(cache_dir "$2")/bin/istioctl" ;;
    render) need render "${2:-}"; cmd_render "$2" "${3:-}" "${4:-}" ;;
    env) cmd_env ;;
    versions) printf '%s\n' "${PINNED[@]}" ;;
    tidy) need tidy "${2:-}"; cmd_tidy "$2" ;;
    *) echo "usage: $0 build [VERSION...]|charts VERSION|oracle VERSION|istioctl VERSION|render VERSION [VALUES_FILE] [NAMESPACE]|env|versions|tidy VERSION" >&2; exit 2 ;;
esac
