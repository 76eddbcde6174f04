package dev.herald.throttle.internal;

import java.io.IOException;
import java.io.Reader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Properties;

/**
 * A send-ledger directory held by this process: its lock file ({@code ledger.lock}, one
 * process at a time) and its header ({@code ledger.properties}: format, store, K), written
 * at creation (temp file, fsync, atomic rename) and checked at every open. An mmap ledger of
 * format 1 (slots without checks) is accepted for migration ({@link #oldFormat()}); the header
 * says format 2 once its segments are migrated ({@link #markMigrated()}).
 *
 * <p>{@code SendLedgerFiles files = SendLedgerFiles.acquire(dir, "mmap", 8); ... files.release();}
 *
 * <p>Thread-safe.
 */
public final class SendLedgerFiles {

    private static final String HEADER = "ledger.properties";
    /** Format of the mmap store: 2 has a check byte per slot and segment headers; 1 had neither. */
    private static final String MMAP_FORMAT = "2";
    private static final String OLD_MMAP_FORMAT = "1";
    private static final String CHRONICLE_FORMAT = "1";

    private final FileChannel channel;
    private final FileLock lock;
    private final Path dir;
    private final Properties want;
    private final boolean oldFormat;

    private SendLedgerFiles(FileChannel channel, FileLock lock, Path dir, Properties want, boolean oldFormat) {
        this.channel = channel;
        this.lock = lock;
        this.dir = dir;
        this.want = want;
        this.oldFormat = oldFormat;
    }

    /**
     * @param dir   the ledger directory (created if absent)
     * @param store the store name
     * @param slots K
     * @return the held directory
     * @throws IOException           if it cannot be created or locked, or its header cannot be read
     * @throws IllegalStateException if another process holds it, or it was created with another store or K
     */
    public static SendLedgerFiles acquire(Path dir, String store, int slots) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve("ledger.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock fl = ch.tryLock();
            if (fl == null) {
                throw new IllegalStateException("send ledger " + dir + " is open in another process");
            }
            Properties want = header(store, slots);
            boolean old = checkHeader(dir, want);
            return new SendLedgerFiles(ch, fl, dir, want, old);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Properties header(String store, int slots) {
        Properties want = new Properties();
        want.setProperty("format", store.equals("mmap") ? MMAP_FORMAT : CHRONICLE_FORMAT);
        want.setProperty("store", store);
        want.setProperty("slots-per-user", Integer.toString(slots));
        return want;
    }

    /**
     * Reads {@code ledger.properties} without changing anything.
     *
     * @param dir the ledger directory
     * @return its properties, or null if there is none (a new ledger)
     * @throws IOException if it cannot be read (damaged: named in the message)
     */
    public static Properties read(Path dir) throws IOException {
        Path header = dir.resolve(HEADER);
        if (!Files.exists(header)) {
            return null;
        }
        Properties have = new Properties();
        try (Reader r = Files.newBufferedReader(header, StandardCharsets.UTF_8)) {
            have.load(r);
        } catch (java.nio.charset.CharacterCodingException | IllegalArgumentException e) {
            throw new dev.herald.suppression.DamagedFileException(header, dev.herald.suppression.DamagedFileException.NO_OFFSET,
                    "not a readable properties file (" + e + ")", e);
        }
        return have;
    }

    /** @return whether the ledger is of the old mmap format (to migrate); creates the header of a new ledger */
    private static boolean checkHeader(Path dir, Properties want) throws IOException {
        Properties have = read(dir);
        if (have != null) {
            Properties old = (Properties) want.clone();
            old.setProperty("format", OLD_MMAP_FORMAT);
            boolean migrate = "mmap".equals(want.getProperty("store")) && have.equals(old);
            if (!have.equals(want) && !migrate) {
                throw new IllegalStateException("send ledger " + dir + " was created as " + have + ", cannot open it as " + want);
            }
            return migrate;
        }
        write(dir, want);
        return false;
    }

    private static void write(Path dir, Properties props) throws IOException {
        Path tmp = dir.resolve(HEADER + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            props.store(Channels.newOutputStream(out), "herald send ledger");
            out.force(true);
        }
        Files.move(tmp, dir.resolve(HEADER), StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return whether the ledger was written in the old mmap format and its segments must be migrated */
    public boolean oldFormat() {
        return oldFormat;
    }

    /**
     * Records that every segment now has the current format (after migration; durable).
     *
     * @throws IOException if the header cannot be written
     */
    public void markMigrated() throws IOException {
        if (oldFormat) {
            write(dir, want);
        }
    }

    /** Releases the lock; idempotent. */
    public void release() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } catch (IOException e) {
            // Closing the channel releases the lock in any case.
        }
    }
}
