package dev.herald.dispatcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What the tests of encryption and erasure ask of a data directory: which files' raw bytes hold a
 * value. Each file is read once for all the needles.
 *
 * <pre>{@code
 * List<String> found = BytesOnDisk.filesHolding(data, BytesOnDisk.texts("Zebedee", "+447400555007"));
 * assertEquals(List.of(), found);
 * }</pre>
 */
public final class BytesOnDisk {

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
     * @param needles what to look for, by name
     * @param which   the files (relative to {@code dir}) to read
     * @return one {@code "<file> holds <name>"} per file and needle found in it
     */
    public static List<String> filesHolding(Path dir, Map<String, byte[]> needles, Predicate<Path> which) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                if (!which.test(dir.relativize(f))) {
                    continue;
                }
                byte[] bytes = Files.readAllBytes(f);
                needles.forEach((what, needle) -> {
                    if (indexOf(bytes, needle) >= 0) {
                        out.add(dir.relativize(f) + " holds " + what);
                    }
                });
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
        return indexOf(Files.readAllBytes(file), s.getBytes(StandardCharsets.UTF_8)) >= 0;
    }

    /** @return the first index of {@code needle} in {@code hay}, or -1 */
    public static int indexOf(byte[] hay, byte[] needle) {
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
}
