package dev.herald.dispatcher.unsubscribe;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unsubscribe reasons, {@code <data dir>/unsubscribe/reasons.jsonl}: one JSON object per line,
 * read by the analytics, in exactly this form:
 * {@code {"time":"2026-11-23T01:02:03Z","recipientId":123,"phone":"+447700900123","campaign":"spring-sale",
 * "sender":"acme","reason":"too-frequent","text":null,"lineCrc32":"1c291ca3"}} ({@code campaign} and
 * {@code text} may be null; {@code lineCrc32} is the CRC-32 of the line's bytes before {@code ,"lineCrc32"}:
 * JSON_LINE frames of the store rule, see {@link FramedLog}). Each line is fsynced before
 * {@link #append} returns.
 *
 * <p>{@code reasons.append(Instant.now(), 123, "+447700900123", "spring-sale", "acme", Reason.OTHER, "too long");}
 *
 * <p><b>Damage.</b> An incomplete last line (a crash mid-write) is dropped and reported; a complete
 * line whose checksum fails, anywhere, or zero-filled bytes refuse the log naming the file and
 * offset. A file of earlier versions (lines without {@code lineCrc32}) is migrated on open: each
 * complete line must be a JSON object (else it is refused by offset), gets its checksum, and the
 * file is replaced atomically, with an INFO line naming it. {@link #verify} checks without changing.
 *
 * <p>Thread-safety: {@link #append} is synchronized.
 */
public final class ReasonLog implements AutoCloseable {

    /** The longest free text accepted, in characters. */
    public static final int MAX_TEXT = 500;

    /** The format of {@code reasons.jsonl}. */
    public static final LogFormat FORMAT = LogFormat.jsonLines(64 * 1024);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(ReasonLog.class);

    private final FramedLog log;

    private ReasonLog(FramedLog log) {
        this.log = log;
    }

    /**
     * @param dir {@code <data dir>/unsubscribe}
     * @return the log, appending to {@code reasons.jsonl}
     * @throws DamagedStoreException naming the file and offset if it is damaged (nothing changed)
     * @throws IOException if it cannot be opened
     */
    public static ReasonLog open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("reasons.jsonl");
        if (Files.exists(file) && isLegacy(file)) {
            migrate(file);
        }
        return new ReasonLog(FramedLog.open(file, FORMAT, (data, at, p, n) -> { }));
    }

    /** Checks {@code reasons.jsonl} without changing it (a file of earlier versions is reported as clean: it is migrated on open). */
    public static VerifyResult verify(Path file) throws IOException {
        return isLegacy(file) ? VerifyResult.clean(file, 0) : FramedLog.verify(file, FORMAT);
    }

    /** Whether {@code file} holds lines of the earlier format: its first line has no {@code lineCrc32} member last. */
    public static boolean isLegacy(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int nl = 0;
        while (nl < all.length && all[nl] != '\n') {
            nl++;
        }
        if (nl == all.length) {
            return false; // empty, or one incomplete line: dropped as a torn tail either way
        }
        String first = new String(all, 0, nl, StandardCharsets.UTF_8);
        return !first.matches(".*,\"lineCrc32\":\"[0-9a-f]{8}\"}");
    }

    private static void migrate(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer out = ByteBuffer.allocate(all.length * 2 + 64);
        int pos = 0;
        int lines = 0;
        while (pos < all.length) {
            int nl = pos;
            while (nl < all.length && all[nl] != '\n') {
                nl++;
            }
            if (nl == all.length) {
                boolean zeros = true;
                for (int i = pos; i < all.length && zeros; i++) {
                    zeros = all[i] == 0;
                }
                if (zeros) {
                    throw new DamagedStoreException(file, pos, (all.length - pos) + " zero bytes at the end (zero-filled, not a torn write)");
                }
                break; // an incomplete last line: dropped and reported below
            }
            byte[] line = Arrays.copyOfRange(all, pos, nl);
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                n = null;
            }
            if (n == null || !n.isObject() || line[line.length - 1] != '}') {
                throw new DamagedStoreException(file, pos, "line " + (lines + 1) + " is not a JSON object");
            }
            if (out.remaining() < line.length + FrameFormat.JSON_TRAILER) {
                out = ByteBuffer.allocate(out.capacity() * 2 + line.length).put(out.flip());
            }
            FrameFormat.putJsonLine(out, line, line.length);
            lines++;
            pos = nl + 1;
        }
        FramedLog.replace(file, out.flip());
        if (pos < all.length) {
            TornTails.report(file, pos, all.length - pos, null);
        }
        LOG.info("{}: migrated to checksummed lines ({} reasons)", file, lines);
    }

    /**
     * Appends one reason durably.
     *
     * @throws IllegalArgumentException if {@code text} is longer than {@value #MAX_TEXT} characters
     * @throws IOException              if it cannot be written durably
     */
    public synchronized void append(Instant time, int recipientId, String phone, String campaign, String sender, Reason reason,
                                    String text) throws IOException {
        if (text != null && text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("the text is longer than " + MAX_TEXT + " characters");
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", time.toString());
        line.put("recipientId", recipientId);
        line.put("phone", phone);
        line.put("campaign", campaign);
        line.put("sender", sender);
        line.put("reason", reason.wire());
        line.put("text", text);
        log.append(JSON.writeValueAsBytes(line)); // escapes line breaks: one record per line
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
