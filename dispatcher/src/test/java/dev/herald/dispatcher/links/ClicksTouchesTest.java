package dev.herald.dispatcher.links;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.funnel.TouchStore;
import dev.herald.dispatcher.funnel.Touches;

import com.typesafe.config.ConfigFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A human click, once written, is the recipient's latest touch (what conversions are attributed from); other clicks are not. */
class ClicksTouchesTest {

    static final String PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1";

    @TempDir
    Path dir;

    @Test
    void aHumanClickBecomesTheRecipientsLatestTouchAndPreviewsAndBotsDoNot() throws Exception {
        Files.createDirectories(dir.resolve("campaigns").resolve("spring"));
        Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
        try (TouchStore touches = TouchStore.open(dir.resolve("funnel"), 1_000)) {
            Clicks clicks = Clicks.open(dir.resolve("campaigns"),
                    ClickRules.fromConfig(ConfigFactory.load().getConfig("herald.links.classify")), 100, null, clock, touches);
            try {
                clicks.record(new LinkTokens.Link("spring", 3, 7, 0), "curl/8.5.0", false, "-");
                clicks.record(new LinkTokens.Link("spring", 3, 8, 0), PHONE, true, "-");
                clicks.record(new LinkTokens.Link("spring", 3, 9, 0), "WhatsApp/2.23.20.0", false, "-");
                clicks.record(new LinkTokens.Link("spring", 3, 10, 1), PHONE, false, "-");
                assertTrue(clicks.awaitWritten(10_000));
            } finally {
                clicks.close();
            }
            assertEquals(Optional.empty(), touches.lastClicked(7), "a bot");
            assertEquals(Optional.empty(), touches.lastClicked(8), "a HEAD");
            assertEquals(Optional.empty(), touches.lastClicked(9), "a preview");
            assertEquals(Optional.of(new Touches.Touch(3, clock.millis())), touches.lastClicked(10));
        }
    }
}
