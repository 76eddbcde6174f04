package dev.herald.dispatcher.unsubscribe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.service.HeraldService;
import dev.herald.dispatcher.service.ServiceSettings;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * A real {@link HeraldService} on a free port with a temporary data directory of three London
 * recipients, sender {@code acme} (a brand with HTML in it, categories promotions and
 * order-updates), quiet hours open all day, and campaigns whose template carries
 * {@code {{unsubscribe_url}}}.
 */
final class LinkFixture implements AutoCloseable {

    static final String ADMIN = "test-admin-key-0123456789";
    static final String BRAND = "<b>ACME</b> & \"Co\"";
    static final List<String> PHONES = List.of("+447400123401", "+447400123402", "+447400123403");
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    final Path data;
    final Config config;
    private HeraldService service;
    private int campaigns;

    private LinkFixture(Path data, Config config) {
        this.data = data;
        this.config = config;
    }

    static LinkFixture start(Path dir) throws Exception {
        Path data = dir.resolve("data");
        try (HeraldData d = HeraldData.at(data, DirectoryOptions.defaults().withCapacity(1000), IndexOptions.defaults(), true)) {
            MutableRoaringBitmap all = new MutableRoaringBitmap();
            for (String p : PHONES) {
                all.add(d.directory().register(p, "Europe/London", "en-GB", Map.of("first_name", "Sam")).id());
            }
            SegmentStore.open(data).put("all", all, PHONES.size(), 0);
        }
        String brand = BRAND.replace("\\", "\\\\").replace("\"", "\\\"");
        Config config = ConfigFactory.parseString("""
                herald.service.directory-capacity = 1000
                herald.service.ask-timeout = 30s
                herald.quiet-hours.policies.default.categories {
                  marketing.windows = ["00:00-24:00"]
                  promotions.windows = ["00:00-24:00"]
                  order-updates.windows = ["00:00-24:00"]
                }
                herald.quiet-hours.policies.default.countries = {}
                herald.senders.profiles.acme { brand = "%s", categories = ["promotions", "order-updates"] }
                """.formatted(brand)).withFallback(ConfigFactory.load()).resolve();
        LinkFixture f = new LinkFixture(data, config);
        f.startService();
        return f;
    }

    private void startService() throws Exception {
        service = HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
    }

    /** Stops the service and starts it again on the same data directory (another port). */
    void restart() throws Exception {
        service.stop().toCompletableFuture().join();
        startService();
    }

    int port() {
        return service.port();
    }

    String base() {
        return "http://127.0.0.1:" + port();
    }

    HttpResponse<String> call(String method, String path, String key, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Posts a form body as given (already encoded) to {@code /u/{token}}. */
    HttpResponse<String> postForm(String token, String body) throws Exception {
        return call("POST", "/u/" + token, null, "application/x-www-form-urlencoded", body);
    }

    JsonNode json(HttpResponse<String> r) throws Exception {
        if (r.statusCode() != 200 && r.statusCode() != 201) {
            throw new AssertionError("HTTP " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * Creates a campaign of sender acme to everyone, template with the link, and waits until every
     * recipient has an outcome.
     *
     * @return the campaign id
     */
    String campaign(String category) throws Exception {
        return campaign(category, "Hi {{first_name}}, news! Stop: {{unsubscribe_url}}", false);
    }

    /**
     * As {@link #campaign(String)}, with this text (JSON-escaped here) and links tracked or not.
     *
     * @return the campaign id
     */
    String campaign(String category, String text, boolean trackLinks) throws Exception {
        campaigns++;
        String body = """
                {"name": "Links %d", "channel": "sms", "category": "%s", "sender": "acme",
                 "text": %s, "footer": "", "segment": "all", "trackLinks": %s}"""
                .formatted(campaigns, category, JSON.writeValueAsString(text), trackLinks);
        String id = json(call("POST", "/v1/campaigns", ADMIN, "application/json", body)).path("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        for (String p : PHONES) {
            while (List.of("pending", "inFlight").contains(outcome(id, p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("campaign " + id + " did not decide " + p);
                }
                Thread.sleep(50);
            }
        }
        return id;
    }

    String outcome(String campaign, String phone) throws Exception {
        return json(call("GET", "/v1/campaigns/" + campaign + "/recipients/" + enc(phone), ADMIN, null, null))
                .path("outcome").asText();
    }

    /** The link the send stage put in {@code phone}'s message of {@code campaign}, made again with the stored key. */
    String link(String campaign, String phone) throws Exception {
        int id = recipientId(phone);
        try (dev.herald.dispatcher.campaign.CampaignNumbers numbers = dev.herald.dispatcher.campaign.CampaignNumbers.open(
                data.resolve("campaign-numbers.log"));
             UnsubscribeLinks links = UnsubscribeLinks.open(data.resolve("unsubscribe"), config, numbers)) {
            return links.existingUrls(campaign).orElseThrow(() -> new AssertionError("campaign " + campaign
                    + " has no link number: its run did not make links")).apply(id);
        }
    }

    int recipientId(String phone) {
        return PHONES.indexOf(phone); // registered in this order into an empty directory
    }

    static String token(String url) {
        return url.substring(url.lastIndexOf('/') + 1);
    }

    JsonNode preferences(String phone) throws Exception {
        return json(call("GET", "/v1/recipients/" + enc(phone) + "/preferences", ADMIN, null, null));
    }

    JsonNode suppressions(String phone) throws Exception {
        return json(call("GET", "/v1/suppressions/" + enc(phone), ADMIN, null, null));
    }

    List<JsonNode> reasons() throws Exception {
        Path f = data.resolve("unsubscribe/reasons.jsonl");
        List<JsonNode> out = new ArrayList<>();
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f)) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }
}
