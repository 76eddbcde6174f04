package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.campaign.CampaignPipeline.Claimed;
import dev.herald.dispatcher.campaign.CampaignPipeline.Delivery;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimiter;

import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.IntIterator;

/**
 * The only per-recipient stage: for each claimed id, a last suppression check on the current
 * snapshot, render, rate limit, send, and retries, with at most {@link Connector#window()} sends
 * in flight.
 *
 * <pre>{@code
 * Flow<Claimed, Delivery, NotUsed> send = SendStage.flow(system, new SendStage.Settings(spec, directory,
 *         index, scopes, renderer, connector, limiter, Priority.MARKETING, SendStage.Retry.defaults()));
 * }</pre>
 *
 * <p><b>Opt-outs during the run.</b> The suppression check is repeated on a fresh snapshot right
 * before every hand-over to the connector (retries included): an opt-out acknowledged before that
 * moment stops the message. Such ids come out as {@code suppressed:<scope>}; the record stage
 * un-claims them first.
 *
 * <p><b>Waiting.</b> Rate-limit waits and retry backoffs are scheduled on the actor system's
 * scheduler ({@link Patterns#after}); no thread sleeps. A throttled or transiently failed message
 * keeps its place in flight and is sent again, so it is neither lost nor sent twice; a permanent
 * failure (or retries exhausted) becomes {@code failed:<reason>}.
 *
 * <p>Thread-safety: the flow is an immutable blueprint.
 */
public final class SendStage {

    /**
     * Backoff for throttled and transient answers.
     *
     * @param initial            first backoff
     * @param max                backoff ceiling (doubling up to it)
     * @param transientAttempts  sends before a transient failure becomes {@code failed:<reason>}, ≥ 1
     * @param throttledAttempts  sends before repeated throttling becomes {@code failed:throttled}, ≥ 1
     */
    public record Retry(Duration initial, Duration max, int transientAttempts, int throttledAttempts) {
        /** @throws IllegalArgumentException if a count is below 1 or a duration is negative */
        public Retry {
            if (initial.isNegative() || max.compareTo(initial) < 0 || transientAttempts < 1 || throttledAttempts < 1) {
                throw new IllegalArgumentException("retry: need 0 <= initial <= max and attempts >= 1");
            }
        }

        /** @return 10 ms doubling to 1 s, 5 transient attempts, 1,000 throttled attempts */
        public static Retry defaults() {
            return new Retry(Duration.ofMillis(10), Duration.ofSeconds(1), 5, 1_000);
        }

        Duration backoff(int attempt) {
            long ms = initial.toMillis() << Math.min(20, Math.max(0, attempt - 1));
            return Duration.ofMillis(Math.min(max.toMillis(), ms));
        }
    }

    /**
     * @param spec        the campaign
     * @param directory   numbers and personal fields
     * @param suppression index re-checked before each send
     * @param scopes      the message's suppression scopes
     * @param renderer    template plus footer
     * @param connector   where messages go
     * @param rateLimiter shared token bucket, or null
     * @param priority    marketing or transactional
     * @param retry       backoff policy
     */
    public record Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                           Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry) {
    }

    private SendStage() {
    }

    /**
     * @param system the actor system whose scheduler times the waits
     * @param s      what and how to send
     * @return one {@link Delivery} per claimed id, in completion order
     */
    public static Flow<Claimed, Delivery, NotUsed> flow(ActorSystem<?> system, Settings s) {
        return Flow.<Claimed>create()
                .mapConcat(c -> (Iterable<long[]>) () -> ids(c))
                .mapAsyncUnordered(s.connector().window(), p -> sendOne(system, s, (int) p[0], p[1]))
                .named("campaign-send");
    }

    private static Iterator<long[]> ids(Claimed c) {
        IntIterator it = c.ids().getIntIterator();
        return new Iterator<>() {
            public boolean hasNext() {
                return it.hasNext();
            }

            public long[] next() {
                return new long[] {it.next(), c.stamp()};
            }
        };
    }

    private static CompletionStage<Delivery> sendOne(ActorSystem<?> system, Settings s, int id, long stamp) {
        Optional<Recipient> r = s.directory().get(id);
        if (r.isEmpty()) {
            return done(id, stamp, Outcomes.failed("unknown-recipient"));
        }
        OutboundMessage message;
        try {
            RenderedMessage rendered = s.renderer().render(r.get(), Map.of());
            message = OutboundMessage.of(s.spec().id(), id, r.get().e164(), s.spec().sender(), rendered,
                    s.priority(), s.spec().channel());
        } catch (RuntimeException e) {
            return done(id, stamp, Outcomes.failed("render:" + e.getClass().getSimpleName()));
        }
        return attempt(system, s, message, stamp, 1, 1);
    }

    private static CompletionStage<Delivery> attempt(ActorSystem<?> system, Settings s, OutboundMessage m, long stamp,
                                                     int transientTry, int throttledTry) {
        if (s.rateLimiter() != null) {
            long wait = s.rateLimiter().tryAcquire(s.priority(), m.segments(), System.nanoTime());
            if (wait > 0) {
                return later(system, Duration.ofNanos(wait), () -> attempt(system, s, m, stamp, transientTry, throttledTry));
            }
        }
        String suppressedBy = suppressedBy(s.suppression().snapshot(), m.recipientId(), s.scopes());
        if (suppressedBy != null) {
            return done(m.recipientId(), stamp, Outcomes.suppressed(suppressedBy));
        }
        return s.connector().send(m).thenCompose(result -> {
            if (result instanceof SendResult.Accepted) {
                return done(m.recipientId(), stamp, Outcomes.SENT);
            } else if (result instanceof SendResult.Failed f) {
                return done(m.recipientId(), stamp, Outcomes.failed(reason(f.reason())));
            } else if (result instanceof SendResult.Throttled t) {
                if (throttledTry >= s.retry().throttledAttempts()) {
                    return done(m.recipientId(), stamp, Outcomes.failed("throttled"));
                }
                Duration wait = s.retry().backoff(throttledTry);
                Duration after = t.retryAfter().filter(d -> d.compareTo(wait) > 0).orElse(wait);
                return later(system, after, () -> attempt(system, s, m, stamp, transientTry, throttledTry + 1));
            } else {
                SendResult.TransientFailure tf = (SendResult.TransientFailure) result;
                if (transientTry >= s.retry().transientAttempts()) {
                    return done(m.recipientId(), stamp, Outcomes.failed(reason(tf.reason())));
                }
                return later(system, s.retry().backoff(transientTry),
                        () -> attempt(system, s, m, stamp, transientTry + 1, throttledTry));
            }
        });
    }

    private static String suppressedBy(SuppressionSnapshot snapshot, int id, List<Scope> scopes) {
        if (!snapshot.isSuppressed(id, scopes)) {
            return null;
        }
        for (Scope scope : scopes) {
            if (snapshot.isSuppressed(id, scope)) {
                return scope.toString();
            }
        }
        return scopes.get(0).toString();
    }

    private static String reason(String raw) {
        String r = raw == null || raw.isBlank() ? "unspecified" : raw.strip().replaceAll("[\\s\\p{Cntrl}]+", "-");
        return r.length() > Outcomes.MAX_REASON ? r.substring(0, Outcomes.MAX_REASON) : r;
    }

    private static CompletionStage<Delivery> later(ActorSystem<?> system, Duration delay,
                                                   java.util.concurrent.Callable<CompletionStage<Delivery>> next) {
        return Patterns.after(delay, system.classicSystem().scheduler(), system.executionContext(), next);
    }

    private static CompletionStage<Delivery> done(int id, long stamp, String outcome) {
        return CompletableFuture.completedFuture(new Delivery(id, stamp, outcome));
    }
}
