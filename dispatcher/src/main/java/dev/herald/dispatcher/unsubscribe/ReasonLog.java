package dev.herald.dispatcher.unsubscribe;

import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FrameFormat;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The unsubscribe reasons, {@code <data dir>/unsubscribe/reasons.jsonl}: one JSON object per line,
 * read by the analytics, in exactly this form:
 * {@code {"time":"2026-11-23T01:02:03Z","recipientId":123,"phone":"+447700900123","campaign":"spring-sale",
 * "sender":"acme","reason":"too-frequent","text":null,"lineCrc32":"1c291ca3"}} ({@code campaign} and
 * {@code text} may be null; {@code lineCrc32} is the CRC-32 of the line's bytes before {@code ,"lineCrc32"}:
 * JSON_LINE frames of the store rule, see {@link FramedLog}). Each line is fsynced before
 * {@link #append} returns.
 *
 * <p>{@code reasons.append(Instant.now(), 123, "+447700900123", "spring-sale", "acme", Reason.OTHER, "too long");}
 *
 * <p><b>Encryption at rest.</b> Opened with an {@link DataCipher#enabled() enabled} cipher (the
 * recipient directory's, for {@link #PURPOSE}: the data directory has a master key), the number and
 * the free text are written sealed, {@code "phone":"enc:<base64>"} and {@code "text":"enc:<base64>"}
 * (AES-256-GCM, one seal each; a null text stays null); the time, recipient id, campaign, sender and
 * reason stay plain, so the reason counts ({@code report.UnsubscribeReasons}) and the erasure's
 * scrub need no key. A line is sealed exactly when its phone starts with {@code enc:} (a plain
 * line's phone is E.164: it never does), so a plain free text that starts so is never taken for
 * sealed. {@link ReasonLogReader#read} opens them; without a cipher it refuses a file with sealed lines
 * ({@link dev.herald.dispatcher.store.SealedRecordsException} naming the file). Without a cipher
 * (null or disabled) lines are written exactly as before.
 *
 * <p><b>Damage.</b> An incomplete last line (a crash mid-write) is dropped and reported; a complete
 * line whose checksum fails, anywhere, or zero-filled bytes refuse the log naming the file and
 * offset. A file of earlier versions (lines without {@code lineCrc32}) is migrated on open: each
 * complete line must be a JSON object (else it is refused by offset), gets its checksum, and the
 * file is replaced atomically, with an INFO line naming it. {@link #verify} checks without changing.
 *
 * <p>Thread-safety: {@link #append} is synchronized.
 */
public final class ReasonLog implements AutoCloseable {

    /** The longest free text accepted, in characters. */
    public static final int MAX_TEXT = 500;

    /** The purpose the sealed values are authenticated with ({@code directory.cipher(PURPOSE)}). */
    public static final String PURPOSE = "unsubscribe-reasons";
    /** What a sealed value starts with; base64 of {@code nonce | ciphertext | tag} follows. */
    public static final String SEALED_PREFIX = "enc:";

    /** The format of {@code reasons.jsonl}. */
    public static final LogFormat FORMAT = LogFormat.jsonLines(64 * 1024);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(ReasonLog.class);

    /** Replaced (under this) only by {@link #erase}, which rewrites the file. */
    private FramedLog log;
    private final Path file;
    /** Seals the number and the free text, or null: plain. */
    private final DataCipher cipher;

    private ReasonLog(Path file, FramedLog log, DataCipher cipher) {
        this.file = file;
        this.log = log;
        this.cipher = cipher == null || !cipher.enabled() ? null : cipher;
    }

    /**
     * Opens the log writing plain lines.
     *
     * @param dir {@code <data dir>/unsubscribe}
     * @return the log, appending to {@code reasons.jsonl}
     * @throws DamagedStoreException naming the file and offset if it is damaged (nothing changed)
     * @throws IOException if it cannot be opened
     */
    public static ReasonLog open(Path dir) throws IOException {
        return open(dir, null);
    }

    /**
     * @param dir    {@code <data dir>/unsubscribe}
     * @param cipher the recipient directory's cipher for {@link #PURPOSE}; null or disabled: plain lines
     * @return the log, appending to {@code reasons.jsonl}
     * @throws DamagedStoreException naming the file and offset if it is damaged (nothing changed)
     * @throws IOException if it cannot be opened
     */
    public static ReasonLog open(Path dir, DataCipher cipher) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("reasons.jsonl");
        if (Files.exists(file) && isLegacy(file)) {
            migrate(file);
        }
        return new ReasonLog(file, FramedLog.open(file, FORMAT, (data, at, p, n) -> { }), cipher);
    }

    /** Checks {@code reasons.jsonl} without changing it (a file of earlier versions is reported as clean: it is migrated on open). */
    public static VerifyResult verify(Path file) throws IOException {
        return isLegacy(file) ? VerifyResult.clean(file, 0) : FramedLog.verify(file, FORMAT);
    }

    /** Whether {@code file} holds lines of the earlier format: its first line has no {@code lineCrc32} member last. */
    public static boolean isLegacy(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int nl = 0;
        while (nl < all.length && all[nl] != '\n') {
            nl++;
        }
        if (nl == all.length) {
            return false; // empty, or one incomplete line: dropped as a torn tail either way
        }
        String first = new String(all, 0, nl, StandardCharsets.UTF_8);
        return !first.matches(".*,\"lineCrc32\":\"[0-9a-f]{8}\"}");
    }

    private static void migrate(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer out = ByteBuffer.allocate(all.length * 2 + 64);
        int pos = 0;
        int lines = 0;
        while (pos < all.length) {
            int nl = pos;
            while (nl < all.length && all[nl] != '\n') {
                nl++;
            }
            if (nl == all.length) {
                boolean zeros = true;
                for (int i = pos; i < all.length && zeros; i++) {
                    zeros = all[i] == 0;
                }
                if (zeros) {
                    throw new DamagedStoreException(file, pos, (all.length - pos) + " zero bytes at the end (zero-filled, not a torn write)");
                }
                break; // an incomplete last line: dropped and reported below
            }
            byte[] line = Arrays.copyOfRange(all, pos, nl);
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (IOException e) {
                n = null;
            }
            if (n == null || !n.isObject() || line[line.length - 1] != '}') {
                throw new DamagedStoreException(file, pos, "line " + (lines + 1) + " is not a JSON object");
            }
            if (out.remaining() < line.length + FrameFormat.JSON_TRAILER) {
                out = ByteBuffer.allocate(out.capacity() * 2 + line.length).put(out.flip());
            }
            FrameFormat.putJsonLine(out, line, line.length);
            lines++;
            pos = nl + 1;
        }
        FramedLog.replace(file, out.flip());
        if (pos < all.length) {
            TornTails.report(file, pos, all.length - pos, null);
        }
        LOG.info("{}: migrated to checksummed lines ({} reasons)", file, lines);
    }

    /**
     * Appends one reason durably.
     *
     * @throws IllegalArgumentException if {@code text} is longer than {@value #MAX_TEXT} characters
     * @throws IOException              if it cannot be written durably
     */
    public synchronized void append(Instant time, int recipientId, String phone, String campaign, String sender, Reason reason,
                                    String text) throws IOException {
        if (text != null && text.length() > MAX_TEXT) {
            throw new IllegalArgumentException("the text is longer than " + MAX_TEXT + " characters");
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", time.toString());
        line.put("recipientId", recipientId);
        line.put("phone", cipher == null ? phone : seal(cipher, phone == null ? "" : phone));
        line.put("campaign", campaign);
        line.put("sender", sender);
        line.put("reason", reason.wire());
        line.put("text", cipher == null || text == null ? text : seal(cipher, text));
        log.append(JSON.writeValueAsBytes(line)); // escapes line breaks: one record per line
    }

    private static String seal(DataCipher cipher, String value) {
        return SEALED_PREFIX + Base64.getEncoder().encodeToString(cipher.seal(value.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Rewrites {@code reasons.jsonl} so that the lines of the recipients {@code erased} holds keep
     * no number and no free text ({@code "phone":null,"text":null}); their time, campaign, sender and
     * reason stay, so the reason counts do not change. Everyone else's lines stay byte for byte
     * ({@link dev.herald.dispatcher.store.LogRewrite}: atomic, nothing written when nothing changes).
     * Sealed values are replaced unread: no cipher is needed. Run it only where no one appends to the
     * file (the compaction), or through {@link #erase}.
     *
     * @throws DamagedStoreException naming the file and offset if it is damaged (left as it is)
     * @throws IOException if it cannot be read or written, or a line is not a JSON object
     */
    public static dev.herald.dispatcher.store.LogRewrite.Result scrub(Path file, java.util.function.IntPredicate erased)
            throws IOException {
        if (isLegacy(file)) {
            migrate(file);
        }
        return dev.herald.dispatcher.store.LogRewrite.rewrite(file, FORMAT, (d, p, n) -> {
            int quick = recipientIdOf(d, p, n);
            if (quick >= 0 && !erased.test(quick)) {
                return dev.herald.dispatcher.store.LogRewrite.KEEP; // most lines: no JSON parse
            }
            byte[] obj = new byte[n + 1];
            d.get(p, obj, 0, n);
            obj[n] = '}';
            JsonNode node = JSON.readTree(obj);
            JsonNode id = node.get("recipientId");
            if (id == null || !id.canConvertToInt() || !erased.test(id.asInt())
                    || (node.path("phone").isNull() && node.path("text").isNull())) {
                return dev.herald.dispatcher.store.LogRewrite.KEEP;
            }
            com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) node;
            o.putNull("phone");
            o.putNull("text");
            return JSON.writeValueAsBytes(o);
        });
    }

    private static final byte[] ID_KEY = "\"recipientId\":".getBytes(StandardCharsets.US_ASCII);

    /** The recipientId of a line as {@link #append} writes it ({@code {"time":…,"recipientId":123,…}), or -1 if it is not found so. */
    private static int recipientIdOf(ByteBuffer d, int p, int n) {
        int end = Math.min(p + n, p + 64);
        outer:
        for (int i = p; i + ID_KEY.length < end; i++) {
            for (int k = 0; k < ID_KEY.length; k++) {
                if (d.get(i + k) != ID_KEY[k]) {
                    continue outer;
                }
            }
            long v = 0;
            int j = i + ID_KEY.length;
            int start = j;
            for (; j < p + n && j - start < 10 && d.get(j) >= '0' && d.get(j) <= '9'; j++) {
                v = v * 10 + (d.get(j) - '0');
            }
            return j > start && j < p + n && d.get(j) == ',' && v <= Integer.MAX_VALUE ? (int) v : -1;
        }
        return -1;
    }

    /**
     * Erases the number and free text of {@code recipientId}'s reasons now ({@link #scrub} on the
     * open file: appends wait; the file is reopened after).
     *
     * @return how many of their reasons held a number or free text (0: nothing was changed)
     * @throws IOException if the file cannot be rewritten or reopened
     */
    public synchronized long erase(int recipientId) throws IOException {
        log.close();
        try {
            return scrub(file, id -> id == recipientId).changed();
        } finally {
            log = FramedLog.open(file, FORMAT, (data, at, p, n) -> { });
        }
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }
}
