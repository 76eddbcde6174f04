package dev.herald.dispatcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What the tests of encryption and erasure ask of a data directory: which files' raw bytes hold a
 * value. Each file is read once for all the needles, in chunks (a Chronicle Map file is hundreds
 * of MB, mostly zeros): blocks of zeros are skipped, since every needle holds a byte that is not
 * zero, and the rest is searched with {@link String#indexOf(String)} over the bytes as ISO-8859-1
 * (one char per byte, so a match there is a match of the bytes), which the JIT vectorises. Not
 * thread-safe across calls only in that it reads files others may be writing.
 *
 * <pre>{@code
 * List<String> found = BytesOnDisk.filesHolding(data, BytesOnDisk.texts("Zebedee", "+447400555007"));
 * assertEquals(List.of(), found);
 * }</pre>
 */
public final class BytesOnDisk {

    /** Bytes read from a file at a time (plus the longest needle's length less one, carried over). */
    static final int CHUNK = 8 << 20;
    /** A block of this many zero bytes holds no needle, and is not searched. */
    static final int BLOCK = 4096;
    private static final byte[] ZEROS = new byte[BLOCK];

    private BytesOnDisk() {
    }

    /** @return each word as UTF-8, UTF-16BE and UTF-16LE bytes, named {@code 'word' (UTF-8)} etc. */
    public static Map<String, byte[]> texts(String... words) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String w : words) {
            out.put("'" + w + "' (UTF-8)", w.getBytes(StandardCharsets.UTF_8));
            out.put("'" + w + "' (UTF-16BE)", w.getBytes(StandardCharsets.UTF_16BE));
            out.put("'" + w + "' (UTF-16LE)", w.getBytes(StandardCharsets.UTF_16LE));
        }
        return out;
    }

    /** As {@link #filesHolding(Path, Map, Predicate)} over every file. */
    public static List<String> filesHolding(Path dir, Map<String, byte[]> needles) throws IOException {
        return filesHolding(dir, needles, f -> true);
    }

    /**
     * @param dir     a directory, walked whole
     * @param needles what to look for, by name (each must hold a byte that is not zero)
     * @param which   the files (relative to {@code dir}) to read
     * @return one {@code "<file> holds <name>"} per file and needle found in it
     * @throws IllegalArgumentException if a needle is empty or all zeros
     */
    public static List<String> filesHolding(Path dir, Map<String, byte[]> needles, Predicate<Path> which) throws IOException {
        needles.forEach(BytesOnDisk::checkNeedle);
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (!which.test(dir.relativize(f))) {
                    continue;
                }
                Set<String> found = holding(f, needles);
                needles.keySet().stream().filter(found::contains).forEach(what -> out.add(dir.relativize(f) + " holds " + what));
            }
        }
        return out;
    }

    /** @return whether a file under {@code dir} holds {@code s} in UTF-8 */
    public static boolean holds(Path dir, String s) throws IOException {
        return !filesHolding(dir, Map.of(s, s.getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    /** @return whether {@code file} holds {@code s} in UTF-8 */
    public static boolean fileHolds(Path file, String s) throws IOException {
        byte[] needle = s.getBytes(StandardCharsets.UTF_8);
        checkNeedle(s, needle);
        return !holding(file, Map.of(s, needle)).isEmpty();
    }

    /** @return the first index of {@code needle} in {@code hay}, or -1 */
    public static int indexOf(byte[] hay, byte[] needle) {
        return latin1(hay, 0, hay.length).indexOf(latin1(needle, 0, needle.length));
    }

    /** The names of the needles {@code file} holds, reading it once, chunk by chunk. */
    private static Set<String> holding(Path file, Map<String, byte[]> needles) throws IOException {
        int longest = needles.values().stream().mapToInt(n -> n.length).max().orElse(1);
        Map<String, String> wanted = new LinkedHashMap<>();
        needles.forEach((what, n) -> wanted.put(what, latin1(n, 0, n.length)));
        Set<String> found = new HashSet<>();
        byte[] buf = new byte[CHUNK + longest - 1];
        int kept = 0; // bytes carried over from the previous chunk: its last longest - 1
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (found.size() < wanted.size()) {
                ByteBuffer bb = ByteBuffer.wrap(buf, kept, buf.length - kept);
                int read = 0;
                while (bb.hasRemaining()) {
                    int r = ch.read(bb);
                    if (r < 0) {
                        break;
                    }
                    read += r;
                }
                int len = kept + read;
                if (read == 0) {
                    break;
                }
                search(buf, len, longest, wanted, found);
                if (len < buf.length) {
                    break; // the end of the file
                }
                kept = Math.min(longest - 1, len);
                System.arraycopy(buf, len - kept, buf, 0, kept);
            }
        }
        return found;
    }

    /**
     * Searches {@code buf[0, len)}: each run of blocks that are not all zeros, widened by
     * {@code longest - 1} on both sides (a match holds a byte that is not zero, so it overlaps such
     * a block and lies within that much of it).
     */
    private static void search(byte[] buf, int len, int longest, Map<String, String> wanted, Set<String> found) {
        int i = 0;
        while (i < len) {
            int end = Math.min(len, i + BLOCK);
            if (Arrays.equals(buf, i, end, ZEROS, 0, end - i)) {
                i = end;
                continue;
            }
            int runStart = i;
            while (end < len && !Arrays.equals(buf, end, Math.min(len, end + BLOCK), ZEROS, 0, Math.min(len, end + BLOCK) - end)) {
                end = Math.min(len, end + BLOCK);
            }
            end = Math.min(len, end + BLOCK); // the zero block after the run (or the end): a match may reach into it
            int from = Math.max(0, runStart - (longest - 1));
            int to = Math.min(len, end + longest - 1);
            String hay = latin1(buf, from, to);
            wanted.forEach((what, needle) -> {
                if (!found.contains(what) && hay.contains(needle)) {
                    found.add(what);
                }
            });
            i = end;
        }
    }

    /** {@code bytes[from, to)} as ISO-8859-1: one char per byte, the same value. */
    private static String latin1(byte[] bytes, int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static void checkNeedle(String what, byte[] needle) {
        for (byte b : needle) {
            if (b != 0) {
                return;
            }
        }
        throw new IllegalArgumentException("needle " + what + " is empty or all zero bytes: it cannot be told from unused space");
    }
}
