package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.BytesOnDisk;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.PhoneNumbers;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The erasure test over the real service, as an operator does it, with and without a
 * master key: a person uploaded with distinctive fields is sent a campaign, clicks, unsubscribes
 * giving a reason in their own words; {@code DELETE /v1/recipients/{phone}} erases them; after the
 * next {@code herald suppression compact} no byte of any file of the data directory holds their
 * number (as text or as its 8-byte key), fields, words, browser string or the text they were sent;
 * an upload of the same number afterwards is still suppressed, and a campaign to it does not send.
 */
class RecipientErasureServiceTest {

    static final String ADMIN = "test-admin-key-0123456789";
    static final String VICTIM = "+447400555007";
    static final String OTHER = "+447400555008";
    static final String NAME = "Zebedee-Quux";
    static final String CITY = "Quuxburgh-Zed";
    static final String OTHER_NAME = "Otto-Keepme";
    static final String REASON_TEXT = "Zebedee-Reason-Xyzzy too many";
    static final String AGENT = "Mozilla/5.0 (Linux; Android 14; ZebedeePhone-Frotz) Mobile Safari/537.36";
    private static final HttpClient NO_FOLLOW = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private HeraldService service;
    private final Map<String, List<String>> received = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
        }
    }

    private HeraldService start(Path data, Map<String, String> env) throws Exception {
        // a small directory: its files (and the touches sized after it) are scanned whole, twice
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.parseString("herald.service.directory-capacity = 10000")
                .withFallback(ConfigFactory.load())).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0), env,
                new PrintWriter(new StringWriter(), true), ServiceTests.recording(m -> received.computeIfAbsent(m.to(), k -> new CopyOnWriteArrayList<>()).add(m.text())));
    }

    private static final String CAMPAIGN = """
            {"name": "Erasure", "channel": "sms", "category": "marketing", "sender": "acme",
             "footer": "Reply STOP to opt out", "segment": "%s", "trackLinks": true,
             "text": "Hi {{first_name|there}} of {{city|your town}}: 20%% off https://shop.example/a {{unsubscribe_url}}"}""";

    @ParameterizedTest(name = "master key: {0}")
    @ValueSource(booleans = {false, true})
    void erasureLeavesNoByteOfThePersonAndKeepsTheOptOut(boolean encrypted) throws Exception {
        Path data = dir.resolve("data");
        Path keyFile = dir.resolve("master.key");
        Map<String, String> env = new HashMap<>(Map.of("HERALD_API_KEY", ADMIN));
        if (encrypted) {
            String key = MasterKey.generate().encoded();
            Files.writeString(keyFile, key + "\n");
            env.put("HERALD_MASTER_KEY", key);
        }
        service = start(data, env);
        StringBuilder csv = new StringBuilder("phone,first_name,city\n");
        csv.append(VICTIM).append(',').append(NAME).append(',').append(CITY).append('\n');
        csv.append(OTHER).append(',').append(OTHER_NAME).append(",Keepton\n");
        for (int i = 10; i < 20; i++) {
            csv.append("+4474005551").append(i).append(",Ann").append(i).append(",Town\n");
        }
        assertEquals(201, call(service.port(), "POST", "/v1/segments/all", ADMIN, "text/csv", csv.toString()).statusCode());
        String id = ServiceTests.createCampaign(service.port(), ADMIN, CAMPAIGN.formatted("all"));
        ServiceTests.awaitCompleted(service.port(), ADMIN, id, 60);
        String victimText = received.get(VICTIM).get(0);
        assertTrue(victimText.contains(NAME) && victimText.contains(CITY), victimText);

        // the person clicks, unsubscribes and says why in their own words
        JsonNode view = json(call(service.port(), "GET", "/v1/campaigns/" + id + "/recipients/" + ServiceTests.enc(VICTIM), ADMIN, null, null));
        String tracked = view.path("links").path(0).path("tracked").asText();
        Thread.sleep(1_100); // past the suspicious first second
        HttpResponse<String> click = NO_FOLLOW.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port()
                + "/l/" + tracked.substring(tracked.lastIndexOf('/') + 1))).header("User-Agent", AGENT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(302, click.statusCode(), click.body());
        String token = victimText.substring(victimText.indexOf("/u/") + 3).split("\\s")[0];
        assertEquals(200, form(token, "action=unsubscribe").statusCode());
        assertEquals(200, form(token, "action=reason&reason=other&text=" + ServiceTests.enc(REASON_TEXT)).statusCode());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!BytesOnDisk.holds(data, AGENT) && System.nanoTime() < until) {
            Thread.sleep(20); // the click is written by its writer in the background
        }
        assertTrue(BytesOnDisk.holds(data, AGENT), "the fixture stored the click");
        if (!encrypted) {
            assertTrue(BytesOnDisk.holds(data, NAME), "the fixture stored the name in plain");
        }

        // bad input first: nothing changes
        ServiceTests.assertError(call(service.port(), "DELETE", "/v1/recipients/not-a-number", ADMIN, null, null),
                400, "invalid_phone", "phone");
        assertEquals(404, call(service.port(), "DELETE", "/v1/recipients/" + ServiceTests.enc("+447400555099"), ADMIN, null, null).statusCode());
        String sender = json(call(service.port(), "POST", "/v1/keys", ADMIN, "application/json", "{\"role\":\"sender\"}"))
                .path("key").asText();
        assertEquals(403, call(service.port(), "DELETE", "/v1/recipients/" + ServiceTests.enc(VICTIM), sender, null, null).statusCode());
        assertEquals(200, call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(VICTIM) + "/attributes", ADMIN, null, null)
                .statusCode());

        // the erasure
        HttpResponse<String> erased = call(service.port(), "DELETE", "/v1/recipients/" + ServiceTests.enc(VICTIM), ADMIN, null, null);
        assertEquals(200, erased.statusCode(), erased.body());
        JsonNode answer = json(erased);
        int victimId = answer.path("recipientId").asInt();
        assertTrue(answer.path("phoneHash").asText().startsWith("hash:"), answer.toString());
        assertFalse(erased.body().contains(VICTIM), "the answer masks the number: " + erased.body());
        assertTrue(answer.path("suppressed").toString().contains("global") || answer.path("suppressed").size() > 0,
                "the opt-out is kept: " + answer);
        assertEquals(404, call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(VICTIM) + "/attributes", ADMIN, null, null)
                .statusCode(), "the record is gone");
        JsonNode history = json(call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(VICTIM) + "/consent", ADMIN, null, null));
        assertTrue(history.toString().contains("\"erased\""), "the ledger records the erasure: " + history);
        JsonNode again = json(call(service.port(), "DELETE", "/v1/recipients/" + ServiceTests.enc(VICTIM), ADMIN, null, null));
        assertEquals(victimId, again.path("recipientId").asInt(), "erasing again finishes the same erasure: " + again);
        service.stop().toCompletableFuture().join();
        service = null;

        // the next compaction, from the command line
        List<String> cli = new ArrayList<>(List.of("--data-dir", data.toString()));
        if (encrypted) {
            cli.addAll(List.of("--master-key-file", keyFile.toString()));
        }
        String[] compact = herald(cli, "suppression", "compact");
        assertEquals("0", compact[0], compact[1] + compact[2]);

        long key = PhoneNumbers.toKey(VICTIM);
        List<String> words = new ArrayList<>(List.of(NAME, CITY, REASON_TEXT, AGENT, victimText, VICTIM, VICTIM.substring(3)));
        if (encrypted) {
            words.add(OTHER_NAME); // with a master key, nobody's fields are stored in plain
        }
        Map<String, byte[]> needles = BytesOnDisk.texts(words.toArray(String[]::new));
        for (ByteOrder order : List.of(ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN)) {
            needles.put("the number's 8-byte key (" + order + ")", ByteBuffer.allocate(8).order(order).putLong(key).array());
        }
        List<String> found = BytesOnDisk.filesHolding(data, needles);
        assertEquals(List.of(), found, "nothing of the erased person is left");
        String[] shown = herald(cli, "messages", "show", OTHER);
        assertEquals("0", shown[0], shown[2]);
        assertTrue(shown[1].contains(OTHER_NAME), "the others' messages are kept and rebuild: " + shown[1]);

        // the number uploaded again: the same recipient, still suppressed, not sent
        service = start(data, env);
        assertEquals(201, call(service.port(), "POST", "/v1/segments/again", ADMIN, "text/csv",
                "phone,first_name,city\n" + VICTIM + ",Zed,Z\n" + OTHER + ",Otto,O\n").statusCode());
        JsonNode suppressed = json(call(service.port(), "GET", "/v1/suppressions/" + ServiceTests.enc(VICTIM), ADMIN, null, null));
        assertTrue(suppressed.toString().contains("global") || suppressed.path("suppressed").asBoolean(false),
                "a later upload of the number is still suppressed: " + suppressed);
        String second = ServiceTests.createCampaign(service.port(), ADMIN, CAMPAIGN.formatted("again"));
        JsonNode done = ServiceTests.awaitCompleted(service.port(), ADMIN, second, 60);
        assertEquals(1, received.get(VICTIM).size(), "no second message to the erased, opted-out number: " + done);
        // with the key, nothing decryptable is left either: the re-registered id's messages are none
        JsonNode messages = json(call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(VICTIM) + "/messages", ADMIN, null, null));
        assertEquals(0, messages.path("messages").size(), "the first campaign's message to the person is gone: " + messages);
        JsonNode others = json(call(service.port(), "GET", "/v1/recipients/" + ServiceTests.enc(OTHER) + "/messages", ADMIN, null, null));
        assertEquals(2, others.path("messages").size(), "the other's two messages are read back: " + others);
        assertEquals(2, received.get(OTHER).size(), "the other was sent again: " + done);
    }

    /** {@code herald <common> args...}: exit code, out, err. */
    static String[] herald(List<String> common, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(common);
        all.addAll(List.of(args));
        int code = dev.herald.dispatcher.cli.HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    private HttpResponse<String> form(String token, String body) throws Exception {
        return ServiceTests.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/u/" + token))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
