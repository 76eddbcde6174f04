package dev.herald.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignPreview;

import org.junit.jupiter.api.Test;

/** Runs {@link CampaignPreviewBenchmark} once at a small size and checks what it measured. */
class CampaignPreviewBenchmarkTest {

    @Test
    void shouldPreviewEveryOutcomeOfTheFixture() throws Exception {
        CampaignPreviewBenchmark b = new CampaignPreviewBenchmark();
        b.audienceSize = 200_000;
        b.zones = 300;
        b.caps = true;
        b.now = "2026-06-14T12:00:00Z";
        b.setUp();
        try {
            CampaignPreview.Result r = b.previewWholeAudience();
            System.out.println("preview of " + b.audienceSize + ": " + r.counts() + " in " + r.elapsedNanos() / 1_000_000 + " ms");
            assertEquals(b.audienceSize, r.total());
            assertEquals(b.audienceSize, r.counts().values().stream().mapToLong(Long::longValue).sum());
            assertEquals(b.audienceSize / 20, r.counts().get("suppressed"), "5% opted out, all in the message's scopes");
            assertTrue(r.counts().get("sendNow") > 0 && r.counts().get("deferred") > 0 && r.counts().get("capped") > 0,
                    "the fixture mixes outcomes: " + r.counts());
        } finally {
            b.tearDown();
        }
    }
}
