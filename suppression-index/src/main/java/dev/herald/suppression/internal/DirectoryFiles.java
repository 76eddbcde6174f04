package dev.herald.suppression.internal;

import dev.herald.suppression.DamagedFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Properties;

/**
 * The files of a recipient directory other than the maps: the {@code LOCK} that keeps a second
 * process out, the {@code directory.open} marker that reveals an unclean shutdown, and
 * {@code directory.properties}, which fixes the layout version and the capacity the maps were
 * created with (Chronicle recovery must rebuild them with the same configuration).
 *
 * <p>{@code try (DirectoryFiles files = DirectoryFiles.acquire(dir)) { boolean recover = files.uncleanShutdown(); }}
 *
 * <p>Invariant: while an instance is open this process holds an exclusive lock on {@code LOCK}, so
 * the marker it finds at acquisition can only be left over by a process that died. Not
 * thread-safe; owned by one {@code RecipientDirectory}.
 */
public final class DirectoryFiles implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryFiles.class);
    private static final String LOCK = "LOCK";
    private static final String MARKER = "directory.open";
    private static final String PROPERTIES = "directory.properties";
    private static final String PHONE_INDEX = "recipients-by-phone.cm3";
    private static final String RECORDS = "recipients-by-id.cm3";
    private static final String PAGES = "pages";
    private static final String FORMAT = "1";

    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final boolean uncleanShutdown;
    /** The capacity in {@code directory.properties} when acquired, or -1 if there was none. */
    private final long storedCapacity;

    private DirectoryFiles(Path dir, FileChannel lockChannel, FileLock lock, boolean uncleanShutdown, long storedCapacity) {
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.uncleanShutdown = uncleanShutdown;
        this.storedCapacity = storedCapacity;
    }

    /**
     * Creates {@code dir} if needed, locks it, checks {@code directory.properties} and only then
     * leaves the open marker: a directory refused here is left exactly as it was.
     *
     * @param dir the directory
     * @return the acquired files
     * @throws IllegalStateException if another process (or another open instance in this JVM)
     *                               holds the directory, or it has maps but no properties, or a
     *                               layout this build does not know
     * @throws DamagedFileException  if {@code directory.properties} cannot be read (named in the message)
     * @throws IOException           if the directory cannot be created or the files written
     */
    public static DirectoryFiles acquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        FileChannel channel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            channel.close();
            throw new IllegalStateException("directory " + dir.toAbsolutePath()
                    + " is in use by another process (or already open in this one)");
        }
        try {
            long stored = readCapacity(dir);
            Path marker = dir.resolve(MARKER);
            boolean unclean = Files.exists(marker);
            if (unclean) {
                LOG.warn("recipient directory {} was not closed cleanly; recovering its maps", dir.toAbsolutePath());
            }
            writeDurably(marker, "pid=" + ProcessHandle.current().pid() + "\nopened=" + Instant.now() + "\n");
            return new DirectoryFiles(dir, channel, lock, unclean, stored);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** @return whether the previous process using the directory died without closing it */
    public boolean uncleanShutdown() {
        return uncleanShutdown;
    }

    /** @return the phone-to-id map file */
    public Path phoneIndexFile() {
        return dir.resolve(PHONE_INDEX);
    }

    /** @return the directory of the id-ordered record pages ({@link RecordPages}) */
    public Path pagesDir() {
        return dir.resolve(PAGES);
    }

    /** @return whether the directory had no {@code directory.properties} when acquired (a new one) */
    public boolean isNew() {
        return storedCapacity < 0;
    }

    /** @return the directory */
    public Path dir() {
        return dir;
    }

    /** @return where a hashed phone index is built aside for a directory of an earlier version */
    public Path rehashFile() {
        return dir.resolve(PHONE_INDEX + ".rehash");
    }

    /**
     * Settles a re-keying of the phone index that a killed process left half done
     * ({@link RecipientStore}): with the keys written, the index built aside is complete and is
     * moved in place; without them it is dropped (the next open builds it again).
     *
     * @param keysWritten whether {@code directory.keys} exists
     * @throws IOException if the file cannot be moved or deleted
     */
    public void settleRehash(boolean keysWritten) throws IOException {
        Path aside = rehashFile();
        if (!Files.exists(aside)) {
            return;
        }
        if (keysWritten) {
            LOG.info("recipient directory {}: finishing the interrupted re-keying of its phone index", dir.toAbsolutePath());
            Files.move(aside, phoneIndexFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(aside);
        }
    }

    /** @return the id-to-record map file */
    public Path recordsFile() {
        return dir.resolve(RECORDS);
    }

    /**
     * The capacity the maps are sized for: the stored one for an existing directory, else
     * {@code requested}, which is then stored.
     *
     * @param requested capacity asked for by the options
     * @return the capacity to build the maps with
     * @throws IOException if the properties cannot be written
     */
    public long capacity(long requested) throws IOException {
        if (storedCapacity < 0) {
            writeDurably(dir.resolve(PROPERTIES), "format=" + FORMAT + "\ncapacity=" + requested + "\n");
            return requested;
        }
        if (storedCapacity != requested) {
            LOG.info("recipient directory {} keeps the capacity it was created with ({}), not {}",
                    dir.toAbsolutePath(), storedCapacity, requested);
        }
        return storedCapacity;
    }

    /**
     * Reads and checks {@code directory.properties} without changing anything.
     *
     * @param dir the recipient directory
     * @return the stored capacity, or -1 if the directory has neither properties nor maps (new)
     * @throws IllegalStateException if it has maps but no properties, or an unknown layout format
     * @throws DamagedFileException  if the properties file cannot be read or lacks a valid capacity
     * @throws IOException           if it cannot be read
     */
    public static long readCapacity(Path dir) throws IOException {
        Path file = dir.resolve(PROPERTIES);
        if (!Files.exists(file)) {
            if (Files.exists(dir.resolve(PHONE_INDEX)) || Files.exists(dir.resolve(RECORDS))) {
                throw new IllegalStateException("directory " + dir.toAbsolutePath() + " has recipient maps but no "
                        + PROPERTIES + "; refusing to guess how they were sized");
            }
            return -1;
        }
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        } catch (CharacterCodingException | IllegalArgumentException e) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "not a readable properties file (" + e + "); it was left untouched: restore it from a backup", e);
        }
        String format = props.getProperty("format");
        if (format == null) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "no layout format; it was left untouched: restore it from a backup");
        }
        if (!FORMAT.equals(format)) {
            throw new IllegalStateException("directory " + dir.toAbsolutePath() + " has layout format '"
                    + format + "' in " + PROPERTIES + "; this build reads format " + FORMAT);
        }
        try {
            long stored = Long.parseLong(props.getProperty("capacity", ""));
            if (stored <= 0) {
                throw new NumberFormatException("not positive: " + stored);
            }
            return stored;
        } catch (NumberFormatException e) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "bad capacity '" + props.getProperty("capacity") + "'; it was left untouched: restore it from a backup");
        }
    }

    /**
     * Removes the open marker this instance left if the previous process had closed the
     * directory cleanly, then releases the lock: for an open that failed before the maps were
     * changed, so the directory is left as it was found.
     */
    public void releaseRestoringMarker() {
        try {
            if (!uncleanShutdown) {
                Files.deleteIfExists(dir.resolve(MARKER));
            }
        } catch (IOException e) {
            LOG.warn("could not remove the open marker of recipient directory {}", dir.toAbsolutePath(), e);
        } finally {
            releaseOnly();
        }
    }

    /**
     * Removes the open marker (the directory is consistent) and releases the lock. Call only
     * after the maps are closed.
     *
     * @throws UncheckedIOException if the marker cannot be removed
     */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(dir.resolve(MARKER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            releaseOnly();
        }
    }

    /**
     * Releases the lock but keeps the open marker, so the next open recovers: for an open that
     * failed half-way, when the maps' state is not known to be clean.
     */
    public void releaseOnly() {
        try {
            if (lockChannel.isOpen()) {
                lock.release();
                lockChannel.close();
            }
        } catch (IOException e) {
            LOG.warn("could not release the lock of recipient directory {}", dir.toAbsolutePath(), e);
        }
    }

    /** Writes a small file via a temporary file, fsync and atomic rename. */
    private static void writeDurably(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); Writer w = Channels.newWriter(ch, StandardCharsets.UTF_8)) {
            w.write(content);
            w.flush();
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
