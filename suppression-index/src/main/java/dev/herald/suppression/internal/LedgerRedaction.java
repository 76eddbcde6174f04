package dev.herald.suppression.internal;

import dev.herald.suppression.ConsentAction;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.CorruptIndexException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.Lock;
import java.util.stream.Stream;

/**
 * Rewrites a closed log segment (sealed active or archived) so that the records of erased
 * recipients made before their erasure hold neither the plain number nor the raw text.
 *
 * <pre>{@code
 * LedgerRedaction.Erasures erased = new LedgerRedaction.Erasures();
 * erased.add(id, erasureSeq, "hash:0123456789abcdef");
 * int n = LedgerRedaction.redact(segment, erased, lock);
 * }</pre>
 *
 * <p>Crash safety: the new segment is written to {@code <segment>.redact.tmp} beside it, fsynced,
 * read back and checked (same records, same sequence numbers, every checksum valid), then renamed
 * over the segment atomically and the folder fsynced: at every instant either the old or the new
 * segment is in place, never neither. A temp file left by a crash is removed at the next open
 * ({@link #removeLeftovers}). Records that need no redaction are copied byte for byte; a redacted
 * record keeps its sequence number, time, action, id, scope, source, channel, campaign and send
 * time, and gets a new checksum. The file name (and so the naming scheme) does not change.
 *
 * <p>Idempotent: a segment with nothing left to redact is not touched. Only the compaction (one at
 * a time) calls it, on segments the log writer no longer writes: no two rewrites of one file race.
 * Stateless and thread-safe.
 */
public final class LedgerRedaction {

    /** Ending of the temp file a rewrite writes beside its segment. */
    public static final String TEMP_SUFFIX = ".redact.tmp";

    private static final int BUFFER_BYTES = 1 << 20;

    /**
     * The erasures to apply: a record of an erased id made before one of its erasures is redacted
     * with the hash of the first erasure after it (the number it held is the one that erasure
     * names; an id erased, registered again with another number and erased again has two).
     * Built by one thread, then only read.
     */
    public static final class Erasures {
        private final Map<Integer, TreeMap<Long, String>> byId = new HashMap<>();

        /** Adds the erasure record {@code seq} of {@code recipientId}, with its {@code hash:<16 hex>} number. */
        public void add(int recipientId, long seq, String hashedPhone) {
            byId.computeIfAbsent(recipientId, k -> new TreeMap<>()).put(seq, hashedPhone);
        }

        /** @return whether there is nothing to redact */
        public boolean isEmpty() {
            return byId.isEmpty();
        }

        /** @return the number of erased ids */
        public int ids() {
            return byId.size();
        }

        /** @return the hash that replaces the number of record {@code seq} of {@code recipientId}, or null if no erasure follows it */
        String hashFor(int recipientId, long seq) {
            TreeMap<Long, String> m = byId.get(recipientId);
            if (m == null) {
                return null;
            }
            Map.Entry<Long, String> e = m.higherEntry(seq);
            return e == null ? null : e.getValue();
        }
    }

    private LedgerRedaction() {
    }

    /** @return the record in {@code frame} if it must be redacted under {@code erased}, else null (decodes only candidates) */
    private static ConsentRecord needing(Path file, ByteBuffer frame, int len, Erasures erased)
            throws CorruptIndexException {
        if (erased.hashFor(WalSegments.recipientId(frame), WalSegments.seq(frame)) == null) {
            return null;
        }
        ConsentRecord r = WalSegments.decode(file, frame, len);
        return r.action() != ConsentAction.ERASED && r.holdsPersonalData() ? r : null;
    }

    /**
     * Redacts {@code file} if it holds records to redact.
     *
     * @param renameLock held only around the rename, so that ledger reads never see the file missing
     * @return the number of records redacted (0: the file was not touched)
     * @throws CorruptIndexException naming the file if it is damaged (then it is left as it was)
     * @throws IOException if the new segment could not be written or checked (the old one stays)
     */
    public static int redact(Path file, Erasures erased, Lock renameLock) throws IOException {
        if (erased.isEmpty()) {
            return 0;
        }
        int[] needed = {0};
        WalSegments.Scan before = WalSegments.scan(file, false, (frame, len) -> {
            if (needing(file, frame, len, erased) != null) {
                needed[0]++;
            }
        });
        if (needed[0] == 0) {
            return 0;
        }
        Path tmp = file.resolveSibling(file.getFileName() + TEMP_SUFFIX);
        int[] redacted = {0};
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(BUFFER_BYTES);
                buf.put(WalSegments.MAGIC);
                WalSegments.scan(file, false, (frame, len) -> {
                    if (buf.remaining() < WalCodec.maxFrameSize()) {
                        writeAll(out, buf);
                    }
                    ConsentRecord r = needing(file, frame, len, erased);
                    if (r == null) {
                        ByteBuffer same = frame.duplicate();
                        same.limit(same.position() + WalCodec.FRAME_HEADER + len);
                        buf.put(same);
                    } else {
                        WalCodec.encode(r.redacted(erased.hashFor(r.recipientId(), r.seq())), buf);
                        redacted[0]++;
                    }
                });
                writeAll(out, buf);
                out.force(true);
            }
            check(file, tmp, before, erased);
            renameLock.lock();
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                renameLock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        WalSegments.fsyncDirectory(file.toAbsolutePath().getParent());
        return redacted[0];
    }

    /** The rewritten segment must read back whole, with the same records, and nothing left to redact. */
    private static void check(Path file, Path tmp, WalSegments.Scan before, Erasures erased)
            throws IOException {
        int[] left = {0};
        WalSegments.Scan after = WalSegments.scan(tmp, false, (frame, len) -> {
            WalSegments.decode(tmp, frame, len);
            if (needing(tmp, frame, len, erased) != null) {
                left[0]++;
            }
        });
        if (after.records() != before.records() || after.firstSeq() != before.firstSeq()
                || after.lastSeq() != before.lastSeq() || left[0] != 0) {
            throw new IOException("redacting " + file + " went wrong, the segment was left as it was: the rewrite holds "
                    + after.records() + " records #" + after.firstSeq() + "-#" + after.lastSeq() + " (" + left[0]
                    + " still to redact), the segment " + before.records() + " records #" + before.firstSeq() + "-#"
                    + before.lastSeq());
        }
    }

    private static void writeAll(FileChannel out, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }

    /**
     * Deletes the temp files of rewrites a crash interrupted in {@code dir} (the segments themselves
     * are whole: the rename never happened, or happened and the temp is gone).
     *
     * @return the files deleted
     */
    public static List<Path> removeLeftovers(Path dir) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return removed;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(TEMP_SUFFIX)) {
                    Files.delete(p);
                    removed.add(p);
                }
            }
        }
        if (!removed.isEmpty()) {
            WalSegments.fsyncDirectory(dir);
        }
        return removed;
    }
}
