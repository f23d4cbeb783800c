package io.meshwarden.policies.proxysizing;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.CostSummary;
import io.meshwarden.model.HelmRef;
import io.meshwarden.model.Json;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.evaluate.Scope;
import io.meshwarden.istio.Mesh;
import io.meshwarden.istio.ValuesSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Quantity;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Hpa;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import io.meshwarden.policy.MeshPolicy;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ProxySizing: sidecar requests (and optionally limits) within a tolerance of the policy's.
 *
 * <p>The injector takes resources from the four {@code sidecar.istio.io/proxy*} annotations when any one of them is
 * set, and then ignores {@code global.proxy.resources} entirely for that pod (istio#34822): a pod with only
 * {@code proxyCPU} has no memory request at all. The remedy therefore always writes all four.
 */
public final class ProxySizingRule {
    public static final RuleId DEVIATES = new RuleId("proxy-sizing-deviates",
            "An injected workload's sidecar requests or limits are outside the policy's tolerance");
    static final String CPU = "sidecar.istio.io/proxyCPU";
    static final String CPU_LIMIT = "sidecar.istio.io/proxyCPULimit";
    static final String MEMORY = "sidecar.istio.io/proxyMemory";
    static final String MEMORY_LIMIT = "sidecar.istio.io/proxyMemoryLimit";
    private static final List<String> ANNOTATIONS = List.of(CPU, CPU_LIMIT, MEMORY, MEMORY_LIMIT);
    private static final String DEFAULTS = "_internal_defaults_do_not_set.";
    /** The istiod chart's global.proxy.resources. */
    static final String DEFAULT_CPU = "100m";
    static final String DEFAULT_MEMORY = "128Mi";
    static final String DEFAULT_CPU_LIMIT = "2000m";
    static final String DEFAULT_MEMORY_LIMIT = "1024Mi";

    /** Effective sidecar resources; a null quantity is unset. */
    record Sizing(String source, String path, HelmRef helm, String cpu, String memory, String cpuLimit,
            String memoryLimit) {
    }

    private ProxySizingRule() {
    }

    public static RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        ProxySizingParameters p = (ProxySizingParameters) policy.spec().parameters();
        Mesh mesh = new Mesh(snapshot);
        Scope scope = new Scope(policy, snapshot);
        Checks checks = new Checks(policy);
        for (Workload w : snapshot.workloads()) {
            if (!w.kind().longRunning() || !scope.covers(w) || !mesh.injection(w).injected()) {
                continue;
            }
            check(w, effective(w, mesh), p, checks);
        }
        return checks.outcome();
    }

    static Sizing effective(Workload w, Mesh mesh) {
        boolean anyAnnotation = false;
        for (String a : ANNOTATIONS) {
            anyAnnotation |= w.podAnnotations().containsKey(a);
        }
        if (anyAnnotation) {
            return new Sizing("pod annotations", Refs.templatePath(w) + ".metadata.annotations", null,
                    w.podAnnotations().get(CPU), w.podAnnotations().get(MEMORY), w.podAnnotations().get(CPU_LIMIT),
                    w.podAnnotations().get(MEMORY_LIMIT));
        }
        if (w.hasIstioProxy() && w.proxyResources() != null) {
            // Manually injected: the template's container is what runs.
            String container = w.hasNativeSidecar() ? "initContainers" : "containers";
            var r = w.proxyResources();
            return new Sizing("the istio-proxy container in the pod template",
                    Refs.templatePath(w) + ".spec." + container + "[istio-proxy].resources", null,
                    r.requests().get("cpu"), r.requests().get("memory"), r.limits().get("cpu"),
                    r.limits().get("memory"));
        }
        Optional<ValuesSource> source = mesh.istiodFor(mesh.revisionOf(w));
        if (source.isPresent()) {
            ValuesSource s = source.get();
            String cpu = value(s, "requests.cpu");
            String memory = value(s, "requests.memory");
            String cpuLimit = value(s, "limits.cpu");
            String memoryLimit = value(s, "limits.memory");
            if (cpu != null || memory != null || cpuLimit != null || memoryLimit != null) {
                if (s.kind() != ValuesSource.Kind.HELM) {
                    // The operators keep only what the user wrote; the chart's defaults fill the rest.
                    cpu = cpu == null ? DEFAULT_CPU : cpu;
                    memory = memory == null ? DEFAULT_MEMORY : memory;
                    cpuLimit = cpuLimit == null ? DEFAULT_CPU_LIMIT : cpuLimit;
                    memoryLimit = memoryLimit == null ? DEFAULT_MEMORY_LIMIT : memoryLimit;
                }
                return new Sizing("global.proxy.resources of " + s, s.path("global.proxy.resources"), s.helm(), cpu,
                        memory, cpuLimit, memoryLimit);
            }
        }
        return new Sizing("Istio's defaults", "global.proxy.resources (Istio defaults)", null, DEFAULT_CPU,
                DEFAULT_MEMORY, DEFAULT_CPU_LIMIT, DEFAULT_MEMORY_LIMIT);
    }

    private static String value(ValuesSource s, String field) {
        for (String prefix : List.of("global.proxy.resources.", DEFAULTS + "global.proxy.resources.")) {
            JsonNode v = s.value(prefix + field);
            if (Json.isSet(v)) {
                return v.asText();
            }
        }
        return null;
    }

    private static void check(Workload w, Sizing now, ProxySizingParameters p, Checks checks) {
        List<String> deviations = new ArrayList<>();
        BigDecimal tol = p.tolerancePercent();
        compare("requests.cpu", now.cpu(), p.requests().cpu(), tol, deviations);
        compare("requests.memory", now.memory(), p.requests().memory(), tol, deviations);
        if (p.limits() != null) {
            compare("limits.cpu", now.cpuLimit(), p.limits().cpu(), tol, deviations);
            compare("limits.memory", now.memoryLimit(), p.limits().memory(), tol, deviations);
        }
        if (deviations.isEmpty()) {
            checks.pass();
            return;
        }
        checks.fail(DEVIATES, Refs.of(w), now.helm(), now.path(), describe(p.requests().cpu(),
                p.requests().memory(), p.limits() == null ? null : p.limits().cpu(),
                p.limits() == null ? null : p.limits().memory()) + " (±" + tol.stripTrailingZeros().toPlainString()
                        + "%)",
                describe(now.cpu(), now.memory(), now.cpuLimit(), now.memoryLimit()),
                w.ref() + ": sidecar resources from " + now.source() + " deviate from the policy: "
                        + String.join("; ", deviations),
                remedy(w, now, p));
    }

    private static String describe(String cpu, String memory, String cpuLimit, String memoryLimit) {
        String s = "requests cpu=" + orUnset(cpu) + " memory=" + orUnset(memory);
        if (cpuLimit != null || memoryLimit != null) {
            s += ", limits cpu=" + orUnset(cpuLimit) + " memory=" + orUnset(memoryLimit);
        }
        return s;
    }

    private static String orUnset(String q) {
        return q == null ? "unset" : q;
    }

    private static void compare(String field, String actual, String expected, BigDecimal tolerance,
            List<String> out) {
        if (expected == null) {
            return;
        }
        BigDecimal e = amount(expected);
        BigDecimal a = actual == null ? null : amount(actual);
        String msg = field + " is " + (actual == null ? "unset" : actual) + ", expected " + expected;
        if (a == null) {
            out.add(msg + (actual == null ? "" : " (not a quantity)"));
            return;
        }
        if (e.signum() == 0) {
            if (a.signum() != 0) {
                out.add(msg);
            }
            return;
        }
        BigDecimal percent = a.subtract(e).abs().multiply(BigDecimal.valueOf(100)).divide(e, 6,
                RoundingMode.HALF_UP);
        if (percent.compareTo(tolerance) > 0) {
            out.add(msg + " (off by " + percent.setScale(1, RoundingMode.HALF_UP).toPlainString() + "%)");
        }
    }

    /**
     * Parsed quantities. A cluster uses a handful of distinct strings ("100m", "128Mi") across thousands of
     * workloads, and parsing was most of this rule's time; BigDecimal is immutable, so sharing is safe. Bounded so
     * that hostile input cannot grow it.
     */
    private static final Map<String, Optional<BigDecimal>> AMOUNTS = new ConcurrentHashMap<>();
    private static final int AMOUNTS_MAX = 4096;

    /** Base units: cores for cpu, bytes for memory; null when it does not parse. */
    static BigDecimal amount(String quantity) {
        Optional<BigDecimal> cached = AMOUNTS.get(quantity);
        if (cached == null) {
            cached = parseAmount(quantity);
            if (AMOUNTS.size() < AMOUNTS_MAX) {
                AMOUNTS.put(quantity, cached);
            }
        }
        return cached.orElse(null);
    }

    private static Optional<BigDecimal> parseAmount(String quantity) {
        try {
            return Optional.of(Quantity.getAmountInBytes(Quantity.parse(quantity.trim())));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Remedy remedy(Workload w, Sizing now, ProxySizingParameters p) {
        String cpu = p.requests().cpu();
        String memory = p.requests().memory();
        String cpuLimit = p.limits() != null && p.limits().cpu() != null ? p.limits().cpu() : now.cpuLimit();
        String memoryLimit = p.limits() != null && p.limits().memory() != null ? p.limits().memory()
                : now.memoryLimit();
        // A kept limit below the new request would make the pod invalid.
        cpuLimit = atLeast(cpuLimit, cpu);
        memoryLimit = atLeast(memoryLimit, memory);
        ObjectNode annotations = Json.F.objectNode();
        annotations.put(CPU, cpu);
        annotations.put(MEMORY, memory);
        String note = "Changing the pod template rolls the workload: every pod is re-created.";
        if (cpuLimit != null) {
            annotations.put(CPU_LIMIT, cpuLimit);
        } else {
            note += " No cpu limit is set now or in the policy, so proxyCPULimit is left out.";
        }
        if (memoryLimit != null) {
            annotations.put(MEMORY_LIMIT, memoryLimit);
        } else {
            note += " No memory limit is set now or in the policy, so proxyMemoryLimit is left out.";
        }
        if (w.hasIstioProxy()) {
            note += " The template carries istio-proxy itself (manual injection): re-inject it after the patch.";
        }
        return new Remedy(Refs.of(w), Remedy.PATCH, Json.nest(Refs.templatePath(w) + ".metadata.annotations",
                annotations), true, note);
    }

    private static String atLeast(String limit, String request) {
        if (limit == null || request == null) {
            return limit;
        }
        BigDecimal l = amount(limit);
        BigDecimal r = amount(request);
        return l != null && r != null && l.compareTo(r) < 0 ? request : limit;
    }

    // ---------------------------------------------------------------- cost

    /** See {@link CostSummary}. */
    static CostSummary cost(List<MeshPolicy> sizingPolicies, ClusterSnapshot snapshot) {
        Mesh mesh = new Mesh(snapshot);
        List<Workload> injected = new ArrayList<>();
        for (Workload w : snapshot.workloads()) {
            if (w.kind().longRunning() && mesh.injection(w).injected()) {
                injected.add(w);
            }
        }
        long cpuNow = 0;
        long memoryNow = 0;
        long[] cpu = new long[sizingPolicies.size()];
        long[] memory = new long[sizingPolicies.size()];
        int[] covered = new int[sizingPolicies.size()];
        List<Scope> scopes = new ArrayList<>();
        for (MeshPolicy p : sizingPolicies) {
            scopes.add(new Scope(p, snapshot));
        }
        for (Workload w : injected) {
            long replicas = replicas(w, snapshot);
            Sizing s = effective(w, mesh);
            long c = millis(s.cpu()) * replicas;
            long m = bytes(s.memory()) * replicas;
            cpuNow += c;
            memoryNow += m;
            for (int i = 0; i < sizingPolicies.size(); i++) {
                ProxySizingParameters p = (ProxySizingParameters) sizingPolicies.get(i).spec().parameters();
                if (scopes.get(i).covers(w)) {
                    covered[i]++;
                    cpu[i] += millis(p.requests().cpu()) * replicas;
                    memory[i] += bytes(p.requests().memory()) * replicas;
                } else {
                    cpu[i] += c;
                    memory[i] += m;
                }
            }
        }
        List<CostSummary.PolicyCost> per = new ArrayList<>();
        for (int i = 0; i < sizingPolicies.size(); i++) {
            per.add(new CostSummary.PolicyCost(sizingPolicies.get(i).name(), covered[i], cpu[i], memory[i]));
        }
        return new CostSummary(injected.size(), cpuNow, memoryNow, per);
    }

    private static long replicas(Workload w, ClusterSnapshot snapshot) {
        if (w.replicas() != null) {
            return w.replicas();
        }
        Optional<Hpa> hpa = snapshot.hpaFor(w);
        if (hpa.isPresent()) {
            return hpa.get().desiredReplicas() != null ? hpa.get().desiredReplicas() : hpa.get().minReplicas();
        }
        return 1;
    }

    private static long millis(String cpu) {
        BigDecimal a = cpu == null ? null : amount(cpu);
        return a == null ? 0 : a.multiply(BigDecimal.valueOf(1000)).setScale(0, RoundingMode.CEILING).longValue();
    }

    private static long bytes(String memory) {
        BigDecimal a = memory == null ? null : amount(memory);
        return a == null ? 0 : a.setScale(0, RoundingMode.CEILING).longValue();
    }
}
