package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.BytesOnDisk;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.privacy.PersonalDataEraser;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * An erasure over the real service: a person with distinctive fields is sent a campaign, clicks
 * its link, gives an unsubscribe reason with free text and a frequency preference, sends a reply
 * held for review and an event with properties; after {@link PersonalDataEraser#erase} and the next
 * {@code herald suppression compact}, no byte of the data directory's files (the recipient
 * directory aside: its erasure is its own) holds their fields, the texts they were sent, their
 * words or their number, while everyone else's messages and counts are intact.
 */
class ErasureScrubServiceTest {

    static final int RECIPIENTS = 40;
    static final String ADMIN = "test-admin-key-0123456789";
    static final String CAREFUL_NUMBER = "+15005550007";
    static final int VICTIM = 7;
    static final int OTHER = 8;
    static final String NAME = "Zebedee-Quux";
    static final String CITY = "Quuxburgh-Zed";
    static final String REASON_TEXT = "Zebedee-Reason-Xyzzy too many";
    static final String REPLY_TEXT = "please stop texting me Zebedee-Reply-Plugh";
    static final String AGENT = "Mozilla/5.0 (Linux; Android 14; ZebedeePhone-Frotz) Mobile Safari/537.36";
    static final String EVENT_NOTE = "Zebedee-Event-Grault";
    private static final HttpClient NO_FOLLOW = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private HeraldService service;
    private final Map<Integer, OutboundMessage> received = new ConcurrentHashMap<>();

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(23).withSuppression(0, Map.of()));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HeraldService start(Path data) throws Exception {
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.parseString("herald.senders.profiles.careful { "
                + "brand = \"Careful\", numbers = [\"" + CAREFUL_NUMBER + "\"], intent-action = review }")
                .withFallback(ConfigFactory.load())).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN, "HERALD_INBOUND_SECRET", InboundWebhookTest.SECRET),
                new PrintWriter(new StringWriter(), true), ServiceTests.recording(m -> received.put(m.recipientId(), m)));
    }

    private static final String CAMPAIGN = """
            {"name": "Erasure", "channel": "sms", "category": "marketing", "sender": "careful",
             "footer": "Reply STOP to opt out", "segment": "all", "trackLinks": true,
             "text": "Hi {{first_name|there}} of {{city|your town}}: 20% off https://shop.example/a {{unsubscribe_url}}"}""";

    @Test
    void afterAnErasureAndTheNextCompactionNoFileHoldsThePersonsFieldsTextsOrWords() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        String[] phones = new String[RECIPIENTS];
        try (HeraldData d = HeraldData.at(data, dev.herald.suppression.DirectoryOptions.defaults(),
                dev.herald.suppression.IndexOptions.defaults(), false)) {
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        service = start(data);
        put(phones[VICTIM], "{\"first_name\": \"" + NAME + "\", \"city\": \"" + CITY + "\"}");
        put(phones[OTHER], "{\"first_name\": \"Otto-Keepme\", \"city\": \"Keepton\"}");
        String id = ServiceTests.createCampaign(service.port(), ADMIN, CAMPAIGN);
        JsonNode done = ServiceTests.awaitCompleted(service.port(), ADMIN, id, 60);
        long sent = done.path("counts").path("sent").asLong();
        assertEquals(RECIPIENTS, received.size(), "everyone was sent: " + done);
        String victimText = received.get(VICTIM).text();
        String otherText = received.get(OTHER).text();
        assertTrue(victimText.contains(NAME) && victimText.contains(CITY), victimText);

        // the person clicks, tells why and how often, replies and has an event
        JsonNode view = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(phones[VICTIM]), ADMIN,
                null, null));
        String tracked = view.path("links").path(0).path("tracked").asText();
        Thread.sleep(1_100); // past the suspicious second
        HttpResponse<String> click = NO_FOLLOW.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                + "/l/" + tracked.substring(tracked.lastIndexOf('/') + 1))).header("User-Agent", AGENT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, click.statusCode(), click.body());
        String unsubscribe = victimText.substring(victimText.indexOf("/u/") + 3).split("\\s")[0];
        assertEquals(200, form(unsubscribe, "action=reason&reason=other&text=" + ServiceTests.enc(REASON_TEXT)).statusCode());
        assertEquals(200, form(unsubscribe, "action=preferences&frequency=weekly").statusCode());
        JsonNode held = reply(phones[VICTIM], REPLY_TEXT, "r-1");
        assertEquals("review", held.path("action").asText(), held.toString());
        HttpResponse<String> ev = call(service.port(), "POST", "/v1/events", ADMIN, "application/json", "{\"id\": \"ev-z\", "
                + "\"phone\": \"" + phones[VICTIM] + "\", \"name\": \"cart_abandoned\", \"properties\": {\"note\": \""
                + EVENT_NOTE + "\"}}");
        assertEquals(201, ev.statusCode(), ev.body());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!BytesOnDisk.holds(data, AGENT) && System.nanoTime() < until) {
            Thread.sleep(20); // the click is written by its writer in the background
        }
        for (String s : List.of(NAME, CITY, REASON_TEXT, REPLY_TEXT, AGENT, EVENT_NOTE)) {
            assertTrue(BytesOnDisk.holds(data, s), "the fixture stored " + s);
        }

        // erasure: recorded, and what goes at once is gone at once
        PersonalDataEraser.Result r = service.eraser().erase(VICTIM, 0x5eed_cafe_f00d_beefL, Instant.now(), "test-key");
        assertTrue(r.now().toString().contains("review-queue.log") && r.now().toString().contains("preferences.log"),
                r.now().toString());
        JsonNode queue = json(call(service.port(), "GET", "/v1/inbound/review?status=all", ADMIN, null, null));
        assertFalse(queue.toString().contains("Zebedee") || queue.toString().contains(phones[VICTIM]), queue.toString());
        assertEquals(1, queue.path("items").size(), "the item stays, without the number and words: " + queue);
        assertFalse(BytesOnDisk.fileHolds(data.resolve("unsubscribe/reasons.jsonl"), REASON_TEXT), "reasons' free text goes at once");
        assertFalse(BytesOnDisk.fileHolds(data.resolve("inbound/review-queue.log"), REPLY_TEXT), "held words go at once");
        service.stop().toCompletableFuture().join();
        service = null;

        // the next compaction, in another process's way: the erasure is read back from its log
        String[] compact = herald(data, "suppression", "compact");
        assertEquals("0", compact[0], compact[1] + compact[2]);
        assertTrue(compact[1].contains("erasures: 1 recipient(s) erased"), compact[1]);

        List<String> found = BytesOnDisk.filesHolding(data,
                BytesOnDisk.texts(NAME, CITY, REASON_TEXT, REPLY_TEXT, AGENT, EVENT_NOTE, victimText, phones[VICTIM]),
                f -> !f.startsWith("directory")); // the directory's own erasure: RecipientErasureServiceTest
        // the consent ledger keeps the number until its own erasure (a keyed hash) lands: another change
        found.removeIf(f -> f.startsWith("suppression" + java.io.File.separator) && f.contains("'" + phones[VICTIM] + "'"));
        assertEquals(List.of(), found, "nothing of the erased person is left");

        // everyone else: their message rebuilds, counts are kept
        String[] other = herald(data, "messages", "show", phones[OTHER]);
        assertEquals("0", other[0], other[2]);
        assertTrue(other[1].contains(otherText.replace("\n", "\n            ")), "the other recipient's text: " + other[1]);
        String[] victim = herald(data, "messages", "show", phones[VICTIM]);
        assertTrue(victim[1].contains(": 0 message(s)"), victim[1]);
        service = start(data);
        JsonNode after = json(call(service.port(), "GET", "/v1/campaigns/" + id, ADMIN, null, null));
        assertEquals(sent, after.path("counts").path("sent").asLong(), after.toString());
        assertEquals(1, json(call(service.port(), "GET", "/v1/inbound/review?status=all", ADMIN, null, null)).path("items").size());

        // a second compaction finds nothing more to do
        service.stop().toCompletableFuture().join();
        service = null;
        String[] again = herald(data, "suppression", "compact");
        assertEquals("0", again[0], again[2]);
        assertTrue(again[1].contains(" 0 rewritten"), again[1]);
    }

    /** {@code herald --data-dir data args...}: exit code, out, err. */
    static String[] herald(Path data, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--data-dir";
        all[1] = data.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = dev.herald.dispatcher.cli.HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private void put(String phone, String body) throws Exception {
        HttpResponse<String> set = call(service.port(), "PUT", "/v1/recipients/" + ServiceTests.enc(phone) + "/attributes", ADMIN,
                "application/json", body);
        assertEquals(200, set.statusCode(), set.body());
    }

    private HttpResponse<String> form(String token, String body) throws Exception {
        return ServiceTests.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/u/" + token))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode reply(String from, String text, String replyId) throws Exception {
        String body = "{\"from\":\"" + from + "\",\"to\":\"" + CAREFUL_NUMBER + "\",\"text\":"
                + ServiceTests.JSON.writeValueAsString(text) + ",\"channel\":\"sms\",\"id\":\"" + replyId + "\"}";
        HttpResponse<String> r = ServiceTests.HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + service.port() + "/v1/inbound/sms"))
                .header("Content-Type", "application/json").header("X-Herald-Signature", InboundWebhookTest.sign(body))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }
}
