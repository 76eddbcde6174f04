package dev.herald.dispatcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BytesOnDisk} finds exactly what a byte-by-byte search finds: needles across its chunk and
 * block boundaries, beside and inside runs of zeros, UTF-16BE needles that begin with a zero byte.
 */
class BytesOnDiskTest {

    @TempDir
    Path dir;

    /** The obvious search, for reference. */
    static int naiveIndexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static void put(byte[] file, int at, byte[] needle) {
        System.arraycopy(needle, 0, file, at, needle.length);
    }

    @Test
    void shouldFindEveryNeedleAcrossChunkAndBlockBoundariesAndBesideZeros() throws Exception {
        Map<String, byte[]> needles = BytesOnDisk.texts("Zebedee-Quux", "+447400555007", "Wilhelmina-Xq", "never-written");
        byte[] be = needles.get("'Zebedee-Quux' (UTF-16BE)");
        byte[] le = needles.get("'+447400555007' (UTF-16LE)");
        byte[] utf8 = needles.get("'Wilhelmina-Xq' (UTF-8)");
        // zeros, as a Chronicle Map file mostly is, with needles where the search's pieces meet
        byte[] sparse = new byte[2 * BytesOnDisk.CHUNK + 12_345];
        put(sparse, BytesOnDisk.CHUNK - 7, be); // across the first chunk's end, beginning with a zero byte
        put(sparse, 5 * BytesOnDisk.BLOCK - 1, le); // one byte in a block, the rest in the next, zeros around
        put(sparse, sparse.length - utf8.length, utf8); // the file's last bytes
        Files.write(dir.resolve("sparse.dat"), sparse);
        // noise with a needle at the second chunk's start, and one cut short at the end
        Random random = new Random(0x5eedL);
        byte[] noise = new byte[BytesOnDisk.CHUNK + 3 * BytesOnDisk.BLOCK];
        random.nextBytes(noise);
        put(noise, BytesOnDisk.CHUNK, needles.get("'+447400555007' (UTF-8)"));
        byte[] cut = needles.get("'never-written' (UTF-8)");
        System.arraycopy(cut, 0, noise, noise.length - cut.length + 1, cut.length - 1);
        Files.write(dir.resolve("noise.dat"), noise);
        // small files, in a folder
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub").resolve("small.log"), ("x" + new String(be, StandardCharsets.ISO_8859_1) + "y")
                .getBytes(StandardCharsets.ISO_8859_1));
        Files.write(dir.resolve("sub").resolve("empty.log"), new byte[0]);

        List<String> expected = new ArrayList<>();
        Map<String, byte[]> files = new TreeMap<>(Map.of("sparse.dat", sparse, "noise.dat", noise, "sub/small.log",
                Files.readAllBytes(dir.resolve("sub").resolve("small.log")), "sub/empty.log", new byte[0]));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            needles.forEach((what, needle) -> {
                if (naiveIndexOf(f.getValue(), needle) >= 0) {
                    expected.add(f.getKey() + " holds " + what);
                }
            });
        }
        // (a UTF-16BE text between zeros also holds its UTF-16LE form, one byte on)
        assertTrue(expected.containsAll(List.of("sparse.dat holds 'Zebedee-Quux' (UTF-16BE)",
                "sparse.dat holds '+447400555007' (UTF-16LE)", "sparse.dat holds 'Wilhelmina-Xq' (UTF-8)",
                "noise.dat holds '+447400555007' (UTF-8)", "sub/small.log holds 'Zebedee-Quux' (UTF-16BE)")), expected.toString());
        assertFalse(expected.toString().contains("never-written"), expected.toString());
        List<String> found = BytesOnDisk.filesHolding(dir, needles);
        found.sort(null);
        expected.sort(null);
        assertEquals(expected, found);
    }

    @Test
    void shouldAnswerAsAByteByByteSearchOverRandomSparseBytes() throws Exception {
        Random random = new Random(20261207L);
        for (int round = 0; round < 200; round++) {
            byte[] hay = new byte[random.nextInt(3 * BytesOnDisk.BLOCK)];
            for (int i = 0; i < hay.length; i++) {
                hay[i] = random.nextInt(8) == 0 ? (byte) random.nextInt(3) : 0;
            }
            byte[] needle = new byte[1 + random.nextInt(4)];
            for (int i = 0; i < needle.length; i++) {
                needle[i] = (byte) random.nextInt(3);
            }
            needle[random.nextInt(needle.length)] = 1;
            Path f = dir.resolve("r.dat");
            Files.write(f, hay);
            String s = new String(needle, StandardCharsets.ISO_8859_1);
            boolean naive = naiveIndexOf(hay, needle) >= 0;
            assertEquals(naive, !BytesOnDisk.filesHolding(dir, Map.of(s, needle)).isEmpty(), "round " + round);
            assertEquals(naiveIndexOf(hay, needle), BytesOnDisk.indexOf(hay, needle), "round " + round);
        }
    }

    @Test
    void shouldSayWhetherOneFileHoldsATextAndRefuseANeedleOfZeros() throws Exception {
        Path f = dir.resolve("reasons.jsonl");
        Files.writeString(f, "{\"text\": \"Zebedee-Reason-Xyzzy too many\"}\n");
        assertTrue(BytesOnDisk.fileHolds(f, "Reason-Xyzzy"));
        assertFalse(BytesOnDisk.fileHolds(f, "Reason-Plugh"));
        assertTrue(BytesOnDisk.holds(dir, "too many"));
        assertThrows(IllegalArgumentException.class, () -> BytesOnDisk.filesHolding(dir, Map.of("zeros", new byte[3])));
    }
}
