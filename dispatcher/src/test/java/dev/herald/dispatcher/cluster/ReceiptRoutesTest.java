package dev.herald.dispatcher.cluster;

import dev.herald.dispatcher.delivery.Deliveries;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ReceiptRoutes}: durable id → sending partition, swept as the message-id map is, ids spread over partitions. */
class ReceiptRoutesTest {

    @TempDir
    Path folder;

    @Test
    void aRouteIsKeptAcrossAReopenAndForgottenAnHourAfterItsFinalReceiptOrAfterTheWait() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
        try (ReceiptRoutes r = ReceiptRoutes.open(folder, 1_000, Duration.ofDays(7), clock)) {
            r.put("acme", "41459", 12);
            r.put("acme", "41460", 0);
            r.put("other", "41459", 63);
            assertEquals(Optional.of(12), r.get("acme", "41459"));
            assertEquals(Optional.of(0), r.get("acme", "41460"), "partition 0 is a partition like any other");
            assertEquals(Optional.of(63), r.get("other", "41459"), "by connector and id");
            assertEquals(Optional.empty(), r.get("acme", "1"));
        }
        try (ReceiptRoutes r = ReceiptRoutes.open(folder, 1_000, Duration.ofDays(7), clock)) {
            assertEquals(Optional.of(12), r.get("acme", "41459"), "durable");
            r.reported("acme", "41459");
            clock.now = clock.now.plus(Deliveries.REPORTED_GRACE).plusSeconds(60);
            assertEquals(1, r.sweep(), "reported an hour ago: a repeat of its receipt is not coming");
            assertEquals(Optional.empty(), r.get("acme", "41459"));
            assertEquals(Optional.of(0), r.get("acme", "41460"), "unreported: kept for the receipt wait");
            clock.now = clock.now.plus(Duration.ofDays(7));
            assertEquals(2, r.sweep());
            assertEquals(0, r.size());
        }
        assertTrue(folder.resolve(ReceiptRoutes.DIR).resolve("message-ids.dat").toFile().isFile());
    }

    @Test
    void idsSpreadEvenlyOverThePartitionsWhateverTheSmscsNumbering() {
        Partitioner partitioner = new Partitioner(16);
        int[] counts = new int[16];
        for (int i = 0; i < 160_000; i++) {
            counts[ReceiptRoutes.partitionOf("acme", Integer.toString(1_000_000 + i), partitioner)]++;
        }
        for (int c : counts) {
            assertTrue(c > 9_000 && c < 11_000, "about 10,000 each: " + java.util.Arrays.toString(counts));
        }
        assertEquals(ReceiptRoutes.partitionOf("acme", "41459", partitioner),
                ReceiptRoutes.partitionOf("acme", "41459", new Partitioner(16)), "any node computes the same");
    }

    private static final class MutableClock extends java.time.Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
