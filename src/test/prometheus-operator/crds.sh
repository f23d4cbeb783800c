#!/usr/bin/env bash
# prometheus-operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule and the rest), generated from its API
# types at a pinned version with controller-gen, the way prometheus-operator generates them itself. The module
# proxy serves the API module (github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring) but not the
# main module whose zip holds example/prometheus-operator-crd, hence the generation.
#
#   crds.sh dir      print the folder of CRD YAML files (one per kind), building it if needed
#   crds.sh build    the same, printing nothing
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/prometheus-operator/<hash>/ with bin/controller-gen and crds/;
# the hash covers go.mod, go.sum (which pin both versions), this script and the Go version. Needs go 1.26+ and the
# module proxy only (go.sum is checked in, so no checksum database is asked).
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/prometheus-operator
API_MODULE=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring

log() { printf '[prometheus-operator %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go > /dev/null || die "go is not on PATH (Go 1.26+ builds controller-gen)"
KEY=$( (cat "$HERE/go.mod" "$HERE/go.sum" "$0"; go env GOVERSION) | sha256sum | cut -c1-12)
DIR=$CACHE_ROOT/$KEY

build() {
    [ -f "$DIR/done" ] && return 0
    mkdir -p "$DIR/bin"
    local start tmp
    start=$(date +%s)
    log "building controller-gen into $DIR"
    (cd "$HERE" && GOFLAGS=-mod=mod go build -o "$DIR/bin/controller-gen" sigs.k8s.io/controller-tools/cmd/controller-gen) \
        || die "building controller-gen failed"
    tmp=$(mktemp -d "$DIR/crds.XXXXXX")
    log "generating the CRDs of $API_MODULE/v1"
    (cd "$HERE" && GOFLAGS=-mod=mod "$DIR/bin/controller-gen" crd:crdVersions=v1 paths="$API_MODULE/v1" \
        output:crd:dir="$tmp") || die "controller-gen failed"
    for kind in servicemonitors podmonitors prometheusrules; do
        [ -s "$tmp/monitoring.coreos.com_$kind.yaml" ] || die "controller-gen wrote no $kind CRD"
    done
    rm -rf "$DIR/crds"
    mv "$tmp" "$DIR/crds"
    echo "$(( $(date +%s) - start ))s" > "$DIR/build-time.txt"
    touch "$DIR/done"
    log "done in $(( $(date +%s) - start ))s"
}

case "${1:-}" in
    dir) build; echo "$DIR/crds" ;;
    build) build ;;
    *) die "usage: crds.sh dir|build" ;;
esac
