package dev.herald.dispatcher.segment.rfm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.funnel.Attribution;
import dev.herald.dispatcher.funnel.Conversion;
import dev.herald.dispatcher.funnel.Conversions;
import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.Events;
import dev.herald.dispatcher.segment.SegmentExpression;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.suppression.store.DamagedStoreException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The RFM segments end to end on real stores: conversions and events copied into the log, a
 * recompute against a naive per-recipient computation, the result across a restart, the segments
 * in expressions.
 */
class RfmSegmentsTest {

    static final long NOW = Instant.parse("2026-12-07T10:00:00Z").toEpochMilli();
    static final long DAY = Duration.ofDays(1).toMillis();
    static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC);

    @TempDir
    Path data;

    /** One purchase or activity, as the test wrote it. */
    record Fact(int recipient, long at, long minor, boolean purchase) {
    }

    /** Writes {@code purchases} conversions and {@code activities} events of {@code recipients} recipients; @return what was written */
    static List<Fact> populate(Conversions conversions, Events events, long seed, int recipients, int purchases, int activities,
                               int idFrom) throws IOException {
        System.out.println("RfmSegmentsTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        List<Fact> facts = new ArrayList<>();
        List<Conversion> cs = new ArrayList<>();
        for (int i = 0; i < purchases; i++) {
            int r = rnd.nextInt(4) == 0 ? rnd.nextInt(recipients / 10) : rnd.nextInt(recipients);
            long at = NOW - rnd.nextLong(730 * DAY);
            boolean yen = rnd.nextInt(5) == 0;
            BigDecimal value = yen ? BigDecimal.valueOf(rnd.nextInt(50_000)) : BigDecimal.valueOf(rnd.nextInt(100_000), 2);
            cs.add(new Conversion("o-" + seed + "-" + (idFrom + i), r, null, Attribution.Source.NONE, value, yen ? "JPY" : "EUR",
                    at, NOW));
            facts.add(new Fact(r, at, yen ? value.longValueExact() : value.movePointRight(2).longValueExact(), true));
        }
        conversions.record(cs);
        List<Event> es = new ArrayList<>();
        for (int i = 0; i < activities; i++) {
            int r = rnd.nextInt(recipients);
            long at = NOW - rnd.nextLong(400 * DAY);
            es.add(new Event("e-" + seed + "-" + (idFrom + i), r, "page_view", at, NOW, Map.of()));
            facts.add(new Fact(r, at, 0, false));
        }
        events.record(es);
        return facts;
    }

    /** The naive computation: per recipient in maps, the quintile cuts by sorting, each rule checked in turn. */
    static Map<String, MutableRoaringBitmap> naive(List<Fact> facts, RfmSettings s, long now) {
        long windowStart = now - s.window().toMillis();
        Map<Integer, long[]> buyer = new TreeMap<>(); // last, count, value
        Map<Integer, long[]> life = new TreeMap<>();  // first, last
        for (Fact f : facts) {
            long[] l = life.computeIfAbsent(f.recipient(), k -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE});
            l[0] = Math.min(l[0], f.at());
            l[1] = Math.max(l[1], f.at());
            if (f.purchase() && f.at() >= windowStart) {
                long[] b = buyer.computeIfAbsent(f.recipient(), k -> new long[] {Long.MIN_VALUE, 0, 0});
                b[0] = Math.max(b[0], f.at());
                b[1]++;
                b[2] += f.minor();
            }
        }
        long[][] cuts = new long[3][];
        for (int k = 0; k < 3; k++) {
            int kk = k;
            long[] v = buyer.values().stream().mapToLong(b -> b[kk]).sorted().toArray();
            cuts[k] = new long[4];
            for (int q = 1; q <= 4; q++) {
                cuts[k][q - 1] = v[(int) Math.ceil(q * v.length / 5.0) - 1];
            }
        }
        Map<String, MutableRoaringBitmap> out = new HashMap<>();
        buyer.forEach((r, b) -> {
            int[] score = new int[3];
            for (int k = 0; k < 3; k++) {
                score[k] = 1;
                for (long c : cuts[k]) {
                    score[k] += b[k] > c ? 1 : 0;
                }
            }
            for (RfmModel.Tier t : s.tiers()) {
                if (score[0] >= t.rMin() && score[0] <= t.rMax() && score[1] >= t.fMin() && score[1] <= t.fMax()
                        && score[2] >= t.mMin() && score[2] <= t.mMax()) {
                    out.computeIfAbsent("rfm:" + t.name(), x -> new MutableRoaringBitmap()).add(r);
                    break;
                }
            }
        });
        life.forEach((r, l) -> {
            long quiet = now - l[1];
            String stage = quiet >= s.lifecycle().lostAfter().toMillis() ? "lost"
                    : quiet >= s.lifecycle().dormantAfter().toMillis() ? "dormant"
                    : now - l[0] <= s.lifecycle().newFor().toMillis() ? "new" : "active";
            out.computeIfAbsent("lifecycle:" + stage, x -> new MutableRoaringBitmap()).add(r);
        });
        return out;
    }

    private static ImmutableRoaringBitmap ids(SegmentStore segments, String name) throws IOException {
        return segments.get(name).orElseThrow().ids();
    }

    @Test
    void shouldComputeWhatANaiveComputationDoesAndServeItAfterARestart() throws Exception {
        List<Fact> facts;
        Map<String, MutableRoaringBitmap> expected;
        try (Conversions conversions = Conversions.open(data.resolve(Conversions.DIR));
             Events events = Events.open(data.resolve(Events.DIR));
             RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            facts = populate(conversions, events, 20261207L, 3_000, 9_000, 4_000, 0);
            rfm.follow(conversions, events);
            assertEquals(9_000, rfm.log().purchases());
            assertEquals(4_000, rfm.log().activities());
            RfmSnapshot s = rfm.recompute();
            expected = naive(facts, RfmSettings.DEFAULTS, NOW);
            SegmentStore segments = SegmentStore.open(data);
            segments.computed(rfm);
            long buyers = 0;
            for (String tier : RfmSettings.DEFAULTS.tierNames()) {
                ImmutableRoaringBitmap want = expected.getOrDefault("rfm:" + tier, new MutableRoaringBitmap());
                assertEquals(want, ids(segments, "rfm:" + tier), "tier " + tier);
                buyers += want.getLongCardinality();
            }
            assertEquals(buyers, s.buyers());
            assertTrue(buyers > 1000, "a meaningful test: " + buyers + " buyers");
            for (String stage : RfmModel.STAGES) {
                ImmutableRoaringBitmap want = expected.getOrDefault("lifecycle:" + stage, new MutableRoaringBitmap());
                assertEquals(want, ids(segments, "lifecycle:" + stage), "stage " + stage);
                assertFalse(want.isEmpty(), "every stage is exercised: " + stage);
            }
            long[] sorted = facts.stream().filter(Fact::purchase).filter(f -> f.at() >= NOW - 365 * DAY)
                    .mapToLong(Fact::at).toArray();
            assertTrue(sorted.length > 0 && s.boundaries().recency().length == 4);
        }
        // a restart serves the stored result without recomputing
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            SegmentStore segments = SegmentStore.open(data);
            segments.computed(rfm);
            for (Map.Entry<String, MutableRoaringBitmap> e : expected.entrySet()) {
                assertEquals(e.getValue(), ids(segments, e.getKey()), e.getKey() + " after a restart");
            }
            assertEquals(NOW, rfm.snapshot().orElseThrow().computedAt());
        }
    }

    @Test
    void shouldCopyEachConversionAndEventOnceAcrossRestartsAndCatchUpWhatWasStoredWhileDown() throws Exception {
        List<Fact> facts = new ArrayList<>();
        try (Conversions conversions = Conversions.open(data.resolve(Conversions.DIR));
             Events events = Events.open(data.resolve(Events.DIR))) {
            // stored before RFM existed (or while it was down): copied by the first follow
            facts.addAll(populate(conversions, events, 1, 500, 700, 300, 0));
            try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
                rfm.follow(conversions, events);
                facts.addAll(populate(conversions, events, 2, 500, 200, 100, 10_000));
                rfm.nudge(); // copied in the background; the recompute copies what is left in any case
                rfm.recompute();
                assertEquals(900, rfm.log().purchases());
            }
            facts.addAll(populate(conversions, events, 3, 500, 50, 25, 20_000));
            try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
                rfm.follow(conversions, events);
                rfm.follow(conversions, events); // nothing new: nothing copied twice
                assertEquals(950, rfm.log().purchases());
                assertEquals(425, rfm.log().activities());
                RfmSnapshot s = rfm.recompute();
                assertEquals(950, s.purchasesRead());
                Map<String, MutableRoaringBitmap> expected = naive(facts, RfmSettings.DEFAULTS, NOW);
                for (String stage : RfmModel.STAGES) {
                    assertEquals(expected.getOrDefault("lifecycle:" + stage, new MutableRoaringBitmap()), s.stages().get(stage));
                }
            }
        }
    }

    @Test
    void shouldResolveTiersAndStagesInExpressionsAndNameUnknownOnes() throws Exception {
        try (Conversions conversions = Conversions.open(data.resolve(Conversions.DIR));
             Events events = Events.open(data.resolve(Events.DIR));
             RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 3_000)) {
            SegmentStore segments = SegmentStore.open(data);
            segments.computed(rfm);
            List<Fact> facts = populate(conversions, events, 42, 3_000, 9_000, 2_000, 0);
            rfm.follow(conversions, events);

            SegmentExpression.UnknownSegmentsException notYet = assertThrows(SegmentExpression.UnknownSegmentsException.class,
                    () -> segments.get("rfm:at-risk"));
            assertTrue(notYet.getMessage().contains("not computed yet") && notYet.getMessage().contains("recompute"),
                    notYet.getMessage());

            rfm.recompute();
            Map<String, MutableRoaringBitmap> expected = naive(facts, RfmSettings.DEFAULTS, NOW);
            MutableRoaringBitmap bought30d = new MutableRoaringBitmap();
            facts.stream().filter(f -> f.purchase() && f.at() >= NOW - 30 * DAY).forEach(f -> bought30d.add(f.recipient()));
            segments.put("bought_30d", bought30d, bought30d.getLongCardinality(), 0);
            MutableRoaringBitmap universe = new MutableRoaringBitmap();
            universe.add(0L, 3_000L);
            SegmentExpression.Resolver resolver = name -> segments.get(name).map(SegmentStore.Segment::ids);

            ImmutableRoaringBitmap atRisk = SegmentExpression.parse("rfm:at-risk & !bought_30d").evaluate(resolver, universe);
            assertEquals(ImmutableRoaringBitmap.andNot(expected.get("rfm:at-risk"), bought30d), atRisk);
            assertFalse(atRisk.isEmpty());
            assertEquals(expected.get("lifecycle:dormant"),
                    SegmentExpression.parse("lifecycle:dormant").evaluate(resolver, universe));
            assertEquals(ImmutableRoaringBitmap.or(expected.get("rfm:champions"), expected.get("lifecycle:new")),
                    SegmentExpression.parse("rfm:champions|lifecycle:new").evaluate(resolver, universe));

            SegmentExpression.UnknownSegmentsException unknown = assertThrows(SegmentExpression.UnknownSegmentsException.class,
                    () -> SegmentExpression.parse("rfm:vip & lifecycle:new").evaluate(resolver, universe));
            assertTrue(unknown.getMessage().contains("'rfm:vip'") && unknown.getMessage().contains("champions, loyal"),
                    unknown.getMessage());
            SegmentExpression.UnknownSegmentsException stage = assertThrows(SegmentExpression.UnknownSegmentsException.class,
                    () -> segments.get("lifecycle:sleeping"));
            assertTrue(stage.getMessage().contains("lost, dormant, new, active"), stage.getMessage());
            assertTrue(segments.get("other:thing").isEmpty(), "a namespace nobody serves is an unknown segment");
            IllegalArgumentException upload = assertThrows(IllegalArgumentException.class,
                    () -> segments.put("rfm:mine", bought30d, 1, 0));
            assertTrue(upload.getMessage().contains("computed"), upload.getMessage());
            assertEquals(expected.get("rfm:loyal").getLongCardinality(), segments.meta("rfm:loyal").orElseThrow().size());
        }
    }

    @Test
    void shouldReportADamagedResultAndRewriteItAtTheNextRecompute() throws Exception {
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            rfm.log().append(RfmLog.PURCHASES, 0, new int[] {1, 2}, new long[] {NOW - DAY, NOW - 2 * DAY}, new long[] {5, 6}, 2);
            rfm.recompute();
        }
        Path file = data.resolve(RfmLog.DIR).resolve(RfmSnapshot.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 1;
        Files.write(file, bytes);
        assertThrows(DamagedStoreException.class, () -> RfmSnapshot.read(data.resolve(RfmLog.DIR)));
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            assertTrue(rfm.snapshot().isEmpty());
            assertTrue(rfm.damage().contains(RfmSnapshot.FILE), rfm.damage());
            SegmentExpression.UnknownSegmentsException e = assertThrows(SegmentExpression.UnknownSegmentsException.class,
                    () -> rfm.get("lifecycle:new"));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
            RfmSnapshot s = rfm.recompute();
            assertEquals(2, s.stages().get("new").getLongCardinality());
            assertTrue(rfm.damage() == null);
        }
        assertEquals(2, RfmSnapshot.read(data.resolve(RfmLog.DIR)).orElseThrow().buyers());
    }

    @Test
    void shouldCountAHumanClickAsActivityOfAKnownRecipientOnly() throws Exception {
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            // 1 and 2 bought 100 days ago (dormant); 3 was never seen
            rfm.log().append(RfmLog.PURCHASES, 0, new int[] {1, 2}, new long[] {NOW - 100 * DAY, NOW - 100 * DAY},
                    new long[] {500, 500}, 2);
            rfm.clicked(1, NOW - 2 * DAY);
            rfm.clicked(3, NOW - 2 * DAY);
            RfmSnapshot s = rfm.recompute(); // the buffered clicks are written first
            assertEquals(MutableRoaringBitmap.bitmapOf(1), s.stages().get("active"), "the click woke recipient 1");
            assertEquals(MutableRoaringBitmap.bitmapOf(2), s.stages().get("dormant"));
            assertEquals(2, s.recipients(), "a click alone puts nobody into a stage: " + s.stages());
            rfm.clicked(2, NOW - DAY);
        }
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            assertEquals(3, rfm.log().activities(), "the click buffered at close was written");
            assertEquals(MutableRoaringBitmap.bitmapOf(1, 2), rfm.recompute().stages().get("active"));
        }
    }

    @Test
    void shouldRefuseASecondRecomputeWhileOneRuns() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> {
            inside.countDown(); // asked inside the recompute, under its lock
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return 0;
        })) {
            rfm.log().append(RfmLog.PURCHASES, 0, new int[] {1}, new long[] {NOW - DAY}, new long[] {5}, 1);
            java.util.concurrent.CompletableFuture<RfmSnapshot> first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return rfm.recompute();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            inside.await();
            RfmSegments.BusyException busy = assertThrows(RfmSegments.BusyException.class, rfm::recompute);
            assertTrue(busy.getMessage().contains("already running"), busy.getMessage());
            release.countDown();
            assertEquals(1, first.get().buyers());
            assertEquals(1, rfm.recompute().buyers(), "free again once it ended");
        }
    }

    @Test
    void shouldHaveHeraldDataCheckNameADamagedRfmLog() throws Exception {
        try (RfmSegments rfm = RfmSegments.open(data, RfmSettings.DEFAULTS, CLOCK, () -> 0)) {
            rfm.log().append(RfmLog.PURCHASES, 0, new int[] {1, 2}, new long[] {NOW - DAY, NOW}, new long[] {5, 6}, 2);
        }
        assertTrue(dev.herald.dispatcher.check.DataCheck.standard().run(data).ok());
        Path file = data.resolve(RfmLog.DIR).resolve(RfmLog.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 3] ^= 1;
        Files.write(file, bytes);
        dev.herald.dispatcher.check.DataCheckReport report = dev.herald.dispatcher.check.DataCheck.standard().run(data);
        assertEquals(1, report.damaged().size(), report.damaged().toString());
        assertTrue(report.damaged().get(0).file().endsWith(Path.of(RfmLog.DIR, RfmLog.FILE)), report.damaged().toString());
    }

    @Test
    void shouldReadTheTiersFromTheConfigurationAndNameWhatIsWrong() {
        com.typesafe.config.Config base = com.typesafe.config.ConfigFactory.load();
        RfmSettings defaults = RfmSettings.fromConfig(base);
        assertEquals(RfmModel.DEFAULT_TIERS, defaults.tiers(), "herald-segments.conf spells the default tiers");
        assertEquals(RfmSettings.DEFAULTS, defaults);
        RfmSettings two = RfmSettings.fromConfig(com.typesafe.config.ConfigFactory.parseString("""
                herald.segments.rfm { window = 180d, recompute-every = 0s,
                  tiers = [ { name = best, r = "5", f = 4-5, m = "1-5" }, { name = rest, r = "1-5", f = "1-5", m = "1-5" } ] }
                """).withFallback(base));
        assertEquals(List.of("best", "rest"), two.tierNames());
        assertEquals(new RfmModel.Tier("best", 5, 5, 4, 5, 1, 5), two.tiers().get(0));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> RfmSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("herald.segments.rfm.tiers = [ { name = x, r = \"0-9\", f = 1, m = 1 } ]")
                        .withFallback(base)));
        assertTrue(bad.getMessage().contains("herald.segments.rfm.tiers[0].r"), bad.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> RfmSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("herald.segments.rfm.tiers = [ { name = x, r = 1, f = 1, m = 1 },"
                        + " { name = x, r = 2, f = 1, m = 1 } ]").withFallback(base)));
        assertTrue(twice.getMessage().contains("'x' is used twice"), twice.getMessage());
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class, () -> RfmSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("herald.segments.rfm.window = 1h").withFallback(base)));
        assertTrue(window.getMessage().contains("herald.segments.rfm.window"), window.getMessage());
        assertTrue(Arrays.asList(RfmModel.STAGES.toArray()).contains("dormant"));
    }
}
