package io.meshwarden.policies.istiohygiene;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.istio.Mesh;
import io.meshwarden.model.Json;
import io.meshwarden.model.NamespaceInfo;
import io.meshwarden.model.ResourceRef;
import io.meshwarden.model.Workload;
import io.meshwarden.model.WorkloadKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Annotation keys against Istio's own definitions ({@link IstioDefinitions}). Looked at: every key in the domains
 * the injector owns ({@link IstioDefinitions#CHECKED_DOMAINS}), and any key that Istio defines as a label but not as
 * an annotation of that kind of object (a label written as an annotation does nothing). Istio ignores an annotation
 * it does not know, so a misspelled key leaves the proxy without what it asks for, silently.
 */
final class AnnotationRule {
    static final RuleId UNKNOWN = new RuleId("istio-annotation-unknown",
            "An Istio annotation on a pod template or namespace is not one Istio reads there (misspelled, unknown, "
                    + "misplaced, or a label)");
    static final RuleId DEPRECATED = new RuleId("istio-annotation-deprecated",
            "An annotation on a pod template or namespace is one Istio marks deprecated");

    private static final String DOCS = "https://istio.io/latest/docs/reference/config/annotations/";
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");
    /** Candidates for suggestions on pods: the keys Istio reads on pods. */
    private static final List<String> POD_KEYS = IstioDefinitions.ANNOTATIONS.values().stream()
            .filter(k -> k.appliesTo("Pod")).map(IstioDefinitions.Key::name).sorted().toList();

    private AnnotationRule() {
    }

    static void workload(Workload w, IstioHygieneParameters p, Checks checks, Mesh.Injection injection) {
        Flood flood = new Flood();
        for (Map.Entry<String, String> e : new TreeMap<>(w.podAnnotations()).entrySet()) {
            String key = e.getKey();
            Problem problem = judge(key, "Pod", p, flood.full());
            if (problem == null) {
                continue;
            }
            String path = Hygiene.templateAnnotation(w, key);
            if (problem.ok()) {
                checks.pass();
            } else if (flood.over(key)) {
                continue;
            } else if (problem.rule() == DEPRECATED) {
                checks.fail(DEPRECATED, Refs.of(w), null, path, problem.expected(), key,
                        w.ref() + ": the pod template annotation " + key + " " + problem.text(),
                        problem.label() ? toLabel(w, key, key, e.getValue(), "Istio reads the label")
                                : Remedy.none(Refs.of(w), "Replace it as Istio's annotation reference says (" + DOCS
                                        + "), or remove it; changing the pod template rolls the workload."));
            } else {
                checks.fail(UNKNOWN, Refs.of(w), null, path, problem.expected(), key,
                        w.ref() + ": the pod template annotation " + key + " " + problem.text()
                                + Hygiene.injectionNote(injection),
                        problem.suggestion() != null ? rename(w, key, problem.suggestion(), e.getValue())
                                : problem.label() ? toLabel(w, key, key, e.getValue(), "Istio reads it as a label")
                                        : Remedy.none(Refs.of(w), "Remove the annotation or correct its key in the "
                                                + "pod template; Istio's annotations: " + DOCS));
            }
        }
        if (flood.more > 0) {
            checks.fail(UNKNOWN, Refs.of(w), null, w.kind().templatePath() + ".metadata.annotations",
                    "at most " + Flood.MAX + " findings per object", flood.more + " more",
                    w.ref() + ": " + flood.more + " more Istio annotations of the pod template are unknown or "
                            + "deprecated (from " + flood.first + " on); only the first " + Flood.MAX
                            + " are reported one by one.", Remedy.none(Refs.of(w), "Clean up the pod template's "
                                    + "annotations; Istio's annotations: " + DOCS));
        }
    }

    /**
     * Bounds what one object costs and says: a template with thousands of bad keys gets {@link #MAX} findings with
     * suggestions and one more finding (one failed check) that counts the rest.
     */
    private static final class Flood {
        static final int MAX = 20;
        int reported;
        int more;
        String first;

        boolean full() {
            return reported >= MAX;
        }

        /** Records a failing key; true when it is beyond the ones reported one by one. */
        boolean over(String key) {
            if (reported < MAX) {
                reported++;
                return false;
            }
            if (more++ == 0) {
                first = key;
            }
            return true;
        }
    }

    static void namespace(NamespaceInfo ns, IstioHygieneParameters p, Checks checks) {
        ResourceRef ref = new ResourceRef("v1", "Namespace", null, ns.name());
        Flood flood = new Flood();
        for (Map.Entry<String, String> e : new TreeMap<>(ns.annotations()).entrySet()) {
            String key = e.getKey();
            Problem problem = judge(key, "Namespace", p, true);
            if (problem == null) {
                continue;
            }
            if (problem.ok()) {
                checks.pass();
                continue;
            }
            if (flood.over(key)) {
                continue;
            }
            String path = "metadata.annotations[\"" + key + "\"]";
            String message = "Namespace " + ns.name() + ": the annotation " + key + " " + problem.text();
            String fix = problem.label()
                    ? "Move it to the namespace's labels: kubectl label namespace " + ns.name() + " " + key + "="
                            + e.getValue() + " && kubectl annotate namespace " + ns.name() + " " + key + "-"
                    : "Remove it (kubectl annotate namespace " + ns.name() + " " + key + "-), and set what it asks "
                            + "for on the pod templates instead.";
            checks.fail(problem.rule(), ref, null, path, problem.expected(), key, message, Remedy.none(ref, fix));
        }
        if (flood.more > 0) {
            checks.fail(UNKNOWN, ref, null, "metadata.annotations", "at most " + Flood.MAX + " findings per object",
                    flood.more + " more", "Namespace " + ns.name() + ": " + flood.more + " more Istio annotations are "
                            + "misplaced, labels or deprecated (from " + flood.first + " on); only the first "
                            + Flood.MAX + " are reported one by one.", Remedy.none(ref, "Clean up the namespace's "
                                    + "annotations."));
        }
    }

    /**
     * @param ok         looked at, and fine
     * @param suggestion a close key Istio reads here, or null
     * @param label      the key is an Istio label of this kind of object
     */
    record Problem(boolean ok, RuleId rule, String text, String expected, String suggestion, boolean label) {
        static final Problem OK = new Problem(true, null, null, null, null, false);
    }

    /**
     * What is wrong with one key; null when the key is none of this policy's business.
     *
     * @param noSuggestion skip the search for a close key (namespaces get none; a flooded object no more)
     */
    static Problem judge(String key, String resource, IstioHygieneParameters p, boolean noSuggestion) {
        if (p.allowedAnnotations().contains(key)) {
            return null;
        }
        IstioDefinitions.Key def = IstioDefinitions.ANNOTATIONS.get(key);
        IstioDefinitions.Key label = IstioDefinitions.LABELS.get(key);
        boolean checked = IstioDefinitions.checked(key);
        boolean labelHere = label != null && label.appliesTo(resource);
        if (def != null && def.appliesTo(resource)) {
            if (def.deprecated() && p.reportDeprecated()) {
                return new Problem(false, DEPRECATED, "is deprecated in Istio's annotation definitions"
                        + (labelHere ? "; use the label " + key + " instead" : "") + ".", "no deprecated "
                                + "annotation", null, labelHere);
            }
            return Problem.OK;
        }
        if (labelHere) {
            return new Problem(false, UNKNOWN, "is an Istio label, not an annotation" + (def != null
                    ? " of " + plural(resource) : "") + ": as an annotation it does nothing.", "the label " + key,
                    null, true);
        }
        if (def != null && checked) {
            return new Problem(false, UNKNOWN, "is an annotation of " + String.join(", ", new java.util.TreeSet<>(
                    def.resources())) + ", not of " + plural(resource) + ": Istio ignores it here.",
                    "no " + key + " on " + plural(resource), null, false);
        }
        if (!checked) {
            return null;
        }
        String suggestion = resource.equals("Pod") && !noSuggestion ? IstioDefinitions.closest(key, POD_KEYS) : null;
        return new Problem(false, UNKNOWN, "is not an annotation Istio defines (istio.io/api "
                + String.join(", ", IstioApi.API_VERSIONS) + ")" + (suggestion != null ? "; did you mean "
                        + suggestion + "?" : ".") + " Istio ignores it without a word.",
                suggestion != null ? suggestion : "a key Istio defines", suggestion, false);
    }

    private static String plural(String resource) {
        return resource.equals("Pod") ? "pods" : "namespaces";
    }

    /** A merge patch that moves the value to the right key; a patch's null removes the wrong one. */
    private static Remedy rename(Workload w, String from, String to, String value) {
        if (w.kind() == WorkloadKind.JOB) {
            return jobImmutable(w, "rename " + from + " to " + to);
        }
        IstioDefinitions.Key meant = IstioDefinitions.ANNOTATIONS.get(to);
        IstioDefinitions.Key label = IstioDefinitions.LABELS.get(to);
        if (meant != null && meant.deprecated() && label != null && label.appliesTo("Pod")) {
            // The key meant is deprecated in favour of the label of that name (sidecar.istio.io/inject): go there.
            return toLabel(w, from, to, value, "the key meant, " + to + ", is read as a label; its annotation is "
                    + "deprecated");
        }
        if (w.podAnnotations().containsKey(to)) {
            return Remedy.none(Refs.of(w), "The pod template also sets " + to + " (" + w.podAnnotations().get(to)
                    + "): remove " + from + " after checking which value is meant.");
        }
        ObjectNode annotations = Json.F.objectNode();
        annotations.putNull(from);
        annotations.put(to, value);
        return new Remedy(Refs.of(w), Remedy.PATCH, Json.nest(w.kind().templatePath() + ".metadata.annotations",
                annotations), true, "Renames the annotation to " + to + "; changing the pod template rolls the "
                        + "workload.");
    }

    /** A Job's pod template cannot change; its owner (a CronJob, chart or pipeline) must. */
    private static Remedy jobImmutable(Workload w, String change) {
        return Remedy.none(Refs.of(w), "Job templates are immutable: " + change + " in the owner that creates this "
                + "Job (CronJob, chart or pipeline), and let the next run pick it up.");
    }

    /**
     * Moves the annotation {@code key} to the pod template's label {@code label}, unless that label is set already to
     * another value or the value cannot be a label value.
     */
    private static Remedy toLabel(Workload w, String key, String label, String value, String why) {
        if (w.kind() == WorkloadKind.JOB) {
            return jobImmutable(w, "move " + key + " to the label " + label);
        }
        String existing = w.podLabels().get(label);
        if (existing != null && !existing.equals(value)) {
            return Remedy.none(Refs.of(w), "The pod template's label " + label + " is \"" + existing + "\" and wins; "
                    + "remove the annotation " + key + " after checking which value is meant.");
        }
        if (!LABEL_VALUE.matcher(value).matches()) {
            return Remedy.none(Refs.of(w), "Move it to the pod template's labels (" + why + "); its value is not a "
                    + "valid label value as it stands.");
        }
        ObjectNode metadata = Json.F.objectNode();
        metadata.putObject("annotations").putNull(key);
        if (existing == null) {
            metadata.putObject("labels").put(label, value);
        }
        List<String> notes = new ArrayList<>();
        notes.add("Moves " + key + " from the pod template's annotations to its labels" + (label.equals(key) ? ""
                : " as " + label) + " (" + why + ").");
        notes.add("Changing the pod template rolls the workload.");
        return new Remedy(Refs.of(w), Remedy.PATCH, Json.nest(w.kind().templatePath() + ".metadata", metadata), true,
                String.join(" ", notes));
    }
}
