package dev.herald.dispatcher.message;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Reads a {@link MessageLog} without changing it (while its writer appends, from any process):
 * every whole frame, a torn last frame ignored (and counted: the writer drops it on its next open),
 * damage refused naming the file.
 *
 * <pre>{@code
 * MessageLogReader.Read r = MessageLogReader.read(ledgerDir.resolve(MessageLog.FILE), id -> id == 7);
 * r.entries();    // recipient 7's messages, in the order they were handed over
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class MessageLogReader {

    private MessageLogReader() {
    }

    /**
     * One message the log holds.
     *
     * @param recipient      the recipient id
     * @param variant        its variant's index
     * @param handedAtMillis when it was handed to the connector, epoch ms
     * @param textCrc32      CRC-32 of the text handed over (UTF-8)
     * @param connector      the connector of its run
     * @param fields         its template's fields with the recipient's values, in the template's order;
     *                       a field the recipient had no value for is absent (its fallback was used)
     */
    public record Entry(int recipient, int variant, long handedAtMillis, int textCrc32, String connector,
                        Map<String, String> fields) {
    }

    /**
     * @param entries   the messages asked for, in file order
     * @param tornBytes bytes of an incomplete last frame, not read (0 if none)
     */
    public record Read(List<Entry> entries, long tornBytes) {
    }

    /**
     * @param file       a campaign's {@code messages.log}
     * @param recipients which recipients' messages to decode (the others are only checked)
     * @return the messages; none if the file does not exist
     * @throws DamagedStoreException naming the file and offset if a whole frame is damaged or out of place
     * @throws IOException if it cannot be read
     */
    public static Read read(Path file, IntPredicate recipients) throws IOException {
        ByteBuffer data;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            data = FramedLog.map(file, ch);
        } catch (NoSuchFileException e) {
            return new Read(List.of(), 0);
        }
        List<Entry> out = new ArrayList<>();
        MessageCodec.Run[] run = {null};
        FramedLog.Scan s = FramedLog.scan(file, data, MessageCodec.FORMAT, (d, at, p, n) -> {
            byte kind = MessageCodec.kind(d, p);
            if (kind == MessageCodec.RUN) {
                run[0] = MessageCodec.readRun(d, p, n);
            } else if (kind == MessageCodec.SENT) {
                int recipient = MessageCodec.recipientOf(d, p);
                if (!recipients.test(recipient)) {
                    return;
                }
                MessageCodec.SentFrame f = MessageCodec.readSent(d, p, n);
                if (run[0] == null || f.variant() >= run[0].fieldNames().size()
                        || run[0].fieldNames().get(f.variant()).size() != f.values().length) {
                    throw new DamagedStoreException(file, at, "a message record of recipient " + recipient
                            + " does not match the run before it (variant " + f.variant() + ", " + f.values().length + " values)");
                }
                List<String> names = run[0].fieldNames().get(f.variant());
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    if (f.values()[i] != null) {
                        fields.put(names.get(i), f.values()[i]);
                    }
                }
                out.add(new Entry(recipient, f.variant(), f.handedAtMillis(), f.textCrc32(), run[0].connector(),
                        Collections.unmodifiableMap(fields)));
            } else {
                throw new DamagedStoreException(file, at, "unknown record kind " + (kind & 0xFF));
            }
        });
        return new Read(List.copyOf(out), s.tornBytes());
    }
}
