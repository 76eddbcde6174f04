package dev.herald.dispatcher.connector.smpp;

import java.math.BigInteger;
import java.util.Locale;

/**
 * Message ids as SMSCs write them, made comparable. SMSCs differ: one answers {@code submit_sm}
 * with {@code 0000A1F3} and reports the receipt for {@code 41459}; another changes case or drops
 * leading zeros between the two. An account says how each side is written ({@link Format}); both
 * are brought to one key: the id's number in decimal for {@link Format#HEX} and
 * {@link Format#DECIMAL}, else the text in lower case without leading zeros.
 *
 * <pre>{@code
 * MessageIds.key("0000A1F3", Format.HEX);      // "41459"
 * MessageIds.key("41459", Format.DECIMAL);     // "41459"
 * MessageIds.key("00Ab-7", Format.TEXT);       // "ab-7"
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class MessageIds {

    /** Longest id accepted, in characters ({@code message_id} is at most 64 in SMPP 3.4, 65 with its NUL). */
    public static final int MAX_LENGTH = 64;

    /** How an SMSC writes its ids on one side. */
    public enum Format {
        /** Any text: compared without case and without leading zeros. */
        TEXT,
        /** A hexadecimal number. */
        HEX,
        /** A decimal number. */
        DECIMAL;

        /**
         * @param v   {@code text}, {@code hex} or {@code decimal}
         * @param key the configuration key, for the message
         * @return the format
         * @throws IllegalArgumentException naming the key if {@code v} is none of them
         */
        public static Format parse(String v, String key) {
            return switch (v.strip()) {
                case "text" -> TEXT;
                case "hex" -> HEX;
                case "decimal" -> DECIMAL;
                default -> throw new IllegalArgumentException(key + " must be text, hex or decimal, got '" + v + "'");
            };
        }
    }

    private MessageIds() {
    }

    /**
     * @param id     an id as the SMSC wrote it
     * @param format how that side writes ids
     * @return the comparable key
     * @throws IllegalArgumentException naming the id if it is empty, longer than {@value #MAX_LENGTH}
     *                                  characters, has a control character, or is not a number in
     *                                  a numeric format (ASCII digits, and a-f in hex, without a sign)
     */
    public static String key(String id, Format format) {
        if (id == null) {
            throw new IllegalArgumentException("message id is missing");
        }
        String s = id.strip();
        if (s.isEmpty() || s.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("message id must be 1-" + MAX_LENGTH + " characters, got '" + printable(id) + "'");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x21 || c == 0x7F) {
                throw new IllegalArgumentException("message id has a space or control character: '" + printable(id) + "'");
            }
        }
        switch (format) {
            case HEX, DECIMAL -> {
                int radix = format == Format.HEX ? 16 : 10;
                // Long.parseLong and BigInteger would take a sign and any Unicode digit ("-5", "+A", "٤١"):
                // an SMSC writes neither, and "-5" must not meet "5"
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    char lower = (char) (c | 0x20);
                    if (!(c >= '0' && c <= '9') && !(radix == 16 && lower >= 'a' && lower <= 'f')) {
                        throw new IllegalArgumentException("message id '" + printable(id) + "' is not a "
                                + format.name().toLowerCase(Locale.ROOT) + " number (digits "
                                + (radix == 16 ? "0-9 and a-f" : "0-9") + " only, no sign)");
                    }
                }
                try {
                    if (s.length() <= (radix == 16 ? 15 : 18)) {
                        return Long.toString(Long.parseLong(s, radix));
                    }
                    return new BigInteger(s, radix).toString();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("message id '" + printable(id) + "' is not a "
                            + format.name().toLowerCase(Locale.ROOT) + " number");
                }
            }
            default -> {
                int start = 0;
                while (start < s.length() - 1 && s.charAt(start) == '0') {
                    start++;
                }
                return s.substring(start).toLowerCase(Locale.ROOT);
            }
        }
    }

    /**
     * A key for any id, even one {@link #key} refuses: its text in lower case, spaces and control
     * characters as {@code _}, at most {@value #MAX_LENGTH} characters ({@code ?} for nothing).
     *
     * @param id an id as the SMSC wrote it
     * @return a key, never failing
     */
    public static String textKey(String id) {
        String s = id == null ? "" : id.strip().replaceAll("[\\s\\p{Cntrl}]+", "_");
        if (s.isEmpty()) {
            return "?";
        }
        return (s.length() > MAX_LENGTH ? s.substring(0, MAX_LENGTH) : s).toLowerCase(Locale.ROOT);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 80));
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7F ? '?' : c);
        }
        return b.toString();
    }
}
