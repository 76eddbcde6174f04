package dev.herald.dispatcher.journey;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One event of a recipient as stored ({@code POST /v1/events}, issue 16): what happened
 * ({@code signed_up}, {@code cart_abandoned}, {@code order_placed}, ...), when, and its flat properties.
 *
 * <pre>{@code
 * new Event("e-1", 42, "cart_abandoned", at, received, Map.of("cartId", "c-9", "value", new BigDecimal("19.90")));
 * }</pre>
 *
 * @param id               the caller's event id, 1-{@value #MAX_ID} characters without control characters: an
 *                         event with an id already stored is a retry and changes nothing
 * @param recipient        the recipient's directory id
 * @param name             what happened: 1-{@value #MAX_NAME} characters of {@code [a-z0-9_.-]}
 * @param atMillis         when it happened, epoch ms
 * @param receivedAtMillis when Herald received it, epoch ms
 * @param properties       flat properties in the caller's order: each value a {@link String}, a
 *                         {@link BigDecimal} or a {@link Boolean} (copied, unmodifiable)
 */
public record Event(String id, int recipient, String name, long atMillis, long receivedAtMillis, Map<String, Object> properties) {

    /** The longest event id, in characters. */
    public static final int MAX_ID = 128;
    /** The longest event name, in characters. */
    public static final int MAX_NAME = 64;
    /** The longest property key, in characters. */
    public static final int MAX_KEY = 64;

    private static final Pattern NAME = Pattern.compile("[a-z0-9_.-]{1," + MAX_NAME + "}");

    /** @throws IllegalArgumentException if a field is out of range (see the parameters) */
    public Event {
        if (!validId(id)) {
            throw new IllegalArgumentException("event id must be 1-" + MAX_ID + " characters without control characters");
        }
        if (recipient < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + recipient);
        }
        if (!validName(name)) {
            throw new IllegalArgumentException("event name must be 1-" + MAX_NAME + " characters of [a-z0-9_.-], got " + name);
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        if (properties != null) {
            for (Map.Entry<String, Object> e : properties.entrySet()) {
                if (!validKey(e.getKey())) {
                    throw new IllegalArgumentException("property key must be 1-" + MAX_KEY + " characters without control characters");
                }
                Object v = e.getValue();
                if (v instanceof Number n && !(v instanceof BigDecimal)) {
                    v = new BigDecimal(n.toString());
                }
                if (!(v instanceof String || v instanceof BigDecimal || v instanceof Boolean)) {
                    throw new IllegalArgumentException("property '" + e.getKey() + "' must be a string, a number or a boolean");
                }
                copy.put(e.getKey(), v);
            }
        }
        properties = Collections.unmodifiableMap(copy);
    }

    /** @return true if {@code id} may be an event id (1-{@value #MAX_ID} characters, no control characters) */
    public static boolean validId(String id) {
        return id != null && !id.isEmpty() && id.length() <= MAX_ID && noControl(id);
    }

    /** @return true if {@code name} may be an event name (1-{@value #MAX_NAME} characters of {@code [a-z0-9_.-]}) */
    public static boolean validName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** @return true if {@code key} may be a property key (1-{@value #MAX_KEY} characters, no control characters) */
    public static boolean validKey(String key) {
        return key != null && !key.isEmpty() && key.length() <= MAX_KEY && noControl(key);
    }

    private static boolean noControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                return false;
            }
            if (Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(++i))
                    : Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }
}
