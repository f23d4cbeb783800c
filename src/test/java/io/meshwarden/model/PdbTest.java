package io.meshwarden.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policy.LabelSelector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The budget arithmetic against the disruption controller's: percentages of both fields round up. */
class PdbTest {
    static Pdb min(String v) {
        return new Pdb("ns", "p", new LabelSelector(Map.of("app", "a"), List.of()), v, null);
    }

    static Pdb max(String v) {
        return new Pdb("ns", "p", new LabelSelector(Map.of("app", "a"), List.of()), null, v);
    }

    @Test
    void percentagesRoundUpAsKubernetesDoes() {
        // The Kubernetes docs' own case: 7 pods at minAvailable 50% need 4.
        assertEquals(4, Pdb.scaled("50%", 7));
        assertEquals(1, Pdb.scaled("1%", 1), "maxUnavailable 1% of one pod still allows one eviction");
        assertEquals(1, Pdb.scaled("50%", 1));
        assertEquals(2, Pdb.scaled("51%", 2));
        assertEquals(0, Pdb.scaled("0%", 10));
        assertEquals(100, Pdb.scaled("99%", 101));
        assertEquals(3, Pdb.scaled("3", 1), "an integer is taken as it is");
        assertThrows(NumberFormatException.class, () -> Pdb.scaled("half", 2));
    }

    @Test
    void minAvailableIntegerBlocksAtOrBelowItsValue() {
        assertTrue(min("1").blocksEviction(1));
        assertTrue(min("2").blocksEviction(2));
        assertFalse(min("2").blocksEviction(3));
        assertEquals(3, min("2").replicasAllowingEviction(1));
        assertEquals(5, min("2").replicasAllowingEviction(5), "already allowing at 5");
    }

    @Test
    void minAvailablePercentageEdges() {
        assertTrue(min("50%").blocksEviction(1), "ceil(0.5) = 1 of 1");
        assertFalse(min("50%").blocksEviction(2));
        assertTrue(min("51%").blocksEviction(2), "ceil(1.02) = 2 of 2");
        assertFalse(min("51%").blocksEviction(3), "ceil(1.53) = 2 of 3");
        assertTrue(min("99%").blocksEviction(99), "ceil(98.01) = 99 of 99");
        assertFalse(min("99%").blocksEviction(101), "ceil(99.99) = 100 of 101");
        assertTrue(min("100%").blocksEviction(1000));
        assertEquals(0, min("100%").replicasAllowingEviction(1), "no replica count helps");
        assertEquals(3, min("51%").replicasAllowingEviction(2));
        assertEquals(100, min("99%").replicasAllowingEviction(2), "ceil(99.0) = 99 of 100");
    }

    @Test
    void maxUnavailableBlocksOnlyAtZero() {
        assertTrue(max("0").blocksEviction(5));
        assertTrue(max("0%").blocksEviction(5));
        assertFalse(max("1").blocksEviction(1));
        assertFalse(max("1%").blocksEviction(1), "rounded up to one pod");
        assertFalse(max("10%").blocksEviction(3));
        assertEquals(0, max("0").replicasAllowingEviction(1));
        assertEquals("maxUnavailable", max("0").budgetField());
    }

    @Test
    void nothingToJudge() {
        Pdb none = new Pdb("ns", "p", null, null, null);
        assertNull(none.budgetField());
        assertFalse(none.blocksEviction(1));
        assertEquals(0, none.replicasAllowingEviction(1));
        assertFalse(min("1").blocksEviction(0), "no pods: no drain held up");
        assertFalse(min("abc").blocksEviction(1), "a value the API server rejects is not judged");
        assertEquals(0, min("abc").replicasAllowingEviction(1));
        Pdb both = new Pdb("ns", "p", null, "100%", "1");
        assertEquals("maxUnavailable", both.budgetField(), "read first, as the disruption controller does");
        assertFalse(both.blocksEviction(1));
    }
}
