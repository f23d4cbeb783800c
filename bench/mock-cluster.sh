# Sourced by the bench scripts that read a synthetic cluster from the mock API server (bench/memory.sh,
# bench/dashboard.sh): builds what is missing, puts the mock server's class path together, makes $work (removed on
# exit with the app and the mock, unless KEEP_WORK is set) and starts the mock with $workloads workloads on $mock_port.
# The caller sets workloads and mock_port, keeps its app's pid in app_pid (killed on exit), and may set MVNW_FLAGS.
# The mock server runs from the JVM build's libraries, so they are built for a native run too.
{ [ -n "${NATIVE_BIN:-}" ] && [ -d target/quarkus-app/lib/main ]; } || ./mvnw -B -q ${MVNW_FLAGS:-} package -DskipTests
./mvnw -B -q ${MVNW_FLAGS:-} test-compile

# The mock server is a test dependency, absent from the packaged app; take the version the app was built with.
lib=target/quarkus-app/lib/main
client_jar=$(ls "$lib"/io.fabric8.kubernetes-client-[0-9]*.jar)
fabric8=${client_jar##*/io.fabric8.kubernetes-client-}
fabric8=${fabric8%.jar}
m2=${MAVEN_REPO:-$HOME/.m2/repository}
mock_cp=""
# The app ships only the fabric8 model groups it reads (pom.xml); the mock server builds objects of other groups too.
for a in kubernetes-server-mock mockwebserver $(cd "$m2/io/fabric8" && ls -d kubernetes-model-*); do
  jar="$m2/io/fabric8/$a/$fabric8/$a-$fabric8.jar"
  case $a in kubernetes-model-*) [ -f "$jar" ] || continue ;; esac
  [ -f "$jar" ] || { echo "missing $jar (run ./mvnw test-compile online once)" >&2; exit 1; }
  mock_cp="$mock_cp:$jar"
done

work=$(mktemp -d)
mock_pid=""
app_pid=""
cleanup() {
  [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true
  [ -z "$mock_pid" ] || kill "$mock_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "loading $workloads workloads into the mock API server on :$mock_port ..."
java -Xmx1g -cp "target/test-classes:target/classes:$lib/*$mock_cp" io.meshwarden.bench.MockApiServerMain \
  "$mock_port" "$workloads" >"$work/mock.log" 2>&1 &
mock_pid=$!
until grep -q '^ready' "$work/mock.log"; do
  if ! kill -0 "$mock_pid" 2>/dev/null; then
    echo "the mock API server died:" >&2
    tail -20 "$work/mock.log" >&2
    exit 1
  fi
  sleep 1
done
grep '^ready' "$work/mock.log"
