package dev.herald.dispatcher.metrics;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.ForwardingConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A {@link Connector} that counts what passes through it and forwards everything else unchanged:
 * {@code herald_connector_sends_total}, {@code herald_connector_answers_total{result}},
 * {@code herald_connector_errors_total}, {@code herald_connector_throttled_total} and the gauge
 * {@code herald_connector_in_flight}, each tagged {@code connector=<name>}.
 *
 * <pre>{@code
 * Connector counted = new MeteredConnector(SimulatedConnector.open(options), registry);
 * }</pre>
 *
 * <p>Label cardinality: one series per connector name and answer kind; no message or recipient
 * data. Errors are {@link SendResult.Failed}, {@link SendResult.TransientFailure} and stages that
 * complete exceptionally; throttled answers are counted apart (they are the peer's pacing, not a
 * fault). Closing closes the wrapped connector.
 *
 * <p>Thread-safety: as thread-safe as the wrapped connector; the counters are lock-free.
 */
public final class MeteredConnector extends ForwardingConnector {

    private final Counter sends;
    private final Counter accepted;
    private final Counter failed;
    private final Counter throttled;
    private final Counter transientFailures;
    private final Counter unconfirmed;
    private final Counter exceptions;
    private final Counter errors;
    private final Counter throttledTotal;
    private final AtomicLong inFlight = new AtomicLong();

    /**
     * @param delegate the connector that does the sending
     * @param registry where the meters are registered
     * @throws NullPointerException if either is null
     */
    public MeteredConnector(Connector delegate, MeterRegistry registry) {
        super(delegate);
        Objects.requireNonNull(registry, "registry");
        String name = delegate().name();
        sends = Counter.builder("herald.connector.sends").description("messages handed to the connector")
                .tag("connector", name).register(registry);
        accepted = answers(registry, name, "accepted");
        failed = answers(registry, name, "failed");
        throttled = answers(registry, name, "throttled");
        transientFailures = answers(registry, name, "transient_failure");
        unconfirmed = answers(registry, name, "unconfirmed");
        exceptions = answers(registry, name, "exception");
        errors = Counter.builder("herald.connector.errors")
                .description("answers that are failures (permanent or transient) or broken stages")
                .tag("connector", name).register(registry);
        throttledTotal = Counter.builder("herald.connector.throttled")
                .description("throttling answers from the peer (SMPP ESME_RTHROTTLED, HTTP 429)")
                .tag("connector", name).register(registry);
        Gauge.builder("herald.connector.in.flight", inFlight, AtomicLong::get)
                .description("messages handed to the connector and not yet answered").tag("connector", name)
                .register(registry);
    }

    private static Counter answers(MeterRegistry registry, String name, String result) {
        return Counter.builder("herald.connector.answers").description("answers from the connector by kind")
                .tag("connector", name).tag("result", result).register(registry);
    }

    @Override
    public CompletionStage<SendResult> send(OutboundMessage message) {
        handedOver(1);
        CompletionStage<SendResult> answer;
        try {
            answer = delegate().send(message);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            throw e;
        }
        return answer.whenComplete((r, e) -> count(r, e));
    }

    @Override
    public CompletionStage<List<SendResult>> sendAll(List<OutboundMessage> messages) {
        handedOver(messages.size());
        CompletionStage<List<SendResult>> answers;
        try {
            answers = delegate().sendAll(messages);
        } catch (RuntimeException e) {
            inFlight.addAndGet(-messages.size());
            throw e;
        }
        return answers.whenComplete((rs, e) -> {
            if (rs != null) {
                rs.forEach(r -> count(r, null));
            } else {
                for (int i = 0; i < messages.size(); i++) {
                    count(null, e);
                }
            }
        });
    }

    private void handedOver(int n) {
        sends.increment(n);
        inFlight.addAndGet(n);
    }

    private void count(SendResult r, Throwable e) {
        inFlight.decrementAndGet();
        if (e != null || r == null) {
            exceptions.increment();
            errors.increment();
            return;
        }
        if (r instanceof SendResult.Accepted) {
            accepted.increment();
        } else if (r instanceof SendResult.Throttled) {
            throttled.increment();
            throttledTotal.increment();
        } else if (r instanceof SendResult.Failed) {
            failed.increment();
            errors.increment();
        } else if (r instanceof SendResult.Unconfirmed) {
            unconfirmed.increment();
            errors.increment();
        } else {
            transientFailures.increment();
            errors.increment();
        }
    }

}
