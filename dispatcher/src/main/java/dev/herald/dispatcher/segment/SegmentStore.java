package dev.herald.dispatcher.segment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named audience segments: a recipient-id bitmap and a small JSON meta per segment, stored under
 * {@code <dataDir>/segments/}.
 *
 * <pre>{@code
 * SegmentStore segments = SegmentStore.open(dataDir);
 * segments.put("vip", ids, lines, rejected);
 * Optional<SegmentStore.Segment> vip = segments.get("vip");
 * }</pre>
 *
 * <p>Files: {@code <name>.json} (the meta; it names the bitmap file, its length and CRC-32; the meta
 * itself is one checksummed JSON line, a {@code crc32} member last, refused by {@link
 * DamagedStoreException} naming the file when its checksum fails; metas of earlier versions are
 * migrated on open; {@link #verifyMeta} checks one without changing it) and
 * {@code <name>.<random>.roaring} (the portable RoaringBitmap serialisation). Invariant: a segment
 * exists exactly when its meta file does, and a meta only ever names a bitmap that was completely
 * written and fsynced before the meta was renamed into place. So a put is atomic (a crash leaves
 * the old segment or the new one, never a mix) and replacing a segment is atomic too; files that
 * no meta names (a crash mid-put or mid-delete) are removed by {@link #open}.
 *
 * <p>Names: 1–64 characters of {@code [A-Za-z0-9_-]}, not starting with {@code -} (so that a name can
 * be written in a {@link SegmentExpression}, where a leading {@code -} is the and-not operator). Names
 * are case-sensitive; on a case-insensitive file system {@code VIP} and {@code vip} would collide.
 * A name {@code <namespace>:<name>} (e.g. {@code rfm:at-risk}, {@code lifecycle:dormant}) is a
 * segment Herald computes ({@link Computed}): read like the others, never stored or deleted here.
 *
 * <p>Thread-safety: safe from any number of threads; reads run concurrently, writes (put, delete)
 * are serialised with each other and with reads by a read-write lock. One process at a time.
 */
public final class SegmentStore {

    /** Subdirectory of the data directory. */
    public static final String DIR = "segments";
    /** Longest segment name. */
    public static final int MAX_NAME_LENGTH = 64;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0," + (MAX_NAME_LENGTH - 1) + "}");
    /** A segment Herald computes: {@code <namespace>:<name>}, e.g. {@code rfm:at-risk}; never uploaded. */
    private static final Pattern COMPUTED = Pattern.compile("[a-z][a-z0-9-]{0,15}:[A-Za-z0-9_][A-Za-z0-9_-]{0," + (MAX_NAME_LENGTH - 1) + "}");
    private static final String META_SUFFIX = ".json";
    private static final String BITMAP_SUFFIX = ".roaring";
    private static final String TMP_SUFFIX = ".tmp";
    private static final Logger LOG = LoggerFactory.getLogger(SegmentStore.class);

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /**
     * What is known about a segment without loading its bitmap.
     *
     * @param name      the segment's name
     * @param size      recipients in it (ids)
     * @param lines     data lines of the upload it came from
     * @param rejected  lines of that upload that were rejected
     * @param createdAt when it was stored
     * @param fields    the personal fields its upload's rows had (the CSV columns besides phone, tz
     *                  and locale), or null when not recorded (segments stored before fields were kept)
     */
    public record Meta(String name, long size, long lines, long rejected, Instant createdAt, List<String> fields) {
    }

    /**
     * A segment whose files cannot be used, as listed.
     *
     * @param name  the segment's name
     * @param file  its meta file, relative to the data directory ({@code segments/vip.json})
     * @param error what is wrong, naming the file (relative to the data directory)
     */
    public record Damaged(String name, String file, String error) {
    }

    /**
     * Every segment, by name.
     *
     * @param segments the usable ones
     * @param damaged  those whose meta cannot be read
     */
    public record Listing(List<Meta> segments, List<Damaged> damaged) {
    }

    /** A segment: its meta and its ids. */
    public record Segment(Meta meta, ImmutableRoaringBitmap ids) {
    }

    /** The stored meta file: the meta plus where its bitmap is and how to check it. */
    private record Stored(String name, long size, long lines, long rejected, Instant createdAt,
                          String bitmapFile, long bitmapBytes, long crc32, List<String> fields) {
        Meta meta() {
            return new Meta(name, size, lines, rejected, createdAt, fields);
        }
    }

    /**
     * Segments Herald computes rather than stores from uploads, named {@code <namespace>:<name>}
     * (e.g. {@code rfm:at-risk}, {@code lifecycle:dormant}); {@link #get} and {@link #meta} answer
     * them through this. Thread-safe.
     */
    public interface Computed {
        /**
         * @param name a computed segment's name ({@code <namespace>:<name>})
         * @return the segment, or empty if no such namespace is served
         * @throws SegmentExpression.UnknownSegmentsException naming it if the namespace is served but
         *     has no such segment, or it is not computed yet (the message says why)
         * @throws IOException if it cannot be read
         */
        Optional<Segment> get(String name) throws IOException;

        /** @return a number that grows whenever any computed segment changes */
        long version();
    }

    private final Path dir;
    private final Clock clock;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile Computed computed;
    /** Grows with every put and delete (caches of resolved segments compare it). */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    private SegmentStore(Path dir, Clock clock) {
        this.dir = dir;
        this.clock = clock;
    }

    /**
     * The segments of {@code dataDir} for reading only ({@code herald data check}): nothing is
     * created or cleaned up; do not {@link #put} or {@link #delete} through it.
     */
    public static SegmentStore readOnly(Path dataDir) {
        return new SegmentStore(Objects.requireNonNull(dataDir, "dataDir").resolve(DIR), Clock.systemUTC());
    }

    /** As {@link #open(Path, Clock)} with the system clock. */
    public static SegmentStore open(Path dataDir) throws IOException {
        return open(dataDir, Clock.systemUTC());
    }

    /**
     * Opens (creating if needed) the segments of {@code dataDir} and removes leftovers of
     * interrupted writes: temporary files and bitmaps that no meta names.
     *
     * @throws IOException if the directory cannot be created or listed, or a meta is damaged (naming the file)
     */
    public static SegmentStore open(Path dataDir, Clock clock) throws IOException {
        Path dir = Objects.requireNonNull(dataDir, "dataDir").resolve(DIR);
        Files.createDirectories(dir);
        SegmentStore store = new SegmentStore(dir, Objects.requireNonNull(clock, "clock"));
        store.removeLeftovers();
        store.migrateLegacyMetas();
        return store;
    }

    /** The meta file format: one JSON_LINE frame (the meta object with a {@code crc32} member last). */
    static final LogFormat META_FORMAT = LogFormat.jsonLines(1 << 20);

    /**
     * Checks one meta file ({@code segments/<name>.json}) without changing it: its checksum (a
     * meta of earlier versions, without one, is reported clean: it is migrated on open) and that
     * it is one whole record.
     *
     * @throws NoSuchFileException if it does not exist
     */
    public static VerifyResult verifyMeta(Path metaFile) throws IOException {
        byte[] bytes = Files.readAllBytes(metaFile);
        try {
            metaPayload(metaFile, bytes);
            return VerifyResult.clean(metaFile, 1);
        } catch (DamagedStoreException e) {
            return VerifyResult.damaged(metaFile, 0, e);
        }
    }

    /** Whether {@code bytes} are a meta as earlier versions wrote it: plain JSON, no checksum. */
    private static boolean isLegacyMeta(byte[] bytes) {
        int n = bytes.length;
        return n > 0 && bytes[0] == '{' && bytes[n - 1] == '}';
    }

    /**
     * The meta object's JSON: a legacy meta as it is, a framed one checked by the store rule. A meta
     * is written aside and renamed into place, so an incomplete frame is damage here too.
     *
     * @throws DamagedStoreException naming the file and offset
     */
    private static byte[] metaPayload(Path file, byte[] bytes) throws IOException {
        if (isLegacyMeta(bytes)) {
            return bytes;
        }
        byte[][] payload = new byte[1][];
        FramedLog.Scan scan = FramedLog.scan(file, ByteBuffer.wrap(bytes), META_FORMAT, (data, at, p, n) -> {
            if (payload[0] != null) {
                throw new DamagedStoreException(file, at, "a second record in a segment meta");
            }
            payload[0] = new byte[n + 1];
            data.get(p, payload[0], 0, n);
            payload[0][n] = '}';
        });
        if (scan.tornBytes() > 0 || payload[0] == null) {
            throw new DamagedStoreException(file, scan.end(), "the meta is incomplete (" + bytes.length + " bytes)");
        }
        return payload[0];
    }

    private static byte[] framedMeta(Stored stored) throws IOException {
        byte[] json = JSON.writeValueAsBytes(stored);
        ByteBuffer b = ByteBuffer.allocate(json.length + FrameFormat.JSON_TRAILER);
        FrameFormat.putJsonLine(b, json, json.length);
        return Arrays.copyOf(b.array(), b.position());
    }

    /**
     * Rewrites metas of earlier versions (no checksum) in the framed format: aside, fsynced, renamed,
     * with an INFO line naming each. A meta that cannot be read is left for the read to report.
     */
    private void migrateLegacyMetas() throws IOException {
        lock.writeLock().lock();
        try {
            for (String name : storedNames()) {
                Path meta = metaFile(name);
                if (!isLegacyMeta(Files.readAllBytes(meta))) {
                    continue;
                }
                Optional<Stored> stored;
                try {
                    stored = readStored(name);
                } catch (IOException e) {
                    continue;
                }
                if (stored.isPresent()) {
                    Path tmp = meta.resolveSibling(meta.getFileName() + TMP_SUFFIX);
                    writeDurably(tmp, ByteBuffer.wrap(framedMeta(stored.get())));
                    moveAtomically(tmp, meta);
                    fsyncDirectory();
                    LOG.info("{}: migrated to a checksummed segment meta", meta);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Serves the computed segments ({@code <namespace>:<name>}) through {@code c}; null: none. */
    public void computed(Computed c) {
        this.computed = c;
    }

    /**
     * @return a number that grows whenever a segment {@link #get} would answer changes (a put, a
     *     delete, a recompute of computed ones): a cache of resolved segments is valid while it stays
     */
    public long generation() {
        Computed c = computed;
        return changes.get() + (c == null ? 0 : c.version());
    }

    /** @return whether {@code name} is a computed segment's ({@code <namespace>:<name>}), not an uploaded one's */
    public static boolean isComputedName(String name) {
        return name != null && COMPUTED.matcher(name).matches();
    }

    /** @return the directory the segments are stored in */
    public Path directory() {
        return dir;
    }

    /**
     * @param name a candidate segment name
     * @return true if it is a valid segment name
     */
    public static boolean isValidName(String name) {
        return name != null && (NAME.matcher(name).matches() || COMPUTED.matcher(name).matches());
    }

    /**
     * @return {@code name}
     * @throws IllegalArgumentException naming it, if it is not a valid segment name
     */
    public static String checkName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("invalid segment name " + (name == null ? "null" : "'" + name + "'")
                    + ": a name is 1-" + MAX_NAME_LENGTH + " characters of A-Z, a-z, 0-9, '_' and '-', not starting with '-'");
        }
        return name;
    }

    /**
     * @return {@code name}
     * @throws IllegalArgumentException naming it, if it is not a valid name for an uploaded segment
     *     (a computed segment's name, {@code <namespace>:<name>}, is refused: Herald computes those)
     */
    public static String checkUploadable(String name) {
        if (isComputedName(name)) {
            throw new IllegalArgumentException("segment '" + name + "' is computed by Herald (a name with ':'); it cannot be"
                    + " stored or deleted");
        }
        return checkName(name);
    }

    /**
     * Stores {@code ids} as segment {@code name}, atomically replacing any segment of that name.
     * Returns once the segment is durable (fsynced).
     *
     * @param lines    data lines of the upload (for the meta)
     * @param rejected rejected lines of the upload (for the meta)
     * @return the stored meta
     * @throws IllegalArgumentException if the name is invalid or a count negative
     * @throws IOException              if it cannot be written (then the previous segment, if any, is intact)
     */
    public Meta put(String name, ImmutableRoaringBitmap ids, long lines, long rejected) throws IOException {
        return put(name, ids, lines, rejected, null);
    }

    /**
     * As {@link #put(String, ImmutableRoaringBitmap, long, long)}, recording the personal fields the
     * upload's rows had (for checking a campaign's template against them).
     *
     * @param fields the field names, or null if not known
     */
    public Meta put(String name, ImmutableRoaringBitmap ids, long lines, long rejected, List<String> fields) throws IOException {
        checkUploadable(name);
        Objects.requireNonNull(ids, "ids");
        if (lines < 0 || rejected < 0) {
            throw new IllegalArgumentException("lines and rejected must be >= 0, got " + lines + " and " + rejected);
        }
        MutableRoaringBitmap compact = ids.toMutableRoaringBitmap();
        compact.runOptimize();
        int bytes = compact.serializedSizeInBytes();
        ByteBuffer buffer = ByteBuffer.allocate(bytes);
        compact.serialize(buffer);
        buffer.flip();
        CRC32 crc = new CRC32();
        crc.update(buffer.duplicate());

        String bitmapFile = name + "." + UUID.randomUUID().toString().replace("-", "") + BITMAP_SUFFIX;
        Stored stored = new Stored(name, compact.getLongCardinality(), lines, rejected, clock.instant(),
                bitmapFile, bytes, crc.getValue(), fields == null ? null : List.copyOf(fields));

        lock.writeLock().lock();
        try {
            Optional<Stored> previous = readStored(name);
            writeDurably(dir.resolve(bitmapFile), buffer);
            Path meta = metaFile(name);
            Path tmp = meta.resolveSibling(meta.getFileName() + TMP_SUFFIX);
            try {
                writeDurably(tmp, ByteBuffer.wrap(framedMeta(stored)));
                moveAtomically(tmp, meta);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                Files.deleteIfExists(dir.resolve(bitmapFile));
                throw e;
            }
            fsyncDirectory();
            // the old bitmap is unreachable now; a crash before this line leaves it to open() to remove
            changes.incrementAndGet();
            if (previous.isPresent() && !previous.get().bitmapFile().equals(bitmapFile)) {
                Files.deleteIfExists(dir.resolve(previous.get().bitmapFile()));
            }
            return stored.meta();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * @return the segment with its ids, or empty if there is none of that name
     * @throws IllegalArgumentException if the name is invalid
     * @throws DamagedSegmentException  if its files are damaged or unreadable (naming the file)
     */
    public Optional<Segment> get(String name) throws IOException {
        checkName(name);
        if (isComputedName(name)) {
            Computed c = computed;
            return c == null ? Optional.empty() : c.get(name);
        }
        lock.readLock().lock();
        try {
            Optional<Stored> stored = readStored(name);
            if (stored.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Segment(stored.get().meta(), readBitmap(stored.get())));
        } catch (IOException e) {
            throw damaged(name, e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * @return the segment's meta, or empty if there is none of that name
     * @throws IllegalArgumentException if the name is invalid
     * @throws DamagedSegmentException  if its meta is damaged or unreadable (naming the file)
     */
    public Optional<Meta> meta(String name) throws IOException {
        checkName(name);
        if (isComputedName(name)) {
            Computed c = computed;
            return c == null ? Optional.empty() : c.get(name).map(Segment::meta);
        }
        lock.readLock().lock();
        try {
            return readStored(name).map(Stored::meta);
        } catch (IOException e) {
            throw damaged(name, e);
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * @return the metas of all usable segments, by name; damaged ones are left out (see {@link #listing()})
     * @throws IOException if the directory cannot be listed
     */
    public List<Meta> list() throws IOException {
        return listing().segments();
    }

    /**
     * One damaged segment never hides the others: each meta that cannot be read is listed as
     * {@link Damaged} (and logged, naming the file), the rest as usual.
     *
     * @return every segment, by name
     * @throws IOException if the directory cannot be listed
     */
    public Listing listing() throws IOException {
        lock.readLock().lock();
        try {
            List<Meta> metas = new ArrayList<>();
            List<Damaged> damaged = new ArrayList<>();
            for (String name : storedNames()) {
                try {
                    readStored(name).ifPresent(s -> metas.add(s.meta()));
                } catch (IOException e) {
                    DamagedSegmentException d = damaged(name, e);
                    LOG.error("segment {} is damaged, the others are listed: {}", name, e.getMessage());
                    damaged.add(new Damaged(name, DIR + "/" + metaFile(name).getFileName(), d.getMessage()));
                }
            }
            metas.sort(Comparator.comparing(Meta::name));
            damaged.sort(Comparator.comparing(Damaged::name));
            return new Listing(metas, damaged);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** {@code e} as a {@link DamagedSegmentException} whose message names files relative to the data directory. */
    private DamagedSegmentException damaged(String name, IOException e) {
        if (e instanceof DamagedSegmentException d) {
            return d;
        }
        String message = String.valueOf(e.getMessage()).replace(dir + java.io.File.separator, DIR + "/");
        return new DamagedSegmentException(name, message, e);
    }

    /**
     * Deletes a segment: the meta first (from then on it does not exist), then its bitmap.
     *
     * @return true if it existed
     * @throws IllegalArgumentException if the name is invalid
     * @throws IOException              if it cannot be deleted
     */
    public boolean delete(String name) throws IOException {
        checkUploadable(name);
        lock.writeLock().lock();
        try {
            Optional<String> bitmapFile;
            try {
                bitmapFile = readStored(name).map(Stored::bitmapFile);
            } catch (IOException damaged) {
                bitmapFile = Optional.empty(); // a damaged segment can still be deleted; open() sweeps its bitmap
            }
            if (!Files.deleteIfExists(metaFile(name))) {
                return false;
            }
            changes.incrementAndGet();
            fsyncDirectory();
            if (bitmapFile.isPresent()) {
                Files.deleteIfExists(dir.resolve(bitmapFile.get()));
            }
            return true;
        } finally {
            lock.writeLock().unlock();
        }
    }

    private Path metaFile(String name) {
        return dir.resolve(name + META_SUFFIX);
    }

    private List<String> storedNames() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + META_SUFFIX)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                String name = file.substring(0, file.length() - META_SUFFIX.length());
                if (NAME.matcher(name).matches()) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private Optional<Stored> readStored(String name) throws IOException {
        Path file = metaFile(name);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Stored s;
        try {
            s = JSON.readValue(metaPayload(file, bytes), Stored.class);
        } catch (DamagedStoreException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("damaged segment meta " + file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (s == null || !name.equals(s.name()) || s.createdAt() == null || s.bitmapFile() == null
                || !s.bitmapFile().startsWith(name + ".") || !s.bitmapFile().endsWith(BITMAP_SUFFIX)
                || s.bitmapFile().contains("/") || s.bitmapFile().contains("\\")
                || s.size() < 0 || s.bitmapBytes() < 0 || s.bitmapBytes() > Integer.MAX_VALUE) {
            throw new IOException("damaged segment meta " + file + ": inconsistent fields");
        }
        return Optional.of(s);
    }

    private ImmutableRoaringBitmap readBitmap(Stored s) throws IOException {
        Path file = dir.resolve(s.bitmapFile());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException("damaged segment '" + s.name() + "': bitmap file " + file + " is missing", e);
        }
        if (bytes.length != s.bitmapBytes()) {
            throw new IOException("damaged segment bitmap " + file + ": " + bytes.length + " bytes, expected " + s.bitmapBytes());
        }
        CRC32 crc = new CRC32();
        crc.update(bytes);
        if (crc.getValue() != s.crc32()) {
            throw new IOException("damaged segment bitmap " + file + ": checksum mismatch");
        }
        MutableRoaringBitmap bitmap = new MutableRoaringBitmap();
        try {
            bitmap.deserialize(ByteBuffer.wrap(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IOException("damaged segment bitmap " + file + ": " + e.getMessage(), e);
        }
        if (bitmap.getLongCardinality() != s.size()) {
            throw new IOException("damaged segment bitmap " + file + ": " + bitmap.getLongCardinality()
                    + " ids, the meta says " + s.size());
        }
        return bitmap;
    }

    private void removeLeftovers() throws IOException {
        lock.writeLock().lock();
        try {
            Set<String> referenced = new HashSet<>();
            for (String name : storedNames()) {
                try {
                    readStored(name).ifPresent(s -> referenced.add(s.bitmapFile()));
                } catch (IOException damaged) {
                    // keep everything of a damaged segment for the operator; get() names the file
                    return;
                }
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                for (Path f : files) {
                    String file = f.getFileName().toString();
                    if (file.endsWith(TMP_SUFFIX) || (file.endsWith(BITMAP_SUFFIX) && !referenced.contains(file))) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private static void writeDurably(Path file, ByteBuffer data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = data.duplicate();
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Makes the renames durable; not every platform can open a directory for fsync. */
    private void fsyncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // e.g. Windows: directory fsync is not supported; the rename itself is still atomic
        }
    }

    @Override
    public String toString() {
        return "SegmentStore[" + dir + "]";
    }
}
