package io.meshwarden.policies.istiohygiene;

import static io.meshwarden.testing.Fixtures.deployment;
import static io.meshwarden.testing.Fixtures.findings;
import static io.meshwarden.testing.Fixtures.json;
import static io.meshwarden.testing.Fixtures.namespace;
import static io.meshwarden.testing.Fixtures.only;
import static io.meshwarden.testing.Fixtures.policy;
import static io.meshwarden.testing.Fixtures.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.evaluate.Finding;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.PolicyValidationException;
import org.junit.jupiter.api.Test;

class IstioHygieneTypeTest {
    static final MeshPolicy POLICY = policy("hygiene", "IstioHygiene", "{}", "target: {namespaces: {include: [shop]}}");
    static final String SHOP = namespace("shop", "{istio-injection: enabled}");

    static RuleOutcome run(MeshPolicy p, String... docs) {
        return IstioHygieneType.TYPE.evaluate(p, snapshot(docs));
    }

    static RuleOutcome pod(String podAnnotations) {
        return run(POLICY, SHOP, deployment("shop", "cart", 2, "{app: cart}", podAnnotations));
    }

    // ------------------------------------------------------------------ unknown keys

    @Test
    void aKeyInTheWrongCaseIsUnknownAndRenamedToTheKeyMeant() {
        RuleOutcome o = pod("{sidecar.istio.io/proxyCpu: 500m}");
        Finding f = only(o, "istio-annotation-unknown");
        assertEquals(new ResourceRef("apps/v1", "Deployment", "shop", "cart"), f.resource());
        assertEquals("spec.template.metadata.annotations[\"sidecar.istio.io/proxyCpu\"]", f.path());
        assertEquals("sidecar.istio.io/proxyCPU", f.expected());
        assertTrue(f.message().contains("did you mean sidecar.istio.io/proxyCPU?"), f.message());
        Remedy r = f.remedy();
        assertEquals(Remedy.PATCH, r.action());
        assertTrue(r.restartsPods());
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sidecar.istio.io/proxyCpu\":null,"
                + "\"sidecar.istio.io/proxyCPU\":\"500m\"}}}}}"), r.patch());
    }

    @Test
    void typosNameTheClosestKey() {
        assertEquals("sidecar.istio.io/inject", only(pod("{sidecar.istio.io/injet: \"false\"}"),
                "istio-annotation-unknown").expected());
        assertEquals("traffic.sidecar.istio.io/excludeOutboundPorts", only(pod(
                "{traffic.sidecar.istio.io/excludeOutboundPort: \"5432\"}"), "istio-annotation-unknown").expected());
        assertEquals("proxy.istio.io/config", only(pod("{proxy.istio.io/cofnig: \"{}\"}"),
                "istio-annotation-unknown").expected());
    }

    @Test
    void aTypoOfTheDeprecatedInjectAnnotationGoesStraightToTheLabel() {
        Finding f = only(pod("{sidecar.istio.io/injet: \"false\"}"), "istio-annotation-unknown");
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sidecar.istio.io/injet\":null},"
                + "\"labels\":{\"sidecar.istio.io/inject\":\"false\"}}}}}"), f.remedy().patch());
        assertTrue(f.remedy().note().contains("to its labels as sidecar.istio.io/inject"), f.remedy().note());
    }

    @Test
    void aJobsTemplateIsImmutableSoItsRemedyIsAdvice() {
        RuleOutcome o = run(POLICY, SHOP, """
                ---
                apiVersion: batch/v1
                kind: Job
                metadata: {name: migrate, namespace: shop}
                spec:
                  template:
                    metadata: {annotations: {sidecar.istio.io/proxyCpu: 100m, sidecar.istio.io/inject: "false"}}
                    spec: {restartPolicy: Never, containers: [{name: job, image: job}]}
                """);
        Finding unknown = only(o, "istio-annotation-unknown");
        assertEquals(Remedy.NONE, unknown.remedy().action());
        assertTrue(unknown.remedy().note().startsWith("Job templates are immutable: rename sidecar.istio.io/proxyCpu"),
                unknown.remedy().note());
        assertEquals(Remedy.NONE, only(o, "istio-annotation-deprecated").remedy().action());
    }

    @Test
    void aKeyFarFromEveryKnownOneGetsNoSuggestionAndNoPatch() {
        Finding f = only(pod("{sidecar.istio.io/warpDrive: engaged}"), "istio-annotation-unknown");
        assertEquals("a key Istio defines", f.expected());
        assertTrue(f.message().contains("is not an annotation Istio defines"), f.message());
        assertEquals(Remedy.NONE, f.remedy().action());
    }

    @Test
    void aRenameThatWouldOverwriteTheRightKeyIsLeftToAPerson() {
        Finding f = only(pod("{sidecar.istio.io/proxyCpu: 500m, sidecar.istio.io/proxyCPU: 200m}"),
                "istio-annotation-unknown");
        assertEquals(Remedy.NONE, f.remedy().action());
        assertTrue(f.remedy().note().contains("also sets sidecar.istio.io/proxyCPU (200m)"), f.remedy().note());
    }

    @Test
    void knownKeysTemplateOnlyKeysAndOtherDomainsPass() {
        RuleOutcome o = pod("{sidecar.istio.io/proxyCPU: 100m, traffic.sidecar.istio.io/excludeInboundPorts: \"9090\","
                + " sidecar.istio.io/capNetBindService: \"true\", example.com/team: shop,"
                + " prometheus.istio.io/secure-port: \"15443\", istio.io/some-future-thing: x}");
        assertEquals(0, o.findings().size(), () -> o.findings().toString());
        // proxyCPU twice (its key, its quantity), excludeInboundPorts, capNetBindService; the others are not looked at
        assertEquals(4, o.checks());
    }

    @Test
    void allowedAnnotationsAreAccepted() {
        MeshPolicy p = policy("hygiene", "IstioHygiene", "{allowedAnnotations: [sidecar.istio.io/warpDrive]}",
                "target: {namespaces: {include: [shop]}}");
        RuleOutcome o = run(p, SHOP, deployment("shop", "cart", 2, "{app: cart}",
                "{sidecar.istio.io/warpDrive: engaged}"));
        assertEquals(0, o.findings().size());
    }

    @Test
    void anIstioLabelWrittenAsAPodAnnotationIsMovedToTheLabels() {
        Finding f = only(pod("{istio.io/dataplane-mode: none}"), "istio-annotation-unknown");
        assertTrue(f.message().contains("is an Istio label, not an annotation"), f.message());
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"istio.io/dataplane-mode\":null},"
                + "\"labels\":{\"istio.io/dataplane-mode\":\"none\"}}}}}"), f.remedy().patch());
    }

    @Test
    void namespacesMustNotCarryPodAnnotationsOrLabelsAsAnnotations() {
        RuleOutcome o = run(POLICY, namespace("shop", "{}", "{istio.io/dataplane-mode: ambient, "
                + "sidecar.istio.io/proxyCPU: 200m, example.com/owner: team-a}"),
                namespace("other", "{}", "{sidecar.istio.io/proxyCPU: 200m}"));
        var found = findings(o, "istio-annotation-unknown");
        assertEquals(2, found.size(), () -> found.toString());
        assertTrue(found.stream().allMatch(f -> f.resource().equals(new ResourceRef("v1", "Namespace", null,
                "shop"))));
        assertTrue(found.stream().anyMatch(f -> f.message().contains("istio.io/dataplane-mode is an Istio label")));
        assertTrue(found.stream().anyMatch(f -> f.message().contains("is an annotation of Pod, not of namespaces")));
        assertTrue(found.stream().allMatch(f -> f.remedy().action().equals(Remedy.NONE)));
    }

    // ------------------------------------------------------------------ deprecated keys

    @Test
    void theDeprecatedInjectAnnotationMovesToTheLabel() {
        Finding f = only(pod("{sidecar.istio.io/inject: \"false\"}"), "istio-annotation-deprecated");
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sidecar.istio.io/inject\":null},"
                + "\"labels\":{\"sidecar.istio.io/inject\":\"false\"}}}}}"), f.remedy().patch());
        assertTrue(f.message().contains("use the label sidecar.istio.io/inject instead"), f.message());
    }

    @Test
    void withTheLabelAlreadySetTheRemedyOnlyDropsTheAnnotation() {
        RuleOutcome o = run(POLICY, SHOP, deployment("shop", "cart", 2, "{app: cart, sidecar.istio.io/inject: \"false\"}",
                "{sidecar.istio.io/inject: \"false\"}"));
        assertEquals(json("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sidecar.istio.io/inject\":null}}}}}"),
                only(o, "istio-annotation-deprecated").remedy().patch());
    }

    @Test
    void aDeprecatedKeyThatIsNoLabelGetsNoPatch() {
        Finding f = only(pod("{sidecar.istio.io/statsInclusionPrefixes: cluster.outbound}"),
                "istio-annotation-deprecated");
        assertEquals(Remedy.NONE, f.remedy().action());
        assertTrue(f.message().endsWith("is deprecated in Istio's annotation definitions."), f.message());
    }

    @Test
    void deprecatedKeysPassWhenThePolicyIgnoresThem() {
        MeshPolicy p = policy("hygiene", "IstioHygiene", "{deprecated: ignore}",
                "target: {namespaces: {include: [shop]}}");
        RuleOutcome o = run(p, SHOP, deployment("shop", "cart", 2, "{app: cart}",
                "{sidecar.istio.io/statsInclusionPrefixes: cluster.outbound}"));
        assertEquals(0, o.findings().size());
        assertEquals(1, o.checks());
    }

    // ------------------------------------------------------------------ quantities

    @Test
    void unparsableQuantitiesAreFound() {
        Finding f = only(pod("{sidecar.istio.io/proxyCPU: 200 m}"), "istio-proxy-resources-invalid");
        assertEquals("spec.template.metadata.annotations[\"sidecar.istio.io/proxyCPU\"]", f.path());
        assertEquals("'200 m'", f.actual());
        assertTrue(f.message().contains("Istio's injector refuses such a pod"), f.message());
        assertEquals(Remedy.NONE, f.remedy().action());
        assertEquals(1, findings(pod("{sidecar.istio.io/proxyMemory: 128MB}"), "istio-proxy-resources-invalid").size());
        assertEquals(1, findings(pod("{sidecar.istio.io/proxyMemoryLimit: \"\"}"), "istio-proxy-resources-invalid")
                .size());
    }

    @Test
    void negativeAndOutOfBoundsQuantitiesAreFoundWithTheirOwnReason() {
        assertTrue(only(pod("{sidecar.istio.io/proxyCPU: \"-100m\"}"), "istio-proxy-resources-invalid").message()
                .contains("must not be negative"));
        Finding huge = only(pod("{sidecar.istio.io/proxyMemory: 1e30}"), "istio-proxy-resources-invalid");
        assertTrue(huge.message().contains("Meshwarden's quantity bounds"), huge.message());
    }

    @Test
    void aRequestAboveItsLimitIsFound() {
        RuleOutcome o = pod("{sidecar.istio.io/proxyCPU: \"2\", sidecar.istio.io/proxyCPULimit: 1500m,"
                + " sidecar.istio.io/proxyMemory: 128Mi, sidecar.istio.io/proxyMemoryLimit: 1Gi}");
        Finding f = only(o, "istio-proxy-resources-invalid");
        assertEquals("at most 1500m", f.expected());
        assertTrue(f.message().contains("is above sidecar.istio.io/proxyCPULimit"), f.message());
        // four keys + four quantities + two pairs
        assertEquals(10, o.checks());
    }

    @Test
    void workloadsThatAreNotInjectedSaySo() {
        RuleOutcome o = run(POLICY, namespace("shop", "{}"), deployment("shop", "cart", 2, "{app: cart}",
                "{sidecar.istio.io/proxyCPU: lots}"));
        assertTrue(only(o, "istio-proxy-resources-invalid").message().contains("Its pods are not injected now"));
    }

    // ------------------------------------------------------------------ proxy.istio.io/config

    static RuleOutcome proxyConfig(String yaml) {
        return pod("{proxy.istio.io/config: " + Fixtures2.quote(yaml) + "}");
    }

    @Test
    void anUnknownProxyConfigFieldIsDroppedByIstioAndNamedHere() {
        Finding f = only(proxyConfig("holdApplicationUntilProxyStart: true\nterminationDrainDuration: 30s\n"),
                "istio-proxy-config-invalid");
        assertTrue(f.message().contains("holdApplicationUntilProxyStart: unknown field of ProxyConfig; did you mean "
                + "holdApplicationUntilProxyStarts?"), f.message());
        assertTrue(f.message().contains("Istio accepts this without a word (it drops unknown fields"), f.message());
    }

    @Test
    void nestedUnknownFieldsAndEnumValuesNameTheirPaths() {
        Finding f = only(proxyConfig("tracing: {samplng: 10}\ninterceptionMode: TPROXYY\n"),
                "istio-proxy-config-invalid");
        assertTrue(f.message().contains("tracing.samplng: unknown field of Tracing; did you mean sampling?"),
                f.message());
        assertTrue(f.message().contains("interceptionMode: must be one of REDIRECT, TPROXY, NONE, got 'TPROXYY'; did "
                + "you mean TPROXY?"), f.message());
        assertTrue(f.message().contains("Istio's injector refuses this annotation"), f.message());
    }

    @Test
    void wrongTypesAreFound() {
        Finding f = only(proxyConfig("proxyMetadata: {ISTIO_META_DNS_CAPTURE: true}\ndrainDuration: 45\n"
                + "concurrency: two\nholdApplicationUntilProxyStarts: \"yes\"\nextraStatTags: foo\n"
                + "proxyStatsMatcher: [a]\nstatusPort: 99999999999\n"), "istio-proxy-config-invalid");
        for (String expected : new String[] {"proxyMetadata.ISTIO_META_DNS_CAPTURE: must be a string, got true",
            "drainDuration: must be a duration string", "concurrency: must be a whole number",
            "holdApplicationUntilProxyStarts: must be true or false", "extraStatTags: must be a list",
            "proxyStatsMatcher: must be a mapping of ProxyStatsMatcher fields", "statusPort: must be between"}) {
            assertTrue(f.message().contains(expected), () -> expected + " in " + f.message());
        }
    }

    @Test
    void whatJsonpbAcceptsPasses() {
        RuleOutcome o = proxyConfig("""
                hold_application_until_proxy_starts: true
                concurrency: "2"
                drainDuration: 1m30s
                terminationDrainDuration: null
                tracing: {sampling: 0.5, zipkin: {address: "zipkin:9411"}, customTags: {env: {literal: {value: x}}}}
                proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}
                interceptionMode: 1
                proxyStatsMatcher: {inclusionRegexps: [".*outlier.*"]}
                image: {imageType: distroless}
                """);
        assertEquals(0, o.findings().size(), () -> o.findings().toString());
        assertEquals(0, proxyConfig("").findings().size());
    }

    @Test
    void unparsableAndNonMappingConfigsAreFound() {
        assertTrue(only(proxyConfig("tracing: {sampling: 1\n"), "istio-proxy-config-invalid").message()
                .contains("not valid YAML"));
        assertTrue(only(proxyConfig("- a\n- b\n"), "istio-proxy-config-invalid").message()
                .contains("must be a mapping of ProxyConfig fields, got a list"));
        // Istio's reader keeps the last of a repeated key: found, but not as a reason for the injector to refuse.
        Finding twice = only(proxyConfig("concurrency: 2\nconcurrency: 3\n"), "istio-proxy-config-invalid");
        assertTrue(twice.message().contains("a key stands twice (line 2), and Istio keeps only the last value"),
                twice.message());
        assertTrue(twice.message().contains("Istio accepts this without a word"), twice.message());
    }

    @Test
    void hostileConfigsCostLittleAndSayLittle() {
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (int i = 0; i < 60; i++) {
            bomb.append("b").append(i).append(": &b").append(i).append(" [*").append(i == 0 ? "a" : "b" + (i - 1))
                    .append(", *").append(i == 0 ? "a" : "b" + (i - 1)).append("]\n");
        }
        Finding bombed = only(proxyConfig(bomb.toString()), "istio-proxy-config-invalid");
        // Jackson's YAML reader does not expand aliases into copies, so the bomb is a handful of unknown fields.
        assertTrue(bombed.message().contains("and 51 more"), bombed.message());
        assertTrue(bombed.message().length() < 3000, bombed.message());
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 500; i++) {
            many.append("unknownField").append(i).append(": 1\n");
        }
        Finding f = only(proxyConfig(many.toString()), "istio-proxy-config-invalid");
        assertTrue(f.message().contains("and 490 more"), f.message());
        assertTrue(f.message().length() < 3000, () -> "message of " + f.message().length());
    }

    @Test
    void aFloodOfBadKeysCostsLittleAndSaysLittle() {
        StringBuilder ann = new StringBuilder("{");
        for (int i = 0; i < 20000; i++) {
            ann.append(i == 0 ? "" : ", ").append("sidecar.istio.io/proxyCP").append(i).append(": x");
        }
        String template = ann.append("}").toString();
        var snapshot = snapshot(namespace("shop", "{istio-injection: enabled}", template),
                deployment("shop", "cart", 2, "{app: cart}", template));
        long start = System.nanoTime();
        RuleOutcome o = IstioHygieneType.TYPE.evaluate(POLICY, snapshot);
        long ms = (System.nanoTime() - start) / 1_000_000;
        var found = findings(o, "istio-annotation-unknown");
        assertEquals(42, found.size(), "per object twenty one by one and one that counts the rest");
        assertTrue(found.stream().filter(f -> f.message().contains("19980 more Istio annotations")).count() == 2);
        assertEquals(42, o.checks());
        assertTrue(ms < 1500, "took " + ms + " ms");
    }

    // ------------------------------------------------------------------ definitions and parameters

    @Test
    void theGeneratedDefinitionsAreWhole() {
        assertEquals(2, IstioApi.API_VERSIONS.size());
        assertTrue(IstioDefinitions.ANNOTATIONS.get("sidecar.istio.io/proxyCPU").appliesTo("Pod"));
        assertTrue(IstioDefinitions.ANNOTATIONS.get("sidecar.istio.io/inject").deprecated());
        assertTrue(IstioDefinitions.ANNOTATIONS.get("sidecar.istio.io/capNetBindService").templateOnly());
        // Every message a field names is defined, so the walk never meets an unknown type.
        for (IstioDefinitions.MessageDef m : IstioDefinitions.MESSAGES.values()) {
            for (IstioDefinitions.FieldDef f : m.byJson().values()) {
                String t = f.type().replaceFirst("^(list:|map:)", "");
                if (t.startsWith("message:")) {
                    assertTrue(IstioDefinitions.MESSAGES.containsKey(t.substring(8)), t);
                }
            }
        }
        assertTrue(IstioDefinitions.MESSAGES.get(IstioDefinitions.PROXY_CONFIG).byJson()
                .containsKey("holdApplicationUntilProxyStarts"));
    }

    @Test
    void closestIsBoundedAndCaseBlind() {
        assertEquals("proxyCPU", IstioDefinitions.closest("proxycpu", java.util.List.of("proxyCPU", "proxyMemory")));
        assertEquals(null, IstioDefinitions.closest("zzzzzzzz", java.util.List.of("proxyCPU", "proxyMemory")));
        assertEquals(1, IstioDefinitions.distance("abcd", "abdc", 5));
        assertEquals(3, IstioDefinitions.distance("a".repeat(300), "b".repeat(300), 3));
    }

    @Test
    void badParametersAreRefusedWithTheirPath() {
        PolicyValidationException e = assertThrows(PolicyValidationException.class, () -> policy("hygiene",
                "IstioHygiene", "{allowedAnnotations: [\"not a key\"], deprecated: maybe}"));
        assertTrue(e.getMessage().contains("allowedAnnotations"), e.getMessage());
        assertTrue(e.getMessage().contains("deprecated"), e.getMessage());
    }
}
