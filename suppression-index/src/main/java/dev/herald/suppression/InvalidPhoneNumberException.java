package dev.herald.suppression;

import java.util.Objects;

/**
 * A phone number that Herald will not accept, with the reason and the offending input.
 *
 * <p>{@code try { numbers.normalize(raw); } catch (InvalidPhoneNumberException e) { log(e.reason().text()); }}
 *
 * <p>The message names both the input (abbreviated past {@value #MAX_ECHOED_CHARS} characters) and
 * the reason, so it can be shown to an operator as it is. Immutable and therefore thread-safe.
 */
public final class InvalidPhoneNumberException extends IllegalArgumentException {

    /** Inputs longer than this are abbreviated in the message (never in {@link #input()}). */
    public static final int MAX_ECHOED_CHARS = 40;

    /** Why a number was rejected; {@link #text()} is the short human-readable form. */
    public enum Reason {
        /** Nothing but whitespace. */
        EMPTY("empty"),
        /** Letters, an extension, or no digits where a number was expected. */
        NOT_A_NUMBER("not a number"),
        /** Fewer digits than any number of its country can have. */
        TOO_SHORT("too short"),
        /** More digits than any number of its country can have (E.164 allows at most 15). */
        TOO_LONG("too long"),
        /** The digits after {@code +} start with no assigned country calling code. */
        INVALID_COUNTRY_CODE("invalid country code"),
        /** A national-format number, but no default region is configured to interpret it. */
        NO_DEFAULT_REGION("national format without a default region (write it as +<country code>...)"),
        /** Plausible length, but not a number its country's numbering plan assigns. */
        NOT_VALID("not a valid number for its region");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        /** @return the short human-readable reason, e.g. {@code "too short"} */
        public String text() {
            return text;
        }
    }

    private final Reason reason;
    private final String input;

    /**
     * @param reason why the input was rejected
     * @param input  the rejected input, as given
     * @throws NullPointerException if either argument is null
     */
    public InvalidPhoneNumberException(Reason reason, String input) {
        super(message(Objects.requireNonNull(reason, "reason"), Objects.requireNonNull(input, "input")));
        this.reason = reason;
        this.input = input;
    }

    /** @return why the number was rejected */
    public Reason reason() {
        return reason;
    }

    /** @return the rejected input, unabridged */
    public String input() {
        return input;
    }

    private static String message(Reason reason, String input) {
        String shown = input.length() <= MAX_ECHOED_CHARS ? input : input.substring(0, MAX_ECHOED_CHARS) + "...";
        return "invalid phone number '" + shown + "': " + reason.text();
    }
}
