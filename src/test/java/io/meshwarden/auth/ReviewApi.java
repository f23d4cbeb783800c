package io.meshwarden.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.utils.ResponseProvider;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The two review APIs of a Kubernetes API server, in the mock's expectations mode: TokenReview knows a few tokens,
 * SubjectAccessReview allows what an RBAC table says. Every review is recorded, so tests can count API calls
 * and read what was asked; failing() makes both answer 500.
 */
public class ReviewApi implements Consumer<KubernetesServer> {
    static final String TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
    static final String ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Token to the user the API server knows it as. */
    static final Map<String, JsonNode> USERS = new ConcurrentHashMap<>();
    /** "user verb resource[/subresource]" that RBAC allows. */
    static final Set<String> ALLOWED = ConcurrentHashMap.newKeySet();
    static final List<JsonNode> TOKEN_REQUESTS = new CopyOnWriteArrayList<>();
    static final List<JsonNode> ACCESS_REQUESTS = new CopyOnWriteArrayList<>();
    static final AtomicInteger FAILED = new AtomicInteger();
    static volatile boolean failing;

    static void user(String token, String name, List<String> groups) {
        ObjectNode u = JSON.createObjectNode().put("username", name).put("uid", "uid-" + name);
        groups.forEach(u.putArray("groups")::add);
        u.putObject("extra").putArray("scopes").add("meshwarden");
        USERS.put(token, u);
    }

    static void reset() {
        USERS.clear();
        ALLOWED.clear();
        TOKEN_REQUESTS.clear();
        ACCESS_REQUESTS.clear();
        FAILED.set(0);
        failing = false;
    }

    @Override
    public void accept(KubernetesServer server) {
        server.expect().post().withPath(TOKEN_REVIEWS).andReply(new Reply(ReviewApi::tokenReview)).always();
        server.expect().post().withPath(ACCESS_REVIEWS).andReply(new Reply(ReviewApi::accessReview)).always();
    }

    private static String tokenReview(JsonNode request) {
        TOKEN_REQUESTS.add(request);
        ObjectNode answer = ((ObjectNode) request).deepCopy();
        ObjectNode status = answer.putObject("status");
        JsonNode user = USERS.get(request.path("spec").path("token").asText());
        status.put("authenticated", user != null);
        if (user != null) {
            status.set("user", user);
            JsonNode audiences = request.path("spec").path("audiences");
            if (audiences.isArray()) {
                status.set("audiences", audiences);
            }
        } else {
            status.put("error", "invalid bearer token");
        }
        return answer.toString();
    }

    private static String accessReview(JsonNode request) {
        ACCESS_REQUESTS.add(request);
        JsonNode ra = request.path("spec").path("resourceAttributes");
        String resource = ra.path("resource").asText() + (ra.hasNonNull("subresource")
                ? "/" + ra.path("subresource").asText() : "");
        String key = request.path("spec").path("user").asText() + " " + ra.path("verb").asText() + " " + resource;
        boolean allowed = ALLOWED.contains(key) && "meshwarden.io".equals(ra.path("group").asText());
        ObjectNode answer = ((ObjectNode) request).deepCopy();
        answer.putObject("status").put("allowed", allowed);
        return answer.toString();
    }

    /** Answers one review per request; 500 while failing. */
    private static final class Reply implements ResponseProvider<Object> {
        private final Function<JsonNode, String> answer;
        private Headers headers = Headers.builder().add("Content-Type", "application/json").build();

        Reply(Function<JsonNode, String> answer) {
            this.answer = answer;
        }

        @Override
        public int getStatusCode(RecordedRequest request) {
            return failing ? 500 : 201;
        }

        @Override
        public Object getBody(RecordedRequest request) {
            if (failing) {
                FAILED.incrementAndGet();
                return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":500,"
                        + "\"message\":\"etcdserver: request timed out\"}";
            }
            try {
                return answer.apply(JSON.readTree(request.getUtf8Body()));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Headers getHeaders() {
            return headers;
        }

        @Override
        public void setHeaders(Headers headers) {
            this.headers = headers;
        }
    }
}
