package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.Chromium;
import dev.herald.dispatcher.ConsolePages;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console's Suppressions and Settings pages in a real headless {@link Chromium} against a real
 * {@code herald serve} ({@link ConsoleFixture}): counts per scope, an opt-out, a CSV import with a bad
 * line, opting one number back in after a confirm step, the acme sender's profile on the settings
 * page; a viewer key sees no button that changes suppressions and the API refuses them anyway; a
 * forged {@code <script>} in a reason shows as text. One browser and one service for the class; each
 * test signs in afresh. Screenshots go to {@code target/console/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleSuppressionsBrowserTest {

    private ConsoleFixture f;
    private WebDriver browser;
    private WebDriverWait wait;
    private Path dir;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        Chromium.require();
        this.dir = dir;
        f = ConsoleFixture.start(dir, 10);
        browser = Chromium.start(null);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            if (f != null) {
                f.close();
            }
        }
    }

    @AfterEach
    void noScriptErrors() {
        assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    /** A fresh console (no key, no session) at phone width, signed in with {@code key} on {@code hash}. */
    private void open(String hash, String key) {
        browser.manage().window().setSize(new Dimension(390, 844));
        browser.get(f.base() + "/console/");
        js("sessionStorage.clear()");
        browser.navigate().refresh();
        browser.get(f.base() + "/console/#" + hash);
        ConsolePages.signIn(browser, wait, key);
    }

    private void awaitCount(String scope, long expected) {
        By cell = By.cssSelector("#suppression-counts td[data-count='" + scope + "']");
        wait.until(ExpectedConditions.textToBe(cell, String.valueOf(expected)));
    }

    private void assertNoPhoneInTheAddress() {
        assertFalse(browser.getCurrentUrl().contains("7400124"), "a phone number in the address: " + browser.getCurrentUrl());
    }

    private void lookUp(String phone) {
        WebElement input = browser.findElement(By.id("lookup-phone"));
        input.clear();
        input.sendKeys(phone);
        browser.findElement(By.id("look-up")).click();
        wait.until(ExpectedConditions.textToBe(By.id("lookup-number"), phone));
    }

    @Test
    void shouldShowCountsAddAnOptOutImportACsvWithABadLineAndRemoveOneAfterConfirming() throws Exception {
        String a = "+447400124010";
        String b = "+447400124011";
        f.optOut("global", "STOP", "+447400124001");
        JsonNode sender = f.key("sender");
        open("/suppressions", sender.path("key").asText());

        // the counts per scope: the same numbers as the API's
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("suppression-counts")));
        assertEquals("page", browser.findElement(By.id("nav-suppressions")).getAttribute("aria-current"));
        awaitCount("global", f.suppressedIn("global"));
        assertTrue(f.suppressedIn("global") >= 1);
        long acmeBefore = f.suppressedIn("sender:acme"); // the tests share one service: counts relative to now
        long promotionsBefore = f.suppressedIn("category:promotions");
        Chromium.screenshot(browser, "console", "s1-suppressions");

        // an opt-out of two numbers for sender acme
        browser.findElement(By.id("optout-phones")).sendKeys(a + "\n" + b);
        browser.findElement(By.id("optout-scope")).sendKeys("sender:acme");
        browser.findElement(By.id("optout-reason")).sendKeys("asked by phone");
        browser.findElement(By.id("optout-add")).click();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#optout-counts [data-count='suppressed']"), "2"));
        assertEquals(List.of("sender:acme"), f.scopesOf(a));
        assertEquals(List.of("sender:acme"), f.scopesOf(b));
        awaitCount("sender:acme", acmeBefore + 2);
        assertEquals(acmeBefore + 2, f.suppressedIn("sender:acme"));
        assertNoPhoneInTheAddress();

        // a refusal naming the scope is shown beside it
        browser.findElement(By.id("optout-phones")).sendKeys(a);
        browser.findElement(By.id("optout-scope")).clear();
        browser.findElement(By.id("optout-scope")).sendKeys("everything");
        browser.findElement(By.id("optout-add")).click();
        wait.until(ExpectedConditions.textMatches(By.id("optout-scope-error"), java.util.regex.Pattern.compile(".+")));
        assertEquals("true", browser.findElement(By.id("optout-scope")).getAttribute("aria-invalid"));
        Chromium.screenshot(browser, "console", "s2-suppressions-added");

        // a CSV file with one bad line: the others are taken, the bad one is listed with its line and why
        Path csv = dir.resolve("opt-outs.csv");
        Files.writeString(csv, "phone\n+447400124020\n12345\n+447400124021\n", StandardCharsets.UTF_8);
        browser.findElement(By.id("import-file")).sendKeys(csv.toAbsolutePath().toString());
        browser.findElement(By.id("import-scope")).sendKeys("category:promotions");
        browser.findElement(By.id("import-reason")).sendKeys("list from the shop");
        browser.findElement(By.id("import-send")).click();
        wait.until(ExpectedConditions.textToBe(By.cssSelector("#import-counts [data-count='suppressed']"), "2"));
        assertEquals("0", browser.findElement(By.cssSelector("#import-counts [data-count='alreadySuppressed']")).getText());
        assertEquals("1", browser.findElement(By.cssSelector("#import-counts [data-count='rejected']")).getText());
        List<WebElement> errors = browser.findElements(By.cssSelector("#import-errors tbody tr"));
        assertEquals(1, errors.size());
        assertEquals("3", errors.get(0).findElement(By.tagName("th")).getText(), "the bad line's number");
        assertFalse(errors.get(0).findElements(By.tagName("td")).get(1).getText().isBlank(), "why it was rejected");
        assertEquals(List.of("category:promotions"), f.scopesOf("+447400124020"));
        awaitCount("category:promotions", promotionsBefore + 2);
        assertEquals(promotionsBefore + 2, f.suppressedIn("category:promotions"));
        js("document.getElementById('import').scrollIntoView()");
        Chromium.screenshot(browser, "console", "s3-suppressions-import");

        // look up a number: scopes in force and its consent history
        js("window.scrollTo(0, 0)");
        lookUp(a);
        By acme = By.cssSelector("#lookup-scopes button[data-scope='sender:acme']");
        wait.until(ExpectedConditions.elementToBeClickable(acme));
        String history = browser.findElement(By.id("lookup-history")).getText();
        assertTrue(history.contains("sender:acme") && history.contains("asked by phone"), history);
        assertNoPhoneInTheAddress();

        // remove: asks first; keeping it changes nothing
        browser.findElement(acme).click();
        wait.until(ExpectedConditions.elementToBeClickable(By.id("remove-keep"))).click();
        assertTrue(browser.findElements(By.id("remove-confirm")).isEmpty());
        assertEquals(List.of("sender:acme"), f.scopesOf(a), "keeping the opt-out changes nothing");
        browser.findElement(acme).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("remove-question")));
        assertTrue(browser.findElement(By.id("remove-question")).getText().contains("sender:acme"));
        browser.findElement(By.id("remove-reason")).sendKeys("re-subscribed at the till");
        Chromium.screenshot(browser, "console", "s4-suppressions-remove-confirm");
        browser.findElement(By.id("remove-confirm")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("lookup-done"), "Opted back in for sender:acme"));
        assertEquals("lookup-done", browser.switchTo().activeElement().getAttribute("id"), "the focus goes to what was done");
        assertEquals(List.of(), f.scopesOf(a));
        assertEquals("no", browser.findElement(By.id("lookup-state")).getText());
        awaitCount("sender:acme", acmeBefore + 1);
        assertEquals(acmeBefore + 1, f.suppressedIn("sender:acme"));
        String after = browser.findElement(By.id("lookup-history")).getText();
        assertTrue(after.contains("opt-in") && after.contains("re-subscribed at the till"), after);
        assertNoPhoneInTheAddress();
        Chromium.screenshot(browser, "console", "s5-suppressions-removed");
    }

    @Test
    void shouldShowTheAcmeProfileCapsAndQuietHoursReadOnly() throws Exception {
        open("/campaigns", ConsoleFixture.ADMIN);
        browser.findElement(By.id("nav-settings")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sender-acme")));
        assertEquals("page", browser.findElement(By.id("nav-settings")).getAttribute("aria-current"));
        JsonNode api = f.get("/v1/settings");
        JsonNode acme = null;
        for (JsonNode s : api.path("senders")) {
            if (s.path("id").asText().equals("acme")) {
                acme = s;
            }
        }
        assertEquals("ACME", acme.path("brand").asText(), api.toString());
        By card = By.id("sender-acme");
        assertEquals("ACME", browser.findElement(card).findElement(By.cssSelector("[data-key='brand']")).getText());
        assertEquals("sender:acme", browser.findElement(card).findElement(By.cssSelector("[data-key='scope']")).getText());
        assertEquals("promotions, order-updates",
                browser.findElement(card).findElement(By.cssSelector("[data-key='categories']")).getText());
        assertEquals("free (warned)", browser.findElement(card).findElement(By.cssSelector("[data-key='flaggedWords']")).getText());
        assertEquals(acme.path("footer").asText(),
                browser.findElement(card).findElement(By.cssSelector("[data-key='footer'] q")).getText());
        assertTrue(browser.findElement(By.id("profile-default")).getText().contains("{brand}"), "the default profile too");
        String quiet = browser.findElement(By.id("quiet-categories")).getText();
        assertTrue(quiet.contains("promotions") && quiet.contains("00:00-24:00"), quiet);
        assertTrue(browser.findElement(By.id("settings-times")).getText().contains("local time"));
        for (String secret : List.of(ConsoleFixture.ADMIN, ConsoleFixture.INBOUND_SECRET)) {
            assertFalse(api.toString().contains(secret) || browser.getPageSource().contains(secret), "the settings show a secret");
        }
        // read-only: nothing to press but sign out
        assertTrue(browser.findElements(By.cssSelector("main button, main input, main form")).isEmpty());
        browser.manage().window().setSize(new Dimension(1280, 1000));
        Chromium.screenshot(browser, "console", "s6-settings");
        js("document.getElementById('caps').scrollIntoView()");
        assertTrue(browser.findElement(By.id("caps-rules")).getText().contains("pref-weekly"), "the preference page's rules");
        Chromium.screenshot(browser, "console", "s6-settings-caps-quiet-hours");
    }

    @Test
    void shouldShowAViewerNoChangeButtonsWhichTheApiRefusesAnyway() throws Exception {
        String c = "+447400124030";
        f.optOut("sender:acme", "STOP", c);
        JsonNode viewer = f.key("viewer");
        String key = viewer.path("key").asText();
        open("/suppressions", key);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("suppression-counts")));
        assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("viewer"));
        awaitCount("sender:acme", f.suppressedIn("sender:acme"));
        for (String id : List.of("optout-form", "import-form", "optout-add", "import-send", "import-file")) {
            assertTrue(browser.findElements(By.id(id)).isEmpty(), "a viewer sees no " + id);
        }
        assertTrue(browser.findElement(By.id("viewer-note")).isDisplayed());
        lookUp(c);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#lookup-scopes li[data-scope='sender:acme']")));
        assertTrue(browser.findElements(By.cssSelector("#lookup-scopes button, #remove-confirm")).isEmpty(),
                "a viewer sees no remove button");
        Chromium.screenshot(browser, "console", "s7-suppressions-viewer");

        // and the API refuses them anyway
        long global = f.suppressedIn("global");
        assertEquals(403, f.call("POST", "/v1/suppressions", key, "application/json",
                "{\"phones\": [\"+447400124031\"], \"scope\": \"global\"}").statusCode());
        assertEquals(403, f.call("POST", "/v1/suppressions?scope=global", key, "text/csv", "phone\n+447400124031\n").statusCode());
        assertEquals(403, f.call("DELETE", "/v1/suppressions/%2B447400124030?scope=sender:acme", key, null, null).statusCode());
        assertEquals(List.of("sender:acme"), f.scopesOf(c));
        assertEquals(global, f.suppressedIn("global"), "nothing opted out by the refused requests");
        assertEquals(200, f.call("GET", "/v1/settings", key, null, null).statusCode(), "a viewer reads the settings");
    }

    @Test
    void shouldShowAForgedScriptInAReasonAsText() throws Exception {
        String d = "+447400124040";
        f.optOut("global", ConsoleBrowserTest.XSS, d);
        f.optOut("channel:sms", ConsoleBrowserTest.XSS_IMG, d);
        open("/suppressions", ConsoleFixture.ADMIN);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("suppression-counts")));
        lookUp(d);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("lookup-history")));
        String history = browser.findElement(By.id("lookup-history")).getText();
        assertTrue(history.contains(ConsoleBrowserTest.XSS), history);
        assertTrue(history.contains(ConsoleBrowserTest.XSS_IMG), history);
        assertEquals(1L, js("return document.scripts.length"), "only the console's own module");
        assertEquals(0L, js("return document.querySelectorAll('main script, main img').length"));
        assertNull(js("return window.heraldXss === undefined ? null : window.heraldXss"));
        assertThrows(NoAlertPresentException.class, () -> browser.switchTo().alert());
        browser.manage().window().setSize(new Dimension(1280, 1000));
        js("document.getElementById('lookup').scrollIntoView()");
        Chromium.screenshot(browser, "console", "s8-suppressions-forged-reason");
    }
}
