package io.meshwarden.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 14 (hostile input, round 2) through the REST API: each finding as a client would meet it. */
@QuarkusTest
@WithTestResource(TestDirs.class)
class HostileInputApiTest {
    static {
        YamlBodies.install();
    }

    static final String PROBLEM = "application/problem+json";

    static String json(String name, String type, String params, String exemptions) {
        return """
                {"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"%s"},
                 "spec":{"type":"%s","exemptions":%s,"parameters":%s}}""".formatted(name, type, exemptions, params);
    }

    static Response post(String contentType, String body) {
        return given().contentType(contentType).body(body).post("/api/v1/policies");
    }

    /** Finding 1: 180 KB of empty exemptions gave one violation each, a 50x answer and OOM under -Xmx64m. */
    @Test
    void violationListsAreCappedWithACountOfTheRest() {
        String body = json("many-bad", "TraceSampling", "{}", "[" + "{},".repeat(59_999) + "{}]");
        assertTrue(body.length() > 180_000 && body.length() < 256 * 1024);
        for (String path : List.of("/api/v1/policies", "/api/v1/policies/validate")) {
            Response r = given().contentType("application/json").body(body).post(path);
            r.then().statusCode(422).contentType(PROBLEM)
                    .body("violations", hasSize(100))
                    .body("violationsOmitted", equalTo(59_900))
                    .body("violations[0].field", equalTo("/spec/exemptions/0"))
                    .body("detail", containsString("60000 field(s) are invalid; the first 100"));
            assertTrue(r.asByteArray().length < 32 * 1024, "answer of " + r.asByteArray().length + " bytes");
        }
        given().get("/api/v1/policies/many-bad").then().statusCode(404);
        post("application/json", json("few-bad", "TraceSampling", "{}", "[{}, {}]")).then().statusCode(422)
                .body("violations", hasSize(2)).body("$", org.hamcrest.Matchers.not(
                        org.hamcrest.Matchers.hasKey("violationsOmitted")));
    }

    /** Finding 2: {@code cpu: 1e1000000} took 38 s of CPU; {@code 1e30000000} killed the process. */
    @Test
    void hugeQuantitiesAreRefusedAtOnce() {
        // Warm-up, so that the timing below is the request's and not the loading of Jackson's number parsers.
        given().contentType("application/json").body(json("warm", "ProxySizing",
                "{\"requests\":{\"cpu\":1.5e2,\"memory\":\"64Mi\"},\"tolerance\":1.5e1}", "[]"))
                .post("/api/v1/policies/validate").then().statusCode(200);
        given().contentType("application/json").body(json("warm", "ProxySizing",
                "{\"requests\":{\"cpu\":\"x\",\"memory\":\"64Mi\"},\"tolerance\":1.5e1}", "[]"))
                .post("/api/v1/policies/validate").then().statusCode(422);
        for (String cpu : List.of("1e100", "1e1000000", "1e30000000", "\"1e1000000\"", "\"9Ei\"", "12345678901234567890")) {
            long started = System.nanoTime();
            post("application/json", json("huge-cpu", "ProxySizing",
                    "{\"requests\":{\"cpu\":" + cpu + ",\"memory\":\"64Mi\"}}", "[]"))
                    .then().statusCode(422).contentType(PROBLEM)
                    .body("violations[0].field", equalTo("/spec/parameters/requests/cpu"))
                    .body("violations[0].reason", containsString("at most"));
            long took = System.nanoTime() - started;
            // The first, cheap before the fix too, warms the 422 path; the bound is for the hostile ones after it.
            assertTrue(took < 1_000_000_000L || cpu.equals("1e100"), cpu + " took " + took / 1_000_000 + " ms");
        }
        String yaml = """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: huge-cpu}
                spec:
                  type: ProxySizing
                  parameters: {requests: {cpu: 1.0e+1000000, memory: 64Mi}}
                """;
        post("application/yaml", yaml).then().statusCode(422)
                .body("violations[0].field", equalTo("/spec/parameters/requests/cpu"));
        given().get("/api/v1/policies/huge-cpu").then().statusCode(404);
    }

    /** Finding 3: {@code maxPercent: 1e-999999999} was stored and every evaluation then ran out of memory. */
    @Test
    void tinyPercentagesAreRefused() {
        post("application/json", json("tiny-percent", "TraceSampling", "{\"maxPercent\":1e-999999999}", "[]"))
                .then().statusCode(422).contentType(PROBLEM)
                .body("violations[0].field", equalTo("/spec/parameters/maxPercent"))
                .body("violations[0].reason", containsString("at most 18 digits after the decimal point"));
        post("application/json", json("tiny-tolerance", "ProxySizing",
                "{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Mi\"},\"tolerance\":1e-999999999}", "[]"))
                .then().statusCode(422).body("violations[0].field", equalTo("/spec/parameters/tolerance"));
        given().get("/api/v1/policies/tiny-percent").then().statusCode(404);
        assertFalse(java.nio.file.Files.exists(TestDirs.storeDir().resolve("tiny-percent.yaml")));
    }

    /** Finding 7: non-integer paging parameters were 404 (JAX-RS could not convert them), not the documented 400. */
    @Test
    void pagingParametersThatAreNotIntegersAre400() {
        for (String bad : List.of("abc", "1.5", "1e3", "99999999999", "-", "0x10", " 1", "１")) {
            given().queryParam("limit", bad).get("/api/v1/reports/latest").then().statusCode(400)
                    .contentType(PROBLEM).body("violations[0].field", equalTo("query/limit"))
                    .body("violations[0].reason", containsString("must be an integer between 1 and 5000"));
            given().queryParam("offset", bad).get("/api/v1/reports/latest").then().statusCode(400)
                    .contentType(PROBLEM).body("violations[0].field", equalTo("query/offset"));
        }
        given().queryParam("limit", "0").get("/api/v1/reports/latest").then().statusCode(400);
        given().queryParam("limit", "5001").get("/api/v1/reports/latest").then().statusCode(400);
        given().queryParam("offset", "-1").get("/api/v1/reports/latest").then().statusCode(400)
                .body("violations[0].reason", equalTo("must not be negative"));
        // Well-formed paging reaches the resource, which has no audit yet in this suite.
        given().queryParam("limit", "10").queryParam("offset", "0").get("/api/v1/reports/latest").then()
                .statusCode(404);
    }

    /** Finding 7: a missing Content-Type, a wildcard, two of them or a charset other than UTF-8 were read as JSON. */
    @Test
    void contentTypesThatAreNotExactlyJsonOrYamlAre415() throws Exception {
        byte[] body = json("ct-check", "TraceSampling", "{}", "[]").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<List<String>> refused = List.of(List.of(), List.of("*/*"), List.of("application/*"),
                List.of("application/json", "application/json"), List.of("application/json; charset=ebcdic"),
                List.of("application/json;charset=latin1"), List.of("application/yaml; charset=utf-16"),
                List.of("application/json, application/yaml"), List.of("text/plain"), List.of("json"));
        // java.net.http sends the headers as given (REST Assured adds a Content-Type and a charset of its own).
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        for (String path : List.of("/api/v1/policies", "/api/v1/policies/validate")) {
            for (List<String> types : refused) {
                java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://localhost:" + io.restassured.RestAssured.port + path))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body));
                types.forEach(t -> req.header("Content-Type", t));
                java.net.http.HttpResponse<String> r = client.send(req.build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertEquals(415, r.statusCode(), types + ": " + r.body());
                assertEquals(PROBLEM, r.headers().firstValue("Content-Type").orElse(""), types.toString());
            }
        }
        given().contentType("application/json; charset=UTF-8").body(body).post("/api/v1/policies/validate").then()
                .statusCode(200);
        given().contentType("application/yaml").body("apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                + "metadata: {name: ct-yaml}\nspec: {type: TraceSampling}\n").post("/api/v1/policies/validate")
                .then().statusCode(200);
        given().get("/api/v1/policies/ct-check").then().statusCode(404);
    }

    /** Finding 7: RFC 9110 If-Match compares strongly; a weak tag, a foreign tag and a list are 412 when they fail. */
    @Test
    void ifMatchUsesTheStrongComparison() {
        String v1 = post("application/json", json("etag-check", "TraceSampling", "{}", "[]")).then().statusCode(201)
                .extract().header("ETag");
        String opaque = v1.replace("\"", "");
        String body = json("etag-check", "TraceSampling", "{\"maxPercent\":2}", "[]");
        for (String header : List.of("W/" + v1, "\"x-1\"", "\"1\", \"2\"", "W/\"" + opaque + "\", \"x\"",
                "\"\"")) {
            given().contentType("application/json").header("If-Match", header).body(body)
                    .put("/api/v1/policies/etag-check").then().statusCode(412).contentType(PROBLEM);
            given().header("If-Match", header).delete("/api/v1/policies/etag-check").then().statusCode(412);
        }
        for (String header : List.of("garbage", "\"unterminated", "1, 2", "\"a\"\"b\"")) {
            given().contentType("application/json").header("If-Match", header).body(body)
                    .put("/api/v1/policies/etag-check").then().statusCode(400)
                    .body("violations[0].field", equalTo("header/If-Match"));
        }
        String v2 = given().contentType("application/json").header("If-Match", "\"x-1\", " + v1 + ", W/\"3\"")
                .body(body).put("/api/v1/policies/etag-check").then().statusCode(200).extract().header("ETag");
        given().header("If-Match", "W/" + v2).delete("/api/v1/policies/etag-check").then().statusCode(412);
        given().header("If-Match", "\"x-1\", " + v2).delete("/api/v1/policies/etag-check").then().statusCode(204);
        given().header("If-Match", "\"x-1\"").delete("/api/v1/policies/etag-check").then().statusCode(404);
    }

    static String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("localhost", io.restassured.RestAssured.port)) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                s.getOutputStream().flush();
            } catch (java.io.IOException closedEarly) {
                // the server may answer and close before reading everything: what it answered is below
            }
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                    got.write(buf, 0, n);
                }
            } catch (java.io.IOException reset) {
                // a reset after the answer
            }
            return got.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Finding 7: a body over the limit was an empty 413, and a chunked one an ERROR with a stack trace and a 500. */
    @Test
    void overLimitBodiesAre413NeverAnErrorOrA500() throws Exception {
        String declared = raw("POST /api/v1/policies HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: 300000\r\nConnection: close\r\n\r\n{");
        assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
        assertTrue(declared.contains("application/problem+json") && declared.contains("max-body-size"), declared);
        List<java.util.logging.LogRecord> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                    errors.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger("io.meshwarden");
        logger.addHandler(capture);
        try {
            StringBuilder chunked = new StringBuilder("POST /api/v1/policies/validate HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
            for (int i = 0; i < 5; i++) {
                chunked.append("10000\r\n").append("x".repeat(65536)).append("\r\n");
            }
            String answer = raw(chunked.append("0\r\n\r\n").toString());
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            Thread.sleep(500); // the worker that read the body logs after the answer went out
        } finally {
            logger.removeHandler(capture);
        }
        assertTrue(errors.isEmpty(), () -> errors.get(0).getMessage() + " " + errors.get(0).getThrown());
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertFalse(metrics.lines().anyMatch(l -> l.startsWith("http_server_requests_seconds_count")
                && l.contains("uri=\"/api/v1/policies/validate\"") && l.contains("status=\"500\"")), metrics);
    }

    /**
     * Finding 7, below the REST layer: an over-long request line or header block was answered by the HTTP codec with
     * an empty 414 or 431. Up to the codec's backstop they are problem documents now; past it, the codec's own.
     */
    @Test
    void longRequestLinesAndHeadersAreProblemDocuments() {
        given().queryParam("q", "x".repeat(6_000)).get("/api/v1/policies").then().statusCode(414)
                .contentType(PROBLEM).body("status", equalTo(414))
                .body("detail", containsString("meshwarden.http.max-request-line"))
                .body("instance", equalTo("/api/v1/policies"));
        given().header("X-Filler", "y".repeat(30_000)).get("/api/v1/policies").then().statusCode(431)
                .contentType(PROBLEM).body("detail", containsString("meshwarden.http.max-header-size"));
        // Unauthenticated too: the head is judged before anything else reads the request.
        given().header("Authorization", "Bearer " + "z".repeat(25_000)).get("/api/v1/policies").then()
                .statusCode(431).contentType(PROBLEM);
        // Past the backstop the codec answers by itself, before any handler: the status is still right.
        Response beyond = given().queryParam("q", "x".repeat(20_000)).get("/api/v1/policies");
        assertEquals(414, beyond.statusCode());
        // Within both limits nothing changes.
        given().queryParam("limit", "1").header("X-Filler", "y".repeat(10_000)).get("/api/v1/policies").then()
                .statusCode(200);
    }
}
