package dev.herald.dispatcher.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptOutAnalyticsTest {

    static final Instant T0 = Instant.parse("2026-11-01T23:00:00Z");
    static final Scope ACME = Scope.sender("acme");

    @TempDir
    Path dir;

    static ConsentChange optOut(int id, Scope scope, ConsentSource source, String campaign, Instant sentAt, Instant at) {
        ConsentEvidence e = ConsentEvidence.of(source).channel("sms").rawText(source == ConsentSource.KEYWORD ? "STOP" : null)
                .campaign(campaign).at(at).sentAt(sentAt);
        return ConsentChange.optOut(id, "+4474001000" + String.format("%02d", id), scope, e);
    }

    private static Map<String, CampaignRecord> store() {
        return Map.of("c1", CampaignRecord.create("c1", "Sale", "sms", "promotions", "ACME", "ACME: sale", "", 50, T0, null,
                null));
    }

    private void ledger(SuppressionIndex index) throws Exception {
        index.apply(List.of(
                optOut(1, ACME, ConsentSource.KEYWORD, "c1", T0, T0.plus(Duration.ofMinutes(30))),
                optOut(1, ACME, ConsentSource.KEYWORD, "c1", T0, T0.plus(Duration.ofMinutes(40))), // a second STOP
                optOut(2, ACME, ConsentSource.LINK, "c1", T0, T0.plus(Duration.ofHours(3))),
                optOut(3, ACME, ConsentSource.LINK, "c1", null, T0.plus(Duration.ofHours(5))),
                optOut(4, Scope.GLOBAL, ConsentSource.KEYWORD, "c2", T0, T0.plus(Duration.ofHours(1))),
                ConsentChange.optIn(5, null, ACME, ConsentEvidence.of(ConsentSource.KEYWORD).campaign("c1")
                        .at(T0.plus(Duration.ofHours(2)))),
                optOut(6, ACME, ConsentSource.API, null, null, T0.plus(Duration.ofHours(6))),
                optOut(7, ACME, ConsentSource.CARRIER, "c1", T0, T0.plus(Duration.ofHours(100))),
                optOut(8, Scope.GLOBAL, ConsentSource.OPERATOR, null, null, T0.plus(Duration.ofHours(7))),
                optOut(9, Scope.category("promotions"), ConsentSource.LINK, null, null, T0.plus(Duration.ofHours(8))),
                optOut(10, ACME, ConsentSource.KEYWORD, "c1", T0.plus(Duration.ofHours(2)), T0.plus(Duration.ofHours(1)))));
    }

    @Test
    void shouldCountACampaignsOptOutsOncePerRecipientByReasonSourceAndHoursSinceSend() throws Exception {
        Path reasons = dir.resolve("reasons.jsonl");
        Files.writeString(reasons, String.join("\n",
                "{\"time\":\"2026-11-02T03:00:00Z\",\"recipientId\":2,\"phone\":\"+447400100002\",\"campaign\":\"c1\",\"sender\":\"acme\",\"reason\":\"too-frequent\",\"text\":null}",
                "{\"time\":\"2026-11-02T02:00:00Z\",\"recipientId\":2,\"phone\":\"+447400100002\",\"campaign\":\"c1\",\"sender\":\"acme\",\"reason\":\"other\",\"text\":\"meh\"}",
                "{\"time\":\"2026-11-02T02:00:00Z\",\"recipientId\":3,\"phone\":\"+447400100003\",\"campaign\":\"c9\",\"sender\":\"acme\",\"reason\":\"other\",\"text\":null}",
                "{\"time\":\"2026-11-02T02:00:00Z\",\"recipientId\":7,\"campaign\":\"c1\",",
                "not json at all",
                "{\"time\":\"2026-11-02T02:00:00Z\",\"recipientId\":7,\"campaign\":\"c1\",\"reason\":\"bored\"}",
                ""));
        try (SuppressionIndex index = SuppressionIndex.open(dir.resolve("index"))) {
            ledger(index);
            UnsubscribeReasons r = UnsubscribeReasons.read(reasons, "c1"::equals);
            assertEquals(3, r.damaged(), "two broken lines and an unknown reason are skipped, not fatal");
            OptOutAnalytics.CampaignOptOuts c = OptOutAnalytics.campaign(index.ledger(), "c1", 50, r);
            assertEquals("c1", c.campaign());
            assertEquals(50, c.sent());
            assertEquals(5, c.optOuts(), c.toString()); // 1, 2, 3, 7, 10: a second STOP, an opt-in, other campaigns are not
            assertEquals(0.1, c.rate(), 1e-12);
            assertEquals(2L, c.byReason().get("keyword"), c.toString());
            assertEquals(1L, c.byReason().get("too-frequent"), "the latest reason given for that campaign: " + c);
            assertEquals(0L, c.byReason().get("other"), c.toString());
            assertEquals(1L, c.byReason().get("unspecified"), "a link without a reason: " + c);
            assertEquals(1L, c.byReason().get("carrier"), c.toString());
            assertEquals(Map.of("keyword", 2L, "link", 2L, "api", 0L, "import", 0L, "carrier", 1L, "operator", 0L), c.bySource());
            assertEquals(List.of("0-1", "1-2", "2-4", "4-8", "8-24", "24-72", "72+", "unknown"),
                    List.copyOf(c.byHoursSinceSend().keySet()));
            assertEquals(1L, c.byHoursSinceSend().get("0-1"));
            assertEquals(1L, c.byHoursSinceSend().get("2-4"));
            assertEquals(1L, c.byHoursSinceSend().get("72+"));
            assertEquals(2L, c.byHoursSinceSend().get("unknown"), "no send time, or a send time after the opt-out: " + c);
            assertEquals(0L, c.byHoursSinceSend().get("1-2"));

            OptOutAnalytics.CampaignOptOuts none = OptOutAnalytics.campaign(index.ledger(), "c3", 0, UnsubscribeReasons.none());
            assertEquals(0, none.optOuts());
            assertNull(none.rate(), "nothing sent: no rate");
        }
    }

    @Test
    void shouldReadNoReasonsFromAMissingFile() throws Exception {
        UnsubscribeReasons r = UnsubscribeReasons.read(dir.resolve("nope.jsonl"), c -> true);
        assertTrue(r.reasonOf(1, "c1").isEmpty());
        assertEquals(0, r.damaged());
    }

    @Test
    void shouldBucketHoursSinceSendAtTheEdges() {
        assertEquals("0-1", OptOutAnalytics.hoursBucket(T0, T0));
        assertEquals("1-2", OptOutAnalytics.hoursBucket(T0, T0.plus(Duration.ofHours(1))));
        assertEquals("8-24", OptOutAnalytics.hoursBucket(T0, T0.plus(Duration.ofHours(24)).minusMillis(1)));
        assertEquals("24-72", OptOutAnalytics.hoursBucket(T0, T0.plus(Duration.ofHours(24))));
        assertEquals("72+", OptOutAnalytics.hoursBucket(T0, T0.plus(Duration.ofHours(72))));
        assertEquals("unknown", OptOutAnalytics.hoursBucket(null, T0));
        assertEquals("unknown", OptOutAnalytics.hoursBucket(T0, T0.minusMillis(1)));
    }

    @Test
    void shouldReportAPeriodByCampaignCategorySenderAndHourOfDay() throws Exception {
        try (SuppressionIndex index = SuppressionIndex.open(dir.resolve("index"))) {
            ledger(index);
            Instant from = T0;
            Instant to = T0.plus(Duration.ofHours(100)); // exclusive: recipient 7's opt-out is at exactly this instant
            OptOutAnalytics.PeriodOptOuts p = OptOutAnalytics.period(index.ledger(), from, to, ZoneOffset.UTC, store()::get);
            assertEquals(8, p.optOuts(), p.toString()); // 1, 2, 3, 4, 6, 8, 9, 10
            assertEquals(Map.of("c1", 4L, "(none)", 3L, "c2", 1L), p.byCampaign());
            assertEquals(List.of("c1", "(none)", "c2"), List.copyOf(p.byCampaign().keySet()), "most first");
            assertEquals(Map.of("promotions", 5L, "(none)", 2L, "(unknown campaign)", 1L), p.byCategory(), p.toString());
            assertEquals(Map.of("acme", 5L, "(global)", 1L, "(none)", 1L, "(unknown campaign)", 1L), p.bySender(), p.toString());
            assertEquals(24, p.byHourOfDay().size());
            assertEquals(2L, p.byHourOfDay().get("00"), "recipient 1 at 23:30 is hour 23, 4 and 10 at 00:00: " + p);
            assertEquals(1L, p.byHourOfDay().get("23"));
            assertEquals("Z", p.timeZone());
            assertEquals(8L, p.byHourOfDay().values().stream().mapToLong(Long::longValue).sum());

            OptOutAnalytics.PeriodOptOuts tokyo = OptOutAnalytics.period(index.ledger(), from, to, ZoneId.of("Asia/Tokyo"),
                    store()::get);
            assertEquals(1L, tokyo.byHourOfDay().get("08"), "23:30 UTC is 08:30 in Tokyo: " + tokyo);
            assertEquals(2L, tokyo.byHourOfDay().get("09"), tokyo.toString());

            OptOutAnalytics.PeriodOptOuts later = OptOutAnalytics.period(index.ledger(), T0.plus(Duration.ofHours(100)),
                    T0.plus(Duration.ofHours(101)), ZoneOffset.UTC, store()::get);
            assertEquals(Map.of("c1", 1L), later.byCampaign(), "from is inclusive");
        }
    }

    /** The figure quoted in the README: one report over 100,000 ledger records. Seed printed. */
    @Test
    void shouldReportOverAHundredThousandRecordsInWellUnderASecond() throws Exception {
        long seed = 20261123L;
        System.out.println("seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int records = 100_000;
        try (SuppressionIndex index = SuppressionIndex.open(dir.resolve("index"))) {
            List<ConsentChange> batch = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                String campaign = rnd.nextInt(10) == 0 ? null : "c" + rnd.nextInt(50);
                Instant sent = T0.plus(Duration.ofMinutes(rnd.nextInt(10_000)));
                Instant at = sent.plus(Duration.ofMinutes(rnd.nextInt(6_000)));
                batch.add(optOut(rnd.nextInt(60_000), campaign == null ? Scope.GLOBAL : ACME,
                        rnd.nextBoolean() ? ConsentSource.KEYWORD : ConsentSource.LINK, campaign, sent, at));
                if (batch.size() == 10_000) {
                    index.apply(batch);
                    batch.clear();
                }
            }
            long best = Long.MAX_VALUE;
            long total = 0;
            for (int round = 0; round < 3; round++) {
                long start = System.nanoTime();
                OptOutAnalytics.PeriodOptOuts p = OptOutAnalytics.period(index.ledger(), Instant.EPOCH,
                        Instant.parse("2027-01-01T00:00:00Z"), ZoneOffset.UTC, id -> null);
                OptOutAnalytics.CampaignOptOuts c = OptOutAnalytics.campaign(index.ledger(), "c7", 10_000,
                        UnsubscribeReasons.none());
                best = Math.min(best, System.nanoTime() - start);
                total = p.optOuts();
                assertTrue(c.optOuts() > 0 && c.optOuts() < p.optOuts());
            }
            System.out.printf("period + campaign report over %,d ledger records: best %.1f ms (%,d opt-outs counted)%n",
                    records, best / 1e6, total);
            assertTrue(total > 50_000 && total < records, "duplicates per campaign are counted once: " + total);
            assertTrue(best < 5_000_000_000L, "two reports over 100k records took " + best / 1e6 + " ms");
        }
    }
}
