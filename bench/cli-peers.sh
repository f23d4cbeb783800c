#!/usr/bin/env bash
# The CLI side by side (issue 19): `meshwarden audit` under several launchers and the peers that lint the same
# manifest folder, at several sizes, in one run. Per run: user+sys CPU seconds and peak RSS (GNU time), several
# repetitions, the median; and the findings each tool reported, so that a reader sees it did the work.
#   bench/cli-peers.sh                      # 0, 1000 and 10000 workloads
#   bench/cli-peers.sh 1000                 # chosen sizes
#   REPS=5 REPS_LARGE=3 bench/cli-peers.sh  # repetitions below / from LARGE (10000) workloads
#   NATIVE_BIN=target/native/meshwarden-runner bench/cli-peers.sh
#                                           # the native executable (default: that path, if it exists)
#   MVNW_FLAGS=-o bench/cli-peers.sh        # build offline
#
# Peers are built from their released sources with the ordinary go command through the Go module proxy and cached
# in ~/.cache/meshwarden/<tool>/<version>/bin; a module the proxy refuses is reported as a gap, never fetched any
# other way. istioctl is the one src/test/istio/istio.sh builds (ISTIO_VERSION: one of its pinned versions).
# Snapshots are SnapshotGenerator's synthetic clusters (the cluster of bench/memory.sh), one YAML file per
# namespace; 0 workloads leaves the control plane alone (namespaces, istiod, the gateway, the Helm release).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(0 1000 10000)
reps_small=${REPS:-5}
reps_large=${REPS_LARGE:-3}
large=${LARGE:-10000}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/meshwarden
native_bin=${NATIVE_BIN:-target/native/meshwarden-runner}
istio_version=${ISTIO_VERSION:-$(bash src/test/istio/istio.sh versions | tail -1)}
time_bin=/usr/bin/time
[ -x "$time_bin" ] || { echo "GNU time is needed at $time_bin (apt-get install time)" >&2; exit 1; }

log() { printf '[cli-peers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ------------------------------------------------------------------------------------------------- Meshwarden
[ -f target/quarkus-app/quarkus-run.jar ] || ./mvnw -B -q ${MVNW_FLAGS:-} package -DskipTests
[ -f target/test-classes/io/meshwarden/bench/SnapshotGenerator.class ] || ./mvnw -B -q ${MVNW_FLAGS:-} test-compile

# ------------------------------------------------------------------------------------------------------ peers
gaps=()
versions=()
# The proxy's answer without its address: the HTTP status and the server's reason.
refusal() {
  local status reason
  status=$(grep -oE '[0-9]{3} [A-Z][A-Za-z ]+' <<<"$1" | head -1 || true)
  reason=$(grep -o 'server response: .*' <<<"$1" | head -1 | sed 's/^server response: //' || true)
  echo "${status:-refused}${reason:+: $reason}"
}
# go_tool NAME MODULE PACKAGE VERSION: sets tool to the binary's path, building it into the cache when missing; on
# a refusal by the proxy sets it empty and records the gap. VERSION "latest" asks the proxy which one that is.
go_tool() {
  local name=$1 module=$2 pkg=$3 version=$4 answer dir tmp
  tool=""
  if [ "$version" = latest ]; then
    if ! answer=$(go list -m -f '{{.Version}}' "$module@latest" 2>&1); then
      gaps+=("$name: the Go module proxy does not serve $module ($(refusal "$answer"))")
      return 0
    fi
    version=$answer
  fi
  dir=$cache/$name/$version
  if [ ! -x "$dir/bin/$name" ]; then
    log "building $name $version ($pkg) into $dir"
    mkdir -p "$dir/bin"
    if ! answer=$(GOBIN="$dir/bin" GOFLAGS=-buildvcs=false go install "$pkg@$version" 2>&1); then
      # go install pkg@version refuses a main module with replace directives; a temporary module that requires it
      # takes the same sources through the proxy.
      tmp=$(mktemp -d)
      if ! answer=$( (cd "$tmp" && go mod init clipeers.local/"$name" && GOFLAGS=-mod=mod go get "$module@$version" \
          && GOFLAGS="-mod=mod -buildvcs=false" go build -o "$dir/bin/$name" "$pkg") 2>&1); then
        rm -rf "$tmp"
        gaps+=("$name $version: could not be built ($(tail -1 <<<"$answer" | sed -E 's#https?://[^ ]*#<proxy>#g'))")
        return 0
      fi
      rm -rf "$tmp"
    fi
  fi
  versions+=("$name $version")
  tool=$dir/bin/$name
}

# Polaris and kube-linter: "latest", because the proxy was not seen to serve them (their gap names why);
# kube-score pinned at the release measured.
go_tool polaris github.com/fairwindsops/polaris github.com/fairwindsops/polaris latest
polaris=$tool
go_tool kube-score github.com/zegl/kube-score github.com/zegl/kube-score/cmd/kube-score v1.20.0
kube_score=$tool
go_tool kube-linter github.com/stackrox/kube-linter github.com/stackrox/kube-linter/cmd/kube-linter latest
kube_linter=$tool
# golang.stackrox.io/kube-linter is the module path kube-linter's go.mod declares; the proxy refuses it too.
if ! answer=$(go list -m -f '{{.Version}}' golang.stackrox.io/kube-linter@latest 2>&1); then
  gaps+=("kube-linter: the Go module proxy does not serve golang.stackrox.io/kube-linter either ($(refusal "$answer"))")
fi
istioctl=$(bash src/test/istio/istio.sh istioctl "$istio_version")
versions+=("istioctl $("$istioctl" version --remote=false 2>/dev/null | head -1) (istio.io/istio $istio_version)")

# ------------------------------------------------------------------------------------------------ snapshots
work=$(mktemp -d)
cleanup() { if [ -n "${KEEP_WORK:-}" ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
cp="target/test-classes:target/classes:target/quarkus-app/lib/main/*"
for n in "${sizes[@]}"; do
  java -XX:TieredStopAtLevel=1 -cp "$cp" io.meshwarden.bench.SnapshotGenerator "$work/snap-$n" "$n"
done

# ------------------------------------------------------------------------------------------------ launchers
jar=(-jar target/quarkus-app/quarkus-run.jar)
fast=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
# A dynamic AppCDS archive of the classes one audit loads (JDK 17 has no -XX:+AutoCreateSharedArchive), made by
# one audit of the largest snapshot with the same options it is used with.
# The JVM logs CDS warnings on stdout, where the report goes: -Xlog:disable, and warnings to stderr.
quiet=(-Xlog:disable -Xlog:all=warning:stderr)
# `audit` runs before Quarkus boots, so Quarkus' runner class loader is not needed for it; the JDK 17 dynamic
# archive holds only part of what that class loader loads, all of what the application class loader does.
plain=(-cp "target/quarkus-app/app/*:target/quarkus-app/lib/main/*" io.meshwarden.cli.Main)
archive() {
  java "${fast[@]}" "${quiet[@]}" -XX:ArchiveClassesAtExit="$1" "${@:2}" audit --snapshot "$work/snap-${sizes[-1]}" \
    --policies examples/policies --output json >/dev/null 2>"$work/jsa.log" || true
  [ -f "$1" ] || { echo "no AppCDS archive was written:" >&2; tail "$work/jsa.log" >&2; exit 1; }
}
jsa=$work/audit-jar.jsa
archive "$jsa" "${jar[@]}"
jsa_plain=$work/audit-cp.jsa
archive "$jsa_plain" "${plain[@]}"

# Each runner: label, then the command with SNAP where the snapshot folder goes. Findings are counted from the
# output by count_<kind>.
names=() kinds=() cmds=()
add() { names+=("$1"); kinds+=("$2"); shift 2; cmds+=("$*"); }
policies=examples/policies
mw_args="audit --snapshot SNAP --policies $policies --output json"
add "Meshwarden, JVM as documented (\`java -jar\`)" mw java "${jar[@]}" $mw_args
add "Meshwarden, JVM C1 + Serial GC" mw java "${fast[@]}" "${jar[@]}" $mw_args
add "Meshwarden, JVM C1 + Serial GC + AppCDS (\`-jar\`)" mw java "${fast[@]}" "${quiet[@]}" \
  -XX:SharedArchiveFile="$jsa" "${jar[@]}" $mw_args
add "Meshwarden, JVM C1 + Serial GC + AppCDS, class path without Quarkus' runner" mw java "${fast[@]}" "${quiet[@]}" \
  -XX:SharedArchiveFile="$jsa_plain" "${plain[@]}" $mw_args
# The launcher users run (bin/meshwarden), with an archive cache of its own that its first audit fills.
launcher=(env XDG_CACHE_HOME="$work/cache" MESHWARDEN_APP="$root/target/quarkus-app" bin/meshwarden)
"$time_bin" -f '%U %S %M' -o "$work/first" "${launcher[@]}" audit --snapshot "$work/snap-${sizes[-1]}" \
  --policies examples/policies --output json >/dev/null 2>&1 || true
first=$(tail -1 "$work/first" | awk '{ printf "%.2f s CPU, %.0f MiB", $1 + $2, $3 / 1024 }')
ls "$work"/cache/meshwarden/cds/audit-*.jsa >/dev/null || { echo "bin/meshwarden wrote no AppCDS archive" >&2; exit 1; }
add "Meshwarden, \`bin/meshwarden\` (C1, Serial GC, \`-Xmn16m\`, AppCDS, class path)" mw "${launcher[@]}" $mw_args
if [ -x "$native_bin" ]; then
  add "Meshwarden, native executable" mw "$native_bin" $mw_args
else
  gaps+=("Meshwarden native: no executable at $native_bin (build it with ../shared/native-kit/build-native.sh)")
fi
[ -z "$kube_score" ] || add "kube-score \`score\` (all files)" kube_score "$kube_score" score --output-format ci SNAPFILES
[ -z "$polaris" ] || add "Polaris \`audit --audit-path\`" polaris "$polaris" audit --audit-path SNAP --format json
[ -z "$kube_linter" ] || add "kube-linter \`lint\`" kube_linter "$kube_linter" lint SNAP
# -A: every namespace's messages, not only those of the current namespace.
add "istioctl \`analyze --use-kube=false -A\` (all files)" istioctl "$istioctl" analyze --use-kube=false -A SNAPFILES

count_mw() { jq '.findings | length' "$1"; }
# kube-score's ci format: one line per check and object, "[OK]" or "[WARNING]"/"[CRITICAL]"/"[SKIPPED]".
count_kube_score() { grep -cE '^\[(WARNING|CRITICAL)\]' "$1" || true; }
# Polaris and kube-linter: not run here (the proxy refuses both); the counts follow their documented output formats.
count_polaris() { jq '[.Results[] | (.Results // {}), (.PodResult.Results // {}), (.PodResult.ContainerResults[]?.Results // {}) | .[] | select(.Success == false)] | length' "$1"; }
count_kube_linter() { grep -cE '\(check: ' "$1" || true; }
# istioctl prints one line per message, "Error [IST...]", "Warning [IST...]" or "Info [IST...]", on stderr.
count_istioctl() { cat "$1" "${1%.out}.err" | grep -cE '^(Error|Warning|Info) \[IST' || true; }

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A cpu rss found status objs
for n in "${sizes[@]}"; do
  snap=$work/snap-$n
  files=$(find "$snap" -name '*.yaml' | sort | tr '\n' ' ')
  objects=$(cat "$snap"/*.yaml | grep -c '^apiVersion:' || true)
  objs[$n]=$objects
  reps=$reps_small
  [ "$n" -lt "$large" ] || reps=$reps_large
  log "$n workloads ($objects objects in $(ls "$snap" | wc -l) files), $reps repetitions"
  # Round robin, so that a burst of load on the shared machine falls on every tool alike.
  for r in $(seq 1 "$reps"); do
    for i in "${!names[@]}"; do
      out=$work/out-$n-$i-$r.out
      cmd=${cmds[$i]//SNAPFILES/$files}
      cmd=${cmd//SNAP/$snap}
      # Unquoted: the command line is words (paths hold no blanks: mktemp, the cache, the repository); no globbing,
      # the class path's * is the JVM's.
      set -f
      # shellcheck disable=SC2086
      "$time_bin" -f '%e %U %S %M %x' -o "$work/t" $cmd >"$out" 2>"${out%.out}.err" || true
      set +f
      # GNU time writes "Command exited with non-zero status N" first when it is not 0; the format line is last.
      read -r wall user sys maxrss code < <(tail -1 "$work/t")
      echo "$user $sys" | awk '{ printf "%.2f\n", $1 + $2 }' >>"$work/cpu-$n-$i"
      echo "$maxrss" >>"$work/rss-$n-$i"
      if [ "$r" = 1 ]; then
        found[$n,$i]=$("count_${kinds[$i]}" "$out" 2>/dev/null || echo "?")
        status[$n,$i]=$code
      fi
      log "  $n ${names[$i]}: ${user}+${sys} s CPU, $((maxrss / 1024)) MiB, exit $code, wall $wall s"
    done
  done
  for i in "${!names[@]}"; do
    cpu[$n,$i]=$(median <"$work/cpu-$n-$i")
    rss[$n,$i]=$(median <"$work/rss-$n-$i" | awk '{ printf "%.0f", $1 / 1024 }')
  done
done

# ---------------------------------------------------------------------------------------------------- table
echo
echo "CPU = user+sys seconds, RSS = peak MiB (GNU time), medians of $reps_small runs ($reps_large from $large" \
  "workloads); findings as each tool counts them (exit code of the first run in brackets)."
echo
header="| tool and launcher |"
rule="| --- |"
for n in "${sizes[@]}"; do
  header="$header $n: CPU s | $n: RSS MiB | $n: findings |"
  rule="$rule ---: | ---: | ---: |"
done
echo "$header"
echo "$rule"
for i in "${!names[@]}"; do
  row="| ${names[$i]} |"
  for n in "${sizes[@]}"; do
    row="$row ${cpu[$n,$i]} | ${rss[$n,$i]} | ${found[$n,$i]} (${status[$n,$i]}) |"
  done
  echo "$row"
done
echo
for n in "${sizes[@]}"; do echo "- $n workloads: ${objs[$n]} objects"; done
echo "- bin/meshwarden's first audit, which writes its AppCDS archive (${sizes[-1]} workloads, one run): $first"
for v in "${versions[@]}"; do echo "- $v"; done
echo "- Meshwarden $(java -jar target/quarkus-app/quarkus-run.jar version | awk '{ print $2 }') at" \
  "$(git rev-parse --short HEAD), ${#names[@]} runners, policies: $(ls $policies | wc -l) files of $policies"
echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
for g in "${gaps[@]+"${gaps[@]}"}"; do echo "- gap: $g"; done
