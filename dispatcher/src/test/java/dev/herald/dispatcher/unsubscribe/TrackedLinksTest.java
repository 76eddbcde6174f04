package dev.herald.dispatcher.unsubscribe;

import static dev.herald.dispatcher.unsubscribe.LinkFixture.ADMIN;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.PHONES;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.enc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Tracked links end to end on a real service: a campaign with {@code trackLinks} sends each
 * recipient their own short links; following one answers 302 to the campaign's URL and records
 * the click, classed; the funnel counts the human click and shows the others apart; a real
 * Chromium following a link is one human click; bad tokens are 404; everything survives a restart.
 */
class TrackedLinksTest {

    /** iMessage's link-preview fetch. */
    static final String IMESSAGE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko)"
            + " Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
    /** A phone's browser. */
    static final String PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
            + " Chrome/120.0.0.0 Mobile Safari/537.36";
    private static final HttpClient NO_FOLLOW = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private static HttpResponse<String> get(String url, String agent, String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (agent != null) {
            b.header("User-Agent", agent);
        }
        return NO_FOLLOW.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The recipient's tracked link {@code index}, as its message carried it, on this server. */
    private static String link(LinkFixture f, String campaign, String phone, int index) throws Exception {
        JsonNode r = f.json(f.call("GET", "/v1/campaigns/" + campaign + "/recipients/" + enc(phone), ADMIN, null, null));
        String tracked = r.path("links").path(index).path("tracked").asText();
        assertTrue(tracked.startsWith("http://localhost:8080/l/"), "herald.links.base-url and a token: " + r);
        return f.base() + "/l/" + LinkFixture.token(tracked);
    }

    private static JsonNode funnel(LinkFixture f, String campaign) throws Exception {
        return f.json(f.call("GET", "/v1/campaigns/" + campaign + "/funnel", ADMIN, null, null));
    }

    private static void awaitClicks(LinkFixture f, String campaign, String klass, long n) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (funnel(f, campaign).path("clicks").path(klass).path("clicks").asLong() < n) {
            assertTrue(System.nanoTime() < end, "no " + n + " " + klass + " click(s): " + funnel(f, campaign));
            Thread.sleep(20);
        }
    }

    @Test
    void eachRecipientsLinkRedirectsToTheCampaignsUrlAndTheFunnelCountsHumansApartFromPreviewsAndBots() throws Exception {
        try (LinkFixture f = LinkFixture.start(dir)) {
            String campaign = f.campaign("promotions",
                    "Hi {{first_name}}, sale: https://shop.example/sale?src=sms. Terms {{link:https://shop.example/terms}}", true);
            String a0 = link(f, campaign, PHONES.get(0), 0);
            String a1 = link(f, campaign, PHONES.get(0), 1);
            String b0 = link(f, campaign, PHONES.get(1), 0);
            assertNotEquals(a0, b0, "each recipient has their own link");
            assertTrue(LinkFixture.token(a0).length() <= 23, a0);

            HttpResponse<String> preview = get(a0, IMESSAGE, "GET");
            assertEquals(302, preview.statusCode());
            assertEquals("https://shop.example/sale?src=sms", preview.headers().firstValue("Location").orElse(""));
            assertEquals("no-store", preview.headers().firstValue("Cache-Control").orElse(""));
            assertEquals("no-referrer", preview.headers().firstValue("Referrer-Policy").orElse(""));
            assertEquals(302, get(a0, "curl/8.5.0", "GET").statusCode());
            assertEquals(302, get(a1, PHONE_BROWSER, "HEAD").statusCode(), "a HEAD is answered too, and is a bot");
            HttpResponse<String> human = get(a1, PHONE_BROWSER, "GET");
            assertEquals("https://shop.example/terms", human.headers().firstValue("Location").orElse(""));
            assertEquals(302, get(a1, PHONE_BROWSER, "GET").statusCode(), "a second click by the same person");
            awaitClicks(f, campaign, "human", 2);

            // forged, altered, truncated: a small page, nothing recorded
            String token = LinkFixture.token(a0);
            char last = token.charAt(token.length() - 1);
            for (String bad : new String[]{token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A'),
                    token.substring(0, token.length() - 2), token + "x", "AAAAAAAAAAAAAAAAAA", "%2e%2e%2fadmin"}) {
                HttpResponse<String> r = get(f.base() + "/l/" + bad, PHONE_BROWSER, "GET");
                assertEquals(404, r.statusCode(), bad);
                assertTrue(r.body().contains("This link is not valid"), r.body());
            }

            JsonNode fn = funnel(f, campaign);
            assertEquals(3, fn.path("steps").path("sent").asLong(), fn.toString());
            assertEquals(1, fn.path("steps").path("clicked").asLong(), "one person clicked (twice): " + fn);
            assertEquals(1, fn.path("clicks").path("preview").path("recipients").asLong());
            assertEquals(2, fn.path("clicks").path("bot").path("clicks").asLong(), "curl and HEAD");
            assertEquals(2, fn.path("clicks").path("human").path("clicks").asLong());
            assertEquals("sent", fn.path("rates").path("clickedBase").asText(), "the simulated connector sends no receipts");
            assertEquals(0.3333, fn.path("rates").path("clicked").asDouble(), 1e-9);
            assertEquals("https://shop.example/sale?src=sms", fn.path("links").path(0).path("url").asText());
            assertEquals(0, fn.path("links").path(0).path("humans").asLong());
            assertEquals(1, fn.path("links").path(1).path("humans").asLong());

            JsonNode view = f.json(f.call("GET", "/v1/campaigns/" + campaign + "/recipients/" + enc(PHONES.get(0)), ADMIN,
                    null, null));
            assertEquals(5, view.path("clicks").size(), "the recipient's clicks: " + view);
            assertEquals("preview", view.path("clicks").path(0).path("class").asText());

            f.restart();
            JsonNode again = funnel(f, campaign);
            assertEquals(fn.path("steps"), again.path("steps"), "recorded clicks survive a restart");
            assertEquals(fn.path("clicks"), again.path("clicks"));
        }
    }

    @Test
    void aLinkWithCharactersBeyondAsciiIsSentPercentEncodedAndCannotAddAHeader() throws Exception {
        try (LinkFixture f = LinkFixture.start(dir)) {
            // U+010D U+010A: java.net.URI takes them (not ASCII); written a byte per char they are CR LF
            String campaign = f.campaign("promotions",
                    "Sale {{link:https://shop.example/a\u010D\u010ASet-Cookie:%20sid=evil}} and https://shop.example/caf\u00e9", true);
            URI url = URI.create(link(f, campaign, PHONES.get(0), 0));
            String head;
            try (java.net.Socket s = new java.net.Socket(url.getHost(), url.getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET " + url.getRawPath() + " HTTP/1.1\r\nHost: x\r\nUser-Agent: " + PHONE_BROWSER
                        + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                head = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            }
            assertTrue(head.startsWith("HTTP/1.1 302"), head);
            assertTrue(!head.contains("\nSet-Cookie"), "the link's URL added a header: " + head);
            assertTrue(head.contains("\r\nLocation: https://shop.example/a%C4%8D%C4%8ASet-Cookie:%20sid=evil\r\n"), head);
            HttpResponse<String> cafe = get(link(f, campaign, PHONES.get(0), 1), PHONE_BROWSER, "GET");
            assertEquals("https://shop.example/caf%C3%A9", cafe.headers().firstValue("Location").orElse(""));
        }
    }

    @Test
    void aLinkThatIsNotHttpIsRefusedAtCreateAndAnUntrackedCampaignSendsItsUrls() throws Exception {
        try (LinkFixture f = LinkFixture.start(dir)) {
            String body = """
                    {"name": "x", "channel": "sms", "category": "promotions", "sender": "acme", "footer": "",
                     "segment": "all", "trackLinks": true, "text": "Win! {{link:javascript:alert(document.cookie)}}"}""";
            HttpResponse<String> r = f.call("POST", "/v1/campaigns", ADMIN, "application/json", body);
            assertEquals(422, r.statusCode(), r.body());
            JsonNode e = LinkFixture.JSON.readTree(r.body());
            assertEquals("invalid_link", e.path("error").asText());
            assertTrue(e.path("message").asText().contains("javascript:alert(document.cookie)"), r.body());
            assertEquals("text", e.path("field").asText());

            String plain = f.campaign("promotions", "See https://shop.example/x", false);
            JsonNode view = f.json(f.call("GET", "/v1/campaigns/" + plain + "/recipients/" + enc(PHONES.get(0)), ADMIN,
                    null, null));
            assertTrue(view.path("links").isMissingNode(), "no tracked links: " + view);
            assertEquals(false, f.json(f.call("GET", "/v1/campaigns/" + plain, ADMIN, null, null)).path("trackLinks").asBoolean());
        }
    }

    @Test
    void aRealBrowserFollowingALinkIsOneHumanClickAndLandsOnTheUrl() throws Exception {
        UnsubscribePageBrowserTest.requireBrowser();
        try (LinkFixture f = LinkFixture.start(dir)) {
            String target = f.base() + "/health";
            String campaign = f.campaign("promotions", "Hi, see " + target + " now", true);
            String url = link(f, campaign, PHONES.get(2), 0);
            WebDriver browser = UnsubscribePageBrowserTest.chromium(PHONE_BROWSER);
            try {
                browser.get(url);
                new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> target.equals(d.getCurrentUrl()));
                assertTrue(browser.getPageSource().contains("\"status\""), "landed on the campaign's URL");
            } finally {
                browser.quit();
            }
            awaitClicks(f, campaign, "human", 1);
            JsonNode fn = funnel(f, campaign);
            assertEquals(1, fn.path("steps").path("clicked").asLong(), fn.toString());
            assertEquals(1, fn.path("clicks").path("human").path("clicks").asLong(), "one click, not one per request: " + fn);
            assertEquals(0, fn.path("clicks").path("bot").path("clicks").asLong(), fn.toString());
        }
    }
}
