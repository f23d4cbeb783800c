package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The control plane {@code src/test/controlplane/controlplane.sh up} started (the e2e Maven profile does that), as
 * the E2E tests reach it: its kubeconfig, its binaries (helm) and helpers for namespaces, CRDs and waiting.
 *
 * <p>Every test class works in namespaces of its own (random suffix), so classes share the one server without
 * seeing each other's objects; cluster-scoped objects carry the same suffix.
 */
final class ControlPlane {
    static final String KUBECONFIG_PROPERTY = "meshwarden.e2e.kubeconfig";
    static final String BIN_PROPERTY = "meshwarden.e2e.bin";
    static final String TEST_LABEL = "e2e.meshwarden.io/test";
    /** Pods with this label stay Running but never Ready (the kwok stage in src/test/controlplane/kwok). */
    static final String NEVER_READY_LABEL = "e2e.meshwarden.io/never-ready";
    static final String NODE = "kwok-node-0";
    static final Duration TIMEOUT = Duration.ofSeconds(90);

    private ControlPlane() {
    }

    static Path stateDir() {
        String env = System.getenv("MESHWARDEN_CP_STATE");
        return env != null && !env.isEmpty() ? Path.of(env) : Path.of("target", "controlplane");
    }

    static Path kubeconfig() {
        String configured = System.getProperty(KUBECONFIG_PROPERTY);
        Path path = configured != null && !configured.isEmpty() ? Path.of(configured)
                : stateDir().resolve("kubeconfig");
        if (!Files.isReadable(path)) {
            fail("no control plane: " + path.toAbsolutePath() + " does not exist. Run the E2E tests with "
                    + "./mvnw -Pe2e verify, or start one with src/test/controlplane/controlplane.sh up");
        }
        return path;
    }

    /** A binary of the control plane's build (helm, kwok, ...). */
    static Path bin(String name) {
        String configured = System.getProperty(BIN_PROPERTY);
        Path dir = configured != null && !configured.isEmpty() ? Path.of(configured) : stateDir().resolve("bin");
        Path path = dir.resolve(name);
        if (!Files.isExecutable(path)) {
            fail(path.toAbsolutePath() + " is not an executable; was the control plane built?");
        }
        return path;
    }

    /** kubectl (for {@code kubectl kustomize} only) from -Dmeshwarden.kubectl, the PATH or /usr/bin. */
    static String kubectl() {
        String configured = System.getProperty("meshwarden.kubectl");
        if (configured != null && !configured.isEmpty()) {
            return configured;
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                return Path.of(dir, "kubectl").toString();
            }
        }
        if (Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
            return "/usr/bin/kubectl";
        }
        fail("kubectl not found on the PATH or in /usr/bin; it renders k8s/ with `kubectl kustomize`. Install it or "
                + "pass -Dmeshwarden.kubectl=/path/to/kubectl.");
        return null;
    }

    static KubernetesClient client() {
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig()));
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A short random suffix for names: lower case, DNS-1123. */
    static String suffix() {
        return UUID.randomUUID().toString().substring(0, 6).toLowerCase(Locale.ROOT);
    }

    /**
     * Creates a namespace and waits for its default ServiceAccount: pods cannot be created before the controller
     * made it, and a Deployment would only retry.
     */
    static String namespace(KubernetesClient client, String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .addToLabels(TEST_LABEL, "true").addToLabels(labels).endMetadata().build()).create();
        await("the default ServiceAccount of " + name, () -> client.serviceAccounts().inNamespace(name)
                .withName("default").get() != null);
        return name;
    }

    static void deleteNamespaces(KubernetesClient client, String... names) {
        for (String n : names) {
            if (n == null) {
                continue;
            }
            try {
                client.namespaces().withName(n).delete();
            } catch (KubernetesClientException e) {
                // Best effort: the state directory is thrown away with the control plane anyway.
            }
        }
    }

    static void await(String what, BooleanSupplier condition) {
        await(what, TIMEOUT, condition, () -> "");
    }

    /** Polls until the condition holds; fails with {@code state} (what was seen last) after the timeout. */
    static void await(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (KubernetesClientException e) {
                // Transient while a CRD or namespace settles; the deadline still runs.
            }
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + "s waiting for " + what + ". " + state.get());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static String resource(String name) {
        try (InputStream in = ControlPlane.class.getResourceAsStream("/e2e/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource e2e/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Server-side applies the YAML documents (idempotent, so classes may share cluster-scoped objects). */
    static List<HasMetadata> apply(KubernetesClient client, String yaml) {
        List<HasMetadata> items = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
                .items();
        for (HasMetadata item : items) {
            client.resource(item).fieldManager("meshwarden-e2e").forceConflicts().serverSideApply();
        }
        return items;
    }

    /** Installs CRDs and waits until they are established and served by discovery. */
    static void installCrds(KubernetesClient client, String yaml) {
        for (HasMetadata item : apply(client, yaml)) {
            if (!(item instanceof CustomResourceDefinition)) {
                continue;
            }
            CustomResourceDefinition crd = (CustomResourceDefinition) item;
            String name = crd.getMetadata().getName();
            await("CRD " + name + " established", () -> {
                CustomResourceDefinition live = client.apiextensions().v1().customResourceDefinitions()
                        .withName(name).get();
                return live != null && live.getStatus() != null && live.getStatus().getConditions() != null
                        && live.getStatus().getConditions().stream().anyMatch(c -> "Established".equals(c.getType())
                                && "True".equals(c.getStatus()));
            });
            String group = crd.getSpec().getGroup();
            String plural = crd.getSpec().getNames().getPlural();
            for (var v : crd.getSpec().getVersions()) {
                await(plural + "." + group + "/" + v.getName() + " in discovery", () -> {
                    var list = client.getApiResources(group + "/" + v.getName());
                    return list != null && list.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
                });
            }
        }
    }

    static void installIstioCrds(KubernetesClient client) {
        installCrds(client, resource("istio-crds.yaml"));
    }
}
