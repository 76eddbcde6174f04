package dev.herald.dispatcher.privacy;

import dev.herald.dispatcher.store.LineLog;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The erasures of a data directory, {@code <data dir>/privacy/erasures.log}: which recipients had
 * their personal data erased, when and by whom. The recipient id stays (the directory keeps it under
 * a keyed hash of the number, so suppression by id keeps working); the number itself is kept here
 * only as that hash. The scrub of the logs at each compaction ({@link PersonalDataScrub}) removes
 * the records of every id listed here.
 *
 * <pre>{@code
 * Erasures e = Erasures.open(dataDir);
 * e.record(42, phoneHash, Instant.now(), "key-7");   // durable (fsynced) on return
 * e.erasedIds().contains(42);                         // true, also after a restart
 * }</pre>
 *
 * <p><b>Storage.</b> One checksummed line per erasure ({@link LineLog}):
 * {@code <recipient id> <phone hash, 16 hex digits> <epoch ms> <by>}. A line torn by a crash is
 * dropped and reported at the next open (it was never acknowledged); a damaged line refuses the log
 * with an error naming the file, the line and its offset, and nothing is changed.
 *
 * <p>Thread-safety: thread-safe ({@link #record} and the readers are synchronized); one process owns the file.
 */
public final class Erasures implements AutoCloseable {

    /** The log's path inside the data directory. */
    public static final String FILE = "privacy/erasures.log";
    /** The longest {@code by} accepted, in characters. */
    public static final int MAX_BY = 128;

    /**
     * One erasure.
     *
     * @param recipientId the recipient's id (kept in the directory under the number's keyed hash)
     * @param phoneHash   the keyed hash of the number, as the directory keeps it
     * @param at          when it was erased
     * @param by          who erased it: the API key's id, or {@code cli}
     */
    public record Erasure(int recipientId, long phoneHash, Instant at, String by) {
        /** @return the line stored for it */
        String line() {
            return recipientId + " " + String.format("%016x", phoneHash) + " " + at.toEpochMilli() + " " + by;
        }
    }

    private final Path file;
    /** Null until the first erasure of a data directory that has none (no file is made before). */
    private LineLog log;
    private final List<Erasure> erasures;
    private final MutableRoaringBitmap ids = new MutableRoaringBitmap();

    private Erasures(Path file, LineLog log, List<Erasure> erasures) {
        this.file = file;
        this.log = log;
        this.erasures = erasures;
        erasures.forEach(e -> ids.add(e.recipientId()));
    }

    /**
     * Opens {@code <dataDir>/privacy/erasures.log}; a missing file is created by the first {@link #record}.
     *
     * @throws DamagedStoreException naming the file, line and offset of a damaged line (nothing is changed)
     * @throws IOException naming the file and line of a line that is not an erasure, or if it cannot be read
     */
    public static Erasures open(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (!Files.exists(file)) {
            return new Erasures(file, null, new ArrayList<>());
        }
        LineLog log;
        try {
            log = LineLog.open(file);
        } catch (DamagedStoreException e) {
            throw new DamagedStoreException(file, e.offset(), "line " + lineAt(file, e.offset()) + ": " + e.getMessage(), e);
        }
        try {
            List<Erasure> read = new ArrayList<>();
            int line = 0;
            for (String r : log.records()) {
                line++;
                read.add(parse(file, line, r));
            }
            return new Erasures(file, log, read);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /**
     * Checks the log without changing it (for {@code herald data check}); a line whose checksum holds
     * but that is not an erasure is reported as damage too.
     *
     * @throws java.nio.file.NoSuchFileException if it does not exist
     */
    public static VerifyResult verify(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE);
        VerifyResult r = LineLog.verify(file);
        if (r.damage() != null) {
            return r;
        }
        int line = 0;
        long offset = 0;
        for (String s : Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
            line++;
            int tab = s.lastIndexOf('\t');
            if (tab < 0) {
                break; // a torn last line, noted by the result already
            }
            try {
                parse(file, line, s.substring(0, tab));
            } catch (IOException e) {
                return VerifyResult.damaged(file, line - 1, new DamagedStoreException(file, offset, e.getMessage()));
            }
            offset += s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        }
        return r;
    }

    /** The 1-based line holding {@code offset}. */
    private static long lineAt(Path file, long offset) {
        try {
            byte[] all = Files.readAllBytes(file);
            long line = 1;
            for (int i = 0; i < Math.min(offset, all.length); i++) {
                if (all[i] == '\n') {
                    line++;
                }
            }
            return line;
        } catch (IOException e) {
            return -1;
        }
    }

    private static Erasure parse(Path file, int line, String r) throws IOException {
        String[] f = r.split(" ", 4);
        try {
            if (f.length != 4 || f[1].length() != 16) {
                throw new IllegalArgumentException("expected '<id> <16 hex digits> <epoch ms> <by>'");
            }
            int id = Integer.parseInt(f[0]);
            if (id < 0) {
                throw new IllegalArgumentException("negative recipient id " + id);
            }
            return new Erasure(id, Long.parseUnsignedLong(f[1], 16), Instant.ofEpochMilli(Long.parseLong(f[2])), f[3]);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " line " + line + ": not an erasure (" + e.getMessage() + "): '" + r + "'", e);
        }
    }

    /**
     * Records an erasure durably (fsynced before it returns). Recording an id again adds a line (the
     * history of requests), its data being gone already.
     *
     * @param by the API key's id or {@code cli}: 1 to {@value #MAX_BY} characters without whitespace
     * @throws IllegalArgumentException if the id is negative or {@code by} is malformed
     * @throws IOException if it cannot be stored
     */
    public synchronized Erasure record(int id, long phoneHash, Instant at, String by) throws IOException {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        if (by == null || by.isEmpty() || by.length() > MAX_BY || !by.codePoints().noneMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'by' must be 1 to " + MAX_BY + " characters without whitespace (a key id or "
                    + "\"cli\"), got " + (by == null ? "null" : "'" + by + "'"));
        }
        Erasure e = new Erasure(id, phoneHash, at, by);
        if (log == null) {
            log = LineLog.open(file);
        }
        log.append(e.line());
        erasures.add(e);
        ids.add(id);
        return e;
    }

    /** @return every erased recipient id (a copy) */
    public synchronized ImmutableRoaringBitmap erasedIds() {
        return ids.clone();
    }

    /** @return whether {@code id} was erased */
    public synchronized boolean isErased(int id) {
        return ids.contains(id);
    }

    /** @return every erasure recorded, oldest first */
    public synchronized List<Erasure> list() {
        return List.copyOf(erasures);
    }

    /** @return the log's file */
    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        if (log != null) {
            log.close();
        }
    }

    @Override
    public String toString() {
        return "Erasures[" + file + "]";
    }
}
