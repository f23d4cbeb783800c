package io.meshwarden.store;

import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.Documents;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import java.nio.charset.StandardCharsets;

/** Policy documents for store tests. */
public final class TestPolicies {
    private TestPolicies() {
    }

    public static MeshPolicy tracing(String name, String maxPercent) {
        return PolicyTypes.CODEC.read(Documents.parseOne(("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: %s, labels: {team: platform}}
                spec: {type: TraceSampling, parameters: {maxPercent: %s}}
                """.formatted(name, maxPercent)).getBytes(StandardCharsets.UTF_8), true));
    }
}
