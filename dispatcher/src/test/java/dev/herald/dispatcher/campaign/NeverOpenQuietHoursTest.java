package dev.herald.dispatcher.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.Recipient;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Quiet hours 10:00-18:00 and a US toll-free number in the directory: its zones (Guam to Hawaii)
 * never share an open hour. Before, every preview and every marketing campaign failed, audience or
 * not; now only that recipient is affected, with the outcome {@code expired:never-open}.
 */
class NeverOpenQuietHoursTest {

    /** Wednesday 12:00 UTC: 14:00 in Paris and 13:00 in London (open), 21:00 in Tokyo (closed). */
    private static final Instant NOW = Instant.parse("2026-06-10T12:00:00Z");
    private static final String TOLL_FREE = "+18005550199";

    private static final ActorTestKit testKit = ActorTestKit.create();
    @TempDir
    static Path shared;
    private static HeraldData data;
    private static QuietHoursPolicy policy;
    private static ZoneIndex zones;

    @BeforeAll
    static void directoryWithATollFreeNumber() throws Exception {
        data = SyntheticAudience.openData(shared.resolve("data"), 1_000);
        Path csv = shared.resolve("recipients.csv");
        Files.writeString(csv, "phone,tz,first_name\n+33612345678,Europe/Paris,Camille\n+447400123456,Europe/London,Alice\n"
                + "+819012345678,Asia/Tokyo,Daichi\n" + TOLL_FREE + ",,Tollfree\n", StandardCharsets.UTF_8);
        assertEquals(4, data.directory().importCsv(csv, ImportListener.NONE).imported());
        policy = QuietHoursPolicies.fromConfig(ConfigFactory.parseString("""
                herald.quiet-hours.policies.default {
                  unknown-zones = [UTC]
                  categories { marketing { windows = ["10:00-18:00"] }, transactional { exempt = true } }
                }""")).get("default");
        zones = ZoneIndex.build(data.directory());
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
        data.close();
    }

    private static int id(String phone) throws java.io.IOException {
        return data.directory().idOf(phone).orElseThrow();
    }

    private static CampaignDeps deps(ThrottleShards shards, SimulatedConnector connector, Path ledgers) throws Exception {
        return new CampaignDeps(data.directory(), data.suppression(), zones, policy, shards, connector, null, ledgers,
                Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofSeconds(10));
    }

    @Test
    void shouldKnowTheTollFreeNumberInDozensOfZonesThatNeverShareAnOpenHour() throws Exception {
        Recipient r = data.directory().get(id(TOLL_FREE)).orElseThrow();
        ZoneSet set = ZoneSet.forRecipient(r);
        assertTrue(set.size() > 10, "a US toll-free number is listed in many zones: " + set);
        List<String> warnings = policy.neverOpen(zones.snapshot(), NOW);
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("'marketing'") && warnings.get(0).contains("1 recipient"), warnings.get(0));
    }

    @Test
    void shouldPreviewWithoutTheTollFreeRecipientAsUsualAndWithItAsNeverOpen(@TempDir Path dir) throws Exception {
        try (SendLedger caps = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            ThrottleShards shards = ThrottleShards.spawn(testKit.system(), "preview-throttle", caps, 1, 1 << 20);
            CampaignDeps deps = deps(shards, connector, dir.resolve("ledgers"));
            MutableRoaringBitmap without = MutableRoaringBitmap.bitmapOf(id("+33612345678"), id("+447400123456"),
                    id("+819012345678"));
            CampaignPreview.Result r = CampaignPreview.of(deps, without, "acme", "sms", "marketing", NOW, null);
            assertEquals(Map.of(CampaignPreview.SEND_NOW, 2L, Outcomes.DEFERRED, 1L), r.outcomes());

            MutableRoaringBitmap with = without.clone();
            with.add(id(TOLL_FREE));
            r = CampaignPreview.of(deps, with, "acme", "sms", "marketing", NOW, null);
            assertEquals(Map.of(CampaignPreview.SEND_NOW, 2L, Outcomes.DEFERRED, 1L, Outcomes.NEVER_OPEN, 1L), r.outcomes());
            assertEquals(1L, r.counts().get(Outcomes.EXPIRED), "counted in the expired family: " + r.counts());
            assertEquals(4L, r.counts().values().stream().mapToLong(Long::longValue).sum());
            shards.stop();
        }
    }

    @Test
    void shouldRunACampaignToTheEndWithExactlyOneOutcomeForEveryRecipient(@TempDir Path dir) throws Exception {
        MutableRoaringBitmap audience = MutableRoaringBitmap.bitmapOf(id("+33612345678"), id("+447400123456"), id(TOLL_FREE));
        CampaignSpec spec = new CampaignSpec("c-never-open", "Never open", "sms", "marketing", "acme", "Hi {{first_name}}",
                "Reply STOP to opt out", audience);
        try (SendLedger caps = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("log")))) {
            ThrottleShards shards = ThrottleShards.spawn(testKit.system(), "run-throttle", caps, 1, 1 << 20);
            CampaignResult result = CampaignRun.run(testKit.system(), spec, deps(shards, connector, dir.resolve("ledgers")))
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            shards.stop();
            connector.close();
            assertEquals(2L, result.counts().get(Outcomes.SENT), result.counts().toString());
            assertEquals(1L, result.counts().get(Outcomes.NEVER_OPEN), result.counts().toString());
            assertEquals(0L, result.counts().getOrDefault("pending", 0L));
            assertEquals(0L, result.counts().getOrDefault("claimed", 0L));

            Map<Integer, RecipientOutcome> outcomes = CampaignFixture.outcomes(dir.resolve("ledgers"), spec);
            assertEquals(3, outcomes.size(), "every recipient has exactly one outcome: " + outcomes);
            assertEquals(Outcomes.NEVER_OPEN, outcomes.get(id(TOLL_FREE)).outcome());
            assertTrue(outcomes.get(id(TOLL_FREE)).isFinal(), "final: the campaign does not wait for it");
            assertEquals(Map.of(id("+33612345678"), 1, id("+447400123456"), 1), CampaignFixture.sentCounts(connector, spec.id()));
        }
    }
}
