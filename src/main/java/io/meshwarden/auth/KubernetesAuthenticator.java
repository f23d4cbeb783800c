package io.meshwarden.auth;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * In a cluster, the API server decides, as kube-rbac-proxy does: a TokenReview says who holds the token and a
 * SubjectAccessReview on meshpolicies.meshwarden.io says whether RBAC lets them do what the request asks. Answers,
 * denials included, are reused for the cache TTL, so a burst of requests costs two API calls and a new RoleBinding
 * or a revoked token takes effect within the TTL. Failed calls are never cached.
 */
final class KubernetesAuthenticator implements Authenticator {
    private static final Logger LOG = Logger.getLogger(KubernetesAuthenticator.class);

    /** What a SubjectAccessReview depends on. */
    private record AccessKey(String user, String uid, List<String> groups, Map<String, List<String>> extra,
            String verb, String name, boolean enforcement) {
    }

    private final Supplier<KubernetesClient> client;
    private final List<String> audiences;
    /** Keyed by the token's SHA-256, so tokens are not kept in memory longer than the request. */
    private final ExpiringCache<String, Optional<Caller>> tokens;
    private final ExpiringCache<AccessKey, Boolean> access;

    KubernetesAuthenticator(Supplier<KubernetesClient> client, List<String> audiences, int cacheSize, Duration ttl,
            Clock clock) {
        this.client = client;
        this.audiences = List.copyOf(audiences);
        this.tokens = new ExpiringCache<>(cacheSize, ttl, clock);
        this.access = new ExpiringCache<>(cacheSize, ttl, clock);
    }

    @Override
    public Caller authenticate(String token) {
        String key = HexFormat.of().formatHex(TokensAuthenticator.sha256(token));
        return tokens.get(key, k -> review(token)).orElse(null);
    }

    @Override
    public boolean authorize(Caller caller, Access a) {
        return access.get(new AccessKey(caller.user(), caller.uid(), caller.groups(), caller.extra(), a.verb(),
                a.name(), a.enforcement()), k -> review(caller, a));
    }

    @Override
    public String describe() {
        return "Kubernetes TokenReview and SubjectAccessReview on " + Access.RESOURCE + "." + Access.GROUP
                + (audiences.isEmpty() ? "" : ", audiences " + audiences);
    }

    private Optional<Caller> review(String token) {
        TokenReviewBuilder b = new TokenReviewBuilder().withNewSpec().withToken(token).endSpec();
        if (!audiences.isEmpty()) {
            b.editSpec().withAudiences(audiences).endSpec();
        }
        TokenReview answer;
        try {
            answer = client.get().authentication().v1().tokenReviews().create(b.build());
        } catch (RuntimeException e) {
            // Not only KubernetesClientException: fabric8 reports some I/O failures as plain runtime exceptions.
            throw unavailable("TokenReview", e);
        }
        TokenReviewStatus status = answer == null ? null : answer.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null
                || status.getUser().getUsername() == null) {
            return Optional.empty();
        }
        if (!audiences.isEmpty() && (status.getAudiences() == null
                || status.getAudiences().stream().noneMatch(audiences::contains))) {
            return Optional.empty();
        }
        UserInfo u = status.getUser();
        return Optional.of(new Caller(u.getUsername(), u.getUid(), u.getGroups(), u.getExtra(), null));
    }

    private boolean review(Caller caller, Access a) {
        SubjectAccessReview request = new SubjectAccessReviewBuilder().withNewSpec().withUser(caller.user())
                .withUid(caller.uid()).withGroups(caller.groups()).withExtra(caller.extra().isEmpty() ? null
                        : caller.extra())
                .withNewResourceAttributes().withGroup(Access.GROUP).withResource(Access.RESOURCE)
                .withSubresource(a.enforcement() ? Access.SUBRESOURCE : null).withVerb(a.verb()).withName(a.name())
                .endResourceAttributes().endSpec().build();
        SubjectAccessReview answer;
        try {
            answer = client.get().authorization().v1().subjectAccessReview().create(request);
        } catch (RuntimeException e) {
            throw unavailable("SubjectAccessReview", e);
        }
        SubjectAccessReviewStatus status = answer == null ? null : answer.getStatus();
        if (status != null && status.getEvaluationError() != null && !status.getEvaluationError().isBlank()) {
            LOG.debugf("SubjectAccessReview for %s (%s): %s", caller.user(), a.describe(),
                    status.getEvaluationError());
        }
        return status != null && Boolean.TRUE.equals(status.getAllowed()) && !Boolean.TRUE.equals(
                status.getDenied());
    }

    private static ReviewUnavailable unavailable(String what, RuntimeException e) {
        // Only the status or the exception type: a message could quote the request, and the request holds a token.
        String why = e instanceof KubernetesClientException k && k.getCode() > 0 ? "HTTP " + k.getCode()
                : e.getClass().getSimpleName();
        LOG.warnf("%s failed, API requests get 503 until it works again: %s", what, why);
        return new ReviewUnavailable(what + " failed (" + why + ")", e);
    }
}
