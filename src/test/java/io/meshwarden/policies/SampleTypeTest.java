package io.meshwarden.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.evaluate.EvaluationResult;
import io.meshwarden.evaluate.Evaluator;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.PolicySchema;
import io.meshwarden.policy.PolicyValidationException;
import io.meshwarden.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Adding a type is a folder and a registry line: with the sample type in the list, every part picks it up. */
class SampleTypeTest {
    static final List<PolicyKind> WITH_SAMPLE = withSample();

    static List<PolicyKind> withSample() {
        List<PolicyKind> l = new ArrayList<>(PolicyTypes.ALL);
        l.add(new SampleType("label"));
        return l;
    }

    static final String POLICY = """
            apiVersion: meshwarden.io/v1alpha1
            kind: MeshPolicy
            metadata: {name: labels}
            spec:
              type: Sample
              parameters: {label: owner}
            """;

    @Test
    void codecSchemaAndEvaluatorPickUpANewType() throws Exception {
        PolicyCodec codec = new PolicyCodec(WITH_SAMPLE);
        JsonNode doc = new YAMLMapper().readTree(POLICY);
        MeshPolicy p = codec.read(doc);
        assertEquals("owner", PolicyCodec.write(p).at("/spec/parameters/label").asText());

        PolicyValidationException bad = assertThrows(PolicyValidationException.class,
                () -> codec.read(new YAMLMapper().readTree(POLICY.replace("owner", "nobody"))));
        assertEquals("/spec/parameters/label", bad.violations().get(0).field());
        assertThrows(PolicyValidationException.class, () -> PolicyTypes.CODEC.read(doc),
                "the shipped registry does not know the sample type");

        JsonNode crdSpec = PolicySchema.crd(WITH_SAMPLE).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        assertTrue(crdSpec.at("/properties/type/enum").toString().contains("\"Sample\""));
        assertTrue(crdSpec.at("/properties/parameters/properties").has("label"));
        assertTrue(PolicySchema.openApi(WITH_SAMPLE).containsKey("SampleParameters"));

        EvaluationResult r = new Evaluator(WITH_SAMPLE).evaluate(List.of(p), Fixtures.snapshot("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec: {containers: [{name: web, image: web}]}
                """));
        assertEquals(1, r.findings().size());
        assertEquals("sample-missing-label", r.findings().get(0).rule());
        assertEquals(1, r.summary().evaluated());
    }
}
