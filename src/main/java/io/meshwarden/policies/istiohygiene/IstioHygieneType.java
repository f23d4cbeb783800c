package io.meshwarden.policies.istiohygiene;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.PolicyKind;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.evaluate.RuleOutcome;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.policy.Field;
import io.meshwarden.policy.MeshPolicy;
import io.meshwarden.policy.Parameters;
import io.meshwarden.policy.Shape;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** IstioHygiene: the Istio annotations on pod templates and namespaces are ones Istio reads, with valid values. */
public final class IstioHygieneType implements PolicyKind {
    public static final IstioHygieneType TYPE = new IstioHygieneType();

    /** A qualified Kubernetes annotation key: an optional DNS prefix and a name of at most 63 characters. */
    private static final Pattern KEY = Pattern.compile(
            "([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}"
                    + "[A-Za-z0-9])?");
    private static final Shape PARAMETERS = Shape.of(
            new Field.Enum("deprecated", List.of("report", "ignore"), "report", "report: an annotation Istio marks "
                    + "deprecated is a finding (istio-annotation-deprecated); ignore: it passes"),
            new Field.StringList("allowedAnnotations", 0, Field.stringItem(null, 316),
                    k -> k.length() <= 316 && KEY.matcher(k).matches() ? null
                            : "must be a Kubernetes annotation key such as sidecar.istio.io/newKey, got '" + k + "'",
                    List.of(), "", "Annotation keys to accept although the Istio versions Meshwarden knows do not "
                            + "define them (keys of a newer Istio)"));

    private IstioHygieneType() {
    }

    public String name() {
        return "IstioHygiene";
    }

    public String description() {
        return "Istio annotations on pod templates and namespaces are keys Istio defines, with valid quantities and "
                + "a valid proxy.istio.io/config";
    }

    public Shape parameters() {
        return PARAMETERS;
    }

    public Parameters read(Shape.Values v) {
        return new IstioHygieneParameters("report".equals(v.string("deprecated")),
                new TreeSet<>(v.strings("allowedAnnotations")));
    }

    public void write(Parameters parameters, ObjectNode o) {
        IstioHygieneParameters p = (IstioHygieneParameters) parameters;
        o.put("deprecated", p.reportDeprecated() ? "report" : "ignore");
        new TreeSet<>(p.allowedAnnotations()).forEach(o.putArray("allowedAnnotations")::add);
    }

    public List<RuleId> rules() {
        return List.of(AnnotationRule.UNKNOWN, AnnotationRule.DEPRECATED, QuantityRule.INVALID,
                ProxyConfigRule.INVALID);
    }

    public RuleOutcome evaluate(MeshPolicy policy, ClusterSnapshot snapshot) {
        return Hygiene.evaluate(policy, snapshot);
    }
}
