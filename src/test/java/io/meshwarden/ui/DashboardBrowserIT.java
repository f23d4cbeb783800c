package io.meshwarden.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import io.meshwarden.bench.MockApiServerMain;
import io.meshwarden.testing.PackagedArtifact;
import io.meshwarden.testing.PagingCrudDispatcher;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.Keys;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's Chromium driven through its chromedriver by Selenium) against the
 * packaged application (the jar, or the native executable with -Dnative.image.path) reading a synthetic cluster of
 * 300 workloads from the fabric8 CRUD mock: an admin logs in, audits, reads the score, filters findings, opens a
 * remedy, makes a dry run, enforces its plan and reverts it, logs out; a viewer sees no button and a direct post
 * with the viewer's session is refused; a form posted from another site is refused. A failing step leaves a
 * screenshot and the page's HTML in target/dashboard-browser/. With -Dmwtest.screenshot.write=true the
 * overview's screenshot is written to docs/dashboard-overview.png.
 *
 * <p>Without Chromium the test is skipped, but in CI (CI=true) it fails: .ci/run installs the packages.
 */
class DashboardBrowserIT {
    static final String ADMIN = "browser-admin-token-0123456789";
    static final String VIEWER = "browser-viewer-token-0123456789";
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path OUT = Path.of("target", "dashboard-browser");
    /** Held so that the level sticks: the mock logs every request. */
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    static MockApiServerMain.Served cluster;
    static Process app;
    static String base;
    static Path work;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present && "true".equals(System.getenv("CI"))) {
            fail("CI=true but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing: .ci/run installs Debian's "
                    + "chromium and chromium-driver");
        }
        Assumptions.assumeTrue(present, "skipped: no Chromium (" + CHROMIUM + ", " + CHROMEDRIVER + "); install "
                + "Debian's chromium and chromium-driver to run the dashboard's browser test");
        PackagedArtifact artifact = PackagedArtifact.current();
        assertTrue(artifact.exists(), "needs the packaged application: " + artifact.describe());
        Files.createDirectories(OUT);
        try (var old = Files.list(OUT)) {
            for (Path p : old.toList()) {
                Files.deleteIfExists(p);
            }
        }
        work = Files.createTempDirectory("mw-dashboard-it");
        MOCK_LOG.setLevel(Level.WARNING);
        cluster = MockApiServerMain.serve(new PagingCrudDispatcher(), 0, 300);

        Path tokens = work.resolve("tokens");
        Files.writeString(tokens, DashboardProfile.line("alex-admin", "admin", ADMIN)
                + DashboardProfile.line("val-viewer", "viewer", VIEWER));
        Path gitops = Files.createDirectories(work.resolve("gitops"));
        try (var examples = Files.list(Path.of("examples", "policies"))) {
            for (Path p : examples.toList()) {
                Files.copy(p, gitops.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        // One policy in enforce mode whose remedies restart nothing (CronJob labels), so a run applies at once.
        Files.writeString(gitops.resolve("jobs-enforced.yaml"), """
                apiVersion: meshwarden.io/v1alpha1
                kind: MeshPolicy
                metadata: {name: jobs-enforced}
                spec:
                  type: InjectionExclusion
                  mode: enforce
                  parameters: {whenNativeSidecars: enforce}
                """);
        int port = freePort();
        List<String> options = List.of("-Xmx128m", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.kubernetes-client.api-server-url=http://127.0.0.1:" + cluster.server().getPort(),
                "-Dquarkus.kubernetes-client.trust-certs=true", "-Dmeshwarden.cluster.enabled=true",
                "-Dmeshwarden.audit.enabled=false", "-Dmeshwarden.enforce.enabled=false",
                "-Dmeshwarden.leader-election.enabled=false", "-Dmeshwarden.store.dir=" + work.resolve("store"),
                "-Dmeshwarden.gitops.dir=" + gitops, "-Dmeshwarden.auth.mode=tokens",
                "-Dmeshwarden.auth.tokens-file=" + tokens, "-Dmeshwarden.rollout.writes-per-second=100");
        app = new ProcessBuilder(artifact.command(options, List.of())).redirectErrorStream(true)
                .redirectOutput(OUT.resolve("app.log").toFile()).start();
        // localhost, not 127.0.0.1: Chromium keeps Secure cookies over plain HTTP for localhost only.
        base = "http://localhost:" + port;
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            assertTrue(app.isAlive(), "the app exited; see " + OUT.resolve("app.log"));
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // keep polling
            }
            assertTrue(System.nanoTime() < deadline, "the app was not ready within 90 s");
            Thread.sleep(100);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (app != null) {
            app.destroy();
            if (!app.waitFor(20, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
        }
        if (cluster != null) {
            cluster.server().destroy();
        }
    }

    static WebDriver browser() throws IOException {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,800",
                "--user-data-dir=" + Files.createTempDirectory(work, "chromium"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        WebDriver d = new ChromeDriver(service, o);
        d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return d;
    }

    /** Runs a step; on failure keeps a screenshot and the HTML of the page it failed on. */
    static void step(WebDriver d, String name, ThrowingRunnable r) throws Exception {
        try {
            r.run();
        } catch (Throwable t) {
            try {
                Files.write(OUT.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
                Files.writeString(OUT.resolve(name + ".html"), d.getCurrentUrl() + "\n" + d.getPageSource());
            } catch (RuntimeException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static void login(WebDriver d, String token) {
        d.get(base + "/");
        assertTrue(d.getCurrentUrl().endsWith("/login"), d.getCurrentUrl());
        d.findElement(By.id("token")).sendKeys(token);
        follow(d, By.id("login"));
        waitForUrl(d, base + "/");
    }

    /**
     * Clicks what leads to another page and waits until that page has replaced this one. A click that follows a
     * link or submits a form may return before the browser has left the page: reading the URL or the page at once
     * can still see the old one (a CI run read the findings page's URL without its filter, then with it). The old
     * page is told apart by a mark on its window, not by an element: asking Chromium about an element of a page
     * being replaced can fail with an inspector error rather than a stale element (seen under load).
     */
    static void follow(WebDriver d, By by) {
        ((JavascriptExecutor) d).executeScript("window.meshwardenLeft = true;");
        d.findElement(by).click();
        new WebDriverWait(d, Duration.ofSeconds(60)).ignoring(WebDriverException.class).until(x -> Boolean.TRUE
                .equals(((JavascriptExecutor) x).executeScript("return window.meshwardenLeft === undefined"
                        + " && document.readyState === 'complete';")));
    }

    /** A click that submits a form may return before the next page is there. */
    static void waitForUrl(WebDriver d, String suffix) {
        new WebDriverWait(d, Duration.ofSeconds(30)).until(x -> x.getCurrentUrl().endsWith(suffix));
    }

    static boolean present(WebDriver d, String id) {
        return !d.findElements(By.id(id)).isEmpty();
    }

    /** A same-origin POST from the page with the viewer's own session, as a crafted request would be sent. */
    static long post(WebDriver d, String path, String body) {
        Object status = ((JavascriptExecutor) d).executeAsyncScript("var done = arguments[arguments.length - 1];"
                + "fetch(arguments[0], {method: 'POST', headers: {'Content-Type': "
                + "'application/x-www-form-urlencoded'}, body: arguments[1], redirect: 'manual'})"
                + ".then(function (r) { done(r.status); }, function (e) { done(-1); });", path, body);
        return ((Number) status).longValue();
    }

    @Test
    void adminAndViewerInARealBrowser() throws Exception {
        WebDriver d = browser();
        String runId;
        try {
            step(d, "01-login", () -> {
                login(d, ADMIN);
                assertTrue(d.findElement(By.id("user")).getText().contains("alex-admin"));
                assertTrue(present(d, "empty-state"), "no empty state before the first audit");
            });
            step(d, "02-audit", () -> {
                follow(d, By.id("run-audit"));
                new WebDriverWait(d, Duration.ofSeconds(60)).until(x -> present(x, "score"));
                assertTrue(d.findElement(By.id("score")).getText().matches("[0-9.]+%"), d.findElement(By.id(
                        "score")).getText());
                assertFalse(d.findElements(By.cssSelector("#by-policy tr")).isEmpty(), "no findings by policy");
                // A second audit, so that the score's history has a line.
                follow(d, By.id("run-audit"));
                new WebDriverWait(d, Duration.ofSeconds(60)).until(x -> x.getPageSource().contains("last 2 audits"));
                if (Boolean.getBoolean("mwtest.screenshot.write")) {
                    Files.write(Path.of("docs", "dashboard-overview.png"), ((TakesScreenshot) d).getScreenshotAs(
                            OutputType.BYTES));
                }
            });
            step(d, "03-findings", () -> {
                follow(d, By.linkText("Findings"));
                new Select(d.findElement(By.id("f-severity"))).selectByValue("danger");
                follow(d, By.id("apply-filters"));
                assertTrue(d.getCurrentUrl().contains("severity=danger"), d.getCurrentUrl());
                List<WebElement> sev = d.findElements(By.cssSelector("#findings tbody .sev"));
                assertFalse(sev.isEmpty(), "no danger finding");
                sev.forEach(s -> assertEquals("danger", s.getText()));
                follow(d, By.cssSelector("#findings tbody a.open"));
                assertTrue(present(d, "remedy-action"), "no remedy");
                follow(d, By.id("rule-link"));
                assertTrue(d.findElement(By.id("rule-doc")).getText().length() > 100, "no rule page");
            });
            step(d, "03-policies-helm", () -> {
                follow(d, By.linkText("Policies"));
                follow(d, By.linkText("jobs-enforced"));
                assertTrue(d.findElement(By.id("policy-yaml")).getText().contains("mode: enforce"));
                follow(d, By.linkText("Helm"));
                assertFalse(d.findElements(By.cssSelector("section.release")).isEmpty(), "no Helm release");
                // The script shows the copy buttons where the clipboard API exists.
                assertTrue(d.findElements(By.cssSelector("button.copy")).stream().anyMatch(WebElement::isDisplayed)
                        || d.findElements(By.cssSelector("button.copy")).isEmpty(), "copy buttons stay hidden");
            });
            step(d, "04-dry-run", () -> {
                follow(d, By.linkText("Runs"));
                follow(d, By.id("start-dry-run"));
                follow(d, By.id("confirm"));
                // The post answers once the plan is in (a few seconds here): wait for the run's page.
                new WebDriverWait(d, Duration.ofSeconds(60)).until(x -> present(x, "run-kind"));
                assertTrue(d.findElement(By.id("run-kind")).getText().startsWith("dry run"));
                assertTrue(d.findElement(By.id("plan")).getText().contains("CronJob"), "no CronJob in the plan");
            });
            step(d, "05-enforce", () -> {
                follow(d, By.id("apply-plan"));
                assertTrue(d.findElement(By.id("plan")).getText().contains("CronJob"));
                follow(d, By.id("confirm"));
                new WebDriverWait(d, Duration.ofSeconds(60)).until(x -> {
                    x.navigate().refresh();
                    return !x.findElement(By.id("run-outcome")).getText().equals("running");
                });
                assertEquals("applied", d.findElement(By.id("run-outcome")).getText());
            });
            runId = d.findElement(By.id("run-id")).getText();
            step(d, "06-revert", () -> {
                follow(d, By.id("revert"));
                assertTrue(d.findElement(By.id("plan")).getText().contains("CronJob"));
                follow(d, By.id("confirm"));
                new WebDriverWait(d, Duration.ofSeconds(60)).until(x -> {
                    x.navigate().refresh();
                    return x.findElement(By.id("run-outcome")).getText().equals("reverted");
                });
                assertFalse(present(d, "revert"));
            });
            step(d, "07-logout", () -> {
                d.findElement(By.id("logout")).click();
                waitForUrl(d, "/login");
                d.get(base + "/findings");
                assertTrue(d.getCurrentUrl().endsWith("/login"), "still logged in: " + d.getCurrentUrl());
            });
        } finally {
            d.quit();
        }

        WebDriver v = browser();
        try {
            String id = runId;
            step(v, "08-viewer", () -> {
                login(v, VIEWER);
                assertTrue(v.findElement(By.id("role")).getText().contains("viewer"));
                assertTrue(present(v, "score"));
                assertFalse(present(v, "run-audit"), "a viewer sees the audit button");
                v.get(base + "/runs");
                assertFalse(present(v, "start-dry-run") || present(v, "start-enforce"), "a viewer sees run buttons");
                v.get(base + "/runs/" + id);
                assertFalse(present(v, "revert"), "a viewer sees the revert button");
                String csrf = v.findElement(By.cssSelector("input[name=csrf]")).getAttribute("value");
                int before = runs();
                assertEquals(403, post(v, "/runs", "csrf=" + csrf + "&mode=dry-run"));
                assertEquals(403, post(v, "/runs/" + id + "/revert", "csrf=" + csrf));
                assertEquals(403, post(v, "/audit", "csrf=" + csrf));
                assertEquals(before, runs(), "a viewer's post started a run");
            });
            step(v, "08b-narrow-window", () -> {
                // A phone-sized window: the page itself never scrolls sideways (wide tables and diffs scroll inside
                // their cards) and the navigation stays on screen.
                v.manage().window().setSize(new Dimension(390, 844));
                for (String page : List.of("/", "/findings", "/runs", "/runs/" + id, "/policies", "/helm")) {
                    v.get(base + page);
                    long overflow = ((Number) ((JavascriptExecutor) v).executeScript("return document"
                            + ".documentElement.scrollWidth - document.documentElement.clientWidth;")).longValue();
                    assertTrue(overflow <= 0, page + " scrolls sideways by " + overflow + " px in a 390 px window");
                    assertTrue(v.findElement(By.linkText("Findings")).isDisplayed(), page + ": no navigation");
                }
                v.manage().window().setSize(new Dimension(1280, 800));
            });
            step(v, "08c-keyboard", () -> {
                // The keyboard alone: the first Tab reaches the skip link, on screen while focused; Enter on it
                // moves focus to the content, and tabbing on reaches a finding, opened with Enter.
                v.get(base + "/findings");
                new Actions(v).sendKeys(Keys.TAB).perform();
                WebElement skip = v.switchTo().activeElement();
                assertEquals("Skip to content", skip.getText());
                assertTrue(skip.getRect().getX() >= 0, "the focused skip link is off screen");
                new Actions(v).sendKeys(Keys.ENTER).perform();
                assertTrue(v.getCurrentUrl().endsWith("#main"), v.getCurrentUrl());
                new Actions(v).sendKeys(Keys.TAB).perform();
                assertEquals(Boolean.TRUE, ((JavascriptExecutor) v).executeScript(
                        "return document.getElementById('main').contains(document.activeElement);"),
                        "Tab after the skip link left the content");
                for (int i = 0; i < 60 && !"open".equals(v.switchTo().activeElement().getDomAttribute("class"));
                        i++) {
                    new Actions(v).sendKeys(Keys.TAB).perform();
                }
                assertEquals("open", v.switchTo().activeElement().getDomAttribute("class"),
                        "60 Tabs did not reach a finding's link");
                new Actions(v).sendKeys(Keys.ENTER).perform();
                new WebDriverWait(v, Duration.ofSeconds(30)).until(x -> present(x, "remedy-action"));
            });
            step(v, "09-csrf", () -> {
                // The viewer's own session, but no or a wrong token: refused before the role is even asked.
                assertEquals(403, post(v, "/logout", ""));
                assertEquals(403, post(v, "/logout", "csrf=wrong"));
            });
        } finally {
            v.quit();
        }

        WebDriver a = browser();
        HttpServer evil = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        try {
            // A page on another site (127.0.0.1 is not the same site as localhost) posting a run to the dashboard
            // of a logged-in admin.
            String form = "<!DOCTYPE html><html><body><form id=f method=post action=\"" + base + "/runs\">"
                    + "<input name=mode value=enforce><input name=csrf value=guess></form>"
                    + "<script>document.getElementById('f').submit()</script></body></html>";
            evil.createContext("/", ex -> {
                byte[] b = form.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.sendResponseHeaders(200, b.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(b);
                }
            });
            evil.start();
            step(a, "10-cross-site", () -> {
                login(a, ADMIN);
                int before = runs();
                a.get("http://127.0.0.1:" + evil.getAddress().getPort() + "/");
                new WebDriverWait(a, Duration.ofSeconds(30)).until(x -> x.getCurrentUrl().startsWith(base));
                assertTrue(a.getPageSource().contains("403"), "the forged post was not refused");
                assertEquals(before, runs(), "the forged post started a run");
            });
        } finally {
            evil.stop(0);
            a.quit();
        }
    }

    /** The number of runs the service keeps, read through the API with the admin's bearer token. */
    static int runs() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base
                + "/api/v1/runs")).header("Authorization", "Bearer " + ADMIN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body().split("\"id\"", -1).length - 1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
