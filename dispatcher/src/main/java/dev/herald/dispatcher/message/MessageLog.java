package dev.herald.dispatcher.message;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.store.LogRewrite;
import dev.herald.dispatcher.store.SealedRecordsException;
import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a campaign sent, per recipient: {@code <ledger dir>/messages.log}, written by the send stage
 * for every message the connector accepted. It keeps the fields, not the text: a campaign's text is
 * its variant's template plus the recipient's fields, so a message costs its recipient id, variant,
 * hand-over time, the values of its template's placeholders and a CRC-32 of the exact text handed
 * over (with which {@link SentMessages} checks the text it rebuilds). Format in {@link MessageCodec}.
 *
 * <p><b>Encryption at rest.</b> Opened with an {@link DataCipher#enabled() enabled} cipher (the
 * recipient directory's, for {@link #PURPOSE}: the data directory has a master key), each append
 * writes its group as one SEALED frame (AES-256-GCM, sealed once per group), so the file holds no
 * field value and no recipient id in plain; the RUN frames (connector, field names) stay plain.
 * Without one (null or disabled) it writes the plain SENT frames, byte for byte as before. Readers
 * need the same cipher: {@link MessageLogReader} and {@link #scrub} refuse sealed frames without
 * one ({@link SealedRecordsException} naming the file).
 *
 * <pre>{@code
 * MessageLog log = ledger.companion(MessageLog.class, d -> MessageLog.open(d, directory.cipher(MessageLog.PURPOSE)));
 * log.startRun("simulated", List.of(List.of("first_name")), now);          // once per run
 * log.append(List.of(new MessageLog.Sent(7, 0, handedAt, text, fields)));  // per answered group
 * }</pre>
 *
 * <p><b>Durability.</b> An append is one write of the whole group's frames, never fsynced by itself
 * (no fsync per message nor per group): it survives a killed process at once, and a power loss once
 * the {@link OutcomeLedger} it is a {@link OutcomeLedger.Companion companion} of forces it (its
 * checkpoints, its sync at the end of each run, before the run's answers are final, and its close).
 * Opening drops and reports a torn last frame and refuses damage naming the file ({@link FramedLog#scan}).
 *
 * <p>Thread-safety: appends are serialised; {@link #force} may run concurrently with them. One
 * writer: the process that holds the campaign's ledger.
 */
public final class MessageLog implements OutcomeLedger.Companion {

    /** The file's name inside the ledger directory. */
    public static final String FILE = "messages.log";
    /** The purpose the message log's sealed frames are authenticated with ({@code directory.cipher(PURPOSE)}). */
    public static final String PURPOSE = "message-log";

    /**
     * One accepted message.
     *
     * @param recipient      the recipient id
     * @param variant        its variant's index (0 for a campaign of one message)
     * @param handedAtMillis when it was handed to the connector, epoch ms
     * @param text           the exact text handed over (only its CRC-32 is kept)
     * @param fields         the recipient's personal fields as read for the render (may hold more than the
     *                       variant's template names; only those are kept)
     */
    public record Sent(int recipient, int variant, long handedAtMillis, String text, Map<String, String> fields) {
    }

    private final Path file;
    private final FileChannel channel;
    /** Seals each group, or null: plain SENT frames. */
    private final DataCipher cipher;
    private final Object forceLock = new Object();
    /** Bytes written (guarded by this); forced up to {@link #forced} (guarded by forceLock). */
    private volatile long written;
    private long forced;
    /** The field names of each variant of the current run, as its RUN frame says. */
    private List<List<String>> fieldNames;
    private String connector;
    private long runStartedMillis;
    /** The last RUN frame in the file (null if none): a run like it needs no frame of its own. */
    private MessageCodec.Run lastWritten;

    private MessageLog(Path file, FileChannel channel, DataCipher cipher, long end, MessageCodec.Run lastRun) {
        this.file = file;
        this.channel = channel;
        this.cipher = cipher == null || !cipher.enabled() ? null : cipher;
        this.written = end;
        this.forced = end;
        this.lastWritten = lastRun;
    }

    /**
     * Opens (creating it if missing) {@code <ledgerDir>/messages.log} for appending plain SENT frames.
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IOException if it cannot be read or written
     */
    public static MessageLog open(Path ledgerDir) throws IOException {
        return open(ledgerDir, null);
    }

    /**
     * Opens (creating it if missing) {@code <ledgerDir>/messages.log} for appending, each group
     * sealed with {@code cipher} if it is enabled (see the class comment).
     *
     * @param cipher the recipient directory's cipher for {@link #PURPOSE}; null or disabled: plain frames
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IOException if it cannot be read or written
     */
    public static MessageLog open(Path ledgerDir, DataCipher cipher) throws IOException {
        Path file = ledgerDir.resolve(FILE);
        if (!Files.exists(file)) {
            FramedLog.create(file, ByteBuffer.wrap(MessageCodec.FORMAT.magic()));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            MessageCodec.Run[] last = {null};
            FramedLog.Scan s = FramedLog.scan(file, FramedLog.map(file, ch), MessageCodec.FORMAT, (d, at, p, n) -> {
                if (MessageCodec.kind(d, p) == MessageCodec.RUN) {
                    last[0] = MessageCodec.readRun(d, p, n);
                }
            });
            FramedLog.dropTornTail(file, ch, s);
            ch.position(s.end());
            return new MessageLog(file, ch, cipher, s.end(), last[0]);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Checks a message log without changing it (for {@code herald data check}).
     *
     * @return the result: clean, a torn tail (a note), or the damage naming the offset
     * @throws IOException if it cannot be read
     */
    public static dev.herald.suppression.store.VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, MessageCodec.FORMAT);
    }

    /**
     * Rewrites a plain message log without the messages of the recipients {@code erased} holds: see
     * {@link #scrub(Path, java.util.function.IntPredicate, DataCipher)} (without a cipher: a log with
     * sealed frames is refused).
     */
    public static LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased) throws IOException {
        return scrub(file, erased, null);
    }

    /**
     * Rewrites a message log without the messages of the recipients {@code erased} holds (their
     * fields, by which their texts could be rebuilt); the RUN frames and everyone else's messages stay
     * byte for byte ({@link LogRewrite}: atomic, nothing written when no message is theirs). A SEALED
     * frame that holds one of theirs is opened, and its other messages sealed anew in one frame (with
     * a new nonce); one that holds only theirs is dropped; one that holds none of theirs stays as it
     * is. Run it only where no campaign writes this log (the compaction: the data directory is
     * locked by it).
     *
     * @param cipher the recipient directory's cipher for {@link #PURPOSE}; null or disabled: the log must hold no sealed frame
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged,
     *     or a sealed frame does not open (left as it is)
     * @throws SealedRecordsException naming the file if it holds sealed frames and {@code cipher} is not enabled (left as it is)
     * @throws IOException if it cannot be read or written
     */
    public static LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased, DataCipher cipher)
            throws IOException {
        DataCipher c = cipher == null || !cipher.enabled() ? null : cipher;
        return LogRewrite.rewrite(file, MessageCodec.FORMAT, (d, p, n) -> {
            if (MessageCodec.kind(d, p) == MessageCodec.SEALED) {
                return scrubSealed(file, d, p, n, erased, c);
            }
            int r = MessageCodec.recipientOf(d, p);
            return r >= 0 && erased.test(r) ? LogRewrite.DROP : LogRewrite.KEEP;
        });
    }

    /** A SEALED frame without the messages of {@code erased}: KEEP, DROP or the frame sealed anew. */
    private static byte[] scrubSealed(Path file, ByteBuffer d, int p, int n, java.util.function.IntPredicate erased,
                                      DataCipher cipher) throws IOException {
        byte[] plain = MessageLogReader.openSealed(file, d, p, n, cipher);
        ByteBuffer kept = ByteBuffer.allocate(plain.length);
        int[] dropped = {0};
        try {
            MessageCodec.forEachSealedSent(plain, (b, q, k) -> {
                if (erased.test(MessageCodec.recipientOf(b, q))) {
                    dropped[0]++;
                } else {
                    kept.putInt(k).put(b.duplicate().limit(q + k).position(q));
                }
            });
        } catch (IllegalArgumentException e) {
            throw new dev.herald.suppression.store.DamagedStoreException(file, p - FrameFormat.BINARY_HEADER,
                    "a sealed group of messages: " + e.getMessage());
        }
        java.util.Arrays.fill(plain, (byte) 0);
        if (dropped[0] == 0) {
            return LogRewrite.KEEP;
        }
        if (kept.position() == 0) {
            return LogRewrite.DROP;
        }
        byte[] rest = java.util.Arrays.copyOf(kept.array(), kept.position());
        byte[] sealed = cipher.seal(rest);
        java.util.Arrays.fill(rest, (byte) 0);
        java.util.Arrays.fill(kept.array(), (byte) 0);
        return ByteBuffer.allocate(1 + sealed.length).put(MessageCodec.SEALED).put(sealed).array();
    }

    /**
     * Starts a run: the connector's name and each variant's placeholder names, which the messages
     * appended after it refer to. Its RUN frame is written with its first message, and only if the
     * last one in the file says something else (a campaign resumed every few seconds to release
     * deferred recipients writes no frame per resume).
     *
     * @param connector  the connector's name
     * @param fieldNames per variant, its template's field names in order (links are not fields)
     * @param nowMillis  the run's start, epoch ms
     * @throws IllegalArgumentException if there is no variant or more than 255
     */
    public synchronized void startRun(String connector, List<List<String>> fieldNames, long nowMillis) {
        if (fieldNames.isEmpty() || fieldNames.size() > 255) {
            throw new IllegalArgumentException("a run has 1 to 255 variants, got " + fieldNames.size());
        }
        this.fieldNames = List.copyOf(fieldNames);
        this.connector = Objects.requireNonNull(connector, "connector");
        this.runStartedMillis = nowMillis;
    }

    /** The RUN frame of the current run, or null if the file's last one says the same. */
    private ByteBuffer runFrame() {
        if (lastWritten != null && lastWritten.connector().equals(connector) && lastWritten.fieldNames().equals(fieldNames)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(MessageCodec.runFrameBound(connector, fieldNames));
        int start = FrameFormat.beginBinary(b);
        MessageCodec.putRun(b, connector, fieldNames, runStartedMillis);
        FrameFormat.endBinary(b, start);
        return b.flip();
    }

    /**
     * Appends the group in one write: one SENT frame per message, or, sealing, one SEALED frame for
     * the whole group (more only past {@link MessageCodec#MAX_SEALED_PLAIN} plain bytes).
     *
     * @throws IllegalStateException if no run was started
     * @throws IOException if it cannot be written (the file is cut back to where it was)
     */
    public synchronized void append(List<Sent> sent) throws IOException {
        if (sent.isEmpty()) {
            return;
        }
        if (fieldNames == null) {
            throw new IllegalStateException(file + ": append before startRun");
        }
        ByteBuffer run = runFrame();
        byte[][][] encoded = new byte[sent.size()][][];
        int bytes = run == null ? 0 : run.remaining();
        for (int i = 0; i < sent.size(); i++) {
            Sent m = sent.get(i);
            encoded[i] = MessageCodec.values(fieldNames.get(m.variant()), m.fields());
            bytes += FrameFormat.BINARY_HEADER + MessageCodec.sentLength(encoded[i]);
        }
        ByteBuffer b = cipher == null ? plainFrames(sent, encoded, run, bytes) : sealedFrames(sent, encoded, run);
        write(b);
        if (run != null) {
            lastWritten = new MessageCodec.Run(runStartedMillis, connector, fieldNames);
        }
    }

    /** One SENT frame per message, after {@code run} if any: {@code bytes} in all. */
    private static ByteBuffer plainFrames(List<Sent> sent, byte[][][] encoded, ByteBuffer run, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(bytes);
        if (run != null) {
            b.put(run);
        }
        for (int i = 0; i < sent.size(); i++) {
            Sent m = sent.get(i);
            int start = FrameFormat.beginBinary(b);
            MessageCodec.putSent(b, m.recipient(), m.variant(), m.handedAtMillis(), MessageCodec.crc32(m.text()), encoded[i]);
            FrameFormat.endBinary(b, start);
        }
        return b.flip();
    }

    /** The group's SENT payloads, length-prefixed, sealed once per {@link MessageCodec#MAX_SEALED_PLAIN} bytes, after {@code run}. */
    private ByteBuffer sealedFrames(List<Sent> sent, byte[][][] encoded, ByteBuffer run) {
        List<byte[]> frames = new java.util.ArrayList<>(1);
        int total = run == null ? 0 : run.remaining();
        int i = 0;
        while (i < sent.size()) {
            int from = i;
            int plainBytes = 4 + MessageCodec.sentLength(encoded[i++]);
            while (i < sent.size() && plainBytes + 4 + MessageCodec.sentLength(encoded[i]) <= MessageCodec.MAX_SEALED_PLAIN) {
                plainBytes += 4 + MessageCodec.sentLength(encoded[i++]);
            }
            ByteBuffer plain = ByteBuffer.allocate(plainBytes);
            for (int k = from; k < i; k++) {
                Sent m = sent.get(k);
                plain.putInt(MessageCodec.sentLength(encoded[k]));
                MessageCodec.putSent(plain, m.recipient(), m.variant(), m.handedAtMillis(), MessageCodec.crc32(m.text()), encoded[k]);
            }
            byte[] sealed = cipher.seal(plain.array());
            java.util.Arrays.fill(plain.array(), (byte) 0);
            frames.add(sealed);
            total += FrameFormat.BINARY_HEADER + 1 + sealed.length;
        }
        ByteBuffer b = ByteBuffer.allocate(total);
        if (run != null) {
            b.put(run);
        }
        for (byte[] sealed : frames) {
            int start = FrameFormat.beginBinary(b);
            b.put(MessageCodec.SEALED).put(sealed);
            FrameFormat.endBinary(b, start);
        }
        return b.flip();
    }

    private void write(ByteBuffer b) throws IOException {
        channel.position(written);
        FramedLog.appendWhole(channel, b);
        written = channel.position();
    }

    /** Forces what was appended so far; nothing to do (no fsync) when nothing was appended since. */
    @Override
    public void force() throws IOException {
        long target = written;
        synchronized (forceLock) {
            if (forced >= target) {
                return;
            }
            channel.force(false);
            forced = target;
        }
    }

    /** @return the log's file */
    public Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (!channel.isOpen()) {
                return;
            }
            try {
                force();
            } finally {
                channel.close();
            }
        }
    }
}
