package io.meshwarden.policies.headerremoval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.PolicyCodec;
import io.meshwarden.policy.Shape;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** HeaderRemoval: ingress responses must not leak Envoy's internal headers. */
public final class HeaderRemovalType implements PolicyKind {
    public static final HeaderRemovalType TYPE = new HeaderRemovalType();

    public static final List<String> DEFAULT_HEADERS = List.of("x-envoy-upstream-service-time",
            "x-envoy-decorator-operation");
    public static final Map<String, String> DEFAULT_GATEWAY_SELECTOR = Map.of("istio", "ingressgateway");

    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9a-z]+");
    private static final Shape PARAMETERS = Shape.of(
            new Field.Labels("gatewaySelector", 1, "must have at least one label (an empty selector matches every "
                    + "proxy)", DEFAULT_GATEWAY_SELECTOR, "Pod labels of the gateways to check"),
            new Field.StringList("headers", 1, Field.stringItem("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", null),
                    h -> HEADER_NAME.matcher(h.toLowerCase(Locale.ROOT)).matches() ? null
                            : "must be an HTTP header name (token characters only), got '" + h + "'",
                    DEFAULT_HEADERS, "must name at least one header",
                    "Response headers that must not leave the gateway (case-insensitive)"));

    private HeaderRemovalType() {
    }

    public String name() {
        return "HeaderRemoval";
    }

    public String description() {
        return "Ingress gateways strip Envoy's internal response headers";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        List<String> normalized = new ArrayList<>();
        v.strings("headers").forEach(h -> normalized.add(h.toLowerCase(Locale.ROOT)));
        return new HeaderRemovalParameters(new TreeMap<>(v.labels("gatewaySelector")),
                List.copyOf(new LinkedHashSet<>(normalized)));
    }

    public void write(Parameters parameters, ObjectNode o) {
        HeaderRemovalParameters hr = (HeaderRemovalParameters) parameters;
        PolicyCodec.putMap(o.putObject("gatewaySelector"), hr.gatewaySelector());
        hr.headers().forEach(o.putArray("headers")::add);
    }

    public List<RuleId> rules() {
        return List.of(HeaderRemovalRule.NOT_REMOVED);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return HeaderRemovalRule.evaluate(policy, snapshot);
    }
}
