package dev.herald.suppression.internal;

import dev.herald.suppression.DamagedFileException;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.WrongMasterKeyException;

import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A recipient directory's keys and their file, {@code directory.keys}: the 128-bit key of the
 * phone index's keyed hash ({@link PhoneHasher}) in every directory, and in an encrypted one the
 * 256-bit data key that seals the records ({@link RecordCipher}). Encrypted, both are stored only
 * wrapped (AES-256-GCM) under the master key, with the master key's fingerprint; plain, the hash
 * key is stored as it is.
 *
 * <pre>
 * # comment
 * format=1
 * encryption=none | aes-256-gcm
 * hash-key=&lt;base64 of 16 bytes&gt;                         (none)
 * master-key=&lt;fingerprint&gt;                               (aes-256-gcm)
 * wrapped=&lt;base64 of sealed(data key | hash key)&gt;         (aes-256-gcm; additional data {@value #WRAP_LABEL})
 * checksum=&lt;crc32c, 8 hex digits, of every byte before this line&gt;
 * </pre>
 *
 * <p>{@code DirectoryKeys keys = DirectoryKeys.read(dir, masterKey); long h = keys.hasher().hash(key);}
 *
 * <p>Written only whole (temporary file, fsync, atomic rename, fsync of the directory), so a
 * crash leaves the old file or the new one. Rotation ({@link #rewrap}) rewrites this file alone:
 * the data stays sealed under the same data key. Immutable and thread-safe.
 */
public final class DirectoryKeys {

    /** The file's name in the directory. */
    public static final String FILE = "directory.keys";
    static final String WRAP_LABEL = "herald directory keys v1";
    private static final String FORMAT = "1";
    private static final String NONE = "none";
    private static final String AES = "aes-256-gcm";
    private static final int DATA_KEY_BYTES = 32;
    private static final int HASH_KEY_BYTES = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Data key (32 bytes, encrypted only) then hash key (16 bytes). */
    private final byte[] keys;
    private final boolean encrypted;
    private final PhoneHasher hasher;
    private final AesGcm gcm;

    private DirectoryKeys(byte[] keys, boolean encrypted) {
        this.keys = keys;
        this.encrypted = encrypted;
        int h = encrypted ? DATA_KEY_BYTES : 0;
        ByteBuffer b = ByteBuffer.wrap(keys, h, HASH_KEY_BYTES);
        this.hasher = new PhoneHasher(b.getLong(), b.getLong());
        this.gcm = encrypted ? new AesGcm(new SecretKeySpec(keys, 0, DATA_KEY_BYTES, "AES")) : null;
    }

    /**
     * @param encrypted true for a data key too
     * @return new random keys (not yet written)
     */
    public static DirectoryKeys generate(boolean encrypted) {
        byte[] k = new byte[(encrypted ? DATA_KEY_BYTES : 0) + HASH_KEY_BYTES];
        RANDOM.nextBytes(k);
        return new DirectoryKeys(k, encrypted);
    }

    /** @return whether the records are sealed (there is a data key) */
    public boolean encrypted() {
        return encrypted;
    }

    /** @return the phone index's keyed hash */
    public PhoneHasher hasher() {
        return hasher;
    }

    /** @return AES-GCM under the data key, or null if not encrypted */
    public AesGcm gcm() {
        return gcm;
    }

    /** @return the key file of {@code dir} */
    public static Path file(Path dir) {
        return dir.resolve(FILE);
    }

    /**
     * Reads the keys of {@code dir}.
     *
     * @param dir    the recipient directory
     * @param master the master key given, or null
     * @return the keys, or null if the directory has no key file
     * @throws WrongMasterKeyException if the directory is encrypted and {@code master} is null or
     *                                 not the key the data keys are wrapped under (a plain
     *                                 directory with a master key is the caller's to judge)
     * @throws DamagedFileException    if the file fails its checksum or lacks a line (named, untouched)
     * @throws IOException             if it cannot be read
     */
    public static DirectoryKeys read(Path dir, MasterKey master) throws IOException {
        Path file = file(dir);
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, String> props = parse(file, Files.readAllBytes(file));
        String encryption = require(file, props, "encryption");
        if (NONE.equals(encryption)) {
            return new DirectoryKeys(base64(file, props, "hash-key", HASH_KEY_BYTES), false);
        }
        if (!AES.equals(encryption)) {
            throw new IllegalStateException(file.toAbsolutePath() + " names encryption '" + encryption
                    + "'; this build knows '" + NONE + "' and '" + AES + "'");
        }
        String stored = require(file, props, "master-key");
        if (master == null) {
            throw new WrongMasterKeyException(file.toAbsolutePath(), WrongMasterKeyException.Reason.KEY_REQUIRED,
                    "recipient directory " + dir.toAbsolutePath() + " is encrypted (" + file.toAbsolutePath()
                            + ": data keys wrapped under master key " + stored + ") and no master key was given; "
                            + "configure the master key it was created with");
        }
        byte[] wrapped = Base64.getDecoder().decode(require(file, props, "wrapped"));
        byte[] keys;
        try {
            keys = new AesGcm(master.secretKey()).open(WRAP_LABEL.getBytes(StandardCharsets.US_ASCII), wrapped, 0, wrapped.length);
        } catch (AEADBadTagException e) {
            throw new WrongMasterKeyException(file.toAbsolutePath(), WrongMasterKeyException.Reason.WRONG_KEY,
                    "the master key given (fingerprint " + master.fingerprint() + ") does not match " + file.toAbsolutePath()
                            + ", whose data keys are wrapped under master key " + stored + "; nothing was changed");
        }
        if (keys.length != DATA_KEY_BYTES + HASH_KEY_BYTES) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "wrapped keys of " + keys.length + " bytes; expected " + (DATA_KEY_BYTES + HASH_KEY_BYTES));
        }
        return new DirectoryKeys(keys, true);
    }

    /**
     * Writes these keys to {@code dir}'s key file durably (replacing it), wrapped under
     * {@code master} if encrypted.
     *
     * @param master the master key; required if and only if {@link #encrypted()}
     * @throws IOException if the file cannot be written
     */
    public void write(Path dir, MasterKey master) throws IOException {
        if (encrypted != (master != null)) {
            throw new IllegalArgumentException(encrypted ? "encrypted keys need a master key" : "plain keys take no master key");
        }
        StringBuilder s = new StringBuilder();
        s.append("# Herald recipient directory keys. Written by Herald: do not edit, do not copy apart from the directory.\n");
        s.append("format=").append(FORMAT).append('\n');
        if (encrypted) {
            byte[] wrapped = new AesGcm(master.secretKey()).seal(WRAP_LABEL.getBytes(StandardCharsets.US_ASCII), keys, 0, keys.length);
            s.append("# Data and hash keys, sealed under the master key (never stored here). Without it the data is lost.\n");
            s.append("encryption=").append(AES).append('\n');
            s.append("master-key=").append(master.fingerprint()).append('\n');
            s.append("wrapped=").append(Base64.getEncoder().encodeToString(wrapped)).append('\n');
        } else {
            s.append("encryption=").append(NONE).append('\n');
            s.append("hash-key=").append(Base64.getEncoder().encodeToString(keys)).append('\n');
        }
        byte[] body = s.toString().getBytes(StandardCharsets.US_ASCII);
        CRC32C crc = new CRC32C();
        crc.update(body);
        s.append(String.format("checksum=%08x\n", crc.getValue()));
        writeDurably(file(dir), s.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Wraps the same data and hash keys under {@code next}: the records stay as they are.
     *
     * @param dir     the directory (not open anywhere: the caller holds its lock)
     * @param current the master key the keys are wrapped under now
     * @param next    the new master key
     * @throws WrongMasterKeyException if {@code current} does not open the keys
     * @throws IllegalStateException   if the directory has no key file or is not encrypted
     * @throws IOException             if the file cannot be read or written
     */
    public static void rewrap(Path dir, MasterKey current, MasterKey next) throws IOException {
        DirectoryKeys keys = read(dir, current);
        if (keys == null) {
            throw new IllegalStateException("recipient directory " + dir.toAbsolutePath() + " has no " + FILE
                    + "; there is no master key to rotate");
        }
        if (!keys.encrypted) {
            throw new WrongMasterKeyException(file(dir).toAbsolutePath(), WrongMasterKeyException.Reason.NOT_ENCRYPTED,
                    "recipient directory " + dir.toAbsolutePath() + " is not encrypted (" + file(dir).toAbsolutePath()
                            + " says encryption=none); there is no master key to rotate");
        }
        keys.write(dir, next);
    }

    private static Map<String, String> parse(Path file, byte[] bytes) throws DamagedFileException {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        int at = text.lastIndexOf("checksum=");
        if (at < 0 || (at > 0 && text.charAt(at - 1) != '\n')) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "no checksum line; it was left untouched: restore it from a backup (without it the data cannot be read)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, at);
        String want = String.format("%08x", crc.getValue());
        String got = text.substring(at + "checksum=".length()).strip();
        if (!want.equals(got)) {
            throw new DamagedFileException(file.toAbsolutePath(), at,
                    "checksum " + got + " does not match its content (" + want + "); it was left untouched: restore it from a backup");
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : text.substring(0, at).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq > 0) {
                props.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        if (!FORMAT.equals(props.get("format"))) {
            throw new IllegalStateException(file.toAbsolutePath() + " has key file format '" + props.get("format")
                    + "'; this build reads format " + FORMAT);
        }
        return props;
    }

    private static String require(Path file, Map<String, String> props, String name) throws DamagedFileException {
        String v = props.get(name);
        if (v == null || v.isBlank()) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "no '" + name + "' line; it was left untouched: restore it from a backup");
        }
        return v.strip();
    }

    private static byte[] base64(Path file, Map<String, String> props, String name, int bytes) throws DamagedFileException {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(require(file, props, name));
        } catch (IllegalArgumentException e) {
            b = new byte[0];
        }
        if (b.length != bytes) {
            throw new DamagedFileException(file.toAbsolutePath(), DamagedFileException.NO_OFFSET,
                    "'" + name + "' is not base64 of " + bytes + " bytes; it was left untouched: restore it from a backup");
        }
        return b;
    }

    private static void writeDurably(Path file, byte[] content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        dev.herald.suppression.store.FramedLog.fsyncDirectory(file.toAbsolutePath().getParent());
    }
}
