package dev.herald.dispatcher.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.TornTails;

class LineLogTest {

    @TempDir
    Path dir;

    @Test
    void aTornLastLineIsCutAndTheNextAppendStartsClean() throws Exception {
        Path f = dir.resolve("numbers.log");
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals(1, n.numberOf("spring"));
        }
        long end = Files.size(f);
        Files.write(f, "2 win".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND); // a crash mid-write
        assertEquals(5, LineLog.verify(f).tornBytes());
        List<String> dropped = new java.util.ArrayList<>();
        TornTails.Listener l = (file, at, bytes) -> dropped.add(file + "@" + at + "+" + bytes);
        TornTails.addListener(l);
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals(List.of(f + "@" + end + "+5"), dropped, "the dropped line is reported with file, offset and bytes");
            assertEquals(2, n.numberOf("winter"), "the torn line's number was never handed out");
        }
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals("winter", n.campaignOf(2).orElseThrow());
            assertEquals(2, Files.readAllLines(f).size());
        } finally {
            TornTails.removeListener(l);
        }
    }

    /**
     * A complete last line with a bad checksum is damage, not a torn write: before, it was cut with no
     * word and every unsubscribe link of that campaign answered 404.
     */
    @Test
    void aDamagedLastLineIsRefusedByFileAndOffsetAndLeftAsItIs() throws Exception {
        Path f = dir.resolve("campaign-numbers.log");
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            n.numberOf("a");
            n.numberOf("b");
        }
        byte[] b = Files.readAllBytes(f);
        int last = Files.readAllLines(f).get(0).length() + 1;
        b[last] = '7';
        Files.write(f, b);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> CampaignNumbers.open(f));
        assertEquals(f, e.file());
        assertEquals(last, e.offset());
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset " + last), e.getMessage());
        assertArrayEquals(b, Files.readAllBytes(f), "never cut, never rewritten");
        assertTrue(LineLog.verify(f).isDamaged());
    }

    @Test
    void aZeroFilledLogIsRefused() throws Exception {
        Path f = dir.resolve("campaign-numbers.log");
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            n.numberOf("a");
        }
        Files.write(f, new byte[(int) Files.size(f)]);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> CampaignNumbers.open(f));
        assertEquals(0, e.offset());
        Path g = dir.resolve("other.log");
        try (CampaignNumbers n = CampaignNumbers.open(g)) {
            n.numberOf("a");
        }
        long end = Files.size(g);
        Files.write(g, new byte[512], StandardOpenOption.APPEND); // a zero-filled region after the last line
        assertEquals(end, assertThrows(DamagedStoreException.class, () -> CampaignNumbers.open(g)).offset());
        assertEquals(end + 512, Files.size(g));
    }

    /** Files written by the version before the store rule: the same line format, read in place. */
    @Test
    void aLogWrittenByTheEarlierVersionIsReadInPlace() throws Exception {
        Path f = dir.resolve("campaign-numbers.log");
        // bytes as the earlier LineLog wrote them: "<record>\t<crc32 hex>\n"
        Files.write(f, "1 spring\t4c7a1d2f\n".replace("4c7a1d2f", crc("1 spring")).getBytes(StandardCharsets.UTF_8));
        byte[] before = Files.readAllBytes(f);
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals("spring", n.campaignOf(1).orElseThrow());
        }
        assertArrayEquals(before, Files.readAllBytes(f), "nothing to migrate");
    }

    private static String crc(String s) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(s.getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().toHexDigits((int) c.getValue());
    }

    @Test
    void aDamagedLineBeforeTheLastIsRefusedByName() throws Exception {
        Path f = dir.resolve("numbers.log");
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            n.numberOf("a");
            n.numberOf("b");
        }
        byte[] b = Files.readAllBytes(f);
        b[0] = '7';
        Files.write(f, b);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> CampaignNumbers.open(f));
        assertTrue(e.getMessage().contains("offset 0") && e.getMessage().contains(f.toString()), e.getMessage());
    }

    /** A failed append leaves the file as it was: nothing partial for the next append or open to trip over. */
    @Test
    void aFailedAppendIsRolledBack() throws Exception {
        Path f = dir.resolve("log");
        Files.writeString(f, "kept\n");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) { // read-only: every write fails
            assertThrows(Exception.class, () -> LineLog.appendDurably(ch, ByteBuffer.wrap("lost\n".getBytes())));
        }
        assertEquals(List.of("kept"), Files.readAllLines(f));
    }
}
