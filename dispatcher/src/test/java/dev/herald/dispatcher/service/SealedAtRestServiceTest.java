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
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.MasterKeySource;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.privacy.Erasures;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.dispatcher.unsubscribe.ReasonLogReader;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.MasterKey;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The service with {@code HERALD_MASTER_KEY} set: a campaign's message log and the unsubscribe
 * reasons hold no field value, no free text and no number in any byte, while the API and
 * {@code herald messages show} answer exactly the text the connector received, the opt-out report
 * counts the reason, and the compaction scrubs an erased person's sealed messages.
 */
class SealedAtRestServiceTest {

    static final int RECIPIENTS = 30;
    static final String ADMIN = "test-admin-key-0123456789";
    static final MasterKey KEY = MasterKey.generate();
    static final int PERSON = 5;
    static final int OTHER = 6;
    static final String NAME = "Wumpus-Sealed-Name";
    static final String CITY = "Grue-Sealed-City";
    static final String REASON_TEXT = "Xyzzy-Sealed-Reason far too many";

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    private HeraldService service;
    private final Map<Integer, OutboundMessage> received = new ConcurrentHashMap<>();

    @BeforeAll
    static void buildDirectory() throws Exception {
        try (HeraldData data = HeraldData.at(template.resolve("data"), DirectoryOptions.defaults()
                .withCapacity(DirectoryOptions.MIN_CAPACITY).withMasterKey(KEY), IndexOptions.defaults(), true)) {
            SyntheticAudience.of(AudienceSpec.defaults().withSeed(29).withSuppression(0, Map.of()).withRecipients(RECIPIENTS))
                    .populate(data, (p, d, t) -> { });
        }
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
                Map.of("HERALD_API_KEY", ADMIN, MasterKeySource.ENV, KEY.encoded()), new PrintWriter(new StringWriter(), true),
                ServiceTests.recording(m -> received.put(m.recipientId(), m)));
    }

    private static final String CAMPAIGN = """
            {"name": "Sealed", "channel": "sms", "category": "marketing", "sender": "acme",
             "footer": "Reply STOP to opt out", "segment": "all",
             "text": "Hi {{first_name|there}} of {{city|your town}}: 20% off {{unsubscribe_url}}"}""";

    @Test
    void shouldKeepNoPersonalValueInTheLogsYetAnswerExactlyWhatWasSent() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, RECIPIENTS);
        SegmentStore.open(data).put("all", all, RECIPIENTS, 0);
        String[] phones = new String[RECIPIENTS];
        try (HeraldData d = HeraldData.at(data, DirectoryOptions.defaults().withMasterKey(KEY), IndexOptions.defaults(), false)) {
            assertTrue(d.directory().encrypted());
            for (int i = 0; i < RECIPIENTS; i++) {
                phones[i] = d.directory().get(i).orElseThrow().e164();
            }
        }
        service = start(data);
        HttpResponse<String> set = call(service.port(), "PUT", "/v1/recipients/" + ServiceTests.enc(phones[PERSON]) + "/attributes", ADMIN,
                "application/json", "{\"first_name\": \"" + NAME + "\", \"city\": \"" + CITY + "\"}");
        assertEquals(200, set.statusCode(), set.body());
        String id = ServiceTests.createCampaign(service.port(), ADMIN, CAMPAIGN);
        ServiceTests.awaitCompleted(service.port(), ADMIN, id, 60);
        assertEquals(RECIPIENTS, received.size(), "everyone was sent");
        String text = received.get(PERSON).text();
        assertTrue(text.contains(NAME) && text.contains(CITY), text);

        String token = text.substring(text.indexOf("/u/") + 3).split("\\s")[0];
        assertEquals(200, form(token, "action=unsubscribe").statusCode());
        assertEquals(200, form(token, "action=reason&reason=other&text=" + ServiceTests.enc(REASON_TEXT)).statusCode());

        // the API opens what is sealed: the exact text, for one campaign and across campaigns
        JsonNode one = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(phones[PERSON]), ADMIN,
                null, null)).path("message");
        assertEquals(text, one.path("text").asText(null), one.toString());
        assertEquals(CITY, one.path("fields").path("city").asText());
        JsonNode listed = json(call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(phones[OTHER]) + "/messages", ADMIN,
                null, null));
        assertEquals(received.get(OTHER).text(), listed.path("messages").get(0).path("text").asText(), listed.toString());
        JsonNode optOuts = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/optouts", ADMIN, null, null));
        assertEquals(1, optOuts.path("optOuts").asLong(), optOuts.toString());
        assertEquals(1, optOuts.path("byReason").path("other").asLong(), "the reason still counts: " + optOuts);
        service.stop().toCompletableFuture().join();
        service = null;

        // no byte of either file holds a field value, the free text, or anyone's number
        Path messages = data.resolve("campaigns").resolve(id).resolve("outcomes").resolve(MessageLog.FILE);
        Path reasons = data.resolve("unsubscribe/reasons.jsonl");
        for (Path f : List.of(messages, reasons)) {
            assertTrue(Files.size(f) > 0, f.toString());
            for (String s : List.of(NAME, CITY, REASON_TEXT, "Xyzzy", phones[PERSON], phones[PERSON].substring(1))) {
                assertFalse(holds(f, s), f.getFileName() + " holds " + s);
            }
            for (String phone : phones) {
                assertFalse(holds(f, phone.substring(3)), f.getFileName() + " holds a number");
            }
        }
        List<ReasonLogReader.Entry> given = reasons(data);
        assertEquals(REASON_TEXT, given.get(0).text());
        assertEquals(phones[PERSON], given.get(0).phone());

        // the command line opens them with the key
        Path keyFile = dir.resolve("master.key");
        Files.writeString(keyFile, KEY.encoded() + "\n");
        String[] shown = herald(data, "--master-key-file", keyFile.toString(), "messages", "show", phones[PERSON]);
        assertEquals("0", shown[0], shown[2]);
        assertTrue(shown[1].contains(text.replace("\n", "\n            ")), "the exact text: " + shown[1]);

        // an erasure: the compaction opens the sealed groups, drops the person's message and reseals the rest
        try (Erasures e = Erasures.open(data)) {
            e.record(PERSON, 1L, Instant.now(), "test");
        }
        String[] compacted = herald(data, "--master-key-file", keyFile.toString(), "suppression", "compact");
        assertEquals("0", compacted[0], compacted[1] + compacted[2]);
        assertTrue(herald(data, "--master-key-file", keyFile.toString(), "messages", "show", phones[PERSON])[1]
                .contains(": 0 message(s)"), "the person's message is gone");
        String[] other = herald(data, "--master-key-file", keyFile.toString(), "messages", "show", phones[OTHER]);
        assertTrue(other[1].contains(received.get(OTHER).text().replace("\n", "\n            ")), other[1]);
        assertTrue(reasons(data).get(0).text() == null, "their free text is gone");
    }

    /** The reasons, opened with the cipher of the data directory's recipient directory. */
    private static List<ReasonLogReader.Entry> reasons(Path data) throws Exception {
        try (HeraldData d = HeraldData.at(data, DirectoryOptions.defaults().withMasterKey(KEY), IndexOptions.defaults(), false)) {
            return ReasonLogReader.read(data.resolve("unsubscribe/reasons.jsonl"), d.directory().cipher(ReasonLog.PURPOSE));
        }
    }

    private HttpResponse<String> form(String token, String body) throws Exception {
        return ServiceTests.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/u/" + token))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean holds(Path f, String s) throws Exception {
        return new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)
                .contains(new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }

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
}
