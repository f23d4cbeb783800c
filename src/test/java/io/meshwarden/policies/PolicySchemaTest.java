package io.meshwarden.policies;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.PolicySchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CRD in k8s/base is generated from the policy model: this test writes the generated one to
 * target/generated/crd-meshpolicies.yaml on every build and fails when the checked-in file differs. To update it:
 * {@code ./mvnw test -Dtest=PolicySchemaTest -Dmeshwarden.crd.write=true}.
 */
class PolicySchemaTest {
    static final Path CHECKED_IN = Path.of("k8s", "base", "crd-meshpolicies.yaml");
    static final Path GENERATED = Path.of("target", "generated", "crd-meshpolicies.yaml");
    static final String HEADER = """
            # GENERATED from the policy model (io.meshwarden.policy.PolicySchema over the registry in
            # io.meshwarden.policies.PolicyTypes): do not edit. PolicySchemaTest fails when this file differs from
            # the generated one; regenerate with: ./mvnw test -Dtest=PolicySchemaTest -Dmeshwarden.crd.write=true
            # Unknown fields are rejected because no object sets x-kubernetes-preserve-unknown-fields (kubectl's
            # default --validate=strict turns pruning into an error). Left to the service: label key/value syntax
            # inside maps, limits >= requests as quantities, and duplicate removal.
            """;

    static String generatedCrd() throws IOException {
        YAMLMapper yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
                .build();
        return HEADER + yaml.writeValueAsString(PolicySchema.crd(PolicyTypes.ALL));
    }

    @Test
    void checkedInCrdIsTheGeneratedOne() throws IOException {
        String generated = generatedCrd();
        Files.createDirectories(GENERATED.getParent());
        Files.writeString(GENERATED, generated, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("meshwarden.crd.write")) {
            Files.writeString(CHECKED_IN, generated, StandardCharsets.UTF_8);
        }
        assertEquals(generated, Files.readString(CHECKED_IN), CHECKED_IN + " differs from the generated " + GENERATED
                + ": regenerate it with ./mvnw test -Dtest=PolicySchemaTest -Dmeshwarden.crd.write=true");
    }

    @Test
    void crdCarriesEveryTypeAndEveryParameter() {
        JsonNode spec = PolicySchema.crd(PolicyTypes.ALL)
                .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        for (PolicyKind k : PolicyTypes.ALL) {
            boolean listed = false;
            for (JsonNode t : spec.at("/properties/type/enum")) {
                listed |= t.asText().equals(k.name());
            }
            assertTrue(listed, k.name() + " in spec.type's enum");
            for (Field f : k.parameters().fields()) {
                assertNotNull(spec.at("/properties/parameters/properties").get(f.name()), f.name());
            }
            boolean rule = false;
            for (JsonNode r : spec.get("x-kubernetes-validations")) {
                rule |= r.get("rule").asText().startsWith("self.type == '" + k.name() + "'");
            }
            assertTrue(rule, "a CEL rule keeps other types' fields out of " + k.name());
        }
    }

    @Test
    void openApiHasOneVariantPerTypeWithADiscriminator() {
        Map<String, ObjectNode> schemas = PolicySchema.openApi(PolicyTypes.ALL);
        ObjectNode spec = schemas.get("MeshPolicySpec");
        assertEquals("type", spec.at("/discriminator/propertyName").asText());
        assertEquals(PolicyTypes.ALL.size(), spec.get("oneOf").size());
        for (PolicyKind k : PolicyTypes.ALL) {
            ObjectNode variant = schemas.get(k.name() + "Spec");
            assertNotNull(variant, k.name());
            assertEquals(k.name(), variant.at("/properties/type/enum/0").asText());
            // Optional parameters may also be null (read as absent): anyOf [the reference, null].
            JsonNode parameters = variant.at("/properties/parameters");
            assertEquals("#/components/schemas/" + k.name() + "Parameters", parameters.has("$ref")
                    ? parameters.get("$ref").asText() : parameters.at("/anyOf/0/$ref").asText());
            ObjectNode params = schemas.get(k.name() + "Parameters");
            assertEquals(k.parameters().fields().size(), params.get("properties").size());
            assertEquals(false, params.get("additionalProperties").asBoolean(true));
            for (Field f : k.parameters().fields()) {
                if (f.defaultValue() != null) {
                    assertEquals(f.defaultValue(), params.at("/properties/" + f.name() + "/default"), f.name());
                }
            }
        }
    }

    @Test
    void aFieldTwoTypesShareMustMeanTheSame() {
        try {
            PolicySchema.crd(java.util.List.of(PolicyTypes.ALL.get(0), new SampleType("components")));
            fail("two meanings of one parameter name were accepted");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage().contains("components"), expected.getMessage());
        }
    }
}
