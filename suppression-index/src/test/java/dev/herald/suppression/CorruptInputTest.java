package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged files on disk: torn log tails are dropped and reported, everything else is refused by name. */
class CorruptInputTest {
    private static final ConsentEvidence API = ConsentEvidence.of(ConsentSource.API);

    @TempDir
    Path dir;

    private void writeSome(int n) throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            for (int i = 0; i < n; i++) {
                index.optOut(i, null, Scope.GLOBAL, API.rawText("STOP " + i));
            }
        }
    }

    private Path onlySegment() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("wal"))) {
            List<Path> files = s.toList();
            assertEquals(1, files.size(), files.toString());
            return files.get(0);
        }
    }

    @Test
    void shouldDropATornLastRecordAndReportIt() throws IOException {
        writeSome(10);
        Path seg = onlySegment();
        long size = Files.size(seg);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(size - 7);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(9, index.snapshot().count(Scope.GLOBAL));
            assertTrue(index.openReport().droppedTornBytes() > 0);
            assertTrue(index.openReport().warnings().get(0).contains(seg.getFileName().toString()));
            // the log goes on cleanly after the dropped record
            index.optOut(100, null, Scope.GLOBAL, API);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(10, index.snapshot().count(Scope.GLOBAL));
            assertEquals(0, index.openReport().droppedTornBytes());
        }
    }

    /** Zero-filled bytes are damage, not a torn write: refused naming the file and offset, the file left as it is. */
    @Test
    void shouldRefuseZerosAppendedAfterTheLastRecord() throws IOException {
        writeSome(5);
        Path seg = onlySegment();
        long end = Files.size(seg);
        Files.write(seg, new byte[4096], StandardOpenOption.APPEND);
        dev.herald.suppression.store.DamagedStoreException e =
                assertThrows(dev.herald.suppression.store.DamagedStoreException.class, () -> SuppressionIndex.open(dir));
        assertEquals(seg, e.file());
        assertEquals(end, e.offset());
        assertEquals(end + 4096, Files.size(seg), "the log must be left as it is");
    }

    /** The last record is complete but its checksum fails: damage (it was acknowledged), never cut as a torn tail. */
    @Test
    void shouldRefuseADamagedLastCompleteRecordInsteadOfCuttingIt() throws IOException {
        writeSome(5);
        Path seg = onlySegment();
        long size = Files.size(seg);
        flip(seg, (int) size - 3);
        dev.herald.suppression.store.DamagedStoreException e =
                assertThrows(dev.herald.suppression.store.DamagedStoreException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains(seg.toString()) && e.getMessage().contains("offset " + e.offset()), e.getMessage());
        assertTrue(e.offset() > 8 && e.offset() < size - 3);
        assertEquals(size, Files.size(seg), "the log must be left as it is");
        assertTrue(dev.herald.suppression.internal.WalSegments.verify(seg).isDamaged());
        List<dev.herald.suppression.store.VerifyResult> all = SuppressionIndex.verifyLogs(dir);
        assertTrue(all.stream().anyMatch(r -> r.isDamaged() && r.file().equals(seg)), all.toString());
        assertEquals(size, Files.size(seg), "verifying changes nothing");
    }

    @Test
    void shouldCountADroppedTornTail() throws IOException {
        writeSome(5);
        Path seg = onlySegment();
        long size = Files.size(seg);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(size - 7);
        }
        assertTrue(dev.herald.suppression.internal.WalSegments.verify(seg).tornBytes() > 0);
        long before = dev.herald.suppression.store.TornTails.count();
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(4, index.snapshot().count(Scope.GLOBAL));
        }
        assertEquals(before + 1, dev.herald.suppression.store.TornTails.count());
    }

    @Test
    void shouldRefuseALogSegmentDamagedBeforeTheTail() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(4096))) {
            for (int i = 0; i < 200; i++) {
                index.optOut(i, null, Scope.GLOBAL, API.rawText("x".repeat(50)));
            }
        }
        Path first;
        try (Stream<Path> s = Files.list(dir.resolve("wal"))) {
            first = s.sorted().findFirst().orElseThrow();
        }
        flip(first, 100);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains(first.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("offset"), e.getMessage());
    }

    private Path baseFile() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            for (int i = 0; i < 5000; i += 3) {
                index.optOut(i, null, Scope.GLOBAL, API);
            }
            index.compact();
        }
        try (Stream<Path> s = Files.walk(dir.resolve("base"))) {
            return s.filter(p -> p.toString().endsWith(".rbm")).findFirst().orElseThrow();
        }
    }

    @Test
    void shouldRefuseABaseFileWithFlippedBytesNamingIt() throws IOException {
        Path base = baseFile();
        flip(base, 200);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertEquals(base, e.file());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
    }

    @Test
    void shouldRefuseATruncatedBaseFileNamingIt() throws IOException {
        Path base = baseFile();
        try (FileChannel ch = FileChannel.open(base, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains(base.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        try (FileChannel ch = FileChannel.open(base, StandardOpenOption.WRITE)) {
            ch.truncate(10);
        }
        e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void shouldRefuseABaseFileWhoseBitmapIsGarbageEvenWithAMatchingChecksum() throws IOException {
        Path base = baseFile();
        // rewrite the payload with garbage and a checksum that matches it: only the structure check can catch it
        byte[] bytes = Files.readAllBytes(base);
        for (int i = 32; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 31);
        }
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(bytes, 32, bytes.length - 32);
        ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(12, (int) c.getValue());
        Files.write(base, bytes);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains(base.getFileName().toString()), e.getMessage());
    }

    @Test
    void shouldRefuseADamagedManifest() throws IOException {
        baseFile();
        Path manifest = dir.resolve("base").resolve("MANIFEST");
        String text = Files.readString(manifest).replace("base-seq", "base-seq 1");
        Files.writeString(manifest, text);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains("MANIFEST"), e.getMessage());
    }

    @Test
    void shouldRefuseDamageInTheMiddleOfTheLastSegmentInsteadOfDroppingAcknowledgedRecords() throws IOException {
        writeSome(1000);
        Path seg = onlySegment();
        long size = Files.size(seg);
        flip(seg, 500);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains("damaged at offset"), e.getMessage());
        assertEquals(size, Files.size(seg), "the log must be left as it is");
    }

    /** The same for a log written by the first record version (before sentAt): it is damage, not a torn tail. */
    @Test
    void shouldRefuseDamageInTheMiddleOfAVersionOneLog() throws IOException {
        writeSome(1000);
        Path seg = onlySegment();
        Files.write(seg, dev.herald.suppression.internal.WalCodecTest.toVersionOne(Files.readAllBytes(seg)));
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(1000, index.snapshot().seq(), "a version-1 log is read whole");
        }
        long size = Files.size(seg);
        flip(seg, 500);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains("damaged at offset"), e.getMessage());
        assertEquals(size, Files.size(seg), "the log must be left as it is");
    }

    @Test
    void shouldKeepACopyOfADroppedTornTail() throws IOException {
        writeSome(3);
        Path seg = onlySegment();
        Files.write(seg, new byte[] {1, 2, 3, 4, 5}, StandardOpenOption.APPEND);
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(5, index.openReport().droppedTornBytes());
        }
        try (Stream<Path> s = Files.list(dir.resolve("wal"))) {
            Path copy = s.filter(p -> p.getFileName().toString().contains(".torn-")).findFirst().orElseThrow();
            assertEquals(5, Files.size(copy));
        }
    }

    @Test
    void shouldRemoveAnEmptyLastSegmentLeftByACrashAndKeepWorking() throws IOException {
        writeSome(5);
        Files.createFile(dir.resolve("wal").resolve(String.format("%020d.log", 6)));
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            index.optOut(99, null, Scope.GLOBAL, API);
        }
        try (SuppressionIndex index = SuppressionIndex.open(dir)) {
            assertEquals(6, index.snapshot().count(Scope.GLOBAL));
        }
    }

    @Test
    void shouldRefuseALogWithAMissingSegment() throws IOException {
        try (SuppressionIndex index = SuppressionIndex.open(dir, IndexOptions.defaults().withMaxSegmentBytes(4096))) {
            for (int i = 0; i < 300; i++) {
                index.optOut(i, null, Scope.GLOBAL, API.rawText("x".repeat(20)));
            }
        }
        Path second;
        try (Stream<Path> s = Files.list(dir.resolve("wal"))) {
            second = s.sorted().skip(1).findFirst().orElseThrow();
        }
        Files.delete(second);
        CorruptIndexException e = assertThrows(CorruptIndexException.class, () -> SuppressionIndex.open(dir));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    private static void flip(Path file, int offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[offset] ^= 0x5A;
        bytes[offset + 1] ^= 0x01;
        Files.write(file, bytes);
    }
}
