package dev.herald.dispatcher.api;

import java.time.Duration;
import java.util.Objects;

/**
 * How much of a JSON request body a route group reads, and for how long ({@code herald.service.max-json-body}
 * and {@code body-timeout}): a bigger body is a 413, a slower one a timeout.
 *
 * <pre>{@code
 * BodyLimits limits = new BodyLimits(settings.maxJsonBody(), settings.bodyTimeout());
 * }</pre>
 *
 * @param maxJsonBytes the largest JSON request body, bytes
 * @param timeout      how long reading a request body may take
 */
public record BodyLimits(long maxJsonBytes, Duration timeout) {

    /** @throws NullPointerException for a null timeout */
    public BodyLimits {
        Objects.requireNonNull(timeout, "timeout");
    }
}
