package io.meshwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The label patterns of the OpenAPI document admit only what the codec's checks accept. */
class NamesTest {
    private static final Pattern KEY = Pattern.compile(Names.LABEL_KEY_PATTERN);
    private static final Pattern VALUE = Pattern.compile(Names.LABEL_VALUE_PATTERN);

    @Test
    void whatThePatternsAdmitTheChecksAccept() {
        Random random = new Random(14);
        String alphabet = "aZ09-_./";
        int admitted = 0;
        for (int i = 0; i < 200_000; i++) {
            StringBuilder s = new StringBuilder();
            int len = random.nextInt(i % 10 == 0 ? 300 : 12);
            for (int j = 0; j < len; j++) {
                s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String text = s.toString();
            if (KEY.matcher(text).find()) {
                admitted++;
                assertNull(Names.checkLabelKey(text), text);
            }
            if (VALUE.matcher(text).find()) {
                assertNull(Names.checkLabelValue(text), text);
            }
        }
        assertTrue(admitted > 1000, "the sample reached the pattern only " + admitted + " times");
    }

    @Test
    void theLimitsThemselvesAreAdmitted() {
        String name63 = "a".repeat(63);
        String prefix = String.join(".", List.of("b".repeat(63), "c".repeat(63), "d".repeat(63)));
        for (String key : List.of(name63, prefix + "/" + name63, "app.kubernetes.io/name", "k")) {
            assertTrue(KEY.matcher(key).find(), key);
            assertNull(Names.checkLabelKey(key), key);
        }
        for (String bad : List.of("a".repeat(64), "-a", "a-", "a b", "/a", "A.B/c")) {
            assertEquals(false, KEY.matcher(bad).find(), bad);
        }
        assertTrue(VALUE.matcher("").find());
        assertTrue(VALUE.matcher(name63).find());
        assertEquals(false, VALUE.matcher(name63 + "a").find());
    }
}
