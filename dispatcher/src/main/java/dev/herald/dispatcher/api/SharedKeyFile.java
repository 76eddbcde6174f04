package dev.herald.dispatcher.api;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A key file several processes share (a cluster's, on the storage root every node opens): who may
 * change it, and how a reader notices that another process changed it.
 *
 * <ul>
 *   <li><b>Changes</b> run under {@link #locked}: an exclusive OS lock on {@code <file>.lock} (other
 *       processes), taken after a lock of this JVM on the same path (Java's file locks belong to the
 *       process, so two holders in one JVM would not exclude each other). The change reads the file
 *       again under the lock, so two nodes creating a key at once both keep theirs.</li>
 *   <li><b>Reading</b> is lock-free: the file is only ever replaced whole by an atomic rename, so a
 *       reader sees the old file or the new one. {@link #stamp} is what tells them apart cheaply
 *       (one {@code stat}): the file's identity (a rename makes a new inode), size and modification
 *       time.</li>
 * </ul>
 *
 * <p>{@code try (SharedKeyFile.Held h = shared.locked()) { ... }}
 *
 * <p>Thread-safe.
 */
final class SharedKeyFile {

    /** One JVM-wide lock per file, so that two instances on the same path in one process exclude each other. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path file;
    private final Path lockFile;
    private final ReentrantLock inProcess;

    /** @param file the key file (its folder is created if missing) */
    SharedKeyFile(Path file) throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
        Files.createDirectories(this.file.getParent());
        this.inProcess = IN_PROCESS.computeIfAbsent(this.file, f -> new ReentrantLock());
    }

    /** The exclusive right to change the file, released by {@link #close}. */
    final class Held implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private Held(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() throws IOException {
            try {
                lock.release();
                channel.close();
            } finally {
                inProcess.unlock();
            }
        }
    }

    /**
     * Waits for the exclusive right to change the file (another process's change takes a few ms: one
     * small write and an {@code fsync}).
     *
     * @throws IOException if the lock file cannot be opened or locked (naming it)
     */
    Held locked() throws IOException {
        inProcess.lock();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new Held(ch, ch.lock());
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            inProcess.unlock();
            throw new IOException("cannot lock " + lockFile + " to change the API keys: " + e.getMessage(), e);
        }
    }

    /** @return the file */
    Path file() {
        return file;
    }

    /**
     * What the file is now, compared with an earlier stamp to see whether another process replaced it.
     *
     * @return its identity, size and modification time; {@link #ABSENT} if there is no file
     * @throws IOException if it cannot be examined
     */
    Object stamp() throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            return ABSENT;
        }
    }

    /** The stamp of a file that does not exist. */
    static final Object ABSENT = new Stamp("absent", -1, -1);

    /** {@code key}: the file system's identity of the file (an inode), null where there is none. */
    private record Stamp(Object key, long size, long modified) {
    }

    /** Makes the folder's entry of a file just renamed into it durable (a no-op where folders cannot be synced). */
    void syncFolder() {
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems (and Windows) do not sync folders; the file itself was synced before its rename
        }
    }
}
