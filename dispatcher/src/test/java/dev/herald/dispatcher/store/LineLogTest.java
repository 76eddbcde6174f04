package dev.herald.dispatcher.store;

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

class LineLogTest {

    @TempDir
    Path dir;

    @Test
    void aTornLastLineIsCutAndTheNextAppendStartsClean() throws Exception {
        Path f = dir.resolve("numbers.log");
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals(1, n.numberOf("spring"));
        }
        Files.write(f, "2 win".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND); // a crash mid-write
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals(2, n.numberOf("winter"), "the torn line's number was never handed out");
        }
        try (CampaignNumbers n = CampaignNumbers.open(f)) {
            assertEquals("winter", n.campaignOf(2).orElseThrow());
            assertEquals(2, Files.readAllLines(f).size());
        }
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
        IOException e = assertThrows(IOException.class, () -> CampaignNumbers.open(f));
        assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains(f.toString()), e.getMessage());
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
