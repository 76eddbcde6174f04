package dev.herald.dispatcher.api;

import static dev.herald.dispatcher.ConsolePages.js;
import static dev.herald.dispatcher.ConsolePages.signIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.Chromium;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.dispatcher.render.Segments;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator console in a real headless {@link Chromium} against a real {@code herald serve}
 * with data: sign in, watch a campaign created through the API appear and complete without a
 * reload, pause and resume it from the page, read its funnel and its A/B decision; a viewer key
 * sees no steering buttons and the API refuses them anyway; a revoked key is sent back to sign-in;
 * a campaign named like a script is shown as text. Screenshots go to {@code target/console/}.
 */
class ConsoleBrowserTest {

    static final String XSS = "<script>alert(1)</script>";
    static final String XSS_IMG = "<img src=x onerror=\"window.heraldXss=1\">";

    @TempDir
    Path dir;

    static void screenshot(WebDriver browser, String name) throws Exception {
        Chromium.screenshot(browser, "console", name);
    }

    static String statusOnPage(WebDriver browser) {
        return browser.findElement(By.id("campaign-status")).getText();
    }

    @Test
    void shouldSignInWatchPauseResumeAndReadACampaignWithoutReloading() throws Exception {
        Chromium.require();
        try (ConsoleFixture f = ConsoleFixture.start(dir, 100)) {
            WebDriver browser = Chromium.start(null);
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.get(f.base() + "/console/");
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
                assertEquals("Sign in", browser.findElement(By.tagName("h1")).getText());
                screenshot(browser, "1-sign-in");

                // a wrong key is refused on the page, and not kept
                browser.findElement(By.id("api-key")).sendKeys("hk_wrong-key-0123456789", Keys.ENTER);
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("signin-error"), "does not know this key"));
                assertNull(js(browser, "return sessionStorage.getItem('herald.apiKey')"));

                signIn(browser, wait, ConsoleFixture.ADMIN);
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));
                assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("admin"));
                assertFalse(browser.getCurrentUrl().contains(ConsoleFixture.ADMIN), "the key is never in the URL");
                assertEquals(ConsoleFixture.ADMIN, js(browser, "return sessionStorage.getItem('herald.apiKey')"));
                assertEquals(0L, js(browser, "return localStorage.length"));
                assertEquals("", js(browser, "return document.cookie"));
                js(browser, "window.heraldNoReload = 'still here'"); // gone if the page ever reloads

                // a campaign created through the API appears in the list and moves without a reload
                String id = f.campaign("Spring sale", 5);
                By row = By.cssSelector("tr[data-id='" + id + "']");
                wait.until(ExpectedConditions.visibilityOfElementLocated(row));
                assertEquals("Spring sale", browser.findElement(row).findElement(By.className("campaign-name")).getText());
                By sentCell = By.cssSelector("tr[data-id='" + id + "'] td[data-count='sent']");
                String sentBefore = browser.findElement(sentCell).getText();
                wait.until(ExpectedConditions.not(ExpectedConditions.textToBe(sentCell, sentBefore))); // its counts move
                screenshot(browser, "2-campaigns");

                // the filters: by status and by name
                new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("filter-status"))).selectByValue("cancelled");
                wait.until(ExpectedConditions.invisibilityOfElementLocated(row));
                new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("filter-status"))).selectByValue("");
                browser.findElement(By.id("filter-name")).sendKeys("autumn");
                wait.until(ExpectedConditions.invisibilityOfElementLocated(row));
                browser.findElement(By.id("filter-name")).clear();
                browser.findElement(By.id("filter-name")).sendKeys("spring");
                wait.until(ExpectedConditions.visibilityOfElementLocated(row));

                // the campaign's page: pause with the keyboard, then resume
                browser.findElement(row).findElement(By.className("campaign-name")).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Spring sale"));
                WebElement pause = wait.until(ExpectedConditions.elementToBeClickable(By.id("pause")));
                pause.sendKeys(Keys.ENTER);
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "paused"));
                assertEquals("paused", f.get("/v1/campaigns/" + id).path("status").asText());
                assertEquals("resume", js(browser, "return document.activeElement.id"), "the focus moves to Resume");
                assertTrue(browser.findElements(By.id("pause")).isEmpty());
                screenshot(browser, "3-campaign-paused");
                long sentWhenPaused = f.get("/v1/campaigns/" + id).path("counts").path("sent").asLong();
                assertTrue(sentWhenPaused < 100, "paused before the end: " + sentWhenPaused);
                browser.findElement(By.id("resume")).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));

                // it completes on the page, over the event stream
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "completed"));
                wait.until(ExpectedConditions.textToBe(By.id("progress-text"), "100 of 100 recipients decided"));
                assertEquals("completed", f.get("/v1/campaigns/" + id).path("status").asText());
                assertTrue(browser.findElement(By.id("campaign-live")).getText().startsWith("Final"));
                assertTrue(browser.findElements(By.cssSelector("#actions button")).isEmpty(), "nothing to steer once completed");

                // its funnel: the chart and its table
                wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#funnel-chart .bar-sent"), "data-count", "100"));
                JsonNode funnel = f.get("/v1/campaigns/" + id + "/funnel");
                assertEquals(funnel.path("steps").path("sent").asLong(), 100);
                assertEquals(String.valueOf(funnel.path("steps").path("delivered").asLong()),
                        browser.findElement(By.cssSelector("#funnel-chart .bar-delivered")).getAttribute("data-count"));
                assertTrue(browser.findElement(By.id("funnel-table")).getText().contains("Sent 100"),
                        browser.findElement(By.id("funnel-table")).getText());
                browser.findElement(By.id("funnel")).getRect(); // laid out
                js(browser, "document.getElementById('funnel').scrollIntoView()");
                screenshot(browser, "4-campaign-funnel");
                browser.manage().window().setSize(new Dimension(1280, 1000));
                js(browser, "window.scrollTo(0, 0)");
                screenshot(browser, "5-campaign-desktop");

                // how fast: no receipts from the simulated connector, so the curves say so rather than draw nothing
                assertTrue(browser.findElement(By.id("delivery-curve-empty")).getText().contains("none counted yet"));
                // its opt-outs: a STOP reply is attributed to it, and shown by time since the send and by reason
                assertEquals("0 opted out (0% of 100 sent).", browser.findElement(By.id("optouts-summary")).getText());
                f.reply("+447400124003", "STOP");
                f.await("/v1/campaigns/" + id + "/optouts", o -> o.path("optOuts").asLong() == 1);
                js(browser, "location.hash = '#/campaigns'");
                wait.until(ExpectedConditions.visibilityOfElementLocated(row));
                js(browser, "location.hash = '#/campaigns/" + id + "'");
                wait.until(ExpectedConditions.textToBe(By.id("optouts-summary"), "1 opted out (1% of 100 sent)."));
                assertTrue(browser.findElement(By.id("optouts-reasons-table")).getText().contains("keyword 1"),
                        browser.findElement(By.id("optouts-reasons-table")).getText());
                assertEquals("1", browser.findElement(By.cssSelector("#optouts-hours .bar[data-count='1']")).getAttribute("data-count"));
                js(browser, "document.getElementById('optouts').scrollIntoView()");
                screenshot(browser, "5b-campaign-optouts");
                assertEquals("still here", js(browser, "return window.heraldNoReload"), "the page never reloaded");

                // an A/B test decided by an operator: the variants, the results and the decision
                String ab = f.campaign("""
                        {"name": "Subject test", "channel": "sms", "category": "promotions", "sender": "acme", "segment": "all",
                         "trackLinks": true, "variants": [{"text": "ACME: 20% off today https://shop.example/a"},
                                                          {"text": "ACME: spring sale today https://shop.example/b"}],
                         "test": {"sample": 0.2, "wait": "PT1H", "minPerVariant": 1}}""");
                f.await("/v1/campaigns/" + ab, c -> c.path("experiment").path("sampledAt").isTextual()
                        && c.path("counts").path("pending").asLong() == 0 && c.path("counts").path("inFlight").asLong() == 0);
                browser.get(f.base() + "/console/#/campaigns/" + ab);
                wait.until(ExpectedConditions.textToBe(By.id("decision"), "Not decided yet."));
                // the operator picks B on the page
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector(".pick-winner[data-variant='B']"))).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("decision"), "Sending B to the held recipients"));
                assertTrue(browser.findElement(By.id("decision")).getText().contains("by an operator"));
                assertEquals("operator", f.get("/v1/campaigns/" + ab).path("experiment").path("decidedBy").asText());
                assertEquals("B", f.get("/v1/campaigns/" + ab).path("experiment").path("send").asText());
                wait.until(ExpectedConditions.invisibilityOfElementLocated(By.className("pick-winner")));
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("variant-results")));
                assertTrue(browser.findElement(By.id("variants-table")).getText().contains("ACME: 20% off today"));
                js(browser, "document.getElementById('variants').scrollIntoView()");
                screenshot(browser, "6-ab-test");

                // the audit log (admin): the pause, the resume and the pick done on the pages, by this key
                js(browser, "location.hash = '#/audit'");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("audit-table"), "/winner"));
                String audit = browser.findElement(By.id("audit-table")).getText();
                assertTrue(audit.contains("POST /v1/campaigns/" + id + "/pause") && audit.contains("POST /v1/campaigns/" + id
                        + "/resume") && audit.contains("POST /v1/campaigns/" + ab + "/winner"), audit);
                screenshot(browser, "6b-audit");

                // a forged name is text, and no script runs
                String forged = f.campaign(XSS, 0);
                String forgedImg = f.campaign(XSS_IMG, 0);
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.get(f.base() + "/console/#/campaigns");
                wait.until(ExpectedConditions.textToBe(sentCell, "100"));
                assertEquals("completed", browser.findElement(By.cssSelector("tr[data-id='" + id + "'] .badge")).getText());
                By forgedRow = By.cssSelector("tr[data-id='" + forged + "'] .campaign-name");
                wait.until(ExpectedConditions.textToBe(forgedRow, XSS));
                wait.until(ExpectedConditions.textToBe(By.cssSelector("tr[data-id='" + forgedImg + "'] .campaign-name"), XSS_IMG));
                screenshot(browser, "7-forged-names");
                browser.findElement(forgedRow).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), XSS));
                assertEquals(XSS + " \u00b7 Herald console", browser.getTitle());
                assertEquals(1L, js(browser, "return document.scripts.length"), "only the console's own module");
                assertEquals(0L, js(browser, "return document.querySelectorAll('main script, main img').length"));
                assertNull(js(browser, "return window.heraldXss === undefined ? null : window.heraldXss"));
                assertThrows(NoAlertPresentException.class, () -> browser.switchTo().alert());
                screenshot(browser, "8-forged-campaign");
                assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void shouldShowAViewerNoSteeringWhichTheApiRefusesAnywayAndSendARevokedKeyToSignIn() throws Exception {
        Chromium.require();
        try (ConsoleFixture f = ConsoleFixture.start(dir, 100)) {
            String id = f.campaign("Slow one", 2);
            JsonNode viewer = f.key("viewer");
            WebDriver browser = Chromium.start(null);
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.get(f.base() + "/console/#/campaigns/" + id);
                signIn(browser, wait, viewer.path("key").asText());
                // sign-in keeps the page asked for
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Slow one"));
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "running"));
                assertTrue(browser.findElement(By.id("who-role")).getText().endsWith("viewer"));
                for (String button : List.of("pause", "resume", "cancel", "cancel-confirm")) {
                    assertTrue(browser.findElements(By.id(button)).isEmpty(), "a viewer sees no " + button + " button");
                }
                assertTrue(browser.findElements(By.cssSelector("#actions button, main button")).isEmpty());
                assertFalse(browser.findElement(By.id("nav-new")).isDisplayed(), "a viewer sees no New campaign link");
                assertFalse(browser.findElement(By.id("nav-audit")).isDisplayed(), "nor the audit log");
                screenshot(browser, "9-viewer");
                for (String action : List.of("pause", "resume", "cancel")) {
                    assertEquals(403, f.call("POST", "/v1/campaigns/" + id + "/" + action, viewer.path("key").asText(),
                            null, null).statusCode(), action);
                }
                assertEquals("running", f.get("/v1/campaigns/" + id).path("status").asText());

                // an analyst reads the campaign and its reports, and sees no page of one person's numbers
                JsonNode analyst = f.key("analyst");
                browser.findElement(By.id("sign-out")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin-notice")));
                signIn(browser, wait, analyst.path("key").asText());
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));
                js(browser, "location.hash = '#/campaigns/" + id + "'");
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Slow one"));
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("funnel-table")));
                assertFalse(browser.findElement(By.id("nav-recipient")).isDisplayed(), "an analyst sees no Recipient link");
                assertTrue(browser.findElements(By.cssSelector("main button")).isEmpty());
                js(browser, "location.hash = '#/recipient'");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.tagName("main"), "reads reports only"));
                assertTrue(browser.findElements(By.id("phone")).isEmpty());
                assertEquals(403, f.call("GET", "/v1/campaigns/" + id + "/recipients/%2B447400124001",
                        analyst.path("key").asText(), null, null).statusCode());
                screenshot(browser, "9b-analyst");
                js(browser, "location.hash = '#/campaigns'");
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));

                // a sender key does see them; its cancel asks first
                JsonNode sender = f.key("sender");
                browser.findElement(By.id("sign-out")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin-notice")));
                assertNull(js(browser, "return sessionStorage.getItem('herald.apiKey')"), "signing out forgets the key");
                signIn(browser, wait, sender.path("key").asText());
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));
                browser.get(f.base() + "/console/#/campaigns/" + id);
                wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel"))).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel-keep"))).click();
                assertEquals("running", f.get("/v1/campaigns/" + id).path("status").asText(), "keep sending changes nothing");
                wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel"))).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel-confirm"))).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "cancelled"));
                assertEquals("cancelled", f.get("/v1/campaigns/" + id).path("status").asText());

                // the list shows the newest 50; Show more shows the rest, and the keyboard goes on from there
                f.json(f.call("POST", "/v1/segments/one", ConsoleFixture.ADMIN, "text/csv", "phone,tz\n+447400124000,Europe/London\n"));
                for (int i = 1; i <= 51; i++) {
                    f.campaign("""
                            {"name": "Bulk %02d", "channel": "sms", "category": "order-updates", "sender": "acme",
                             "text": "ACME: your order", "segment": "one"}""".formatted(i));
                }
                browser.get(f.base() + "/console/#/campaigns");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("campaigns-summary"), "Showing 50 of 52 campaigns"));
                By shownRows = By.cssSelector("#campaign-rows tr:not([hidden])");
                assertEquals(50, browser.findElements(shownRows).size());
                assertEquals("Bulk 51", browser.findElement(shownRows).findElement(By.className("campaign-name")).getText(),
                        "newest first");
                WebElement more = browser.findElement(By.id("show-more"));
                assertEquals("Show 2 more (50 of 52 shown)", more.getText());
                more.sendKeys(Keys.ENTER);
                wait.until(ExpectedConditions.textToBe(By.id("campaigns-summary"), "52 campaigns"));
                assertEquals(52, browser.findElements(shownRows).size());
                assertFalse(browser.findElement(By.id("show-more")).isDisplayed());
                assertEquals("Bulk 01", js(browser, "return document.activeElement.textContent"), "the first row it showed");
                browser.findElement(By.id("filter-name")).sendKeys("bulk 0");
                wait.until(ExpectedConditions.textToBe(By.id("campaigns-summary"), "9 of 52 campaigns match"));

                // a key revoked while the console is open: the next call's 401 goes back to sign-in
                browser.get(f.base() + "/console/#/campaigns");
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("campaigns")));
                assertEquals(204, f.call("DELETE", "/v1/keys/" + sender.path("id").asText(), ConsoleFixture.ADMIN, null, null)
                        .statusCode());
                // (the list polls every 10 s when nothing is live; its next call is refused)
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("signin-notice"), "refused the key"));
                assertNull(js(browser, "return sessionStorage.getItem('herald.apiKey')"));
                screenshot(browser, "10-revoked");
                assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
            } finally {
                browser.quit();
            }
        }
    }

    /** Sets the new-campaign text as typing would (an input event), also for characters ChromeDriver cannot type. */
    static void setText(WebDriver browser, String value) {
        ((JavascriptExecutor) browser).executeScript("const t = document.getElementById('text'); t.value = arguments[0];"
                + " t.dispatchEvent(new Event('input', {bubbles: true}));", value);
    }

    static String countOf(WebDriver browser, String attribute) {
        return browser.findElement(By.id("text-count")).getAttribute(attribute);
    }

    @Test
    void shouldCreateACampaignWithPreviewAndSendItAndSayWhyAnOptedOutRecipientDidNotGetIt() throws Exception {
        Chromium.require();
        String optedOut = "+447400124007";
        try (ConsoleFixture f = ConsoleFixture.start(dir, 100)) {
            f.json(f.call("POST", "/v1/suppressions", ConsoleFixture.ADMIN, "application/json",
                    "{\"phones\": [\"" + optedOut + "\"], \"scope\": \"sender:acme\", \"reason\": \"STOP\"}"));
            WebDriver browser = Chromium.start(null);
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.get(f.base() + "/console/#/campaigns/new");
                signIn(browser, wait, ConsoleFixture.ADMIN);
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("new-campaign")));
                assertTrue(browser.findElement(By.id("nav-new")).isDisplayed(), "an admin sees New campaign");
                assertEquals("page", browser.findElement(By.id("nav-new")).getAttribute("aria-current"));

                // the live count, typed: the GSM-7 160/161 boundary
                WebElement text = browser.findElement(By.id("text"));
                text.sendKeys("A".repeat(160));
                assertEquals("GSM-7", countOf(browser, "data-encoding"));
                assertEquals("160", countOf(browser, "data-units"));
                assertEquals("1", countOf(browser, "data-parts"));
                text.sendKeys("A");
                assertEquals("161", countOf(browser, "data-units"));
                assertEquals("2", countOf(browser, "data-parts"));
                assertTrue(browser.findElement(By.id("text-count")).getText().contains("2 SMS parts of up to 153"),
                        browser.findElement(By.id("text-count")).getText());
                // and the same parts as Herald's render code for GSM, extension, non-GSM and emoji texts
                List<String> texts = List.of("ACME: spring sale today", "A".repeat(306), "A".repeat(307), "\u20ac".repeat(80),
                        "\u20ac".repeat(81), "A".repeat(152) + "\u20ac" + "A", "ACME: \u0416".repeat(10), "\u0416".repeat(70),
                        "\u0416".repeat(71), "A".repeat(66) + "\ud83d\ude00" + "A".repeat(10), "Caf\u00e9 \u00e7a", "Ca\u00e7 \u00ea",
                        "");
                for (String t : texts) {
                    setText(browser, t);
                    Encoding e = Encoding.detect(t);
                    assertEquals(e == Encoding.GSM_7 ? "GSM-7" : "UCS-2", countOf(browser, "data-encoding"), t);
                    assertEquals(String.valueOf(Segments.units(t, e)), countOf(browser, "data-units"), t);
                    assertEquals(String.valueOf(Segments.count(t)), countOf(browser, "data-parts"), t);
                }
                setText(browser, "ACME: spring sale \u0416");
                assertTrue(browser.findElement(By.id("text-count")).getText().contains("UCS-2 because of"),
                        browser.findElement(By.id("text-count")).getText());

                // a refusal naming a field is shown beside it
                browser.findElement(By.id("name")).sendKeys("Autumn <b>sale</b>");
                browser.findElement(By.id("category")).clear();
                browser.findElement(By.id("category")).sendKeys("promotions");
                browser.findElement(By.id("sender")).sendKeys("acme");
                browser.findElement(By.id("segment")).sendKeys("no-such-segment");
                setText(browser, "ACME: autumn sale today, free delivery");
                browser.findElement(By.id("preview")).click();
                wait.until(ExpectedConditions.textMatches(By.id("segment-error"), java.util.regex.Pattern.compile(".+")));
                assertEquals("true", browser.findElement(By.id("segment")).getAttribute("aria-invalid"));
                screenshot(browser, "11-new-campaign-refused");

                // the preview: the same numbers as the API's for the same body
                browser.findElement(By.id("segment")).clear();
                browser.findElement(By.id("segment")).sendKeys("all");
                browser.findElement(By.id("preview")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("preview-counts")));
                assertEquals("", browser.findElement(By.id("segment-error")).getText());
                JsonNode api = f.json(f.call("POST", "/v1/campaigns/preview", ConsoleFixture.ADMIN, "application/json", """
                        {"name": "Autumn <b>sale</b>", "channel": "sms", "category": "promotions", "sender": "acme",
                         "segment": "all", "text": "ACME: autumn sale today, free delivery"}"""));
                assertEquals(100, api.path("total").asInt());
                assertEquals(1, api.path("counts").path("suppressed").asInt(), api.toString());
                assertEquals(String.valueOf(api.path("total").asLong()), browser.findElement(By.id("preview-total-n")).getText());
                for (String k : List.of("sendNow", "suppressed", "deferred", "capped", "expired")) {
                    assertEquals(String.valueOf(api.path("counts").path(k).asLong()),
                            browser.findElement(By.cssSelector("#preview-counts [data-count='" + k + "']")).getText(), k);
                }
                // its warnings (a flagged word: created anyway under the warn policy), and the parts with the footer it answers
                assertEquals(1, api.path("warnings").size(), api.toString());
                List<WebElement> warnings = browser.findElements(By.cssSelector("#preview-warnings li"));
                assertEquals(1, warnings.size());
                assertEquals(api.path("warnings").get(0).path("code").asText(), warnings.get(0).getAttribute("data-code"));
                assertTrue(warnings.get(0).getText().startsWith("Warning: "), warnings.get(0).getText());
                String footer = api.path("footer").asText();
                assertFalse(footer.isEmpty(), api.toString());
                assertEquals(String.valueOf(Segments.count("ACME: autumn sale today, free delivery\n" + footer)),
                        browser.findElement(By.id("text-count-sent")).getAttribute("data-parts"));
                js(browser, "document.getElementById('preview-section').scrollIntoView()");
                screenshot(browser, "12-new-campaign-preview");

                // send: created, and its page opens and completes
                browser.findElement(By.id("send")).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Autumn <b>sale</b>"));
                String id = browser.getCurrentUrl().replaceAll(".*#/campaigns/", "");
                assertEquals("Autumn <b>sale</b>", f.get("/v1/campaigns/" + id).path("name").asText());
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "completed"));
                screenshot(browser, "13-new-campaign-sent");

                // why did the opted-out number not get it?
                browser.findElement(By.id("nav-recipient")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("recipient-form")));
                browser.findElement(By.id("phone")).sendKeys(optedOut);
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#campaign option[value='" + id + "']")));
                new Select(browser.findElement(By.id("campaign"))).selectByValue(id);
                browser.findElement(By.id("look-up")).click();
                JsonNode why = f.get("/v1/campaigns/" + id + "/recipients/%2B447400124007");
                wait.until(ExpectedConditions.textToBe(By.id("recipient-outcome"), why.path("outcome").asText()));
                assertTrue(why.path("outcome").asText().startsWith("suppressed"), why.toString());
                assertEquals(why.path("reason").asText(), browser.findElement(By.id("recipient-reason")).getText());
                // and across the campaigns: the same outcome in its row, the zone named
                By acrossOutcome = By.cssSelector("#across-table [data-campaign='" + id + "']");
                wait.until(ExpectedConditions.textToBe(acrossOutcome, why.path("outcome").asText()));
                assertEquals("Their time zone: Europe/London", browser.findElement(By.id("recipient-zone")).getText());
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("consent-history")));
                assertTrue(browser.findElement(By.id("consent-state")).getText().contains("sender:acme"),
                        browser.findElement(By.id("consent-state")).getText());
                String history = browser.findElement(By.id("consent-history")).getText();
                assertTrue(history.contains("sender:acme") && history.contains("STOP"), history);
                assertTrue(browser.getCurrentUrl().contains("#/recipient?campaign=")
                        && !browser.getCurrentUrl().contains("447400124007"), "the number stays out of the address: "
                        + browser.getCurrentUrl());
                browser.manage().window().setSize(new Dimension(1280, 1000));
                screenshot(browser, "14-recipient");

                // a number it was sent to: the text exactly as the connector got it (the message log)
                browser.findElement(By.id("phone")).clear();
                browser.findElement(By.id("phone")).sendKeys("+447400124001");
                browser.findElement(By.id("look-up")).click();
                JsonNode sent = f.get("/v1/campaigns/" + id + "/recipients/%2B447400124001");
                assertEquals("sent", sent.path("outcome").asText(), sent.toString());
                String expected = sent.path("message").path("text").asText();
                assertTrue(expected.startsWith("ACME: autumn sale today, free delivery"), sent.toString());
                wait.until(ExpectedConditions.textToBe(By.id("recipient-outcome"), "sent"));
                wait.until(ExpectedConditions.presenceOfElementLocated(By.id("recipient-message-text")));
                assertEquals(expected, js(browser, "return document.getElementById('recipient-message-text').textContent"));
                js(browser, "document.getElementById('recipient-message').scrollIntoView()");
                screenshot(browser, "14b-recipient-message");

                // variants and an A/B test from the form: a refusal beside the variant it names, the sample
                // previewed as the API previews it, then sent; the operator picks the winner on its page
                browser.findElement(By.id("nav-new")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("new-campaign")));
                browser.findElement(By.id("name")).sendKeys("Two texts");
                browser.findElement(By.id("category")).clear();
                browser.findElement(By.id("category")).sendKeys("promotions");
                browser.findElement(By.id("sender")).sendKeys("acme");
                browser.findElement(By.id("segment")).sendKeys("all");
                browser.findElement(By.id("text")).sendKeys("ACME: 20% off today");
                browser.findElement(By.id("message-variants")).click();
                assertFalse(browser.findElement(By.id("text")).isDisplayed(), "one text gives way to the variants");
                assertEquals("ACME: 20% off today", browser.findElement(By.id("variants-0-text")).getAttribute("value"));
                assertEquals("1", browser.findElement(By.id("variants-0-count")).getAttribute("data-parts"));
                browser.findElement(By.id("add-variant")).click();
                assertEquals(3, browser.findElements(By.cssSelector("#variants-list fieldset.variant")).size());
                assertTrue(browser.findElement(By.cssSelector("#variants-list fieldset.variant:nth-child(3) .remove-variant"))
                        .isDisplayed());
                browser.findElement(By.cssSelector("#variants-list fieldset.variant:nth-child(3) .remove-variant")).click();
                assertEquals(2, browser.findElements(By.cssSelector("#variants-list fieldset.variant")).size());
                assertFalse(browser.findElement(By.cssSelector("#variants-list fieldset.variant .remove-variant")).isDisplayed(),
                        "two variants at least");
                browser.findElement(By.id("test-on")).click();
                WebElement sample = browser.findElement(By.id("test-sample"));
                sample.clear();
                sample.sendKeys("20");
                browser.findElement(By.id("test-wait")).clear();
                browser.findElement(By.id("test-wait")).sendKeys("1");
                browser.findElement(By.id("test-minPerVariant")).clear();
                browser.findElement(By.id("test-minPerVariant")).sendKeys("1");
                browser.findElement(By.id("preview")).click(); // variant 2 has no text yet
                wait.until(ExpectedConditions.textMatches(By.id("variants-1-text-error"), java.util.regex.Pattern.compile(".+")));
                assertEquals("true", browser.findElement(By.id("variants-1-text")).getAttribute("aria-invalid"));
                assertEquals("variants-1-text", js(browser, "return document.activeElement.id"), "the focus goes to it");
                browser.findElement(By.id("variants-1-text")).sendKeys("ACME: spring sale today");
                browser.findElement(By.id("preview")).click(); // clicks, but no link is tracked: it could never decide
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("test-metric-error"), "track"));
                assertEquals("true", browser.findElement(By.id("test-metric")).getAttribute("aria-invalid"));
                new Select(browser.findElement(By.id("test-metric"))).selectByValue("conversion");
                browser.findElement(By.id("preview")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("preview-sample")));
                JsonNode abPreview = f.json(f.call("POST", "/v1/campaigns/preview", ConsoleFixture.ADMIN, "application/json", """
                        {"name": "Two texts", "channel": "sms", "category": "promotions", "sender": "acme", "segment": "all",
                         "variants": [{"text": "ACME: 20% off today"}, {"text": "ACME: spring sale today"}],
                         "test": {"sample": 0.2, "metric": "conversion", "wait": "PT1H", "minPerVariant": 1, "noWinner": "send-best"}}"""));
                for (String v : List.of("A", "B")) {
                    assertEquals(String.valueOf(abPreview.path("test").path("sample").path(v).asLong()),
                            browser.findElement(By.cssSelector("#preview-sample [data-variant='" + v + "']")).getText(), v);
                }
                assertEquals(String.valueOf(abPreview.path("counts").path("held").asLong()),
                        browser.findElement(By.cssSelector("#preview-counts [data-count='held']")).getText());
                screenshot(browser, "15-new-ab-test-preview");
                browser.findElement(By.id("send")).click();
                wait.until(ExpectedConditions.textToBe(By.id("campaign-name"), "Two texts"));
                String ab = browser.getCurrentUrl().replaceAll(".*#/campaigns/", "");
                JsonNode created = f.get("/v1/campaigns/" + ab);
                assertEquals("PT1H", created.path("test").path("wait").asText(), created.toString());
                assertEquals(0.2, created.path("test").path("sample").asDouble(), 1e-9);
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector(".pick-winner[data-variant='A']"))).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("decision"), "Sending A to the held recipients"));
                wait.until(ExpectedConditions.textToBe(By.id("campaign-status"), "completed"));
                js(browser, "document.getElementById('variants').scrollIntoView()");
                screenshot(browser, "16-ab-test-picked");
                assertEquals(List.of(), Chromium.problems(browser), "no script error, no CSP refusal");
            } finally {
                browser.quit();
            }
        }
    }
}
