package dev.herald.dispatcher.message;

import dev.herald.dispatcher.store.SealedRecordsException;
import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
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
 * damage refused naming the file. SEALED frames (a data directory with a master key) are opened with
 * the recipient directory's cipher for {@link MessageLog#PURPOSE}; without it they are refused
 * ({@link SealedRecordsException} naming the file), never skipped.
 *
 * <pre>{@code
 * MessageLogReader.Read r = MessageLogReader.read(ledgerDir.resolve(MessageLog.FILE), id -> id == 7,
 *         directory.cipher(MessageLog.PURPOSE));
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
     * Reads a log without a cipher: see {@link #read(Path, IntPredicate, DataCipher)}.
     *
     * @throws SealedRecordsException naming the file if it holds sealed frames
     */
    public static Read read(Path file, IntPredicate recipients) throws IOException {
        return read(file, recipients, null);
    }

    /**
     * @param file       a campaign's {@code messages.log}
     * @param recipients which recipients' messages to decode (the others are only checked)
     * @param cipher     the recipient directory's cipher for {@link MessageLog#PURPOSE}; null or disabled: none
     * @return the messages; none if the file does not exist
     * @throws DamagedStoreException naming the file and offset if a whole frame is damaged or out of place,
     *     or a sealed frame does not open under {@code cipher}
     * @throws SealedRecordsException naming the file if it holds sealed frames and {@code cipher} is not enabled
     * @throws IOException if it cannot be read
     */
    public static Read read(Path file, IntPredicate recipients, DataCipher cipher) throws IOException {
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
                take(file, at, run[0], d, p, n, recipients, out);
            } else if (kind == MessageCodec.SEALED) {
                byte[] plain = openSealed(file, d, p, n, cipher);
                try {
                    MessageCodec.forEachSealedSent(plain, (b, q, k) -> take(file, at, run[0], b, q, k, recipients, out));
                } catch (IllegalArgumentException e) {
                    throw new DamagedStoreException(file, at, "a sealed group of messages: " + e.getMessage());
                }
            } else {
                throw new DamagedStoreException(file, at, "unknown record kind " + (kind & 0xFF));
            }
        });
        return new Read(List.copyOf(out), s.tornBytes());
    }

    /** Decodes the SENT payload at {@code p} into {@code out} if its recipient is asked for. */
    private static void take(Path file, long at, MessageCodec.Run run, ByteBuffer d, int p, int n, IntPredicate recipients,
                             List<Entry> out) throws DamagedStoreException {
        int recipient = MessageCodec.recipientOf(d, p);
        if (!recipients.test(recipient)) {
            return;
        }
        MessageCodec.SentFrame f = MessageCodec.readSent(d, p, n);
        if (run == null || f.variant() >= run.fieldNames().size()
                || run.fieldNames().get(f.variant()).size() != f.values().length) {
            throw new DamagedStoreException(file, at, "a message record of recipient " + recipient
                    + " does not match the run before it (variant " + f.variant() + ", " + f.values().length + " values)");
        }
        List<String> names = run.fieldNames().get(f.variant());
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            if (f.values()[i] != null) {
                fields.put(names.get(i), f.values()[i]);
            }
        }
        out.add(new Entry(recipient, f.variant(), f.handedAtMillis(), f.textCrc32(), run.connector(),
                Collections.unmodifiableMap(fields)));
    }

    /**
     * The opened bytes of the SEALED frame whose payload is at {@code p} (its kind byte first).
     *
     * @throws SealedRecordsException if {@code cipher} is null or disabled
     * @throws DamagedStoreException if the frame does not open under it
     */
    static byte[] openSealed(Path file, ByteBuffer d, int p, int n, DataCipher cipher) throws DamagedStoreException {
        long at = p - FrameFormat.BINARY_HEADER;
        if (cipher == null || !cipher.enabled()) {
            throw new SealedRecordsException(file, at, "sealed messages");
        }
        byte[] sealed = new byte[n - 1];
        d.get(p + 1, sealed);
        try {
            return cipher.open(sealed);
        } catch (IllegalStateException e) {
            throw new DamagedStoreException(file, at, "a sealed group of messages does not open under the recipient"
                    + " directory's data key (changed, or written by another data directory's key)", e);
        }
    }
}
