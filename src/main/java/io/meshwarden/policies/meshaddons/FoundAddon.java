package io.meshwarden.policies.meshaddons;

import io.meshwarden.model.Addon;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.PodDetails;
import io.meshwarden.model.ServiceInfo;
import io.meshwarden.model.Workload;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One add-on found running: the workload, which add-on it is, its pod details and the Services in front of it. */
record FoundAddon(Addon addon, Workload workload, PodDetails pod, List<ServiceInfo> services) {

    static List<FoundAddon> find(ClusterSnapshot snapshot) {
        List<FoundAddon> out = new ArrayList<>();
        for (Workload w : snapshot.workloads()) {
            if (w.pod() == null || !w.kind().longRunning()) {
                continue;
            }
            Optional<Addon> a = Addon.detect(w.name(), w.labels(), w.podLabels(), w.pod().images());
            if (a.isEmpty()) {
                continue;
            }
            List<ServiceInfo> services = new ArrayList<>();
            for (ServiceInfo s : snapshot.servicesIn(w.namespace())) {
                if (s.selects(w.podLabels())) {
                    services.add(s);
                }
            }
            out.add(new FoundAddon(a.get(), w, w.pod(), List.copyOf(services)));
        }
        return out;
    }

    /** The add-on's own container: the one whose image is the add-on's, else the first. */
    PodDetails.Container main() {
        for (PodDetails.Container c : pod.containers()) {
            if (Addon.detect("", java.util.Map.of(), java.util.Map.of(), c.image() == null ? List.of()
                    : List.of(c.image())).orElse(null) == addon) {
                return c;
            }
        }
        return pod.containers().isEmpty() ? null : pod.containers().get(0);
    }

    String containerPath(PodDetails.Container c) {
        return workload.kind().templatePath() + ".spec.containers[" + c.name() + "]";
    }

    String describe() {
        return addon.title() + " (" + workload.ref() + ")";
    }
}
