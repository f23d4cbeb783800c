package io.meshwarden.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.cluster.ClusterSnapshotBuilder;
import io.meshwarden.cluster.HelmEncoding;
import io.meshwarden.model.ClusterSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic clusters for benchmarks: N workloads spread over M namespaces, with the istiod and gateway Helm
 * releases (encoded as Helm stores them), HPAs, PDBs, Telemetry and a mesh config. Deterministic for a given seed.
 *
 * <p>Mix: 80% Deployments (a third with an HPA, a fifth with a PDB, a quarter with proxy annotations),
 * 10% StatefulSets, 5% Jobs, 5% CronJobs; one namespace in ten opts out of injection.
 */
public final class SnapshotGenerator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SnapshotGenerator() {
    }

    /**
     * {@code SnapshotGenerator DIR WORKLOADS}: the manifest folder that bench/cli-peers.sh hands to every tool, with
     * the namespace count and seed of the mock API server's cluster (MockApiServerMain), so the numbers compare.
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: SnapshotGenerator DIR WORKLOADS");
            System.exit(2);
        }
        int workloads = Integer.parseInt(args[1]);
        writeDirectory(Path.of(args[0]), workloads, Math.max(1, workloads / 50), 42);
    }

    public static ClusterSnapshot snapshot(int workloads, int namespaces, long seed) {
        ClusterSnapshotBuilder builder = new ClusterSnapshotBuilder();
        for (JsonNode o : objects(workloads, namespaces, seed)) {
            builder.add(o, null);
        }
        return builder.build();
    }

    /** Writes one multi-document YAML file per namespace, as `kubectl get -o yaml` dumps would be split. */
    public static void writeDirectory(Path dir, int workloads, int namespaces, long seed) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper yaml = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
        java.util.Map<String, List<JsonNode>> byNamespace = new java.util.TreeMap<>();
        for (JsonNode o : objects(workloads, namespaces, seed)) {
            String ns = o.path("metadata").path("namespace").asText("_cluster");
            byNamespace.computeIfAbsent(ns, k -> new ArrayList<>()).add(o);
        }
        for (var e : byNamespace.entrySet()) {
            try (OutputStream out = Files.newOutputStream(dir.resolve(e.getKey() + ".yaml"))) {
                for (JsonNode o : e.getValue()) {
                    out.write(yaml.writeValueAsBytes(o));
                }
            }
        }
    }

    public static List<JsonNode> objects(int workloads, int namespaces, long seed) {
        Random r = new Random(seed);
        List<JsonNode> out = new ArrayList<>(workloads * 2 + namespaces + 16);
        out.add(namespace("istio-system", null));
        out.add(namespace("istio-ingress", "enabled"));
        for (int n = 0; n < namespaces; n++) {
            out.add(namespace(ns(n), n % 10 == 9 ? "disabled" : "enabled"));
        }
        controlPlane(out);
        for (int i = 0; i < workloads; i++) {
            String ns = ns(i % namespaces);
            int pick = r.nextInt(100);
            String name = "svc-" + i;
            if (pick < 80) {
                out.add(workload("apps/v1", "Deployment", ns, name, 1 + r.nextInt(6), r.nextInt(4) == 0, r));
                if (r.nextInt(3) == 0) {
                    out.add(hpa(ns, name, 1 + r.nextInt(2), 10));
                }
                if (r.nextInt(5) == 0) {
                    out.add(pdb(ns, name));
                }
            } else if (pick < 90) {
                out.add(workload("apps/v1", "StatefulSet", ns, name, 3, false, r));
            } else if (pick < 95) {
                out.add(workload("batch/v1", "Job", ns, name, null, false, r));
            } else {
                out.add(workload("batch/v1", "CronJob", ns, name, null, false, r));
            }
        }
        for (int n = 0; n < namespaces; n += 7) {
            ObjectNode t = object("telemetry.istio.io/v1", "Telemetry", ns(n), "tracing");
            t.putObject("spec").putArray("tracing").addObject().put("randomSamplingPercentage", n % 2 == 0 ? 0.5 : 10);
            out.add(t);
        }
        return out;
    }

    private static String ns(int n) {
        return "team-" + n;
    }

    private static ObjectNode object(String apiVersion, String kind, String namespace, String name) {
        ObjectNode o = JSON.createObjectNode();
        o.put("apiVersion", apiVersion);
        o.put("kind", kind);
        ObjectNode md = o.putObject("metadata");
        md.put("name", name);
        if (namespace != null) {
            md.put("namespace", namespace);
        }
        return o;
    }

    private static JsonNode namespace(String name, String injection) {
        ObjectNode o = object("v1", "Namespace", null, name);
        if (injection != null) {
            o.with("metadata").putObject("labels").put("istio-injection", injection);
        }
        return o;
    }

    private static JsonNode workload(String apiVersion, String kind, String ns, String name, Integer replicas,
            boolean proxyAnnotations, Random r) {
        ObjectNode o = object(apiVersion, kind, ns, name);
        ObjectNode md = (ObjectNode) o.get("metadata");
        ObjectNode labels = md.putObject("labels");
        labels.put("app", name).put("app.kubernetes.io/part-of", "shop").put("team", ns);
        md.putObject("annotations").put("deployment.kubernetes.io/revision", String.valueOf(1 + r.nextInt(9)));
        ObjectNode spec = o.putObject("spec");
        ObjectNode podSpecParent = spec;
        if (kind.equals("CronJob")) {
            spec.put("schedule", "0 * * * *");
            podSpecParent = spec.putObject("jobTemplate").putObject("spec");
        }
        if (replicas != null) {
            spec.put("replicas", replicas);
        }
        if (!kind.equals("CronJob") && !kind.equals("Job")) {
            spec.putObject("selector").putObject("matchLabels").put("app", name);
        }
        ObjectNode template = podSpecParent.putObject("template");
        ObjectNode tmd = template.putObject("metadata");
        tmd.putObject("labels").put("app", name).put("version", "v" + (1 + r.nextInt(3)));
        ObjectNode ann = tmd.putObject("annotations");
        ann.put("prometheus.io/scrape", "true");
        if (proxyAnnotations) {
            ann.put("sidecar.istio.io/proxyCPU", (50 + 50 * r.nextInt(4)) + "m");
            ann.put("sidecar.istio.io/proxyMemory", (64 * (1 + r.nextInt(3))) + "Mi");
            if (r.nextBoolean()) {
                ann.put("sidecar.istio.io/proxyCPULimit", "1");
                ann.put("sidecar.istio.io/proxyMemoryLimit", "512Mi");
            }
        }
        ObjectNode pod = template.putObject("spec");
        ArrayNode containers = pod.putArray("containers");
        ObjectNode c = containers.addObject();
        c.put("name", "app");
        c.put("image", "registry.example.com/" + ns + "/" + name + ":1." + r.nextInt(20));
        ObjectNode res = c.putObject("resources");
        res.putObject("requests").put("cpu", (100 + 100 * r.nextInt(5)) + "m").put("memory", "256Mi");
        res.putObject("limits").put("memory", "512Mi");
        c.putArray("ports").addObject().put("containerPort", 8080).put("name", "http");
        c.putArray("env").addObject().put("name", "LOG_LEVEL").put("value", "info");
        if (kind.equals("Job") || kind.equals("CronJob")) {
            pod.put("restartPolicy", "OnFailure");
        }
        return o;
    }

    private static JsonNode hpa(String ns, String target, int min, int max) {
        ObjectNode o = object("autoscaling/v2", "HorizontalPodAutoscaler", ns, target);
        ObjectNode spec = o.putObject("spec");
        spec.putObject("scaleTargetRef").put("apiVersion", "apps/v1").put("kind", "Deployment").put("name", target);
        spec.put("minReplicas", min).put("maxReplicas", max);
        o.putObject("status").put("currentReplicas", min).put("desiredReplicas", min);
        return o;
    }

    private static JsonNode pdb(String ns, String target) {
        ObjectNode o = object("policy/v1", "PodDisruptionBudget", ns, target);
        ObjectNode spec = o.putObject("spec");
        spec.put("maxUnavailable", 1);
        spec.putObject("selector").putObject("matchLabels").put("app", target);
        return o;
    }

    private static void controlPlane(List<JsonNode> out) {
        ObjectNode istiod = (ObjectNode) workload("apps/v1", "Deployment", "istio-system", "istiod", 1, false,
                new Random(1));
        ((ObjectNode) istiod.with("metadata").get("labels")).put("app", "istiod").put("istio", "pilot");
        out.add(istiod);
        out.add(hpa("istio-system", "istiod", 1, 5));
        ObjectNode pdb = object("policy/v1", "PodDisruptionBudget", "istio-system", "istiod");
        pdb.putObject("spec").put("minAvailable", 1).putObject("selector").putObject("matchLabels").put("app",
                "istiod");
        out.add(pdb);
        ObjectNode gw = (ObjectNode) workload("apps/v1", "Deployment", "istio-ingress", "istio-ingressgateway", 1,
                false, new Random(2));
        ((ObjectNode) gw.with("spec").with("template").with("metadata").get("labels")).put("istio", "ingressgateway");
        ((ObjectNode) gw.with("metadata").get("labels")).put("istio", "ingressgateway");
        out.add(gw);
        ObjectNode mesh = object("v1", "ConfigMap", "istio-system", "istio");
        mesh.putObject("data").put("mesh", "defaultConfig:\n  tracing:\n    sampling: 20.0\nrootNamespace: istio-system\n");
        out.add(mesh);
        ObjectNode values = JSON.createObjectNode();
        ObjectNode pilot = values.putObject("pilot");
        pilot.put("autoscaleEnabled", true).put("autoscaleMin", 1).put("autoscaleMax", 5).put("replicaCount", 1)
                .put("traceSampling", 1.0);
        ObjectNode proxyRes = values.putObject("global").putObject("proxy").putObject("resources");
        proxyRes.putObject("requests").put("cpu", "100m").put("memory", "128Mi");
        proxyRes.putObject("limits").put("cpu", "2000m").put("memory", "1024Mi");
        out.add(helmSecret("istiod", "istio-system", 3, "istiod", "1.26.3", values,
                JSON.createObjectNode().put("autoscaleMax", 3)));
    }

    /** A release Secret as Helm v3 writes it: data.release = base64(base64(gzip(json))). */
    public static JsonNode helmSecret(String name, String ns, int revision, String chart, String version,
            JsonNode defaults, JsonNode config) {
        ObjectNode release = JSON.createObjectNode();
        release.put("name", name).put("namespace", ns).put("version", revision);
        release.putObject("info").put("status", "deployed");
        ObjectNode ch = release.putObject("chart");
        ch.putObject("metadata").put("name", chart).put("version", version).put("appVersion", version);
        ch.set("values", defaults);
        release.set("config", config);
        ObjectNode secret = object("v1", "Secret", ns, "sh.helm.release.v1." + name + ".v" + revision);
        secret.put("type", "helm.sh/release.v1");
        secret.with("metadata").putObject("labels").put("name", name).put("owner", "helm")
                .put("status", "deployed").put("version", String.valueOf(revision));
        secret.putObject("data").put("release", HelmEncoding.secretData(release));
        return secret;
    }
}
