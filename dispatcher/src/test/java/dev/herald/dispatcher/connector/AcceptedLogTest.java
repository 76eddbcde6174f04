package dev.herald.dispatcher.connector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AcceptedLogTest {

    @TempDir
    Path dir;

    @Test
    void shouldIgnoreATornLastLineWhenReadingAndCutItWhenReopening() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir);
        Files.writeString(o.logFile(), "1000\t42\t1\tm-1\n1001\t42\t2\tm-", StandardCharsets.UTF_8);
        assertEquals(List.of(new AcceptedLogEntry(1000, "42", 1, "m-1")), SimulatedConnector.readLog(o.logFile()));
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            c.send(Messages.to("42", 3)).toCompletableFuture().join();
        }
        List<AcceptedLogEntry> log = SimulatedConnector.readLog(o.logFile());
        assertEquals(List.of(1, 3), log.stream().map(AcceptedLogEntry::recipientId).toList());
        assertEquals(new AcceptedLogEntry(1000, "42", 1, "m-1"), log.get(0));
    }

    @Test
    void shouldNameFileAndLineOfAMalformedLine() throws Exception {
        Path file = dir.resolve("bad.tsv");
        Files.writeString(file, "1000\t42\t1\tm-1\n1001\t42\tseven\tm-2\n", StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class, () -> SimulatedConnector.readLog(file));
        assertEquals(file + ":2: bad number in '1001\t42\tseven\tm-2': For input string: \"seven\"", e.getMessage());
        Files.writeString(file, "1000\t42\t1\n", StandardCharsets.UTF_8);
        IOException fields = assertThrows(IOException.class, () -> SimulatedConnector.readLog(file));
        assertEquals(file + ":1: expected 4 tab-separated fields (acceptedAtMillis, campaignId, recipientId, messageId), got '1000\t42\t1'",
                fields.getMessage());
    }

    @Test
    void shouldRoundTripNonAsciiCampaignIdsAndStreamEntries() throws Exception {
        SimulatedConnectorOptions o = SimulatedConnectorOptions.defaults(dir).withName("sim-2");
        try (SimulatedConnector c = SimulatedConnector.open(o)) {
            c.send(Messages.to("春季促销", 11)).toCompletableFuture().join();
        }
        List<AcceptedLogEntry> seen = new java.util.ArrayList<>();
        SimulatedConnector.scanLog(dir.resolve("sim-2-accepted.tsv"), seen::add);
        assertEquals("春季促销", seen.get(0).campaignId());
        assertEquals(11, seen.get(0).recipientId());
    }
}
