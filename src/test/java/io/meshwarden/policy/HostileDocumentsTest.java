package io.meshwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.policies.PolicyTypes;
import io.meshwarden.policies.proxysizing.ProxySizingParameters;
import io.meshwarden.policies.tracesampling.TraceSamplingParameters;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 14, findings 1 to 3: a hostile document costs a bounded answer and bounded work in the codec. */
class HostileDocumentsTest {
    /** Far above what the bounded code needs (milliseconds), far below what the unbounded code took (38 s, OOM). */
    private static final Duration BOUND = Duration.ofSeconds(2);

    private static MeshPolicy read(String text, boolean yaml) {
        return assertTimeoutPreemptively(BOUND, () -> PolicyTypes.CODEC.read(
                Documents.parseOne(text.getBytes(StandardCharsets.UTF_8), yaml)));
    }

    private static PolicyValidationException invalid(String text, boolean yaml) {
        return assertThrows(PolicyValidationException.class, () -> read(text, yaml));
    }

    private static String json(String type, String params, String exemptions) {
        return """
                {"apiVersion":"meshwarden.io/v1alpha1","kind":"MeshPolicy","metadata":{"name":"p1"},
                 "spec":{"type":"%s","exemptions":%s,"parameters":%s}}""".formatted(type, exemptions, params);
    }

    private static void assertOnlyViolation(PolicyValidationException e, String field, String reasonPart) {
        assertEquals(1, e.violations().size(), e.violations()::toString);
        assertEquals(field, e.violations().get(0).field());
        assertTrue(e.violations().get(0).reason().contains(reasonPart), e.violations()::toString);
    }

    @Test
    void violationsStopAtTheCapAndTheRestAreCounted() {
        String empties = "[" + "{},".repeat(59_999) + "{}]";
        PolicyValidationException e = invalid(json("TraceSampling", "{}", empties), false);
        assertEquals(PolicyCodec.DEFAULT_MAX_VIOLATIONS, e.violations().size());
        assertEquals(60_000 - PolicyCodec.DEFAULT_MAX_VIOLATIONS, e.omitted());
        assertEquals(60_000, e.total());
        assertEquals("/spec/exemptions/0", e.violations().get(0).field());
        assertTrue(e.getMessage().length() < 20_000, "the message is bounded too: " + e.getMessage().length());
        assertTrue(e.getMessage().endsWith("and 59900 more not listed"), e.getMessage().substring(
                e.getMessage().length() - 60));
    }

    @Test
    void theCapIsTheCallers() {
        String bad = json("TraceSampling", "{\"maxPercent\":\"x\",\"extra\":1}", "[{}, {}]");
        PolicyValidationException e = assertThrows(PolicyValidationException.class,
                () -> PolicyTypes.CODEC.read(Documents.parseOne(bad.getBytes(StandardCharsets.UTF_8), false), 2));
        assertEquals(2, e.violations().size());
        assertEquals(2, e.omitted());
        PolicyValidationException all = invalid(bad, false);
        assertEquals(4, all.violations().size());
        assertEquals(0, all.omitted());
        assertThrows(IllegalArgumentException.class, () -> PolicyTypes.CODEC.read(
                Documents.parseOne(bad.getBytes(StandardCharsets.UTF_8), false), 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e1000000", "1e30000000", "1E+999999999", "\"1e1000000\"", "\"1e30000000\"",
        "1e19", "\"1e19\"", "\"1e-19\"", "\"1.5e300\"", "12345678901234567890", "\"12345678901234567890\"",
        "\"9Ei\"", "\"10E\"", "0.0000000000000000001", "1e-999999999", "\"0e-1000000000\"",
        "\"0.0000000000000000001\"",
        "\"1000000000000000000000000000000000000000000000000000000000000000001\""})
    void hugeOrTinyQuantitiesAreRefusedBeforeAnyExpansion(String cpu) {
        String params = "{\"requests\":{\"cpu\":%s,\"memory\":\"64Mi\"}}".formatted(cpu);
        PolicyValidationException e = invalid(json("ProxySizing", params, "[]"), false);
        assertEquals(List.of("/spec/parameters/requests/cpu"), e.violations().stream().map(Violation::field)
                .toList(), e.violations()::toString);
        assertTrue(e.violations().get(0).reason().matches(".*(at most|between).*"), e.violations()::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e1000000", "1.0e+1000000", "1e30000000", "1e-999999999", "1.0e-999999999",
        "\"1e1000000\""})
    void hugeOrTinyQuantitiesInYamlAreRefusedToo(String cpu) {
        String doc = """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: p1}
                spec:
                  type: ProxySizing
                  parameters:
                    requests: {cpu: %s, memory: 64Mi}
                """.formatted(cpu);
        PolicyValidationException e = invalid(doc, true);
        assertEquals("/spec/parameters/requests/cpu", e.violations().get(0).field(), e.violations()::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-999999999", "1e-19", "0.0000000000000000001", "1e1000000",
        "50.00000000000000000001", "1234567890123456789e-17"})
    void percentagesOutOfTheDigitBoundsAreRefused(String percent) {
        assertOnlyViolation(invalid(json("TraceSampling", "{\"maxPercent\":" + percent + "}", "[]"), false),
                "/spec/parameters/maxPercent", "at most 18");
        assertOnlyViolation(invalid(json("ProxySizing", "{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Mi\"},"
                + "\"tolerance\":" + percent + "}", "[]"), false), "/spec/parameters/tolerance", "at most 18");
        String yaml = "apiVersion: meshwarden.io/v1alpha1\nkind: MeshPolicy\nmetadata: {name: p1}\n"
                + "spec: {type: TraceSampling, parameters: {maxPercent: " + percent + "}}\n";
        // YAML 1.1 reads 1e-19 (no dot) as a string: refused as not a number, which is as good.
        assertEquals("/spec/parameters/maxPercent", invalid(yaml, true).violations().get(0).field());
    }

    @Test
    void ordinaryNumbersStillRead() {
        MeshPolicy p = read(json("ProxySizing", "{\"requests\":{\"cpu\":1e3,\"memory\":\"128Mi\"},"
                + "\"limits\":{\"cpu\":\"1.5e3\",\"memory\":\"0.5Gi\"},\"tolerance\":1e1}", "[]"), false);
        ProxySizingParameters ps = (ProxySizingParameters) p.spec().parameters();
        assertEquals("1000", ps.requests().cpu());
        assertEquals("1.5e3", ps.limits().cpu());
        assertEquals(0, BigDecimal.TEN.compareTo(ps.tolerancePercent()));
        MeshPolicy t = read(json("TraceSampling", "{\"maxPercent\":0.000000000000000001}", "[]"), false);
        assertEquals(0, new BigDecimal("1e-18").compareTo(((TraceSamplingParameters) t.spec().parameters())
                .maxPercent()));
        assertEquals(new BigDecimal("999999999999999999"), Numbers.quantity("999999999999999999"));
        assertTrue(Numbers.quantity("7Ei").compareTo(Numbers.MAX_QUANTITY) < 0);
        assertEquals(0, new BigDecimal("0.1").compareTo(Numbers.quantity("100m")));
        // A zero with a huge exponent is read as the number zero (Jackson strips its zeros), so it costs nothing.
        MeshPolicy zero = read(json("TraceSampling", "{\"maxPercent\":0e-1000000000}", "[]"), false);
        assertEquals(0, ((TraceSamplingParameters) zero.spec().parameters()).maxPercent().signum());
        assertTrue(((TraceSamplingParameters) zero.spec().parameters()).maxPercent().scale() <= Numbers.MAX_EXPONENT);
    }

    /** Finding 7: a YAML error's detail named SnakeYAML's classes; it must name the place and the problem only. */
    @ParameterizedTest
    @ValueSource(strings = {"a: [\nb: }", "a: &x [*x, *x]\nb: *y", "a: !!java.lang.Runtime x", "a: b\na: c",
        "? [a, b]\n: c", "a: \"\\x\"", "a: 'b", "- a\nb: c", "a: !!binary 'not base64'", "a:\tb\n\tc: d",
        "%YAML 9.9\n---\na: b", "a: b\n...\n---\n&a [*a]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[a]]]]",
        "a: !<tag:yaml.org,2002:int> x", "{a: 1, a: 2}", "a: *unknown"})
    void yamlErrorsNameNoClasses(String yaml) {
        DocumentSyntaxException e;
        try {
            Documents.parseOne(yaml.getBytes(StandardCharsets.UTF_8), true);
            return; // some of these are valid YAML (a tag SnakeYAML keeps as text); only errors are judged here
        } catch (DocumentSyntaxException thrown) {
            e = thrown;
        }
        assertFalse(e.getMessage().matches("(?s).*(snakeyaml|jackson|fasterxml|org\\.yaml|java\\.lang|Exception|"
                + "\\b[a-z]+\\.[a-z]+\\.[A-Za-z]+\\.[A-Z]).*"), e.getMessage());
    }
}
