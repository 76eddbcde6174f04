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

    @Test
    void shouldWriteEachLineOfABatchWithItsOwnCampaignIdAndMessageId() throws Exception {
        Path file = dir.resolve("batch.tsv");
        List<OutboundMessage> messages = List.of(Messages.to("42", 0), Messages.to("春季促销", 7), Messages.to("春季促销", 99_999_999),
                Messages.to("42", 10));
        List<String> ids = List.of("m-1", "m-2", "mé-3", "m-" + "x".repeat(5000));
        try (AcceptedLog log = AcceptedLog.open(file, false)) {
            log.append(messages, ids, 1_795_466_400_123L);
            log.append(messages.subList(0, 1), List.of("m-5"), 7);
        }
        assertEquals(List.of(new AcceptedLogEntry(1_795_466_400_123L, "42", 0, "m-1"),
                new AcceptedLogEntry(1_795_466_400_123L, "春季促销", 7, "m-2"),
                new AcceptedLogEntry(1_795_466_400_123L, "春季促销", 99_999_999, "mé-3"),
                new AcceptedLogEntry(1_795_466_400_123L, "42", 10, "m-" + "x".repeat(5000)),
                new AcceptedLogEntry(7, "42", 0, "m-5")), SimulatedConnector.readLog(file));
    }
}
