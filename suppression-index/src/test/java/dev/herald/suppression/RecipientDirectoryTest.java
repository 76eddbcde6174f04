package dev.herald.suppression;

import dev.herald.suppression.internal.ChronicleSupport;
import dev.herald.suppression.internal.RecipientCodec;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecipientDirectoryTest {

    static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000);

    @TempDir
    Path dir;

    /** UK mobile numbers valid for libphonenumber: +44 7400 100000 + i. */
    static String uk(int i) {
        return "+447400" + (100_000 + i);
    }

    @Test
    void shouldHandOutDenseIdsInRegistrationOrder() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 100; i++) {
                assertEquals(new RecipientDirectory.Registration(i, true), d.register(uk(i), null, null, null));
            }
            assertEquals(100, d.size());
            for (int i = 0; i < 100; i++) {
                assertEquals(OptionalInt.of(i), d.idOf(uk(i)));
                assertEquals(uk(i), d.get(i).orElseThrow().e164());
            }
            assertTrue(d.get(100).isEmpty());
            assertTrue(d.get(-1).isEmpty());
        }
    }

    @Test
    void shouldReturnExistingIdWhenTheSameNumberIsRegisteredAgainInAnyFormat() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withDefaultRegion("GB"))) {
            assertEquals(new RecipientDirectory.Registration(0, true), d.register("+447400123456", null, null, null));
            assertEquals(new RecipientDirectory.Registration(0, false), d.register("07400 123456", null, null, null));
            assertEquals(new RecipientDirectory.Registration(0, false), d.register("+44 (0)7400-123-456", null, null, null));
            assertEquals(1, d.size());
            assertEquals(OptionalInt.of(0), d.idOf("07400 123456"));
            assertEquals(OptionalInt.of(0), d.idOfKey(447400123456L));
        }
    }

    @Test
    void shouldMergeOnlyNonEmptyIncomingAttributes() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(uk(1), null, "en_GB", fields("first_name", "Ann", "city", "Leeds"));
            d.register(uk(1), "Europe/London", " ", fields("first_name", "", "city", "York", "tier", "gold"));
            Recipient r = d.find(uk(1)).orElseThrow();
            assertEquals(new Recipient(0, uk(1), "GB", "Europe/London", "en-GB",
                    fields("first_name", "Ann", "city", "York", "tier", "gold")), r);
            assertEquals(List.of("first_name", "city", "tier"), new ArrayList<>(r.fields().keySet()));
            assertThrows(UnsupportedOperationException.class, () -> r.fields().put("x", "y"));
            assertFalse(d.register(uk(1), null, null, null).created());
            assertEquals(r, d.get(0).orElseThrow());
        }
    }

    @Test
    void shouldRejectInvalidZoneAndLocaleNamingThemAndStoreNothing() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            IllegalArgumentException zone = assertThrows(IllegalArgumentException.class,
                    () -> d.register(uk(1), "Mars/Base", null, null));
            assertTrue(zone.getMessage().contains("unknown time zone 'Mars/Base'"), zone.getMessage());
            IllegalArgumentException locale = assertThrows(IllegalArgumentException.class,
                    () -> d.register(uk(1), null, "not a locale!", null));
            assertTrue(locale.getMessage().contains("invalid locale 'not a locale!'"), locale.getMessage());
            InvalidPhoneNumberException phone = assertThrows(InvalidPhoneNumberException.class,
                    () -> d.register("07400 123456", null, null, null));
            assertEquals(InvalidPhoneNumberException.Reason.NO_DEFAULT_REGION, phone.reason());
            assertThrows(IllegalArgumentException.class, () -> d.register(uk(1), null, null, fields(" ", "x")));
            assertThrows(IllegalArgumentException.class,
                    () -> d.register(uk(1), null, null, fields("bio", "x".repeat(70_000))));
            assertEquals(0, d.size());
            assertTrue(d.idOf(uk(1)).isEmpty());
        }
    }

    @Test
    void shouldReadTheNamedFieldsAsGetHasThem() throws IOException {
        long seed = 0xF1E1D5L;
        System.out.println("RecipientDirectoryTest fields seed " + seed);
        Random rnd = new Random(seed);
        String[] names = {"first_name", "last_name", "city", "ciudad_año", "tier", "x"};
        String[] values = {"Ana", "Zoë", "Siobhán", "回T退订", "a".repeat(300), "😀", "O'Neil, Jr"};
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            for (int i = 0; i < 500; i++) {
                Map<String, String> fields = new LinkedHashMap<>();
                for (String name : names) {
                    if (rnd.nextInt(3) == 0) {
                        fields.put(name, values[rnd.nextInt(values.length)]);
                    }
                }
                d.register(uk(i), rnd.nextBoolean() ? "Europe/London" : null, rnd.nextBoolean() ? "en-GB" : null, fields);
            }
            List<List<String>> asks = List.of(List.of(), List.of("first_name"), List.of("ciudad_año", "tier"),
                    List.of(names), List.of("first_name", "missing"), List.of("X", "first"));
            for (int id = 0; id < 500; id++) {
                Recipient full = d.get(id).orElseThrow();
                for (List<String> ask : asks) {
                    Map<String, String> expected = new LinkedHashMap<>(full.fields());
                    expected.keySet().retainAll(ask);
                    RecipientFields got = d.fields(id, ask).orElseThrow();
                    assertEquals(new RecipientFields(id, full.e164(), expected), got, "id " + id + ", " + ask);
                }
            }
            assertTrue(d.fields(500, List.of("first_name")).isEmpty());
            assertTrue(d.fields(-1, List.of("first_name")).isEmpty());
        }
    }

    @Test
    void shouldRejectACorruptRecordWhenReadingFieldsAsGetDoes() {
        byte[] good = RecipientCodec.encode(447400100000L, "GB", "Europe/London", "en-GB", Map.of("first_name", "Ana"));
        String[] names = {"first_name"};
        assertEquals(new RecipientFields(3, "+447400100000", Map.of("first_name", "Ana")),
                RecipientCodec.decodeFields(3, good, names));
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            IllegalStateException full = assertThrows(IllegalStateException.class, () -> RecipientCodec.decode(3, truncated));
            IllegalStateException part = assertThrows(IllegalStateException.class,
                    () -> RecipientCodec.decodeFields(3, truncated, names));
            assertTrue(part.getMessage().startsWith("corrupt recipient record for id 3: "), part.getMessage());
            assertTrue(full.getMessage().startsWith("corrupt recipient record for id 3: "), full.getMessage());
        }
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertEquals("corrupt recipient record for id 3: trailing bytes",
                assertThrows(IllegalStateException.class, () -> RecipientCodec.decodeFields(3, trailing, names)).getMessage());
        byte[] version = good.clone();
        version[0] = 9;
        assertEquals(assertThrows(IllegalStateException.class, () -> RecipientCodec.decode(3, version)).getMessage(),
                assertThrows(IllegalStateException.class, () -> RecipientCodec.decodeFields(3, version, names)).getMessage());
    }

    @Test
    void shouldFindNothingForUnknownNumbers() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(uk(1), null, null, null);
            assertTrue(d.idOf(uk(2)).isEmpty());
            assertTrue(d.idOf("+99912345678").isEmpty());
            assertTrue(d.find("+44 7400 100002").isEmpty());
            assertTrue(d.idOfKey(1L).isEmpty());
            assertThrows(InvalidPhoneNumberException.class, () -> d.idOf("07400 100001"));
        }
    }

    @Test
    void shouldPersistAcrossCloseAndReopen() throws IOException {
        List<Recipient> before = new ArrayList<>();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(uk(0), "Europe/London", "en-GB", fields("first_name", "Ann"));
            d.register("+33612345678", "Europe/Paris", "fr", fields("first_name", "Zoë", "note", "a,b\n\"c\""));
            d.register("+14155552671", null, null, null);
            for (int id = 0; id < d.size(); id++) {
                before.add(d.get(id).orElseThrow());
            }
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withCapacity(50_000))) {
            assertEquals(3, d.size());
            for (Recipient r : before) {
                assertEquals(r, d.get(r.id()).orElseThrow());
                assertEquals(OptionalInt.of(r.id()), d.idOf(r.e164()));
            }
            assertEquals(new RecipientDirectory.Registration(3, true), d.register(uk(9), null, null, null));
        }
        assertFalse(Files.exists(dir.resolve("directory.open")), "clean close removes the marker");
    }

    @Test
    void shouldGiveOneIdPerNumberUnderConcurrentRegistration() throws Exception {
        int numbers = 2_000;
        int threads = 4;
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<int[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = 42 + t;
                results.add(pool.submit(() -> {
                    List<Integer> order = new ArrayList<>();
                    for (int i = 0; i < numbers; i++) {
                        order.add(i);
                    }
                    Collections.shuffle(order, new Random(seed));
                    int[] ids = new int[numbers];
                    for (int i : order) {
                        ids[i] = d.register(uk(i), null, null, null).id();
                        assertEquals(OptionalInt.of(ids[i]), d.idOf(uk(i)));
                    }
                    return ids;
                }));
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS));
            int[] first = results.get(0).get();
            for (Future<int[]> f : results) {
                assertTrue(Arrays.equals(first, f.get()), "every thread got the same id for the same number");
            }
            assertEquals(numbers, d.size());
            assertEquals(numbers, Arrays.stream(first).distinct().count());
            assertTrue(Arrays.stream(first).allMatch(id -> id >= 0 && id < numbers), "ids are dense");
        }
    }

    @Test
    void shouldRefuseASecondOpenOfTheSameDirectory() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RecipientDirectory.open(dir, SMALL));
            assertTrue(e.getMessage().contains("directory " + dir.toAbsolutePath() + " is in use by another process"),
                    e.getMessage());
            assertEquals(0, d.size());
        }
        RecipientDirectory.open(dir, SMALL).close();
    }

    @Test
    void shouldRelinkAHalfAppliedRegistrationOnOpen() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.register(uk(0), null, null, null);
            d.register(uk(1), null, null, null);
        }
        // A process killed between the two writes: the record (map B) exists, the index entry (A) does not.
        try (ChronicleMap<Integer, byte[]> records = ChronicleSupport.openRecords(
                dir.resolve("recipients-by-id.cm3").toFile(), SMALL.capacity(), false)) {
            records.put(2, RecipientCodec.encode(PhoneNumbers.toKey(uk(2)), "GB", "Europe/London", null,
                    fields("first_name", "Cy")));
        }
        Files.writeString(dir.resolve("directory.open"), "pid=0\n");
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            assertEquals(3, d.size());
            assertEquals(OptionalInt.of(2), d.idOf(uk(2)));
            assertEquals("Cy", d.find(uk(2)).orElseThrow().fields().get("first_name"));
            assertEquals(new RecipientDirectory.Registration(3, true), d.register(uk(3), null, null, null));
            assertEquals(new RecipientDirectory.Registration(2, false), d.register(uk(2), null, null, null));
        }
    }

    @Test
    void shouldRecoverAfterTheOwningProcessIsKilledMidWriteAndLockOutOthersWhileItLives() throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String flags = System.getProperty("herald.test.jvmFlags", "");
        Stream.of(flags.split("\\s+")).filter(s -> !s.isBlank()).forEach(command::add);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null && !line.equals("READY")) {
                // Skip the child's log output.
            }
            assertEquals("READY", line, "child did not start");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> RecipientDirectory.open(dir, SMALL));
            assertTrue(e.getMessage().contains("is in use by another process"), e.getMessage());
            Thread.sleep(50);
        } finally {
            child.destroyForcibly(); // SIGKILL while it registers: no shutdown hook, marker left behind
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertTrue(Files.exists(dir.resolve("directory.open")));
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            int size = d.size();
            assertTrue(size >= Child.READY_AFTER, "size " + size);
            for (int i = 0; i < size; i++) {
                assertEquals(OptionalInt.of(i), d.idOf(uk(i)), "number " + i + " of " + size);
                assertEquals(Integer.toString(i), d.get(i).orElseThrow().fields().get("n"));
            }
            assertTrue(d.idOf(uk(size)).isEmpty());
            assertEquals(new RecipientDirectory.Registration(size, true), d.register(uk(size), null, null, null));
        }
    }

    @Test
    void shouldGrowPastItsCapacityAndStaySmallOnDisk() throws IOException {
        DirectoryOptions tiny = DirectoryOptions.defaults().withCapacity(DirectoryOptions.MIN_CAPACITY);
        try (RecipientDirectory d = RecipientDirectory.open(dir, tiny)) {
            for (int i = 0; i < 3 * DirectoryOptions.MIN_CAPACITY; i++) {
                d.register(uk(i), "Europe/London", "en-GB", fields("first_name", "Name" + i));
            }
            assertEquals(3_000, d.size());
        }
        try (Stream<Path> files = Files.list(dir)) {
            long bytes = files.mapToLong(p -> p.toFile().length()).sum();
            assertTrue(bytes < 4 << 20, "3,000 recipients take " + bytes + " bytes");
        }
    }

    @Test
    void shouldRefuseUseAfterClose() throws IOException {
        RecipientDirectory d = RecipientDirectory.open(dir, SMALL);
        d.close();
        d.close();
        assertThrows(IllegalStateException.class, d::size);
        assertThrows(IllegalStateException.class, () -> d.idOf(uk(1)));
        assertThrows(IllegalStateException.class, () -> d.register(uk(1), null, null, null));
    }

    @Test
    void shouldRefuseBadOptions() {
        assertThrows(IllegalArgumentException.class, () -> DirectoryOptions.defaults().withCapacity(10));
        assertThrows(IllegalArgumentException.class, () -> DirectoryOptions.defaults().withDefaultRegion("UK"));
        assertEquals("GB", DirectoryOptions.defaults().withDefaultRegion("gb").defaultRegion());
        assertEquals(DirectoryOptions.DEFAULT_CAPACITY, DirectoryOptions.defaults().capacity());
    }

    static Map<String, String> fields(String... nameValues) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < nameValues.length; i += 2) {
            fields.put(nameValues[i], nameValues[i + 1]);
        }
        return fields;
    }

    /** Child JVM: registers numbers in order, says READY after a few, and goes on until killed. */
    public static final class Child {
        static final int READY_AFTER = 500;
        static final int MAX = 60_000;

        public static void main(String[] args) throws Exception {
            RecipientDirectory d = RecipientDirectory.open(Path.of(args[0]), SMALL);
            for (int i = 0; i < MAX; i++) {
                d.register(uk(i), "Europe/London", null, fields("n", Integer.toString(i)));
                if (i == READY_AFTER) {
                    System.out.println("READY");
                    System.out.flush();
                }
            }
            Thread.sleep(TimeUnit.MINUTES.toMillis(1));
            d.close();
        }
    }
}
