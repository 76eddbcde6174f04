package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.Chromium;
import dev.herald.dispatcher.ConsolePages;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's journeys in a real headless {@link Chromium} against a real {@code herald serve}:
 * the list with how many entered and wait, a journey's steps with five people waiting at its delay,
 * its flow of the last days, pause and resume and archive (which asks first); a viewer key sees no
 * buttons and the API refuses them anyway; a journey named like a script shows as text; the
 * recipient page shows where a number is in the journeys and its preferences. One browser and one
 * service for the class. Screenshots go to {@code target/console/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleJourneysBrowserTest {

    static final String XSS = "<script>alert(1)</script><img src=x onerror=\"window.heraldXss=1\">";
    /** People who signed up (members 0 to 4 of the segment {@code all}). */
    static final int SIGNED_UP = 5;

    private Path dir;
    private ConsoleFixture f;
    private WebDriver browser;
    private WebDriverWait wait;
    private String welcome;
    private String forged;

    static String definition(String name, String event) throws Exception {
        return """
                {"name": %s, "entry": {"event": "%s"}, "reentry": {"policy": "once"},
                 "start": "hello",
                 "steps": [
                   {"id": "hello", "type": "send", "channel": "sms", "category": "promotions", "sender": "acme",
                    "template": "ACME: welcome aboard", "next": "wait-2d"},
                   {"id": "wait-2d", "type": "delay", "duration": "P2D", "next": "done"},
                   {"id": "done", "type": "exit", "reason": "done"}]}"""
                .formatted(ConsoleFixture.JSON.writeValueAsString(name), event);
    }

    @BeforeAll
    void start() throws Exception {
        Chromium.require();
        dir = Files.createTempDirectory("console-journeys");
        f = ConsoleFixture.start(dir, 20);
        welcome = f.journey(definition("Welcome", "signed_up"));
        forged = f.journey(definition(XSS, "never_happens"));
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < SIGNED_UP; i++) {
            events.append("{\"id\": \"su-").append(i).append("\", \"phone\": \"").append(ConsoleFixture.phone(i))
                    .append("\", \"name\": \"signed_up\"}\n");
        }
        f.events(events.toString());
        // all five sent to and waiting two days
        f.await("/v1/journeys/" + welcome + "/report", r -> r.path("versions").path(0).path("steps").path(1).path("now").asLong()
                == SIGNED_UP && r.path("versions").path(0).path("steps").path(0).path("sent").asLong() == SIGNED_UP);
        browser = Chromium.start(null);
        wait = new WebDriverWait(browser, Duration.ofSeconds(60));
    }

    @AfterAll
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (f != null) {
            f.close();
        }
        if (dir != null) {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterEach
    void noScriptErrors() {
        if (browser != null) {
            assertEquals(List.of(), Chromium.problems(browser), "script errors or refusals of the Content-Security-Policy");
            assertNull(ConsolePages.js(browser, "return window.heraldXss || null"), "no forged script ran");
        }
    }

    /** Opens the console afresh (no key in the tab), signs in with {@code key} and goes to {@code hash}. */
    private void signedIn(String key, String hash) {
        browser.get(f.base() + "/console/");
        ConsolePages.js(browser, "sessionStorage.clear()");
        browser.navigate().refresh();
        ConsolePages.signIn(browser, wait, key);
        go(hash);
    }

    /** Moves to {@code hash} in the page (the router's hashchange; no reload). */
    private void go(String hash) {
        ((JavascriptExecutor) browser).executeScript("location.hash = arguments[0]", hash);
    }

    /** A screenshot with the element {@code id} scrolled to the top of the screen. */
    private void screenshotOf(String id, String name) throws Exception {
        ((JavascriptExecutor) browser).executeScript("document.getElementById(arguments[0]).scrollIntoView()", id);
        Chromium.screenshot(browser, "console", name);
        ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    }

    private String cell(String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }

    @Test
    void shouldListJourneysAndShowOneWithPeopleWaitingItsFlowAndSteerIt() throws Exception {
        signedIn(ConsoleFixture.ADMIN, "#/campaigns");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("nav-journeys"))).click();
        By row = By.cssSelector("tr[data-id='" + welcome + "']");
        wait.until(ExpectedConditions.visibilityOfElementLocated(row));
        assertEquals("Welcome", browser.findElement(row).findElement(By.className("journey-name")).getText());
        wait.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-id='" + welcome + "'] td[data-count='waiting']"), "5"));
        assertEquals("5", cell("tr[data-id='" + welcome + "'] td[data-count='entered']"));
        assertEquals("active", cell("tr[data-id='" + welcome + "'] [data-label='Status']"));
        assertEquals("page", browser.findElement(By.id("nav-journeys")).getAttribute("aria-current"));
        // the forged name is text, in the list and on its page
        assertEquals(XSS, browser.findElement(By.cssSelector("tr[data-id='" + forged + "'] .journey-name")).getText());
        Chromium.screenshot(browser, "console", "journeys-1-list");

        browser.findElement(row).findElement(By.className("journey-name")).click();
        wait.until(ExpectedConditions.textToBe(By.id("journey-name"), "Welcome"));
        By waiting = By.cssSelector("#steps-table tr[data-step='wait-2d'] td[data-count='now']");
        wait.until(ExpectedConditions.textToBe(waiting, "5"));
        assertEquals("5", cell("#steps-table tr[data-step='hello'] td[data-count='arrived']"));
        assertEquals("0", cell("#steps-table tr[data-step='hello'] td[data-count='now']"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#steps-table tr[data-step='hello'] td[data-count='sent']"), "5"));
        assertEquals("\u2013", cell("#steps-table tr[data-step='wait-2d'] td[data-count='sent']"), "a delay sends nothing");
        assertTrue(browser.findElement(By.id("totals-table")).getText().contains("Waiting now 5"),
                browser.findElement(By.id("totals-table")).getText());

        // the flow: a week, today first in the table (last in the chart), with the five who entered and arrived at each step
        WebElement today = browser.findElement(By.cssSelector("#flow-table tbody tr:first-child"));
        List<WebElement> todays = today.findElements(By.tagName("td"));
        assertEquals(7, browser.findElements(By.cssSelector("#flow-table tbody tr")).size());
        List<String> head = browser.findElements(By.cssSelector("#flow-table thead th")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("Day", "Entered", "At hello", "At wait-2d", "At done"), head);
        assertEquals(List.of("5", "5", "5", "0"), todays.stream().map(WebElement::getText).toList(), "entered, at each step");
        String day = today.getAttribute("data-day");
        assertEquals("5", browser.findElement(By.cssSelector("#flow-chart rect.bar-entered[data-day='" + day + "']"))
                .getAttribute("data-count"));
        assertTrue(browser.findElement(By.id("flow-chart-desc")).getAttribute("textContent").startsWith("5 entered"));
        JsonNode flow = f.get("/v1/journeys/" + welcome + "/report").path("flow");
        assertEquals(SIGNED_UP, flow.path("rows").path(6).path("arrived").path("wait-2d").asLong()
                + flow.path("rows").path(5).path("arrived").path("wait-2d").asLong(), flow.toString());
        new Select(browser.findElement(By.id("flow-days"))).selectByValue("30");
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("#flow-table tbody tr"), 30));
        screenshotOf("steps", "journeys-2-steps");
        screenshotOf("flow", "journeys-3-flow");

        // pause with the keyboard, then resume
        wait.until(ExpectedConditions.elementToBeClickable(By.id("pause"))).sendKeys(Keys.ENTER);
        wait.until(ExpectedConditions.textToBe(By.id("journey-status"), "paused"));
        assertEquals("paused", f.get("/v1/journeys/" + welcome).path("status").asText());
        assertEquals("resume", ConsolePages.js(browser, "return document.activeElement.id"), "the focus moves to Resume");
        assertTrue(browser.findElements(By.id("pause")).isEmpty());
        Chromium.screenshot(browser, "console", "journeys-4-paused");
        browser.findElement(By.id("resume")).click();
        wait.until(ExpectedConditions.textToBe(By.id("journey-status"), "active"));
        assertEquals("active", f.get("/v1/journeys/" + welcome).path("status").asText());

        // the forged journey: its name as text; archiving asks first
        go("#/journeys/" + forged);
        wait.until(ExpectedConditions.textToBe(By.id("journey-name"), XSS));
        assertTrue(browser.findElements(By.cssSelector("main script, main img")).isEmpty(), "no element made of the name");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("archive"))).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("archive-keep"))).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("archive")));
        assertEquals("active", f.get("/v1/journeys/" + forged).path("status").asText(), "keeping it changes nothing");
        browser.findElement(By.id("archive")).click();
        Chromium.screenshot(browser, "console", "journeys-5-archive-question");
        wait.until(ExpectedConditions.elementToBeClickable(By.id("archive-confirm"))).click();
        wait.until(ExpectedConditions.textToBe(By.id("journey-status"), "archived"));
        assertEquals("archived", f.get("/v1/journeys/" + forged).path("status").asText());
        assertTrue(browser.findElements(By.cssSelector("#actions button")).isEmpty(), "nothing to steer once archived");
    }

    @Test
    void shouldShowAViewerNoButtonsWhichTheApiRefusesAnyway() throws Exception {
        JsonNode viewer = f.key("viewer");
        String key = viewer.path("key").asText();
        signedIn(key, "#/journeys/" + welcome);
        wait.until(ExpectedConditions.textToBe(By.id("journey-name"), "Welcome"));
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#steps-table tr[data-step='wait-2d'] td[data-count='now']"), "5"));
        assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("viewer"));
        for (String button : List.of("pause", "resume", "archive", "archive-confirm")) {
            assertTrue(browser.findElements(By.id(button)).isEmpty(), "a viewer sees no " + button + " button");
        }
        assertTrue(browser.findElements(By.cssSelector("#actions button")).isEmpty());
        assertTrue(browser.findElement(By.id("nav-journeys")).isDisplayed());
        Chromium.screenshot(browser, "console", "journeys-6-viewer");
        for (String action : List.of("pause", "resume", "archive")) {
            assertEquals(403, f.call("POST", "/v1/journeys/" + welcome + "/" + action, key, null, null).statusCode(), action);
        }
        assertEquals("active", f.get("/v1/journeys/" + welcome).path("status").asText());
    }

    @Test
    void shouldShowWhereARecipientIsInTheJourneysAndItsPreferences() throws Exception {
        signedIn(ConsoleFixture.ADMIN, "#/recipient");
        WebElement phone = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("phone")));
        phone.sendKeys(ConsoleFixture.phone(2), Keys.ENTER);
        By in = By.cssSelector("#journey-positions article[data-journey='" + welcome + "']");
        wait.until(ExpectedConditions.visibilityOfElementLocated(in));
        WebElement article = browser.findElement(in);
        assertEquals("Welcome", article.findElement(By.tagName("a")).getText());
        List<String> now = article.findElements(By.cssSelector("table[id^='journey-now'] tbody tr > *")).stream()
                .map(WebElement::getText).toList();
        assertEquals("wait-2d", now.get(0), now.toString());
        assertEquals("delay", now.get(1), now.toString());
        assertFalse(now.get(3).equals("\u2013"), "its due time: " + now);
        String history = article.findElement(By.cssSelector("table[id^='journey-history']")).getText();
        assertTrue(history.contains("entered version 1") && history.contains("step hello: sent"), history);
        assertTrue(browser.findElements(By.cssSelector("#journey-positions article[data-journey='" + forged + "']")).isEmpty(),
                "a journey it was never in is not listed");
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("preferences-frequency")));
        assertEquals("as sent", browser.findElement(By.id("preferences-frequency")).getText());
        assertEquals("nothing", browser.findElement(By.id("preferences-suppressed")).getText());
        assertFalse(browser.getCurrentUrl().contains("447400124002"), "the number stays out of the address");
        screenshotOf("journey-positions", "journeys-7-recipient");

        // a number that never entered a journey says so
        phone.clear();
        phone.sendKeys(ConsoleFixture.phone(12), Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("journeys-none")));
        assertTrue(browser.findElements(By.cssSelector("#journey-positions article")).isEmpty());
    }
}
