package io.meshwarden.api;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The packaged application as a fresh install runs it: tokens mode without a tokens file, so it generates an admin
 * token at start and writes it (to a directory of this test run) for the test to read.
 */
public class GeneratedAdminToken implements QuarkusTestResourceLifecycleManager {
    static final String PROPERTY = "mwtest.admin-token-file";

    @Override
    public Map<String, String> start() {
        try {
            Path file = Files.createTempDirectory("meshwarden-it").resolve("state/.meshwarden/admin-token");
            System.setProperty(PROPERTY, file.toString());
            return Map.of("meshwarden.auth.mode", "tokens", "meshwarden.auth.generated-token-file", file.toString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void stop() {
    }

    static Path file() {
        return Path.of(System.getProperty(PROPERTY));
    }

    /** Sends the generated token with every REST Assured request until {@link #forget()}. */
    static void authorizeRequests() throws IOException {
        RestAssured.requestSpecification = new RequestSpecBuilder().addHeader("Authorization", "Bearer "
                + Files.readString(file()).strip()).build();
    }

    static void forget() {
        RestAssured.requestSpecification = null;
    }
}
