package dev.herald.dispatcher.unsubscribe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.suppression.DamagedFileException;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged {@code unsubscribe/secret.key} is refused naming the file and offset (a silently
 * different key would turn every link already sent into a 404); a key of the previous format is
 * migrated and the links made with it still verify.
 */
class UnsubscribeKeyFileTest {

    @TempDir
    Path dir;

    private Path made() throws Exception {
        UnsubscribeLinks.open(dir, UnsubscribeLinksTest.config("")).close();
        return dir.resolve("secret.key");
    }

    private void assertRefused(Path key, long offset, String what) throws Exception {
        byte[] before = Files.readAllBytes(key);
        DamagedFileException e = assertThrows(DamagedFileException.class, () -> UnsubscribeLinks.open(dir, UnsubscribeLinksTest.config("")));
        assertEquals(key, e.file());
        assertEquals(offset, e.offset());
        assertTrue(e.getMessage().contains(what), e.getMessage());
        assertEquals(Optional.of(e.getMessage()), UnsubscribeLinks.verifyKeyFile(dir).map(Exception::getMessage));
        assertArrayEquals(before, Files.readAllBytes(key), "left untouched");
    }

    @Test
    void shouldRefuseAZeroFilledKeyFile() throws Exception {
        Path key = made();
        Files.write(key, new byte[(int) Files.size(key)]);
        assertRefused(key, 0, "zero-filled");
    }

    @Test
    void shouldRefuseAFlippedByteInTheKey() throws Exception {
        Path key = made();
        byte[] b = Files.readAllBytes(key);
        b[20] ^= 0x01;
        Files.write(key, b);
        assertRefused(key, 8, "checksum");
    }

    @Test
    void shouldRefuseATruncatedKeyFile() throws Exception {
        Path key = made();
        byte[] b = Files.readAllBytes(key);
        Files.write(key, Arrays.copyOf(b, b.length - 3));
        assertRefused(key, b.length - 3, "cut short");
    }

    @Test
    void shouldRefuseAZeroFilledKeyOfThePreviousFormat() throws Exception {
        Path key = dir.resolve("secret.key");
        Files.write(key, new byte[32]);
        assertRefused(key, 0, "zero-filled");
    }

    @Test
    void shouldMigrateAKeyOfThePreviousFormatAndKeepItsLinksValid() throws Exception {
        Path key = dir.resolve("secret.key");
        try (InputStream in = getClass().getResourceAsStream("/unsubscribe-key-format1/secret.key")) {
            Files.copy(in, key);
        }
        assertEquals(32, Files.size(key), "the fixture is format 1");
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            assertEquals(1, numbers.numberOf("spring"));
            try (UnsubscribeLinks links = UnsubscribeLinks.open(dir, UnsubscribeLinksTest.config(""), numbers)) {
                assertEquals(Optional.of(new UnsubscribeLinks.Link(42, "spring", 1)), links.verify("AAAAKgAAAQs07Uol-YJp"),
                        "a link sent before the migration still verifies");
            }
        }
        assertEquals(44, Files.size(key));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertTrue(UnsubscribeLinks.verifyKeyFile(dir).isEmpty());
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"));
             UnsubscribeLinks again = UnsubscribeLinks.open(dir, UnsubscribeLinksTest.config(""), numbers)) {
            assertTrue(again.verify("AAAAKgAAAQs07Uol-YJp").isPresent(), "and after a second start, with format 2");
        }
    }
}
