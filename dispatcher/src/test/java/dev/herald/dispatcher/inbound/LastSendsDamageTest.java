package dev.herald.dispatcher.inbound;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.suppression.DamagedFileException;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged {@code marks.bin} is refused naming the file and offset; one of the previous format is migrated. */
class LastSendsDamageTest {
    private static final Instant T = Instant.parse("2026-11-23T09:30:00Z");
    private static final Map<String, String> SENDERS = Map.of("spring", "acme", "winter", "shop");

    @TempDir
    Path dir;

    private LastSends open(CampaignNumbers numbers) throws Exception {
        return LastSends.open(dir.resolve("last"), 100, numbers, id -> Optional.ofNullable(SENDERS.get(id)));
    }

    private Path marked() throws Exception {
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log")); LastSends last = open(numbers)) {
            last.mark(3, "spring", "acme", T);
            last.mark(3, "winter", "shop", T.plusSeconds(10));
        }
        return dir.resolve("last/marks.bin");
    }

    private static void write(Path file, long at, byte[] bytes) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private void assertRefused(Path file, long offset, String what) throws Exception {
        byte[] before = Files.readAllBytes(file);
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            DamagedFileException e = assertThrows(DamagedFileException.class, () -> open(numbers));
            assertEquals(file, e.file());
            assertEquals(offset, e.offset());
            assertTrue(e.getMessage().contains(what), e.getMessage());
            assertEquals(Optional.of(e.getMessage()), LastSends.verify(dir.resolve("last")).map(Exception::getMessage));
        }
        assertArrayEquals(before, Files.readAllBytes(file), "left untouched");
    }

    @Test
    void shouldRefuseAZeroFilledRecordInsteadOfForgettingTheSend() throws Exception {
        Path file = marked();
        write(file, LastSendsFile.offset(3, 0), new byte[16]);
        assertRefused(file, LastSendsFile.offset(3, 0), "zero-filled");
    }

    @Test
    void shouldRefuseAFlippedByte() throws Exception {
        Path file = marked();
        byte[] b = Files.readAllBytes(file);
        write(file, LastSendsFile.offset(3, 1) + 4, new byte[] {(byte) (b[LastSendsFile.offset(3, 1) + 4] ^ 0x01)});
        assertRefused(file, LastSendsFile.offset(3, 1), "check byte");
    }

    @Test
    void shouldRefuseATruncatedFile() throws Exception {
        Path file = marked();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 5);
        }
        assertRefused(file, Files.size(file), "cut short");
    }

    @Test
    void shouldRefuseAZeroFilledHeader() throws Exception {
        Path file = marked();
        write(file, 0, new byte[24]);
        assertRefused(file, 0, "header");
    }

    @Test
    void shouldMigrateAFileOfThePreviousFormatKeepingEveryMark() throws Exception {
        Files.createDirectories(dir.resolve("last"));
        try (InputStream in = getClass().getResourceAsStream("/last-sends-format1/marks.bin")) {
            Files.copy(in, dir.resolve("last/marks.bin"));
        }
        assertEquals(1600, Files.size(dir.resolve("last/marks.bin")), "the fixture is format 1");
        assertTrue(LastSends.verify(dir.resolve("last")).isEmpty(), "format 1 is not damage: it is migrated at the next open");
        try (CampaignNumbers numbers = CampaignNumbers.open(dir.resolve("numbers.log"))) {
            assertEquals(1, numbers.numberOf("spring"));
            assertEquals(2, numbers.numberOf("winter"));
            try (LastSends last = open(numbers)) {
                assertEquals(List.of(new LastSends.Mark("winter", "shop", T.plusSeconds(10)),
                        new LastSends.Mark("spring", "acme", T)), last.recent(3));
                assertEquals(new LastSends.Mark("spring", "acme", T.plusSeconds(20)), last.of(99).orElseThrow());
            }
        }
        assertEquals(24 + 1600, Files.size(dir.resolve("last/marks.bin")));
        assertTrue(LastSends.verify(dir.resolve("last")).isEmpty());
    }
}
