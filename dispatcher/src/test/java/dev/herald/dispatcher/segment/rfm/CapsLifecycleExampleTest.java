package dev.herald.dispatcher.segment.rfm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.campaign.CampaignPreview;
import dev.herald.dispatcher.segment.CapSegments;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneSet;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * {@code examples/caps-lifecycle.conf} loaded as the service loads it: its three segment-scoped
 * rules over {@code lifecycle:<stage>} hold back, in a campaign preview, exactly the recipients of
 * each stage whose earlier sends reach the stage's frequency, and no one else.
 */
class CapsLifecycleExampleTest {

    static final Path EXAMPLE = Path.of("../examples/caps-lifecycle.conf").toAbsolutePath().normalize();
    static final int RECIPIENTS = 4_000;
    static final long NOW = CampaignFixture.NOW.toEpochMilli(); // a Wednesday, 2026-06-10
    static final long DAY = Duration.ofDays(1).toMillis();

    @TempDir
    Path root;

    /** What the stage of {@code id} is made to be: new [0, 1000), active [1000, 2000), dormant [2000, 3000), lost the rest. */
    static String stageOf(int id) {
        return id < 1000 ? "new" : id < 2000 ? "active" : id < 3000 ? "dormant" : "lost";
    }

    @Test
    void shouldHoldBackPerLifecycleStageWhatTheExampleSays() throws Exception {
        Config config = ConfigFactory.parseFile(EXAMPLE.toFile()).withFallback(ConfigFactory.load()).resolve();
        FrequencyCaps caps = FrequencyCaps.fromConfig(config);
        assertEquals(List.of("lifecycle-active", "lifecycle-dormant", "lifecycle-new"),
                caps.rules().stream().map(CapRule::name).toList());

        try (CampaignFixture fixture = new CampaignFixture(root.resolve("data"), RECIPIENTS);
             RfmSegments rfm = RfmSegments.open(root, RfmSettings.fromConfig(config),
                     Clock.fixed(CampaignFixture.NOW, ZoneOffset.UTC), () -> RECIPIENTS)) {
            // the stages, from purchases and activity in the log
            int[] ids = new int[RECIPIENTS];
            long[] at = new long[RECIPIENTS];
            long[] value = new long[RECIPIENTS];
            for (int id = 0; id < RECIPIENTS; id++) {
                ids[id] = id;
                value[id] = 1000;
                at[id] = switch (stageOf(id)) {
                    case "new" -> NOW - 10 * DAY;        // first purchase 10 days ago
                    case "active" -> NOW - 200 * DAY;     // a customer for long ...
                    case "dormant" -> NOW - 100 * DAY;
                    default -> NOW - 200 * DAY;
                };
            }
            rfm.log().append(RfmLog.PURCHASES, 0, ids, at, value, RECIPIENTS);
            int[] active = new int[1000];
            long[] recent = new long[1000];
            for (int i = 0; i < 1000; i++) {
                active[i] = 1000 + i;
                recent[i] = NOW - 20 * DAY; // ... and active 20 days ago
            }
            rfm.log().append(RfmLog.ACTIVITY, 0, active, recent, null, 1000);
            RfmSnapshot s = rfm.recompute();
            for (String stage : RfmModel.STAGES) {
                assertEquals(1000, s.stages().get(stage).getLongCardinality(), stage);
            }

            SegmentStore segments = SegmentStore.open(root);
            segments.computed(rfm);
            try (SendLedger ledger = SendLedger.open(root.resolve("send-ledger"), caps,
                    new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 8, 1 << 16), new CapSegments(segments))) {
                // earlier sends this week: one to every recipient, two more to half the active ones
                MutableRoaringBitmap everyone = new MutableRoaringBitmap();
                everyone.add(0L, RECIPIENTS);
                MutableRoaringBitmap busyActive = new MutableRoaringBitmap();
                busyActive.add(1000L, 1500L);
                seed(ledger, everyone, CampaignFixture.NOW.minus(Duration.ofDays(2)));
                seed(ledger, busyActive, CampaignFixture.NOW.minus(Duration.ofDays(1)));
                seed(ledger, busyActive, CampaignFixture.NOW.minus(Duration.ofHours(3)));

                ZoneBuckets buckets = fixture.zones.snapshot();
                SuppressionSnapshot snapshot = fixture.index.snapshot();
                CampaignPreview.Result preview = CampaignPreview.of(everyone, CampaignFixture.SCOPES, snapshot,
                        QuietHoursPlan.of(fixture.policy, buckets, CampaignFixture.CATEGORY, CampaignFixture.NOW), buckets,
                        new CapContext(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY, true, ZoneOffset.UTC), ledger::check,
                        null);
                System.out.println("caps-lifecycle.conf, preview of 4,000 (1,000 per stage): " + preview.outcomes());

                Map<String, Long> expected = new TreeMap<>();
                for (int id = 0; id < RECIPIENTS; id++) {
                    expected.merge(bruteForce(fixture, snapshot, id, busyActive), 1L, Long::sum);
                }
                assertEquals(expected, new TreeMap<>(preview.outcomes()));
                assertTrue(preview.outcomes().getOrDefault("capped:lifecycle-new", 0L) > 300, preview.outcomes().toString());
                assertTrue(preview.outcomes().getOrDefault("capped:lifecycle-active", 0L) > 150, preview.outcomes().toString());
                assertTrue(preview.outcomes().getOrDefault("capped:lifecycle-dormant", 0L) > 300, preview.outcomes().toString());
            }
        }
    }

    /** One recipient, straight from the snapshot, the policy, its stage and its earlier sends. */
    private static String bruteForce(CampaignFixture fixture, SuppressionSnapshot snapshot, int id, ImmutableRoaringBitmap busy) {
        for (Scope scope : CampaignFixture.SCOPES) {
            if (snapshot.isSuppressed(id, scope)) {
                return "suppressed:" + scope;
            }
        }
        Recipient r = fixture.directory.get(id).orElseThrow();
        ZoneSet zs = fixture.policy.zonesFor(ZoneSet.forRecipient(r));
        if (!fixture.policy.rule(CampaignFixture.CATEGORY, r.region()).isOpen(CampaignFixture.NOW, zs)) {
            return "deferred";
        }
        return switch (stageOf(id)) {
            case "new" -> "capped:lifecycle-new";                                       // 1 this week already
            case "active" -> busy.contains(id) ? "capped:lifecycle-active" : CampaignPreview.SEND_NOW; // 3 this month
            case "dormant" -> "capped:lifecycle-dormant";                               // 1 this quarter already
            default -> CampaignPreview.SEND_NOW;                                        // lost: no rule
        };
    }

    private static void seed(SendLedger ledger, ImmutableRoaringBitmap ids, Instant at) {
        ReservationBatch b = ledger.reserve(ids, CapContext.marketing(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY,
                ZoneOffset.UTC), at);
        assertEquals(ids.getLongCardinality(), b.reserved().getLongCardinality(), "the seeded sends are within the caps");
        ledger.confirm(b.reserved(), b.stamp());
    }

    @Test
    void shouldRefuseAReservationWhoseRuleNamesAnUploadedSegmentNotStoredAndResolveItOnceUploaded() throws Exception {
        Config config = ConfigFactory.parseString("herald.frequency-caps.rules.vip-daily { limit = 1, window = day,"
                + " scope = marketing, segment = vip, action = drop }").withFallback(ConfigFactory.load()).resolve();
        SegmentStore segments = SegmentStore.open(root);
        try (SendLedger ledger = SendLedger.open(root.resolve("send-ledger"), FrequencyCaps.fromConfig(config),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 8, 1 << 16), new CapSegments(segments))) {
            MutableRoaringBitmap ids = new MutableRoaringBitmap();
            ids.add(0L, 10L);
            CapContext ctx = CapContext.marketing("sms", "marketing", ZoneOffset.UTC);
            Instant now = Instant.parse("2026-06-10T12:00:00Z");
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> ledger.check(ids, ctx, now));
            assertTrue(unknown.getMessage().contains("'vip'"), unknown.getMessage());
            MutableRoaringBitmap vip = new MutableRoaringBitmap();
            vip.add(0L, 5L);
            segments.put("vip", vip, 5, 0);
            ReservationBatch first = ledger.reserve(ids, ctx, now);
            ledger.confirm(first.reserved(), first.stamp());
            ReservationBatch second = ledger.check(ids, ctx, now.plusSeconds(60));
            assertEquals(5, second.reserved().getLongCardinality(), "the uploaded segment's five are capped");
        }
    }
}
