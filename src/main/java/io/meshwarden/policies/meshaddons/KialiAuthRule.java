package io.meshwarden.policies.meshaddons;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.meshwarden.evaluate.Checks;
import io.meshwarden.evaluate.Refs;
import io.meshwarden.evaluate.Remedy;
import io.meshwarden.evaluate.RuleId;
import io.meshwarden.model.Addon;
import io.meshwarden.model.AddonConfig;
import io.meshwarden.model.ClusterSnapshot;
import io.meshwarden.model.Json;
import io.meshwarden.model.OperatorKind;
import io.meshwarden.model.OperatorResource;
import io.meshwarden.model.ResourceRef;
import java.util.Optional;

/**
 * Kiali's {@code auth.strategy}: read from the Kiali operator's {@code Kiali} resource in the server's namespace
 * when there is one (the operator renders the ConfigMap from it), else from the {@code config.yaml} of the
 * ConfigMap the pod mounts. Kiali's default, when neither sets it, is {@code token}.
 */
final class KialiAuthRule {
    static final RuleId ANONYMOUS = new RuleId("addon-kiali-anonymous",
            "Kiali runs with auth.strategy anonymous: anyone who reaches it sees, and may change, the mesh");
    static final String ANONYMOUS_STRATEGY = "anonymous";
    static final String SAFE_STRATEGY = "token";

    private KialiAuthRule() {
    }

    static void check(FoundAddon a, ClusterSnapshot snapshot, Checks checks) {
        if (a.addon() != Addon.KIALI) {
            return;
        }
        String ns = a.workload().namespace();
        for (OperatorResource cr : snapshot.operatorResources(OperatorKind.KIALI)) {
            if (!cr.namespace().equals(ns)) {
                continue;
            }
            String strategy = cr.spec().path("auth").path("strategy").asText(SAFE_STRATEGY);
            if (!ANONYMOUS_STRATEGY.equals(strategy)) {
                checks.pass();
                return;
            }
            ResourceRef ref = new ResourceRef(cr.apiVersion(), cr.kind().kindName(), cr.namespace(), cr.name());
            checks.fail(ANONYMOUS, ref, null, "spec.auth.strategy", "not anonymous", ANONYMOUS_STRATEGY,
                    a.describe() + " is configured by " + cr.ref() + " with auth.strategy anonymous",
                    new Remedy(ref, Remedy.PATCH, Json.nest("spec.auth.strategy", Json.F.textNode(SAFE_STRATEGY)),
                            true, "The Kiali operator re-deploys the server with token login: users sign in with a "
                                    + "Kubernetes token and see what their RBAC allows."));
            return;
        }
        Optional<AddonConfig> cm = AddonConfigs.mounted(a, snapshot, AddonConfig.KIALI_CONFIG);
        if (cm.isEmpty()) {
            checks.pass();
            return;
        }
        JsonNode config = Json.parseYaml(cm.get().data().get(AddonConfig.KIALI_CONFIG));
        String strategy = config == null ? SAFE_STRATEGY
                : config.path("auth").path("strategy").asText(SAFE_STRATEGY);
        if (!ANONYMOUS_STRATEGY.equals(strategy)) {
            checks.pass();
            return;
        }
        ResourceRef ref = new ResourceRef("v1", "ConfigMap", cm.get().namespace(), cm.get().name());
        ObjectNode fixed = config.deepCopy();
        fixed.withObject("/auth").put("strategy", SAFE_STRATEGY);
        ObjectNode patch = Json.F.objectNode();
        patch.putObject("data").put(AddonConfig.KIALI_CONFIG, Json.toYaml(fixed));
        checks.fail(ANONYMOUS, ref, null, "data[\"config.yaml\"].auth.strategy", "not anonymous",
                ANONYMOUS_STRATEGY, a.describe() + " reads " + cm.get().ref()
                        + " whose auth.strategy is anonymous: anyone who reaches Kiali acts with Kiali's own "
                        + "ServiceAccount",
                new Remedy(ref, Remedy.PATCH, patch, false, "Kiali reads its configuration at start: restart it "
                        + "(kubectl rollout restart " + a.workload().kind().kindName().toLowerCase(java.util.Locale.ROOT)
                        + "/" + a.workload().name() + " -n " + ns + "). The other keys of config.yaml are kept."));
    }
}
