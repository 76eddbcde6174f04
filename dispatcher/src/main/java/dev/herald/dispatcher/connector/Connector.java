package dev.herald.dispatcher.connector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A way out to the network: SMPP, an HTTP gateway, or the {@link SimulatedConnector}.
 *
 * <pre>{@code
 * // in the campaign stream: at most window() messages in flight, answers in order
 * flow.mapAsync(connector.window(), m -> connector.send(m))
 * }</pre>
 *
 * <p><b>Contract.</b> {@link #send} never blocks the caller on the network: it returns a stage
 * that the implementation completes later with the peer's {@link SendResult}. Peer problems are
 * answers, not exceptions: the stage completes exceptionally only on a bug. The caller keeps at
 * most {@link #window()} sends unanswered; an implementation frees a window slot before it
 * completes the stage, so a caller may send again from the completion callback.
 *
 * <p><b>Throttling.</b> An implementation given a {@link dev.herald.throttle.RateLimiter} reports
 * every {@link SendResult.Throttled} answer to its {@code onThrottled} before completing the stage,
 * so the shared token bucket pauses and backs off for every campaign. The throttled message was not
 * accepted: the caller retries it, before any later message of the same recipient.
 *
 * <p><b>Threads.</b> Implementations are thread-safe. Stages may be completed on the connector's
 * own I/O thread: callbacks must not block (use the {@code ...Async} variants for heavy work).
 */
public interface Connector extends AutoCloseable {

    /** @return the connector's name, e.g. {@code simulated}, as used in configuration and metrics */
    String name();

    /** @return the most messages per second the peer takes, {@link Double#POSITIVE_INFINITY} if unlimited */
    double maxRatePerSecond();

    /** @return the most sends the caller may have unanswered at once, ≥ 1 */
    int window();

    /**
     * @param message the message
     * @return completed with the peer's answer
     * @throws IllegalStateException if the connector is closed or {@link #window()} sends are unanswered
     * @throws NullPointerException  if {@code message} is null
     */
    CompletionStage<SendResult> send(OutboundMessage message);

    /**
     * Sends a batch; each message takes one window slot.
     *
     * @param messages the batch, at most {@link #window()} minus the sends already unanswered
     * @return completed with the answers, in the batch's order
     * @throws IllegalStateException if the connector is closed or the batch overflows the window;
     *                               messages sent before the overflow are still answered
     */
    default CompletionStage<List<SendResult>> sendAll(List<OutboundMessage> messages) {
        List<CompletableFuture<SendResult>> stages = new ArrayList<>(messages.size());
        for (OutboundMessage m : messages) {
            stages.add(send(m).toCompletableFuture());
        }
        return CompletableFuture.allOf(stages.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<SendResult> results = new ArrayList<>(stages.size());
            stages.forEach(s -> results.add(s.join()));
            return results;
        });
    }

    /**
     * Whether the peer deduplicates by {@link OutboundMessage#idempotencyKey()}: a message sent again
     * with the key of one it accepted before (even before a crash of the caller) is answered
     * {@link SendResult.Accepted} without reaching the recipient a second time. A campaign on such a
     * connector resends the recipients a crash left {@code unknown} by itself; on any other it
     * never does (only an operator's at-least-once resend).
     *
     * @return false unless the implementation guarantees that deduplication
     */
    default boolean supportsIdempotencyKey() {
        return false;
    }

    /** Stops taking sends, waits for the unanswered ones to be answered, and releases resources. */
    @Override
    void close();
}
