package dev.herald.dispatcher.funnel;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One conversion as stored: an order of a recipient, its value, and the campaign it was attributed to.
 *
 * <pre>{@code
 * new Conversion("o-1001", 42, "spring-sale", Attribution.Source.CLICK, new BigDecimal("19.90"), "EUR", occurred, received);
 * }</pre>
 *
 * @param orderId          the caller's order id, 1-{@value #MAX_ORDER_ID} characters without control characters: a
 *                         conversion with an order id already stored is a retry and changes nothing
 * @param recipient        the recipient's directory id
 * @param campaignId       the attributed campaign, or null (unattributed)
 * @param source           why it went to that campaign ({@link Attribution.Source#NONE} when unattributed)
 * @param value            its value, &ge; 0, at most {@value #MAX_SCALE} decimal places (trailing zeros stripped)
 * @param currency         the value's ISO 4217 code, upper case
 * @param occurredAtMillis when it occurred, epoch ms
 * @param receivedAtMillis when Herald received it, epoch ms
 */
public record Conversion(String orderId, int recipient, String campaignId, Attribution.Source source, BigDecimal value,
                         String currency, long occurredAtMillis, long receivedAtMillis) {

    /** The longest order id, in characters. */
    public static final int MAX_ORDER_ID = 128;
    /** The most decimal places of a value. */
    public static final int MAX_SCALE = 4;
    /** Values are below this. */
    public static final BigDecimal MAX_VALUE = new BigDecimal("1e15");

    /** @throws IllegalArgumentException if a field is out of range (see the parameters) */
    public Conversion {
        Objects.requireNonNull(source, "source");
        if (!validOrderId(orderId)) {
            throw new IllegalArgumentException("order id must be 1-" + MAX_ORDER_ID + " characters without control characters");
        }
        if (recipient < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipient);
        }
        if ((campaignId == null) != (source == Attribution.Source.NONE)) {
            throw new IllegalArgumentException("a conversion has a campaign unless its source is none, got " + campaignId
                    + " by " + source);
        }
        if (value == null || value.signum() < 0 || value.compareTo(MAX_VALUE) >= 0) {
            throw new IllegalArgumentException("value must be >= 0 and < 1e15, got " + value);
        }
        value = value.signum() == 0 ? BigDecimal.ZERO : value.stripTrailingZeros();
        if (value.scale() > MAX_SCALE) {
            throw new IllegalArgumentException("value has more than " + MAX_SCALE + " decimal places: " + value.toPlainString());
        }
        if (value.scale() < 0) {
            value = value.setScale(0);
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency must be an ISO 4217 code (3 upper-case letters), got " + currency);
        }
    }

    /** @return true if {@code id} may be an order id (1-{@value #MAX_ORDER_ID} characters, no control characters) */
    public static boolean validOrderId(String id) {
        if (id == null || id.isEmpty() || id.length() > MAX_ORDER_ID) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogate(id, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** @return this conversion attributed as {@code r} says */
    public Conversion attributed(Attribution.Result r) {
        return new Conversion(orderId, recipient, r.campaignId(), r.source(), value, currency, occurredAtMillis, receivedAtMillis);
    }
}
