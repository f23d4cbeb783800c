package io.meshwarden.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class HelmValuesMergeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    private static void assertMerge(String defaults, String config, String expected) throws Exception {
        JsonNode d = json(defaults);
        JsonNode c = json(config);
        JsonNode dBefore = d.deepCopy();
        JsonNode cBefore = c.deepCopy();
        assertEquals(json(expected), HelmReleaseDecoder.mergeValues(d, c));
        assertEquals(dBefore, d, "defaults must not be modified");
        assertEquals(cBefore, c, "config must not be modified");
    }

    @Test
    void mapsMergeRecursivelyAndConfigWins() throws Exception {
        assertMerge("{'pilot': {'autoscaleMin': 1, 'autoscaleMax': 5, 'cpu': {'targetAverageUtilization': 80}}}",
                "{'pilot': {'autoscaleMin': 2, 'cpu': {'extra': true}}, 'global': {'hub': 'x'}}",
                "{'pilot': {'autoscaleMin': 2, 'autoscaleMax': 5, 'cpu': {'targetAverageUtilization': 80,"
                        + " 'extra': true}}, 'global': {'hub': 'x'}}");
    }

    @Test
    void listsAndScalarsReplace() throws Exception {
        assertMerge("{'tolerations': [{'key': 'a'}, {'key': 'b'}], 'tag': '1.26', 'n': 1}",
                "{'tolerations': [{'key': 'c'}], 'tag': '1.27', 'n': 1.5}",
                "{'tolerations': [{'key': 'c'}], 'tag': '1.27', 'n': 1.5}");
    }

    @Test
    void typeChangesReplaceWholesale() throws Exception {
        assertMerge("{'podDisruptionBudget': {'minAvailable': 1}, 'labels': 'x'}",
                "{'podDisruptionBudget': 'off', 'labels': {'a': 'b'}}",
                "{'podDisruptionBudget': 'off', 'labels': {'a': 'b'}}");
    }

    @Test
    void nullInConfigDeletesTheKeyAtAnyDepth() throws Exception {
        assertMerge("{'pilot': {'replicaCount': 1, 'resources': {'requests': {'cpu': '500m'}}}, 'keep': 1}",
                "{'pilot': {'replicaCount': null, 'resources': null}}",
                "{'pilot': {}, 'keep': 1}");
    }

    @Test
    void nullForKeyWithoutDefaultLeavesNothingBehind() throws Exception {
        assertMerge("{'a': 1}", "{'b': null, 'c': {'d': null, 'e': 2}}", "{'a': 1, 'c': {'e': 2}}");
    }

    @Test
    void emptyOrMissingConfigYieldsDefaults() throws Exception {
        assertMerge("{'a': {'b': 1}}", "{}", "{'a': {'b': 1}}");
        assertEquals(json("{'a': 1}"), HelmReleaseDecoder.mergeValues(json("{'a': 1}"), null));
        assertEquals(json("{'a': 1}"), HelmReleaseDecoder.mergeValues(null, json("{'a': 1, 'b': null}")));
    }
}
