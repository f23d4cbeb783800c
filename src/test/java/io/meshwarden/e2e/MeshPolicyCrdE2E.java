package io.meshwarden.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable.Validation;
import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicyValidationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The MeshPolicy CRD of k8s/base installed on a real API server: its OpenAPI schema and CEL rules reject at the
 * server what PolicyCodec rejects in the service, with the field path in the message. The CRUD mock validates
 * nothing, and only a real server compiles the CEL rules at all.
 */
class MeshPolicyCrdE2E {
    static final Path CRD = Path.of("k8s", "base", "crd-meshpolicies.yaml");
    static final Path EXAMPLES = Path.of("examples", "policies");

    static KubernetesClient client;
    static String suffix;
    static final List<String> created = new ArrayList<>();

    @BeforeAll
    static void installCrd() throws IOException {
        client = ControlPlane.client();
        suffix = ControlPlane.suffix();
        ControlPlane.installCrds(client, Files.readString(CRD));
    }

    /** The generated CRD (PolicySchemaTest keeps the checked-in file equal to it) as a user applies it. */
    @Test
    void kubectlServerDryRunAcceptsTheGeneratedCrd() throws Exception {
        Process p = new ProcessBuilder(ControlPlane.kubectl(), "--kubeconfig", ControlPlane.kubeconfig().toString(),
                "apply", "--dry-run=server", "-f", CRD.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "kubectl finished");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("meshpolicies.meshwarden.io") && out.contains("(server dry run)"), out);
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            for (String name : created) {
                client.genericKubernetesResources("meshwarden.io/v1alpha1", "MeshPolicy").withName(name).delete();
            }
            client.close();
        }
    }

    @Test
    void theExamplePoliciesAreAccepted() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(EXAMPLES)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        int count = 0;
        for (Path file : files) {
            for (HasMetadata doc : load(Files.readString(file))) {
                GenericKubernetesResource policy = (GenericKubernetesResource) doc;
                String name = policy.getMetadata().getName() + "-" + suffix;
                policy.getMetadata().setName(name);
                create(policy, file + " " + name);
                count++;
            }
        }
        assertTrue(count >= 5, "one policy of each type at least, got " + count);
    }

    @Test
    void theServerFillsTheDefaultsPolicyCodecAssumes() {
        GenericKubernetesResource stored = create(policy("defaults", "type: TraceSampling\n  parameters: "
                + "{maxPercent: 1.0}"), "defaults");
        assertEquals("audit", stored.get("spec", "mode"));
        assertEquals("warning", stored.get("spec", "severity"));
        assertEquals("audit", PolicyTypes.CODEC.read(asDocument(stored)).spec().mode().name().toLowerCase());
    }

    /**
     * The object as a policy document. PolicyCodec refuses the server's own metadata (uid, managedFields, ...), so
     * whoever reads MeshPolicy objects from the API keeps only name, labels and annotations, as
     * KubernetesPolicyStore does and as here.
     */
    static JsonNode asDocument(GenericKubernetesResource stored) {
        ObjectNode json = client.getKubernetesSerialization().convertValue(stored, ObjectNode.class);
        ((ObjectNode) json.get("metadata")).retain("name", "labels", "annotations");
        json.remove("status");
        return json;
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("unknown-type", "type: Bogus", "spec.type: Unsupported value: \"Bogus\""),
                Arguments.of("bad-mode", "type: TraceSampling\n  mode: sometimes",
                        "spec.mode: Unsupported value: \"sometimes\""),
                Arguments.of("zero-replicas", "type: HaMinimum\n  parameters: {minReplicas: 0}",
                        "spec.parameters.minReplicas: Invalid value: 0"),
                Arguments.of("no-requests", "type: ProxySizing\n  parameters: {tolerance: 5}",
                        "type ProxySizing requires parameters.requests"),
                Arguments.of("wrong-type-field", "type: HaMinimum\n  parameters: {maxPercent: 5}",
                        "maxPercent belongs to type TraceSampling"),
                Arguments.of("autoscale-inverted", "type: HaMinimum\n  parameters: {autoscaleMin: 4, autoscaleMax: 3}",
                        "autoscaleMax must be greater than or equal to autoscaleMin"),
                Arguments.of("bad-quantity", "type: ProxySizing\n  parameters: {requests: {cpu: lots, memory: 1Gi}}",
                        "spec.parameters.requests.cpu: Invalid value"),
                Arguments.of("bad-namespace", "type: TraceSampling\n  target: {namespaces: {include: [Not_DNS]}}",
                        "spec.target.namespaces.include[0]: Invalid value: \"Not_DNS\""),
                Arguments.of("empty-exemption", "type: TraceSampling\n  exemptions: [{}]",
                        "spec.exemptions[0]: Invalid value"),
                // Strict decoding fails before validation: 400 Bad Request rather than 422.
                Arguments.of("unknown-field", "type: TraceSampling\n  parameters: {maxPercent: 1, bogus: true}",
                        "unknown field \"spec.parameters.bogus\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void theServerRejectsWhatPolicyCodecRejects(String name, String spec, String expected) {
        GenericKubernetesResource policy = policy("bad-" + name, spec);

        KubernetesClientException e = assertThrows(KubernetesClientException.class,
                () -> client.resource(policy).fieldValidation(Validation.STRICT).create(), "accepted: " + spec);

        assertEquals(name.equals("unknown-field") ? 400 : 422, e.getCode(), e::getMessage);
        String message = e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage();
        assertTrue(message.contains(expected), () -> "expected \"" + expected + "\" in: " + message);
        JsonNode json = client.getKubernetesSerialization().convertValue(policy, JsonNode.class);
        assertThrows(PolicyValidationException.class, () -> PolicyTypes.CODEC.read(json),
                "the service must reject what the server rejects: " + spec);
    }

    @Test
    void withoutStrictValidationUnknownFieldsAreDroppedSilently() {
        // Why kubectl's --validate=strict (and fieldValidation=Strict) matters: the default only warns and prunes.
        GenericKubernetesResource stored = create(policy("pruned", "type: TraceSampling\n  parameters: "
                + "{maxPercent: 1, bogus: true}"), "pruned", Validation.WARN);
        @SuppressWarnings("unchecked")
        Map<String, Object> parameters = (Map<String, Object>) stored.get("spec", "parameters");
        assertFalse(parameters.containsKey("bogus"), parameters::toString);
    }

    static GenericKubernetesResource policy(String name, String spec) {
        String yaml = "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: " + name + "-" + suffix
                + "}\nspec:\n  " + spec + "\n";
        return (GenericKubernetesResource) load(yaml).get(0);
    }

    static List<HasMetadata> load(String yaml) {
        try (InputStream in = new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))) {
            return client.load(in).items();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static GenericKubernetesResource create(GenericKubernetesResource policy, String what) {
        return create(policy, what, Validation.STRICT);
    }

    static GenericKubernetesResource create(GenericKubernetesResource policy, String what, Validation validation) {
        try {
            GenericKubernetesResource stored = client.resource(policy).fieldValidation(validation).create();
            created.add(stored.getMetadata().getName());
            return stored;
        } catch (KubernetesClientException e) {
            fail(what + " was rejected: " + (e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage()));
            return null;
        }
    }
}
