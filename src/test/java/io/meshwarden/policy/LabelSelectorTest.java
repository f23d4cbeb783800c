package io.meshwarden.policy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {

    @Test
    void equalityAndSetBasedTerms() {
        LabelSelector s = LabelSelector.parse("team=platform,env in (prod, staging),tier notin (batch),owner,!legacy,"
                + "zone!=eu");
        assertTrue(s.matches(Map.of("team", "platform", "env", "prod", "owner", "x")));
        assertFalse(s.matches(Map.of("team", "platform", "env", "dev", "owner", "x")));
        assertFalse(s.matches(Map.of("team", "platform", "env", "prod", "owner", "x", "legacy", "y")));
        assertFalse(s.matches(Map.of("team", "platform", "env", "prod", "owner", "x", "tier", "batch")));
        assertFalse(s.matches(Map.of("team", "platform", "env", "prod")));
        assertFalse(s.matches(Map.of("team", "platform", "env", "prod", "owner", "x", "zone", "eu")));
        assertTrue(LabelSelector.parse("team==platform").matches(Map.of("team", "platform")));
        assertTrue(LabelSelector.parse("").matches(Map.of()));
    }

    @Test
    void malformedSelectorsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("a in x"));
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("bad key!=1"));
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("a=b,,c=d"));
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("a=" + "x".repeat(64)));
    }
}
