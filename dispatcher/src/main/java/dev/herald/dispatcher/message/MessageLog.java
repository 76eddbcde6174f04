package dev.herald.dispatcher.message;

import dev.herald.dispatcher.outcome.OutcomeLedger;
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
 * <pre>{@code
 * MessageLog log = ledger.companion(MessageLog.class, MessageLog::open);   // durable with the ledger
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

    private MessageLog(Path file, FileChannel channel, long end, MessageCodec.Run lastRun) {
        this.file = file;
        this.channel = channel;
        this.written = end;
        this.forced = end;
        this.lastWritten = lastRun;
    }

    /**
     * Opens (creating it if missing) {@code <ledgerDir>/messages.log} for appending.
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged
     * @throws IOException if it cannot be read or written
     */
    public static MessageLog open(Path ledgerDir) throws IOException {
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
            return new MessageLog(file, ch, s.end(), last[0]);
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
     * Rewrites a message log without the messages of the recipients {@code erased} holds (their
     * fields, by which their texts could be rebuilt); the RUN frames and everyone else's messages stay
     * byte for byte ({@link dev.herald.dispatcher.store.LogRewrite}: atomic, nothing written when no
     * message is theirs). Run it only where no campaign writes this log (the compaction: the data
     * directory is locked by it).
     *
     * @throws dev.herald.suppression.store.DamagedStoreException naming the file and offset if it is damaged (left as it is)
     * @throws IOException if it cannot be read or written
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, MessageCodec.FORMAT, (d, p, n) -> {
            int r = MessageCodec.recipientOf(d, p);
            return r >= 0 && erased.test(r) ? dev.herald.dispatcher.store.LogRewrite.DROP
                    : dev.herald.dispatcher.store.LogRewrite.KEEP;
        });
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
     * Appends one frame per message, in one write.
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
        write(b.flip());
        if (run != null) {
            lastWritten = new MessageCodec.Run(runStartedMillis, connector, fieldNames);
        }
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
