package dev.herald.suppression.internal;

import javax.crypto.AEADBadTagException;

/**
 * How a directory's records are stored: as they are ({@link #PLAIN}), or sealed with AES-256-GCM
 * under the data key. Map values are sealed one by one, bound to their id; the id-ordered pages
 * ({@link PageFormat}) are sealed once per page, bound to the page's first id, so a sequential read
 * of a chunk opens each page once ({@link RecordScratch} keeps the last one).
 *
 * <p>Map value, sealed: {@code 'S' | nonce | ciphertext | tag} with additional data
 * {@code 'R' | id (u32)}. An erasure ({@link RecipientCodec#ERASED}) is stored unsealed in both
 * modes: a value whose first byte is 0 (the marker, or the zeros an erasure writes over the old
 * value first) holds nothing and reads as erased.
 *
 * <p>{@code byte[] stored = cipher.sealRecord(id, encoded); byte[] encoded = cipher.openRecord(id, stored);}
 *
 * <p>Immutable and thread-safe.
 */
public final class RecordCipher {

    /** Records stored as they are. */
    public static final RecordCipher PLAIN = new RecordCipher(null);
    /** First byte of a sealed map value. */
    static final byte SEALED = 'S';

    private final AesGcm gcm;

    private RecordCipher(AesGcm gcm) {
        this.gcm = gcm;
    }

    /** @return the cipher of {@code keys}: sealing if they hold a data key */
    public static RecordCipher of(DirectoryKeys keys) {
        return keys.encrypted() ? new RecordCipher(keys.gcm()) : PLAIN;
    }

    /** @return whether records are sealed */
    public boolean sealed() {
        return gcm != null;
    }

    /** @return the map value that stores {@code record} (a {@link RecipientCodec} record, or {@link RecipientCodec#ERASED}) */
    public byte[] sealRecord(int id, byte[] record) {
        if (gcm == null || RecipientCodec.isErased(record, 0, record.length)) {
            return record;
        }
        byte[] out = new byte[1 + record.length + AesGcm.OVERHEAD];
        out[0] = SEALED;
        gcm.seal(recordAad(id), record, 0, record.length, out, 1);
        return out;
    }

    /**
     * @param stored a map value, or null
     * @return the record it stores ({@link RecipientCodec#ERASED} for an erasure), or null for null
     * @throws IllegalStateException if a sealed value does not open (changed, or sealed under another key or id)
     */
    public byte[] openRecord(int id, byte[] stored) {
        if (stored == null) {
            return null;
        }
        if (RecipientCodec.isErased(stored, 0, stored.length)) {
            return RecipientCodec.ERASED;
        }
        if (gcm == null) {
            return stored;
        }
        if (stored[0] != SEALED) {
            throw new IllegalStateException("recipient record for id " + id + " is not sealed (first byte " + stored[0]
                    + ") in an encrypted directory");
        }
        try {
            return gcm.open(recordAad(id), stored, 1, stored.length - 1);
        } catch (AEADBadTagException e) {
            throw new IllegalStateException("recipient record for id " + id + " does not open under the directory's data key "
                    + "(changed on disk, or written under another key)", e);
        }
    }

    /**
     * Seals a page's plain part ({@code record ends | records}).
     *
     * @return the sealed bytes ({@code len + OVERHEAD})
     */
    byte[] sealPage(int pageFirstId, byte[] plain, int off, int len) {
        return gcm.seal(pageAad(pageFirstId), plain, off, len);
    }

    /**
     * Opens a sealed page part into {@code out}.
     *
     * @return plain bytes written
     * @throws AEADBadTagException if it does not open
     */
    int openPage(int pageFirstId, byte[] sealed, int off, int len, byte[] out) throws AEADBadTagException {
        return gcm.open(pageAad(pageFirstId), sealed, off, len, out, 0);
    }

    private static byte[] recordAad(int id) {
        return new byte[] {'R', (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
    }

    private static byte[] pageAad(int first) {
        return new byte[] {'P', (byte) (first >>> 24), (byte) (first >>> 16), (byte) (first >>> 8), (byte) first};
    }
}
