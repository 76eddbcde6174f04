package dev.herald.suppression;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Scans every byte of every file under a directory for what must not be stored in plain. */
final class RawBytes {

    private RawBytes() {
    }

    /** @return the byte patterns of a number: E.164 text, national digits, the 8-byte key both ways, its LEB128 varint */
    static Map<String, byte[]> numberPatterns(String e164, String nationalDigits) {
        long key = PhoneNumbers.toKey(e164);
        Map<String, byte[]> p = new LinkedHashMap<>();
        p.put("E.164 " + e164, e164.getBytes(StandardCharsets.UTF_8));
        p.put("digits " + e164.substring(1), e164.substring(1).getBytes(StandardCharsets.UTF_8));
        p.put("national " + nationalDigits, nationalDigits.getBytes(StandardCharsets.UTF_8));
        p.put("key LE", ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(key).array());
        p.put("key BE", ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(key).array());
        byte[] varint = new byte[10];
        int n = 0;
        long v = key;
        while ((v & ~0x7FL) != 0) {
            varint[n++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        varint[n++] = (byte) v;
        p.put("key varint", java.util.Arrays.copyOf(varint, n));
        return p;
    }

    /** @return "pattern in file at offset" for each occurrence of each pattern in each file under {@code dir} */
    static List<String> find(Path dir, Map<String, byte[]> patterns) throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> all = Files.walk(dir)) {
            files = all.filter(Files::isRegularFile).toList();
        }
        if (files.isEmpty()) {
            throw new AssertionError("no files under " + dir);
        }
        for (Path f : files) {
            byte[] data = Files.readAllBytes(f);
            for (Map.Entry<String, byte[]> p : patterns.entrySet()) {
                int at = indexOf(data, p.getValue());
                if (at >= 0) {
                    found.add(p.getKey() + " in " + dir.relativize(f) + " at " + at);
                }
            }
        }
        return found;
    }

    static Map<String, byte[]> texts(String... values) {
        Map<String, byte[]> p = new LinkedHashMap<>();
        for (String v : values) {
            p.put("'" + v + "'", v.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
