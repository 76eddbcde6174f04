package dev.herald.dispatcher.segment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentStoreTest {

    @TempDir
    Path data;

    private static MutableRoaringBitmap range(int from, int to) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.add((long) from, (long) to);
        return b;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(data.resolve(SegmentStore.DIR))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shouldStoreGetListReplaceAndDeleteSegments() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        SegmentStore.Meta vip = store.put("vip", range(0, 1000), 1010, 10);
        assertEquals(1000, vip.size());
        store.put("b-2_x", range(5, 7), 2, 0);
        assertEquals(List.of("b-2_x", "vip"), store.list().stream().map(SegmentStore.Meta::name).toList());

        SegmentStore reopened = SegmentStore.open(data);
        SegmentStore.Segment got = reopened.get("vip").orElseThrow();
        assertEquals(vip, got.meta());
        assertEquals(range(0, 1000), got.ids());

        reopened.put("vip", range(10, 20), 10, 0);
        assertEquals(range(10, 20), reopened.get("vip").orElseThrow().ids());
        assertEquals(4, files().size(), "old bitmap removed on replace: " + files());

        assertTrue(reopened.delete("vip"));
        assertFalse(reopened.delete("vip"));
        assertTrue(reopened.get("vip").isEmpty());
        assertEquals(2, files().size(), files().toString());
    }

    @Test
    void shouldRejectInvalidNamesNamingThem() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        for (String bad : new String[] {"", "a.b", "a b", "-x", "a&b", "../etc", "x".repeat(65), "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.put(bad, range(0, 1), 1, 0));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertTrue(SegmentStore.isValidName("x".repeat(64)));
    }

    @Test
    void shouldNameTheDamagedFile() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        store.put("vip", range(0, 100), 100, 0);
        Path bitmap = data.resolve(SegmentStore.DIR).resolve(files().stream().filter(f -> f.endsWith(".roaring"))
                .findFirst().orElseThrow());
        byte[] bytes = Files.readAllBytes(bitmap);
        bytes[bytes.length - 1] ^= 0x5a;
        Files.write(bitmap, bytes);
        IOException e = assertThrows(DamagedSegmentException.class, () -> store.get("vip"));
        assertTrue(e.getMessage().contains("segments/" + bitmap.getFileName()), e.getMessage());

        Path meta = data.resolve(SegmentStore.DIR).resolve("vip.json");
        Files.writeString(meta, "{\"name\": \"vip\", ");
        e = assertThrows(DamagedSegmentException.class, () -> store.meta("vip"));
        assertTrue(e.getMessage().contains("segments/vip.json"), e.getMessage());
        assertTrue(store.delete("vip"), "a damaged segment can be deleted");
    }

    /** Before: a meta had no checksum, so a flipped digit changed the segment's size with no word. */
    @Test
    void shouldRefuseAMetaWhoseChecksumFailsNamingTheFileAndOffset() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        store.put("vip", range(0, 100), 100, 0);
        Path meta = data.resolve(SegmentStore.DIR).resolve("vip.json");
        String text = Files.readString(meta);
        assertTrue(text.matches("\\{.*,\"lineCrc32\":\"[0-9a-f]{8}\"}\n"), text);
        Files.writeString(meta, text.replace("\"size\":100", "\"size\":900"));
        DamagedSegmentException damaged = assertThrows(DamagedSegmentException.class, () -> store.meta("vip"));
        assertEquals("vip", damaged.segment());
        assertTrue(damaged.getMessage().contains("segments/vip.json"), damaged.getMessage());
        dev.herald.suppression.store.DamagedStoreException e =
                assertInstanceOf(dev.herald.suppression.store.DamagedStoreException.class, damaged.getCause());
        assertEquals(meta, e.file());
        assertEquals(0, e.offset());
        assertTrue(SegmentStore.verifyMeta(meta).isDamaged());
        Files.writeString(meta, text);
        assertEquals(100, store.meta("vip").orElseThrow().size());
        assertTrue(SegmentStore.verifyMeta(meta).ok());
    }

    /** A meta the earlier version wrote (plain JSON, no line checksum) still opens, and is migrated on open. */
    @Test
    void shouldMigrateAMetaOfTheEarlierVersion() throws IOException {
        Path dir = data.resolve(SegmentStore.DIR);
        SegmentStore.open(data).put("old", range(0, 10), 10, 1);
        Path meta = dir.resolve("old.json");
        String framed = Files.readString(meta);
        String legacy = framed.substring(0, framed.indexOf(",\"lineCrc32\"")) + "}";
        Files.writeString(meta, legacy); // byte for byte what the earlier version wrote
        assertTrue(SegmentStore.verifyMeta(meta).ok());
        SegmentStore store = SegmentStore.open(data);
        assertEquals(framed, Files.readString(meta), "rewritten with its checksum");
        assertEquals(10, store.get("old").orElseThrow().ids().getCardinality());
        assertEquals(1, store.meta("old").orElseThrow().rejected());
    }

    @Test
    void shouldListADamagedMetaAsDamagedNamingItsFileAndTheOthersAsUsual() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        store.put("a-fine", range(0, 10), 10, 0);
        store.put("b-damaged", range(10, 20), 10, 0);
        store.put("c-fine", range(20, 30), 10, 0);
        Path meta = data.resolve(SegmentStore.DIR).resolve("b-damaged.json");
        byte[] bytes = Files.readAllBytes(meta);
        java.util.Arrays.fill(bytes, (byte) 0);
        Files.write(meta, bytes);

        SegmentStore.Listing listing = store.listing();
        assertEquals(List.of("a-fine", "c-fine"), listing.segments().stream().map(SegmentStore.Meta::name).toList());
        assertEquals(1, listing.damaged().size(), listing.toString());
        SegmentStore.Damaged d = listing.damaged().get(0);
        assertEquals("b-damaged", d.name());
        assertEquals("segments/b-damaged.json", d.file());
        assertTrue(d.error().contains("segments/b-damaged.json") && !d.error().contains(data.toString()),
                "names the file without the server's path: " + d.error());
        assertEquals(List.of("a-fine", "c-fine"), store.list().stream().map(SegmentStore.Meta::name).toList());
        assertEquals(10, store.get("c-fine").orElseThrow().ids().getCardinality(), "the others work");
        DamagedSegmentException e = assertThrows(DamagedSegmentException.class, () -> store.get("b-damaged"));
        assertEquals("b-damaged", e.segment());
        assertTrue(Files.exists(meta), "the damaged meta is kept for the operator");
        SegmentStore.open(data); // opening the store is not refused either
    }

    @Test
    void shouldSweepLeftoversOfInterruptedWritesOnOpen() throws IOException {
        SegmentStore store = SegmentStore.open(data);
        store.put("vip", range(0, 10), 10, 0);
        Path dir = data.resolve(SegmentStore.DIR);
        Files.writeString(dir.resolve("vip.json.tmp"), "half");
        Files.write(dir.resolve("other.0123.roaring"), new byte[] {1, 2, 3});
        SegmentStore reopened = SegmentStore.open(data);
        assertEquals(2, files().size(), files().toString());
        assertEquals(10, reopened.get("vip").orElseThrow().meta().size());
        assertTrue(reopened.get("other").isEmpty(), "a bitmap without its meta is no segment");
    }

    @Test
    void shouldKeepEverySegmentWholeUnderConcurrentReplaceAndRead() throws Exception {
        SegmentStore store = SegmentStore.open(data);
        store.put("hot", range(0, 100), 100, 0);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int size = 100 * (t + 1);
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 50; i++) {
                        if (i % 2 == 0) {
                            store.put("hot", range(0, size), size, 0);
                        } else {
                            SegmentStore.Segment s = store.get("hot").orElseThrow();
                            assertEquals(s.meta().size(), s.ids().getLongCardinality());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(2, files().size(), files().toString());
    }
}
