package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.Role;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What was sent, over real HTTP: the text answered for a recipient is byte for byte what the
 * connector received (placeholders, a fallback, the footer, tracked links, two variants, GSM-7 and
 * UCS-2), a viewer gets everything but the text, bad input is named, and a message log whose tail a
 * crash tore still answers the rest.
 */
class MessageLogServiceTest {

    static final int RECIPIENTS = 120;
    static final String ADMIN = "test-admin-key-0123456789";

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private HeraldService service;
    /** What the connector received, by recipient id. */
    private final Map<Integer, OutboundMessage> received = new ConcurrentHashMap<>();

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(19).withSuppression(0, Map.of()));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HeraldService start(Path data) throws Exception {
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.load()).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true), ServiceTests.recording(m -> received.put(m.recipientId(), m)));
    }

    private HttpResponse<String> get(String path, String key) throws Exception {
        return ServiceTests.call(service.port(), "GET", path, key, null, null);
    }

    private static final String CAMPAIGN = """
            {"name": "What was sent", "channel": "sms", "category": "marketing", "sender": "acme",
             "footer": "Reply STOP to opt out", "segment": "all", "trackLinks": true,
             "variants": [{"name": "A", "text": "Hi {{first_name}}, {{city|friend}}: 20% off https://shop.example/a"},
                          {"name": "B", "text": "Hey {{first_name|there}} \\uD83D\\uDE00 new in {{city|your town}}: https://shop.example/b"}]}""";

    @Test
    void shouldAnswerExactlyTheTextTheConnectorReceivedToSendersAndNoTextToViewers() throws Exception {
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
        String sender = service.keys().create(Role.SENDER, "test").key();
        String viewer = service.keys().create(Role.VIEWER, "test").key();
        for (int i = 0; i < 10; i++) { // some have a city, the others get the placeholder's fallback
            HttpResponse<String> set = ServiceTests.call(service.port(), "PUT", "/v1/recipients/" + ServiceTests.enc(phones[i]) + "/attributes",
                    ADMIN, "application/json", "{\"city\": \"Leeds " + i + "\"}");
            assertEquals(200, set.statusCode(), set.body());
        }
        String id = ServiceTests.createCampaign(service.port(), ADMIN, CAMPAIGN);
        ServiceTests.awaitCompleted(service.port(), ADMIN, id, 60);
        assertEquals(RECIPIENTS, received.size(), "everyone was sent");

        Set<String> variants = new HashSet<>();
        Set<String> encodings = new HashSet<>();
        for (int i = 0; i < RECIPIENTS; i++) {
            OutboundMessage m = received.get(i);
            JsonNode answer = json(get("/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(phones[i]), sender));
            JsonNode message = answer.path("message");
            assertEquals(m.text(), message.path("text").asText(null), "recipient " + i + ": the text the connector received");
            assertEquals(m.encoding().name(), message.path("encoding").asText());
            assertEquals(m.segments(), message.path("parts").asInt());
            assertEquals("simulated", message.path("connector").asText());
            assertFalse(message.path("handedAt").isMissingNode() || message.path("handedAt").isNull());
            assertEquals(answer.path("variant").asText(), message.path("variant").asText());
            variants.add(message.path("variant").asText());
            encodings.add(message.path("encoding").asText());
            assertTrue(m.text().endsWith("Reply STOP to opt out"), m.text());
            assertFalse(m.text().contains("https://shop.example/"), "the link is tracked: " + m.text());
            assertTrue(message.path("receipt").has("status"), message.toString());
            if (i < 10) {
                assertTrue(m.text().contains("Leeds " + i), m.text());
                assertEquals("Leeds " + i, message.path("fields").path("city").asText());
            } else {
                assertFalse(message.path("fields").has("city"), "no value: the fallback was used, " + message);
            }
        }
        assertEquals(Set.of("A", "B"), variants, "both variants were sent and answered");
        assertEquals(Set.of("GSM_7", "UCS_2"), encodings);

        // a viewer gets everything but the text (and the fields it is made of)
        JsonNode seen = json(get("/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(phones[3]), viewer)).path("message");
        assertFalse(seen.has("text"), seen.toString());
        assertFalse(seen.has("fields"), seen.toString());
        assertFalse(seen.toString().contains(received.get(3).text()), seen.toString());
        assertEquals(received.get(3).encoding().name(), seen.path("encoding").asText());
        assertTrue(seen.path("textNote").asText().contains("withheld"), seen.toString());

        // across campaigns, newest first
        JsonNode listed = json(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages", sender));
        assertEquals(1, listed.path("messages").size(), listed.toString());
        assertEquals(id, listed.path("messages").get(0).path("campaign").asText());
        assertEquals(received.get(3).text(), listed.path("messages").get(0).path("text").asText());
        JsonNode listedByViewer = json(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages", viewer));
        assertEquals(1, listedByViewer.path("messages").size());
        assertFalse(listedByViewer.path("messages").get(0).has("text"), listedByViewer.toString());
        assertEquals(0, json(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages?to=2020-01-01", sender))
                .path("messages").size(), "nothing was sent before 2020");

        // bad input is named
        assertError(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages?from=garbage", viewer), 400, "invalid_parameter", "from");
        assertError(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages?to=yesterday", viewer), 400, "invalid_parameter", "to");
        assertError(get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages?from=2026-12-02&to=2026-12-01", viewer), 400,
                "invalid_parameter", "from");
        assertError(get("/v1/recipients/" + ServiceTests.enc("12ab") + "/messages", viewer), 400, "invalid_phone", "phone");
        HttpResponse<String> unknown = get("/v1/recipients/" + ServiceTests.enc(unknownPhone(phones)) + "/messages", viewer);
        assertEquals(404, unknown.statusCode(), unknown.body());
        assertTrue(json(unknown).path("message").asText().contains("no recipient"), unknown.body());
        assertEquals(403, get("/v1/recipients/" + ServiceTests.enc(phones[3]) + "/messages",
                service.keys().create(Role.ANALYST, "test").key()).statusCode(), "an analyst sees no messages");

        // a crash tore the log's last record: it is dropped, the rest answered
        service.stop().toCompletableFuture().join();
        service = null;
        Path log = data.resolve("campaigns").resolve(id).resolve("outcomes").resolve(MessageLog.FILE);
        long size = Files.size(log);
        byte[] lastFrameStart = {0, 0, 0, 40, 1, 2, 3}; // a frame header promising 40 bytes, and 3 of them
        Files.write(log, lastFrameStart, StandardOpenOption.APPEND);
        Map<Integer, String> before = new HashMap<>();
        received.forEach((k, v) -> before.put(k, v.text()));
        service = start(data);
        JsonNode afterCrash = json(get("/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(phones[RECIPIENTS - 1]), sender));
        assertEquals(before.get(RECIPIENTS - 1), afterCrash.path("message").path("text").asText(null), afterCrash.toString());
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.READ)) {
            assertEquals(size + lastFrameStart.length, ch.size(), "a reader never cuts the log");
        }
        service.stop().toCompletableFuture().join();
        service = null;

        // the same from the command line, on the stopped service's data directory
        String[] shown = herald(data, "messages", "show", phones[5]);
        assertEquals("0", shown[0], shown[2]);
        assertTrue(shown[1].contains(id), shown[1]);
        assertTrue(shown[1].contains(before.get(5).replace("\n", "\n            ")), "the exact text: " + shown[1]);
        String[] badFrom = herald(data, "messages", "show", phones[5], "--from", "garbage");
        assertEquals("2", badFrom[0]);
        assertTrue(badFrom[2].contains("--from") && badFrom[2].contains("garbage"), badFrom[2]);
        String[] notKnown = herald(data, "messages", "show", unknownPhone(phones));
        assertEquals("1", notKnown[0]);
        assertTrue(notKnown[2].contains("not in the directory"), notKnown[2]);
        assertTrue(herald(data, "messages", "show", phones[5], "--to", "2020-01-01")[1].contains(": 0 message(s)"));

        // retention: nothing is past 400 days; with one millisecond, the finished campaign's log goes
        assertTrue(herald(data, "messages", "purge")[1].contains("0 campaign(s)"));
        Path conf = dir.resolve("short.conf");
        Files.writeString(conf, "herald.messages.retention = 1 ms\n");
        String[] purged = herald(data, "messages", "purge", "--config", conf.toString());
        assertEquals("0", purged[0], purged[2]);
        assertTrue(purged[1].contains("1 campaign(s)"), purged[1]);
        assertFalse(Files.exists(log), "the message log is deleted");
        assertTrue(Files.exists(log.resolveSibling("checkpoint")) || Files.list(log.getParent()).findAny().isPresent(),
                "the outcome ledger is kept");
    }

    /** {@code herald --data-dir data args...}: exit code, out, err. */
    private static String[] herald(Path data, String... args) {
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

    private static String unknownPhone(String[] phones) {
        Set<String> known = Set.of(phones);
        for (int n = 400_999_999; ; n--) {
            if (!known.contains("+447" + n)) {
                return "+447" + n;
            }
        }
    }
}
