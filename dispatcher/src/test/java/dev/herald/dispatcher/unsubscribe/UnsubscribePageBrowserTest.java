package dev.herald.dispatcher.unsubscribe;

import static dev.herald.dispatcher.unsubscribe.LinkFixture.BRAND;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.PHONES;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.Chromium;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The unsubscribe page in a real headless {@link Chromium}: unsubscribe, give a reason, resubscribe,
 * change the preferences; after each step the API and the reasons file show the change.
 */
class UnsubscribePageBrowserTest {

    static final String A = PHONES.get(0);

    @TempDir
    Path dir;

    static void requireBrowser() {
        Chromium.require();
    }

    static WebDriver chromium() {
        return chromium(null);
    }

    /** @param userAgent the agent it presents (null: Chromium's own, which says HeadlessChrome) */
    static WebDriver chromium(String userAgent) {
        return Chromium.start(userAgent);
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
        Chromium.screenshot(browser, "unsubscribe-page", name);
    }
}
