package dev.herald.suppression;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encryption at rest of the recipient directory: what is registered reads back the same through
 * every path (pages, map, reader, after reopen); no file holds a personal field or number in plain;
 * a wrong or missing master key, or one for an unencrypted directory, is refused naming the key
 * file; rotation re-wraps so that the new key opens and the old one is refused.
 */
class DirectoryEncryptionTest {
    private static final DirectoryOptions SMALL = DirectoryOptions.defaults().withCapacity(10_000);
    private static final List<String> NAMES = List.of("first_name", "street");

    @TempDir
    Path dir;

    private static String phone(int i) {
        return "+4474001" + String.format("%05d", i);
    }

    private static Map<String, String> fields(int i) {
        return Map.of("first_name", "Name" + i, "street", i + " Quillfeather Lane");
    }

    private static void registerMany(RecipientDirectory d, int n) {
        for (int i = 0; i < n; i++) {
            assertEquals(i, d.register(phone(i), i % 2 == 0 ? "Europe/London" : null, "en-GB", fields(i)).id());
        }
    }

    private static void checkAll(RecipientDirectory d, int n) {
        RecipientReader reader = d.reader(NAMES);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
            Recipient r = d.get(i).orElseThrow();
            assertEquals(phone(i), r.e164());
            assertEquals(fields(i), r.fields());
            assertEquals(i % 2 == 0 ? "Europe/London" : null, r.zone());
            assertEquals(OptionalInt.of(i), d.idOf(phone(i)));
            assertEquals(fields(i), d.fields(i, NAMES).orElseThrow().fields());
            assertEquals(r, reader.recipient(i));
        }
        RecipientFields[] batch = d.fields(ids, NAMES);
        for (int i = 0; i < n; i++) {
            assertEquals(phone(i), batch[i].e164());
            assertEquals(fields(i), batch[i].fields());
        }
        assertTrue(d.get(n).isEmpty());
        assertTrue(d.idOf(phone(n)).isEmpty());
    }

    @Test
    void shouldReadBackEverythingThroughPagesMapAndReaderAcrossReopen() throws IOException {
        MasterKey key = MasterKey.generate();
        DirectoryOptions options = SMALL.withMasterKey(key);
        int n = 700; // two full pages and a partial tail
        try (RecipientDirectory d = RecipientDirectory.open(dir, options)) {
            assertTrue(d.encrypted());
            registerMany(d, n);
            checkAll(d, n); // pages for the full ones, the map for the tail
            d.updateFields(phone(3), Map.of("street", "3 Other Row"), null);
            assertEquals("3 Other Row", d.get(3).orElseThrow().fields().get("street"));
            d.updateFields(phone(3), Map.of("street", "3 Quillfeather Lane"), null);
        }
        try (Stream<Path> pages = Files.list(dir.resolve("pages"))) {
            for (Path p : pages.toList()) {
                assertEquals("HRLDPGE1", new String(Files.readAllBytes(p), 0, 8, StandardCharsets.US_ASCII), p.toString());
            }
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir, options)) {
            checkAll(d, n);
            // random single reads (map) and sequential ones (pages) agree
            for (int i = n - 1; i >= 0; i -= 37) {
                assertEquals(fields(i), d.get(i).orElseThrow().fields());
            }
        }
        assertTrue(StoredFiles.checkRecipientPages(dir).stream().allMatch(r -> r.damage() == null),
                "herald data check reads sealed pages");
    }

    @Test
    void shouldStoreNoPersonalFieldOrNumberInPlain() throws IOException {
        Path plainDir = dir.resolve("plain");
        Path sealedDir = dir.resolve("sealed");
        String person = "+447400123456";
        Map<String, String> distinctive = Map.of("first_name", "Zebediah", "street", "Marigoldcourt 9");
        for (Path d : List.of(plainDir, sealedDir)) {
            DirectoryOptions o = d == sealedDir ? SMALL.withMasterKey(MasterKey.generate()) : SMALL;
            try (RecipientDirectory dd = RecipientDirectory.open(d, o)) {
                registerMany(dd, 300);
                dd.register(person, "Europe/London", "cy-GB", distinctive);
                dd.flush();
            }
        }
        Map<String, byte[]> patterns = new HashMap<>(RawBytes.numberPatterns(person, "07400123456"));
        patterns.putAll(RawBytes.texts("Zebediah", "Marigoldcourt 9", "Quillfeather", "Europe/London", "+4474001"));
        List<String> inPlain = RawBytes.find(plainDir, patterns);
        assertTrue(inPlain.stream().anyMatch(s -> s.startsWith("'Zebediah'")), "the scan finds what is stored: " + inPlain);
        assertTrue(inPlain.stream().anyMatch(s -> s.startsWith("key varint")), "the scan finds what is stored: " + inPlain);
        assertEquals(List.of(), RawBytes.find(sealedDir, patterns));
    }

    @Test
    void shouldRefuseAWrongMasterKeyNamingTheKeyFileAndLeaveTheDirectoryOpenable() throws IOException {
        MasterKey right = MasterKey.generate();
        MasterKey wrong = MasterKey.generate();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withMasterKey(right))) {
            registerMany(d, 10);
        }
        WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
                () -> RecipientDirectory.open(dir, SMALL.withMasterKey(wrong)));
        assertEquals(WrongMasterKeyException.Reason.WRONG_KEY, e.reason());
        assertTrue(e.getMessage().contains("directory.keys"), e.getMessage());
        assertTrue(e.getMessage().contains(wrong.fingerprint()), e.getMessage());
        assertTrue(e.getMessage().contains(right.fingerprint()), "names the key it was wrapped under: " + e.getMessage());
        assertFalse(e.getMessage().contains(wrong.encoded()), e.getMessage());
        assertFalse(Files.exists(dir.resolve("directory.open")), "a refused open leaves no marker");

        WrongMasterKeyException none = assertThrows(WrongMasterKeyException.class, () -> RecipientDirectory.open(dir, SMALL));
        assertEquals(WrongMasterKeyException.Reason.KEY_REQUIRED, none.reason());
        assertTrue(none.getMessage().contains("directory.keys") && none.getMessage().contains("encrypted"), none.getMessage());

        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withMasterKey(right))) {
            checkAll(d, 10);
        }
    }

    @Test
    void shouldRefuseAMasterKeyForAPlainDirectoryButEncryptAnEmptyOne() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            assertFalse(d.encrypted());
            registerMany(d, 5);
        }
        WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
                () -> RecipientDirectory.open(dir, SMALL.withMasterKey(MasterKey.generate())));
        assertEquals(WrongMasterKeyException.Reason.NOT_ENCRYPTED, e.reason());
        assertTrue(e.getMessage().contains("directory.keys") && e.getMessage().contains("not encrypted in place"), e.getMessage());
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d, 5);
        }

        Path empty = dir.resolve("empty");
        RecipientDirectory.open(empty, SMALL).close();
        MasterKey key = MasterKey.generate();
        try (RecipientDirectory d = RecipientDirectory.open(empty, SMALL.withMasterKey(key))) {
            assertTrue(d.encrypted());
            registerMany(d, 3);
        }
        assertThrows(WrongMasterKeyException.class, () -> RecipientDirectory.open(empty, SMALL));
    }

    @Test
    void shouldReKeyThePhoneIndexOfAnEarlierVersionsDirectoryByHash() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            registerMany(d, 300);
        }
        // An earlier version: no directory.keys, the phone index keyed by the number itself.
        Files.delete(dir.resolve("directory.keys"));
        try (net.openhft.chronicle.map.ChronicleMap<Long, Integer> index = dev.herald.suppression.internal.ChronicleSupport
                .openPhoneIndex(dir.resolve("recipients-by-phone.cm3").toFile(), SMALL.capacity(), false)) {
            index.clear();
            for (int i = 0; i < 300; i++) {
                index.put(PhoneNumbers.toKey(phone(i)), i);
            }
        }
        WrongMasterKeyException e = assertThrows(WrongMasterKeyException.class,
                () -> RecipientDirectory.open(dir, SMALL.withMasterKey(MasterKey.generate())));
        assertEquals(WrongMasterKeyException.Reason.NOT_ENCRYPTED, e.reason());
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            assertFalse(d.encrypted());
            checkAll(d, 300);
        }
        assertTrue(Files.readString(dir.resolve("directory.keys")).contains("encryption=none"));
        assertFalse(Files.exists(dir.resolve("recipients-by-phone.cm3.rehash")));
        Map<String, byte[]> keys = new HashMap<>();
        for (int i = 0; i < 300; i += 50) {
            keys.putAll(RawBytes.numberPatterns(phone(i), "0" + phone(i).substring(3)));
        }
        keys.keySet().removeIf(k -> !k.startsWith("key LE"));
        assertEquals(List.of(), RawBytes.find(dir, keys), "the index holds no number as a key any more");
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            checkAll(d, 300);
        }
    }

    @Test
    void shouldRotateTheMasterKeyWithoutRewritingTheData() throws IOException {
        MasterKey old = MasterKey.generate();
        MasterKey next = MasterKey.generate();
        byte[] sealed;
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withMasterKey(old))) {
            registerMany(d, 300);
            sealed = d.cipher("test data").seal("Zebediah".getBytes(StandardCharsets.UTF_8));
            IllegalStateException inUse = assertThrows(IllegalStateException.class,
                    () -> RecipientDirectory.rotateMasterKey(dir, old, next));
            assertTrue(inUse.getMessage().contains("in use"), inUse.getMessage());
        }
        byte[] records = Files.readAllBytes(dir.resolve("recipients-by-id.cm3"));
        WrongMasterKeyException wrongCurrent = assertThrows(WrongMasterKeyException.class,
                () -> RecipientDirectory.rotateMasterKey(dir, next, old));
        assertEquals(WrongMasterKeyException.Reason.WRONG_KEY, wrongCurrent.reason());

        RecipientDirectory.rotateMasterKey(dir, old, next);

        assertArrayEquals(records, Files.readAllBytes(dir.resolve("recipients-by-id.cm3")), "rotation rewrites no record");
        assertTrue(Files.readString(dir.resolve("directory.keys")).contains("master-key=" + next.fingerprint()));
        WrongMasterKeyException refused = assertThrows(WrongMasterKeyException.class,
                () -> RecipientDirectory.open(dir, SMALL.withMasterKey(old)));
        assertEquals(WrongMasterKeyException.Reason.WRONG_KEY, refused.reason());
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withMasterKey(next))) {
            checkAll(d, 300);
            assertEquals("Zebediah", new String(d.cipher("test data").open(sealed), StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldSealWithAPurposeAndPassThroughWhenUnencrypted() throws IOException {
        byte[] plain = "Marigold".getBytes(StandardCharsets.UTF_8);
        try (RecipientDirectory d = RecipientDirectory.open(dir.resolve("e"), SMALL.withMasterKey(MasterKey.generate()))) {
            DataCipher c = d.cipher("message-log fields");
            assertTrue(c.enabled());
            byte[] s1 = c.seal(plain);
            byte[] s2 = c.seal(plain);
            assertEquals(plain.length + DataCipher.OVERHEAD, s1.length);
            assertFalse(java.util.Arrays.equals(s1, s2), "a fresh nonce per seal");
            assertArrayEquals(plain, c.open(s1));
            IllegalStateException other = assertThrows(IllegalStateException.class, () -> d.cipher("another").open(s1));
            assertTrue(other.getMessage().contains("'another'"), other.getMessage());
            s1[s1.length - 1] ^= 1;
            IllegalStateException changed = assertThrows(IllegalStateException.class, () -> c.open(s1));
            assertTrue(changed.getMessage().contains("'message-log fields'"), changed.getMessage());
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir.resolve("p"), SMALL)) {
            DataCipher c = d.cipher("message-log fields");
            assertFalse(c.enabled());
            assertArrayEquals(plain, c.seal(plain));
            assertArrayEquals(plain, c.open(plain));
            assertNotEquals(0L, d.phoneHash("+447400123456"));
            assertEquals(d.phoneHash("+447400123456"), d.phoneHash("+447400123456"));
        }
    }

    @Test
    void shouldParseMasterKeysAndNeverEchoThem() {
        MasterKey k = MasterKey.generate();
        assertEquals(k, MasterKey.parse(k.encoded(), "test"));
        assertEquals(k, MasterKey.parse("  " + k.encoded() + "\n", "test"));
        String hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        assertEquals(MasterKey.parse(hex, "hex"), MasterKey.parse(hex.toLowerCase(), "hex"));
        assertEquals(8, k.fingerprint().length());
        assertFalse(k.toString().contains(k.encoded()));
        String shortKey = java.util.Base64.getEncoder().encodeToString(new byte[16]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MasterKey.parse(shortKey, "environment variable HERALD_MASTER_KEY"));
        assertTrue(e.getMessage().contains("environment variable HERALD_MASTER_KEY") && e.getMessage().contains("16 bytes"),
                e.getMessage());
        assertFalse(e.getMessage().contains(shortKey), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> MasterKey.parse("not a key!", "conf"));
        assertTrue(bad.getMessage().startsWith("conf"), bad.getMessage());
        assertFalse(bad.getMessage().contains("not a key!"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MasterKey.parse("", "conf"));
        assertNull(DirectoryOptions.defaults().masterKey());
    }
}
