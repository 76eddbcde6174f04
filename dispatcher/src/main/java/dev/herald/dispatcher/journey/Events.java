package dev.herald.dispatcher.journey;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The events of a data directory ({@code POST /v1/events}, issue 16):
 * {@code <data dir>/journeys/events.log}, one JSON line per event (framed and checksummed by the
 * store rule, {@link FramedLog}), in the order they were received; the journey engine reads them
 * back with {@link #scan}.
 *
 * <pre>{@code
 * Events events = Events.open(dataDir.resolve(Events.DIR));
 * List<Events.Outcome> o = events.record(batch);     // durable (fsynced) when it returns
 * o.get(0).duplicate();                              // true for an event id already stored
 * long next = events.scan(0, (offset, e) -> ...);    // every event from the start, in order
 * }</pre>
 *
 * <p><b>Once per id.</b> An event id already stored (or earlier in the same batch) is a retry: it
 * changes nothing, and its outcome carries the event stored first. Events are found by a 64-bit
 * hash of their id ({@link dev.herald.dispatcher.store.HashedOffsets}: the offset of their record, about 27 bytes an event), confirmed
 * by reading the record back; the ids, names and properties stay on disk. The few ids whose hash
 * another id already holds are kept by id.
 *
 * <p><b>Durability.</b> A batch is encoded whole, written with one write and one fsync
 * ({@link FramedLog#appendDurably}), and only then indexed and answered: a failed write cuts the
 * file back, so nothing of the batch is stored and a retry is safe. A record torn by a crash is
 * dropped at the next open; a damaged one refuses the log, naming the file and offset.
 *
 * <p><b>Limit.</b> As every FramedLog opened whole, the log is read at open through one mapping:
 * a log beyond 2 GiB (about 10,000,000 events of 200 bytes) is refused at the next open. Segments
 * or compaction come with the journey engine, which knows which events it still needs.
 *
 * <p>Thread-safety: thread-safe. {@link #record} is serialised (one fsync at a time: a batch is
 * one group commit); {@link #scan} sees the events made durable before it started.
 */
public final class Events implements AutoCloseable {

    /** The directory in the data directory. */
    public static final String DIR = "journeys";
    /** The log's file name. */
    public static final String FILE = "events.log";
    /** JSON_LINE frames, no header; properties are at most {@link EventSettings#MAX_PROPERTIES_BYTES}. */
    public static final LogFormat FORMAT = LogFormat.jsonLines(EventSettings.MAX_PROPERTIES_BYTES + 4096);

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final int MAX_FRAME = FORMAT.maxPayload() + FrameFormat.JSON_TRAILER;

    /**
     * What {@link #record} did with one event.
     *
     * @param event     what is stored for its id: the given one, or for a duplicate the one stored first
     * @param duplicate whether its id was stored already (nothing changed)
     */
    public record Outcome(Event event, boolean duplicate) {
    }

    /** Receives the events of {@link #scan}, in log order. */
    @FunctionalInterface
    public interface Visitor {
        /**
         * @param offset the event's record offset (a later scan from it starts with this event)
         * @param event  the event
         */
        void event(long offset, Event event) throws IOException;
    }

    /** The stored form: one JSON object a line (the frame adds {@code lineCrc32}). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    private record Line(String id, int recipient, String name, long at, long receivedAt, Map<String, Object> properties) {
        static Line of(Event e) {
            return new Line(e.id(), e.recipient(), e.name(), e.atMillis(), e.receivedAtMillis(),
                    e.properties().isEmpty() ? null : e.properties());
        }

        Event event() {
            return new Event(id, recipient, name, at, receivedAt, properties);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(MAX_FRAME);
    /** Where each record is, by its id. */
    private final dev.herald.dispatcher.store.IdOffsets ids;
    private volatile long end;
    private volatile long stored;

    private Events(Path file, FileChannel channel, ToLongFunction<String> hash) {
        this.file = file;
        this.channel = channel;
        // small at first, grown by doubling as ids come: a cluster node opens one per partition, and 64
        // tables sized for 65,536 ids each held 256 MB of heap before any id came
        this.ids = new dev.herald.dispatcher.store.IdOffsets(1 << 10, hash);
    }

    /**
     * Opens (creating if missing) {@code <dir>/events.log} and indexes its event ids.
     *
     * @param dir {@code <data dir>/journeys}
     * @return the events
     * @throws DamagedStoreException naming the file and offset if a record is damaged (nothing is changed)
     * @throws IOException if it cannot be read or written
     */
    public static Events open(Path dir) throws IOException {
        return open(dir, dev.herald.dispatcher.store.HashedOffsets::hash);
    }

    /** {@link #open(Path)} with another hash of event ids (tests: colliding ones). */
    static Events open(Path dir, ToLongFunction<String> hash) throws IOException {
        Path file = dir.resolve(FILE);
        Files.createDirectories(dir);
        if (!Files.exists(file)) {
            FramedLog.create(file, ByteBuffer.allocate(0));
        }
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            Events events = new Events(file, ch, hash);
            FramedLog.Scan scan = FramedLog.scan(file, FramedLog.map(file, ch), FORMAT,
                    (data, at, p, n) -> events.replay(decode(file, at, data, p, n), at));
            FramedLog.dropTornTail(file, ch, scan);
            ch.position(scan.end());
            events.end = scan.end();
            return events;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Checks the log without changing it (for {@code herald data check}).
     *
     * @param dir {@code <data dir>/journeys}
     * @throws java.nio.file.NoSuchFileException if there is no log
     */
    public static VerifyResult verify(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        return FramedLog.verify(file, FORMAT, (data, at, p, n) -> decode(file, at, data, p, n));
    }

    private static Event decode(Path file, long at, ByteBuffer data, int p, int n) throws DamagedStoreException {
        byte[] object = new byte[n + 1];
        data.get(p, object, 0, n);
        object[n] = '}';
        return decode(file, at, object);
    }

    private static Event decode(Path file, long at, byte[] object) throws DamagedStoreException {
        try {
            return JSON.readValue(object, Line.class).event();
        } catch (IOException | RuntimeException e) {
            throw new DamagedStoreException(file, at, "not an event record: " + e.getMessage(), e);
        }
    }

    private void replay(Event e, long offset) throws IOException {
        if (find(e.id()).isPresent()) {
            return; // never written by this class; were it, the first record of an id is the one that counts
        }
        index(e, offset);
    }

    /**
     * Stores each event of {@code batch} whose id is new, durably.
     *
     * @param batch events in the caller's order
     * @return one outcome per event, in the same order
     * @throws IOException if the batch could not be made durable: then nothing of it is stored
     * @throws IllegalArgumentException if an event's record is longer than the log's frame limit
     */
    public synchronized List<Outcome> record(List<Event> batch) throws IOException {
        if (!channel.isOpen()) {
            throw new IllegalStateException("events are closed");
        }
        List<Event> fresh = new ArrayList<>();
        List<Outcome> out = dev.herald.dispatcher.store.JsonLineBatch.dedupe(batch, Event::id, this::find, Outcome::new, fresh);
        List<byte[]> encoded = new ArrayList<>(fresh.size());
        for (Event e : fresh) {
            encoded.add(JSON.writeValueAsBytes(Line.of(e)));
        }
        if (fresh.isEmpty()) {
            return out;
        }
        long[] offsets = dev.herald.dispatcher.store.JsonLineBatch.appendDurably(channel, end, encoded, FORMAT.maxPayload());
        long bytes = dev.herald.dispatcher.store.JsonLineBatch.framedLength(encoded);
        for (int i = 0; i < fresh.size(); i++) {
            index(fresh.get(i), offsets[i]);
        }
        end += bytes;
        return out;
    }

    /**
     * @param id an event id
     * @return its stored event, if any
     * @throws IOException if its record cannot be read back
     */
    public synchronized Optional<Event> find(String id) throws IOException {
        return ids.find(id, this::readAt, Event::id);
    }

    /**
     * @param offset an offset {@link #scan} gave with an event
     * @return the event stored there
     * @throws DamagedStoreException if no whole event record starts there
     * @throws IOException if it cannot be read
     */
    public synchronized Event at(long offset) throws IOException {
        if (offset < 0 || offset >= end) {
            throw new IllegalArgumentException("offset " + offset + " is outside the log (0-" + end + ")");
        }
        return readAt(offset);
    }

    private void index(Event e, long offset) {
        ids.put(e.id(), offset);
        stored = stored + 1; // only under this object's lock
    }

    private Event readAt(long offset) throws IOException {
        ByteBuffer b = readBuffer.clear();
        while (b.hasRemaining()) {
            if (channel.read(b, offset + b.position()) < 0 || indexOf(b, (byte) '\n') >= 0) {
                break;
            }
        }
        int nl = indexOf(b, (byte) '\n');
        if (nl < 0) {
            throw new DamagedStoreException(file, offset, "no whole event record at this offset");
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
     * Reads the events stored from {@code fromOffset} on, in the order they were stored (each frame
     * checked again): the journey engine's way to follow the log.
     *
     * @param fromOffset 0, or an offset a visitor was given, or what an earlier scan returned
     * @param visitor    receives each event with its offset
     * @return the offset after the last event read: the {@code fromOffset} of the next scan
     * @throws IllegalArgumentException if {@code fromOffset} is not the start of a record (nor the end)
     * @throws DamagedStoreException    if a record is damaged
     * @throws IOException              if the log cannot be read, or what the visitor throws
     */
    public long scan(long fromOffset, Visitor visitor) throws IOException {
        // events made durable so far; later ones are the next scan's
        return dev.herald.dispatcher.store.JsonLineScan.scan(file, fromOffset, end, FORMAT, "an event",
                (offset, data, payload, len) -> visitor.event(offset, decode(file, offset, data, payload, len)));
    }

    /**
     * Blanks the properties of the events of the recipients {@code erased} holds (an erasure): each
     * such record is rewritten to the same length, its {@code properties} removed and the object
     * padded with spaces before its checksum, so every record keeps its offset (the RFM follower and
     * the journeys keep offsets into this log) and its id, recipient, name and times. Everyone else's
     * records stay byte for byte ({@link dev.herald.dispatcher.store.LogRewrite}: atomic, nothing
     * written when nothing changes). Run it only where no one appends to the log (the compaction).
     *
     * @param file {@code <data dir>/journeys/events.log}
     * @throws DamagedStoreException naming the file and offset if it is damaged (left as it is)
     * @throws IOException if it cannot be read or written
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, FORMAT, (d, p, n) -> {
            byte[] object = new byte[n + 1];
            d.get(p, object, 0, n);
            object[n] = '}';
            Line line = JSON.readValue(object, Line.class);
            if (line.properties() == null || !erased.test(line.recipient())) {
                return dev.herald.dispatcher.store.LogRewrite.KEEP;
            }
            byte[] bare = JSON.writeValueAsBytes(new Line(line.id(), line.recipient(), line.name(), line.at(),
                    line.receivedAt(), null));
            if (bare.length > object.length) {
                throw new IllegalStateException(file + ": an event without its properties is longer than with them");
            }
            byte[] padded = java.util.Arrays.copyOf(bare, object.length);
            java.util.Arrays.fill(padded, bare.length - 1, padded.length - 1, (byte) ' ');
            padded[padded.length - 1] = '}';
            return padded;
        });
    }

    /** @return the events stored (each id once) */
    public long size() {
        return stored;
    }

    /** @return the offset after the last event stored */
    public long end() {
        return end;
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
        return "Events[" + file + "]";
    }
}
