#!/usr/bin/env bash
# What Istio defines for the IstioHygiene policy (annotation keys, labels, the ProxyConfig fields), generated from
# the istio.io/api module at the versions the pinned istio.io/istio modules require (see istio.sh), by
# definitions/main.go built once per pinned version with that version's go.mod and go.sum.
#
#   definitions.sh generate   write src/main/java/io/meshwarden/policies/istiohygiene/IstioApi.java
#   definitions.sh check      fail when the committed file differs from what generate would write
#
# The programs are cached in ${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/istio-definitions/<version>-<hash>/ (the hash
# covers main.go, go.mod, go.sum and the Go version); needs go 1.26+ and the module proxy, or a module cache that
# holds the modules.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TARGET=$ROOT/src/main/java/io/meshwarden/policies/istiohygiene/IstioApi.java
CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden/istio-definitions

log() { printf '[definitions %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The program for one version, built if missing; prints its folder (which also holds the module's go.mod).
build() {
    local v=$1 key dir
    command -v go > /dev/null || die "go is not on PATH (Go 1.26+)"
    key=$( (cat "$HERE/definitions/main.go" "$HERE/versions/$v/go.mod" "$HERE/versions/$v/go.sum"; go env GOVERSION) \
        | sha256sum | cut -c1-12)
    dir=$CACHE_ROOT/$v-$key
    if [ ! -x "$dir/definitions" ]; then
        log "building the definitions program for istio.io/istio $v"
        rm -rf "$dir/src"
        mkdir -p "$dir/src"
        cp "$HERE/definitions/main.go" "$HERE/versions/$v/go.mod" "$HERE/versions/$v/go.sum" "$dir/src/"
        # -mod=readonly: the checked-in go.sum vouches for every module, as for the oracle (istio.sh).
        (cd "$dir/src" && go build -mod=readonly -trimpath -buildvcs=false -o "$dir/definitions.tmp" .) >&2 \
            || die "building the definitions program for $v failed"
        mv "$dir/definitions.tmp" "$dir/definitions"
    fi
    echo "$dir"
}

# The generated Java source on stdout.
render() {
    local tmp v dir moddir i=0 last=""
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    while read -r v; do
        dir=$(build "$v")
        moddir=$(cd "$dir/src" && go mod download -json istio.io/istio | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
        [ -d "$moddir" ] || die "istio.io/istio@$v not found in the module cache"
        "$dir/definitions" extract "$moddir" > "$tmp/$i.json"
        i=$((i + 1))
        last=$dir
    done < <(bash "$HERE/istio.sh" versions)
    [ -n "$last" ] || die "no pinned versions"
    # The pinned versions are listed oldest first; the newest one's program writes the merge.
    "$last/definitions" java $(for ((j = 0; j < i; j++)); do echo "$tmp/$j.json"; done)
}

case "${1:-}" in
    generate)
        render > "$TARGET.tmp"
        mv "$TARGET.tmp" "$TARGET"
        log "wrote $TARGET"
        ;;
    check)
        out=$(mktemp)
        render > "$out"
        if ! diff -u "$TARGET" "$out" >&2; then
            rm -f "$out"
            die "$TARGET differs from Istio's definitions at the pinned versions: run $0 generate"
        fi
        rm -f "$out"
        log "$TARGET matches Istio's definitions at the pinned versions"
        ;;
    *) echo "usage: $0 generate|check" >&2; exit 2 ;;
esac
