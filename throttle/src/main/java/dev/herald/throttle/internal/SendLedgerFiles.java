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
 * once at creation (temp file, fsync, atomic rename) and checked at every open.
 *
 * <p>{@code SendLedgerFiles files = SendLedgerFiles.acquire(dir, "mmap", 8); ... files.release();}
 *
 * <p>Thread-safe.
 */
public final class SendLedgerFiles {

    private static final String HEADER = "ledger.properties";
    private static final String FORMAT = "1";

    private final FileChannel channel;
    private final FileLock lock;

    private SendLedgerFiles(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param dir   the ledger directory (created if absent)
     * @param store the store name
     * @param slots K
     * @return the held directory
     * @throws IOException           if it cannot be created or locked
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
            checkHeader(dir, store, slots);
            return new SendLedgerFiles(ch, fl);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static void checkHeader(Path dir, String store, int slots) throws IOException {
        Path header = dir.resolve(HEADER);
        Properties want = new Properties();
        want.setProperty("format", FORMAT);
        want.setProperty("store", store);
        want.setProperty("slots-per-user", Integer.toString(slots));
        if (Files.exists(header)) {
            Properties have = new Properties();
            try (Reader r = Files.newBufferedReader(header, StandardCharsets.UTF_8)) {
                have.load(r);
            }
            if (!have.equals(want)) {
                throw new IllegalStateException("send ledger " + dir + " was created as " + have + ", cannot open it as " + want);
            }
            return;
        }
        Path tmp = dir.resolve(HEADER + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            want.store(Channels.newOutputStream(out), "herald send ledger");
            out.force(true);
        }
        Files.move(tmp, header, StandardCopyOption.ATOMIC_MOVE);
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
