package dev.herald.dispatcher.connector.smpp;

import dev.herald.dispatcher.connector.PeerEvents.DeliveryState;

import java.util.Locale;

/**
 * Reads the text of an SMPP delivery receipt, the de-facto format of SMPP 3.4's appendix B:
 * {@code id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
 * err:E text:...}. SMSCs vary it, so keys are read without case, in any order, separated by
 * any whitespace; only {@code id} and {@code stat} are required; whatever follows {@code text:}
 * is the message's start and is not read.
 *
 * <pre>{@code
 * ReceiptText.Parsed p = ReceiptText.parse("id:41459 sub:001 dlvrd:001 ... stat:DELIVRD err:000 text:Hi");
 * p.id();     // "41459"
 * p.state();  // DELIVERED
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class ReceiptText {

    /**
     * A receipt's fields that Herald uses.
     *
     * @param id    the receipted message id, as written
     * @param state the state of {@code stat}
     * @param error {@code err}, or empty
     */
    public record Parsed(String id, DeliveryState state, String error) {
    }

    private ReceiptText() {
    }

    /**
     * @param text the receipt's text
     * @return its fields
     * @throws IllegalArgumentException naming what is wrong: no {@code id:}, no {@code stat:}, an
     *                                  unknown state
     */
    public static Parsed parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("receipt text is empty");
        }
        String lower = text.toLowerCase(Locale.ROOT);
        int end = lower.indexOf("text:");
        String head = end < 0 ? text : text.substring(0, end);
        String headLower = end < 0 ? lower : lower.substring(0, end);
        String id = field(head, headLower, "id:");
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("receipt has no id: '" + clip(text) + "'");
        }
        String stat = field(head, headLower, "stat:");
        if (stat == null || stat.isEmpty()) {
            throw new IllegalArgumentException("receipt has no stat: '" + clip(text) + "'");
        }
        String err = field(head, headLower, "err:");
        return new Parsed(id, state(stat), err == null ? "" : err);
    }

    /**
     * @param stat a {@code stat} value, e.g. {@code DELIVRD} (also the long forms some SMSCs use)
     * @return its state
     * @throws IllegalArgumentException naming the value if it is not a state
     */
    public static DeliveryState state(String stat) {
        return switch (stat.strip().toUpperCase(Locale.ROOT)) {
            case "DELIVRD", "DELIVERED" -> DeliveryState.DELIVERED;
            case "EXPIRED" -> DeliveryState.EXPIRED;
            case "UNDELIV", "UNDELIVERABLE" -> DeliveryState.UNDELIVERABLE;
            case "REJECTD", "REJECTED" -> DeliveryState.REJECTED;
            case "DELETED" -> DeliveryState.DELETED;
            case "UNKNOWN" -> DeliveryState.UNKNOWN;
            case "ACCEPTD", "ACCEPTED" -> DeliveryState.ACCEPTED;
            case "ENROUTE" -> DeliveryState.ENROUTE;
            default -> throw new IllegalArgumentException("receipt stat '" + clip(stat) + "' is not a state"
                    + " (DELIVRD, EXPIRED, UNDELIV, REJECTD, DELETED, UNKNOWN, ACCEPTD, ENROUTE)");
        };
    }

    /**
     * @param messageState the {@code message_state} TLV's value
     * @return its state
     * @throws IllegalArgumentException if it is not 1–8
     */
    public static DeliveryState state(int messageState) {
        return switch (messageState) {
            case 1 -> DeliveryState.ENROUTE;
            case 2 -> DeliveryState.DELIVERED;
            case 3 -> DeliveryState.EXPIRED;
            case 4 -> DeliveryState.DELETED;
            case 5 -> DeliveryState.UNDELIVERABLE;
            case 6 -> DeliveryState.ACCEPTED;
            case 7 -> DeliveryState.UNKNOWN;
            case 8 -> DeliveryState.REJECTED;
            default -> throw new IllegalArgumentException("message_state " + messageState + " is not a state (1-8)");
        };
    }

    /** The value after {@code key} (which must start the text or follow whitespace), up to whitespace. */
    private static String field(String head, String headLower, String key) {
        int from = 0;
        while (true) {
            int at = headLower.indexOf(key, from);
            if (at < 0) {
                return null;
            }
            if (at == 0 || Character.isWhitespace(headLower.charAt(at - 1))) {
                int start = at + key.length();
                int stop = start;
                while (stop < head.length() && !Character.isWhitespace(head.charAt(stop))) {
                    stop++;
                }
                return head.substring(start, stop);
            }
            from = at + 1;
        }
    }

    private static String clip(String s) {
        String t = s.length() > 120 ? s.substring(0, 120) + "…" : s;
        StringBuilder b = new StringBuilder(t.length());
        t.chars().forEach(c -> b.append(c < 0x20 || c == 0x7F ? '?' : (char) c));
        return b.toString();
    }
}
