package dev.herald.dispatcher;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * What the console's browser tests do on its pages, whichever server (a single node or a cluster
 * node) serves them: sign in, run a script in the page.
 *
 * <pre>{@code
 * ConsolePages.signIn(browser, wait, key);
 * ConsolePages.js(browser, "return sessionStorage.getItem('herald.apiKey')");
 * }</pre>
 */
public final class ConsolePages {

    private ConsolePages() {
    }

    /** Runs {@code script} in the page. @return what it returns (a JavaScript number is a {@code Long}) */
    public static Object js(WebDriver browser, String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    /** Signs in on the sign-in form with the keyboard alone, and waits until the console shows the key's role. */
    public static void signIn(WebDriver browser, WebDriverWait wait, String key) {
        WebElement input = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        input.clear();
        input.sendKeys(key, Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("who-role")));
        wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("api-key")));
    }
}
