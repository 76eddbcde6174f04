package dev.herald.dispatcher.unsubscribe;

import dev.herald.suppression.DamagedFileException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A signing key file: the unsubscribe links' ({@code unsubscribe/secret.key}) and the receipt callbacks' ({@code receipts/callback.key}), format 2: {@code "HRLDKEY2"},
 * the 32 key bytes, then the CRC32C of those 40 bytes (4 bytes, big-endian): 44 bytes, owner-only
 * permissions. A damaged key would silently turn every link already sent into a 404, so a file
 * that fails its checks is refused naming the file and offset. A file of the previous format
 * (the bare 32 bytes) is migrated when read (new file, fsync, atomic rename, an INFO line).
 *
 * <p>{@code byte[] key = SecretKeyFile.readOrCreate(dir.resolve("secret.key"));}
 *
 * <p>Stateless and thread-safe; one process writes the directory at a time.
 */
public final class SecretKeyFile {

    private static final Logger LOG = LoggerFactory.getLogger(SecretKeyFile.class);
    private static final byte[] MAGIC = {'H', 'R', 'L', 'D', 'K', 'E', 'Y', '2'};
    private static final int KEY = 32;
    private static final int LENGTH = MAGIC.length + KEY + 4;

    private SecretKeyFile() {
    }

    /**
     * @return the key in {@code file}, made (32 random bytes) if there is none, migrated if of the previous format
     * @throws DamagedFileException if the file is damaged (named, with the offset); it is left untouched
     * @throws IOException          if it cannot be read or made durable
     */
    public static byte[] readOrCreate(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (!Files.exists(file)) {
            byte[] fresh = new byte[KEY];
            new SecureRandom().nextBytes(fresh);
            write(file, fresh, false);
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == KEY) {
            byte[] key = checkFormat1(file, bytes);
            write(file, key, true);
            LOG.info("unsubscribe key {}: migrated to format 2 (magic and CRC32C around the same key; links already sent stay valid)",
                    file.toAbsolutePath());
            return key;
        }
        return check(file, bytes);
    }

    /**
     * A signing key: {@code key} of the configuration (base64 of at least 32 bytes) when it is set,
     * else the key in {@code file}, made on first use.
     *
     * @param config the configuration
     * @param key    the setting's full path, e.g. {@code herald.links.secret}
     * @param file   the key file to read or make when the setting is empty
     * @return the key
     * @throws com.typesafe.config.ConfigException.BadValue naming {@code key} if it is not base64 or too short
     * @throws IOException if the file cannot be read or made durable
     */
    public static byte[] configuredOrFile(com.typesafe.config.Config config, String key, Path file) throws IOException {
        String configured = config.getString(key).strip();
        if (configured.isEmpty()) {
            return readOrCreate(file);
        }
        byte[] secret;
        try {
            secret = java.util.Base64.getDecoder().decode(configured);
        } catch (IllegalArgumentException e) {
            throw new com.typesafe.config.ConfigException.BadValue(config.origin(), key, "must be base64: " + e.getMessage());
        }
        if (secret.length < 32) {
            throw new com.typesafe.config.ConfigException.BadValue(config.origin(), key,
                    "must be at least 32 bytes (base64 of 32 random bytes), got " + secret.length);
        }
        return secret;
    }

    /**
     * What {@code herald data check} says of the key file, read only.
     *
     * @return the damage, or empty if it is sound, absent (made at the next start) or of the previous format
     * @throws IOException if it cannot be read
     */
    public static Optional<DamagedFileException> verify(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        byte[] bytes = Files.readAllBytes(file);
        try {
            if (bytes.length == KEY) {
                checkFormat1(file, bytes);
            } else {
                check(file, bytes);
            }
            return Optional.empty();
        } catch (DamagedFileException e) {
            return Optional.of(e);
        }
    }

    private static byte[] checkFormat1(Path file, byte[] bytes) throws DamagedFileException {
        if (Arrays.equals(bytes, new byte[KEY])) {
            throw new DamagedFileException(file, 0, "the unsubscribe key is all zeros (zero-filled); restore it "
                    + "(links already sent depend on it) or remove it to make a new key");
        }
        return bytes;
    }

    private static byte[] check(Path file, byte[] bytes) throws DamagedFileException {
        String advice = "; restore it (links already sent depend on it) or remove it to make a new key";
        if (bytes.length != LENGTH) {
            throw new DamagedFileException(file, Math.min(bytes.length, LENGTH), "holds " + bytes.length + " bytes, the key file holds "
                    + LENGTH + " (cut short or extended)" + advice);
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new DamagedFileException(file, i, "not an unsubscribe key file (zero-filled or overwritten)" + advice);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, MAGIC.length + KEY);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, MAGIC.length + KEY, 4).getInt()) {
            throw new DamagedFileException(file, MAGIC.length, "the key fails its checksum (bytes 8 to 43)" + advice);
        }
        return Arrays.copyOfRange(bytes, MAGIC.length, MAGIC.length + KEY);
    }

    /** Writes the key file owner-only via a temporary file, fsync and an atomic rename ({@code replace}: over the old one). */
    private static void write(Path file, byte[] key, boolean replace) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(LENGTH).put(MAGIC).put(key);
        CRC32C crc = new CRC32C();
        crc.update(out.array(), 0, MAGIC.length + KEY);
        out.putInt((int) crc.getValue()).flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            while (out.hasRemaining()) {
                ch.write(out);
            }
            ch.force(true);
        }
        try {
            if (replace) {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } else {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (FileAlreadyExistsException e) {
            Files.delete(tmp);
        }
        try (FileChannel dirCh = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dirCh.force(true);
        } catch (IOException ignored) {
            // some file systems cannot fsync a directory; the key file itself is fsynced
        }
    }
}
