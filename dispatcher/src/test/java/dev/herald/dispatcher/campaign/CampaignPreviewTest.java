package dev.herald.dispatcher.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.ZoneBuckets;
import dev.herald.throttle.ZoneSet;

import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** {@link CampaignPreview} against a per-recipient brute force on a synthetic directory. */
class CampaignPreviewTest {

    static final int RECIPIENTS = 30_000;

    @TempDir
    static Path root;

    static CampaignFixture fixture;
    static SendLedger caps;
    /** Recipients with a send today: the daily cap drops them. */
    static MutableRoaringBitmap sentToday;

    @BeforeAll
    static void setUp() throws Exception {
        fixture = new CampaignFixture(root.resolve("data"), RECIPIENTS);
        caps = CampaignFixture.capLedger(root.resolve("send-ledger"));
        sentToday = new MutableRoaringBitmap();
        for (int id = 0; id < RECIPIENTS; id += 7) {
            sentToday.add(id);
        }
        CampaignFixture.seedSends(caps, sentToday);
    }

    @AfterAll
    static void tearDown() {
        caps.close();
        fixture.close();
    }

    private CampaignPreview.Result preview(ImmutableRoaringBitmap audience) {
        ZoneBuckets buckets = fixture.zones.snapshot();
        return CampaignPreview.of(audience, CampaignFixture.SCOPES, fixture.index.snapshot(),
                QuietHoursPlan.of(fixture.policy, buckets, CampaignFixture.CATEGORY, CampaignFixture.NOW), buckets,
                new CapContext(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY, true, ZoneOffset.UTC), caps::check, null);
    }

    /** One recipient at a time, straight from the snapshot, the policy and the seeded sends. */
    private static String bruteForce(int id, SuppressionSnapshot snapshot) {
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
        return sentToday.contains(id) ? "capped:daily" : CampaignPreview.SEND_NOW;
    }

    @Test
    void shouldCountEveryOutcomeAsAPerRecipientBruteForceDoes() {
        ImmutableRoaringBitmap audience = CampaignFixture.range(RECIPIENTS);
        SuppressionSnapshot snapshot = fixture.index.snapshot();
        Map<String, Long> expected = new TreeMap<>();
        audience.forEach((org.roaringbitmap.IntConsumer) id -> expected.merge(bruteForce(id, snapshot), 1L, Long::sum));

        CampaignPreview.Result r = preview(audience);

        System.out.println("preview of " + RECIPIENTS + ": " + r.counts() + " " + r.outcomes() + " in "
                + r.elapsedNanos() / 1_000 + " µs");
        assertEquals(expected, new TreeMap<>(r.outcomes()));
        assertEquals(RECIPIENTS, r.total());
        assertEquals(RECIPIENTS, r.counts().values().stream().mapToLong(Long::longValue).sum(), "families add up");
        for (String family : new String[] {"sendNow", "suppressed", "deferred", "capped"}) {
            assertTrue(r.counts().get(family) > 0, "the fixture exercises " + family + ": " + r.counts());
        }
    }

    @Test
    void shouldCountDeferralsPastTheCampaignsEndAsExpired() {
        ImmutableRoaringBitmap audience = CampaignFixture.range(RECIPIENTS);
        ZoneBuckets buckets = fixture.zones.snapshot();
        CampaignPreview.Result plain = preview(audience);
        CampaignPreview.Result ending = CampaignPreview.of(audience, CampaignFixture.SCOPES, fixture.index.snapshot(),
                QuietHoursPlan.of(fixture.policy, buckets, CampaignFixture.CATEGORY, CampaignFixture.NOW), buckets,
                new CapContext(CampaignFixture.CHANNEL, CampaignFixture.CATEGORY, true, ZoneOffset.UTC), caps::check,
                CampaignFixture.NOW.plusSeconds(60));
        assertEquals(0, ending.counts().get("deferred"), ending.counts().toString());
        assertEquals(plain.counts().get("deferred"), ending.counts().get("expired"), "every quiet-hours wait ends after a minute");
        assertEquals(plain.counts().get("sendNow"), ending.counts().get("sendNow"));
    }

    @Test
    void shouldPreviewASparseAudienceAndRecordNoCapReservation() {
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        for (int id = 3; id < RECIPIENTS; id += 11) {
            audience.add(id);
        }
        int[] before = new int[RECIPIENTS];
        for (int id = 0; id < RECIPIENTS; id++) {
            before[id] = caps.recorded(id);
        }
        SuppressionSnapshot snapshot = fixture.index.snapshot();
        Map<String, Long> expected = new TreeMap<>();
        audience.forEach((org.roaringbitmap.IntConsumer) id -> expected.merge(bruteForce(id, snapshot), 1L, Long::sum));

        assertEquals(expected, new TreeMap<>(preview(audience).outcomes()));
        assertEquals(expected, new TreeMap<>(preview(audience).outcomes()), "a second preview answers the same");
        for (int id = 0; id < RECIPIENTS; id++) {
            assertEquals(before[id], caps.recorded(id), "the preview recorded nothing in the cap ledger for " + id);
        }
    }
}
