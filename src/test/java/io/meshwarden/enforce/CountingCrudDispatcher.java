package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fabric8 CRUD mock, wrapped to record every request (so tests can count writes), to fail chosen writes, and
 * to change an object behind the client's back right before its PATCH arrives (so the PATCH's resourceVersion
 * precondition is stale, as with a concurrent writer).
 */
final class CountingCrudDispatcher extends Dispatcher {
    static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    /** "METHOD path" (no query) to the status those requests get. */
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    /** Path (no query) to a merge patch applied to the stored object before each of its next PATCHes, and count. */
    private final Map<String, Interference> interference = new ConcurrentHashMap<>();

    private final Map<String, String> served = new ConcurrentHashMap<>();

    private record Interference(String patch, int times) {
    }

    /** GET of exactly {@code path} (no query) answers {@code json}: an API the CRUD mock does not serve. */
    void serve(String path, String json) {
        served.put(path, json);
    }

    void fail(String method, String path, int code) {
        failures.put(method + " " + path, code);
    }

    /**
     * Before each of the next {@code times} PATCHes of {@code path}, merge {@code patch} into the stored object.
     * {@code %n} in the patch becomes a countdown, so repeated interference really changes the object (the mock
     * keeps the resourceVersion when a patch changes nothing).
     */
    void interfere(String path, String patch, int times) {
        interference.put(path, new Interference(patch, times));
    }

    void clear() {
        requests.clear();
        bodies.clear();
    }

    /** "PATCH /apis/apps/v1/namespaces/x/deployments/y?fieldManager=meshwarden", decoded, in arrival order. */
    List<String> requests() {
        return List.copyOf(requests);
    }

    List<String> writes() {
        List<String> out = new ArrayList<>();
        for (String r : requests) {
            if (WRITES.contains(r.substring(0, r.indexOf(' ')))) {
                out.add(r);
            }
        }
        return out;
    }

    /** Bodies of the write requests, parallel to {@link #writes()}. */
    List<String> writeBodies() {
        return List.copyOf(bodies);
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        String method = request.getMethod();
        requests.add(method + " " + URLDecoder.decode(path, StandardCharsets.UTF_8));
        if (WRITES.contains(method)) {
            bodies.add(request.getBody() == null ? "" : new String(request.getBody().getBytes(),
                    StandardCharsets.UTF_8));
        }
        int q = path.indexOf('?');
        String bare = q < 0 ? path : path.substring(0, q);
        if ("GET".equals(method) && served.containsKey(bare)) {
            return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                    .setBody(served.get(bare));
        }
        Integer failure = failures.get(method + " " + bare);
        if (failure != null) {
            return status(failure, "injected failure");
        }
        if ("PATCH".equals(method)) {
            Interference i = interference.get(bare);
            if (i != null && i.times() > 0) {
                interference.put(bare, new Interference(i.patch(), i.times() - 1));
                crud.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.PATCH, bare,
                        new Headers.Builder().add("Content-Type", "application/merge-patch+json").build(),
                        new Buffer().writeUtf8(i.patch().replace("%n", String.valueOf(i.times())))));
            }
        }
        return crud.dispatch(request);
    }

    private static MockResponse status(int code, String message) {
        ObjectNode status = JsonNodeFactory.instance.objectNode();
        status.put("kind", "Status").put("apiVersion", "v1").put("status", "Failure").put("message", message)
                .put("reason", code >= 500 ? "InternalError" : "").put("code", code);
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(status.toString());
    }
}
