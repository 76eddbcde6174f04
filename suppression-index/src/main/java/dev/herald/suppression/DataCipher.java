package dev.herald.suppression;

import dev.herald.suppression.internal.AesGcm;

import javax.crypto.AEADBadTagException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Seals other data of the same people with the recipient directory's data key, e.g. a field kept
 * in another store: AES-256-GCM (the JDK's provider), a random 12-byte nonce per message, and
 * the purpose as additional authenticated data, so bytes sealed for one purpose do not open for
 * another. Sealed form: {@code nonce | ciphertext | 16-byte tag} ({@value #OVERHEAD} bytes more
 * than the plain). The data key survives master-key rotation, so sealed bytes stay readable.
 *
 * <pre>{@code
 * DataCipher c = directory.cipher("message-log fields");
 * byte[] stored = c.seal(plain);
 * byte[] back = c.open(stored);
 * }</pre>
 *
 * <p>Of an unencrypted directory (no master key), {@link #enabled()} is false and seal and open
 * return their argument unchanged (a copy is not made): callers can store the result either way
 * and need not branch, but must not expect sealed bytes to differ from the plain ones. Switching
 * a store between the two modes is the caller's migration.
 *
 * <p>Immutable and thread-safe.
 */
public final class DataCipher {

    /** Bytes sealing adds. */
    public static final int OVERHEAD = AesGcm.OVERHEAD;

    private final String purpose;
    private final byte[] aad;
    private final AesGcm gcm;

    DataCipher(String purpose, AesGcm gcm) {
        this.purpose = Objects.requireNonNull(purpose, "purpose");
        if (purpose.isBlank()) {
            throw new IllegalArgumentException("a cipher's purpose is blank");
        }
        this.aad = purpose.getBytes(StandardCharsets.UTF_8);
        this.gcm = gcm;
    }

    /** @return whether seal and open encrypt (the directory has a master key) */
    public boolean enabled() {
        return gcm != null;
    }

    /** @return the purpose this cipher authenticates */
    public String purpose() {
        return purpose;
    }

    /**
     * @param plain bytes to seal
     * @return {@code nonce | ciphertext | tag}, or {@code plain} itself if not {@link #enabled()}
     */
    public byte[] seal(byte[] plain) {
        Objects.requireNonNull(plain, "plain");
        return gcm == null ? plain : gcm.seal(aad, plain, 0, plain.length);
    }

    /**
     * @param sealed bytes from {@link #seal} with the same purpose and directory
     * @return the plain bytes, or {@code sealed} itself if not {@link #enabled()}
     * @throws IllegalStateException naming the purpose if the bytes do not open (changed, too short,
     *     sealed for another purpose or under another data key)
     */
    public byte[] open(byte[] sealed) {
        Objects.requireNonNull(sealed, "sealed");
        if (gcm == null) {
            return sealed;
        }
        try {
            return gcm.open(aad, sealed, 0, sealed.length);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("sealed data of " + sealed.length + " bytes does not open for purpose '" + purpose
                    + "' under this directory's data key (changed, sealed for another purpose, or by another directory)", e);
        }
    }

    @Override
    public String toString() {
        return "DataCipher[" + purpose + (gcm == null ? ", disabled]" : ", AES-256-GCM]");
    }
}
