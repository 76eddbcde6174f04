package dev.herald.throttle;

/**
 * Quiet-hours configuration that cannot be used. The message is {@code <key path>: <what is wrong>},
 * e.g. {@code herald.quiet-hours.policies.default.categories.marketing.windows[0]: "25:00" is not a time HH:mm}.
 *
 * <p>{@code catch (QuietHoursConfigException e) { log.error("bad config at {}", e.keyPath()); }}
 *
 * <p>Immutable and thread-safe.
 */
public final class QuietHoursConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The full key path, e.g. {@code herald.quiet-hours.policies.default.unknown-zones[0]}. */
    private final String keyPath;

    /**
     * @param keyPath the key that is wrong, from the configuration root
     * @param problem what is wrong with it
     */
    public QuietHoursConfigException(String keyPath, String problem) {
        super(keyPath + ": " + problem);
        this.keyPath = keyPath;
    }

    /** @return the key that is wrong, from the configuration root */
    public String keyPath() {
        return keyPath;
    }
}
