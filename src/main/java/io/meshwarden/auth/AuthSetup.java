package io.meshwarden.auth;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Chooses how API requests are checked, once at start: a malformed tokens file or an unwritable admin token file
 * stops the service instead of leaving the API open or locked.
 */
@ApplicationScoped
@Startup
public class AuthSetup {
    private static final Logger LOG = Logger.getLogger(AuthSetup.class);

    private final AuthMode mode;
    private final Authenticator authenticator;

    @Inject
    public AuthSetup(AuthConfig config, Instance<KubernetesClient> client) {
        this(config, client::get, System.getenv());
    }

    AuthSetup(AuthConfig config, Supplier<KubernetesClient> client, Map<String, String> env) {
        this.mode = config.mode().resolve(env);
        this.authenticator = create(mode, config, client);
        if (authenticator == null) {
            LOG.warn("meshwarden.auth.mode=none: the API under /api is open to anyone who can reach this port");
        } else {
            LOG.infof("API authentication (%s): %s", mode.name().toLowerCase(java.util.Locale.ROOT),
                    authenticator.describe());
        }
    }

    private static Authenticator create(AuthMode mode, AuthConfig config,
            Supplier<KubernetesClient> client) {
        switch (mode) {
            case NONE:
                return null;
            case KUBERNETES:
                return new KubernetesAuthenticator(client, config.audiences().orElse(List.of()), config.cacheSize(),
                        config.cacheTtl(), Clock.systemUTC());
            default:
                return config.tokensFile().isPresent() ? fromFile(config.tokensFile().get())
                        : generated(config.generatedTokenFile());
        }
    }

    private static Authenticator fromFile(Path file) {
        try {
            TokensAuthenticator a = TokensAuthenticator.fromFile(file);
            LOG.infof("tokens file %s: %d token(s)", file, a.size());
            return a;
        } catch (TokenFile.Malformed e) {
            throw new IllegalStateException("meshwarden.auth.tokens-file: " + e.getMessage(), e);
        }
    }

    private static Authenticator generated(Path file) {
        String token = AdminToken.generate();
        try {
            if (!AdminToken.write(file, token)) {
                LOG.warnf("%s: this file system has no POSIX permissions; make sure only this user can read it",
                        file.toAbsolutePath());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("meshwarden.auth.generated-token-file: cannot write the generated admin "
                    + "token to " + file.toAbsolutePath() + " (" + e.getMessage() + "); set "
                    + "meshwarden.auth.tokens-file or a writable meshwarden.auth.generated-token-file", e);
        }
        LOG.infof("no meshwarden.auth.tokens-file: generated an admin token for this run, written to %s "
                + "(send it as Authorization: Bearer <token>)", file.toAbsolutePath());
        return TokensAuthenticator.single(AdminToken.NAME, TokensAuthenticator.sha256(token),
                "generated admin token in " + file.toAbsolutePath());
    }

    public AuthMode mode() {
        return mode;
    }

    /** No checks at all (meshwarden.auth.mode=none). */
    public boolean open() {
        return authenticator == null;
    }

    Authenticator authenticator() {
        return authenticator;
    }

    /**
     * For the dashboard's login and each of its requests: the caller of a bearer token, checked as the API checks
     * it; {@link Caller#ANONYMOUS} when authentication is off.
     *
     * @return null when the token is unknown, expired or revoked
     * @throws ReviewUnavailable when the API server cannot tell now
     */
    public Caller authenticate(String token) {
        return authenticator == null ? Caller.ANONYMOUS : authenticator.authenticate(token);
    }

    /**
     * Whether the caller may do what the API request {@code method path} would do: the dashboard asks with the
     * route of the API call its action stands for, so a page and the API grant the same verbs. A refused change
     * is written to the audit log as the API's 403 is.
     *
     * @throws ReviewUnavailable when the API server cannot tell now
     */
    public boolean permits(Caller caller, String method, String path, List<String> dryRunValues, boolean logDenial) {
        if (authenticator == null) {
            return true;
        }
        Access access = ApiRoutes.access(method, path, dryRunValues);
        boolean allowed = authenticator.authorize(caller, access);
        if (!allowed && logDenial && !access.readOnly()) {
            AuditLog.denied(caller, access, method, path);
        }
        return allowed;
    }
}
