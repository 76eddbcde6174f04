package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.call;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

/**
 * One damaged file takes down only its item, over real HTTP: a zero-filled segment meta (the
 * segment is listed as damaged, answers 409 naming its file, campaigns on other segments run) and a
 * damaged archived ledger segment (every consent history still answers, marked incomplete with the
 * damaged segment named).
 */
class DamagedStoresServiceTest {

    static final int RECIPIENTS = 300;
    static final String ADMIN = "test-admin-key-0123456789";

    @TempDir
    static Path template;
    @TempDir
    Path dir;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(13).withSuppression(0, Map.of()));
    }

    private HeraldService start(Path data) throws Exception {
        Config config = InboundWebhookTest.allHoursOpen(ConfigFactory.load()).resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
    }

    @Test
    void aDamagedSegmentMetaIsListedAsDamagedAndCampaignsOnOtherSegmentsRun() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        SegmentStore segments = SegmentStore.open(data);
        MutableRoaringBitmap fine = new MutableRoaringBitmap();
        fine.add(0L, 100L);
        MutableRoaringBitmap broken = new MutableRoaringBitmap();
        broken.add(100L, 200L);
        segments.put("fine", fine, 100, 0);
        segments.put("broken", broken, 100, 0);
        Path meta = data.resolve(SegmentStore.DIR).resolve("broken.json");
        byte[] bytes = Files.readAllBytes(meta);
        Arrays.fill(bytes, (byte) 0);
        Files.write(meta, bytes);

        HeraldService service = start(data);
        try {
            int port = service.port();
            HttpResponse<String> list = call(port, "GET", "/v1/segments", ADMIN, null, null);
            assertEquals(200, list.statusCode(), list.body());
            JsonNode all = json(list);
            assertEquals(2, all.size(), list.body());
            assertEquals("fine", all.get(0).path("name").asText());
            assertEquals(100, all.get(0).path("size").asLong());
            assertEquals("broken", all.get(1).path("name").asText());
            assertEquals("damaged", all.get(1).path("status").asText());
            assertEquals("segments/broken.json", all.get(1).path("file").asText());
            assertFalse(list.body().contains(data.toString()), "no server path: " + list.body());

            HttpResponse<String> one = call(port, "GET", "/v1/segments/broken", ADMIN, null, null);
            assertError(one, 409, "damaged", null);
            assertTrue(json(one).path("message").asText().contains("segments/broken.json"), one.body());
            String campaign = """
                    {"name": "%s", "channel": "sms", "category": "marketing", "sender": "demo",
                     "text": "Hello, sale today", "footer": "Reply STOP to opt out", "segment": "%s"}""";
            HttpResponse<String> onBroken = call(port, "POST", "/v1/campaigns", ADMIN, "application/json",
                    campaign.formatted("On broken", "broken"));
            assertError(onBroken, 409, "damaged", null);
            assertTrue(json(onBroken).path("message").asText().contains("segments/broken.json"), onBroken.body());
            HttpResponse<String> onFine = call(port, "POST", "/v1/campaigns", ADMIN, "application/json",
                    campaign.formatted("On fine", "fine"));
            assertEquals(201, onFine.statusCode(), onFine.body());
            JsonNode decided = ServiceTests.awaitDecided(port, ADMIN, json(onFine).path("id").asText());
            assertEquals(100, decided.path("total").asLong());
        } finally {
            service.stop().toCompletableFuture().join();
        }
    }

    @Test
    void aDamagedArchivedLedgerSegmentLeavesEveryConsentHistoryAnsweredAndMarkedIncomplete() throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        String phone;
        try (HeraldData d = HeraldData.at(data)) {
            SuppressionIndex index = d.suppression();
            phone = d.directory().get(5).orElseThrow().e164();
            ConsentEvidence api = ConsentEvidence.of(ConsentSource.API).rawText("test");
            for (int i = 0; i < 100; i++) {
                index.optOut(i, null, Scope.sender("acme"), api);
            }
            index.compact();
            for (int i = 0; i < 100; i++) {
                index.optIn(i, null, Scope.sender("acme"), api);
            }
            index.compact();
        }
        List<Path> archived;
        try (Stream<Path> files = Files.walk(data)) {
            archived = files.filter(p -> p.getParent().getFileName().toString().equals("ledger")
                    && p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        assertTrue(archived.size() >= 2, archived.toString());
        Path damaged = archived.get(archived.size() - 1);
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(damaged, bytes);

        HeraldService service = start(data);
        try {
            int port = service.port();
            String enc = URLEncoder.encode(phone, StandardCharsets.UTF_8);
            for (String path : List.of("/v1/recipients/" + enc + "/consent", "/v1/suppressions/" + enc)) {
                HttpResponse<String> r = call(port, "GET", path, ADMIN, null, null);
                assertEquals(200, r.statusCode(), path + ": " + r.body());
                JsonNode h = json(r);
                assertFalse(h.path("complete").asBoolean(true), r.body());
                assertTrue(h.path("history").size() >= 1, "what can be read is answered: " + r.body());
                JsonNode d = h.path("damaged").get(0);
                assertEquals("ledger/" + damaged.getFileName(), d.path("file").asText(), r.body());
                assertTrue(d.path("error").asText().contains("offset"), r.body());
                assertFalse(r.body().contains(data.toString()), "no server path: " + r.body());
            }
        } finally {
            service.stop().toCompletableFuture().join();
        }
    }
}
