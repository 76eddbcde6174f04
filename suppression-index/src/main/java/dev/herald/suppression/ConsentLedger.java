package dev.herald.suppression;

import dev.herald.suppression.internal.WalSegments;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReadWriteLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consent ledger: every opt-out, opt-in and erasure with its evidence (time, channel, scope, source,
 * raw text, campaign). It is the suppression index's write-ahead log itself — the active
 * segments — plus the archived segments that a compaction folded into the base image, which
 * are kept for {@link #retention()} (at least three years).
 *
 * <pre>{@code
 * List<ConsentRecord> h = index.ledger().history(id);
 * index.ledger().exportJsonLines(from, to, -1, System.out);
 * }</pre>
 *
 * <p>Erasure: an {@link ConsentAction#ERASED} record holds the erased person's number only as its
 * keyed hash ({@link ConsentRecord#hashedPhone(long)}) and no raw text. From the compaction after it,
 * every earlier record of that id holds the hash instead of the number and no raw text (see
 * {@link SuppressionIndex#recordErasure}); their action, time, scope, source, channel and campaign
 * stay, so the evidence that (when, how) the person opted out is kept without saying who it was.
 * Erased records are purged by the same retention rule as every other.
 *
 * <p>Reads scan the segment files (a per-recipient history reads every segment; records are
 * skipped by recipient id without being decoded).
 *
 * <p><b>A damaged archived segment</b> never takes every history down: {@link #historyOf} answers
 * the records it can read (those of the other segments and those before the damage in the
 * damaged one) with the damaged segments named, their sequence-number range and what is wrong. A
 * damaged record's recipient cannot be known, so every history read while an archived segment is
 * damaged is marked incomplete rather than presented as whole. {@link #history} and
 * {@link #scan} keep refusing, naming the file and offset. Thread-safe; reads run alongside writes and
 * see every change acknowledged before they started.
 */
public final class ConsentLedger {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Logger LOG = LoggerFactory.getLogger(ConsentLedger.class);

    private final Path activeDir;
    private final Path archiveDir;
    private final Duration retention;
    private final ReadWriteLock segmentsLock;

    ConsentLedger(Path activeDir, Path archiveDir, Duration retention, ReadWriteLock segmentsLock) {
        this.activeDir = activeDir;
        this.archiveDir = archiveDir;
        this.retention = retention;
        this.segmentsLock = segmentsLock;
    }

    /** How long evidence is kept once a base image covers it. */
    public Duration retention() {
        return retention;
    }

    /** Receives ledger records in log order. */
    @FunctionalInterface
    public interface RecordSink {
        void accept(ConsentRecord record) throws IOException;
    }

    /**
     * An archived ledger segment that could not be read completely.
     *
     * @param file     its file (in the ledger archive)
     * @param firstSeq the first sequence number it holds
     * @param lastSeq  the last sequence number it holds
     * @param error    what is wrong, naming the file and offset
     */
    public record DamagedSegment(Path file, long firstSeq, long lastSeq, String error) {
    }

    /**
     * A recipient's history as far as it can be read.
     *
     * @param records the records read, oldest first
     * @param damaged archived segments that could not be read completely: records of this recipient
     *                may be missing from there (empty when the history is complete)
     */
    public record History(List<ConsentRecord> records, List<DamagedSegment> damaged) {
        public History {
            records = List.copyOf(records);
            damaged = List.copyOf(damaged);
        }

        /** @return whether every segment could be read (nothing may be missing) */
        public boolean complete() {
            return damaged.isEmpty();
        }
    }

    /**
     * Every record of {@code recipientId} that can be read, oldest first, with the archived segments
     * that could not be read completely (logged).
     *
     * @throws IOException if an active segment (the index's own log) cannot be read
     */
    public History historyOf(int recipientId) throws IOException {
        List<ConsentRecord> out = new ArrayList<>();
        List<DamagedSegment> damaged = new ArrayList<>();
        scan(recipientId, Instant.MIN, Instant.MAX, out::add, damaged);
        return new History(out, damaged);
    }

    /** Every record of {@code recipientId}, oldest first. @throws IOException naming the file if any segment is damaged */
    public List<ConsentRecord> history(int recipientId) throws IOException {
        List<ConsentRecord> out = new ArrayList<>();
        scan(recipientId, Instant.MIN, Instant.MAX, out::add);
        return out;
    }

    /**
     * Visits the records with {@code from <= time < to}, of one recipient or of all
     * ({@code recipientId < 0}), oldest first.
     */
    public void scan(int recipientId, Instant from, Instant to, RecordSink sink) throws IOException {
        scan(recipientId, from, to, sink, null);
    }

    /** As {@link #scan(int, Instant, Instant, RecordSink)}; archived segments that fail go to {@code damaged} when it is not null. */
    private void scan(int recipientId, Instant from, Instant to, RecordSink sink, List<DamagedSegment> damaged) throws IOException {
        segmentsLock.readLock().lock();
        try {
            List<WalSegments.Segment> archived = WalSegments.list(archiveDir);
            List<WalSegments.Segment> segments = new ArrayList<>(archived);
            List<WalSegments.Segment> active = WalSegments.list(activeDir);
            segments.addAll(active);
            for (WalSegments.Segment seg : segments) {
                // the active tail may hold a record being written right now: stop there quietly
                boolean tail = !active.isEmpty() && seg == active.get(active.size() - 1);
                try {
                    WalSegments.scan(seg.path(), tail, (frame, len) -> {
                        if (recipientId >= 0 && WalSegments.recipientId(frame) != recipientId) {
                            return;
                        }
                        ConsentRecord r = WalSegments.decode(seg.path(), frame, len);
                        if (!r.time().isBefore(from) && r.time().isBefore(to)) {
                            sink.accept(r);
                        }
                    });
                } catch (IOException e) {
                    if (damaged == null || !archived.contains(seg)) {
                        throw e;
                    }
                    // the records before the damage were delivered; the rest of this segment is unknown
                    LOG.error("archived consent evidence {} (seq {}-{}) is damaged; histories are answered without it, "
                            + "marked incomplete: {}", seg.path(), seg.firstSeq(), seg.lastSeq(), e.getMessage());
                    damaged.add(new DamagedSegment(seg.path(), seg.firstSeq(), seg.lastSeq(), String.valueOf(e.getMessage())));
                }
            }
        } finally {
            segmentsLock.readLock().unlock();
        }
    }

    /**
     * Writes the records with {@code from <= time < to} as JSON lines, one object a line:
     * {@code {"seq","time","action","recipientId","phone","scope","source","channel","text","campaign"}}, plus
     * {@code "sentAt"} when the opt-out was attributed to a campaign's send.
     *
     * @param recipientId one recipient, or {@code -1} for all
     * @return the number of records written
     */
    public long exportJsonLines(Instant from, Instant to, int recipientId, OutputStream out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            return exportJsonLines(from, to, recipientId, g);
        }
    }

    /** As {@link #exportJsonLines(Instant, Instant, int, OutputStream)}, to characters; {@code out} is not closed. */
    public long exportJsonLines(Instant from, Instant to, int recipientId, Writer out) throws IOException {
        try (JsonGenerator g = JSON.createGenerator(out)) {
            return exportJsonLines(from, to, recipientId, g);
        }
    }

    private long exportJsonLines(Instant from, Instant to, int recipientId, JsonGenerator g) throws IOException {
        long[] n = {0};
        g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
        g.setRootValueSeparator(null); // one object a line, no separator of Jackson's own
        scan(recipientId, from, to, r -> {
            writeJson(r, g);
            g.writeRaw('\n');
            n[0]++;
        });
        g.flush();
        return n[0];
    }

    /** Writes one record as a JSON object (no line end). */
    public static void writeJson(ConsentRecord r, JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeNumberField("seq", r.seq());
        g.writeStringField("time", r.time().toString());
        g.writeStringField("action", r.action().label());
        g.writeNumberField("recipientId", r.recipientId());
        g.writeStringField("phone", r.phone());
        g.writeStringField("scope", r.scope().toString());
        g.writeStringField("source", r.evidence().source().label());
        g.writeStringField("channel", r.evidence().channel());
        g.writeStringField("text", r.evidence().rawText());
        g.writeStringField("campaign", r.evidence().campaignId());
        if (r.evidence().sentAt() != null) {
            g.writeStringField("sentAt", r.evidence().sentAt().toString());
        }
        g.writeEndObject();
    }

    /**
     * Deletes archived segments whose newest record is older than the retention period. Active
     * segments are never deleted: the index still needs them.
     *
     * @return the number of segments deleted
     */
    int purgeExpired(Instant now) throws IOException {
        Instant cutoff = now.minus(retention);
        int purged = 0;
        segmentsLock.writeLock().lock();
        try {
            for (WalSegments.Segment seg : WalSegments.list(archiveDir)) {
                WalSegments.Scan scan;
                try {
                    scan = WalSegments.scan(seg.path(), false, (f, l) -> { });
                } catch (CorruptIndexException e) {
                    // evidence that cannot be read is kept for an operator to look at, never purged blindly
                    LOG.error("archived consent evidence is damaged and was kept: {}", e.getMessage());
                    continue;
                }
                // times can be back-dated (imports of older consent), so the newest record decides
                if (scan.records() == 0 || Instant.ofEpochMilli(scan.maxMillis()).isBefore(cutoff)) {
                    Files.delete(seg.path());
                    purged++;
                }
            }
        } finally {
            segmentsLock.writeLock().unlock();
        }
        return purged;
    }
}
