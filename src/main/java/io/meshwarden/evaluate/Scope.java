package io.meshwarden.evaluate;

import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.Workload;
import io.meshwarden.policy.Exemption;
import io.meshwarden.policy.MeshPolicy;
import java.util.Map;
import java.util.Optional;

/**
 * Whether a policy looks at an object: its target (namespaces, then the label selector on the object's own
 * labels) and its exemptions (the policy's list, and the {@value #EXEMPT_ANNOTATION} annotation on the object or
 * on its namespace, holding {@code *} or a comma-separated list of policy names).
 */
public final class Scope {
    public static final String EXEMPT_ANNOTATION = "meshwarden.io/exempt";

    private final MeshPolicy policy;
    private final ClusterSnapshot snapshot;

    public Scope(MeshPolicy policy, ClusterSnapshot snapshot) {
        this.policy = policy;
        this.snapshot = snapshot;
    }

    public boolean covers(Workload w) {
        return covers(w.namespace(), w.kind().kindName(), w.name(), w.labels(), w.annotations());
    }

    /** @param labels matched against the policy's selector; annotations are checked for the exemption */
    public boolean covers(String namespace, String kind, String name, Map<String, String> labels,
            Map<String, String> annotations) {
        if (!policy.spec().target().coversNamespace(namespace)) {
            return false;
        }
        if (!policy.spec().target().selector().matches(labels)) {
            return false;
        }
        return !exempt(namespace, kind, name, annotations);
    }

    /** Exemptions only, for objects that hang off a subject already in scope (an HPA or PDB of a Deployment). */
    public boolean exempt(String namespace, String kind, String name, Map<String, String> annotations) {
        for (Exemption e : policy.spec().exemptions()) {
            if (e.matches(namespace, kind, name)) {
                return true;
            }
        }
        if (exemptByAnnotation(annotations, policy.name())) {
            return true;
        }
        Optional<NamespaceInfo> ns = namespace == null ? Optional.empty() : snapshot.namespace(namespace);
        return ns.isPresent() && exemptByAnnotation(ns.get().annotations(), policy.name());
    }

    public static boolean exemptByAnnotation(Map<String, String> annotations, String policyName) {
        String v = annotations == null ? null : annotations.get(EXEMPT_ANNOTATION);
        if (v == null) {
            return false;
        }
        for (String part : v.split(",")) {
            String p = part.trim();
            if (p.equals("*") || p.equals(policyName)) {
                return true;
            }
        }
        return false;
    }
}
