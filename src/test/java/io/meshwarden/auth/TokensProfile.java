package io.meshwarden.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Tokens mode with a tokens file of three users, and a cluster (the mock API server) to enforce on. */
public class TokensProfile implements io.quarkus.test.junit.QuarkusTestProfile {
    static final Path TOKENS = Path.of("target", "auth-test", "tokens");
    static final String VIEWER = "viewer-token-0123456789";
    static final String EDITOR = "editor-token-0123456789";
    static final String ADMIN = "admin-token-0123456789";

    static String file() {
        return "# test users\n" + Tokens.line("ann-viewer", "viewer", VIEWER) + Tokens.line("ed-editor", "editor",
                EDITOR) + "\n" + Tokens.line("ops-admin", "admin", ADMIN);
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Files.createDirectories(TOKENS.getParent());
            Files.writeString(TOKENS, file());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("meshwarden.auth.mode", "tokens", "meshwarden.auth.tokens-file", TOKENS.toString(),
                "meshwarden.cluster.enabled", "true", "meshwarden.audit.enabled", "false",
                "meshwarden.enforce.enabled", "false", "meshwarden.rollout.deadline", "1s",
                "meshwarden.rollout.poll-interval", "50ms", "meshwarden.rollout.writes-per-second", "100");
    }
}
