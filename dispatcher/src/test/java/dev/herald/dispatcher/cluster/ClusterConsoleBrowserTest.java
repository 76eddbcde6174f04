package dev.herald.dispatcher.cluster;

import static dev.herald.dispatcher.ConsolePages.js;
import static dev.herald.dispatcher.ConsolePages.signIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.Chromium;
import dev.herald.dispatcher.service.ServiceSettings;
import dev.herald.dispatcher.service.ServiceTests;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real headless {@link Chromium} against a cluster node, as an operator
 * uses it: a cluster of one in this JVM ({@link ClusterNode#start}, four partitions) with an
 * audience spread over them. Admin: sign in, watch a campaign created through the API reach
 * completed on the list without a reload, read its page (the same counts as the node's merged
 * {@code GET /v1/campaigns/{id}}), pause and resume a slow one from its page and through the API
 * while its merged event stream follows, cancel it, read the settings, the audit log, the journeys and
 * the opt-outs. Viewer: no steering buttons; revoked, sent back to sign-in on
 * the page's next call. Screenshots go to {@code target/console-cluster/}.
 */
class ClusterConsoleBrowserTest {

    private static final String KEY = "hk_cluster_console_test_admin_key_0123456789";
    private static final int PARTITIONS = 4;
    private static final int AUDIENCE = 40;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The console's labels of {@code counts} keys in a campaign's Recipients-by-outcome table (campaign.js FAMILIES). */
    private static final Map<String, String> FAMILIES = Map.of("Sent", "sent", "Suppressed (opted out)", "suppressed",
            "Deferred (quiet hours, waiting)", "deferred", "Capped (frequency)", "capped", "Failed", "failed",
            "Unknown (no answer)", "unknown", "Expired", "expired", "Held (A/B test)", "held", "In flight", "inFlight",
            "Pending", "pending");

    @TempDir
    static Path tmp;

    private static ClusterNode node;

    @BeforeAll
    static void start() throws Exception {
        Config config = ConfigFactory.parseString("herald.cluster { enabled = true, partitions = " + PARTITIONS + ", port = "
                        + ClusterProcesses.freePort() + ", storage-root = \"" + tmp.resolve("root") + "\", keep-alive = 200ms,"
                        + " open-retry = 200ms, partition-capacity = 20000, keys-check-every = 500ms }\n"
                        + "herald.service.directory-capacity = 20000")
                .withFallback(ConfigFactory.load()).resolve();
        ServiceSettings settings = ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0);
        node = ClusterNode.start(tmp.resolve("node"), config, settings,
                ClusterSettings.fromConfig(config, tmp.resolve("node"), settings.directoryCapacity()), Map.of("HERALD_API_KEY", KEY),
                new PrintWriter(new StringWriter(), true));
        ServiceTests.await(node.port(), "/v1/cluster", KEY, s -> s.path("open").asInt() == PARTITIONS, 60);
        String tz = ClusterProcesses.afternoonZone();
        StringBuilder csv = new StringBuilder("phone,tz,first_name\n");
        Set<Integer> partitions = new HashSet<>();
        Partitioner partitioner = new Partitioner(PARTITIONS);
        for (int i = 0; i < AUDIENCE; i++) {
            csv.append(ClusterProcesses.phone(i)).append(',').append(tz).append(",Ann\n");
            partitions.add(partitioner.of(ClusterProcesses.phone(i)));
        }
        assertEquals(PARTITIONS, partitions.size(), "the audience is on every partition");
        HttpResponse<String> up = call("POST", "/v1/segments/audience", KEY, "text/csv", csv.toString());
        assertEquals(201, up.statusCode(), up.body());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.stop().toCompletableFuture().join();
        }
    }

    @Test
    void shouldWatchSteerAndReadCampaignsOnAClusterNodeWithoutReloading() throws Exception {
        Chromium.require();
        WebDriver browser = Chromium.start(null);
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            browser.manage().window().setSize(new Dimension(1280, 1000));
            browser.get(base() + "/console/");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
            signIn(browser, wait, KEY);
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));
            assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("admin"));
            js(browser, "window.heraldNoReload = 'still here'"); // gone if the page ever reloads
            screenshot(browser, "1-signed-in");

            // a campaign created through the API appears on the list and reaches completed there
            String id = campaign("Cluster sale", 20);
            By row = By.cssSelector("tr[data-id='" + id + "']");
            wait.until(ExpectedConditions.visibilityOfElementLocated(row));
            assertEquals("Cluster sale", browser.findElement(row).findElement(By.className("campaign-name")).getText());
            wait.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-id='" + id + "'] .badge"), "completed"));
            JsonNode done = get("/v1/campaigns/" + id);
            assertEquals("completed", done.path("status").asText(), done.toString());
            assertEquals(AUDIENCE, done.path("total").asInt(), done.toString());
            assertEquals(String.valueOf(done.path("counts").path("sent").asLong()),
                    browser.findElement(By.cssSelector("tr[data-id='" + id + "'] td[data-count='sent']")).getText());
            screenshot(browser, "2-campaigns-completed");

            // its page: the same counts as the node's merged view
            browser.findElement(row).findElement(By.className("campaign-name")).click();
            wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Cluster sale"));
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "completed"));
            assertCountsAsTheApi(browser, get("/v1/campaigns/" + id));
            wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#funnel-chart .bar-sent"), "data-count",
                    String.valueOf(get("/v1/campaigns/" + id + "/funnel").path("steps").path("sent").asLong())));
            screenshot(browser, "3-campaign-completed");

            // a slow one: followed live over the merged event stream, paused and resumed from its page
            String slow = campaign("Cluster slow", 2);
            js(browser, "location.hash = '#/campaigns/" + slow + "'");
            wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Cluster slow"));
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));
            // "Live" is written only by an event of the stream (polling writes "Polling")
            wait.until(ExpectedConditions.textMatches(By.id("campaign-live"), java.util.regex.Pattern.compile("^Live .*")));
            wait.until(ExpectedConditions.elementToBeClickable(By.id("pause"))).click();
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "paused"));
            assertEquals("paused", get("/v1/campaigns/" + slow).path("status").asText());
            assertTrue(browser.findElement(By.id("campaign-live")).getText().startsWith("Live"),
                    browser.findElement(By.id("campaign-live")).getText());
            JsonNode paused = get("/v1/campaigns/" + slow);
            assertTrue(paused.path("counts").path("sent").asLong() < AUDIENCE, "paused before the end: " + paused);
            screenshot(browser, "4-slow-paused");
            wait.until(ExpectedConditions.elementToBeClickable(By.id("resume"))).click();
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));
            assertEquals("running", get("/v1/campaigns/" + slow).path("status").asText());
            // its counts move on the page as the partitions send
            String before = browser.findElement(By.id("progress-text")).getText();
            wait.until(ExpectedConditions.not(ExpectedConditions.textToBe(By.id("progress-text"), before)));
            screenshot(browser, "5-slow-resumed");
            // paused and resumed by someone else: while it streams the page does not poll, so only the
            // merged stream can bring these
            assertEquals(200, call("POST", "/v1/campaigns/" + slow + "/pause", KEY, null, null).statusCode());
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "paused"));
            wait.until(ExpectedConditions.elementToBeClickable(By.id("resume")));
            assertEquals(200, call("POST", "/v1/campaigns/" + slow + "/resume", KEY, null, null).statusCode());
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));
            wait.until(ExpectedConditions.elementToBeClickable(By.id("pause")));
            // cancelled from the page: the stream ends with the merged final view
            wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel"))).click();
            wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel-confirm"))).click();
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "cancelled"));
            wait.until(ExpectedConditions.textMatches(By.id("campaign-live"), java.util.regex.Pattern.compile("^Final .*")));
            assertCountsAsTheApi(browser, get("/v1/campaigns/" + slow));

            // the settings page
            browser.findElement(By.id("nav-settings")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("settings-times")));
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("quiet-categories")));
            assertEquals(get("/v1/settings").path("quietHours").path("unknownZones").size() > 0,
                    !browser.findElement(By.id("quiet-unknown")).getText().isBlank());
            screenshot(browser, "6-settings");

            // the audit log: the steering done on the page, by this key, once each however many partitions it reached
            browser.findElement(By.id("nav-audit")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit-table"), "/cancel"));
            String audit = browser.findElement(By.id("audit-table")).getText();
            for (String action : List.of("pause", "resume", "cancel")) {
                String line = "POST /v1/campaigns/" + slow + "/" + action;
                assertEquals(action.equals("cancel") ? 1 : 2, audit.split(java.util.regex.Pattern.quote(line), -1).length - 1,
                        line + " in " + audit);
            }
            screenshot(browser, "7-audit");
            // the journeys and suppressions pages answer too
            browser.findElement(By.id("nav-journeys")).click();
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("journeys-summary"), "No journeys yet."));
            browser.findElement(By.id("nav-suppressions")).click();
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("suppression-counts")));

            assertEquals("still here", js(browser, "return window.heraldNoReload"), "the page never reloaded");
            assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
        } finally {
            browser.quit();
        }
    }

    @Test
    void shouldShowAViewerNoSteeringAndSendItBackToSignInOnceRevoked() throws Exception {
        Chromium.require();
        String slow = campaign("Viewer watches", 1);
        JsonNode viewer = JSON.readTree(call("POST", "/v1/keys", KEY, "application/json", "{\"role\": \"viewer\"}").body());
        String viewerKey = viewer.path("key").asText();
        WebDriver browser = Chromium.start(null);
        try {
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            browser.get(base() + "/console/#/campaigns/" + slow);
            signIn(browser, wait, viewerKey);
            wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Viewer watches"));
            wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));
            assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("viewer"));
            for (String button : List.of("pause", "resume", "cancel", "cancel-confirm")) {
                assertTrue(browser.findElements(By.id(button)).isEmpty(), "a viewer sees no " + button + " button");
            }
            assertTrue(browser.findElements(By.cssSelector("#actions button, main button")).isEmpty());
            assertFalse(browser.findElement(By.id("nav-new")).isDisplayed(), "a viewer sees no New campaign link");
            assertFalse(browser.findElement(By.id("nav-audit")).isDisplayed(), "nor the audit log");
            screenshot(browser, "8-viewer");

            // revoked while the console is open: the page's next call is refused, and it goes back to sign-in
            js(browser, "location.hash = '#/campaigns'");
            wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr[data-id='" + slow + "']")));
            HttpResponse<String> revoked = call("DELETE", "/v1/keys/" + viewer.path("id").asText(), KEY, null, null);
            assertEquals(204, revoked.statusCode(), revoked.body());
            // (the list polls every 2 s while a campaign is running)
            wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("signin-notice"), "refused the key"));
            assertTrue(browser.findElement(By.id("api-key")).isDisplayed());
            assertNull(js(browser, "return sessionStorage.getItem('herald.apiKey')"));
            screenshot(browser, "9-revoked");
            assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
        } finally {
            browser.quit();
        }
        call("POST", "/v1/campaigns/" + slow + "/cancel", KEY, null, null);
    }

    /** The campaign page's Recipients-by-outcome and outcome-reason tables show exactly {@code api}'s counts. */
    private static void assertCountsAsTheApi(WebDriver browser, JsonNode api) {
        JsonNode counts = api.path("counts");
        Set<String> shown = new HashSet<>();
        for (WebElement tr : browser.findElements(By.cssSelector("#counts tbody tr"))) {
            String label = tr.findElement(By.tagName("th")).getText();
            String key = FAMILIES.get(label);
            assertTrue(key != null, "a count the test does not know: " + label);
            shown.add(key);
            assertEquals(String.valueOf(counts.path(key).asLong()), tr.findElement(By.tagName("td")).getText(),
                    label + " of " + api);
        }
        counts.fields().forEachRemaining(e -> assertTrue(e.getValue().asLong() == 0 || shown.contains(e.getKey())
                || !FAMILIES.containsValue(e.getKey()), "not shown: " + e.getKey() + " of " + api));
        assertEquals(decided(api) + " of " + api.path("total").asLong() + " recipients decided",
                browser.findElement(By.id("progress-text")).getText());
        int reasons = 0;
        for (WebElement tr : browser.findElements(By.cssSelector("#outcomes-table tbody tr"))) {
            String reason = tr.findElement(By.tagName("th")).getText();
            assertEquals(String.valueOf(api.path("outcomes").path(reason).asLong()), tr.findElement(By.tagName("td")).getText(),
                    reason + " of " + api);
            reasons++;
        }
        assertEquals(api.path("outcomes").size(), reasons, api.toString());
    }

    private static long decided(JsonNode c) {
        JsonNode k = c.path("counts");
        return Math.max(0, c.path("total").asLong() - k.path("pending").asLong() - k.path("inFlight").asLong()
                - k.path("held").asLong());
    }

    /** A marketing campaign to the audience at {@code tps} messages/s in all. @return its id */
    private static String campaign(String name, double tps) throws Exception {
        HttpResponse<String> r = call("POST", "/v1/campaigns", KEY, "application/json", """
                {"name": "%s", "channel": "sms", "category": "marketing", "sender": "acme", "text": "Hi {{first_name}}",
                 "footer": "Reply STOP to opt out", "segment": "audience", "tps": %s}""".formatted(name, tps));
        assertEquals(201, r.statusCode(), r.body());
        return JSON.readTree(r.body()).path("id").asText();
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = call("GET", path, KEY, null, null);
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private static HttpResponse<String> call(String method, String path, String key, String contentType, String body)
            throws Exception {
        return ServiceTests.call(node.port(), method, path, key, contentType, body);
    }

    private static String base() {
        return "http://127.0.0.1:" + node.port();
    }

    private static void screenshot(WebDriver browser, String name) throws Exception {
        Chromium.screenshot(browser, "console-cluster", name);
    }
}
