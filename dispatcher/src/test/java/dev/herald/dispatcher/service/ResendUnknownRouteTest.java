package dev.herald.dispatcher.service;

import static dev.herald.dispatcher.service.ServiceTests.assertError;
import static dev.herald.dispatcher.service.ServiceTests.copyData;
import static dev.herald.dispatcher.service.ServiceTests.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.Role;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.segment.SegmentStore;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * {@code POST /v1/campaigns/{id}/resend-unknown} over real HTTP on a real service: admin only, 404
 * for an unknown campaign, 409 while the status does not allow it, and the campaign's
 * {@code unknown} recipients (left as a killed process leaves them: claimed in the stored ledger,
 * then recovered) sent again and given a normal outcome.
 */
class ResendUnknownRouteTest {

    static final int RECIPIENTS = 5_000;
    /** Segment {@code some}: ids [0, SOME). */
    static final int SOME = 400;
    /** The ids the "crash" left claimed. */
    static final int CRASHED = 30;
    static final String ADMIN = "test-admin-key-0123456789";

    @TempDir
    static Path template;

    private HeraldService service;

    @BeforeAll
    static void buildDirectory() throws Exception {
        ServiceTests.buildDirectory(template, RECIPIENTS, AudienceSpec.defaults().withSeed(11));
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stop().toCompletableFuture().join();
            service = null;
        }
    }

    private HeraldService start(Path data) throws Exception {
        Config config = ConfigFactory.load().resolve();
        return HeraldService.start(data, config, ServiceSettings.fromConfig(config).withAddress("127.0.0.1", 0),
                Map.of("HERALD_API_KEY", ADMIN), new PrintWriter(new StringWriter(), true));
    }

    private HttpResponse<String> call(String method, String path, String key) throws Exception {
        return ServiceTests.call(service.port(), method, path, key, null, null);
    }

    @Test
    void shouldLetOnlyAnAdminResendTheUnknownRecipientsWhoThenGetANormalOutcome(@TempDir Path dir) throws Exception {
        Path data = copyData(template.resolve("data"), dir);
        MutableRoaringBitmap some = new MutableRoaringBitmap();
        some.add(0L, SOME);
        SegmentStore.open(data).put("some", some, SOME, 0);
        service = start(data);
        String at = Instant.now().plus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
        HttpResponse<String> created = ServiceTests.call(service.port(), "POST", "/v1/campaigns", ADMIN, "application/json", """
                {"name": "Spring sale", "channel": "sms", "category": "marketing", "sender": "acme",
                 "text": "Hi {{first_name}}, spring sale today!", "footer": "Reply STOP to opt out", "segment": "some",
                 "schedule": {"at": "%s"}}""".formatted(at));
        assertEquals(201, created.statusCode(), created.body());
        String id = json(created).path("id").asText();
        String route = "/v1/campaigns/" + id + "/resend-unknown";

        String sender = service.keys().create(Role.SENDER, "test").key();
        assertError(call("POST", route, sender), 403, "forbidden", null);
        assertEquals(401, call("POST", route, null).statusCode());
        assertEquals(404, call("POST", "/v1/campaigns/no-such-campaign/resend-unknown", ADMIN).statusCode());
        HttpResponse<String> scheduled = call("POST", route, ADMIN);
        assertEquals(409, scheduled.statusCode(), scheduled.body());
        service.stop().toCompletableFuture().join();
        service = null;

        // As a killed process leaves them: claimed durably, never given an answer.
        MutableRoaringBitmap crashed = new MutableRoaringBitmap();
        crashed.add(0L, CRASHED);
        try (OutcomeLedger ledger = OutcomeLedger.openExisting(data.resolve("campaigns").resolve(id).resolve(CampaignStore.OUTCOMES))) {
            ledger.claim(crashed);
        }
        service = start(data);
        JsonNode before = json(call("GET", "/v1/campaigns/" + id, ADMIN));
        assertEquals(CRASHED, before.path("counts").path("unknown").asLong(), before.toString());

        assertEquals(200, call("POST", "/v1/campaigns/" + id + "/pause", sender).statusCode());
        HttpResponse<String> resent = call("POST", route, ADMIN);
        assertEquals(200, resent.statusCode(), resent.body());
        JsonNode answer = json(resent);
        assertEquals(CRASHED, answer.path("queued").asLong(), resent.body());
        assertEquals(id, answer.path("id").asText());
        assertEquals(0, answer.path("campaign").path("counts").path("unknown").asLong(), resent.body());
        assertEquals("paused", answer.path("campaign").path("status").asText(), "sent when resumed: " + resent.body());

        assertEquals(200, call("POST", "/v1/campaigns/" + id + "/resume", sender).statusCode());
        JsonNode done = ServiceTests.awaitDecided(service.port(), ADMIN, id);
        assertEquals(0, done.path("counts").path("unknown").asLong(), done.toString());
        Map<Integer, Integer> accepted = new HashMap<>();
        for (AcceptedLogEntry e : SimulatedConnector.readLog(data.resolve("connector/simulated-accepted.tsv"))) {
            if (e.campaignId().equals(id)) {
                accepted.merge(e.recipientId(), 1, Integer::sum);
            }
        }
        accepted.forEach((r, n) -> assertEquals(1, n, "recipient " + r + " was sent " + n + " times"));
        long crashedSent = crashed.stream().filter(accepted::containsKey).count();
        assertTrue(crashedSent > 0, "some resent recipients were sent: " + done);
        assertEquals(done.path("counts").path("sent").asLong(), accepted.size(), done.toString());
        assertEquals(0, json(call("POST", route, ADMIN)).path("queued").asLong(), "nothing left to resend");
    }
}
