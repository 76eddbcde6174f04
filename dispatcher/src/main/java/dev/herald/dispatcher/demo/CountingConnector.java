package dev.herald.dispatcher.demo;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Connector} that counts the messages its delegate accepted, so {@code herald demo} can
 * show progress while {@link dev.herald.dispatcher.campaign.CampaignRun} (which exposes no
 * progress hook) runs.
 *
 * <p>Thread-safety: as the delegate; the counter is a {@link LongAdder} bumped on the
 * connector's answering thread.
 */
final class CountingConnector implements Connector {
    private final Connector delegate;
    private final LongAdder accepted = new LongAdder();

    CountingConnector(Connector delegate) {
        this.delegate = delegate;
    }

    /** @return messages accepted so far */
    long accepted() {
        return accepted.sum();
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

    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        return delegate.send(message).whenComplete((r, e) -> {
            if (r instanceof SendResult.Accepted) {
                accepted.increment();
            }
        });
    }

    /** Leaves the delegate open: its owner closes it. */
    @Override
    public void close() {
    }
}
