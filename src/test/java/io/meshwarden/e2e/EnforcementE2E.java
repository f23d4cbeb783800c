package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meshwarden.cluster.LiveSnapshotReader;
import io.meshwarden.enforce.Applier;
import io.meshwarden.enforce.ApplyResult.Outcome;
import io.meshwarden.enforce.ApplyResult;
import io.meshwarden.enforce.Change;
import io.meshwarden.enforce.Plan;
import io.meshwarden.enforce.Planner;
import io.meshwarden.enforce.Reverter;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.MeshPolicy;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Applier and Reverter against a real API server: JSON merge patches with a resourceVersion precondition,
 * server-defaulted fields, managedFields, Events, and a merge patch's null that really deletes the key.
 */
class EnforcementE2E {
    static final String FILTER = "meshwarden-strip-headers";

    KubernetesClient client;
    String ns;
    String gatewayNs;
    /** Never created: no mesh config, so debug headers count as on and HeaderRemoval needs its EnvoyFilter. */
    String istioNs;
    List<MeshPolicy> policies;

    @BeforeEach
    void setUp() {
        client = ControlPlane.client();
        ControlPlane.installIstioCrds(client);
        String suffix = ControlPlane.suffix();
        ns = ControlPlane.namespace(client, "e2e-enf-" + suffix, Map.of("istio-injection", "enabled"));
        gatewayNs = ControlPlane.namespace(client, "e2e-enf-gw-" + suffix, Map.of("istio-injection", "enabled"));
        istioNs = "e2e-enf-istio-" + suffix;
        client.resource(E2EObjects.deployment(ns, "web", 1, Map.of())).create();
        client.resource(cronJob(ns, "report")).create();
        client.resource(E2EObjects.deployment(gatewayNs, "ingress", 1, Map.of("istio", "ingressgateway"))).create();
        policies = List.of(
                E2EObjects.policy("e2e-sizing", "ProxySizing", "enforce", List.of(ns),
                        E2EObjects.proxySizingParameters()),
                // Native sidecars would make the rule skip Jobs; "enforce" keeps it independent of the Istio version.
                E2EObjects.policy("e2e-jobs", "InjectionExclusion", "enforce", List.of(ns),
                        "{whenNativeSidecars: enforce}"),
                E2EObjects.policy("e2e-headers", "HeaderRemoval", "enforce", List.of(gatewayNs), "{}"));
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            ControlPlane.deleteNamespaces(client, ns, gatewayNs);
            client.close();
        }
    }

    @Test
    void enforcementLandsAttributedToMeshwardenAndASecondRunWritesNothing() {
        Plan plan = plan(policies);
        List<String> ids = plan.changes().stream().map(Change::id).collect(Collectors.toList());
        assertTrue(ids.containsAll(List.of("CronJob/" + ns + "/report#1", "EnvoyFilter/" + gatewayNs + "/" + FILTER
                + "#1", "Deployment/" + ns + "/web#1")), ids::toString);

        ApplyResult result = new Applier(client, Clock.systemUTC()).apply(plan, false);

        assertEquals(List.of(), result.failed(), () -> result.outcomes().toString());
        assertEquals(plan.changes().size(), result.applied().size(), () -> result.outcomes().toString());

        GenericKubernetesResource web = get("apps/v1", "Deployment", ns, "web");
        Map<String, Object> annotations = podAnnotations(web);
        assertEquals("100m", annotations.get("sidecar.istio.io/proxyCPU"));
        assertEquals("128Mi", annotations.get("sidecar.istio.io/proxyMemory"));
        assertEquals("1000m", annotations.get("sidecar.istio.io/proxyCPULimit"));
        assertEquals("512Mi", annotations.get("sidecar.istio.io/proxyMemoryLimit"));
        assertEquals("e2e-sizing", web.getMetadata().getAnnotations().get(Applier.APPLIED_BY));
        assertManagedByMeshwarden(web, "f:sidecar.istio.io/proxyCPU");

        GenericKubernetesResource report = get("batch/v1", "CronJob", ns, "report");
        assertEquals("false", report.get("spec", "jobTemplate", "spec", "template", "metadata", "labels",
                "sidecar.istio.io/inject"));
        assertEquals("report", report.get("spec", "jobTemplate", "spec", "template", "metadata", "labels", "job"),
                "the merge patch keeps the other labels");
        assertManagedByMeshwarden(report, "f:sidecar.istio.io/inject");

        GenericKubernetesResource filter = get("networking.istio.io/v1alpha3", "EnvoyFilter", gatewayNs, FILTER);
        assertNotNull(filter, "created");
        assertEquals(Applier.MANAGED_BY_VALUE, filter.getMetadata().getLabels().get(Applier.MANAGED_BY));
        assertEquals("e2e-headers", filter.getMetadata().getAnnotations().get(Applier.APPLIED_BY));
        // NOTE, known gap: fabric8 sends no fieldManager on a create (only on patches and server-side apply), so
        // the API server names the user agent ("fabric8-kubernetes-client") as the manager of what Meshwarden
        // created. The label, the annotation and the Event above still attribute it; asserting the manager here
        // waits for Applier to create with ?fieldManager=meshwarden (or a client whose user agent is meshwarden).

        assertEvent(ns, "web", Applier.EVENT_REASON);
        assertEvent(ns, "report", Applier.EVENT_REASON);
        assertEvent(gatewayNs, FILTER, Applier.EVENT_REASON);

        // The server added defaults (strategy, terminationMessagePath, ...) around our fields: still compliant.
        Plan again = plan(policies);
        assertEquals(List.of(), again.changes(), "the enforced cluster needs no further change");
    }

    @Test
    void revertDeletesTheKeysTheRunAddedAndTheObjectsItCreated() {
        List<MeshPolicy> noRollout = List.of(policies.get(1), policies.get(2));
        ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(plan(noRollout), false);
        assertEquals(2, applied.applied().size(), () -> applied.outcomes().toString());
        Outcome cron = applied.of("CronJob/" + ns + "/report#1");
        assertTrue(cron.revertPatch().toString().contains("\"sidecar.istio.io/inject\":null"),
                () -> cron.revertPatch().toString());

        List<Reverter.Step> steps = new Reverter(client, Clock.systemUTC()).revert(applied);

        assertTrue(steps.stream().allMatch(s -> "reverted".equals(s.result())), steps::toString);
        GenericKubernetesResource report = get("batch/v1", "CronJob", ns, "report");
        @SuppressWarnings("unchecked")
        Map<String, Object> labels = (Map<String, Object>) report.get("spec", "jobTemplate", "spec", "template",
                "metadata", "labels");
        assertFalse(labels.containsKey("sidecar.istio.io/inject"), () -> "null in a merge patch deletes: " + labels);
        assertEquals("report", labels.get("job"));
        assertFalse(report.getMetadata().getAnnotations() != null
                && report.getMetadata().getAnnotations().containsKey(Applier.APPLIED_BY), "annotation removed too");
        assertNull(get("networking.istio.io/v1alpha3", "EnvoyFilter", gatewayNs, FILTER), "created, so deleted");
        assertEvent(ns, "report", Reverter.EVENT_REASON);
    }

    /**
     * On a real cluster the deployment controller writes a patched Deployment's status right away (new
     * observedGeneration, replica counts), so its resourceVersion always moves after a run. Reverter compares the
     * fields the run wrote, not the version, so such a run is still revertible; someone changing a field the run
     * wrote still blocks it.
     */
    @Test
    void aPatchedDeploymentIsRevertedAfterItsControllerWroteItsStatus() {
        Object before = proxyCpu(get("apps/v1", "Deployment", ns, "web"));
        ApplyResult applied = new Applier(client, Clock.systemUTC()).apply(plan(List.of(policies.get(0))), false);
        Outcome web = applied.of("Deployment/" + ns + "/web#1");
        assertEquals(ApplyResult.Status.APPLIED, web.status(), web::toString);
        ControlPlane.await("the deployment controller to observe the patch", () -> {
            GenericKubernetesResource d = get("apps/v1", "Deployment", ns, "web");
            return !d.getMetadata().getResourceVersion().equals(web.resourceVersion());
        });
        Object written = proxyCpu(get("apps/v1", "Deployment", ns, "web"));
        assertNotEquals(before, written, "the run changed it");

        List<Reverter.Step> steps = new Reverter(client, Clock.systemUTC()).revert(applied);

        assertTrue(steps.stream().anyMatch(st -> st.target().equals(web.change().target().toString())
                && st.result().equals("reverted")), steps::toString);
        assertEquals(before, proxyCpu(get("apps/v1", "Deployment", ns, "web")),
                "the prior value is back");
    }

    @Test
    void aDryRunWritesNothing() {
        Plan plan = plan(policies);
        String before = get("apps/v1", "Deployment", ns, "web").getMetadata().getResourceVersion();

        ApplyResult result = new Applier(client, Clock.systemUTC()).apply(plan, true);

        assertEquals(plan.changes().size(), result.withStatus(ApplyResult.Status.WOULD_APPLY).size(),
                () -> result.outcomes().toString());
        assertEquals(before, get("apps/v1", "Deployment", ns, "web").getMetadata().getResourceVersion());
        assertNull(get("networking.istio.io/v1alpha3", "EnvoyFilter", gatewayNs, FILTER));
        assertTrue(events(ns).stream().noneMatch(e -> Applier.EVENT_REASON.equals(e.getReason())));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    Plan plan(List<MeshPolicy> policies) {
        ClusterSnapshot snapshot = new LiveSnapshotReader(client, 500, istioNs).read();
        return Planner.plan(policies, PolicyTypes.EVALUATOR.evaluate(policies, snapshot), snapshot);
    }

    GenericKubernetesResource get(String apiVersion, String kind, String namespace, String name) {
        return client.genericKubernetesResources(apiVersion, kind).inNamespace(namespace).withName(name).get();
    }

    @SuppressWarnings("unchecked")
    static Object proxyCpu(GenericKubernetesResource workload) {
        Map<String, Object> annotations = podAnnotations(workload);
        return annotations == null ? null : annotations.get("sidecar.istio.io/proxyCPU");
    }

    static Map<String, Object> podAnnotations(GenericKubernetesResource workload) {
        return (Map<String, Object>) workload.get("spec", "template", "metadata", "annotations");
    }

    /** Merge patches are recorded as an Update by the field manager the request named. */
    static void assertManagedByMeshwarden(GenericKubernetesResource r, String field) {
        List<ManagedFieldsEntry> entries = r.getMetadata().getManagedFields();
        List<String> managers = entries.stream().map(e -> e.getManager() + "/" + e.getOperation())
                .collect(Collectors.toList());
        assertTrue(entries.stream().anyMatch(e -> Applier.FIELD_MANAGER.equals(e.getManager())
                && e.getFieldsV1() != null && String.valueOf(e.getFieldsV1().getAdditionalProperties()).contains(
                        field)), () -> r.getKind() + " " + r.getMetadata().getName() + ": no managedFields entry of "
                                + Applier.FIELD_MANAGER + " owning " + field + "; managers: " + managers);
    }

    List<Event> events(String namespace) {
        return client.v1().events().inNamespace(namespace).list().getItems();
    }

    void assertEvent(String namespace, String name, String reason) {
        List<Event> events = events(namespace);
        assertTrue(events.stream().anyMatch(e -> reason.equals(e.getReason())
                && name.equals(e.getInvolvedObject().getName()) && e.getInvolvedObject().getUid() != null
                && Applier.FIELD_MANAGER.equals(e.getReportingComponent())), () -> "no " + reason + " Event for "
                        + name + " in " + events.stream().map(e -> e.getReason() + "/" + e.getInvolvedObject()
                                .getName()).collect(Collectors.toList()));
    }

    static CronJob cronJob(String ns, String name) {
        // A schedule that does not fire during the test: no Job, no status write to race the revert.
        return new CronJobBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withSchedule("0 0 1 1 *").withNewJobTemplate().withNewSpec().withNewTemplate()
                .withNewMetadata().addToLabels("job", name).endMetadata()
                .withNewSpec().withRestartPolicy("Never").addNewContainer().withName(name).withImage(E2EObjects.IMAGE)
                .endContainer().endSpec().endTemplate().endSpec().endJobTemplate().endSpec().build();
    }
}
