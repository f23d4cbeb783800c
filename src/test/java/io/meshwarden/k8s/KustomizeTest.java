package io.meshwarden.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicyValidationException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Renders the kustomizations under {@code k8s/} with {@code kubectl kustomize}, as a user would before applying
 * them, and checks what reaches the cluster: identities, RBAC (no wildcards, and exactly the verbs the code uses),
 * the Deployment's probes, port and hardening, and the MeshPolicy CRD's schema against the example policies.
 */
class KustomizeTest {
    static final String NS = "meshwarden-system";
    static final String ISTIO_NS = "istio-system";
    static final String SA = "meshwarden";
    static final List<String> ALL = List.of("base", "overlays/audit-only", "overlays/enforce", "overlays/monitoring",
            "overlays/enforce-patch-owners", "overlays/native");
    static final Set<String> WRITE_VERBS = Set.of("create", "update", "patch", "delete", "deletecollection",
            "escalate", "bind", "impersonate");
    static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready", "/q/health/started");

    /**
     * What every deployment may do: LiveSnapshotReader's lists, the single-object gets of Applier, Reverter and
     * RolloutRunner (dry runs included), the Lease of LeaderLease (fabric8 renews it with a merge patch), the
     * MeshPolicy resources, and the reviews of io.meshwarden.auth that check API callers. Anything beyond this table
     * is a privilege the code does not use.
     */
    static final Set<String> READ_PATH = Set.of(
            "cluster core/namespaces get", "cluster core/namespaces list",
            // Kubelet versions for the native-sidecar decision; nodes are only ever listed.
            "cluster core/nodes list",
            "cluster apps/deployments get", "cluster apps/deployments list",
            "cluster apps/statefulsets get", "cluster apps/statefulsets list",
            "cluster apps/daemonsets get", "cluster apps/daemonsets list",
            "cluster autoscaling/horizontalpodautoscalers get", "cluster autoscaling/horizontalpodautoscalers list",
            "cluster policy/poddisruptionbudgets get", "cluster policy/poddisruptionbudgets list",
            "cluster batch/jobs get", "cluster batch/jobs list",
            "cluster batch/cronjobs get", "cluster batch/cronjobs list",
            // Running pods for SidecarCoverage (and the rollout runner's watch of restarted workloads): listed only.
            "cluster core/pods list",
            // Helm release Secrets are only ever listed, by label selector.
            "cluster core/secrets list",
            // Helm release ConfigMaps (HELM_DRIVER=configmap), likewise listed by label selector only.
            "cluster core/configmaps list",
            "cluster networking.istio.io/envoyfilters get", "cluster networking.istio.io/envoyfilters list",
            "cluster networking.istio.io/gateways get", "cluster networking.istio.io/gateways list",
            "cluster networking.istio.io/virtualservices get", "cluster networking.istio.io/virtualservices list",
            "cluster telemetry.istio.io/telemetries get", "cluster telemetry.istio.io/telemetries list",
            "cluster sailoperator.io/istios get", "cluster sailoperator.io/istios list",
            "cluster install.istio.io/istiooperators get", "cluster install.istio.io/istiooperators list",
            // MeshAddons and ControlPlaneMonitoring: Services, operators' monitors and rules, Kiali.
            "cluster core/services get", "cluster core/services list",
            "cluster monitoring.coreos.com/servicemonitors get", "cluster monitoring.coreos.com/servicemonitors list",
            "cluster monitoring.coreos.com/podmonitors get", "cluster monitoring.coreos.com/podmonitors list",
            "cluster monitoring.coreos.com/prometheusrules get", "cluster monitoring.coreos.com/prometheusrules list",
            "cluster kiali.io/kialis get", "cluster kiali.io/kialis list",
            "cluster meshwarden.io/meshpolicies get", "cluster meshwarden.io/meshpolicies list",
            "cluster meshwarden.io/meshpolicies watch", "cluster meshwarden.io/meshpolicies create",
            "cluster meshwarden.io/meshpolicies update", "cluster meshwarden.io/meshpolicies delete",
            "cluster meshwarden.io/meshpolicies/status get", "cluster meshwarden.io/meshpolicies/status update",
            ISTIO_NS + " core/configmaps get", ISTIO_NS + " core/configmaps list",
            NS + " coordination.k8s.io/leases create",
            NS + " coordination.k8s.io/leases get [meshwarden-leader]",
            NS + " coordination.k8s.io/leases patch [meshwarden-leader]",
            NS + " core/events create",
            "cluster authentication.k8s.io/tokenreviews create",
            "cluster authorization.k8s.io/subjectaccessreviews create");

    /**
     * The ClusterRoles for API callers, from io.meshwarden.auth.ApiRoutes: reads are get and list, policy changes
     * create, update and delete, audits and dry runs update, and cluster changes update on meshpolicies/enforce.
     */
    static final Map<String, Set<String>> API_USER_ROLES = Map.of(
            "meshwarden-viewer", Set.of("meshwarden.io/meshpolicies get", "meshwarden.io/meshpolicies list"),
            "meshwarden-editor", Set.of("meshwarden.io/meshpolicies get", "meshwarden.io/meshpolicies list",
                    "meshwarden.io/meshpolicies create", "meshwarden.io/meshpolicies update",
                    "meshwarden.io/meshpolicies delete"),
            "meshwarden-admin", Set.of("meshwarden.io/meshpolicies get", "meshwarden.io/meshpolicies list",
                    "meshwarden.io/meshpolicies create", "meshwarden.io/meshpolicies update",
                    "meshwarden.io/meshpolicies delete", "meshwarden.io/meshpolicies/enforce update"));

    /** What enforcement adds, from the remedies of io.meshwarden.evaluate and the enforce package. */
    static final Set<String> ENFORCE = Set.of(
            "cluster apps/deployments patch", "cluster apps/statefulsets patch", "cluster apps/daemonsets patch",
            "cluster batch/cronjobs patch",
            "cluster autoscaling/horizontalpodautoscalers patch",
            "cluster policy/poddisruptionbudgets create", "cluster policy/poddisruptionbudgets patch",
            "cluster policy/poddisruptionbudgets delete",
            "cluster networking.istio.io/envoyfilters create", "cluster networking.istio.io/envoyfilters patch",
            "cluster networking.istio.io/envoyfilters delete",
            "cluster telemetry.istio.io/telemetries create", "cluster telemetry.istio.io/telemetries patch",
            "cluster telemetry.istio.io/telemetries delete",
            "cluster monitoring.coreos.com/servicemonitors create", "cluster monitoring.coreos.com/servicemonitors patch",
            "cluster monitoring.coreos.com/servicemonitors delete",
            "cluster monitoring.coreos.com/podmonitors create", "cluster monitoring.coreos.com/podmonitors patch",
            "cluster monitoring.coreos.com/podmonitors delete",
            "cluster monitoring.coreos.com/prometheusrules create", "cluster monitoring.coreos.com/prometheusrules patch",
            "cluster monitoring.coreos.com/prometheusrules delete",
            "cluster core/services patch", "cluster kiali.io/kialis patch",
            "cluster core/events create",
            // The onboarding run: its progress annotation on namespaces, and the new proxies' CPU where the
            // metrics API serves pod metrics.
            "cluster core/namespaces patch", "cluster metrics.k8s.io/pods get",
            ISTIO_NS + " core/configmaps patch");

    /** meshwarden.helm.patch-owners=true: spec.values of the operators' resources. */
    static final Set<String> VALUE_OWNERS = Set.of("cluster sailoperator.io/istios patch",
            "cluster install.istio.io/istiooperators patch");

    /**
     * io.meshwarden.report.PolicyReports, after each audit: get, then create or update, the reports named
     * meshwarden; a label-selected list across namespaces to delete its stale ones.
     */
    static final Set<String> POLICY_REPORTS = Set.of(
            "cluster wgpolicyk8s.io/policyreports create", "cluster wgpolicyk8s.io/clusterpolicyreports create",
            "cluster wgpolicyk8s.io/policyreports list",
            "cluster wgpolicyk8s.io/policyreports get [meshwarden]",
            "cluster wgpolicyk8s.io/policyreports update [meshwarden]",
            "cluster wgpolicyk8s.io/policyreports delete [meshwarden]",
            "cluster wgpolicyk8s.io/clusterpolicyreports get [meshwarden]",
            "cluster wgpolicyk8s.io/clusterpolicyreports update [meshwarden]",
            "cluster wgpolicyk8s.io/clusterpolicyreports delete [meshwarden]");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, List<JsonNode>> RENDERED = new HashMap<>();

    // ---------------------------------------------------------------- every rendering

    @Test
    void everyObjectHasApiVersionKindAndName() {
        for (String dir : ALL) {
            List<JsonNode> docs = render(dir);
            assertFalse(docs.isEmpty(), dir + " renders nothing");
            for (JsonNode d : docs) {
                String what = dir + ": " + d.path("kind").asText("?") + "/" + d.at("/metadata/name").asText("?");
                assertTrue(d.path("apiVersion").isTextual() && !d.path("apiVersion").asText().isEmpty(),
                        what + " has no apiVersion");
                assertTrue(d.path("kind").isTextual() && !d.path("kind").asText().isEmpty(), what + " has no kind");
                assertTrue(d.at("/metadata/name").isTextual() && !d.at("/metadata/name").asText().isEmpty(),
                        what + " has no metadata.name");
            }
        }
    }

    @Test
    void noRbacRuleUsesAWildcard() {
        for (String dir : ALL) {
            for (JsonNode role : ofKind(render(dir), "Role", "ClusterRole")) {
                assertFalse(role.has("aggregationRule"), name(role) + " aggregates other roles");
                for (JsonNode rule : role.path("rules")) {
                    for (String field : List.of("apiGroups", "resources", "verbs", "resourceNames",
                            "nonResourceURLs")) {
                        for (JsonNode v : rule.path(field)) {
                            assertFalse(v.asText().contains("*"), dir + ": " + name(role) + " has '" + v.asText()
                                    + "' in " + field);
                        }
                    }
                    assertFalse(rule.has("nonResourceURLs"), dir + ": " + name(role) + " grants non-resource URLs");
                }
            }
        }
    }

    @Test
    void everyBindingPointsAtARoleOfTheSameRendering() {
        for (String dir : ALL) {
            List<JsonNode> docs = render(dir);
            for (JsonNode b : ofKind(docs, "RoleBinding", "ClusterRoleBinding")) {
                assertNotNull(roleOf(docs, b), dir + ": " + name(b) + " refers to a missing "
                        + b.at("/roleRef/kind").asText() + " " + b.at("/roleRef/name").asText());
                for (JsonNode s : b.path("subjects")) {
                    assertEquals("ServiceAccount", s.path("kind").asText(), dir + ": " + name(b));
                    assertEquals(SA, s.path("name").asText(), dir + ": " + name(b));
                    assertEquals(NS, s.path("namespace").asText(), dir + ": " + name(b));
                }
            }
            assertEquals(1, ofKind(docs, "ServiceAccount").size(), dir);
        }
    }

    // ---------------------------------------------------------------- RBAC per overlay

    @Test
    void auditOnlyGrantsNoWritesBeyondEventsAndItsLease() {
        for (String dir : List.of("base", "overlays/audit-only")) {
            List<JsonNode> docs = render(dir);
            for (JsonNode role : ofKind(docs, "Role", "ClusterRole")) {
                assertFalse(name(role).startsWith("meshwarden-enforce"), dir + " defines " + name(role));
                String scope = "ClusterRole".equals(role.path("kind").asText()) ? "cluster"
                        : role.at("/metadata/namespace").asText();
                for (JsonNode rule : role.path("rules")) {
                    for (JsonNode verb : rule.path("verbs")) {
                        String v = verb.asText();
                        if (!WRITE_VERBS.contains(v)) {
                            continue;
                        }
                        for (JsonNode res : rule.path("resources")) {
                            String r = res.asText();
                            boolean event = r.equals("events") && v.equals("create");
                            boolean lease = r.equals("leases") && scope.equals(NS)
                                    && Set.of("create", "patch", "update").contains(v);
                            // The policy store is MeshPolicy resources: writing them is policy management, not
                            // enforcement, and audit-only keeps it.
                            boolean policies = r.equals("meshpolicies")
                                    && Set.of("create", "update", "delete").contains(v);
                            boolean status = r.equals("meshpolicies/status") && v.equals("update");
                            // Reviews are questions to the API server; creating one stores nothing.
                            boolean review = Set.of("tokenreviews", "subjectaccessreviews").contains(r)
                                    && v.equals("create");
                            // Roles for API callers are granted to nobody here; the service account never holds them.
                            boolean apiUsers = API_USER_ROLES.containsKey(name(role));
                            assertTrue(event || lease || policies || status || review || apiUsers, dir + ": "
                                    + name(role) + " grants " + v + " on "
                                    + r + " in " + scope);
                        }
                    }
                }
            }
            for (JsonNode b : ofKind(docs, "RoleBinding", "ClusterRoleBinding")) {
                assertFalse(b.at("/roleRef/name").asText().startsWith("meshwarden-enforce"),
                        dir + ": " + name(b) + " binds " + b.at("/roleRef/name").asText());
            }
            assertSameGrants(READ_PATH, grants(docs), dir);
            assertEquals("false", env(deployment(docs)).get("MESHWARDEN_ENFORCE_ENABLED"), dir);
            // Without the policy-reports component there is no access to write them: do not try.
            assertEquals("false", env(deployment(docs)).get("MESHWARDEN_AUDIT_POLICY_REPORTS"), dir);
        }
    }

    @Test
    void enforceGrantsExactlyWhatTheCodeWrites() {
        Set<String> expected = new TreeSet<>(READ_PATH);
        expected.addAll(ENFORCE);
        expected.addAll(POLICY_REPORTS);
        for (String dir : List.of("overlays/enforce", "overlays/monitoring")) {
            List<JsonNode> docs = render(dir);
            assertSameGrants(expected, grants(docs), dir);
            assertEquals("true", env(deployment(docs)).get("MESHWARDEN_ENFORCE_ENABLED"), dir);
            assertFalse(env(deployment(docs)).containsKey("MESHWARDEN_HELM_PATCH_OWNERS"), dir);
            assertEquals("true", env(deployment(docs)).get("MESHWARDEN_AUDIT_POLICY_REPORTS"), dir);
        }
        // Deletes are for undoing what a run created, for Meshwarden's own stale reports, and for policies deleted
        // through the API (the kubernetes store), nothing else.
        for (String g : expected) {
            if (g.contains(" delete")) {
                assertTrue(Set.of("cluster policy/poddisruptionbudgets delete",
                        "cluster networking.istio.io/envoyfilters delete",
                        "cluster telemetry.istio.io/telemetries delete",
                        "cluster monitoring.coreos.com/servicemonitors delete",
                        "cluster monitoring.coreos.com/podmonitors delete",
                        "cluster monitoring.coreos.com/prometheusrules delete",
                        "cluster wgpolicyk8s.io/policyreports delete [meshwarden]",
                        "cluster wgpolicyk8s.io/clusterpolicyreports delete [meshwarden]",
                        "cluster meshwarden.io/meshpolicies delete").contains(g), g);
            }
        }
    }

    @Test
    void patchOwnersAddsOnlyTheOperatorsResources() {
        Set<String> expected = new TreeSet<>(READ_PATH);
        expected.addAll(ENFORCE);
        expected.addAll(POLICY_REPORTS);
        expected.addAll(VALUE_OWNERS);
        List<JsonNode> docs = render("overlays/enforce-patch-owners");
        assertSameGrants(expected, grants(docs), "overlays/enforce-patch-owners");
        Map<String, String> env = env(deployment(docs));
        assertEquals("true", env.get("MESHWARDEN_HELM_PATCH_OWNERS"));
        assertEquals("true", env.get("MESHWARDEN_ENFORCE_ENABLED"));
    }

    @Test
    void apiUserRolesGrantWhatTheApiChecksAndAreBoundToNobody() {
        for (String dir : ALL) {
            List<JsonNode> docs = render(dir);
            for (Map.Entry<String, Set<String>> expected : API_USER_ROLES.entrySet()) {
                JsonNode role = ofKind(docs, "ClusterRole").stream().filter(r -> name(r).equals(expected.getKey()))
                        .findFirst().orElse(null);
                assertNotNull(role, dir + " has no ClusterRole " + expected.getKey());
                Set<String> granted = new TreeSet<>();
                for (JsonNode rule : role.path("rules")) {
                    assertTrue(texts(rule.path("resourceNames")).isEmpty(), expected.getKey());
                    for (String group : texts(rule.path("apiGroups"))) {
                        for (String resource : texts(rule.path("resources"))) {
                            for (String verb : texts(rule.path("verbs"))) {
                                granted.add(group + "/" + resource + " " + verb);
                            }
                        }
                    }
                }
                assertEquals(new TreeSet<>(expected.getValue()), granted, dir + ": " + expected.getKey());
            }
            for (JsonNode b : ofKind(docs, "RoleBinding", "ClusterRoleBinding")) {
                assertFalse(API_USER_ROLES.containsKey(b.at("/roleRef/name").asText()), dir + ": " + name(b)
                        + " binds a role meant for API callers");
            }
        }
    }

    // ---------------------------------------------------------------- workload

    @Test
    void deploymentProbesPortAndHardening() {
        for (String dir : ALL) {
            List<JsonNode> docs = render(dir);
            JsonNode dep = deployment(docs);
            String what = dir + ": Deployment " + name(dep);
            assertEquals(2, dep.at("/spec/replicas").asInt(), what);
            JsonNode pod = dep.at("/spec/template/spec");
            assertEquals(SA, pod.path("serviceAccountName").asText(), what);
            assertEquals(1, pod.path("containers").size(), what);
            JsonNode c = pod.path("containers").get(0);
            Map<String, Integer> ports = new HashMap<>();
            for (JsonNode p : c.path("ports")) {
                ports.put(p.path("name").asText(), p.path("containerPort").asInt());
            }
            assertEquals(Map.of("http", 8080), ports, what);

            for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
                JsonNode get = c.path(probe).path("httpGet");
                assertTrue(HEALTH_PATHS.contains(get.path("path").asText()), what + " " + probe + " path "
                        + get.path("path"));
                assertEquals(8080, port(get.path("port"), ports), what + " " + probe + " port");
            }
            assertEquals("/q/health/live", c.at("/livenessProbe/httpGet/path").asText(), what);
            assertEquals("/q/health/ready", c.at("/readinessProbe/httpGet/path").asText(), what);

            JsonNode svc = ofKind(docs, "Service").get(0);
            JsonNode sp = svc.at("/spec/ports/0");
            assertEquals("http", sp.path("name").asText(), what);
            assertEquals(8080, sp.path("port").asInt(), what);
            assertEquals(8080, port(sp.path("targetPort"), ports), what + ": Service targetPort");
            assertEquals(dep.at("/spec/template/metadata/labels/app.kubernetes.io~1name"),
                    svc.at("/spec/selector/app.kubernetes.io~1name"), what + ": Service selector");

            JsonNode psc = pod.path("securityContext");
            JsonNode csc = c.path("securityContext");
            assertTrue(psc.path("runAsNonRoot").asBoolean() || csc.path("runAsNonRoot").asBoolean(), what);
            assertEquals(1001, csc.path("runAsUser").asInt(psc.path("runAsUser").asInt()), what);
            assertTrue(csc.path("readOnlyRootFilesystem").asBoolean(), what);
            assertTrue(csc.has("allowPrivilegeEscalation") && !csc.path("allowPrivilegeEscalation").asBoolean(),
                    what);
            assertEquals(List.of("ALL"), texts(csc.at("/capabilities/drop")), what);
            assertFalse(csc.at("/capabilities").has("add"), what);
            assertEquals("RuntimeDefault", csc.at("/seccompProfile/type").asText(psc.at("/seccompProfile/type")
                    .asText()), what);

            Map<String, String> mounts = new HashMap<>();
            for (JsonNode m : c.path("volumeMounts")) {
                mounts.put(m.path("mountPath").asText(), m.path("name").asText());
            }
            Map<String, JsonNode> volumes = new HashMap<>();
            for (JsonNode v : pod.path("volumes")) {
                volumes.put(v.path("name").asText(), v);
            }
            assertTrue(volumes.get(mounts.get("/tmp")).has("emptyDir"), what + ": /tmp must be an emptyDir");
            Map<String, String> env = env(dep);
            assertEquals("/etc/meshwarden/policies", env.get("MESHWARDEN_GITOPS_DIR"), what);
            assertEquals("kubernetes", env.get("MESHWARDEN_STORE_TYPE"), what);
            JsonNode gitops = volumes.get(mounts.get("/etc/meshwarden/policies"));
            assertEquals("meshwarden-gitops-policies", gitops.at("/configMap/name").asText(), what);
            assertEquals(1, ofKind(docs, "ConfigMap").stream()
                    .filter(cm -> name(cm).equals("meshwarden-gitops-policies")).count(), what);
            assertEquals("100m", c.at("/resources/requests/cpu").asText(), what);
            // The native overlay has no JVM options and its own measured sizing (checked by its own test).
            if (!dir.equals("overlays/native")) {
                assertTrue(env.get("JAVA_OPTS_APPEND").contains("-Xmx64m"), what);
                assertEquals("192Mi", c.at("/resources/requests/memory").asText(), what);
                assertEquals("256Mi", c.at("/resources/limits/memory").asText(), what);
            }

            JsonNode pdb = ofKind(docs, "PodDisruptionBudget").get(0);
            assertEquals(1, pdb.at("/spec/maxUnavailable").asInt(), what);
            assertFalse(pdb.at("/spec").has("minAvailable"), what);
        }
    }

    @Test
    void monitoringScrapesTheMetricsEndpoint() {
        List<JsonNode> docs = render("overlays/monitoring");
        List<JsonNode> monitors = ofKind(docs, "ServiceMonitor");
        assertEquals(1, monitors.size());
        JsonNode sm = monitors.get(0);
        assertEquals("monitoring.coreos.com/v1", sm.path("apiVersion").asText());
        JsonNode svc = ofKind(docs, "Service").get(0);
        // A ServiceMonitor selects Services by their own labels, not by their pod selector.
        for (Map.Entry<String, JsonNode> l : iterable(sm.at("/spec/selector/matchLabels").fields())) {
            assertEquals(l.getValue().asText(), svc.at("/metadata/labels").path(l.getKey()).asText(),
                    "Service label " + l.getKey());
        }
        assertEquals(List.of(NS), texts(sm.at("/spec/namespaceSelector/matchNames")));
        assertEquals("/q/metrics", sm.at("/spec/endpoints/0/path").asText());
        assertEquals(svc.at("/spec/ports/0/name").asText(), sm.at("/spec/endpoints/0/port").asText());
        for (String dir : List.of("base", "overlays/audit-only", "overlays/enforce")) {
            assertTrue(ofKind(render(dir), "ServiceMonitor").isEmpty(), dir + " needs no Prometheus Operator");
        }
    }

    @Test
    void nativeOverlayRunsTheExecutableWithoutJvmOptionsAndWithItsMeasuredResources() {
        JsonNode container = ofKind(render("overlays/native"), "Deployment").get(0)
                .at("/spec/template/spec/containers/0");
        assertEquals("meshwarden:native", container.path("image").asText());
        List<String> env = new java.util.ArrayList<>();
        container.path("env").forEach(e -> env.add(e.path("name").asText()));
        assertTrue(!env.contains("JAVA_OPTS_APPEND") && env.contains("MESHWARDEN_STORE_TYPE"), env.toString());
        List<String> args = texts(container.path("args"));
        assertTrue(args.stream().anyMatch(a -> a.startsWith("-Xmx")), "a heap bound: " + args);
        assertTrue(container.at("/resources/limits/memory").isTextual()
                && container.at("/resources/requests/memory").isTextual(), container.path("resources").toString());
    }

    // ---------------------------------------------------------------- CRD

    @Test
    void crdShapeAndPrinterColumns() {
        JsonNode crd = crd();
        assertEquals("apiextensions.k8s.io/v1", crd.path("apiVersion").asText());
        assertEquals("meshpolicies.meshwarden.io", name(crd));
        assertEquals("meshwarden.io", crd.at("/spec/group").asText());
        assertEquals("Cluster", crd.at("/spec/scope").asText());
        assertEquals("MeshPolicy", crd.at("/spec/names/kind").asText());
        JsonNode version = crd.at("/spec/versions/0");
        assertEquals(1, crd.at("/spec/versions").size());
        assertEquals("v1alpha1", version.path("name").asText());
        assertTrue(version.path("served").asBoolean() && version.path("storage").asBoolean());
        assertTrue(version.at("/subresources/status").isObject());
        Map<String, String> columns = new HashMap<>();
        for (JsonNode col : version.path("additionalPrinterColumns")) {
            columns.put(col.path("name").asText(), col.path("jsonPath").asText());
        }
        assertEquals(Map.of("Type", ".spec.type", "Mode", ".spec.mode", "Valid",
                ".status.conditions[?(@.type==\"Valid\")].status", "Findings", ".status.findings",
                "Age", ".metadata.creationTimestamp"), columns);
        JsonNode schema = schema();
        for (String path : List.of("/properties/spec/properties/type", "/properties/spec/properties/mode",
                "/properties/status/properties/findings")) {
            assertTrue(schema.at(path).isObject(), "printer column without a schema field: " + path);
        }
        assertEquals(List.of(), SchemaWalker.structuralProblems(schema));
        assertFalse(crd.toString().contains("x-kubernetes-preserve-unknown-fields"),
                "unknown fields must be rejected, as PolicyCodec does");
    }

    @Test
    void examplePoliciesPassTheCrdSchemaAndPolicyCodec() throws IOException {
        List<JsonNode> policies = new ArrayList<>();
        try (Stream<Path> files = Files.list(Path.of("examples/policies"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().collect(Collectors.toList())) {
                List<JsonNode> docs = parse(Files.readString(f));
                // One policy per file, so that each can be sent as it is to POST /api/v1/policies.
                assertEquals(1, docs.size(), f + " must hold exactly one policy");
                assertEquals(name(docs.get(0)) + ".yaml", f.getFileName().toString(), "named after its policy");
                policies.addAll(docs);
            }
        }
        for (JsonNode cm : ofKind(render("base"), "ConfigMap")) {
            for (JsonNode file : cm.path("data")) {
                policies.addAll(parse(file.asText()));
            }
        }
        assertTrue(policies.size() >= 12, "expected the ten example policies and the two of the ConfigMap, got "
                + policies.size());
        Set<String> types = new TreeSet<>();
        for (JsonNode p : policies) {
            assertEquals(List.of(), SchemaWalker.validate(schema(), p), name(p));
            PolicyTypes.CODEC.read(p);
            types.add(p.at("/spec/type").asText());
        }
        assertEquals(new TreeSet<>(texts(schema().at("/properties/spec/properties/type/enum"))), types,
                "every type is exercised by an example");
    }

    @Test
    void invalidPoliciesAreRejectedByTheSchemaAsByPolicyCodec() {
        Map<String, String> cases = new HashMap<>();
        cases.put("bad mode", "spec: {type: TraceSampling, mode: sometimes}");
        cases.put("maxPercent 500", "spec: {type: TraceSampling, parameters: {maxPercent: 500}}");
        cases.put("unknown spec field", "spec: {type: TraceSampling, schedule: daily}");
        cases.put("unknown parameter", "spec: {type: TraceSampling, parameters: {maxPercents: 5}}");
        cases.put("missing type", "spec: {mode: audit}");
        cases.put("bad type", "spec: {type: HaMaximum}");
        cases.put("bad severity", "spec: {type: HaMinimum, severity: critical}");
        cases.put("minReplicas 0", "spec: {type: HaMinimum, parameters: {minReplicas: 0}}");
        cases.put("minReplicas not an integer", "spec: {type: HaMinimum, parameters: {minReplicas: 2.5}}");
        cases.put("string for boolean", "spec: {type: HaMinimum, parameters: {requirePodDisruptionBudget: 'yes'}}");
        cases.put("workload kind", "spec: {type: InjectionExclusion, parameters: {workloadKinds: [Deployment]}}");
        cases.put("no workload kinds", "spec: {type: InjectionExclusion, parameters: {workloadKinds: []}}");
        cases.put("empty gateway selector", "spec: {type: HeaderRemoval, parameters: {gatewaySelector: {}}}");
        cases.put("bad header", "spec: {type: HeaderRemoval, parameters: {headers: ['x envoy']}}");
        cases.put("requests without memory", "spec: {type: ProxySizing, parameters: {requests: {cpu: 50m}}}");
        cases.put("negative quantity",
                "spec: {type: ProxySizing, parameters: {requests: {cpu: '-1', memory: 96Mi}}}");
        cases.put("bad quantity", "spec: {type: ProxySizing, parameters: {requests: {cpu: lots, memory: 96Mi}}}");
        cases.put("tolerance 101",
                "spec: {type: ProxySizing, parameters: {requests: {cpu: 50m, memory: 96Mi}, tolerance: 101}}");
        cases.put("bad namespace", "spec: {type: TraceSampling, target: {namespaces: {include: [Istio_System]}}}");
        cases.put("bad operator",
                "spec: {type: TraceSampling, target: {selector: {matchExpressions: [{key: app, operator: Is}]}}}");
        cases.put("empty exemption", "spec: {type: TraceSampling, exemptions: [{}]}");
        cases.put("exemption kind", "spec: {type: TraceSampling, exemptions: [{kind: deployment}]}");
        cases.put("unknown top-level field", "spec: {type: TraceSampling}\nowner: me");
        cases.put("no spec", "metadata: {name: x}");
        List<String> accepted = new ArrayList<>();
        for (Map.Entry<String, String> c : new java.util.TreeMap<>(cases).entrySet()) {
            String text = "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\n"
                    + (c.getValue().startsWith("metadata") ? "" : "metadata: {name: p}\n") + c.getValue();
            JsonNode doc = parse(text).get(0);
            if (SchemaWalker.validate(schema(), doc).isEmpty()) {
                accepted.add(c.getKey() + ": " + doc);
            }
            try {
                PolicyTypes.CODEC.read(doc);
                fail(c.getKey() + ": PolicyCodec accepts " + doc + "; the case does not belong here");
            } catch (PolicyValidationException expected) {
                // The codec rejects it, so the schema must as well.
            }
        }
        assertEquals(List.of(), accepted, "invalid policies the CRD schema accepts");
    }

    @Test
    void walkerRejectsExactlyTheBadField() {
        JsonNode doc = parse("apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: p}\n"
                + "spec: {type: TraceSampling, mode: sometimes, parameters: {maxPercent: 500}, extra: 1}").get(0);
        assertEquals(Set.of("/spec/mode", "/spec/parameters/maxPercent", "/spec/extra"),
                SchemaWalker.validate(schema(), doc).stream().map(e -> e.substring(0, e.indexOf(':')))
                        .collect(Collectors.toSet()));
    }

    // ---------------------------------------------------------------- rendering

    static synchronized List<JsonNode> render(String dir) {
        return RENDERED.computeIfAbsent(dir, KustomizeTest::kustomize);
    }

    private static List<JsonNode> kustomize(String dir) {
        String kubectl = kubectl();
        Path err;
        try {
            err = Files.createTempFile("kustomize", ".err");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try {
            Process p = new ProcessBuilder(kubectl, "kustomize", "k8s/" + dir).redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kubectl kustomize k8s/" + dir + " did not finish in 120s");
            }
            if (p.exitValue() != 0) {
                fail("kubectl kustomize k8s/" + dir + " exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return parse(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + kubectl + " kustomize k8s/" + dir + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            err.toFile().delete();
        }
    }

    /** kubectl from -Dmeshwarden.kubectl, the PATH or /usr/bin; missing kubectl fails the test, never skips it. */
    private static String kubectl() {
        String configured = System.getProperty("meshwarden.kubectl");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + File.pathSeparator + "/usr/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Path.of(dir, "kubectl").toString();
            }
        }
        fail("kubectl not found on the PATH or in /usr/bin: KustomizeTest renders k8s/ with `kubectl kustomize` "
                + "(kustomize v5). Install kubectl or pass -Dmeshwarden.kubectl=/path/to/kubectl.");
        return null;
    }

    static List<JsonNode> parse(String text) {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(text)) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && !d.isNull() && !d.isMissingNode()) {
                    docs.add(d);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("unparseable YAML: " + e.getMessage(), e);
        }
        return docs;
    }

    // ---------------------------------------------------------------- RBAC model

    /**
     * Every permission the service account holds through the bindings of one rendering, one string per
     * scope, resource and verb: "cluster apps/deployments patch", "istio-system core/configmaps get",
     * "meshwarden-system coordination.k8s.io/leases get [meshwarden-leader]".
     */
    static Set<String> grants(List<JsonNode> docs) {
        Set<String> out = new TreeSet<>();
        for (JsonNode b : ofKind(docs, "RoleBinding", "ClusterRoleBinding")) {
            boolean ours = false;
            for (JsonNode s : b.path("subjects")) {
                ours |= "ServiceAccount".equals(s.path("kind").asText()) && SA.equals(s.path("name").asText())
                        && NS.equals(s.path("namespace").asText());
            }
            JsonNode role = roleOf(docs, b);
            if (!ours || role == null) {
                continue;
            }
            String scope = "ClusterRoleBinding".equals(b.path("kind").asText()) ? "cluster"
                    : b.at("/metadata/namespace").asText();
            for (JsonNode rule : role.path("rules")) {
                List<String> names = texts(rule.path("resourceNames"));
                String suffix = names.isEmpty() ? "" : " " + names.toString().replace(", ", ",");
                for (String group : texts(rule.path("apiGroups"))) {
                    for (String resource : texts(rule.path("resources"))) {
                        for (String verb : texts(rule.path("verbs"))) {
                            out.add(scope + " " + (group.isEmpty() ? "core" : group) + "/" + resource + " " + verb
                                    + suffix);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Names what is missing and what is extra rather than printing two sets of sixty entries. */
    private static void assertSameGrants(Set<String> expected, Set<String> actual, String dir) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<String> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        assertTrue(missing.isEmpty() && extra.isEmpty(), dir + ": RBAC differs from what the code needs; missing "
                + missing + ", not needed " + extra);
    }

    private static JsonNode roleOf(List<JsonNode> docs, JsonNode binding) {
        String kind = binding.at("/roleRef/kind").asText();
        String roleName = binding.at("/roleRef/name").asText();
        for (JsonNode r : ofKind(docs, kind)) {
            boolean sameNamespace = "ClusterRole".equals(kind)
                    || r.at("/metadata/namespace").asText().equals(binding.at("/metadata/namespace").asText());
            if (name(r).equals(roleName) && sameNamespace) {
                return r;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode crd() {
        List<JsonNode> crds = ofKind(render("base"), "CustomResourceDefinition");
        assertEquals(1, crds.size());
        return crds.get(0);
    }

    private static JsonNode schema() {
        return crd().at("/spec/versions/0/schema/openAPIV3Schema");
    }

    static List<JsonNode> ofKind(List<JsonNode> docs, String... kinds) {
        Set<String> wanted = Set.of(kinds);
        return docs.stream().filter(d -> wanted.contains(d.path("kind").asText())).collect(Collectors.toList());
    }

    private static JsonNode deployment(List<JsonNode> docs) {
        List<JsonNode> deps = ofKind(docs, "Deployment");
        assertEquals(1, deps.size());
        return deps.get(0);
    }

    private static Map<String, String> env(JsonNode deployment) {
        Map<String, String> env = new HashMap<>();
        for (JsonNode e : deployment.at("/spec/template/spec/containers/0/env")) {
            assertFalse(env.containsKey(e.path("name").asText()), "duplicate env " + e.path("name"));
            env.put(e.path("name").asText(), e.path("value").asText());
        }
        return env;
    }

    /** A probe or Service port, by number or by the container port's name. */
    private static int port(JsonNode port, Map<String, Integer> containerPorts) {
        if (port.isInt()) {
            assertTrue(containerPorts.containsValue(port.intValue()), "no container port " + port);
            return port.intValue();
        }
        Integer p = containerPorts.get(port.asText());
        assertNotNull(p, "no container port named " + port);
        return p;
    }

    private static String name(JsonNode d) {
        return d.at("/metadata/name").asText();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        return () -> it;
    }
}
