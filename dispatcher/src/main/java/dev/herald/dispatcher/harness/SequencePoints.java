package dev.herald.dispatcher.harness;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Tickets that order events on different threads exactly: each {@link #next()} is greater than
 * every ticket handed out before it (a linearizable counter), so comparing two tickets tells which
 * event came first, with no clock and no resolution limit.
 *
 * <p>{@code long before = points.next(); index.optOut(...); long acknowledged = points.next();}
 *
 * <p>Thread-safe.
 */
public final class SequencePoints {
    private final AtomicLong last = new AtomicLong();

    /** @return a ticket, {@code >= 1}, greater than every ticket returned before */
    public long next() {
        return last.incrementAndGet();
    }
}
