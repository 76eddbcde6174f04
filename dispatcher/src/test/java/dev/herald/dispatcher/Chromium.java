package dev.herald.dispatcher;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A real headless Chromium for the browser tests: Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium with both paths given, so Selenium Manager never
 * runs and nothing leaves localhost.
 *
 * <p>Without the browser a test is skipped, unless {@code HERALD_BROWSER_TEST=required}
 * ({@code .ci/run} sets it), when it fails.
 *
 * <pre>{@code
 * Chromium.require();
 * WebDriver browser = Chromium.start(null);
 * try { ... } finally { browser.quit(); }
 * }</pre>
 */
public final class Chromium {

    public static final Path BINARY = Path.of("/usr/bin/chromium");
    public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private Chromium() {
    }

    /** Skips the calling test without the browser, or fails it when {@code HERALD_BROWSER_TEST=required}. */
    public static void require() {
        if (Files.isExecutable(BINARY) && Files.isExecutable(DRIVER)) {
            return;
        }
        String why = "the browser test needs " + BINARY + " and " + DRIVER
                + " (Debian: apt-get install -y chromium chromium-driver)";
        if ("required".equals(System.getenv("HERALD_BROWSER_TEST"))) {
            fail(why + "; HERALD_BROWSER_TEST=required");
        }
        Assumptions.abort("skipped: " + why);
    }

    /**
     * @param userAgent the agent it presents (null: Chromium's own, which says HeadlessChrome)
     * @return a headless Chromium at phone size (390×844)
     */
    public static WebDriver start(String userAgent) {
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DRIVER.toString())).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(BINARY.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-default-apps", "--disable-sync", "--window-size=390,844");
        if (userAgent != null) {
            options.addArguments("--user-agent=" + userAgent);
        }
        // the page's console messages (script errors, Content-Security-Policy refusals), for problems(...)
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        return new ChromeDriver(service, options);
    }

    /**
     * @return the page's console messages since the last call that are script errors or
     *         Content-Security-Policy refusals (a failed request's own message is not one)
     */
    public static List<String> problems(WebDriver browser) {
        return browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .map(LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Uncaught") || m.contains("SyntaxError")
                        || m.contains("TypeError") || m.contains("ReferenceError"))
                .toList();
    }

    /** Keeps what the browser shows as {@code target/<folder>/<name>.png}, for a person to look at. */
    public static void screenshot(WebDriver browser, String folder, String name) throws Exception {
        Path out = Path.of("target", folder, name + ".png");
        Files.createDirectories(out.getParent());
        Files.write(out, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
}
