package io.meshwarden.policies.istiohygiene;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.SidecarResources;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Numbers;
import java.math.BigDecimal;

/**
 * The four {@code sidecar.istio.io/proxy*} resource annotations must be Kubernetes quantities. Istio's injector
 * validates them (pkg/kube/inject validateResourceQuantity) and refuses the pod when one is not, so the API server
 * rejects every new pod of the workload; a negative request or a request above its limit makes the injected pod
 * invalid for the API server itself. Parsed with {@link Numbers#quantity}, so the bounds are ProxySizing's.
 */
final class QuantityRule {
    static final RuleId INVALID = new RuleId("istio-proxy-resources-invalid",
            "A sidecar.istio.io/proxy* resource annotation is not a valid quantity, or its request exceeds its limit");

    private QuantityRule() {
    }

    static void check(Workload w, Checks checks, Mesh.Injection injection) {
        BigDecimal cpu = one(w, SidecarResources.CPU, checks, injection);
        BigDecimal cpuLimit = one(w, SidecarResources.CPU_LIMIT, checks, injection);
        BigDecimal memory = one(w, SidecarResources.MEMORY, checks, injection);
        BigDecimal memoryLimit = one(w, SidecarResources.MEMORY_LIMIT, checks, injection);
        pair(w, SidecarResources.CPU, cpu, SidecarResources.CPU_LIMIT, cpuLimit, checks, injection);
        pair(w, SidecarResources.MEMORY, memory, SidecarResources.MEMORY_LIMIT, memoryLimit, checks, injection);
    }

    /** The amount, or null when absent or invalid (then a finding is recorded). */
    private static BigDecimal one(Workload w, String key, Checks checks, Mesh.Injection injection) {
        String value = w.podAnnotations().get(key);
        if (value == null) {
            return null;
        }
        String problem;
        String consequence = "Istio's injector refuses such a pod, so the workload's new pods are rejected";
        BigDecimal amount = null;
        try {
            amount = Numbers.quantity(value);
            problem = amount.signum() < 0 ? "must not be negative, got '" + value + "'" : null;
            consequence = "The injected istio-proxy then has a negative resource, which the API server refuses, so "
                    + "the workload's new pods are rejected";
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
            if (!problem.startsWith("must be a Kubernetes quantity")) {
                // Grammatical, but beyond the bounds every Meshwarden quantity keeps (ProxySizing's too).
                consequence = "Meshwarden's quantity bounds (ProxySizing's too) refuse it, and no real sidecar needs "
                        + "such a value";
            }
        }
        if (problem == null) {
            checks.pass();
            return amount;
        }
        checks.fail(INVALID, Refs.of(w), null, Hygiene.templateAnnotation(w, key), "a Kubernetes quantity such as "
                + (key.contains("CPU") ? "100m" : "128Mi"), "'" + value + "'",
                w.ref() + ": the pod template annotation " + key + " " + problem + ". " + consequence + "."
                        + Hygiene.injectionNote(injection),
                Remedy.none(Refs.of(w), "Set " + key + " to a quantity such as "
                        + (key.contains("CPU") ? "100m or 0.5" : "128Mi or 1Gi") + " in the pod template (or in "
                        + "the manifests that render it); the workload rolls out."));
        return null;
    }

    private static void pair(Workload w, String requestKey, BigDecimal request, String limitKey, BigDecimal limit,
            Checks checks, Mesh.Injection injection) {
        if (request == null || limit == null) {
            return;
        }
        if (request.compareTo(limit) <= 0) {
            checks.pass();
            return;
        }
        String req = w.podAnnotations().get(requestKey);
        String lim = w.podAnnotations().get(limitKey);
        checks.fail(INVALID, Refs.of(w), null, Hygiene.templateAnnotation(w, requestKey), "at most " + lim,
                "'" + req + "'",
                w.ref() + ": the pod template annotation " + requestKey + " (" + req + ") is above " + limitKey + " ("
                        + lim + "); the injected istio-proxy's request exceeds its limit, which the API server "
                        + "refuses, so the workload's new pods are rejected." + Hygiene.injectionNote(injection),
                Remedy.none(Refs.of(w), "Lower " + requestKey + " or raise " + limitKey + " in the pod template; "
                        + "the workload rolls out."));
    }
}
