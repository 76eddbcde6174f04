package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.herald.suppression.internal.RecordPages;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The directory's id-ordered record pages ({@code pages/}): every read through them equals what
 * was registered, whatever the order of registrations, updates, flushes and reopens; a directory
 * without pages (an earlier version's) opens and gets them; a torn last page is dropped, reported
 * and rebuilt; a damaged page is refused by file and offset; a page whose record changed before a
 * crash is never served stale.
 */
class RecipientPagesTest {
    private static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000);
    private static final List<String> NAMES = List.of("first_name", "tier");
    private static final String[] ZONES = {"Europe/London", "Europe/Paris", "Asia/Tokyo", null};

    @TempDir
    Path dir;

    /** What the directory must answer, kept beside it. */
    private final Map<Integer, Recipient> model = new HashMap<>();

    private static String phone(int i) {
        return "+4474001" + String.format("%05d", i);
    }

    /** Registers and applies the directory's merge rule to the model, independently of the directory's reads. */
    private void register(RecipientDirectory d, int i, String zone, Map<String, String> fields) {
        int id = d.register(phone(i), zone, null, fields).id();
        Recipient old = model.get(id);
        Map<String, String> merged = new LinkedHashMap<>(old == null ? Map.of() : old.fields());
        merged.putAll(fields);
        model.put(id, new Recipient(id, phone(i), "GB", zone != null ? zone : old == null ? null : old.zone(), null, merged));
    }

    private void register(RecipientDirectory d, Random rnd, int i) {
        String zone = ZONES[rnd.nextInt(ZONES.length)];
        Map<String, String> fields = new LinkedHashMap<>();
        if (rnd.nextInt(4) > 0) {
            fields.put("first_name", "Ann" + rnd.nextInt(1000));
        }
        if (rnd.nextInt(3) == 0) {
            fields.put("tier", rnd.nextBoolean() ? "gold" : "ünïcode-" + rnd.nextInt(9));
        }
        if (rnd.nextInt(5) == 0) {
            fields.put("city", "x".repeat(1 + rnd.nextInt(300)));
        }
        register(d, i, zone, fields);
    }

    private void checkAll(RecipientDirectory d) {
        int n = d.size();
        int[] ids = new int[n + 2];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        ids[n] = n + 5;       // never handed out
        ids[n + 1] = -1;
        RecipientFields[] batch = d.fields(ids, NAMES);
        RecipientReader reader = d.reader(NAMES);
        for (int i = 0; i < n; i++) {
            Recipient expected = model.get(i);
            RecipientFields r = batch[i];
            assertEquals(expected.e164(), r.e164(), "id " + i);
            Map<String, String> want = new HashMap<>();
            for (String name : NAMES) {
                if (expected.fields().containsKey(name)) {
                    want.put(name, expected.fields().get(name));
                }
            }
            assertEquals(want, r.fields(), "fields of id " + i);
            assertEquals(r, reader.fields(i));
            assertEquals(expected, reader.recipient(i), "whole record of id " + i);
            assertEquals(expected, d.get(i).orElseThrow());
        }
        assertNull(batch[n]);
        assertNull(batch[n + 1]);
    }

    @Test
    void shouldReadWhatWasRegisteredThroughPagesAcrossUpdatesFlushesAndReopens() throws IOException {
        long seed = 0x5eed_13_07L;
        System.out.println("RecipientPagesTest seed " + seed);
        Random rnd = new Random(seed);
        int next = 0;
        for (int round = 0; round < 4; round++) {
            try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
                checkAll(d);
                int adds = 100 + rnd.nextInt(700);
                for (int k = 0; k < adds; k++) {
                    register(d, rnd, next++);
                    if (rnd.nextInt(4) == 0) {
                        register(d, rnd, rnd.nextInt(next)); // an update, often of a page already written
                    }
                    if (rnd.nextInt(300) == 0) {
                        d.flush();
                    }
                }
                checkAll(d);
                d.flush();
                checkAll(d);
            }
        }
        try (Stream<Path> files = Files.list(dir.resolve("pages"))) {
            assertEquals((next + 65_535) / 65_536, files.filter(p -> p.toString().endsWith(".pages")).count());
        }
    }

    @Test
    void shouldReadIdsInAnyOrderAndRefuseAClosedDirectory() throws IOException {
        Random rnd = new Random(11);
        RecipientDirectory d = RecipientDirectory.open(dir, SMALL);
        for (int i = 0; i < 700; i++) {
            register(d, rnd, i);
        }
        d.flush();
        int[] ids = {699, 3, 256, 255, 3, 0};
        RecipientFields[] r = d.fields(ids, List.of("first_name"));
        for (int i = 0; i < ids.length; i++) {
            assertEquals(model.get(ids[i]).e164(), r[i].e164());
            assertEquals(ids[i], r[i].id());
        }
        RecipientReader reader = d.reader(List.of("first_name"));
        d.close();
        assertThrows(IllegalStateException.class, () -> reader.fields(3));
        assertThrows(IllegalStateException.class, () -> d.fields(ids, List.of()));
    }

    @Test
    void shouldOpenADirectoryOfAnEarlierVersionAndBuildItsPagesFromTheMap() throws IOException {
        Random rnd = new Random(12);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 1_000; i++) {
                register(d, rnd, i);
            }
        }
        deleteTree(dir.resolve("pages")); // as an earlier version left it: no pages
        ListAppender<ILoggingEvent> log = capture();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        } finally {
            release(log);
        }
        assertTrue(Files.exists(dir.resolve("pages").resolve("ids-0000000000.pages")));
        assertTrue(log.list.stream().anyMatch(e -> e.getLevel().toString().equals("INFO")
                && e.getFormattedMessage().contains("wrote 4 page(s) of 1000 id(s)")
                && e.getFormattedMessage().contains("earlier version")), "INFO line: " + log.list);
        log = capture();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        } finally {
            release(log);
        }
        assertFalse(log.list.stream().anyMatch(e -> e.getFormattedMessage().contains("page(s)")),
                "a cleanly closed directory's pages are current: " + log.list);
    }

    @Test
    void shouldDropAndReportATornLastPage() throws IOException {
        Random rnd = new Random(13);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 600; i++) {
                register(d, rnd, i);
            }
        }
        Path file = dir.resolve("pages").resolve("ids-0000000000.pages");
        byte[] bytes = Files.readAllBytes(file);
        int firstFrameLength = 8 + ByteBuffer.wrap(bytes, 16, 4).getInt();
        // A crash in the middle of appending a page: the first half of a whole frame at the end.
        Files.write(file, Arrays.copyOfRange(bytes, 16, 16 + firstFrameLength / 2),
                java.nio.file.StandardOpenOption.APPEND);
        long torn = TornTails.count();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        }
        assertEquals(torn + 1, TornTails.count(), "the torn page is reported");
        assertArrayEquals(bytes, Arrays.copyOf(Files.readAllBytes(file), bytes.length), "whole frames are kept");
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith("ids-0000000000.pages.torn-")).count(),
                    "the dropped bytes are kept beside the file");
        }
    }

    @Test
    void shouldRefuseADamagedPageNamingFileAndOffsetAndLeaveItAsItIs() throws IOException {
        Random rnd = new Random(14);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 600; i++) {
                register(d, rnd, i);
            }
        }
        Path file = dir.resolve("pages").resolve("ids-0000000000.pages");
        byte[] bytes = Files.readAllBytes(file);
        int second = 16 + 8 + ByteBuffer.wrap(bytes, 16, 4).getInt();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(second + 8 + 100);
            int b = f.read();
            f.seek(second + 8 + 100);
            f.write(b ^ 0x20);
        }
        byte[] damaged = Files.readAllBytes(file);
        for (boolean unclean : new boolean[] {false, true}) {
            if (unclean) {
                Files.writeString(dir.resolve("directory.open"), "pid=1\n"); // as a killed process leaves it
            }
            DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> RecipientDirectory.open(dir, SMALL));
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("offset " + second),
                    e.getMessage());
            assertEquals(second, e.offset());
            assertArrayEquals(damaged, Files.readAllBytes(file), "the damaged file is left as it is");
        }
        Files.delete(file); // what the operator does: the pages are rebuilt from the map
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        }
    }

    @Test
    void shouldNeverServeAPageWhoseRecordChangedBeforeACrash() throws IOException {
        Random rnd = new Random(15);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 600; i++) {
                register(d, rnd, i);
            }
        }
        Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            // Pages 0 and 1 are written; change records in them, then copy the files as they are now:
            // what a process killed at this point leaves (written, not flushed, not closed).
            register(d, 5, "Asia/Tokyo", Map.of("first_name", "Changed"));
            register(d, 300, "Europe/Paris", Map.of("tier", "new"));
            register(d, 600, null, Map.of("first_name", "Newest")); // a new id, in the tail page
            copyTree(dir, crashed);
        }
        try (RecipientDirectory d = RecipientDirectory.open(crashed, SMALL)) {
            assertEquals("Changed", d.fields(new int[] {5}, NAMES)[0].fields().get("first_name"));
            assertEquals("Asia/Tokyo", d.reader(NAMES).recipient(5).zone());
            checkAll(d);
        } finally {
            deleteTree(crashed);
        }
    }

    @Test
    void shouldCompactAFileWhoseOldPagesOutweighItsCurrentOnes() throws IOException {
        Random rnd = new Random(16);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 512; i++) {
                register(d, rnd, i);
            }
            for (int k = 0; k < 400; k++) {
                register(d, rnd, rnd.nextInt(512)); // each update rewrites a whole page on flush
                d.flush();
            }
        }
        Path file = dir.resolve("pages").resolve("ids-0000000000.pages");
        long grown = Files.size(file);
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        }
        assertTrue(Files.size(file) < grown / 4, "compacted from " + grown + " to " + Files.size(file));
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d);
        }
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> a = new ListAppender<>();
        a.start();
        ((Logger) LoggerFactory.getLogger(RecordPages.class)).addAppender(a);
        return a;
    }

    private static void release(ListAppender<ILoggingEvent> a) {
        ((Logger) LoggerFactory.getLogger(RecordPages.class)).detachAppender(a);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(from)) {
            s.forEach(all::add);
        }
        for (Path p : all) {
            Path t = to.resolve(from.relativize(p).toString());
            if (Files.isDirectory(p)) {
                Files.createDirectories(t);
            } else if (!p.getFileName().toString().equals("LOCK")) {
                Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.delete(all.get(i));
        }
    }
}
