package dev.herald.dispatcher.funnel;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The conversions of a data directory: {@code <data dir>/funnel/conversions.log}, one JSON line
 * per order (framed and checksummed by the store rule, {@link FramedLog}), and what the funnel
 * reads of them per campaign ({@link #of}), rebuilt from the log at open.
 *
 * <pre>{@code
 * Conversions conversions = Conversions.open(dataDir.resolve(Conversions.DIR));
 * List<Conversions.Outcome> o = conversions.record(batch);   // durable (fsynced) when it returns
 * o.get(0).duplicate();                                      // true for an order id already stored
 * conversions.of("spring-sale").valueByCurrency();           // {EUR=1234.5}
 * }</pre>
 *
 * <p><b>Once per order.</b> An order id already stored (or earlier in the same batch) is a retry:
 * it changes nothing, and its outcome carries the conversion stored first, whose attribution the
 * caller answers again. Orders are found by a 64-bit hash of their id ({@link dev.herald.dispatcher.store.HashedOffsets}: the
 * offset of their record), confirmed by reading the record back; the ids themselves stay on disk.
 * The few ids whose hash another id already holds are kept by id.
 *
 * <p><b>Durability.</b> A batch is encoded whole, written with one write and one fsync
 * ({@link FramedLog#appendDurably}), and only then counted and answered: a failed write cuts the
 * file back, so nothing of the batch is stored and a retry is safe. A record torn by a crash is
 * dropped and reported at the next open; a damaged one refuses the log, naming the offset.
 *
 * <p>Thread-safety: thread-safe. {@link #record} is serialised (one fsync at a time: a batch is
 * one group commit); {@link #of} does not wait for a write's fsync.
 */
public final class Conversions implements AutoCloseable {

    /** The directory in the data directory. */
    public static final String DIR = "funnel";
    /** The log's file name. */
    public static final String FILE = "conversions.log";
    /** JSON_LINE frames, no header; a record is well under 1 KiB (an order id is at most 128 characters). */
    public static final LogFormat FORMAT = LogFormat.jsonLines(4096);

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int MAX_FRAME = FORMAT.maxPayload() + FrameFormat.JSON_TRAILER;

    /**
     * What {@link #record} did with one conversion.
     *
     * @param conversion what is stored for its order: the given one, or for a duplicate the one stored first
     * @param duplicate  whether its order id was stored already (nothing changed)
     */
    public record Outcome(Conversion conversion, boolean duplicate) {
    }

    /** The stored form: one JSON object a line (the frame adds {@code lineCrc32}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Line(String orderId, int recipient, String campaign, String source, String value, String currency,
                        long occurredAt, long receivedAt) {
        static Line of(Conversion c) {
            return new Line(c.orderId(), c.recipient(), c.campaignId(), c.source().label(), c.value().toPlainString(),
                    c.currency(), c.occurredAtMillis(), c.receivedAtMillis());
        }

        Conversion conversion() {
            return new Conversion(orderId, recipient, campaign, Attribution.Source.parse(source), new BigDecimal(value), currency,
                    occurredAt, receivedAt);
        }
    }

    /** One campaign's (or the unattributed) conversions. Guarded by {@code aggregates}. */
    private static final class Aggregate {
        final MutableRoaringBitmap recipients = new MutableRoaringBitmap();
        final Map<String, BigDecimal> values = new HashMap<>();
        long count;

        void add(Conversion c) {
            recipients.add(c.recipient());
            values.merge(c.currency(), c.value(), BigDecimal::add);
            count++;
        }

        CampaignConversions snapshot() {
            return new CampaignConversions(count, recipients.clone(), values);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(MAX_FRAME);
    /** Guards the aggregates (not the log: {@link #of} never waits for an fsync). */
    private final Object aggregates = new Object();
    private final Map<String, Aggregate> byCampaign = new HashMap<>();
    private final Aggregate unattributed = new Aggregate();
    /** The offset after the last durable record; written under this object's lock, read by {@link #scan}. */
    private volatile long end;
    private long stored;

    /** Where each record is, by its id. */
    private final dev.herald.dispatcher.store.IdOffsets orders;

    private Conversions(Path file, FileChannel channel, java.util.function.ToLongFunction<String> hash) {
        this.file = file;
        this.channel = channel;
        // small at first, grown by doubling as ids come: a cluster node opens one per partition, and 64
        // tables sized for 65,536 ids each held 256 MB of heap before any id came
        this.orders = new dev.herald.dispatcher.store.IdOffsets(1 << 10, hash);
    }

    /**
     * Opens (creating if missing) {@code <dir>/conversions.log} and replays it.
     *
     * @param dir {@code <data dir>/funnel}
     * @return the conversions
     * @throws DamagedStoreException naming the file and offset if a record is damaged (nothing is changed)
     * @throws IOException if it cannot be read or written
     */
    public static Conversions open(Path dir) throws IOException {
        return open(dir, dev.herald.dispatcher.store.HashedOffsets::hash);
    }

    /** {@link #open(Path)} with another hash of order ids (tests: colliding ones). */
    static Conversions open(Path dir, java.util.function.ToLongFunction<String> hash) throws IOException {
        Path file = dir.resolve(FILE);
        Files.createDirectories(dir);
        if (!Files.exists(file)) {
            FramedLog.create(file, ByteBuffer.allocate(0));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            Conversions c = new Conversions(file, ch, hash);
            FramedLog.Scan scan = FramedLog.scan(file, FramedLog.map(file, ch), FORMAT, (data, at, p, n) -> {
                byte[] object = new byte[n + 1];
                data.get(p, object, 0, n);
                object[n] = '}';
                c.replay(decode(file, at, object), at);
            });
            FramedLog.dropTornTail(file, ch, scan);
            ch.position(scan.end());
            c.end = scan.end();
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Checks the log without changing it (for {@code herald data check}).
     *
     * @param dir {@code <data dir>/funnel}
     * @throws java.nio.file.NoSuchFileException if there is no log
     */
    public static VerifyResult verify(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        return FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] object = new byte[n + 1];
            data.get(p, object, 0, n);
            object[n] = '}';
            decode(file, at, object);
        });
    }

    private static Conversion decode(Path file, long at, byte[] object) throws DamagedStoreException {
        try {
            return JSON.readValue(object, Line.class).conversion();
        } catch (IOException | RuntimeException e) {
            throw new DamagedStoreException(file, at, "not a conversion record: " + e.getMessage(), e);
        }
    }

    private void replay(Conversion c, long offset) throws IOException {
        if (find(c.orderId()).isPresent()) {
            return; // never written by this class; were it, the first record of an order is the one that counts
        }
        index(c, offset);
        count(c);
    }

    /**
     * Stores each conversion of {@code batch} whose order id is new, durably, and counts it.
     *
     * @param batch conversions in the caller's order
     * @return one outcome per conversion, in the same order
     * @throws IOException if the batch could not be made durable: then nothing of it is stored
     */
    public synchronized List<Outcome> record(List<Conversion> batch) throws IOException {
        if (!channel.isOpen()) {
            throw new IllegalStateException("conversions are closed");
        }
        List<Conversion> fresh = new ArrayList<>();
        List<Outcome> out = dev.herald.dispatcher.store.JsonLineBatch.dedupe(batch, Conversion::orderId, this::find,
                Outcome::new, fresh);
        List<byte[]> encoded = new ArrayList<>(fresh.size());
        for (Conversion c : fresh) {
            encoded.add(JSON.writeValueAsBytes(Line.of(c)));
        }
        if (fresh.isEmpty()) {
            return out;
        }
        long[] offsets = dev.herald.dispatcher.store.JsonLineBatch.appendDurably(channel, end, encoded, FORMAT.maxPayload());
        long bytes = dev.herald.dispatcher.store.JsonLineBatch.framedLength(encoded);
        end += bytes;
        for (int i = 0; i < fresh.size(); i++) {
            index(fresh.get(i), offsets[i]);
            count(fresh.get(i));
        }
        return out;
    }

    /**
     * @param orderId an order id
     * @return its stored conversion, if any
     * @throws IOException if its record cannot be read back
     */
    public synchronized Optional<Conversion> find(String orderId) throws IOException {
        return orders.find(orderId, this::readAt, Conversion::orderId);
    }

    private void index(Conversion c, long offset) {
        orders.put(c.orderId(), offset);
    }

    private void count(Conversion c) {
        synchronized (aggregates) {
            (c.campaignId() == null ? unattributed : byCampaign.computeIfAbsent(c.campaignId(), k -> new Aggregate())).add(c);
            stored++;
        }
    }

    private Conversion readAt(long offset) throws IOException {
        ByteBuffer b = readBuffer.clear();
        while (b.hasRemaining()) {
            if (channel.read(b, offset + b.position()) < 0) {
                break;
            }
            if (indexOf(b, (byte) '\n') >= 0) {
                break;
            }
        }
        int nl = indexOf(b, (byte) '\n');
        if (nl < 0) {
            throw new DamagedStoreException(file, offset, "no whole conversion record at this offset");
        }
        byte[] line = new byte[nl];
        b.get(0, line);
        return decode(file, offset, line); // the whole line is one JSON object (its lineCrc32 member ignored)
    }

    private static int indexOf(ByteBuffer b, byte x) {
        for (int i = 0; i < b.position(); i++) {
            if (b.get(i) == x) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A recipient's conversions attributed to a campaign, read from the log (a scan of the file: for
     * one recipient's view, not for reports).
     *
     * @param campaignId the campaign
     * @param recipient  the recipient
     * @return its conversions, oldest first
     * @throws IOException if the log cannot be read
     */
    public List<Conversion> ofRecipient(String campaignId, int recipient) throws IOException {
        List<Conversion> out = new ArrayList<>();
        FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] object = new byte[n + 1];
            data.get(p, object, 0, n);
            object[n] = '}';
            Conversion c = decode(file, at, object);
            if (c.recipient() == recipient && campaignId.equals(c.campaignId())) {
                out.add(c);
            }
        });
        return out;
    }

    /** Receives each conversion {@link #scan} reads, with the offset of its record. */
    @FunctionalInterface
    public interface Visitor {
        void conversion(long offset, Conversion c) throws IOException;
    }

    /**
     * Reads the conversions stored from {@code fromOffset} on, in the order they were stored (each
     * frame checked again): how the RFM feed follows the log.
     *
     * @param fromOffset 0, an offset a visitor was given, or what an earlier scan returned
     * @return the offset after the last conversion read: the {@code fromOffset} of the next scan
     * @throws IllegalArgumentException if {@code fromOffset} is outside the log or not the start of a record
     * @throws DamagedStoreException    if a record is damaged
     * @throws IOException              if the log cannot be read, or what the visitor throws
     */
    public long scan(long fromOffset, Visitor visitor) throws IOException {
        // conversions made durable so far; later ones are the next scan's
        return dev.herald.dispatcher.store.JsonLineScan.scan(file, fromOffset, end, FORMAT, "a conversion",
                (offset, data, payload, len) -> {
                    byte[] object = new byte[len + 1];
                    data.get(payload, object, 0, len);
                    object[len] = '}';
                    visitor.conversion(offset, decode(file, offset, object));
                });
    }

    /** @return the offset after the last conversion stored */
    public long end() {
        return end;
    }

    /**
     * @param campaignId a campaign
     * @return what it converted so far (a snapshot; {@link CampaignConversions#EMPTY} if nothing)
     */
    public CampaignConversions of(String campaignId) {
        synchronized (aggregates) {
            Aggregate a = byCampaign.get(campaignId);
            return a == null ? CampaignConversions.EMPTY : a.snapshot();
        }
    }

    /** @return the conversions attributed to no campaign (a snapshot) */
    public CampaignConversions unattributed() {
        synchronized (aggregates) {
            return unattributed.count == 0 ? CampaignConversions.EMPTY : unattributed.snapshot();
        }
    }

    /** @return the orders stored */
    public long size() {
        synchronized (aggregates) {
            return stored;
        }
    }

    /** @return the log file */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "Conversions[" + file + "]";
    }
}
