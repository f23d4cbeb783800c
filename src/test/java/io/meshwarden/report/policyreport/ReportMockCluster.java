package io.meshwarden.report.policyreport;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** The fabric8 CRUD mock in plain JUnit, recording write requests so tests can check what was (not) written. */
final class ReportMockCluster implements AutoCloseable {
    static final ResourceDefinitionContext POLICY_REPORTS = new ResourceDefinitionContext.Builder()
            .withGroup("wgpolicyk8s.io").withVersion("v1alpha2").withKind("PolicyReport")
            .withPlural("policyreports").withNamespaced(true).build();
    static final ResourceDefinitionContext CLUSTER_POLICY_REPORTS = new ResourceDefinitionContext.Builder()
            .withGroup("wgpolicyk8s.io").withVersion("v1alpha2").withKind("ClusterPolicyReport")
            .withPlural("clusterpolicyreports").withNamespaced(false).build();

    private static final Set<String> WRITES = Set.of("POST", "PUT", "PATCH", "DELETE");

    private final List<String> writes = new CopyOnWriteArrayList<>();
    /** "METHOD path" (no query) to the statuses its next requests get, consumed in order. */
    private final Map<String, Deque<Integer>> failures = new ConcurrentHashMap<>();
    final KubernetesMockServer server;
    final KubernetesClient client;

    ReportMockCluster() {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
        Dispatcher recording = new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                if (WRITES.contains(request.getMethod())) {
                    writes.add(request.getMethod() + " "
                            + URLDecoder.decode(request.getPath(), StandardCharsets.UTF_8));
                }
                String path = request.getPath();
                int q = path.indexOf('?');
                String bare = q < 0 ? path : path.substring(0, q);
                Deque<Integer> codes = failures.get(request.getMethod() + " " + bare);
                Integer code = codes == null ? null : codes.poll();
                if (code != null) {
                    return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
                            .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                                    + "\"message\":\"injected\",\"code\":" + code + "}");
                }
                return crud.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), recording, false);
        server.init();
        client = server.createClient(b -> b.editOrNewConfig().withRequestRetryBackoffLimit(0).endConfig());
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /** The next requests of "METHOD path" answer these statuses, one each, before the mock serves it again. */
    void fail(String method, String path, Integer... codes) {
        failures.put(method + " " + path, new ArrayDeque<>(List.of(codes)));
    }

    /** Write requests so far, as "METHOD path", in arrival order. */
    List<String> writes() {
        return new ArrayList<>(writes);
    }

    void clearWrites() {
        writes.clear();
    }

    void wgPolicyCrds() {
        crd("policyreports", "PolicyReport", "Namespaced");
        crd("clusterpolicyreports", "ClusterPolicyReport", "Cluster");
    }

    void crd(String plural, String kind, String scope) {
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + ".wgpolicyk8s.io").endMetadata()
                .withNewSpec().withGroup("wgpolicyk8s.io").withScope(scope)
                .withNewNames().withKind(kind).withPlural(plural).withListKind(kind + "List")
                .withSingular(kind.toLowerCase()).endNames()
                .addNewVersion().withName("v1alpha2").withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
    }

    GenericKubernetesResource policyReport(String namespace, String name) {
        return client.genericKubernetesResources(POLICY_REPORTS).inNamespace(namespace).withName(name).get();
    }

    GenericKubernetesResource clusterPolicyReport(String name) {
        return client.genericKubernetesResources(CLUSTER_POLICY_REPORTS).withName(name).get();
    }

    List<GenericKubernetesResource> allPolicyReports() {
        return client.genericKubernetesResources(POLICY_REPORTS).inAnyNamespace().list().getItems();
    }
}
