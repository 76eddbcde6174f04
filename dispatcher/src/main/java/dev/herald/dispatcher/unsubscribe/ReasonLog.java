package dev.herald.dispatcher.unsubscribe;

import dev.herald.dispatcher.store.LineLog;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The unsubscribe reasons, {@code <data dir>/unsubscribe/reasons.jsonl}: one JSON object per line,
 * read by the analytics, in exactly this form:
 * {@code {"time":"2026-11-23T01:02:03Z","recipientId":123,"phone":"+447700900123","campaign":"spring-sale",
 * "sender":"acme","reason":"too-frequent","text":null}} ({@code campaign} and {@code text} may be
 * null). Each line is fsynced before {@link #append} returns.
 *
 * <p>{@code reasons.append(Instant.now(), 123, "+447700900123", "spring-sale", "acme", Reason.OTHER, "too long");}
 *
 * <p>Thread-safety: {@link #append} is synchronized.
 */
public final class ReasonLog implements AutoCloseable {

    /** The longest free text accepted, in characters. */
    public static final int MAX_TEXT = 500;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileChannel channel;

    private ReasonLog(FileChannel channel) {
        this.channel = channel;
    }

    /**
     * @param dir {@code <data dir>/unsubscribe}
     * @return the log, appending to {@code reasons.jsonl}
     * @throws IOException if it cannot be opened
     */
    public static ReasonLog open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("reasons.jsonl");
        boolean created = !Files.exists(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        try {
            if (created) {
                LineLog.fsyncDirectory(dir);
            }
            // a line torn by a crash mid-write (no line end) was never acknowledged: cut, it would swallow the next record
            LineLog.cutTornLine(file, ch);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new ReasonLog(ch);
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
        byte[] json = JSON.writeValueAsBytes(line); // escapes line breaks: one record per line
        ByteBuffer b = ByteBuffer.allocate(json.length + 1).put(json).put((byte) '\n').flip();
        LineLog.appendDurably(channel, b);
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
