package dev.herald.dispatcher.harness;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Connector} that stamps every hand-over with a ticket from a shared {@link SequencePoints}
 * before passing it on, and keeps each recipient's last ticket: the bench's exact clock for "was
 * this message handed to the connector after that opt-out was acknowledged?".
 *
 * <pre>{@code
 * SequencePoints points = new SequencePoints();
 * Connector c = new SequencedConnector(SimulatedConnector.open(options), points, recipients);
 * long handedOver = ((SequencedConnector) c).lastHandOver(id); // 0: never
 * }</pre>
 *
 * <p>Why tickets and not time stamps: the accepted log's times are wall-clock milliseconds, and a
 * millisecond holds ~100 sends at 100,000/s; two events on different threads cannot be ordered by
 * them. Tickets come from one {@link java.util.concurrent.atomic.AtomicLong}, whose increments are
 * totally ordered and consistent with each thread's program order, so "ticket a &lt; ticket b"
 * means event a happened before event b.
 *
 * <p>The ticket is taken as the first action of {@link #send}, before the delegate sees the
 * message: the moment its hand-over began (after the send stage's last suppression check).
 * A retried message is stamped again; a recipient's last ticket is that of its last hand-over,
 * which is the accepted one if it was accepted (one campaign, one message per recipient).
 *
 * <p>Thread-safe. Memory: 8 bytes per id of {@code [0, ids)}.
 */
public final class SequencedConnector extends ForwardingConnector {

    private final SequencePoints points;
    private final AtomicLongArray lastHandOver;
    private final LongAdder throttled = new LongAdder();

    /**
     * @param delegate the connector that sends
     * @param points   where tickets come from (shared with whoever compares against them)
     * @param ids      recipients ids are in {@code [0, ids)}
     * @throws IllegalArgumentException if {@code ids < 1}
     */
    public SequencedConnector(Connector delegate, SequencePoints points, int ids) {
        super(delegate);
        if (ids < 1) {
            throw new IllegalArgumentException("ids must be at least 1, got " + ids);
        }
        this.points = Objects.requireNonNull(points, "points");
        this.lastHandOver = new AtomicLongArray(ids);
    }

    /**
     * @param recipientId a recipient id in {@code [0, ids)}
     * @return the ticket of its last hand-over, 0 if it was never handed over
     */
    public long lastHandOver(int recipientId) {
        return lastHandOver.get(recipientId);
    }

    /** @return sends the delegate answered {@link SendResult.Throttled} (each is retried by the caller) */
    public long throttled() {
        return throttled.sum();
    }

    /** @throws IllegalArgumentException if the recipient id is outside {@code [0, ids)} */
    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        long ticket = points.next();
        int id = message.recipientId();
        if (id < 0 || id >= lastHandOver.length()) {
            throw new IllegalArgumentException("recipient id " + id + " outside [0, " + lastHandOver.length() + ")");
        }
        lastHandOver.set(id, ticket);
        return delegate().send(message).whenComplete((result, error) -> {
            if (result instanceof SendResult.Throttled) {
                throttled.increment();
            }
        });
    }

}
