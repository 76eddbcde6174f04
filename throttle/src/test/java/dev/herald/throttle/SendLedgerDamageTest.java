package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.DamagedFileException;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged send-ledger segment file is refused naming the file and offset: never read as "no
 * sends", which would let a recipient over their cap.
 */
class SendLedgerDamageTest {
    static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    static final CapContext SMS_PROMO = CapContext.marketing("sms", "promo", ZoneOffset.UTC);
    /** Bytes before the first record of a segment file (its header page). */
    static final int HEADER = 4096;
    /** Bytes of one record: 8 slots of 8 bytes. */
    static final int RECORD = 64;

    @TempDir
    Path dir;

    static SendLedger open(Path dir) throws Exception {
        CapRule once = new CapRule("daily", 1, CapWindow.rolling(Duration.ofHours(24)), CapScope.parse("marketing"),
                Optional.empty(), CapAction.DROP);
        return SendLedger.open(dir, FrequencyCaps.of(List.of(once)),
                new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 8, 10_000), name -> null);
    }

    private Path sentTo(int... ids) throws Exception {
        try (SendLedger ledger = open(dir)) {
            for (int id : ids) {
                Reservation r = ledger.reserve(id, SMS_PROMO, T0);
                assertTrue(r.isReserved());
                ledger.confirm(id, r.stamp());
            }
        }
        return dir.resolve("slots-00000.bin");
    }

    private static void write(Path file, long at, byte[] bytes) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private static byte[] read(Path file, long at, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.read(b, at);
        }
        return b.array();
    }

    private static DamagedFileException damageOf(Throwable t) {
        Throwable c = t;
        while (c != null && !(c instanceof DamagedFileException)) {
            c = c.getCause();
        }
        if (c == null) {
            throw new AssertionError("not a DamagedFileException", t);
        }
        return (DamagedFileException) c;
    }

    @Test
    void shouldRefuseAZeroFilledPageInsteadOfLettingTheRecipientOverTheCap() throws Exception {
        Path file = sentTo(7, 5000);
        write(file, HEADER, new byte[4096]); // the page of ids 0..63, id 7 already at its cap

        try (SendLedger ledger = open(dir)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ledger.reserve(7, SMS_PROMO, T0.plusSeconds(60)));
            DamagedFileException d = damageOf(e);
            assertEquals(file, d.file());
            assertEquals(HEADER, d.offset());
            assertTrue(d.getMessage().contains("slots-00000.bin") && d.getMessage().contains("zero-filled"), d.getMessage());
            // refused as a whole: an intact page is not served from a ledger known to be damaged
            UncheckedIOException later = assertThrows(UncheckedIOException.class, () -> ledger.reserve(5000, SMS_PROMO, T0.plusSeconds(60)));
            assertEquals(file, damageOf(later).file());
        }
    }

    @Test
    void shouldRefuseADamagedPageReadByABatchReservationOrConfirmation() throws Exception {
        Path file = sentTo(7, 3000);
        long slotAt = HEADER + 3000L * RECORD;
        byte[] b = read(file, slotAt, 8);
        b[2] ^= 0x01;
        write(file, slotAt, b);

        try (SendLedger ledger = open(dir)) {
            // the batch path (a pass over each stripe, written back at once) verifies the pages it reads too
            DamagedFileException d = damageOf(assertThrows(UncheckedIOException.class,
                    () -> ledger.reserve(org.roaringbitmap.buffer.ImmutableRoaringBitmap.bitmapOf(2999, 3001),
                            SMS_PROMO, T0.plusSeconds(60))));
            assertEquals(file, d.file());
            assertEquals(slotAt, d.offset());
        }
        try (SendLedger ledger = open(dir)) {
            DamagedFileException d = damageOf(assertThrows(UncheckedIOException.class,
                    () -> ledger.confirm(org.roaringbitmap.buffer.ImmutableRoaringBitmap.bitmapOf(3000), 1L)));
            assertEquals(slotAt, d.offset());
        }
    }

    @Test
    void shouldRefuseAFlippedByteNamingItsOffset() throws Exception {
        Path file = sentTo(7);
        long slotAt = HEADER + 7L * RECORD;
        byte[] b = read(file, slotAt, 8);
        b[5] ^= 0x10; // inside the epoch second of the confirmed send
        write(file, slotAt, b);

        try (SendLedger ledger = open(dir)) {
            DamagedFileException d = damageOf(assertThrows(UncheckedIOException.class,
                    () -> ledger.reserve(7, SMS_PROMO, T0.plusSeconds(60))));
            assertEquals(slotAt, d.offset());
        }
    }

    @Test
    void shouldRefuseATruncatedSegmentAtOpen() throws Exception {
        Path file = sentTo(7);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        DamagedFileException d = assertThrows(DamagedFileException.class, () -> open(dir));
        assertEquals(file, d.file());
        assertTrue(d.getMessage().contains("cut short"), d.getMessage());
        assertThrows(DamagedFileException.class, () -> open(dir), "refused again: nothing was repaired or cut");
    }

    @Test
    void shouldRefuseAZeroFilledHeaderAtOpen() throws Exception {
        Path file = sentTo(7);
        write(file, 0, new byte[HEADER]);
        DamagedFileException d = assertThrows(DamagedFileException.class, () -> open(dir));
        assertEquals(file, d.file());
        assertEquals(0, d.offset());
    }
}
