package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.model.Json;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Keeps an onboarding's progress in the cluster: the annotation {@value OnboardingProgress#ANNOTATION} on every
 * namespace of its plan, written as a merge patch with the namespace's {@code resourceVersion} as precondition and
 * field manager {@value Applier#FIELD_MANAGER} (a conflict re-reads once: labels may change meanwhile).
 */
public final class OnboardingStore {
    private final KubernetesClient client;

    public OnboardingStore(KubernetesClient client) {
        this.client = client;
    }

    /** Writes the progress on each of its namespaces; returns why a namespace could not take it, if any did not. */
    public List<String> write(OnboardingProgress p) {
        String value = p.toJson();
        List<String> errors = new ArrayList<>();
        for (String ns : p.namespaces()) {
            try {
                patch(ns, value);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    errors.add(ns + ": " + e.getMessage());
                    continue;
                }
                try {
                    patch(ns, value);
                } catch (KubernetesClientException again) {
                    errors.add(ns + ": " + again.getMessage());
                }
            }
        }
        return errors;
    }

    private void patch(String ns, String value) {
        Namespace live = client.namespaces().withName(ns).get();
        if (live == null) {
            return;
        }
        ObjectNode meta = Json.F.objectNode();
        meta.putObject("annotations").put(OnboardingProgress.ANNOTATION, value);
        meta.put("resourceVersion", live.getMetadata().getResourceVersion());
        ObjectNode body = Json.F.objectNode();
        body.set("metadata", meta);
        client.namespaces().withName(ns).patch(KubeObjects.mergePatch(), body.toString());
    }

    /** Every onboarding recorded in the cluster, by policy: per policy the newest record among its namespaces. */
    public Map<String, OnboardingProgress> all() {
        Map<String, OnboardingProgress> out = new TreeMap<>();
        for (Namespace ns : client.namespaces().list().getItems()) {
            Map<String, String> ann = ns.getMetadata().getAnnotations();
            OnboardingProgress p = ann == null ? null : OnboardingProgress.fromJson(ann.get(OnboardingProgress.ANNOTATION));
            if (p != null) {
                out.merge(p.policy(), p, (a, b) -> NEWEST.compare(a, b) >= 0 ? a : b);
            }
        }
        return out;
    }

    public Optional<OnboardingProgress> read(String policy) {
        return Optional.ofNullable(all().get(policy));
    }

    /** By update time, then by how far it got: namespaces of one onboarding are written one after another. */
    private static final Comparator<OnboardingProgress> NEWEST = Comparator
            .comparing((OnboardingProgress p) -> p.updatedAt() == null ? "" : p.updatedAt())
            .thenComparingInt(p -> p.done().size());
}
