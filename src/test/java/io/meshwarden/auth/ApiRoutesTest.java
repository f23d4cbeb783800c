package io.meshwarden.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiRoutesTest {

    private static Access a(String method, String path) {
        return ApiRoutes.access(method, path, null);
    }

    private static void check(Access access, String verb, String name, boolean enforcement, String operation) {
        assertEquals(new Access(verb, name, enforcement, operation), access);
    }

    @Test
    void everyRouteOfTheApiHasItsVerb() {
        check(a("GET", "/api/v1/policies"), "list", null, false, "policy.list");
        check(a("POST", "/api/v1/policies"), "create", null, false, "policy.create");
        check(a("POST", "/api/v1/policies/validate"), "create", null, false, "policy.validate");
        check(a("GET", "/api/v1/policies/ha"), "get", "ha", false, "policy.get");
        check(a("HEAD", "/api/v1/policies/ha"), "get", "ha", false, "policy.get");
        // "validate" is also a valid policy name: only POST is the validation endpoint.
        check(a("GET", "/api/v1/policies/validate"), "get", "validate", false, "policy.get");
        check(a("PUT", "/api/v1/policies/ha"), "update", "ha", false, "policy.update");
        check(a("DELETE", "/api/v1/policies/ha"), "delete", "ha", false, "policy.delete");
        check(a("GET", "/api/v1/sources"), "get", null, false, "sources.get");
        check(a("GET", "/api/v1/reports/latest"), "get", null, false, "report.get");
        check(a("GET", "/api/v1/reports/latest/policies/ha"), "get", "ha", false, "report.get");
        check(a("POST", "/api/v1/audits"), "update", null, false, "audit.start");
        check(a("GET", "/api/v1/runs"), "list", null, false, "run.list");
        check(a("GET", "/api/v1/runs/run-1-1"), "get", null, false, "run.get");
        check(a("POST", "/api/v1/runs/run-1-1/revert"), "update", null, true, "run.revert");
        check(a("POST", "/api/v1/runs/run-1-1/release"), "update", null, true, "run.release");
        check(a("GET", "/api/v1/helm/istio-system/istiod/overlay"), "get", null, false, "helm.overlay");
        check(a("POST", "/api/v1/onboarding/shop/dry-run"), "update", "shop", false, "onboarding.dry-run");
        // Restarting workloads is an enforcement, as an enforcing run is; the progress is a read.
        check(a("POST", "/api/v1/onboarding/shop"), "update", "shop", true, "onboarding.start");
        check(a("POST", "/api/v1/onboarding/shop/resume"), "update", "shop", true, "onboarding.resume");
        check(a("GET", "/api/v1/onboarding/shop"), "get", "shop", false, "onboarding.get");
        check(a("GET", "api/v1/policies/"), "list", null, false, "policy.list");
    }

    @Test
    void theDashboardIsEverythingButTheApiTheManagementPathsAndTheStaticFiles() {
        for (String p : List.of("/", "/login", "/findings", "/runs/run-1/revert", "/apiv1", "/question")) {
            assertTrue(ApiRoutes.dashboard(p), p);
        }
        for (String p : List.of("/api", "/api/", "/api/v1/runs", "/q", "/q/health/ready", "/static/dashboard.css")) {
            assertFalse(ApiRoutes.dashboard(p), p);
        }
    }

    @Test
    void onlyAnUnambiguousDryRunIsNotAnEnforcement() {
        check(ApiRoutes.access("POST", "/api/v1/runs", List.of("true")), "update", null, false, "run.start");
        for (List<String> values : List.of(List.<String>of(), List.of("false"), List.of("TRUE"), List.of("1"),
                List.of("true", "false"), List.of(""))) {
            assertTrue(ApiRoutes.access("POST", "/api/v1/runs", values).enforcement(), values.toString());
        }
        assertTrue(a("POST", "/api/v1/runs").enforcement());
    }

    @Test
    void anythingElseGetsTheStrictestAccess() {
        Access strictest = new Access("update", null, true, "api.unknown");
        for (String[] r : new String[][] {{"PATCH", "/api/v1/policies/ha"}, {"GET", "/api/v1/audits"},
            {"DELETE", "/api/v1/runs/x"}, {"GET", "/api/v2/policies"}, {"GET", "/api/v1//policies"},
            {"GET", "/api/v1/policies/a/b"}, {"POST", "/api/v1/sources"}, {"GET", "/api"}, {"GET", "/api/v1"},
            {"OPTIONS", "/api/v1/policies"}, {"GET", "/elsewhere"}, {"GET", "/api/v1/onboarding/shop/dry-run"},
            {"DELETE", "/api/v1/onboarding/shop"}, {"GET", "/api/v1/onboarding/shop/resume"},
            {"POST", "/api/v1/onboarding/shop/run"}}) {
            assertEquals(strictest, a(r[0], r[1]), r[0] + " " + r[1]);
        }
    }

    @Test
    void onlyPathsUnderApiAreGuarded() {
        assertTrue(ApiRoutes.guarded("/api"));
        assertTrue(ApiRoutes.guarded("/api/"));
        assertTrue(ApiRoutes.guarded("/api/v1/nope"));
        assertTrue(ApiRoutes.guarded("api/v1/policies"));
        assertFalse(ApiRoutes.guarded("/apis/v1"));
        assertFalse(ApiRoutes.guarded("/q/health/ready"));
        assertFalse(ApiRoutes.guarded("/"));
    }

    @Test
    void rolesOfTheTokensFile() {
        Access read = a("GET", "/api/v1/policies");
        Access create = a("POST", "/api/v1/policies");
        Access audit = a("POST", "/api/v1/audits");
        Access dryRun = ApiRoutes.access("POST", "/api/v1/runs", List.of("true"));
        Access onboardingDryRun = a("POST", "/api/v1/onboarding/shop/dry-run");
        Access run = a("POST", "/api/v1/runs");
        Access revert = a("POST", "/api/v1/runs/r/revert");
        Access onboard = a("POST", "/api/v1/onboarding/shop");
        Access resume = a("POST", "/api/v1/onboarding/shop/resume");
        assertTrue(Role.VIEWER.allows(a("GET", "/api/v1/onboarding/shop")));
        Access unknown = a("GET", "/api/v1/nope");
        assertTrue(Role.VIEWER.allows(read));
        for (Access x : List.of(create, audit, dryRun, onboardingDryRun, run, revert, unknown)) {
            assertFalse(Role.VIEWER.allows(x), x.toString());
        }
        for (Access x : List.of(read, create, audit, dryRun, onboardingDryRun, a("DELETE", "/api/v1/policies/p"))) {
            assertTrue(Role.EDITOR.allows(x), x.toString());
        }
        for (Access x : List.of(run, revert, onboard, resume, unknown)) {
            assertFalse(Role.EDITOR.allows(x), x.toString());
            assertTrue(Role.ADMIN.allows(x), x.toString());
        }
    }

    @Test
    void describesWhatWasDeniedInRbacTerms() {
        assertEquals("update meshpolicies.meshwarden.io/enforce", a("POST", "/api/v1/runs").describe());
        assertEquals("delete meshpolicies.meshwarden.io \"ha\"", a("DELETE", "/api/v1/policies/ha").describe());
    }
}
