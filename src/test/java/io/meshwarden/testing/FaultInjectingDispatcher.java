package io.meshwarden.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wraps a mock API server's dispatcher (the CRUD store, or {@link PagingCrudDispatcher}) and answers matching
 * requests from a script of faults instead: error statuses with or without {@code Retry-After}, answers delayed past
 * the client's timeout, and dropped connections. A fault either reaches the store first ("applied": the write
 * happened, only its answer is lost, as when the API server committed and the connection broke) or not at all.
 *
 * <p>Each script is matched by method and path (no query; a trailing {@code *} matches a prefix), optionally only
 * for list requests that carry a {@code continue} token. Its faults are used once each, in order; after the last
 * the request passes, unless the script repeats its last fault. Requests are recorded as they arrive and again when
 * they reach the store, so a test can tell sent writes from applied ones.
 *
 * <p>Dropping a connection needs a socket, which a dispatcher does not have: a drop is answered with the header
 * {@value #DROP_HEADER}, and {@link ConnectionDroppingProxy} in front of the server closes the connection instead of
 * relaying that answer. Without the proxy a drop arrives as a 502.
 */
public final class FaultInjectingDispatcher extends Dispatcher {
    public static final String DROP_HEADER = "X-Test-Drop-Connection";

    private final Dispatcher store;
    private final List<Script> scripts = new CopyOnWriteArrayList<>();
    private final List<String> received = new CopyOnWriteArrayList<>();
    /** System.nanoTime() of each received request, parallel to {@link #received}. */
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();
    private final List<String> applied = new CopyOnWriteArrayList<>();
    private final List<String> injected = new CopyOnWriteArrayList<>();

    public FaultInjectingDispatcher(Dispatcher store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** What one scripted request gets. */
    public record Fault(Kind kind, int code, int retryAfterSeconds, Duration delay, boolean applied) {
        enum Kind { PASS, STATUS, DELAY, DROP }

        /** The request goes through to the store. */
        public static Fault pass() {
            return new Fault(Kind.PASS, 0, -1, null, true);
        }

        /** An API server Status of that code; not applied. */
        public static Fault status(int code) {
            return new Fault(Kind.STATUS, code, -1, null, false);
        }

        /** 429 or 503 as the API server sends them: the header and {@code details.retryAfterSeconds}. */
        public static Fault status(int code, int retryAfterSeconds) {
            return new Fault(Kind.STATUS, code, retryAfterSeconds, null, false);
        }

        /** The store's answer, held back for {@code delay}: longer than the client's timeout, it times out. */
        public static Fault slow(Duration delay, boolean applied) {
            return new Fault(Kind.DELAY, 0, -1, delay, applied);
        }

        /** The connection closes without an answer (needs {@link ConnectionDroppingProxy}). */
        public static Fault drop(boolean applied) {
            return new Fault(Kind.DROP, 0, -1, null, applied);
        }
    }

    private static final class Script {
        final String method;
        final String path;
        final boolean continueOnly;
        final List<Fault> faults;
        final boolean repeatLast;
        int next;

        Script(String method, String path, boolean continueOnly, List<Fault> faults, boolean repeatLast) {
            this.method = method;
            this.path = path;
            this.continueOnly = continueOnly;
            this.faults = List.copyOf(faults);
            this.repeatLast = repeatLast;
        }

        boolean matches(String m, String bare, String query) {
            if (!method.equals(m)) {
                return false;
            }
            boolean pathMatches = path.endsWith("*") ? bare.startsWith(path.substring(0, path.length() - 1))
                    : bare.equals(path);
            return pathMatches && (!continueOnly || query.contains("continue="));
        }

        /** Null once the script is used up. */
        Fault take() {
            if (next < faults.size()) {
                return faults.get(next++);
            }
            return repeatLast && !faults.isEmpty() ? faults.get(faults.size() - 1) : null;
        }
    }

    /** Scripts the next requests of {@code method path}; each fault answers one request. */
    public FaultInjectingDispatcher on(String method, String path, Fault... faults) {
        scripts.add(new Script(method, path, false, List.of(faults), false));
        return this;
    }

    /** As {@link #on}, but the last fault answers every request after the others too. */
    public FaultInjectingDispatcher always(String method, String path, Fault... faults) {
        scripts.add(new Script(method, path, false, List.of(faults), true));
        return this;
    }

    /** As {@link #on}, for list requests that carry a {@code continue} token only. */
    public FaultInjectingDispatcher onContinue(String path, Fault... faults) {
        scripts.add(new Script("GET", path, true, List.of(faults), false));
        return this;
    }

    public void clearScripts() {
        scripts.clear();
    }

    public void clearRecords() {
        received.clear();
        arrivals.clear();
        applied.clear();
        injected.clear();
    }

    /** "PATCH /apis/apps/v1/namespaces/x/deployments/y?fieldManager=meshwarden", decoded, as they arrived. */
    public List<String> received() {
        return List.copyOf(received);
    }

    /** The requests that reached the store, in the same form. */
    public List<String> applied() {
        return List.copyOf(applied);
    }

    /** "503 PATCH /path" for each injected fault. */
    public List<String> injected() {
        return List.copyOf(injected);
    }

    /** Time between the first two received requests that start with {@code "METHOD pathPrefix"}; null if fewer. */
    public Duration gap(String method, String pathPrefix) {
        List<Long> times = new ArrayList<>();
        synchronized (received) {
            for (int i = 0; i < received.size(); i++) {
                if (received.get(i).startsWith(method + " " + pathPrefix)) {
                    times.add(arrivals.get(i));
                }
            }
        }
        return times.size() < 2 ? null : Duration.ofNanos(times.get(1) - times.get(0));
    }

    public long received(String method, String pathPrefix) {
        return count(received, method, pathPrefix);
    }

    public long applied(String method, String pathPrefix) {
        return count(applied, method, pathPrefix);
    }

    private static long count(List<String> requests, String method, String pathPrefix) {
        return requests.stream().filter(r -> r.startsWith(method + " " + pathPrefix)).count();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        String line = request.getMethod() + " " + URLDecoder.decode(path, StandardCharsets.UTF_8);
        synchronized (received) {
            received.add(line);
            arrivals.add(System.nanoTime());
        }
        int q = path.indexOf('?');
        String bare = q < 0 ? path : path.substring(0, q);
        String query = q < 0 ? "" : path.substring(q + 1);
        Fault fault = null;
        synchronized (scripts) {
            for (Script s : scripts) {
                if (s.matches(request.getMethod(), bare, query)) {
                    fault = s.take();
                    if (fault != null) {
                        break;
                    }
                }
            }
        }
        if (fault == null || fault.kind() == Fault.Kind.PASS) {
            applied.add(line);
            return store.dispatch(request);
        }
        injected.add(describe(fault) + " " + line);
        MockResponse answer = null;
        if (fault.applied()) {
            applied.add(line);
            answer = store.dispatch(request);
        }
        switch (fault.kind()) {
            case STATUS:
                return status(fault.code(), fault.retryAfterSeconds());
            case DELAY:
                return (answer != null ? answer : status(504, -1)).setBodyDelay(fault.delay());
            case DROP:
                return status(502, -1).setHeader(DROP_HEADER, "true");
            default:
                throw new IllegalStateException(fault.toString());
        }
    }

    private static String describe(Fault f) {
        switch (f.kind()) {
            case STATUS:
                return String.valueOf(f.code());
            case DELAY:
                return "slow" + (f.applied() ? "(applied)" : "");
            default:
                return "drop" + (f.applied() ? "(applied)" : "");
        }
    }

    private static MockResponse status(int code, int retryAfterSeconds) {
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        status.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure").put("code", code);
        status.put("reason", reason(code)).put("message", "injected fault: HTTP " + code);
        MockResponse response = new MockResponse().setResponseCode(code).setHeader("Content-Type",
                "application/json");
        if (retryAfterSeconds >= 0) {
            status.putObject("details").put("retryAfterSeconds", retryAfterSeconds);
            response.setHeader("Retry-After", String.valueOf(retryAfterSeconds));
        }
        return response.setBody(status.toString());
    }

    private static String reason(int code) {
        switch (code) {
            case 403:
                return "Forbidden";
            case 409:
                return "Conflict";
            case 410:
                return "Expired";
            case 422:
                return "Invalid";
            case 429:
                return "TooManyRequests";
            case 503:
                return "ServiceUnavailable";
            case 504:
                return "Timeout";
            default:
                return code >= 500 ? "InternalError" : "BadRequest";
        }
    }

    /** For assertions' messages. */
    public String report() {
        List<String> lines = new ArrayList<>(received);
        lines.add("injected: " + injected);
        return String.join("\n", lines);
    }
}
