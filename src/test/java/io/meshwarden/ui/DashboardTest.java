package io.meshwarden.ui;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.meshwarden.api.TestDirs;
import io.meshwarden.testing.Workloads;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.restassured.http.Cookie;
import io.restassured.response.Response;
import java.util.regex.Matcher;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** The dashboard's security: login, session cookie, CSRF, cross-site posts, roles, headers; the API unchanged. */
@QuarkusTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestProfile(DashboardProfile.class)
@WithTestResource(TestDirs.class)
@WithKubernetesTestServer(crud = true)
class DashboardTest {
    static {
        io.restassured.RestAssured.config = io.restassured.RestAssured.config().encoderConfig(
                io.restassured.config.EncoderConfig.encoderConfig().encodeContentTypeAs("application/yaml",
                        io.restassured.http.ContentType.TEXT).defaultContentCharset(
                                java.nio.charset.StandardCharsets.UTF_8));
    }

    @KubernetesTestServer
    KubernetesServer server;
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");

    /** Logs in through the form as a browser would: the login page's cookie and hidden field, then the post. */
    static Cookie login(String token) {
        Response page = given().redirects().follow(false).get("/login");
        page.then().statusCode(200);
        Response r = given().redirects().follow(false).cookie("mw_login", page.getCookie("mw_login"))
                .formParam("csrf", csrf(page.asString())).formParam("token", token).post("/login");
        r.then().statusCode(303);
        Cookie session = r.getDetailedCookie("mw_session");
        assertNotNull(session, "no session cookie");
        return session;
    }

    static String csrf(String html) {
        Matcher m = CSRF.matcher(html);
        assertTrue(m.find(), "no CSRF field in the page");
        return m.group(1);
    }

    @Test
    void pagesNeedALoginAndTheLoginPageIsStrict() {
        given().redirects().follow(false).get("/").then().statusCode(303).header("Location", containsString(
                "/login"));
        given().redirects().follow(false).get("/findings?severity=danger").then().statusCode(303);
        Response login = given().get("/login");
        login.then().statusCode(200).header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"))
                .header("X-Frame-Options", "DENY").header("Cache-Control", "no-store");
        assertFalse(login.asString().contains("style=\""), "inline style");
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)").matcher(login.asString()).find(), "inline script");
    }

    @Test
    void loginChecksTheTokenAndTheFormsOwnCsrfToken() {
        Response page = given().get("/login");
        String loginCookie = page.getCookie("mw_login");
        given().cookie("mw_login", loginCookie).formParam("csrf", csrf(page.asString()))
                .formParam("token", "not-a-token").post("/login").then().statusCode(401)
                .body(containsString("not valid"));
        given().cookie("mw_login", loginCookie).formParam("csrf", "forged").formParam("token",
                DashboardProfile.ADMIN).post("/login").then().statusCode(403);
        Cookie session = login(DashboardProfile.ADMIN);
        assertTrue(session.isHttpOnly(), "HttpOnly");
        assertTrue(session.isSecured(), "Secure");
        assertEquals("Strict", session.getSameSite());
        assertEquals("/", session.getPath());
    }

    @Test
    @Order(1) // before any audit or run: the overview then shows a viewer the curl command instead of the button
    void aViewerSeesNoButtonsAndIsRefusedEveryAction() {
        Cookie viewer = login(DashboardProfile.VIEWER);
        Response page = given().cookie(viewer).get("/");
        page.then().statusCode(200).body(containsString("vera-viewer")).body(containsString("viewer"))
                .body(not(containsString("id=\"run-audit\""))).body(containsString("/api/v1/audits"));
        String token = csrf(page.asString());
        given().cookie(viewer).formParam("csrf", token).redirects().follow(false).post("/audit").then()
                .statusCode(403).body(containsString("may not"));
    }

    @Test
    void actionsNeedTheSessionsCsrfTokenAndASameSiteOrigin() {
        Cookie admin = login(DashboardProfile.ADMIN);
        Response page = given().cookie(admin).get("/");
        page.then().statusCode(200).body(containsString("id=\"run-audit\""));
        String token = csrf(page.asString());
        given().cookie(admin).redirects().follow(false).post("/audit").then().statusCode(403);
        given().cookie(admin).formParam("csrf", "wrong").redirects().follow(false).post("/audit").then()
                .statusCode(403);
        // A form on another site posting with the victim's cookie (were the browser to send it): refused first.
        given().cookie(admin).header("Origin", "https://evil.example").formParam("csrf", token).redirects()
                .follow(false).post("/audit").then().statusCode(403).body(containsString("another site"));
        given().cookie(admin).header("Sec-Fetch-Site", "cross-site").formParam("csrf", token).redirects()
                .follow(false).post("/audit").then().statusCode(403);
        given().cookie(admin).formParam("csrf", token).redirects().follow(false).post("/audit").then()
                .statusCode(303);
        given().cookie(admin).get("/").then().statusCode(200).body(containsString("id=\"score\""));
        given().cookie(admin).get("/findings").then().statusCode(200).body(containsString("id=\"findings\""));
    }

    @Test
    void anAdminPlansEnforcesAndRevertsThroughConfirmationsAViewerCannot() throws InterruptedException {
        KubernetesClient k = server.getClient();
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("ui-batch")
                .addToLabels("istio-injection", "enabled").endMetadata().build()).create();
        k.batch().v1().cronjobs().inNamespace("ui-batch").resource(new CronJobBuilder().withNewMetadata()
                .withName("nightly").withNamespace("ui-batch").endMetadata().withNewSpec()
                .withSchedule("0 2 * * *").withNewJobTemplate().withNewSpec().withNewTemplate().withNewMetadata()
                .addToLabels("app", "nightly").endMetadata().withNewSpec().addNewContainer().withName("job")
                .withImage("job").endContainer().withRestartPolicy("OnFailure").endSpec().endTemplate().endSpec()
                .endJobTemplate().endSpec().build()).create();
        given().header("Authorization", "Bearer " + DashboardProfile.ADMIN).contentType("application/yaml")
                .body("""
                        apiVersion: meshwarden.io/v1alpha1
                        kind: MeshPolicy
                        metadata: {name: ui-jobs}
                        spec:
                          type: InjectionExclusion
                          mode: enforce
                          target: {namespaces: {include: [ui-batch]}}
                          parameters: {whenNativeSidecars: enforce}
                        """).post("/api/v1/policies").then().statusCode(201);
        Cookie admin = login(DashboardProfile.ADMIN);
        Cookie viewer = login(DashboardProfile.VIEWER);
        String viewerCsrf = csrf(given().cookie(viewer).get("/runs").asString());
        given().cookie(viewer).get("/runs").then().statusCode(200).body(not(containsString("start-dry-run")));
        given().cookie(viewer).formParam("csrf", viewerCsrf).formParam("mode", "dry-run").redirects().follow(false)
                .post("/runs").then().statusCode(403);

        String adminCsrf = csrf(given().cookie(admin).get("/runs/new?mode=dry-run").asString());
        Response dry = given().cookie(admin).formParam("csrf", adminCsrf).formParam("mode", "dry-run").redirects()
                .follow(false).post("/runs");
        dry.then().statusCode(303);
        given().cookie(admin).get(dry.getHeader("Location")).then().statusCode(200)
                .body(containsString("CronJob ui-batch/nightly")).body(containsString("sidecar.istio.io/inject"))
                .body(containsString("id=\"apply-plan\""));
        given().cookie(admin).get("/runs/new?mode=enforce").then().statusCode(200)
                .body(containsString("CronJob ui-batch/nightly")).body(containsString("id=\"confirm\""));
        Response enforced = given().cookie(admin).formParam("csrf", adminCsrf).formParam("mode", "enforce")
                .redirects().follow(false).post("/runs");
        enforced.then().statusCode(303);
        String id = enforced.getHeader("Location").replaceAll(".*/runs/", "");
        for (int i = 0; i < 100 && "running".equals(given().header("Authorization", "Bearer "
                + DashboardProfile.ADMIN).get("/api/v1/runs/" + id).path("outcome")); i++) {
            Thread.sleep(100);
        }
        given().cookie(viewer).get("/runs/" + id).then().statusCode(200).body(containsString("applied"))
                .body(not(containsString("id=\"revert\"")));
        given().cookie(viewer).formParam("csrf", viewerCsrf).redirects().follow(false).post("/runs/" + id
                + "/revert").then().statusCode(403);
        given().cookie(admin).get("/runs/" + id).then().statusCode(200).body(containsString("id=\"revert\""));
        given().cookie(admin).get("/runs/" + id + "/revert").then().statusCode(200)
                .body(containsString("CronJob ui-batch/nightly")).body(containsString("id=\"confirm\""));
        given().cookie(admin).formParam("csrf", adminCsrf).redirects().follow(false).post("/runs/" + id + "/revert")
                .then().statusCode(303);
        given().cookie(admin).get("/runs/" + id).then().statusCode(200).body(containsString("reverted"))
                .body(not(containsString("id=\"revert\"")));
        assertEquals(null, k.batch().v1().cronjobs().inNamespace("ui-batch").withName("nightly").get().getSpec()
                .getJobTemplate().getSpec().getTemplate().getMetadata().getLabels().get("sidecar.istio.io/inject"));
    }

    @Test
    void aLongPlanIsPagedFiftyObjectsToAPage() {
        Workloads.injectedCronJobs(server.getClient(), "ui-many", 60);
        String bearer = "Bearer " + DashboardProfile.ADMIN;
        // Audit mode: the dry run previews its changes, an enforcing run (another test's) leaves them alone.
        given().header("Authorization", bearer).contentType("application/yaml").body("""
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: ui-many-jobs}
                spec:
                  type: InjectionExclusion
                  target: {namespaces: {include: [ui-many]}}
                  parameters: {whenNativeSidecars: enforce}
                """).post("/api/v1/policies").then().statusCode(201);
        try {
            Cookie admin = login(DashboardProfile.ADMIN);
            String csrf = csrf(given().cookie(admin).get("/runs/new?mode=dry-run").asString());
            String run = "/runs/" + given().cookie(admin).formParam("csrf", csrf).formParam("mode", "dry-run")
                    .redirects().follow(false).post("/runs").then().statusCode(303).extract().header("Location")
                    .replaceAll(".*/runs/", "");
            int objects = given().header("Authorization", bearer).get("/api/v1" + run).<List<Object>>path(
                    "plan.changes.target").stream().distinct().toList().size();
            assertTrue(objects >= 60, "the plan has the 60 CronJobs: " + objects);
            String first = given().cookie(admin).get(run).then().statusCode(200)
                    .body(containsString("Plan: " + objects + " objects"))
                    .body(containsString("objects 1–50 shown"))
                    .body(containsString("href=\"" + run + "?page=2\"")).extract().asString();
            assertEquals(50, first.split("<article class=\"object\">", -1).length - 1, "objects on page 1");
            int last = (objects + 49) / 50;
            String end = given().cookie(admin).get(run + "?page=" + last).then().statusCode(200)
                    .body(containsString("objects " + (50 * (last - 1) + 1) + "–" + objects + " shown"))
                    .body(not(containsString("rel=\"next\""))).extract().asString();
            assertEquals(objects - 50 * (last - 1), end.split("<article class=\"object\">", -1).length - 1);
            // Past the last page, or not a number: the nearest page there is.
            given().cookie(admin).get(run + "?page=999").then().statusCode(200)
                    .body(containsString("page " + last + " of " + last));
            given().cookie(admin).get(run + "?page=x").then().statusCode(200)
                    .body(containsString("page 1 of " + last));
        } finally {
            given().header("Authorization", bearer).delete("/api/v1/policies/ui-many-jobs").then().statusCode(204);
        }
    }

    @Test
    void theApiStillWantsABearerTokenAndLogoutEndsTheSession() {
        Cookie admin = login(DashboardProfile.ADMIN);
        given().cookie(admin).get("/api/v1/policies").then().statusCode(401);
        given().header("Authorization", "Bearer " + DashboardProfile.ADMIN).get("/api/v1/policies").then()
                .statusCode(200);
        given().header("Authorization", "Bearer " + DashboardProfile.ADMIN).get("/").then().statusCode(200)
                .body(containsString("Log in"));
        String token = csrf(given().cookie(admin).get("/").asString());
        given().cookie(admin).formParam("csrf", token).redirects().follow(false).post("/logout").then()
                .statusCode(303).header("Location", containsString("/login"));
        given().cookie(admin).redirects().follow(false).get("/").then().statusCode(303);
    }

    @Test
    void policiesShowTheirYamlAndTheSourcesErrorsAndHelmItsOverlays() throws Exception {
        java.nio.file.Path gitops = java.nio.file.Path.of(System.getProperty("mwtest.gitops-dir"));
        java.nio.file.Files.writeString(gitops.resolve("good.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: ui-sampling}
                spec:
                  type: TraceSampling
                  mode: audit
                """);
        java.nio.file.Files.writeString(gitops.resolve("broken.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: ui-broken}
                spec:
                  type: TraceSampling
                  mode: sometimes
                """);
        Cookie viewer = login(DashboardProfile.VIEWER);
        String page = "";
        for (int i = 0; i < 50 && !(page.contains("ui-sampling") && page.contains("broken.yaml")); i++) {
            Thread.sleep(100);
            page = given().cookie(viewer).get("/policies").asString();
        }
        assertTrue(page.contains("href=\"/policies/ui-sampling\""), page);
        assertTrue(page.contains("broken.yaml") && page.contains("/spec/mode: must be one of audit, enforce"), "no GitOps file error: " + page);
        given().cookie(viewer).get("/policies/ui-sampling").then().statusCode(200)
                .body(containsString("type: TraceSampling")).body(containsString("gitops"));
        given().cookie(viewer).get("/policies/no-such-policy").then().statusCode(404)
                .contentType(containsString("text/html"));
        given().cookie(viewer).get("/helm").then().statusCode(200).body(containsString("Helm values overlays"));
    }

    @Test
    void healthMetricsAndTheOpenApiDocumentStayAsTheyWere() {
        given().get("/q/health/ready").then().statusCode(200);
        String doc = given().get("/q/openapi?format=json").asString();
        assertFalse(doc.contains("\"/findings"), "dashboard pages in the OpenAPI document");
        assertFalse(doc.contains("\"/login"), "dashboard pages in the OpenAPI document");
        given().get("/static/dashboard.css").then().statusCode(200);
        given().redirects().follow(false).get("/rules/ha-hpa-min-replicas").then().statusCode(303);
    }
}
