package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The policy endpoints of a running Meshwarden over plain HTTP, always with the bearer token: the header is harmless
 * when the instance runs without authentication, and required when it runs with a tokens file.
 */
final class PolicyClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BASE = "/api/v1/policies";

    /** An answer; {@code body} is null when there is none (204) or it is not JSON. */
    record Reply(int status, String etag, JsonNode body) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** The resourceVersion from the ETag, without its quotes. */
        String version() {
            return etag == null ? null : etag.replace("W/", "").replace("\"", "");
        }
    }

    private final HttpClient http;
    private final String root;
    private final String authorization;

    PolicyClient(int port, String token) {
        // HTTP/1.1 and a request timeout: a request on a killed server must fail, never hang the writer.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        this.root = "http://127.0.0.1:" + port;
        this.authorization = "Bearer " + token;
    }

    Reply get(String name) throws IOException {
        return send(request(BASE + "/" + name).GET());
    }

    Reply list() throws IOException {
        return send(request(BASE).GET());
    }

    Reply create(String json) throws IOException {
        return send(request(BASE).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** {@code ifMatch} null: unconditional. */
    Reply put(String name, String json, String ifMatch) throws IOException {
        HttpRequest.Builder b = request(BASE + "/" + name).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json));
        if (ifMatch != null) {
            b.header("If-Match", "\"" + ifMatch + "\"");
        }
        return send(b);
    }

    Reply delete(String name, String ifMatch) throws IOException {
        HttpRequest.Builder b = request(BASE + "/" + name).DELETE();
        if (ifMatch != null) {
            b.header("If-Match", "\"" + ifMatch + "\"");
        }
        return send(b);
    }

    /** GET of any path, for /q/health/ready and /api/v1/sources. */
    Reply getPath(String path) throws IOException {
        return send(request(path).GET());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(root + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", authorization).header("Accept", "application/json");
    }

    private Reply send(HttpRequest.Builder request) throws IOException {
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        JsonNode body = null;
        byte[] bytes = r.body();
        if (bytes != null && bytes.length > 0) {
            try {
                body = JSON.readTree(bytes);
            } catch (IOException notJson) {
                body = null;
            }
        }
        return new Reply(r.statusCode(), r.headers().firstValue("ETag").orElse(null), body);
    }
}
