package dev.herald.dispatcher.api;

import static org.apache.pekko.http.javadsl.server.Directives.handleExceptions;
import static org.apache.pekko.http.javadsl.server.Directives.handleRejections;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /v1/settings} over real HTTP: what the configuration says, for a viewer, and nothing secret. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SettingsRoutesTest {

    /** A configuration with a sender, two cap rules, a French override, and secrets in sections never shown. */
    private static final Config CONFIG = ConfigFactory.parseString("""
            herald.senders.profiles.acme {
              brand = "ACME <b>Shop</b>", numbers = ["+15005550007"], categories = ["promotions"],
              flagged-words = ["Free", "winner"], flagged-policy = refuse, footer = "{brand}: STOP to end"
            }
            herald.frequency-caps.rules {
              marketing-daily { limit = 2, window = day, scope = marketing, action = defer }
              new-weekly { limit = 1, window = 7d, scope = "category:promotions", segment = new-customers, action = drop }
            }
            herald.quiet-hours.policies.default.categories.marketing.windows = ["09:00-12:00", "14:00-20:30"]
            herald.inbound.secret = "inbound-secret-do-not-show"
            herald.connectors.smpp.acme-bind { host = "127.0.0.1", port = 2775, system-id = "acme", password = "smpp-password-do-not-show" }
            """).withFallback(ConfigFactory.load()).resolve();

    private ActorSystem<Void> system;
    private ServerBinding binding;
    private String base;
    private String viewerKey;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        system = ActorSystem.create(Behaviors.empty(), "settings-routes-test");
        ApiKeys keys = ApiKeys.open(dir.resolve("keys"));
        viewerKey = keys.create(Role.VIEWER, "test viewer").key();
        SettingsView view = SettingsView.of(SenderProfiles.fromConfig(CONFIG), Preferences.withRules(FrequencyCaps.fromConfig(CONFIG)),
                Set.of(Preferences.WEEKLY_RULE, Preferences.MONTHLY_RULE), QuietHoursPolicies.fromConfig(CONFIG).get("default"));
        SettingsRoutes routes = new SettingsRoutes(keys, new BodyLimits(4096, Duration.ofSeconds(10)), view);
        binding = Http.get(system).newServerAt("127.0.0.1", 0)
                .bind(handleExceptions(ApiDirectives.exceptionHandler(),
                        () -> handleRejections(ApiDirectives.rejectionHandler(), routes::route)))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @AfterAll
    void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        system.terminate();
    }

    private HttpResponse<String> send(String method, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/settings")).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return client.send(b.method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode settings() throws Exception {
        HttpResponse<String> r = send("GET", viewerKey);
        assertEquals(200, r.statusCode(), r.body());
        return ApiDirectives.JSON.readTree(r.body());
    }

    private static JsonNode find(JsonNode array, String field, String value) {
        for (JsonNode n : array) {
            if (n.path(field).asText().equals(value)) {
                return n;
            }
        }
        throw new AssertionError("no " + field + " = " + value + " in " + array);
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void shouldShowTheDefaultProfileFirstThenEachSenderAsConfigured() throws Exception {
        JsonNode senders = settings().get("senders");
        JsonNode defaults = senders.get(0);
        assertEquals("default", defaults.get("id").asText());
        assertTrue(defaults.get("default").asBoolean());
        assertEquals("{brand}", defaults.get("brand").asText(), "an empty brand: each sender's id takes its place");
        assertEquals("sender:<id>", defaults.get("scope").asText());
        assertTrue(defaults.get("confirmOptOut").asText().contains("{brand}"), defaults.toString());
        JsonNode acme = find(senders, "id", "acme");
        assertFalse(acme.get("default").asBoolean());
        assertEquals("ACME <b>Shop</b>", acme.get("brand").asText(), "as configured; the console shows it as text");
        assertEquals("sender:acme", acme.get("scope").asText());
        assertEquals(List.of("+15005550007"), texts(acme.get("numbers")));
        assertEquals(List.of("promotions"), texts(acme.get("categories")));
        assertEquals(List.of("free", "winner"), texts(acme.get("flaggedWords")));
        assertEquals("refuse", acme.get("flaggedPolicy").asText());
        assertEquals("ACME <b>Shop</b>: STOP to end", acme.get("footer").asText(), "{brand} replaced");
        assertEquals("opt-out", acme.get("intentAction").asText());
        assertTrue(acme.get("confirmOptOut").asText().contains("ACME <b>Shop</b>"));
        find(senders, "id", "demo"); // reference.conf's
    }

    @Test
    void shouldShowTheCapRulesWithThePreferencePagesOwnMarked() throws Exception {
        JsonNode caps = settings().get("caps");
        JsonNode daily = find(caps, "name", "marketing-daily");
        assertEquals(2, daily.get("limit").asInt());
        assertEquals("day", daily.get("window").asText());
        assertFalse(daily.get("rolling").asBoolean());
        assertEquals("marketing", daily.get("scope").asText());
        assertTrue(daily.get("segment").isNull());
        assertEquals("defer", daily.get("action").asText());
        assertEquals("configured", daily.get("source").asText());
        JsonNode weekly = find(caps, "name", "new-weekly");
        assertEquals("7d", weekly.get("window").asText());
        assertTrue(weekly.get("rolling").asBoolean());
        assertEquals("category:promotions", weekly.get("scope").asText());
        assertEquals("new-customers", weekly.get("segment").asText());
        assertEquals("drop", weekly.get("action").asText());
        assertEquals("preferences", find(caps, "name", Preferences.WEEKLY_RULE).get("source").asText());
        assertEquals("preferences", find(caps, "name", Preferences.MONTHLY_RULE).get("source").asText());
    }

    @Test
    void shouldShowQuietHoursPerCategoryAndOnlyTheCountryRulesThatDiffer() throws Exception {
        JsonNode s = settings();
        assertTrue(s.get("times").asText().contains("local time"), s.get("times").asText());
        JsonNode q = s.get("quietHours");
        assertEquals("default", q.get("policy").asText());
        assertEquals(List.of("UTC"), texts(q.get("unknownZones")));
        JsonNode marketing = find(q.get("categories"), "category", "marketing");
        assertEquals(List.of("09:00-12:00", "14:00-20:30"), texts(marketing.get("windows")));
        assertFalse(marketing.get("exempt").asBoolean());
        assertTrue(find(q.get("categories"), "category", "transactional").get("exempt").asBoolean());
        JsonNode fr = find(q.get("countries"), "country", "FR");
        assertEquals(1, fr.get("categories").size(), "transactional is exempt in France as everywhere: " + fr);
        JsonNode frMarketing = fr.get("categories").get(0);
        assertEquals("marketing", frMarketing.get("category").asText());
        assertEquals(List.of("08:00-20:00"), texts(frMarketing.get("windows")));
        assertEquals(List.of("SUNDAY"), texts(frMarketing.get("closedDays")));
        List<String> dates = texts(frMarketing.get("closedDates"));
        assertEquals("--01-01", dates.get(0), "yearly dates first, in order: " + dates);
        assertTrue(dates.contains("--12-25") && dates.contains("2026-04-06"), dates.toString());
    }

    @Test
    void shouldNeverShowASecretAKeyOrAPassword() throws Exception {
        HttpResponse<String> r = send("GET", viewerKey);
        assertEquals(200, r.statusCode());
        for (String secret : List.of("inbound-secret-do-not-show", "smpp-password-do-not-show", viewerKey, "password", "secret")) {
            assertFalse(r.body().contains(secret), "the settings show " + secret);
        }
    }

    @Test
    void shouldRefuseWithoutAKeyAndAnyMethodButGet() throws Exception {
        assertEquals(401, send("GET", null).statusCode());
        assertEquals(401, send("GET", "hk_wrong").statusCode());
        HttpResponse<String> post = send("POST", viewerKey);
        assertEquals(405, post.statusCode(), post.body());
        assertEquals(405, send("DELETE", viewerKey).statusCode());
    }

    @Test
    void shouldWriteRollingWindowsInTheirLargestWholeUnit() {
        assertEquals("1d", SettingsView.window(CapWindow.rolling(Duration.ofHours(24))));
        assertEquals("36h", SettingsView.window(CapWindow.rolling(Duration.ofHours(36))));
        assertEquals("90m", SettingsView.window(CapWindow.rolling(Duration.ofMinutes(90))));
        assertEquals("45s", SettingsView.window(CapWindow.rolling(Duration.ofSeconds(45))));
        assertEquals("quarter", SettingsView.window(CapWindow.calendar(CapWindow.Period.QUARTER)));
        assertThrows(NullPointerException.class, () -> SettingsView.of(null, FrequencyCaps.of(List.of()), Set.of(),
                QuietHoursPolicies.fromConfig(CONFIG).get("default")));
    }
}
