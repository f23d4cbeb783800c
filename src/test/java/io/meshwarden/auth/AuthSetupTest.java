package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthSetupTest {
    @TempDir
    Path dir;

    /** Configuration as the properties would give it. */
    record Config(AuthMode mode, Optional<Path> tokensFile, Path generatedTokenFile) implements AuthConfig {
        @Override
        public Duration cacheTtl() {
            return Duration.ofSeconds(10);
        }

        @Override
        public int cacheSize() {
            return 16;
        }

        @Override
        public Optional<List<String>> audiences() {
            return Optional.empty();
        }
    }

    private AuthSetup setup(AuthMode mode, Path tokensFile, Map<String, String> env) {
        return new AuthSetup(new Config(mode, Optional.ofNullable(tokensFile), dir.resolve("gen/admin-token")),
                () -> {
                    throw new AssertionError("no API server is needed to start");
                }, env);
    }

    @Test
    void autoMeansKubernetesInAPodAndTokensElsewhere() {
        assertEquals(AuthMode.KUBERNETES, AuthMode.AUTO.resolve(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")));
        assertEquals(AuthMode.TOKENS, AuthMode.AUTO.resolve(Map.of()));
        assertEquals(AuthMode.TOKENS, AuthMode.AUTO.resolve(Map.of("KUBERNETES_SERVICE_HOST", " ")));
        assertEquals(AuthMode.TOKENS, AuthMode.TOKENS.resolve(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")));
        assertEquals(AuthMode.NONE, AuthMode.NONE.resolve(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")));

        AuthSetup inPod = setup(AuthMode.AUTO, null, Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"));
        assertEquals(AuthMode.KUBERNETES, inPod.mode());
        assertFalse(Files.exists(dir.resolve("gen")), "no admin token is generated in a cluster");
    }

    @Test
    void withoutATokensFileAnAdminTokenIsGeneratedAndRequired() throws Exception {
        AuthSetup setup = setup(AuthMode.AUTO, null, Map.of());
        assertEquals(AuthMode.TOKENS, setup.mode());
        assertFalse(setup.open());
        Path file = dir.resolve("gen/admin-token");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
        String token = Files.readString(file).strip();
        assertEquals(Caller.ofToken("admin", Role.ADMIN), setup.authenticator().authenticate(token));
        assertNull(setup.authenticator().authenticate(token.substring(1)));

        AuthSetup restarted = setup(AuthMode.AUTO, null, Map.of());
        assertNull(restarted.authenticator().authenticate(token), "every start has a new token");
    }

    @Test
    void aMalformedTokensFileStopsTheStartWithItsLineAndReason() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, Tokens.line("ci", "editor", "t") + "# ops\nops superuser sha256:"
                + Tokens.hex("u") + "\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> setup(AuthMode.TOKENS, tokens, Map.of()));
        assertEquals("meshwarden.auth.tokens-file: " + tokens + ":3: role 'superuser' must be viewer, editor or "
                + "admin", e.getMessage());
        assertFalse(Files.exists(dir.resolve("gen")), "a configured tokens file is never replaced by a generated one");
    }

    @Test
    void aTokensFileIsUsedAsItIs() throws Exception {
        Path tokens = dir.resolve("tokens");
        Files.writeString(tokens, Tokens.line("ci", "editor", "t"));
        AuthSetup setup = setup(AuthMode.AUTO, tokens, Map.of());
        assertEquals(Caller.ofToken("ci", Role.EDITOR), setup.authenticator().authenticate("t"));
        assertFalse(Files.exists(dir.resolve("gen")));
    }

    @Test
    void noneChecksNothing() {
        assertTrue(setup(AuthMode.NONE, null, Map.of()).open());
    }
}
