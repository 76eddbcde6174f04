package dev.herald.dispatcher.unsubscribe;

import dev.herald.suppression.DataCipher;
import dev.herald.suppression.store.DamagedStoreException;
import dev.herald.suppression.store.FramedLog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;

/**
 * Reads {@code reasons.jsonl} ({@link ReasonLog}) whole, each line's number and free text opened
 * when they are sealed (a data directory with a master key), for what needs the words themselves;
 * the reason counts ({@code report.UnsubscribeReasons}) read the plain members and need no key.
 *
 * <pre>{@code
 * List<ReasonLogReader.Entry> all = ReasonLogReader.read(dataDir.resolve("unsubscribe/reasons.jsonl"),
 *         directory.cipher(ReasonLog.PURPOSE));
 * }</pre>
 *
 * <p>Stateless and thread-safe; reads while the log is appended to (a torn last line is not read).
 */
public final class ReasonLogReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReasonLogReader() {
    }

    /**
     * One reason as written, its sealed values opened.
     *
     * @param time        when it was given
     * @param recipientId the recipient
     * @param phone       their number (null once erased)
     * @param campaign    the campaign it was attributed to, or null
     * @param sender      the sender, or null
     * @param reason      the reason's wire name
     * @param text        the free text, or null
     */
    public record Entry(Instant time, int recipientId, String phone, String campaign, String sender, String reason,
                        String text) {
    }

    /**
     * Reads every whole line of {@code reasons.jsonl} (a torn last line is not read), opening sealed
     * values with {@code cipher}.
     *
     * @param file   the file; missing: none
     * @param cipher the recipient directory's cipher for {@link ReasonLog#PURPOSE}; null or disabled: plain lines only
     * @return the reasons in file order
     * @throws DamagedStoreException naming the file and offset if a line is damaged, not a reason, or a
     *     sealed value does not open under {@code cipher}
     * @throws dev.herald.dispatcher.store.SealedRecordsException naming the file if a line is sealed and
     *     {@code cipher} is not enabled
     * @throws IOException if it cannot be read
     */
    public static java.util.List<Entry> read(Path file, DataCipher cipher) throws IOException {
        if (!Files.exists(file)) {
            return java.util.List.of();
        }
        if (ReasonLog.isLegacy(file)) {
            throw new DamagedStoreException(file, 0, "lines of an earlier format: open the log once to migrate it");
        }
        DataCipher c = cipher == null || !cipher.enabled() ? null : cipher;
        java.util.List<Entry> out = new java.util.ArrayList<>();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            FramedLog.scan(file, FramedLog.map(file, ch), ReasonLog.FORMAT, (d, at, p, n) -> {
                byte[] obj = new byte[n + 1];
                d.get(p, obj, 0, n);
                obj[n] = '}';
                JsonNode node;
                try {
                    node = JSON.readTree(obj);
                } catch (IOException e) {
                    throw new DamagedStoreException(file, at, "not a JSON object", e);
                }
                String phone = node.path("phone").isTextual() ? node.path("phone").asText() : null;
                String text = node.path("text").isTextual() ? node.path("text").asText() : null;
                if (phone != null && phone.startsWith(ReasonLog.SEALED_PREFIX)) {
                    if (c == null) {
                        throw new dev.herald.dispatcher.store.SealedRecordsException(file, at, "sealed unsubscribe reasons");
                    }
                    phone = open(file, at, c, phone);
                    text = text == null ? null : open(file, at, c, text);
                }
                Instant time;
                try {
                    time = Instant.parse(node.path("time").asText(""));
                } catch (java.time.format.DateTimeParseException e) {
                    throw new DamagedStoreException(file, at, "'time' is not an ISO-8601 instant", e);
                }
                out.add(new Entry(time, node.path("recipientId").asInt(-1), phone, textOrNull(node, "campaign"),
                        textOrNull(node, "sender"), textOrNull(node, "reason"), text));
            });
        }
        return java.util.List.copyOf(out);
    }

    private static String textOrNull(JsonNode node, String name) {
        return node.path(name).isTextual() ? node.path(name).asText() : null;
    }

    private static String open(Path file, long at, DataCipher cipher, String value) throws DamagedStoreException {
        if (!value.startsWith(ReasonLog.SEALED_PREFIX)) {
            throw new DamagedStoreException(file, at, "a sealed line holds a value that is not sealed");
        }
        try {
            return new String(cipher.open(Base64.getDecoder().decode(value.substring(ReasonLog.SEALED_PREFIX.length()))),
                    StandardCharsets.UTF_8);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new DamagedStoreException(file, at, "a sealed value does not open under the recipient directory's data"
                    + " key (changed, or sealed by another data directory's key)", e);
        }
    }

}
