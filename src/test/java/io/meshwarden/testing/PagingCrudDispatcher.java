package io.meshwarden.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The fabric8 CRUD mock ignores {@code limit} and {@code continue} (and field selectors), so this wraps it to page
 * list answers the way the API server does, and to inject failures. Shared by the live reader's tests and the
 * benchmark's mock API server. Offsets serve as continue tokens: the CRUD store
 * answers in a stable order. Paged answers also drop the items' apiVersion and kind for built-in kinds, as the real
 * API server does and the mock does not.
 */
public final class PagingCrudDispatcher extends Dispatcher {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    /** Collection path (no query) to the HTTP status every GET of it gets. */
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    /** Collection paths whose continue tokens expire after the first page. */
    private final Set<String> expiring = ConcurrentHashMap.newKeySet();
    private volatile boolean paging = true;
    /**
     * Full lists rendered by the CRUD store, kept for the following pages until the next write: re-rendering
     * thousands of objects for every page would make the mock, not the client, the cost being measured.
     */
    private final Map<String, JsonNode> lists = new ConcurrentHashMap<>();

    public void paging(boolean on) {
        paging = on;
    }

    public void fail(String collectionPath, int code) {
        failures.put(collectionPath, code);
    }

    public void expireContinueTokens(String collectionPath) {
        expiring.add(collectionPath);
    }

    public void clearRequests() {
        requests.clear();
    }

    /** "GET /apis/apps/v1/deployments?limit=10", URL-decoded, in arrival order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    public List<String> gets(String collectionPath) {
        List<String> out = new ArrayList<>();
        for (String r : requests) {
            if (r.startsWith("GET " + collectionPath + "?") || r.equals("GET " + collectionPath)) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        requests.add(request.getMethod() + " " + URLDecoder.decode(path, StandardCharsets.UTF_8));
        int q = path.indexOf('?');
        String bare = q < 0 ? path : path.substring(0, q);
        Map<String, String> query = query(q < 0 ? "" : path.substring(q + 1));
        if (!"GET".equals(request.getMethod())) {
            lists.clear();
            return crud.dispatch(request);
        }
        Integer failure = failures.get(bare);
        if (failure != null) {
            return status(failure, "injected failure", null);
        }
        String token = query.get("continue");
        if (token != null && token.startsWith("off-") && expiring.contains(bare)) {
            return status(410, "The provided continue parameter is too old to display a consistent list result.",
                    "inconsistent-" + token.substring("off-".length()));
        }
        if (!paging || !query.containsKey("limit")) {
            return crud.dispatch(request);
        }
        try {
            String key = bare + "?" + query.getOrDefault("labelSelector", "") + "&"
                    + query.getOrDefault("fieldSelector", "");
            JsonNode body = token == null ? null : lists.get(key);
            if (body == null) {
                MockResponse full = crud.dispatch(request);
                if (full.code() != 200) {
                    return full;
                }
                body = JSON.readTree(full.getBody().getBytes());
                if (!body.isObject() || !body.path("items").isArray()) {
                    return full;
                }
                lists.put(key, body);
            }
            ArrayNode items = (ArrayNode) body.get("items");
            int limit = Integer.parseInt(query.get("limit"));
            int from = token == null ? 0 : Integer.parseInt(token.substring(token.indexOf('-') + 1));
            int to = Math.min(items.size(), from + limit);
            ArrayNode page = JSON.createArrayNode();
            boolean builtIn = !bare.contains("istio.io/") && !bare.contains("sailoperator.io/");
            for (int i = from; i < to; i++) {
                ObjectNode item = ((ObjectNode) items.get(i)).deepCopy();
                if (builtIn) {
                    // The API server leaves apiVersion and kind out of items of built-in lists; CRD lists keep them.
                    item.remove("apiVersion");
                    item.remove("kind");
                }
                page.add(item);
            }
            ObjectNode out = JSON.createObjectNode();
            body.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("items")) {
                    out.set(e.getKey(), e.getValue().deepCopy());
                }
            });
            out.set("items", page);
            JsonNode m = out.get("metadata");
            ObjectNode meta = m instanceof ObjectNode ? (ObjectNode) m : out.putObject("metadata");
            if (to < items.size()) {
                // After a resume the server has moved on to a newer snapshot, whose tokens this mock never expires.
                meta.put("continue", (token == null || token.startsWith("off-") ? "off-" : "late-") + to);
                meta.put("remainingItemCount", items.size() - to);
            } else {
                meta.remove("continue");
            }
            return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json")
                    .setBody(JSON.writeValueAsString(out));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MockResponse status(int code, String message, String resumeToken) {
        ObjectNode status = JSON.createObjectNode();
        status.put("kind", "Status");
        status.put("apiVersion", "v1");
        ObjectNode meta = status.putObject("metadata");
        if (resumeToken != null) {
            meta.put("continue", resumeToken);
        }
        status.put("status", "Failure");
        status.put("message", message);
        status.put("reason", code == 404 ? "NotFound" : code == 410 ? "Expired" : code == 403 ? "Forbidden" : "");
        status.put("code", code);
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                .setBody(status.toString());
    }

    /** The query string's parameters, URL-decoded, in order. */
    private static Map<String, String> query(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(key, value);
        }
        return out;
    }
}
