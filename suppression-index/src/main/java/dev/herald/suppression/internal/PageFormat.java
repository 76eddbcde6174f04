package dev.herald.suppression.internal;

import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.LogFormat;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The layout of the recipient directory's id-ordered record files ({@link RecordPages}): one file
 * per range of {@value #SEGMENT_IDS} ids, named by its first id, holding checksummed pages of up to
 * {@value #PAGE_IDS} consecutive ids.
 *
 * <pre>
 * file:    "HRLDPGS1" | u32 firstId | u32 PAGE_IDS | frames                       (big-endian)
 * frame:   u32 payloadLength | u32 crc32c(payload) | payload       ({@link FrameFormat#BINARY})
 * payload: u32 pageFirstId | u16 count | count × u32 recordEnd | records
 * </pre>
 * A page frame holds the records of ids {@code pageFirstId .. pageFirstId + count - 1} in id order,
 * each exactly the bytes of {@code recipients-by-id.cm3}'s value ({@link RecipientCodec}); record
 * {@code i} spans {@code records[recordEnd(i-1), recordEnd(i))}, and an empty record is an id the
 * map does not hold. A frame with {@code count == 0} is a <em>stale marker</em>: the page's earlier
 * frames no longer match the map (written before the map changes, so a crash between the two
 * leaves the page re-read from the map, never served stale). The last frame of a page wins.
 *
 * <p>In an encrypted directory the files start {@code "HRLDPGE1"} and a page's payload after its
 * first id and count is sealed once for the whole page ({@link RecordCipher}: nonce, ciphertext,
 * tag; additional data the page's first id), so its records and their ends read as noise:
 * <pre>
 * payload: u32 pageFirstId | u16 count | sealed(count × u32 recordEnd | records)   (a stale marker: nothing sealed)
 * </pre>
 * A record whose first byte is 0 is an erased recipient ({@link RecipientCodec#ERASED}).
 *
 * <p>Stateless and thread-safe.
 */
public final class PageFormat {

    /** Ids per page: {@code id >>> PAGE_SHIFT} is the page. */
    public static final int PAGE_SHIFT = 8;
    /** Ids per page. */
    public static final int PAGE_IDS = 1 << PAGE_SHIFT;
    /** Ids per file: one Roaring container, so a campaign chunk is one file. */
    public static final int SEGMENT_SHIFT = 16;
    /** Ids per file. */
    public static final int SEGMENT_IDS = 1 << SEGMENT_SHIFT;
    /** Pages per file. */
    public static final int SEGMENT_PAGES = SEGMENT_IDS / PAGE_IDS;
    /** Bytes of the file header. */
    public static final int HEADER_BYTES = 16;
    /** Bytes of a page payload before its record ends. */
    public static final int PAGE_HEAD = 6;
    private static final String MAGIC = "HRLDPGS1";
    private static final String MAGIC_SEALED = "HRLDPGE1";
    /** The frame format of every record file of an unencrypted directory. */
    public static final LogFormat FORMAT = LogFormat.binary(MAGIC, HEADER_BYTES, PAGE_HEAD,
            PAGE_HEAD + PAGE_IDS * (4 + RecipientCodec.MAX_ENCODED_BYTES));
    /** The frame format of every record file of an encrypted directory. */
    public static final LogFormat FORMAT_SEALED = LogFormat.binary(MAGIC_SEALED, HEADER_BYTES, PAGE_HEAD,
            PAGE_HEAD + AesGcm.OVERHEAD + PAGE_IDS * (4 + RecipientCodec.MAX_ENCODED_BYTES));

    /** @return the frame format of the files of a directory whose records are (not) sealed */
    public static LogFormat format(boolean sealed) {
        return sealed ? FORMAT_SEALED : FORMAT;
    }

    /**
     * @param head the first bytes of a record file
     * @return true if they are a sealed file's magic, false if a plain file's, null if neither
     */
    public static Boolean sealedMagic(byte[] head) {
        if (head.length >= 8 && java.util.Arrays.equals(head, 0, 8, FORMAT_SEALED.magic(), 0, 8)) {
            return Boolean.TRUE;
        }
        if (head.length >= 8 && java.util.Arrays.equals(head, 0, 8, FORMAT.magic(), 0, 8)) {
            return Boolean.FALSE;
        }
        return null;
    }

    private PageFormat() {
    }

    /** @return the file name of the range starting at {@code firstId}, e.g. {@code ids-0000065536.pages} */
    public static String fileName(int firstId) {
        return String.format("ids-%010d.pages", firstId);
    }

    /**
     * @param name a file name
     * @return the first id it is named for, or -1 if it is not a record file's name
     */
    public static int firstIdOf(String name) {
        if (!name.startsWith("ids-") || !name.endsWith(".pages") || name.length() != "ids-".length() + 10 + ".pages".length()) {
            return -1;
        }
        try {
            long id = Long.parseLong(name.substring(4, 14));
            return id <= Integer.MAX_VALUE && (id & (SEGMENT_IDS - 1)) == 0 ? (int) id : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** @return the header of the file of the range starting at {@code firstId} */
    public static ByteBuffer header(int firstId) {
        return header(firstId, false);
    }

    /** @return the header of the file of the range starting at {@code firstId}, sealed pages or not */
    public static ByteBuffer header(int firstId, boolean sealed) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES);
        b.put(format(sealed).magic()).putInt(firstId).putInt(PAGE_IDS).flip();
        return b;
    }

    /**
     * Checks the header fields after the magic (which {@link dev.herald.suppression.store.FramedLog#scan} checks).
     *
     * @throws DamagedStoreException if the first id or the page size do not match the file's name and this build
     */
    public static void checkHeader(Path file, ByteBuffer data, int firstId) throws DamagedStoreException {
        if (data.limit() < HEADER_BYTES) {
            return; // scan refuses it as too short
        }
        int stored = data.getInt(8);
        int pageIds = data.getInt(12);
        if (stored != firstId) {
            throw new DamagedStoreException(file, 8, "header says first id " + stored + ", the file name says " + firstId);
        }
        if (pageIds != PAGE_IDS) {
            throw new DamagedStoreException(file, 12, "pages of " + pageIds + " ids; this build writes " + PAGE_IDS);
        }
    }

    /**
     * Encodes one page frame (header included).
     *
     * @param pageFirstId first id of the page ({@code PAGE_IDS}-aligned)
     * @param records     records of ids {@code pageFirstId ..}; null for an id the map does not hold
     * @param count       how many of {@code records} to write, 0 for a stale marker
     * @return the frame, ready to write
     */
    public static ByteBuffer encode(int pageFirstId, byte[][] records, int count) {
        return encode(pageFirstId, records, count, RecordCipher.PLAIN);
    }

    /**
     * As {@link #encode(int, byte[][], int)}, sealing the page if {@code cipher} seals.
     */
    public static ByteBuffer encode(int pageFirstId, byte[][] records, int count, RecordCipher cipher) {
        if (cipher.sealed() && count > 0) {
            int bytes = 4 * count;
            for (int i = 0; i < count; i++) {
                bytes += records[i] == null ? 0 : records[i].length;
            }
            ByteBuffer plain = ByteBuffer.allocate(bytes);
            int end = 0;
            for (int i = 0; i < count; i++) {
                end += records[i] == null ? 0 : records[i].length;
                plain.putInt(end);
            }
            for (int i = 0; i < count; i++) {
                if (records[i] != null) {
                    plain.put(records[i]);
                }
            }
            byte[] sealed = cipher.sealPage(pageFirstId, plain.array(), 0, bytes);
            java.util.Arrays.fill(plain.array(), (byte) 0);
            ByteBuffer b = ByteBuffer.allocate(FrameFormat.BINARY_HEADER + PAGE_HEAD + sealed.length);
            int start = FrameFormat.beginBinary(b);
            b.putInt(pageFirstId).putShort((short) count).put(sealed);
            FrameFormat.endBinary(b, start);
            return b.flip();
        }
        int bytes = 0;
        for (int i = 0; i < count; i++) {
            bytes += records[i] == null ? 0 : records[i].length;
        }
        ByteBuffer b = ByteBuffer.allocate(FrameFormat.BINARY_HEADER + PAGE_HEAD + 4 * count + bytes);
        int start = FrameFormat.beginBinary(b);
        b.putInt(pageFirstId).putShort((short) count);
        int end = 0;
        for (int i = 0; i < count; i++) {
            end += records[i] == null ? 0 : records[i].length;
            b.putInt(end);
        }
        for (int i = 0; i < count; i++) {
            if (records[i] != null) {
                b.put(records[i]);
            }
        }
        FrameFormat.endBinary(b, start);
        return b.flip();
    }

    /**
     * Checks a whole frame's payload against the page layout.
     *
     * @param file         the file, for the message
     * @param data         the file's bytes
     * @param frameOffset  where the frame starts
     * @param payload      where its payload starts
     * @param length       payload length
     * @param segmentFirst first id of the file's range
     * @return the page's first id
     * @throws DamagedStoreException naming the file and the frame's offset if the payload is not a page of this file
     */
    public static int checkPage(Path file, ByteBuffer data, int frameOffset, int payload, int length, int segmentFirst)
            throws DamagedStoreException {
        return checkPage(file, data, frameOffset, payload, length, segmentFirst, false);
    }

    /**
     * As {@link #checkPage(Path, ByteBuffer, int, int, int, int)}, for a file of sealed pages if
     * {@code sealed} (whose record ends are checked after opening, when read).
     */
    public static int checkPage(Path file, ByteBuffer data, int frameOffset, int payload, int length, int segmentFirst,
                                boolean sealed) throws DamagedStoreException {
        int first = data.getInt(payload);
        int count = Short.toUnsignedInt(data.getShort(payload + 4));
        if ((first & (PAGE_IDS - 1)) != 0 || first - segmentFirst < 0 || first - segmentFirst >= SEGMENT_IDS) {
            throw new DamagedStoreException(file, frameOffset, "page of first id " + first + " does not belong in this file");
        }
        if (count > PAGE_IDS || PAGE_HEAD + 4L * count > length) {
            throw new DamagedStoreException(file, frameOffset, "page of " + count + " ids does not fit its "
                    + length + "-byte frame");
        }
        if (sealed) {
            if (count == 0 ? length != PAGE_HEAD : length < PAGE_HEAD + AesGcm.OVERHEAD + 4L * count) {
                throw new DamagedStoreException(file, frameOffset, "sealed page of " + count + " ids does not fit its "
                        + length + "-byte frame");
            }
            return first;
        }
        int prev = 0;
        for (int i = 0; i < count; i++) {
            int end = data.getInt(payload + PAGE_HEAD + 4 * i);
            if (end < prev) {
                throw new DamagedStoreException(file, frameOffset, "record ends go backwards at id " + (first + i));
            }
            prev = end;
        }
        if (PAGE_HEAD + 4L * count + prev != length) {
            throw new DamagedStoreException(file, frameOffset, "records of " + prev + " bytes do not fill the "
                    + length + "-byte frame");
        }
        return first;
    }
}
