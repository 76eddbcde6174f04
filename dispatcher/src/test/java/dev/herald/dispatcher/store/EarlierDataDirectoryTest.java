package dev.herald.dispatcher.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.inbound.ReplayGuard;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.report.UnsubscribeReasons;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.unsubscribe.Frequency;
import dev.herald.dispatcher.unsubscribe.Preferences;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.internal.WalSegments;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data directory written by the version before the store rule (main at 4164365) still opens
 * under it. The fixture {@code data-4164365/} holds files that version's {@code herald serve} wrote
 * (a segment upload, an opt-out, one campaign: campaign-numbers.log, segments/, suppression/wal/,
 * the campaign's outcome ledger) and, written byte for byte in that version's formats,
 * {@code preferences.log}, {@code reasons.jsonl} and {@code inbound/replay-keys.bin}. Formats that
 * already obey the rule are read in place (unchanged); the others are migrated on open and then verify clean.
 */
class EarlierDataDirectoryTest {

    @TempDir
    Path data;

    private static final String CAMPAIGN = "c-20261206-171045-2f7f3be3";

    @BeforeEach
    void copyFixture() throws IOException, URISyntaxException {
        Path from = Path.of(getClass().getResource("data-4164365").toURI());
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = data.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
    }

    @Test
    void shouldReadLineLogsAndTheWriteAheadLogInPlace() throws IOException {
        byte[] numbers = Files.readAllBytes(data.resolve("campaign-numbers.log"));
        byte[] prefs = Files.readAllBytes(data.resolve("unsubscribe/preferences.log"));
        Path wal = data.resolve("suppression/wal/00000000000000000001.log");
        byte[] walBytes = Files.readAllBytes(wal);
        assertTrue(WalSegments.verify(wal).ok());
        try (CampaignNumbers n = CampaignNumbers.open(data.resolve("campaign-numbers.log"))) {
            assertEquals(CAMPAIGN, n.campaignOf(1).orElseThrow());
        }
        try (Preferences p = Preferences.open(data.resolve("unsubscribe"))) {
            assertEquals(Frequency.AS_SENT, p.frequency(42));
            assertEquals(Frequency.MONTHLY, p.frequency(43));
            assertEquals(Frequency.WEEKLY, p.frequency(44));
        }
        try (SuppressionIndex index = SuppressionIndex.open(data.resolve("suppression"))) {
            assertEquals(1, index.snapshot().count(Scope.sender("acme")));
        }
        assertArrayEquals(numbers, Files.readAllBytes(data.resolve("campaign-numbers.log")));
        assertArrayEquals(prefs, Files.readAllBytes(data.resolve("unsubscribe/preferences.log")));
        assertArrayEquals(walBytes, Arrays.copyOf(Files.readAllBytes(wal), walBytes.length));
    }

    @Test
    void shouldOpenTheOutcomeLedgerInPlaceAndAddItsSyncMark() throws IOException {
        Path dir = data.resolve("campaigns/" + CAMPAIGN + "/outcomes");
        byte[] log = Files.readAllBytes(dir.resolve("log-000000000001.log"));
        try (OutcomeLedger ledger = OutcomeLedger.openExisting(dir)) {
            assertEquals(2L, ledger.counts().get(Outcomes.SENT));
            assertEquals(1L, ledger.counts().get("suppressed:sender:acme"));
            assertEquals(5L, ledger.counts().get(Outcomes.DEFERRED));
        }
        assertTrue(Files.exists(dir.resolve("log-000000000001.mark")));
        assertArrayEquals(log, Arrays.copyOf(Files.readAllBytes(dir.resolve("log-000000000001.log")), log.length));
        OutcomeLedger.verify(dir).forEach(r -> assertTrue(r.ok(), r.describe()));
    }

    @Test
    void shouldMigrateSegmentMetasReasonsAndReplayKeys() throws IOException {
        Path meta = data.resolve("segments/vip.json");
        assertTrue(SegmentStore.verifyMeta(meta).ok());
        SegmentStore segments = SegmentStore.open(data);
        assertEquals(8, segments.get("vip").orElseThrow().ids().getCardinality());
        assertTrue(Files.readString(meta).contains("\"lineCrc32\""), "migrated");

        Path reasons = data.resolve("unsubscribe/reasons.jsonl");
        try (ReasonLog log = ReasonLog.open(data.resolve("unsubscribe"))) {
            assertFalse(ReasonLog.isLegacy(reasons));
        }
        assertTrue(ReasonLog.verify(reasons).ok());
        UnsubscribeReasons r = UnsubscribeReasons.read(reasons, CAMPAIGN::equals);
        assertEquals("too-frequent", r.reasonOf(1, CAMPAIGN).orElseThrow());
        assertEquals("other", r.reasonOf(7, CAMPAIGN).orElseThrow());

        Clock clock = Clock.fixed(Instant.ofEpochMilli(1796577047348L + 60_000), ZoneOffset.UTC);
        try (ReplayGuard g = ReplayGuard.open(data.resolve("inbound"), Duration.ofMinutes(10), clock)) {
            assertFalse(g.claim(1111), "a key taken before the upgrade still refuses its replay");
            assertFalse(g.claim(2222));
            assertTrue(g.claim(3333));
        }
        ReplayGuard.verify(data.resolve("inbound")).forEach(v -> assertTrue(v.ok(), v.describe()));
    }
}
