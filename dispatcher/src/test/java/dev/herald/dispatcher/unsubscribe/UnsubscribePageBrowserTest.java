package dev.herald.dispatcher.unsubscribe;

import static dev.herald.dispatcher.unsubscribe.LinkFixture.BRAND;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.PHONES;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The unsubscribe page in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium with both paths given, so Selenium Manager never
 * runs and nothing leaves localhost): unsubscribe, give a reason, resubscribe, change the
 * preferences; after each step the API and the reasons file show the change.
 *
 * <p>Without the browser the test is skipped, unless {@code HERALD_BROWSER_TEST=required}
 * ({@code .ci/run} sets it), when it fails.
 */
class UnsubscribePageBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final String A = PHONES.get(0);

    @TempDir
    Path dir;

    static void requireBrowser() {
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
            return;
        }
        String why = "the browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (Debian: apt-get install -y chromium chromium-driver)";
        if ("required".equals(System.getenv("HERALD_BROWSER_TEST"))) {
            fail(why + "; HERALD_BROWSER_TEST=required");
        }
        Assumptions.abort("skipped: " + why);
    }

    static WebDriver chromium() {
        return chromium(null);
    }

    /** @param userAgent the agent it presents (null: Chromium's own, which says HeadlessChrome) */
    static WebDriver chromium(String userAgent) {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--disable-sync", "--window-size=390,844");
        if (userAgent != null) {
            options.addArguments("--user-agent=" + userAgent);
        }
        return new ChromeDriver(service, options);
    }

    static List<String> scopes(JsonNode suppressions) {
        List<String> out = new ArrayList<>();
        suppressions.path("scopes").forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void shouldUnsubscribeGiveAReasonResubscribeAndChangePreferencesInARealBrowser() throws Exception {
        requireBrowser();
        try (LinkFixture f = LinkFixture.start(dir)) {
            String campaign = f.campaign("promotions");
            String page = f.base() + "/u/" + token(f.link(campaign, A));
            WebDriver browser = chromium();
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
                browser.manage().window().setSize(new Dimension(390, 844));
                browser.get(page);
                assertEquals("Unsubscribe from " + BRAND, browser.getTitle(), "the brand is shown as text, not markup");
                assertEquals(List.of(), scopes(f.suppressions(A)), "opening the page unsubscribes nobody");
                screenshot(browser, "1-start");

                // 1. unsubscribe: one button, no second confirmation
                browser.findElement(By.id("unsubscribe")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notice"),
                        "You are unsubscribed from " + BRAND + "."));
                assertEquals(List.of("sender:acme"), scopes(f.suppressions(A)));
                screenshot(browser, "2-unsubscribed");

                // 2. a reason
                browser.findElement(By.id("reason-other")).click();
                browser.findElement(By.id("reason-text")).sendKeys("Too many texts <honestly> & \"often\"");
                browser.findElement(By.id("send-reason")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notice"), "Thank you for telling us"));
                List<JsonNode> reasons = f.reasons();
                assertEquals(1, reasons.size());
                assertEquals("other", reasons.get(0).path("reason").asText());
                assertEquals("Too many texts <honestly> & \"often\"", reasons.get(0).path("text").asText());
                assertEquals(A, reasons.get(0).path("phone").asText());
                assertEquals(campaign, reasons.get(0).path("campaign").asText());
                assertEquals("acme", reasons.get(0).path("sender").asText());

                // 3. resubscribe
                browser.findElement(By.id("resubscribe")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notice"), "You are subscribed to " + BRAND));
                assertEquals(List.of(), scopes(f.suppressions(A)));

                // 4. preferences: no promotions, at most monthly
                assertTrue(browser.findElement(By.id("cat-promotions")).isSelected());
                browser.findElement(By.id("cat-promotions")).click();
                browser.findElement(By.id("freq-monthly")).click();
                browser.findElement(By.id("save-preferences")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("notice"), "Your preferences are saved"));
                screenshot(browser, "3-preferences");
                assertFalse(browser.findElement(By.id("cat-promotions")).isSelected(), "the page shows the saved choice");
                assertTrue(browser.findElement(By.id("cat-order-updates")).isSelected());
                assertTrue(browser.findElement(By.id("freq-monthly")).isSelected());
                JsonNode p = f.preferences(A);
                assertEquals("monthly", p.path("frequency").asText());
                assertFalse(p.path("categories").path("promotions").asBoolean(), p.toString());
                assertTrue(p.path("categories").path("order-updates").asBoolean(), p.toString());
                assertEquals(List.of("category:promotions"), scopes(f.suppressions(A)));
            } finally {
                browser.quit();
            }
        }
    }

    /** Keeps what the browser showed under target/ for a person to look at. */
    private static void screenshot(WebDriver browser, String name) throws Exception {
        Path out = Path.of("target", "unsubscribe-page", name + ".png");
        Files.createDirectories(out.getParent());
        Files.write(out, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
