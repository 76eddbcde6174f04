package dev.herald.suppression.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/** The one store rule, for both frame formats: torn tails dropped and reported, damage refused by file and offset. */
class FramedLogTest {

    @TempDir
    Path dir;

    private final List<String> dropped = new ArrayList<>();
    private final TornTails.Listener listener = (file, offset, bytes) -> dropped.add(file.getFileName() + "@" + offset + "+" + bytes);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void listen() {
        TornTails.addListener(listener);
        logged.start();
        ((Logger) LoggerFactory.getLogger(TornTails.class)).addAppender(logged);
    }

    @AfterEach
    void stop() {
        TornTails.removeListener(listener);
        ((Logger) LoggerFactory.getLogger(TornTails.class)).detachAppender(logged);
    }

    private static LogFormat format(FrameFormat f) {
        return switch (f) {
            case BINARY -> LogFormat.binary("TESTLOG1", 8, 1, 1000);
            case LINE -> LogFormat.lines(1000);
            case JSON_LINE -> LogFormat.jsonLines(1000);
        };
    }

    /** Writes three records and returns the offsets where each frame starts, plus the end. */
    private long[] writeThree(Path file, LogFormat fmt) throws IOException {
        long[] at = new long[4];
        try (FramedLog log = FramedLog.open(file, fmt, (d, a, p, n) -> { })) {
            for (int i = 0; i < 3; i++) {
                at[i] = Files.size(file);
                log.append(("{\"record\":" + i + "}").getBytes(StandardCharsets.UTF_8));
            }
        }
        at[3] = Files.size(file);
        return at;
    }

    private static List<String> read(Path file, LogFormat fmt) throws IOException {
        List<String> out = new ArrayList<>();
        FramedLog.open(file, fmt, (d, a, p, n) -> {
            byte[] b = new byte[n];
            d.get(p, b);
            out.add(new String(b, StandardCharsets.UTF_8) + (fmt.frames() == FrameFormat.JSON_LINE ? "}" : ""));
        }).close();
        return out;
    }

    private static void flip(Path file, long at) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) at] ^= 0x40;
        Files.write(file, b);
    }

    private static void assertRefusedUnchanged(Path file, LogFormat fmt, long offset) throws IOException {
        byte[] before = Files.readAllBytes(file);
        DamagedStoreException e = assertThrows(DamagedStoreException.class, () -> read(file, fmt));
        assertEquals(file, e.file());
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("offset " + offset), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file), "a damaged log is never cut or rewritten");
        VerifyResult v = FramedLog.verify(file, fmt);
        assertTrue(v.isDamaged(), v.describe());
        assertEquals(offset, v.damage().offset());
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldRefuseADamagedMiddleFrameNamingTheFileAndOffset(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        long[] at = writeThree(file, format(f));
        flip(file, at[1] + 9);
        assertRefusedUnchanged(file, format(f), at[1]);
        flip(file, at[1] + 9);
        flip(file, at[1] + 1); // the first byte of a LINE payload, the length of a BINARY frame
        assertRefusedUnchanged(file, format(f), at[1]);
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldRefuseADamagedLastCompleteFrameInsteadOfCuttingIt(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        long[] at = writeThree(file, format(f));
        flip(file, at[2] + 9);
        assertRefusedUnchanged(file, format(f), at[2]);
        assertTrue(dropped.isEmpty());
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldDropAndReportATornTailAndAppendCleanlyAfterIt(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        long[] at = writeThree(file, format(f));
        byte[] b = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(b, (int) at[2] + 5)); // the last write torn after 5 bytes
        VerifyResult v = FramedLog.verify(file, format(f));
        assertEquals(5, v.tornBytes());
        assertEquals(at[2], v.tornAt());
        assertNull(v.damage());
        long before = TornTails.count();
        try (FramedLog log = FramedLog.open(file, format(f), (d, a, p, n) -> { })) {
            log.append("{\"after\":\"the crash\"}".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("a.log@" + at[2] + "+5"), dropped);
        assertTrue(TornTails.count() > before);
        assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().contains(file.toString())
                && e.getFormattedMessage().contains("5 bytes at offset " + at[2])), "a warning names the file, bytes and offset");
        assertEquals(List.of("{\"record\":0}", "{\"record\":1}", "{\"after\":\"the crash\"}"), read(file, format(f)));
        assertTrue(FramedLog.verify(file, format(f)).ok());
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldRefuseAZeroFilledFileAndAZeroFilledTail(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        byte[] zeros = new byte[4096];
        if (f == FrameFormat.BINARY) {
            System.arraycopy("TESTLOG1".getBytes(StandardCharsets.US_ASCII), 0, zeros, 0, 8);
        }
        Files.write(file, zeros);
        assertRefusedUnchanged(file, format(f), f == FrameFormat.BINARY ? 8 : 0);

        Path tail = dir.resolve("b.log");
        long[] at = writeThree(tail, format(f));
        Files.write(tail, new byte[3], StandardOpenOption.APPEND); // too short to be a header, but zero-filled
        assertRefusedUnchanged(tail, format(f), at[3]);
        assertTrue(dropped.isEmpty(), "zero-filled bytes are damage, not a torn write");
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldRefuseAZeroFilledRegionInTheMiddle(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        long[] at = writeThree(file, format(f));
        byte[] b = Files.readAllBytes(file);
        java.util.Arrays.fill(b, (int) at[1], (int) at[2], (byte) 0);
        Files.write(file, b);
        assertRefusedUnchanged(file, format(f), at[1]);
    }

    @org.junit.jupiter.api.Test
    void shouldWriteJsonLinesThatStayJsonObjects() throws IOException {
        Path file = dir.resolve("a.jsonl");
        writeThree(file, format(FrameFormat.JSON_LINE));
        String first = Files.readAllLines(file).get(0);
        assertTrue(first.matches("\\{\"record\":0,\"lineCrc32\":\"[0-9a-f]{8}\"}"), first);
    }

    @org.junit.jupiter.api.Test
    void shouldRefuseALengthDamagedToPointPastTheEndWhenWholeFramesFollow() throws IOException {
        Path file = dir.resolve("a.log");
        LogFormat fmt = format(FrameFormat.BINARY);
        long[] at = writeThree(file, fmt);
        byte[] b = Files.readAllBytes(file);
        b[(int) at[1] + 2] = 0x03; // length now ~ 800 bytes: looks like a frame cut short
        Files.write(file, b);
        assertRefusedUnchanged(file, fmt, at[1]);
    }

    @ParameterizedTest
    @EnumSource(FrameFormat.class)
    void shouldVerifyWithoutChangingTheFile(FrameFormat f) throws IOException {
        Path file = dir.resolve("a.log");
        long[] at = writeThree(file, format(f));
        Files.write(file, new byte[] {1, 2}, StandardOpenOption.APPEND);
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000));
        byte[] before = Files.readAllBytes(file);
        VerifyResult v = FramedLog.verify(file, format(f));
        assertFalse(v.ok());
        assertEquals(3, v.frames());
        assertEquals(at[3], v.tornAt());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(1_000_000, Files.getLastModifiedTime(file).toMillis());
        assertTrue(dropped.isEmpty(), "verifying reports, it does not drop");
    }
}
