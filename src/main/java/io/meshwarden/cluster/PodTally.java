package io.meshwarden.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.meshwarden.cluster.Nodes.StringPool;
import io.meshwarden.model.RunningPods;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts running pods per owning workload while a snapshot is read, so that no pod outlives its page: what the
 * sidecar coverage rules read is a few integers per workload ({@link RunningPods}).
 *
 * <p>The owner is the pod's controller reference: a ReplicaSet whose name is a Deployment's name plus
 * {@code -<pod-template-hash>} (the label the Deployment controller copies to the pods) stands for that Deployment;
 * a StatefulSet, DaemonSet or Job owns its pods directly. Pods of any other owner (a bare ReplicaSet, a
 * ReplicationController, an operator's own kind) or of none are counted for no one.
 */
final class PodTally {
    static final String STATUS_ANNOTATION = "sidecar.istio.io/status";
    /** The injection template also writes the revision as a pod annotation (not a label, which may name a tag). */
    static final String REV_ANNOTATION = "istio.io/rev";
    static final String TEMPLATE_HASH = "pod-template-hash";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One pod, as far as the tally cares; never kept. */
    record Sample(String namespace, String name, WorkloadKind ownerKind, String ownerName, boolean proxy,
            String revision) {
        String identity() {
            return "Pod " + namespace + "/" + name;
        }
    }

    private static final class Count {
        int total;
        int withProxy;
        Map<String, Integer> revisions;
    }

    private final Map<String, Count> counts = new HashMap<>();
    private final StringPool pool;

    PodTally(StringPool pool) {
        this.pool = pool;
    }

    /** The sample of a pod object, or null for a pod that no longer runs (finished, or being deleted). */
    Sample sample(String ns, String name, JsonNode meta, JsonNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        if (phase.equals("Succeeded") || phase.equals("Failed") || meta.hasNonNull("deletionTimestamp")) {
            return null;
        }
        WorkloadKind ownerKind = null;
        String ownerName = null;
        for (JsonNode ref : Nodes.array(meta, "ownerReferences", "metadata.ownerReferences")) {
            if (!ref.path("controller").asBoolean(false)) {
                continue;
            }
            String group = Nodes.group(ref.path("apiVersion").asText(""));
            String kind = ref.path("kind").asText("");
            String owner = ref.path("name").asText("");
            if (group.equals("apps") && kind.equals("ReplicaSet")) {
                String hash = meta.path("labels").path(TEMPLATE_HASH).asText("");
                if (!hash.isEmpty() && owner.endsWith("-" + hash) && owner.length() > hash.length() + 1) {
                    ownerKind = WorkloadKind.DEPLOYMENT;
                    ownerName = owner.substring(0, owner.length() - hash.length() - 1);
                }
            } else {
                WorkloadKind k = WorkloadKind.of(group, kind).orElse(null);
                if (k == WorkloadKind.STATEFUL_SET || k == WorkloadKind.DAEMON_SET || k == WorkloadKind.JOB) {
                    ownerKind = k;
                    ownerName = owner;
                }
            }
            break;
        }
        JsonNode spec = pod.path("spec");
        boolean proxy = false;
        for (JsonNode c : Nodes.array(spec, "containers", "spec.containers")) {
            // image: auto is the injector's placeholder; a pod still carrying it was never injected.
            if (ClusterSnapshotBuilder.ISTIO_PROXY.equals(c.path("name").asText())
                    && !"auto".equals(c.path("image").asText())) {
                proxy = true;
            }
        }
        for (JsonNode c : Nodes.array(spec, "initContainers", "spec.initContainers")) {
            if (ClusterSnapshotBuilder.ISTIO_PROXY.equals(c.path("name").asText())
                    && "Always".equals(c.path("restartPolicy").asText())) {
                proxy = true;
            }
        }
        return new Sample(ns, name, ownerKind, ownerName, proxy,
                proxy ? revision(meta.path("annotations")) : null);
    }

    /**
     * The revision that injected the pod: the injector's status annotation (istio pkg/kube/inject/webhook.go,
     * getInjectionStatus, "default" for the default revision), else the {@code istio.io/rev} annotation of the
     * injection template; null when neither says (manual injection, or a status that does not parse).
     */
    private String revision(JsonNode annotations) {
        String status = annotations.path(STATUS_ANNOTATION).asText("");
        if (!status.isEmpty()) {
            try {
                String rev = JSON.readTree(status).path("revision").asText("");
                if (!rev.isEmpty()) {
                    return pool.string(rev);
                }
            } catch (JsonProcessingException e) {
                // A hand-edited status is no evidence; fall through to the annotation.
            }
        }
        String rev = annotations.path(REV_ANNOTATION).asText("");
        return rev.isEmpty() ? null : pool.string(rev);
    }

    void add(Sample s) {
        if (s.ownerKind() == null) {
            return;
        }
        Count c = counts.computeIfAbsent(key(s.ownerKind(), s.namespace(), s.ownerName()), k -> new Count());
        c.total++;
        if (s.proxy()) {
            c.withProxy++;
            if (s.revision() != null) {
                if (c.revisions == null) {
                    c.revisions = new HashMap<>(2);
                }
                c.revisions.merge(s.revision(), 1, Integer::sum);
            }
        }
    }

    /** The counts of the workloads the snapshot has; pods of any other owner are dropped here. */
    List<RunningPods> build(List<Workload> workloads) {
        Set<String> known = new HashSet<>();
        List<RunningPods> out = new ArrayList<>();
        for (Workload w : workloads) {
            String key = key(w.kind(), w.namespace(), w.name());
            Count c = counts.get(key);
            if (c != null && known.add(key)) {
                out.add(new RunningPods(w.kind(), w.namespace(), w.name(), c.total, c.withProxy, c.revisions));
            }
        }
        return out;
    }

    private static String key(WorkloadKind kind, String ns, String name) {
        return kind.kindName() + " " + ns + "/" + name;
    }
}
