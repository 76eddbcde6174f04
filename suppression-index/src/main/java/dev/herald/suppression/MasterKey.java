package dev.herald.suppression;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The 256-bit key that wraps a recipient directory's data key and phone-hash key (see
 * {@link DirectoryOptions#withMasterKey}). It comes from configuration or an environment variable
 * and is never written beside the data: the directory's {@code directory.keys} holds only the
 * keys it wraps and the {@link #fingerprint()} of the master key they are wrapped under.
 *
 * <pre>{@code
 * MasterKey key = MasterKey.parse(System.getenv("HERALD_MASTER_KEY"), "environment variable HERALD_MASTER_KEY");
 * String text = MasterKey.generate().encoded();   // base64, for an operator to store
 * }</pre>
 *
 * <p>Invariant: exactly 32 bytes. {@link #toString()} and every message show the fingerprint,
 * never the key. Immutable and thread-safe.
 */
public final class MasterKey {

    /** Key length in bytes (AES-256). */
    public static final int BYTES = 32;
    private static final byte[] FINGERPRINT_LABEL = "herald master key fingerprint v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final String fingerprint;

    private MasterKey(byte[] key) {
        this.key = key;
        this.fingerprint = fingerprintOf(key);
    }

    /**
     * Reads a key written as base64 (standard or URL-safe, padding optional) of 32 bytes, or as
     * 64 hexadecimal digits. Surrounding white space is ignored.
     *
     * @param text   the key's text
     * @param source where the text came from, for the message (e.g. "environment variable HERALD_MASTER_KEY")
     * @return the key
     * @throws IllegalArgumentException naming {@code source} and what is wrong (never the text itself)
     */
    public static MasterKey parse(String text, String source) {
        String where = source == null || source.isBlank() ? "the master key" : source;
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(where + " is empty; expected base64 of " + BYTES
                    + " bytes or " + 2 * BYTES + " hex digits (generate one with MasterKey.generate())");
        }
        String t = text.strip();
        if (t.length() == 2 * BYTES && t.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return new MasterKey(HexFormat.of().parseHex(t));
        }
        byte[] decoded;
        try {
            decoded = (t.indexOf('-') >= 0 || t.indexOf('_') >= 0 ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + " is neither base64 nor " + 2 * BYTES + " hex digits ("
                    + t.length() + " characters)");
        }
        if (decoded.length != BYTES) {
            Arrays.fill(decoded, (byte) 0);
            throw new IllegalArgumentException(where + " decodes to " + decoded.length + " bytes; a master key is "
                    + BYTES + " bytes (base64 of " + BYTES + " bytes is 44 characters, or " + 2 * BYTES + " hex digits)");
        }
        return new MasterKey(decoded);
    }

    /** @return a new random key (from {@link SecureRandom}) */
    public static MasterKey generate() {
        byte[] k = new byte[BYTES];
        RANDOM.nextBytes(k);
        return new MasterKey(k);
    }

    /** @return the key as standard base64 with padding (44 characters): secret, for the operator to keep */
    public String encoded() {
        return Base64.getEncoder().encodeToString(key);
    }

    /**
     * @return a short id of the key that reveals nothing of it: the first 8 hex digits of
     *     SHA-256 over a fixed label and the key. Stored in {@code directory.keys}, shown in messages.
     */
    public String fingerprint() {
        return fingerprint;
    }

    /** @return the key for AES (the JDK provider); for the directory's key file */
    public SecretKey secretKey() {
        return new SecretKeySpec(key, "AES");
    }

    private static String fingerprintOf(byte[] key) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(FINGERPRINT_LABEL);
            return HexFormat.of().formatHex(sha.digest(key), 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MasterKey && MessageDigest.isEqual(key, ((MasterKey) o).key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fingerprint);
    }

    @Override
    public String toString() {
        return "MasterKey[" + fingerprint + "]";
    }
}
