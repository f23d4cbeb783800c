package io.meshwarden.enforce;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.meshwarden.cluster.ApiRetry;
import io.meshwarden.model.ResourceRef;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;

/** Generic access to the objects enforcement touches, shared by applying and reverting. */
final class KubeObjects {
    private static final int MAX_EVENT_MESSAGE = 1024;
    private final KubernetesClient client;

    KubeObjects(KubernetesClient client) {
        this.client = client;
    }

    Resource<GenericKubernetesResource> resource(ResourceRef t) {
        return collection(t).withName(t.name());
    }

    NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> collection(ResourceRef t) {
        MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>>
                op = client.genericKubernetesResources(t.apiVersion(), t.kind());
        return t.namespace() == null ? op : op.inNamespace(t.namespace());
    }

    /**
     * fabric8 looks a generic kind up in the server's discovery documents and, when the group/version does not serve
     * it (no CRD installed), fails before any request for the object with this message.
     */
    static boolean kindNotServed(KubernetesClientException e) {
        return e.getMessage() != null
                && e.getMessage().startsWith("Could not find the metadata for the given apiVersion and kind");
    }

    ObjectNode toJson(GenericKubernetesResource r) {
        return client.getKubernetesSerialization().convertValue(r, ObjectNode.class);
    }

    GenericKubernetesResource fromJson(ObjectNode o) {
        return client.getKubernetesSerialization().convertValue(o, GenericKubernetesResource.class);
    }

    /** JSON merge patch (the test API server and every real one support it), attributed to our field manager. */
    static PatchContext mergePatch() {
        return new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE).withFieldManager(Applier.FIELD_MANAGER)
                .build();
    }

    /**
     * Records a core/v1 Event on the object. Returns null, or why the Event could not be created: a missing Event
     * must not undo or fail the change it describes.
     */
    String recordEvent(ResourceRef t, GenericKubernetesResource after, String reason, String action, String message,
            String key, Clock clock) {
        return recordEvent(t, after, reason, action, message, key, clock, ApiRetry.NONE, () -> true);
    }

    /**
     * The same, retrying transient failures within {@code retry} (this object's client should send each request
     * once) and asking {@code mayWrite} before each attempt. The Event's name is fixed per object version, so an
     * attempt whose answer was lost is never duplicated: the retry meets 409 AlreadyExists, which means recorded.
     */
    String recordEvent(ResourceRef t, GenericKubernetesResource after, String reason, String action, String message,
            String key, Clock clock, ApiRetry retry, BooleanSupplier mayWrite) {
        Event event;
        String namespace = t.namespace() == null ? "default" : t.namespace();
        try {
            String uid = after == null || after.getMetadata() == null ? null : after.getMetadata().getUid();
            String rv = resourceVersion(after);
            String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
            String text = message.length() > MAX_EVENT_MESSAGE ? message.substring(0, MAX_EVENT_MESSAGE - 3) + "..."
                    : message;
            event = new EventBuilder().withNewMetadata().withName(eventName(t, key, uid, rv))
                    .withNamespace(namespace).addToLabels(Applier.MANAGED_BY, Applier.MANAGED_BY_VALUE).endMetadata()
                    .withNewInvolvedObject().withApiVersion(t.apiVersion()).withKind(t.kind())
                    .withNamespace(t.namespace()).withName(t.name()).withUid(uid).withResourceVersion(rv)
                    .endInvolvedObject().withReason(reason).withType("Normal").withMessage(text)
                    .withAction(action).withNewSource().withComponent(Applier.FIELD_MANAGER).endSource()
                    .withReportingComponent(Applier.FIELD_MANAGER)
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build();
        } catch (RuntimeException e) {
            return e.toString();
        }
        for (int attempt = 1; ; attempt++) {
            // Asked right before each send, the first included: the caller's own check comes earlier, and the
            // time between a check and its request's arrival is what a pause can stretch past the lease.
            if (!mayWrite.getAsBoolean()) {
                return attempt == 1 ? "not recorded: this replica lost the leadership right after the write"
                        : "not recorded: this replica lost the leadership before retrying the Event";
            }
            try {
                client.v1().events().inNamespace(namespace).resource(event).create();
                return null;
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                    // This very Event exists: an earlier attempt landed with its answer lost.
                    return null;
                }
                if (!ApiRetry.retryable(e) || attempt >= retry.maxAttempts()) {
                    return e.getCode() + " " + e.getMessage();
                }
                try {
                    retry.pause(e, attempt);
                } catch (ApiRetry.Exhausted interrupted) {
                    return e.getCode() + " " + e.getMessage();
                }
            } catch (RuntimeException e) {
                return e.toString();
            }
        }
    }

    /** Unique per object version, so a retried run does not collide with its own earlier Event. */
    static String eventName(ResourceRef t, String key, String uid, String rv) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] hash = sha.digest((key + "|" + uid + "|" + rv).getBytes(StandardCharsets.UTF_8));
            String base = t.name().length() > 200 ? t.name().substring(0, 200) : t.name();
            return base + "." + HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String resourceVersion(GenericKubernetesResource r) {
        return r == null || r.getMetadata() == null ? null : r.getMetadata().getResourceVersion();
    }
}
