package io.meshwarden.evaluate;

import io.meshwarden.model.Hpa;
import io.meshwarden.model.IstioResource;
import io.meshwarden.model.Pdb;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;

/** ResourceRefs for snapshot records, which keep no apiVersion: the served versions the remedies are written for. */
public final class Refs {
    private Refs() {
    }

    public static ResourceRef of(Workload w) {
        return new ResourceRef(w.kind().group() + "/v1", w.kind().kindName(), w.namespace(), w.name());
    }

    public static ResourceRef of(Hpa h) {
        return new ResourceRef("autoscaling/v2", "HorizontalPodAutoscaler", h.namespace(), h.name());
    }

    public static ResourceRef of(Pdb p) {
        return new ResourceRef("policy/v1", "PodDisruptionBudget", p.namespace(), p.name());
    }

    public static ResourceRef of(IstioResource r) {
        return new ResourceRef(r.apiVersion(), r.kind().kindName(), r.namespace(), r.name());
    }

}
