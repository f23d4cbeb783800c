package io.meshwarden.enforce;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.meshwarden.model.ResourceRef;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the holds recorded on objects and lifts them; see {@link Hold}. */
public final class HoldStore {
    private final KubeObjects objects;

    public HoldStore(KubernetesClient client) {
        this.objects = new KubeObjects(client);
    }

    /** The holds on these objects, by {@link Hold#key}; objects that are gone or carry none are left out. */
    public Map<String, Hold> read(Collection<ResourceRef> targets) {
        Map<String, Hold> out = new LinkedHashMap<>();
        for (ResourceRef t : targets) {
            if (out.containsKey(Hold.key(t)) || ResourceRef.HELM_RELEASE_KIND.equals(t.kind())) {
                continue;
            }
            GenericKubernetesResource live;
            try {
                live = objects.resource(t).get();
            } catch (KubernetesClientException e) {
                if (!KubeObjects.kindNotServed(e)) {
                    throw e;
                }
                // A kind the cluster does not serve (e.g. PrometheusRule without prometheus-operator's CRDs) has
                // no object and so no hold; the change itself fails alone, with the server's answer, if applied.
                continue;
            }
            Hold h = live == null || live.getMetadata() == null ? null
                    : Hold.fromAnnotations(t, live.getMetadata().getAnnotations());
            if (h != null) {
                out.put(Hold.key(t), h);
            }
        }
        return out;
    }

    /**
     * Removes the hold's annotations, with our field manager, only while they still name the hold's run (a later
     * revert's hold stays). Returns what happened: released, gone, or not held by this run.
     */
    public String release(Hold hold) {
        GenericKubernetesResource live = objects.resource(hold.target()).get();
        if (live == null) {
            return "gone";
        }
        Map<String, String> ann = live.getMetadata().getAnnotations();
        if (ann == null || !hold.runId().equals(ann.get(Hold.RUN_ANNOTATION))) {
            return "not held by " + hold.runId();
        }
        Map<String, Object> nulls = new LinkedHashMap<>();
        Hold.ANNOTATIONS.forEach(a -> nulls.put(a, null));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("annotations", nulls);
        meta.put("resourceVersion", KubeObjects.resourceVersion(live));
        try {
            objects.resource(hold.target()).patch(KubeObjects.mergePatch(), json(meta));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return "gone";
            }
            throw e;
        }
        return "released";
    }

    private static String json(Map<String, Object> meta) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("metadata", meta));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
