package dev.herald.dispatcher.connector;

import java.util.Objects;

/**
 * A {@link Connector} that wraps another and adds something around its sends (a shared window,
 * metrics, sequence tickets): name, rate, window and closing are the delegate's.
 *
 * <pre>{@code
 * final class Counting extends ForwardingConnector {
 *     Counting(Connector c) { super(c); }
 *     public CompletionStage<SendResult> send(OutboundMessage m) { count++; return delegate().send(m); }
 * }
 * }</pre>
 */
public abstract class ForwardingConnector implements Connector {

    private final Connector delegate;

    /** @throws NullPointerException if {@code delegate} is null */
    protected ForwardingConnector(Connector delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** @return the wrapped connector */
    protected final Connector delegate() {
        return delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public double maxRatePerSecond() {
        return delegate.maxRatePerSecond();
    }

    @Override
    public int window() {
        return delegate.window();
    }

    /** The delegate's: a wrapper that sends each message once keeps its deduplication. */
    @Override
    public boolean supportsIdempotencyKey() {
        return delegate.supportsIdempotencyKey();
    }

    /** Closes the delegate. */
    @Override
    public void close() {
        delegate.close();
    }
}
