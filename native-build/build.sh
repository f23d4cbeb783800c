#!/usr/bin/env bash
# Builds the Meshwarden native executable.
#   - with GraalVM/Mandrel installed (GRAALVM_HOME set, or native-image on PATH): a local native build;
#   - otherwise, with podman or docker: Quarkus's container build (Mandrel builder image for JDK 25);
#   - otherwise: the native image sources only (what CI checks), with a note on how to finish.
# The result is target/meshwarden-*-runner; `native-build/Containerfile` packages it into a small image.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${GRAALVM_HOME:-}" ] || command -v native-image >/dev/null 2>&1; then
  exec ./mvnw -B package -Dnative -DskipTests "$@"
fi
for engine in podman docker; do
  if command -v "$engine" >/dev/null 2>&1 && "$engine" info >/dev/null 2>&1; then
    exec ./mvnw -B package -Dnative -DskipTests -Dquarkus.native.container-build=true \
      -Dquarkus.native.container-runtime="$engine" \
      -Dquarkus.native.builder-image=quay.io/quarkus/ubi9-quarkus-mandrel-builder-image:jdk-25 "$@"
  fi
done
echo "No GraalVM/Mandrel and no container engine: generating the native image sources only." >&2
./mvnw -B package -DskipTests -Dquarkus.native.enabled=true -Dquarkus.native.sources-only=true "$@"
echo "Sources are in target/native-sources; run its native-image command on a machine with Mandrel." >&2
