package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.herald.suppression.DamagedFileException;
import dev.herald.throttle.internal.SendLedgerMmapStore;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A send ledger written by the previous version (format 1: slots without check bytes, kept under
 * {@code src/test/resources/send-ledger-format1}) opens: it is migrated on open, with an INFO line
 * naming the files, and keeps every send it held.
 */
class SendLedgerMigrationTest {

    @TempDir
    Path dir;

    private void unpackFormat1() throws Exception {
        for (String name : List.of("ledger.properties", "codes.properties")) {
            try (InputStream in = getClass().getResourceAsStream("/send-ledger-format1/" + name)) {
                Files.copy(in, dir.resolve(name));
            }
        }
        for (String name : List.of("slots-00000.bin", "slots-00001.bin")) {
            try (InputStream in = new GZIPInputStream(getClass().getResourceAsStream("/send-ledger-format1/" + name + ".gz"))) {
                Files.copy(in, dir.resolve(name));
            }
        }
    }

    @Test
    void shouldMigrateAFormat1LedgerOnOpenKeepingEverySendAndSayingSo() throws Exception {
        unpackFormat1();
        assertEquals(64L << 20, Files.size(dir.resolve("slots-00000.bin")), "the fixture is format 1");
        Logger log = (Logger) LoggerFactory.getLogger(SendLedgerMmapStore.class);
        ListAppender<ILoggingEvent> seen = new ListAppender<>();
        seen.start();
        log.addAppender(seen);
        try (SendLedger ledger = SendLedgerDamageTest.open(dir)) {
            for (int id : new int[] {0, 7, 4096, 1_000_000, 1_048_575, 1_048_576}) {
                assertEquals("capped:daily", ledger.reserve(id, SendLedgerDamageTest.SMS_PROMO,
                        SendLedgerDamageTest.T0.plusSeconds(60)).reason(), "id " + id + " keeps its send");
                assertEquals(1, ledger.recorded(id));
            }
            assertTrue(ledger.reserve(8, SendLedgerDamageTest.SMS_PROMO, SendLedgerDamageTest.T0.plusSeconds(60)).isReserved());
        } finally {
            log.detachAppender(seen);
        }
        List<String> info = seen.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("migrated")).toList();
        assertEquals(1, info.size(), seen.list.toString());
        assertTrue(info.get(0).contains("slots-00000.bin, slots-00001.bin"), info.get(0));
        assertEquals((64L << 20) + 4096, Files.size(dir.resolve("slots-00000.bin")));
        assertTrue(Files.readString(dir.resolve("ledger.properties")).contains("format=2"));
        assertTrue(SendLedgerMmapStore.verify(dir, 8).isEmpty(), "every migrated page checks");

        try (SendLedger again = SendLedgerDamageTest.open(dir)) { // opens as format 2, nothing more to migrate
            assertEquals(1, again.recorded(7));
        }
    }

    @Test
    void shouldFinishAMigrationThatAKilledProcessLeftHalfDone() throws Exception {
        unpackFormat1();
        Path oldSegment1 = dir.resolve("old-1");
        Files.copy(dir.resolve("slots-00001.bin"), oldSegment1);
        String oldHeader = Files.readString(dir.resolve("ledger.properties"));
        SendLedgerDamageTest.open(dir).close();
        // as if killed after segment 0 was renamed into place: segment 1 and the header still format 1
        Files.move(oldSegment1, dir.resolve("slots-00001.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(dir.resolve("ledger.properties"), oldHeader);

        try (SendLedger ledger = SendLedgerDamageTest.open(dir)) {
            assertEquals(1, ledger.recorded(0));
            assertEquals(1, ledger.recorded(1_048_576));
        }
        assertEquals((64L << 20) + 4096, Files.size(dir.resolve("slots-00001.bin")));
    }

    @Test
    void shouldRefuseToMigrateASlotFormat1NeverWroteAndLeaveTheFileUntouched() throws Exception {
        unpackFormat1();
        Path file = dir.resolve("slots-00000.bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF}), 7 * 64); // id 7's first slot: unused bits set
        }
        byte[] before = Files.readAllBytes(file);
        DamagedFileException d = assertThrows(DamagedFileException.class, () -> SendLedgerDamageTest.open(dir));
        assertEquals(file, d.file());
        assertEquals(7 * 64, d.offset());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertTrue(Files.readString(dir.resolve("ledger.properties")).contains("format=1"));
    }
}
