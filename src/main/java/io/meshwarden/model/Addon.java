package io.meshwarden.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The observability add-ons Istio ships as demo manifests ({@code samples/addons} of istio/istio), and how they are
 * recognised wherever they run: by image repository, by the {@code app} / {@code app.kubernetes.io/name} label the
 * manifests set, or by the object name they use. A namespace alone says nothing: teams move them.
 */
public enum Addon {
    KIALI("kiali", List.of("kiali/kiali"), "Kiali"),
    GRAFANA("grafana", List.of("grafana/grafana"), "Grafana"),
    JAEGER("jaeger", List.of("jaegertracing/all-in-one", "jaegertracing/jaeger"), "Jaeger"),
    PROMETHEUS("prometheus", List.of("prom/prometheus", "prometheus/prometheus"), "Prometheus");

    public static final String APP = "app";
    public static final String APP_NAME = "app.kubernetes.io/name";
    /** Set by prometheus-operator on the StatefulSets it manages: those are not the demo Deployment. */
    static final String OPERATOR_PROMETHEUS = "operator.prometheus.io/name";

    private final String id;
    private final List<String> images;
    private final String title;

    Addon(String id, List<String> images, String title) {
        this.id = id;
        this.images = images;
        this.title = title;
    }

    /** The wire name, as policies list it. */
    public String id() {
        return id;
    }

    public String title() {
        return title;
    }

    public static List<String> ids() {
        return java.util.Arrays.stream(values()).map(Addon::id).toList();
    }

    public static Optional<Addon> byId(String id) {
        for (Addon a : values()) {
            if (a.id.equals(id)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * Which add-on a workload is, if any: an image match wins, then the app labels, then the object name.
     *
     * @param images the images of the pod template's containers
     */
    public static Optional<Addon> detect(String name, Map<String, String> labels, Map<String, String> podLabels,
            List<String> images) {
        if (podLabels.containsKey(OPERATOR_PROMETHEUS) || labels.containsKey(OPERATOR_PROMETHEUS)) {
            return Optional.empty();
        }
        for (String image : images) {
            String repo = repository(image);
            for (Addon a : values()) {
                for (String known : a.images) {
                    if (repo.equals(known) || repo.endsWith("/" + known)) {
                        return Optional.of(a);
                    }
                }
            }
        }
        for (Addon a : values()) {
            if (a.id.equals(podLabels.get(APP)) || a.id.equals(podLabels.get(APP_NAME))
                    || a.id.equals(labels.get(APP)) || a.id.equals(labels.get(APP_NAME)) || a.id.equals(name)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** {@code docker.io/grafana/grafana:12.0.1@sha256:...} to {@code docker.io/grafana/grafana}. */
    static String repository(String image) {
        if (image == null) {
            return "";
        }
        int at = image.indexOf('@');
        String s = at < 0 ? image : image.substring(0, at);
        int colon = s.lastIndexOf(':');
        return colon > s.lastIndexOf('/') ? s.substring(0, colon) : s;
    }
}
