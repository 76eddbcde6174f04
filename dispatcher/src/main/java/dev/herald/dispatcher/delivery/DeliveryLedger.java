package dev.herald.dispatcher.delivery;

import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;
import dev.herald.dispatcher.links.DelayHistogram;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import dev.herald.suppression.store.VerifyResult;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One campaign's delivery step: what the receipts said of its sent recipients — {@code delivered},
 * {@code undelivered:<reason>} or {@code expired} — one bitmap per result, like the outcome ledger's,
 * and the time from send to delivery of those delivered, replayed from
 * {@code campaigns/<id>/deliveries.log}.
 *
 * <pre>{@code
 * DeliveryLedger d = DeliveryLedger.open(dir.resolve("deliveries.log"));
 * d.record(7, 1, 2, DeliveryState.DELIVERED, "", "41459", receiptMillis, acceptedSeconds); // part 1 of 2: not yet delivered
 * d.record(7, 2, 2, DeliveryState.DELIVERED, "", "41460", receiptMillis, acceptedSeconds); // both: recipient 7 delivered
 * d.counts();                                               // {delivered=1}
 * d.sendToDelivery().percentile(0.5);                       // seconds from the SMSC's acceptance to the receipt
 * }</pre>
 *
 * <p><b>Rules.</b> A recipient is {@code delivered} once every part of its message was; a part
 * that fails ends it as {@code undelivered:<reason>} ({@code expired} for EXPIRED), whatever its
 * other parts do; the first final result of a recipient stands (a duplicate or a later receipt
 * changes nothing, and is not written). Intermediate states (ENROUTE, ACCEPTD) are not recorded.
 * The reason is the receipt's state and, when the SMSC gave one, its error code, e.g.
 * {@code undeliverable-err-001}.
 *
 * <p><b>Send to delivery.</b> When a recipient becomes {@code delivered}, the seconds from the
 * acceptance of the part whose receipt completed it (epoch seconds, as the message-id map keeps
 * it) to that receipt's arrival are counted in a {@link DelayHistogram}; a receipt whose
 * acceptance time is not known (a callback without one, a line written before times were kept)
 * is not counted.
 *
 * <p><b>Storage.</b> One line per receipt that changed something,
 * {@code <recipient> <part>/<parts> <state> <error or -> <message id> <decided at, epoch ms> <accepted at, epoch s or ->};
 * the result is decided when the receipt arrived (a held receipt: when it first arrived). Lines
 * written before times were kept have no last two fields, and are read as of an unknown time.
 * Lines are framed and checksummed by
 * the store rule ({@link FramedLog}: a torn last line is dropped and reported, a damaged one
 * refuses the file naming it). A line is written before {@link #record} returns, without fsync:
 * it survives a killed process, not a power loss (the SMSC was acknowledged; a lost receipt leaves
 * its recipient {@code sent}).
 *
 * <p>Thread-safe (synchronized).
 */
public final class DeliveryLedger implements AutoCloseable {

    /** The log's file name in a campaign's directory. */
    public static final String FILE = "deliveries.log";
    static final LogFormat FORMAT = LogFormat.lines(1024);

    /** A recipient's delivery result, as the API shows it. */
    public static final String DELIVERED = "delivered";
    /** Prefix of a recipient's failed delivery, e.g. {@code undelivered:undeliverable-err-001}. */
    public static final String UNDELIVERED_PREFIX = "undelivered:";
    /** A recipient's message that expired at the SMSC. */
    public static final String EXPIRED = "expired";

    private final FramedLog log;
    private final MutableRoaringBitmap delivered = new MutableRoaringBitmap();
    private final Map<String, MutableRoaringBitmap> failed = new TreeMap<>();
    /** Multi-part messages with some parts delivered: recipient to the parts' bits (parts ≤ 255). */
    private final Map<Integer, java.util.BitSet> partial = new HashMap<>();
    /** Seconds from send to delivery of the recipients delivered (with a known acceptance time). */
    private final DelayHistogram sendToDelivery = new DelayHistogram();
    private long lines;

    private DeliveryLedger(Path file) throws IOException {
        this.log = FramedLog.open(file, FORMAT, (data, at, p, n) -> {
            byte[] b = new byte[n];
            data.get(p, b);
            String line = new String(b, StandardCharsets.UTF_8);
            try {
                apply(Line.parse(line));
            } catch (IllegalArgumentException e) {
                throw new dev.herald.suppression.store.DamagedStoreException(file, at, e.getMessage());
            }
            lines++;
        });
    }

    /**
     * Opens (creating if absent) a campaign's delivery log and replays it.
     *
     * @param file {@code campaigns/<id>/deliveries.log}
     * @return the ledger
     * @throws IOException naming the file if it cannot be read or is damaged
     */
    public static DeliveryLedger open(Path file) throws IOException {
        return new DeliveryLedger(file);
    }

    /** @return what a read-only check of the file finds (for {@code herald data check}) */
    public static VerifyResult verify(Path file) throws IOException {
        return FramedLog.verify(file, FORMAT);
    }

    /**
     * Records one part's receipt as arrived now, its acceptance time not known (not counted in
     * {@link #sendToDelivery()}).
     *
     * @see #record(int, int, int, DeliveryState, String, String, long, long)
     */
    public boolean record(int recipient, int part, int parts, DeliveryState state, String error,
                          String messageId) throws IOException {
        return record(recipient, part, parts, state, error, messageId, System.currentTimeMillis(), -1);
    }

    /**
     * Records one part's receipt.
     *
     * @param recipient       the recipient's id
     * @param part            the part, 1..parts
     * @param parts           the message's parts, 1..255
     * @param state           the receipt's state
     * @param error           the SMSC's error code, or empty
     * @param messageId       the part's message id as the SMSC wrote it (kept for the recipient's view)
     * @param atMillis        when the receipt arrived, epoch milliseconds (≥ 0)
     * @param acceptedSeconds when the part was accepted by the SMSC, epoch seconds, or -1 if not known
     * @return whether it changed the recipient's result (and was written)
     * @throws IOException              if the line cannot be written (nothing changed)
     * @throws IllegalArgumentException if a number is out of range
     */
    public synchronized boolean record(int recipient, int part, int parts, DeliveryState state, String error,
                                       String messageId, long atMillis, long acceptedSeconds) throws IOException {
        if (atMillis < 0) {
            throw new IllegalArgumentException("receipt time must be >= 0 epoch ms, got " + atMillis);
        }
        Line line = new Line(recipient, part, parts, state, clean(error), clean(messageId), atMillis,
                acceptedSeconds < 0 ? -1 : acceptedSeconds);
        if (!state.isFinal() || !changes(line)) {
            return false;
        }
        log.append(line.toString().getBytes(StandardCharsets.UTF_8), false);
        apply(line);
        lines++;
        return true;
    }

    /** @return recipients per result: {@code delivered}, each {@code undelivered:<reason>}, {@code expired}; only those with any */
    public synchronized Map<String, Long> counts() {
        Map<String, Long> out = new LinkedHashMap<>();
        if (!delivered.isEmpty()) {
            out.put(DELIVERED, delivered.getLongCardinality());
        }
        failed.forEach((k, v) -> out.put(k, v.getLongCardinality()));
        return out;
    }

    /**
     * @param recipient a recipient's id
     * @return its result ({@code delivered}, {@code undelivered:<reason>}, {@code expired}), or null
     *     if no final receipt came yet (for a multi-part message: not all parts delivered yet)
     */
    public synchronized String resultOf(int recipient) {
        if (delivered.contains(recipient)) {
            return DELIVERED;
        }
        for (Map.Entry<String, MutableRoaringBitmap> e : failed.entrySet()) {
            if (e.getValue().contains(recipient)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** @return the recipients delivered so far (a copy) */
    public synchronized ImmutableRoaringBitmap delivered() {
        return delivered.clone();
    }

    /** @return whether {@code recipient} is delivered (every part of its message) */
    public synchronized boolean isDelivered(int recipient) {
        return delivered.contains(recipient);
    }

    /**
     * @return seconds from send (the SMSC's acceptance) to delivery (the receipt's arrival) of the
     *     recipients delivered whose acceptance time is known; a copy
     */
    public synchronized DelayHistogram sendToDelivery() {
        DelayHistogram copy = new DelayHistogram();
        copy.addAll(sendToDelivery);
        return copy;
    }

    /**
     * The message ids of a recipient's receipts, by reading the log (an inspection: not for hot paths).
     *
     * @param recipient a recipient's id
     * @return part number to message id, in part order
     * @throws IOException if the log cannot be read
     */
    public Map<Integer, String> messageIds(int recipient) throws IOException {
        return messageIds(log.file(), recipient);
    }

    /**
     * As {@link #messageIds(int)}, from a ledger's file, without holding any ledger's lock (an
     * open ledger appends meanwhile: whole lines only are read).
     *
     * @param file      a campaign's {@code deliveries.log}
     * @param recipient a recipient's id
     * @return part number to message id, in part order
     * @throws IOException if the file cannot be read or is damaged
     */
    public static Map<Integer, String> messageIds(Path file, int recipient) throws IOException {
        return recipientLines(file, recipient).messageIds();
    }

    /**
     * What the log says of one recipient.
     *
     * @param messageIds      its parts' message ids, by part
     * @param lastAtMillis    when its last line's receipt arrived (epoch ms; for a recipient with a result,
     *                        when it was decided), or -1 if not known (lines written before times were kept)
     * @param acceptedSeconds when its message was accepted (epoch s), or -1 if not known
     */
    public record RecipientLines(Map<Integer, String> messageIds, long lastAtMillis, long acceptedSeconds) {
    }

    /**
     * @param file      a campaign's {@code deliveries.log}
     * @param recipient a recipient
     * @return what its lines say (a scan of the file: for one recipient's view, not for reports)
     * @throws IOException if the file cannot be read
     */
    public static RecipientLines recipientLines(Path file, int recipient) throws IOException {
        Map<Integer, String> ids = new TreeMap<>();
        long[] times = {-1, -1};
        String prefix = recipient + " ";
        FramedLog.verify(file, FORMAT, (data, at, p, n) -> {
            byte[] b = new byte[n];
            data.get(p, b);
            String line = new String(b, StandardCharsets.UTF_8);
            if (line.startsWith(prefix)) {
                Line l = Line.parse(line);
                ids.putIfAbsent(l.part(), l.messageId());
                if (l.atMillis() > 0) {
                    times[0] = l.atMillis();
                }
                if (l.acceptedSeconds() > 0) {
                    times[1] = l.acceptedSeconds();
                }
            }
        });
        return new RecipientLines(ids, times[0], times[1]);
    }

    /** @return lines in the log */
    public synchronized long lines() {
        return lines;
    }

    @Override
    public synchronized void close() throws IOException {
        log.close();
    }

    private boolean changes(Line l) {
        if (delivered.contains(l.recipient())) {
            return false;
        }
        for (MutableRoaringBitmap b : failed.values()) {
            if (b.contains(l.recipient())) {
                return false;
            }
        }
        if (l.state() == DeliveryState.DELIVERED && l.parts() > 1) {
            java.util.BitSet bits = partial.get(l.recipient());
            return bits == null || !bits.get(l.part());
        }
        return true;
    }

    private void apply(Line l) {
        if (!changes(l)) {
            return;
        }
        if (l.state() != DeliveryState.DELIVERED) {
            partial.remove(l.recipient());
            failed.computeIfAbsent(result(l.state(), l.error()), k -> new MutableRoaringBitmap()).add(l.recipient());
            return;
        }
        if (l.parts() == 1) {
            becameDelivered(l);
            return;
        }
        java.util.BitSet bits = partial.computeIfAbsent(l.recipient(), k -> new java.util.BitSet(l.parts() + 1));
        bits.set(l.part());
        if (bits.cardinality() == l.parts()) {
            partial.remove(l.recipient());
            becameDelivered(l);
        }
    }

    /** {@code l}, the receipt of the last part to come, made its recipient delivered. */
    private void becameDelivered(Line l) {
        delivered.add(l.recipient());
        if (l.atMillis() >= 0 && l.acceptedSeconds() >= 0) {
            sendToDelivery.add(Math.floorDiv(l.atMillis(), 1000) - l.acceptedSeconds());
        }
    }

    /** The result of a final, not delivered state: {@code expired}, or {@code undelivered:<state>[-err-<code>]}. */
    static String result(DeliveryState state, String error) {
        if (state == DeliveryState.EXPIRED) {
            return EXPIRED;
        }
        String reason = state.name().toLowerCase(Locale.ROOT);
        if (error != null && !error.isEmpty() && !error.equals("-") && !error.matches("0+")) {
            reason += "-err-" + error.toLowerCase(Locale.ROOT);
        }
        return UNDELIVERED_PREFIX + reason;
    }

    /** A receipt's text fields as one token: no whitespace or control characters, at most 64 characters. */
    private static String clean(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        int n = Math.min(s.length(), 64);
        StringBuilder b = null;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                if (b == null) {
                    b = new StringBuilder(n).append(s, 0, i);
                }
                if (b.length() == 0 || b.charAt(b.length() - 1) != '_') {
                    b.append('_');
                }
            } else if (b != null) {
                b.append(c);
            }
        }
        return b != null ? b.toString() : s.length() > 64 ? s.substring(0, 64) : s;
    }

    /**
     * One line of the log.
     *
     * @param atMillis        when the receipt arrived, epoch ms; -1 in a line written before times were kept
     * @param acceptedSeconds when the part was accepted, epoch seconds; -1 if not known
     */
    record Line(int recipient, int part, int parts, DeliveryState state, String error, String messageId, long atMillis,
                long acceptedSeconds) {
        private static final String SHAPE = "not '<recipient> <part>/<parts> <state> <error> <message id>"
                + " [<epoch ms> <accepted epoch s or ->]'";

        Line {
            if (recipient < 0 || parts < 1 || parts > 255 || part < 1 || part > parts) {
                throw new IllegalArgumentException("recipient " + recipient + " part " + part + "/" + parts + " out of range");
            }
            if (atMillis < -1 || acceptedSeconds < -1) {
                throw new IllegalArgumentException("times out of range: " + atMillis + " ms, accepted " + acceptedSeconds + " s");
            }
        }

        @Override
        public String toString() {
            return recipient + " " + part + "/" + parts + " " + state.name() + " " + error + " " + messageId + " " + atMillis
                    + " " + (acceptedSeconds < 0 ? "-" : Long.toString(acceptedSeconds));
        }

        static Line parse(String s) {
            String[] f = s.split(" ");
            if (f.length != 5 && f.length != 7) { // 5: a line written before times were kept
                throw new IllegalArgumentException(SHAPE + ": '" + s + "'");
            }
            int slash = f[1].indexOf('/');
            try {
                long at = f.length == 7 ? Long.parseLong(f[5]) : -1;
                long accepted = f.length == 7 && !f[6].equals("-") ? Long.parseLong(f[6]) : -1;
                if (f.length == 7 && (at < 0 || (accepted < 0 && !f[6].equals("-")))) {
                    throw new IllegalArgumentException("negative time");
                }
                return new Line(Integer.parseInt(f[0]), Integer.parseInt(f[1].substring(0, Math.max(slash, 0))),
                        Integer.parseInt(f[1].substring(slash + 1)), DeliveryState.valueOf(f[2]), f[3], f[4], at, accepted);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(SHAPE + ": '" + s + "'");
            }
        }
    }
}
