package dev.herald.dispatcher.connector.smpp;

import java.util.Map;

/**
 * What an SMPP {@code command_status} means for a {@code submit_sm}, and the addressing Herald
 * chooses for a source address.
 *
 * <pre>{@code
 * SmppStatus.kind(0x58);     // THROTTLED
 * SmppStatus.reason(0x0B);   // "invalid-destination"
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class SmppStatus {

    /** How a refused {@code submit_sm} is handled. */
    public enum Kind {
        /** Over the SMSC's rate or queue: sent again later, in order; the rate limiter backs off. */
        THROTTLED,
        /** Refused for good: {@code failed:<reason>}. */
        PERMANENT,
        /** Anything else: sent again a few times. */
        TRANSIENT
    }

    /** Statuses refused for good, with the reason Herald records. */
    private static final Map<Integer, String> PERMANENT = Map.ofEntries(
            Map.entry(0x01, "invalid-message-length"),
            Map.entry(0x0A, "invalid-source-address"),
            Map.entry(0x0B, "invalid-destination"),
            Map.entry(0x0C, "invalid-message-id"),
            Map.entry(0x33, "invalid-number-of-destinations"),
            Map.entry(0x40, "invalid-destination-flag"),
            Map.entry(0x42, "invalid-submit-with-replace"),
            Map.entry(0x43, "invalid-esm-class"),
            Map.entry(0x48, "invalid-source-ton"),
            Map.entry(0x49, "invalid-source-npi"),
            Map.entry(0x50, "invalid-destination-ton"),
            Map.entry(0x51, "invalid-destination-npi"),
            Map.entry(0x53, "invalid-system-type"),
            Map.entry(0x61, "invalid-schedule-time"),
            Map.entry(0x62, "invalid-validity-period"),
            Map.entry(0x63, "invalid-predefined-message"),
            Map.entry(0xC0, "invalid-optional-parameters"),
            Map.entry(0xC1, "optional-parameter-not-allowed"),
            Map.entry(0xC2, "invalid-parameter-length"),
            Map.entry(0xC4, "invalid-parameter-value"),
            Map.entry(0x45, "submit-failed"));

    private static final Map<Integer, String> TRANSIENT = Map.of(
            0x08, "system-error",
            0x04, "incorrect-bind-status",
            0x05, "already-bound",
            0x0D, "bind-failed",
            0x0E, "invalid-password",
            0x0F, "invalid-system-id",
            0x11, "cancel-failed",
            0x13, "replace-failed",
            0x58, "throttled",
            0x14, "message-queue-full");

    private SmppStatus() {
    }

    /**
     * @param status a non-zero {@code command_status}
     * @return how a {@code submit_sm} refused with it is handled
     */
    public static Kind kind(int status) {
        if (status == 0x58 || status == 0x14) {
            return Kind.THROTTLED;
        }
        return PERMANENT.containsKey(status) ? Kind.PERMANENT : Kind.TRANSIENT;
    }

    /**
     * @param status a {@code command_status}
     * @return its name for outcomes and logs, e.g. {@code invalid-destination}, or
     *     {@code smpp-status-0x000000ff} for a status without one
     */
    public static String reason(int status) {
        String r = PERMANENT.get(status);
        if (r == null) {
            r = TRANSIENT.get(status);
        }
        return r != null ? r : String.format("smpp-status-0x%08x", status);
    }

    /**
     * The {@code source_addr_ton} for a source address: 5 (alphanumeric) if it has a letter, 1
     * (international) for a number of 7 digits or more (a leading {@code +} dropped), 3
     * (network specific: a short code) otherwise.
     *
     * @param source the source address
     * @return the TON
     */
    public static int sourceTon(String source) {
        String s = source.startsWith("+") ? source.substring(1) : source;
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return 5;
            }
        }
        return s.length() >= 7 ? 1 : 3;
    }

    /**
     * @param ton a source TON
     * @return the NPI that goes with it: 1 (E.164) for an international number, 0 otherwise
     */
    public static int sourceNpi(int ton) {
        return ton == 1 ? 1 : 0;
    }
}
