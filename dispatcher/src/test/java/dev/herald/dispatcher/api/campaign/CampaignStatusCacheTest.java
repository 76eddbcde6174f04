package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignRejection;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The cache against a stand-in manager whose answers the test completes by hand, and a clock it moves by hand. */
class CampaignStatusCacheTest {

    private static final Instant T = Instant.parse("2026-12-01T09:00:00Z");
    private static final long FRESH = CampaignStatusCache.FRESHNESS.toNanos();

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<String> asked = new ArrayList<>();
    private final List<CompletableFuture<CampaignRecord>> answers = new ArrayList<>();
    private final CampaignStatusCache cache = new CampaignStatusCache(this::ask, nanos::get);

    private synchronized CompletionStage<CampaignRecord> ask(String id) {
        asked.add(id);
        CompletableFuture<CampaignRecord> f = new CompletableFuture<>();
        answers.add(f);
        return f;
    }

    private static CampaignRecord record(String id, CampaignStatus status, long sent) {
        CampaignRecord r = CampaignRecord.create(id, "n", "sms", "marketing", "acme", "hi", "", 10, T, null, null);
        return (status == CampaignStatus.SCHEDULED ? r : r.withStatus(status, T)).withCounts(Map.of("sent", sent));
    }

    @Test
    void shouldShareOneAskAmongRequestsWithinTheFreshnessAndAskAgainAfter() {
        CompletionStage<CampaignRecord> first = cache.status("c-1");
        CompletionStage<CampaignRecord> waiting = cache.status("c-1");
        assertEquals(List.of("c-1"), asked, "a request during an ask waits for it");
        answers.get(0).complete(record("c-1", CampaignStatus.RUNNING, 3));
        assertEquals(3L, first.toCompletableFuture().join().counts().get("sent"));
        assertSame(first.toCompletableFuture().join(), waiting.toCompletableFuture().join());
        nanos.addAndGet(FRESH - 1);
        assertEquals(3L, cache.status("c-1").toCompletableFuture().join().counts().get("sent"));
        assertEquals(1, asked.size(), "still fresh");
        nanos.addAndGet(1);
        CompletionStage<CampaignRecord> later = cache.status("c-1");
        assertEquals(2, asked.size(), "stale: asked again");
        answers.get(1).complete(record("c-1", CampaignStatus.RUNNING, 7));
        assertEquals(7L, later.toCompletableFuture().join().counts().get("sent"));
    }

    @Test
    void shouldAskAgainAfterACampaignIsForgottenOrItsAskFailed() {
        cache.status("c-1");
        answers.get(0).complete(record("c-1", CampaignStatus.RUNNING, 1));
        cache.forget("c-1"); // paused, say
        cache.status("c-1");
        assertEquals(2, asked.size());
        CompletionStage<CampaignRecord> refused = cache.status("c-2");
        answers.get(2).completeExceptionally(new CampaignRejection(CampaignRejection.Reason.NOT_FOUND, "no campaign 'c-2'"));
        assertTrue(refused.toCompletableFuture().isCompletedExceptionally());
        cache.status("c-2");
        assertEquals(List.of("c-1", "c-1", "c-2", "c-2"), asked, "a refusal is not kept");
    }

    @Test
    void shouldDropStaleAnswersWhenManyCampaignsAreKept() {
        for (int i = 0; i <= CampaignStatusCache.MAX_CACHED; i++) {
            cache.status("c-" + i);
            answers.get(i).complete(record("c-" + i, CampaignStatus.RUNNING, i));
        }
        assertEquals(CampaignStatusCache.MAX_CACHED + 1, cache.size(), "all fresh: all kept");
        nanos.addAndGet(FRESH + 1);
        cache.status("c-new");
        assertEquals(1, cache.size(), "only the new ask is left");
    }

    @Test
    void shouldListLiveRecordsOfCampaignsUnderWayAndTheStoredOnesOfTheRest() {
        List<CampaignRecord> stored = List.of(record("c-s", CampaignStatus.SCHEDULED, 0),
                record("c-r", CampaignStatus.RUNNING, 1), record("c-c", CampaignStatus.COMPLETED, 10),
                record("c-p", CampaignStatus.PAUSED, 2), record("c-x", CampaignStatus.CANCELLED, 4));
        CompletionStage<List<CampaignRecord>> live = cache.live(stored);
        assertEquals(List.of("c-s", "c-r", "c-p"), asked, "scheduled, running and paused are asked");
        assertFalse(live.toCompletableFuture().isDone());
        answers.get(0).complete(record("c-s", CampaignStatus.RUNNING, 5));
        answers.get(1).completeExceptionally(new IllegalStateException("busy"));
        answers.get(2).complete(record("c-p", CampaignStatus.PAUSED, 3));
        List<CampaignRecord> out = live.toCompletableFuture().join();
        assertEquals(List.of("c-s", "c-r", "c-c", "c-p", "c-x"), out.stream().map(CampaignRecord::id).toList());
        assertEquals(List.of(5L, 1L, 10L, 3L, 4L), out.stream().map(r -> r.counts().get("sent")).toList(),
                "live counts where asked; stored where not asked or the ask failed");
        assertEquals(CampaignStatus.RUNNING, out.get(0).status());
    }
}
