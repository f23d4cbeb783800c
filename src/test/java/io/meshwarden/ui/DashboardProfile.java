package io.meshwarden.ui;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Tokens mode with a viewer and an admin, and a cluster (the mock API server) to audit. */
public class DashboardProfile implements io.quarkus.test.junit.QuarkusTestProfile {
    static final Path TOKENS = Path.of("target", "dashboard-test", "tokens");
    static final String VIEWER = "dash-viewer-token-0123456789";
    static final String ADMIN = "dash-admin-token-0123456789";

    /** As an operator writes it: printf %s "$TOKEN" | sha256sum. */
    static String line(String name, String role, String token) {
        try {
            return name + " " + role + " sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8))) + "\n";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Files.createDirectories(TOKENS.getParent());
            Files.writeString(TOKENS, line("vera-viewer", "viewer", VIEWER) + line("ada-admin", "admin", ADMIN));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("meshwarden.auth.mode", "tokens", "meshwarden.auth.tokens-file", TOKENS.toString(),
                "meshwarden.cluster.enabled", "true", "meshwarden.audit.enabled", "false",
                "meshwarden.enforce.enabled", "false");
    }
}
