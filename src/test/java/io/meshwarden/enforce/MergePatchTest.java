package io.meshwarden.enforce;

import static io.meshwarden.enforce.MockCluster.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class MergePatchTest {
    @Test
    void appliesRfc7386() {
        JsonNode target = json("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"},\"l\":[1,2]}");
        JsonNode patch = json("{\"a\":\"z\",\"c\":{\"f\":null},\"l\":[3],\"n\":{\"x\":null,\"y\":1}}");
        assertEquals(json("{\"a\":\"z\",\"c\":{\"d\":\"e\"},\"l\":[3],\"n\":{\"y\":1}}"),
                MergePatch.apply(target, patch));
        assertEquals(json("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"},\"l\":[1,2]}"), target, "not modified");
    }

    @Test
    void revertRestoresTouchedFieldsAndDeletesAddedOnes() {
        JsonNode target = json("{\"spec\":{\"min\":1,\"keep\":true},\"metadata\":{\"name\":\"x\"}}");
        JsonNode patch = json("{\"spec\":{\"min\":2,\"new\":{\"a\":1}},\"metadata\":{\"annotations\":{\"k\":\"v\"}}}");
        ObjectNode revert = MergePatch.revert(target, patch);
        assertEquals(json("{\"spec\":{\"min\":1,\"new\":{\"a\":null}},\"metadata\":{\"annotations\":{\"k\":null}}}"),
                revert);
        assertEquals(json("{\"spec\":{\"min\":1,\"keep\":true,\"new\":{}},\"metadata\":{\"name\":\"x\","
                + "\"annotations\":{}}}"), MergePatch.apply(MergePatch.apply(target, patch), revert));
        JsonNode replaced = json("{\"spec\":{\"min\":{\"x\":1}}}");
        assertEquals(json("{\"spec\":{\"min\":1}}"), MergePatch.revert(target, replaced), "scalar replaced by object");
    }

    @Test
    void numbersCompareByValue() {
        assertTrue(MergePatch.same(json("{\"a\":2}"), json("{\"a\":2.0}")));
        assertTrue(MergePatch.same(json("[1,{\"b\":10000000000}]"), json("[1.0,{\"b\":10000000000.0}]")));
        assertFalse(MergePatch.same(json("{\"a\":2}"), json("{\"a\":\"2\"}")));
        assertTrue(MergePatch.same(json("{\"a\":2}"), json("{\"a\":2,\"b\":null}")), "null is absent");
        assertFalse(MergePatch.same(json("{\"a\":2}"), json("{\"a\":2,\"b\":1}")));
        assertFalse(MergePatch.same(json("{\"a\":2,\"b\":1}"), json("{\"a\":2}")));
    }

    @Test
    void mergeIntoReportsConflictsAndLeavesTheTargetAlone() {
        ObjectNode into = (ObjectNode) json("{\"spec\":{\"min\":2}}");
        assertEquals(List.of(), MergePatch.mergeInto(into, json("{\"spec\":{\"max\":5,\"min\":2.0}}")));
        assertEquals(json("{\"spec\":{\"min\":2.0,\"max\":5}}"), into);
        assertEquals(List.of("spec.min"), MergePatch.mergeInto(into, json("{\"spec\":{\"min\":3,\"x\":1}}")));
        assertFalse(into.path("spec").has("x"));
    }

    @Test
    void withoutRemovesAPathAndEmptiedParents() {
        ObjectNode p = (ObjectNode) json("{\"spec\":{\"replicas\":3}}");
        assertEquals(null, MergePatch.without(p, "spec.replicas"));
        ObjectNode q = (ObjectNode) json("{\"spec\":{\"replicas\":3,\"paused\":false}}");
        assertEquals(json("{\"spec\":{\"paused\":false}}"), MergePatch.without(q, "spec.replicas"));
    }
}
