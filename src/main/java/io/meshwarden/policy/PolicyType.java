package io.meshwarden.policy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The document half of a policy type: its wire name, its parameters' {@link Shape}, and how a validated shape
 * becomes the type's {@link Parameters} record and back. The evaluation half is {@code evaluate.PolicyKind}; the
 * list of types is the registry in {@code io.meshwarden.policies}, handed to {@link PolicyCodec} rather than
 * imported by it.
 */
public interface PolicyType {
    /** The value of {@code spec.type}, e.g. {@code HaMinimum}. */
    String name();

    /** One sentence for the schema's description of the type. */
    String description();

    Shape parameters();

    /**
     * Builds the record from validated values, applying defaults and the checks a schema cannot express (record
     * them with {@link Shape.Values#fail}). Only called to build; a violation anywhere still rejects the document.
     */
    Parameters read(Shape.Values values);

    /** The canonical wire form, defaults included. */
    void write(Parameters parameters, ObjectNode out);

    /** Cross-field rules the CRD enforces with CEL, mirroring what {@link #read} checks in code. */
    default List<CelRule> crdRules() {
        return List.of();
    }

    /** A CEL validation rule on {@code spec}, with the message the API server answers. */
    record CelRule(String rule, String message) {
    }
}
