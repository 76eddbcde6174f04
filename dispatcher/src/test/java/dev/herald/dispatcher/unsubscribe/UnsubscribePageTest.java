package dev.herald.dispatcher.unsubscribe;

import static dev.herald.dispatcher.unsubscribe.LinkFixture.PHONES;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.enc;
import static dev.herald.dispatcher.unsubscribe.LinkFixture.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /u/{token}} and {@code /v1/recipients/{phone}/preferences} on a real service, over HTTP. */
class UnsubscribePageTest {

    static final String A = PHONES.get(0);
    static final String B = PHONES.get(1);
    static final String C = PHONES.get(2);

    @TempDir
    Path dir;

    LinkFixture f;

    @BeforeEach
    void start() throws Exception {
        f = LinkFixture.start(dir);
    }

    @AfterEach
    void stop() {
        f.close();
    }

    static List<String> scopes(JsonNode suppressions) {
        List<String> out = new ArrayList<>();
        suppressions.path("scopes").forEach(n -> out.add(n.asText()));
        return out;
    }

    static void assertHtml(HttpResponse<String> r, int status, String... contains) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/html"), r.headers().toString());
        for (String c : contains) {
            assertTrue(r.body().contains(c), "'" + c + "' in " + r.body());
        }
        assertFalse(r.body().contains("Exception") || r.body().contains("\tat "), r.body());
    }

    @Test
    void shouldServeAnEscapedMobilePageThatGetDoesNotActOnAndUnsubscribeOnOneClick() throws Exception {
        String id = f.campaign("promotions");
        assertEquals("sent", f.outcome(id, A));
        String url = f.link(id, A);
        assertTrue(url.startsWith("http://localhost:8080/u/") && token(url).length() <= 24, url);

        HttpResponse<String> page = f.call("GET", "/u/" + token(url), null, null, null);
        assertHtml(page, 200, "&lt;b&gt;ACME&lt;/b&gt; &amp; &quot;Co&quot;", "name=\"viewport\"", "id=\"unsubscribe\"");
        assertFalse(page.body().contains("<b>ACME"), "the brand is escaped");
        assertFalse(page.body().contains("<script") || page.body().contains("src=") || page.body().contains("href=\"http"),
                "no script, no external resource");
        assertTrue(page.headers().firstValue("Cache-Control").orElse("").contains("no-store"));
        f.call("GET", "/u/" + token(url), null, null, null);
        assertEquals(List.of(), scopes(f.suppressions(A)), "GET (a link scanner's prefetch) unsubscribes nobody");

        assertHtml(f.postForm(token(url), "List-Unsubscribe=One-Click"), 200, "You are unsubscribed from &lt;b&gt;ACME");
        JsonNode s = f.suppressions(A);
        assertEquals(List.of("sender:acme"), scopes(s));
        JsonNode last = s.path("history").get(s.path("history").size() - 1);
        assertEquals("link", last.path("source").asText());
        assertEquals(id, last.path("campaign").asText());
        // attributed with the send time of the message that carried the link
        JsonNode consent = f.json(f.call("GET", "/v1/recipients/" + enc(A) + "/consent", LinkFixture.ADMIN, null, null));
        JsonNode optOut = consent.path("history").get(consent.path("history").size() - 1);
        assertEquals(id, optOut.path("campaign").asText(), consent.toString());
        assertFalse(optOut.path("sentAt").isNull() || optOut.path("sentAt").asText().isEmpty(), consent.toString());

        String multipart = "--xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--xyz--\r\n";
        assertHtml(f.call("POST", "/u/" + token(f.link(id, B)), null, "multipart/form-data; boundary=xyz", multipart), 200,
                "You are unsubscribed");
        assertEquals(List.of("sender:acme"), scopes(f.suppressions(B)));
        assertEquals(List.of(), scopes(f.suppressions(C)));
    }

    @Test
    void shouldAnswerAClear404PageForTamperedTruncatedOrUnknownTokens() throws Exception {
        String id = f.campaign("promotions");
        String t = token(f.link(id, C));
        char last = t.charAt(t.length() - 1);
        String tampered = t.substring(0, t.length() - 1) + (last == 'A' ? 'B' : 'A');
        for (String bad : List.of(tampered, t.substring(0, 12), "nonsense", t + "AAAA", "%3Cscript%3E")) {
            assertHtml(f.call("GET", "/u/" + bad, null, null, null), 404, "This link is not valid");
            assertHtml(f.postForm(bad, "List-Unsubscribe=One-Click"), 404, "This link is not valid");
        }
        assertEquals(List.of(), scopes(f.suppressions(C)), "no bad token unsubscribed anyone");
    }

    @Test
    void shouldRefuseBadFormInputWithAPageNamingTheProblemAndChangeNothing() throws Exception {
        String id = f.campaign("promotions");
        String t = token(f.link(id, A));
        assertHtml(f.postForm(t, "action=reason&reason=bored"), 400, "unknown reason &#39;bored&#39;", "too-frequent");
        assertHtml(f.postForm(t, "action=reason&reason=other&text=" + "x".repeat(501)), 400, "501 characters", "at most 500");
        assertHtml(f.postForm(t, "action=reason"), 400, "choose a reason");
        assertHtml(f.postForm(t, "action=reason&reason=other&text=%FF%FE"), 400, "field &#39;text&#39; is not valid UTF-8");
        assertHtml(f.postForm(t, "action=reason&reason=other&text=%E2%82"), 400, "not valid UTF-8");
        assertHtml(f.postForm(t, "action=reason&reason=other&text=50%"), 400, "malformed percent escape");
        assertHtml(f.postForm(t, "action=preferences&category=promotions&category=" + enc("<b>spam</b>") + "&frequency=weekly"),
                400, "unknown category &#39;&lt;b&gt;spam&lt;/b&gt;&#39;", "promotions, order-updates");
        assertHtml(f.postForm(t, "action=preferences&category=promotions&frequency=daily"), 400, "unknown frequency &#39;daily&#39;");
        assertHtml(f.postForm(t, "action=preferences&category=promotions"), 400, "choose how often");
        assertHtml(f.postForm(t, "action=preferences&frequency=weekly&frequency=monthly"), 400, "given 2 times");
        assertHtml(f.postForm(t, "reason=other"), 400, "no &#39;action&#39;");
        assertHtml(f.postForm(t, "action=explode"), 400, "unknown action");
        assertHtml(f.postForm(t, "List-Unsubscribe=Yes"), 400, "must be &#39;One-Click&#39;");
        assertHtml(f.call("POST", "/u/" + t, null, "application/json", "{}"), 415, "application/x-www-form-urlencoded");
        assertHtml(f.postForm(t, "action=reason&reason=other&text=" + "y".repeat(20_000)), 413, "larger than");

        assertEquals(List.of(), f.reasons(), "nothing refused was written");
        JsonNode p = f.preferences(A);
        assertEquals("as-sent", p.path("frequency").asText());
        assertTrue(p.path("categories").path("promotions").asBoolean() && p.path("categories").path("order-updates").asBoolean(), p.toString());
        assertEquals(List.of(), scopes(f.suppressions(A)));
    }

    @Test
    void shouldUnsubscribeRecordTheReasonExactlyAndResubscribe() throws Exception {
        String id = f.campaign("promotions");
        String t = token(f.link(id, A));
        assertHtml(f.postForm(t, "action=unsubscribe"), 200, "You are unsubscribed from", "id=\"resubscribe\"",
                "id=\"reason-too-frequent\"", "id=\"cat-promotions\"", "id=\"freq-monthly\"");
        assertEquals(List.of("sender:acme"), scopes(f.suppressions(A)));
        assertHtml(f.postForm(t, "action=reason&reason=other&text=" + enc("Too many \"texts\"\nreally")), 200, "Thank you");
        List<String> lines = Files.readAllLines(f.data.resolve("unsubscribe/reasons.jsonl"));
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).matches("\\{\"time\":\"\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\",\"recipientId\":0,\"phone\":\"\\+447400123401\","
                + "\"campaign\":\"" + id + "\",\"sender\":\"acme\",\"reason\":\"other\",\"text\":\"Too many \\\\\"texts\\\\\"\\\\nreally\",\"lineCrc32\":\"[0-9a-f]{8}\"}"),
                lines.get(0));
        assertHtml(f.postForm(t, "action=reason&reason=too-frequent&text="), 200, "Thank you");
        assertEquals("too-frequent", f.reasons().get(1).path("reason").asText());
        assertTrue(f.reasons().get(1).path("text").isNull(), "an empty text is null");

        assertHtml(f.postForm(t, "action=resubscribe"), 200, "You are subscribed to", "id=\"unsubscribe\"");
        JsonNode s = f.suppressions(A);
        assertEquals(List.of(), scopes(s));
        JsonNode last = s.path("history").get(s.path("history").size() - 1);
        assertEquals("opt-in", last.path("action").asText().toLowerCase().replace('_', '-'));
        assertEquals("link", last.path("source").asText());
    }

    @Test
    void shouldEnforcePreferencesAsCapsAndCategoriesAndKeepThemAcrossARestart() throws Exception {
        String first = f.campaign("promotions");
        for (String p : PHONES) {
            assertEquals("sent", f.outcome(first, p));
        }
        assertHtml(f.postForm(token(f.link(first, A)), "action=preferences&category=promotions&category=order-updates&frequency=weekly"),
                200, "Your preferences are saved");
        assertHtml(f.postForm(token(f.link(first, B)), "action=preferences&category=order-updates&frequency=as-sent"),
                200, "Your preferences are saved");
        f.restart();

        JsonNode a = f.preferences(A);
        assertEquals(A, a.path("phone").asText());
        assertEquals("weekly", a.path("frequency").asText());
        assertTrue(a.path("categories").path("promotions").asBoolean(), a.toString());
        JsonNode b = f.preferences(B);
        assertEquals("as-sent", b.path("frequency").asText());
        assertFalse(b.path("categories").path("promotions").asBoolean(), b.toString());
        assertTrue(b.path("categories").path("order-updates").asBoolean(), b.toString());
        assertEquals("[\"category:promotions\"]", b.path("suppressed").toString());
        HttpResponse<String> page = f.call("GET", "/u/" + token(f.link(first, A)), null, null, null);
        assertHtml(page, 200, "value=\"weekly\" checked", "value=\"promotions\" checked");

        String second = f.campaign("promotions");
        assertEquals("capped:pref-weekly", f.outcome(second, A), "weekly: the second marketing message this week is capped");
        assertEquals("suppressed:category:promotions", f.outcome(second, B));
        assertEquals("sent", f.outcome(second, C));

        assertEquals(401, f.call("GET", "/v1/recipients/" + enc(A) + "/preferences", null, null, null).statusCode());
        assertEquals(404, f.call("GET", "/v1/recipients/" + enc("+447400123999") + "/preferences", LinkFixture.ADMIN, null, null)
                .statusCode());
        assertEquals(400, f.call("GET", "/v1/recipients/not-a-phone/preferences", LinkFixture.ADMIN, null, null).statusCode());
    }
}
