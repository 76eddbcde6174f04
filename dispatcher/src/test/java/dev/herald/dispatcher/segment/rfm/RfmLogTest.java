package dev.herald.dispatcher.segment.rfm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RFM log: what is appended is read back, across reopens; torn, damaged and foreign files by the store rule. */
class RfmLogTest {

    @TempDir
    Path dir;

    /** Every record read, flattened: kind, recipient, at, value. */
    private static List<long[]> readAll(RfmLog log, int batch) throws IOException {
        List<long[]> out = new ArrayList<>();
        log.read(log.end(), new RfmLog.Sink() {
            @Override
            public void purchases(int[] r, long[] at, long[] v, int n) {
                assertTrue(n <= batch);
                for (int i = 0; i < n; i++) {
                    out.add(new long[] {RfmLog.PURCHASES, r[i], at[i], v[i]});
                }
            }

            @Override
            public void activity(int[] r, long[] at, int n) {
                for (int i = 0; i < n; i++) {
                    out.add(new long[] {RfmLog.ACTIVITY, r[i], at[i], 0});
                }
            }

            @Override
            public void clicks(int[] r, long[] at, int n) {
                for (int i = 0; i < n; i++) {
                    out.add(new long[] {RfmLog.CLICKS, r[i], at[i], 0});
                }
            }
        }, batch);
        return out;
    }

    private static void purchases(RfmLog log, long sourceOffset, int... recipients) throws IOException {
        long[] at = new long[recipients.length];
        long[] v = new long[recipients.length];
        for (int i = 0; i < recipients.length; i++) {
            at[i] = 1_700_000_000_000L + recipients[i];
            v[i] = 100L * recipients[i];
        }
        log.append(RfmLog.PURCHASES, sourceOffset, recipients, at, v, recipients.length);
    }

    @Test
    void shouldReadBackWhatWasAppendedAndTheSourceCheckpointsAfterAReopen() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 120, 1, 2, 3);
            log.append(RfmLog.ACTIVITY, 77, new int[] {9}, new long[] {5L}, null, 1);
            log.append(RfmLog.CLICKS, 0, new int[] {11, 12}, new long[] {6L, 7L}, null, 2);
            purchases(log, 240, 4);
            log.append(RfmLog.PURCHASES, 300, new int[0], new long[0], new long[0], 0); // only the checkpoint moves
        }
        try (RfmLog log = RfmLog.open(dir)) {
            assertEquals(300, log.purchasesFrom());
            assertEquals(77, log.activityFrom());
            assertEquals(4, log.purchases());
            assertEquals(3, log.activities(), "activity and clicks");
            assertEquals(77, log.activityFrom(), "clicks carry no checkpoint");
            List<long[]> all = readAll(log, 2);
            assertEquals(7, all.size());
            assertTrue(all.stream().anyMatch(r -> r[0] == RfmLog.CLICKS && r[1] == 12 && r[2] == 7));
            long purchaseIds = all.stream().filter(r -> r[0] == RfmLog.PURCHASES).mapToLong(r -> r[1]).sum();
            assertEquals(1 + 2 + 3 + 4, purchaseIds);
            assertTrue(all.stream().anyMatch(r -> r[0] == RfmLog.PURCHASES && r[1] == 3 && r[3] == 300
                    && r[2] == 1_700_000_000_003L));
            assertTrue(all.stream().anyMatch(r -> r[0] == RfmLog.ACTIVITY && r[1] == 9 && r[2] == 5));
        }
    }

    @Test
    void shouldReadALogLargerThanItsReadBufferInOrder() throws IOException {
        // 1.2M purchases (24 MB) cross the 16 MiB read buffer with frames cut at its edge
        SplittableRandom rnd = new SplittableRandom(17);
        long sum = 0;
        long count = 0;
        try (RfmLog log = RfmLog.open(dir)) {
            int[] r = new int[RfmLog.MAX_RECORDS];
            long[] at = new long[r.length];
            long[] v = new long[r.length];
            for (int f = 0; f < 19; f++) {
                int n = r.length - rnd.nextInt(1000);
                for (int i = 0; i < n; i++) {
                    r[i] = rnd.nextInt(1_000_000);
                    at[i] = rnd.nextLong(1L << 41);
                    v[i] = rnd.nextInt(20_000);
                    sum += r[i] + at[i] + v[i];
                }
                count += n;
                log.append(RfmLog.PURCHASES, f, r, at, v, n);
            }
            long[] got = {0, 0};
            RfmLog.Stats s = log.read(log.end(), new RfmLog.Sink() {
                @Override
                public void purchases(int[] rs, long[] ats, long[] vs, int n) {
                    for (int i = 0; i < n; i++) {
                        got[0] += rs[i] + ats[i] + vs[i];
                    }
                    got[1] += n;
                }

                @Override
                public void activity(int[] rs, long[] ats, int n) {
                    throw new AssertionError("no activity was written");
                }

                @Override
                public void clicks(int[] rs, long[] ats, int n) {
                    throw new AssertionError("no click was written");
                }
            }, 500_000);
            assertEquals(count, s.purchases());
            assertEquals(count, got[1]);
            assertEquals(sum, got[0]);
        }
    }

    @Test
    void shouldDropATornLastFrameReportItAndKeepItsBytes() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 10, 1, 2);
            purchases(log, 20, 3);
        }
        Path file = dir.resolve(RfmLog.FILE);
        long whole = Files.size(file);
        // a crash mid-append: the first bytes of a frame of 2 purchases
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.allocate(8 + 9 + 17);
            b.putInt(9 + 40).putInt(1234).put(RfmLog.PURCHASES).putLong(30).put(new byte[17]);
            b.flip();
            ch.write(b);
        }
        long before = TornTails.count();
        try (RfmLog log = RfmLog.open(dir)) {
            assertEquals(before + 1, TornTails.count(), "reported");
            assertEquals(whole, Files.size(file), "cut back to the last whole frame");
            assertEquals(20, log.purchasesFrom(), "the torn frame's checkpoint does not count");
            assertEquals(3, readAll(log, 10).size());
            purchases(log, 40, 5); // appends go on after the cut
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith(RfmLog.FILE + ".torn-")), "bytes kept");
        }
        try (RfmLog log = RfmLog.open(dir)) {
            assertEquals(4, readAll(log, 10).size());
            assertEquals(40, log.purchasesFrom());
        }
    }

    @Test
    void shouldRefuseAWholeFrameWithABadChecksumNamingTheFileAndChangeNothing() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 10, 1, 2);
            purchases(log, 20, 3);
        }
        Path file = dir.resolve(RfmLog.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[8 + 8 + 9 + 2] ^= 0x40; // a bit of the first frame's first recipient
        Files.write(file, bytes);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> RfmLog.open(dir));
        assertTrue(e.getMessage().contains(RfmLog.FILE), e.getMessage());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(file), "nothing cut or rewritten");
    }

    @Test
    void shouldRefuseTheLastFrameDamagedRatherThanDropIt() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 10, 1, 2);
        }
        Path file = dir.resolve(RfmLog.FILE);
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1; // whole, but its checksum fails
        Files.write(file, bytes);
        assertThrows(DamagedStoreException.class, () -> RfmLog.open(dir));
        assertEquals(bytes.length, Files.size(file));
    }

    @Test
    void shouldRefuseGarbageZeroFillAndAForeignHeader() throws IOException {
        Path file = dir.resolve(RfmLog.FILE);
        Files.write(file, "not a log at all, just some text\n".getBytes());
        DamagedStoreException header = assertThrows(DamagedStoreException.class, () -> RfmLog.open(dir));
        assertTrue(header.getMessage().contains("bad header"), header.getMessage());

        Files.delete(file);
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 10, 1);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(4096)); // zero-filled (a lost power on some file systems)
        }
        DamagedStoreException zeros = assertThrows(DamagedStoreException.class, () -> RfmLog.open(dir));
        assertTrue(zeros.getMessage().contains("zero"), zeros.getMessage());

        Files.delete(file);
        try (RfmLog log = RfmLog.open(dir)) {
            purchases(log, 10, 1);
        }
        byte[] whole = Files.readAllBytes(file);
        byte[] garbage = new byte[whole.length + 64];
        System.arraycopy(whole, 0, garbage, 0, whole.length);
        new SplittableRandom(3).ints(64, 1, 256).forEach(new java.util.function.IntConsumer() {
            int i = whole.length;

            @Override
            public void accept(int x) {
                garbage[i++] = (byte) x;
            }
        });
        garbage[whole.length] = 0x7f; // a length far beyond any frame
        Files.write(file, garbage);
        DamagedStoreException length = assertThrows(DamagedStoreException.class, () -> RfmLog.open(dir));
        assertTrue(length.getMessage().contains("length"), length.getMessage());
    }

    @Test
    void shouldRefuseDamageFoundByAReadAndPassOnWhatTheSinkThrows() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            for (int f = 0; f < 40; f++) {
                purchases(log, f, 1, 2, 3, 4, 5);
            }
            RuntimeException boom = assertThrows(RuntimeException.class, () -> log.read(log.end(), new RfmLog.Sink() {
                @Override
                public void purchases(int[] r, long[] at, long[] v, int n) {
                    throw new IllegalStateException("the fold failed");
                }

                @Override
                public void activity(int[] r, long[] at, int n) {
                }

                @Override
                public void clicks(int[] r, long[] at, int n) {
                }
            }, 7));
            assertEquals("the fold failed", boom.getMessage());
            // damaged on disk after the open (a bad disk): the read refuses it, naming the file
            Path file = dir.resolve(RfmLog.FILE);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length - 30] ^= 0x10;
            Files.write(file, bytes);
            DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> readAll(log, 7));
            assertTrue(e.getMessage().contains(RfmLog.FILE), e.getMessage());
        }
    }

    @Test
    void shouldRefuseBadArguments() throws IOException {
        try (RfmLog log = RfmLog.open(dir)) {
            assertThrows(IllegalArgumentException.class, () -> log.append((byte) 4, 0, new int[0], new long[0], null, 0));
            assertThrows(IllegalArgumentException.class, () -> log.append(RfmLog.PURCHASES, 0, new int[] {-1}, new long[1],
                    new long[1], 1));
            assertThrows(IllegalArgumentException.class, () -> log.append(RfmLog.ACTIVITY, -1, new int[0], new long[0], null, 0));
            assertEquals(8, log.end(), "nothing written");
        }
    }
}
