package dev.herald.dispatcher.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.render.Encoding;
import dev.herald.throttle.Priority;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class MeteredConnectorTest {

    /** Answers only when the test says so, with the results it is given. */
    private static final class Scripted implements Connector {
        final Deque<CompletableFuture<SendResult>> open = new ArrayDeque<>();

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public double maxRatePerSecond() {
            return Double.POSITIVE_INFINITY;
        }

        @Override
        public int window() {
            return 8;
        }

        @Override
        public CompletionStage<SendResult> send(OutboundMessage message) {
            CompletableFuture<SendResult> f = new CompletableFuture<>();
            open.add(f);
            return f;
        }

        @Override
        public void close() {
        }
    }

    private static OutboundMessage message(int id) {
        return new OutboundMessage("c-1", id, "+447400123456", "acme", "hi", Encoding.GSM_7, 1, Priority.MARKETING, "sms");
    }

    private static double count(MeterRegistry r, String name, String result) {
        var search = r.find(name).tag("connector", "scripted");
        return (result == null ? search : search.tag("result", result)).counter().count();
    }

    @Test
    void shouldCountSendsAnswersErrorsThrottlingAndInFlight() {
        MeterRegistry registry = new SimpleMeterRegistry();
        Scripted peer = new Scripted();
        Connector c = new MeteredConnector(peer, registry);
        List<OutboundMessage> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(message(i));
        }
        c.sendAll(batch);
        c.send(message(5));
        assertEquals(6, count(registry, "herald.connector.sends", null));
        assertEquals(6, registry.find("herald.connector.in.flight").gauge().value());
        peer.open.poll().complete(new SendResult.Accepted("m1", 1));
        peer.open.poll().complete(new SendResult.Accepted("m2", 1));
        peer.open.poll().complete(new SendResult.Throttled(-1));
        peer.open.poll().complete(new SendResult.Failed("invalid-destination"));
        peer.open.poll().complete(new SendResult.TransientFailure("timeout"));
        assertEquals(1, registry.find("herald.connector.in.flight").gauge().value(), "the batch is answered; one send is not");
        peer.open.poll().completeExceptionally(new IllegalStateException("a bug"));
        assertEquals(0, registry.find("herald.connector.in.flight").gauge().value());
        assertEquals(2, count(registry, "herald.connector.answers", "accepted"));
        assertEquals(1, count(registry, "herald.connector.answers", "throttled"));
        assertEquals(1, count(registry, "herald.connector.answers", "failed"));
        assertEquals(1, count(registry, "herald.connector.answers", "transient_failure"));
        assertEquals(1, count(registry, "herald.connector.answers", "exception"));
        assertEquals(3, count(registry, "herald.connector.errors", null), "failed, transient and the broken stage");
        assertEquals(1, count(registry, "herald.connector.throttled", null));
    }

    @Test
    void shouldLeaveTheConnectorAloneWhenMetricsAreOff() {
        Scripted peer = new Scripted();
        assertSame(peer, HeraldMetrics.noop().meter(peer));
        assertEquals("", HeraldMetrics.noop().scrape().toCompletableFuture().join());
    }
}
