package dev.herald.suppression.internal;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import java.security.GeneralSecurityException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * AES-256-GCM of the JDK's own provider ({@code SunJCE}) under one key: each sealed message is
 * {@code nonce (12 random bytes) | ciphertext | tag (16 bytes)}, authenticated together with
 * additional data the caller names (what the bytes are, e.g. which record), so sealed bytes moved
 * elsewhere do not open.
 *
 * <p>{@code byte[] s = gcm.seal(aad, plain, 0, plain.length); byte[] p = gcm.open(aad, s, 0, s.length);}
 *
 * <p>Random 96-bit nonces: safe for up to 2^32 messages under one key (NIST SP 800-38D), far
 * above what a directory seals. Thread-safe: one {@link Cipher} per thread.
 */
public final class AesGcm {

    /** Nonce bytes. */
    public static final int NONCE = 12;
    /** Tag bytes. */
    public static final int TAG = 16;
    /** What sealing adds to a message. */
    public static final int OVERHEAD = NONCE + TAG;
    private static final String TRANSFORMATION = "AES/GCM/NoPadding";
    private static final String PROVIDER = "SunJCE";
    private static final SecureRandom NONCES = nonceSource();

    private final SecretKey key;
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(AesGcm::newCipher);

    /** @param key a 256-bit AES key */
    public AesGcm(SecretKey key) {
        this.key = key;
    }

    private static SecureRandom nonceSource() {
        try {
            return SecureRandom.getInstance("DRBG"); // seeded by the system; faster than NativePRNG's file reads
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance(TRANSFORMATION, PROVIDER);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK provider " + PROVIDER + " has no " + TRANSFORMATION, e);
        }
    }

    /** @return the sealed form of {@code plain[off, off + len)} */
    public byte[] seal(byte[] aad, byte[] plain, int off, int len) {
        byte[] out = new byte[len + OVERHEAD];
        seal(aad, plain, off, len, out, 0);
        return out;
    }

    /**
     * Seals {@code plain[off, off + len)} into {@code out} at {@code outOff} ({@code len + OVERHEAD} bytes).
     *
     * @return bytes written
     */
    public int seal(byte[] aad, byte[] plain, int off, int len, byte[] out, int outOff) {
        byte[] nonce = new byte[NONCE];
        NONCES.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, outOff, NONCE);
        Cipher c = ciphers.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad);
            return NONCE + c.doFinal(plain, off, len, out, outOff + NONCE);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM sealing failed: " + e, e);
        }
    }

    /**
     * @return the plain bytes of the sealed {@code sealed[off, off + len)}
     * @throws AEADBadTagException if they were not sealed under this key and {@code aad}, or were changed
     */
    public byte[] open(byte[] aad, byte[] sealed, int off, int len) throws AEADBadTagException {
        if (len < OVERHEAD) {
            throw new AEADBadTagException("sealed message of " + len + " bytes is shorter than nonce and tag");
        }
        byte[] out = new byte[len - OVERHEAD];
        open(aad, sealed, off, len, out, 0);
        return out;
    }

    /**
     * Opens {@code sealed[off, off + len)} into {@code out} at {@code outOff} ({@code len - OVERHEAD} bytes).
     *
     * @return bytes written
     * @throws AEADBadTagException if they were not sealed under this key and {@code aad}, or were changed
     */
    public int open(byte[] aad, byte[] sealed, int off, int len, byte[] out, int outOff) throws AEADBadTagException {
        if (len < OVERHEAD) {
            throw new AEADBadTagException("sealed message of " + len + " bytes is shorter than nonce and tag");
        }
        Cipher c = ciphers.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, sealed, off, NONCE));
            c.updateAAD(aad);
            return c.doFinal(sealed, off + NONCE, len - NONCE, out, outOff);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM opening failed: " + e, e);
        }
    }
}
