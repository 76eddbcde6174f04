package dev.herald.dispatcher.links;

import static dev.herald.dispatcher.links.ClickRules.ClickClass.BOT;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.HUMAN;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.PREVIEW;
import static dev.herald.dispatcher.links.ClickRules.ClickClass.SUSPICIOUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link ClickRules}: the shipped defaults on real agents, the order of the rules, and bad configuration. */
class ClickRulesTest {

    static final String IMESSAGE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko)"
            + " Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
    static final String IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            + " Version/17.1 Mobile/15E148 Safari/604.1";
    static final List<String> HUMAN_AGENTS = List.of(IPHONE,
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0"
                    + " Chrome/115.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
                    + " Edg/120.0.2210.91",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
                    + " Instagram 303.0.0.11.109 (iPhone14,5; iOS 16_6; en_US; en; scale=3.00; 1170x2532; 520883245)",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
                    + " [FBAN/FBIOS;FBAV/436.0.0.36.113;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.0;FBSS/3;FBID/phone;FBLC/en_US]",
            "Mozilla/5.0 (Linux; U; Android 12; en-us; 2201117TG Build/SKQ1.211006.001) AppleWebKit/537.36 (KHTML, like Gecko)"
                    + " Version/4.0 Chrome/100.0.4896.127 Mobile Safari/537.36 XiaoMi/MiuiBrowser/13.26.1-gn");

    static ClickRules defaults() {
        return ClickRules.fromConfig(ConfigFactory.load().getConfig("herald.links.classify"));
    }

    @Test
    void theShippedDefaultsAreLoadedThroughTheReferenceConfig() {
        ClickRules r = defaults();
        assertEquals(Duration.ofSeconds(3), r.suspiciousWithin());
        assertTrue(r.previews().contains("facebookexternalhit"), r.previews().toString());
        assertTrue(r.previews().contains("whatsapp"), "kept lower-case: " + r.previews());
        assertTrue(r.bots().contains("curl/"), r.bots().toString());
        assertTrue(r.bots().contains("python-requests"), r.bots().toString());
        assertTrue(r.previews().stream().allMatch(p -> !p.isBlank() && p.equals(p.strip().toLowerCase())));
    }

    @Test
    void linkPreviewsOfMessagingAppsArePreviews() {
        ClickRules r = defaults();
        for (String agent : List.of(IMESSAGE, "WhatsApp/2.23.20.0 A", "WhatsApp/2.23", "TelegramBot (like TwitterBot)",
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "facebookexternalhit/1.1",
                "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", "LinkedInBot/1.0 (compatible; Mozilla/5.0)",
                "whatsapp/2.23.20.0 i", "FACEBOOKEXTERNALHIT/1.1")) {
            assertEquals(PREVIEW, r.classify(agent, false, 60_000), agent);
            assertEquals(PREVIEW, r.classify(agent, false, 500), "a preview however soon: " + agent);
            assertEquals(PREVIEW, r.classify(agent, false, -1), agent);
        }
        assertEquals(PREVIEW, r.classify(IMESSAGE, true, 60_000), "previews come first, even a HEAD");
    }

    @Test
    void scriptsCrawlersScannersHeadlessBrowsersHeadAndNoAgentAreBots() {
        ClickRules r = defaults();
        for (String agent : List.of("curl/8.5.0", "python-requests/2.31.0", "python-requests/2.31",
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.71 Safari/537.36",
                "Wget/1.21.4", "Go-http-client/1.1", "okhttp/4.12.0", "Java/17.0.9", "Apache-HttpClient/4.5.14 (Java/17.0.9)",
                "CURL/7.0", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)")) {
            assertEquals(BOT, r.classify(agent, false, 60_000), agent);
            assertEquals(BOT, r.classify(agent, false, 100), "a bot, not suspicious: " + agent);
        }
        assertEquals(BOT, r.classify(IPHONE, true, 60_000), "HEAD");
        assertEquals(BOT, r.classify(IPHONE, true, -1), "HEAD");
        assertEquals(BOT, r.classify(null, false, 60_000), "no agent");
        assertEquals(BOT, r.classify("", false, 60_000), "empty agent");
        assertEquals(BOT, r.classify("   ", false, 60_000), "blank agent");
    }

    @Test
    void aBrowserTooSoonAfterDeliveryIsSuspiciousOtherwiseHuman() {
        ClickRules r = defaults();
        assertEquals(SUSPICIOUS, r.classify(IPHONE, false, 1_000));
        assertEquals(SUSPICIOUS, r.classify(IPHONE, false, 0));
        assertEquals(SUSPICIOUS, r.classify(IPHONE, false, 2_999));
        assertEquals(HUMAN, r.classify(IPHONE, false, 3_000));
        assertEquals(HUMAN, r.classify(IPHONE, false, 10_000));
        assertEquals(HUMAN, r.classify(IPHONE, false, -1), "delivery not known");
        assertEquals(HUMAN, r.classify(IPHONE, false, Long.MAX_VALUE));
        for (String agent : HUMAN_AGENTS) {
            assertEquals(HUMAN, r.classify(agent, false, 40_000), agent);
        }
        ClickRules never = new ClickRules(List.of("x-preview"), List.of("x-bot"), Duration.ZERO);
        assertEquals(HUMAN, never.classify(IPHONE, false, 0), "0s: never suspicious");
    }

    @Test
    void fragmentsMatchAnywhereIgnoringCaseAndOnlyTheConfiguredOnes() {
        ClickRules r = new ClickRules(List.of(" MyPreview "), List.of("Scanner/"), Duration.ofSeconds(10));
        assertEquals(List.of("mypreview"), r.previews());
        assertEquals(PREVIEW, r.classify("foo MYPREVIEW/1 bar", false, -1));
        assertEquals(BOT, r.classify("acme scanner/2", false, -1));
        assertEquals(HUMAN, r.classify("curl/8.5.0", false, -1), "curl is a bot only if configured so");
        assertEquals(SUSPICIOUS, r.classify("curl/8.5.0", false, 9_999));
        assertEquals("human", HUMAN.label());
        assertEquals("suspicious", SUSPICIOUS.label());
    }

    static Config classify(String hocon) {
        return ConfigFactory.parseString(hocon).withFallback(ConfigFactory.defaultReference()).resolve()
                .getConfig("herald.links.classify");
    }

    @Test
    void badConfigurationIsRefusedNamingTheKey() {
        ConfigException empty = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(classify("herald.links.classify.previews = [\"WhatsApp\", \"\"]")));
        assertTrue(empty.getMessage().contains("herald.links.classify.previews"), empty.getMessage());
        ConfigException blank = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(classify("herald.links.classify.bots = [\"  \"]")));
        assertTrue(blank.getMessage().contains("herald.links.classify.bots"), blank.getMessage());
        ConfigException negative = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(classify("herald.links.classify.suspicious-within = -1s")));
        assertTrue(negative.getMessage().contains("suspicious-within"), negative.getMessage());
        ConfigException notDuration = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(classify("herald.links.classify.suspicious-within = soon")));
        assertTrue(notDuration.getMessage().contains("suspicious-within"), notDuration.getMessage());
        ConfigException notList = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(classify("herald.links.classify.previews = {a = 1}")));
        assertTrue(notList.getMessage().contains("previews"), notList.getMessage());
        ConfigException missing = assertThrows(ConfigException.class,
                () -> ClickRules.fromConfig(ConfigFactory.parseString("previews = [], suspicious-within = 3s")));
        assertTrue(missing.getMessage().contains("bots"), missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ClickRules(null, List.of(), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new ClickRules(List.of(), List.of(), null));
        assertThrows(IllegalArgumentException.class, () -> new ClickRules(List.of(), List.of(), Duration.ofMillis(-1)));
        assertEquals(HUMAN, new ClickRules(List.of(), List.of(), Duration.ZERO).classify("x", false, 0), "empty lists are fine");
    }
}
