package io.meshwarden.auth;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Who may call the API under /api; health, metrics and the OpenAPI document stay open. */
@ConfigMapping(prefix = "meshwarden.auth")
public interface AuthConfig {

    /**
     * auto: kubernetes in a pod, else tokens. kubernetes: TokenReview and SubjectAccessReview, so cluster RBAC
     * decides. tokens: the tokens file, or a generated admin token when no file is set. none: no checks at all.
     */
    @WithDefault("auto")
    AuthMode mode();

    /** Lines of {@code <name> <role> sha256:<hex>}; re-read when it changes. */
    Optional<Path> tokensFile();

    /** Where the generated admin token is written (owner-only) when tokens mode has no tokens file. */
    @WithDefault(".meshwarden/admin-token")
    Path generatedTokenFile();

    /** How long a TokenReview or SubjectAccessReview answer is reused, granted or not. */
    @WithDefault("10s")
    Duration cacheTtl();

    /** Answers kept per cache (token reviews, access reviews); the least recently used go first. */
    @WithDefault("1024")
    int cacheSize();

    /** Audiences a token must be issued for (TokenReview spec.audiences); unset: the API server's own. */
    Optional<List<String>> audiences();
}
