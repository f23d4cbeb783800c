package io.meshwarden.policies.meshaddons;

import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.Addon;
import io.meshwarden.model.AddonConfig;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.PodDetails;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Grafana open to anyone: anonymous access on, or the admin password left at Grafana's default {@code admin}.
 * Environment variables ({@code GF_<SECTION>_<KEY>}) override {@code grafana.ini}, as Grafana reads them.
 */
final class GrafanaAuthRule {
    static final RuleId OPEN = new RuleId("addon-grafana-open",
            "Grafana allows anonymous access or keeps the default admin password");
    static final String ANON_ENV = "GF_AUTH_ANONYMOUS_ENABLED";
    static final String PASSWORD_ENV = "GF_SECURITY_ADMIN_PASSWORD";
    static final String DEFAULT_PASSWORD = "admin";

    private GrafanaAuthRule() {
    }

    static void check(FoundAddon a, ClusterSnapshot snapshot, Checks checks) {
        if (a.addon() != Addon.GRAFANA) {
            return;
        }
        PodDetails.Container c = a.main();
        if (c == null) {
            return;
        }
        Optional<AddonConfig> cm = AddonConfigs.mounted(a, snapshot, AddonConfig.GRAFANA_INI);
        Map<String, String> ini = cm.isEmpty() ? Map.of() : AddonConfigs.ini(cm.get().data().get(AddonConfig.GRAFANA_INI));
        List<String> problems = new ArrayList<>();
        String path = a.containerPath(c) + ".env";
        String anonymous = c.env().containsKey(ANON_ENV) ? c.env().get(ANON_ENV) : ini.get("auth.anonymous.enabled");
        if ("true".equalsIgnoreCase(anonymous)) {
            String role = c.env().getOrDefault("GF_AUTH_ANONYMOUS_ORG_ROLE", ini.getOrDefault("auth.anonymous.org_role",
                    "Viewer"));
            problems.add("anonymous access is on (role " + role + ", " + (c.env().containsKey(ANON_ENV) ? ANON_ENV
                    : "grafana.ini [auth.anonymous] enabled") + ")");
            path = c.env().containsKey(ANON_ENV) ? path + "[" + ANON_ENV + "]" : "data[\"grafana.ini\"]";
        }
        String password = password(c, ini);
        if (DEFAULT_PASSWORD.equals(password)) {
            problems.add("the admin password is Grafana's default \"admin\" ("
                    + (c.env().containsKey(PASSWORD_ENV) ? PASSWORD_ENV + " set to it" : "nothing sets another") + ")");
            if (problems.size() == 1) {
                path = a.containerPath(c) + ".env[" + PASSWORD_ENV + "]";
            }
        }
        if (problems.isEmpty()) {
            checks.pass();
            return;
        }
        checks.fail(OPEN, Refs.of(a.workload()), null, path, "anonymous access off, admin password from a Secret",
                String.join("; ", problems), a.describe() + ": " + String.join("; ", problems),
                Remedy.none(Refs.of(a.workload()), "Set " + ANON_ENV + "=false and take the admin password from a "
                        + "Secret (env valueFrom.secretKeyRef, or the grafana chart's admin.existingSecret); "
                        + Replacements.of(Addon.GRAFANA) + ". No merge patch can change one env entry safely."));
    }

    /** The literal admin password, or null when it comes from a Secret or a file. */
    static String password(PodDetails.Container c, Map<String, String> ini) {
        if (c.envFrom().contains(PASSWORD_ENV) || c.envFrom().contains(PASSWORD_ENV + "__FILE")
                || c.env().containsKey(PASSWORD_ENV + "__FILE")) {
            return null;
        }
        if (c.env().containsKey(PASSWORD_ENV)) {
            return c.env().get(PASSWORD_ENV);
        }
        String fromIni = ini.get("security.admin_password");
        if (fromIni != null) {
            // $__file{...} and $__env{...} expand at start: not a literal we can judge.
            return fromIni.startsWith("$__") ? null : fromIni;
        }
        return DEFAULT_PASSWORD;
    }
}
