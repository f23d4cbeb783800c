package io.meshwarden.policies.meshaddons;

import io.meshwarden.model.Addon;

/** What to run instead of the demo manifest, per add-on: the maintained Helm chart or operator. */
final class Replacements {
    private Replacements() {
    }

    static String of(Addon a) {
        return switch (a) {
            case KIALI -> "install Kiali with the Kiali operator or the kiali-server Helm chart "
                    + "(https://kiali.io/docs/installation/installation-guide/) with auth.strategy token or openid";
            case GRAFANA -> "install Grafana with the grafana Helm chart (https://github.com/grafana/helm-charts) "
                    + "with persistence.enabled, admin.existingSecret and anonymous access off";
            case JAEGER -> "install Jaeger with its Helm chart or the OpenTelemetry operator "
                    + "(https://www.jaegertracing.io/docs/latest/deployment/) backed by a real storage "
                    + "(Elasticsearch, OpenSearch, Cassandra)";
            case PROMETHEUS -> "install Prometheus with prometheus-operator or the kube-prometheus-stack Helm chart "
                    + "(https://github.com/prometheus-community/helm-charts) with persistent storage";
        };
    }

    /** The demo manifest to remove. */
    static String sample(Addon a) {
        return "samples/addons/" + a.id() + ".yaml";
    }
}
