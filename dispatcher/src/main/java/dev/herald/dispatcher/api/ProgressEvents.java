package dev.herald.dispatcher.api;

import dev.herald.dispatcher.campaign.CampaignStatus;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The rules of a campaign's live progress stream ({@code GET /v1/campaigns/{id}/events}), written
 * once for every server that streams it: a single node looks at its campaign manager's record
 * ({@link CampaignEventRoutes}), a cluster node at the campaign merged from every partition.
 *
 * <pre>{@code
 * Source<ServerSentEvent, NotUsed> s = ProgressEvents.stream(first, () -> lookAgain(), r -> new ProgressEvents.Look(
 *         r.status(), List.of(r.counts()), r), timing);
 * }</pre>
 *
 * <p><b>Rules.</b> A {@value #PROGRESS} event carrying the campaign's JSON view at once, then
 * whenever the status changes (seen within one poll) and at most every {@link Timing#every()} while
 * the progress moves. After {@link Timing#heartbeat()} without an event, a heartbeat: an event with
 * empty data ({@code data:} and a blank line), which EventSource clients do not dispatch and which
 * keeps idle timeouts (Pekko's, proxies') from closing the stream. When the status ends the
 * campaign ({@link #ends}), an {@value #END} event with the final view, and the stream ends.
 *
 * <p><b>Polls.</b> The campaign is looked at once per {@link Timing#poll()}, one look at a time; a
 * look that fails or finds nothing to show (empty) is skipped, not fatal. Polling stops when the
 * stream does: at the end, or when the client goes away (the server cancels the stream).
 *
 * <p>Thread-safety: stateless; each materialized stream keeps its own state.
 */
public final class ProgressEvents {

    /** The event type of a progress update. */
    public static final String PROGRESS = "progress";
    /** The event type of the last event, after which the stream ends. */
    public static final String END = "end";

    private ProgressEvents() {
    }

    /**
     * How often a stream looks and speaks.
     *
     * @param poll      how often the campaign is looked at
     * @param every     the least time between two progress events whose progress moved
     * @param heartbeat the most time without any event
     */
    public record Timing(Duration poll, Duration every, Duration heartbeat) {
        /** @throws IllegalArgumentException naming it if a duration is not positive */
        public Timing {
            for (Duration d : List.of(poll, every, heartbeat)) {
                if (d.isZero() || d.isNegative()) {
                    throw new IllegalArgumentException("campaign events: durations must be positive, got " + d);
                }
            }
        }
    }

    /**
     * What one look at a campaign shows.
     *
     * @param status   its status
     * @param progress what moves while it runs (its counts), compared with {@code equals}
     * @param view     its JSON view (as {@code GET /v1/campaigns/{id}}), written with Jackson when sent
     */
    public record Look(CampaignStatus status, Object progress, Object view) {
    }

    /** @return whether the stream ends at {@code s}: completed, cancelled, failed (or damaged: nothing more will happen) */
    public static boolean ends(CampaignStatus s) {
        return s.isTerminal() || s == CampaignStatus.FAILED || s == CampaignStatus.DAMAGED;
    }

    /**
     * @param first  the campaign as first seen (shown at once)
     * @param poll   looks at the campaign again: a failed stage or an empty answer is a skipped poll
     * @param look   what a campaign shows
     * @param timing how often to look and speak
     * @param <T>    what a look returns
     * @return the stream of events; it ends after the {@value #END} event
     */
    public static <T> Source<ServerSentEvent, NotUsed> stream(T first, Supplier<CompletionStage<Optional<T>>> poll,
                                                              Function<T, Look> look, Timing timing) {
        Source<T, NotUsed> polls = Source.tick(timing.poll(), timing.poll(), NotUsed.getInstance())
                .mapAsync(1, t -> {
                    CompletionStage<Optional<T>> seen;
                    try {
                        seen = poll.get();
                    } catch (RuntimeException e) {
                        seen = java.util.concurrent.CompletableFuture.failedFuture(e);
                    }
                    // outer empty: the campaign cannot be shown to this client any more, and the stream ends
                    return seen.handle((r, e) -> e != null && (e instanceof Gone || e.getCause() instanceof Gone)
                            ? Optional.<Optional<T>>empty() : Optional.of(r == null ? Optional.<T>empty() : r));
                })
                .takeWhile(Optional::isPresent)
                .map(Optional::get)
                .filter(Optional::isPresent)
                .map(Optional::get)
                .mapMaterializedValue(c -> NotUsed.getInstance());
        long everyNanos = timing.every().toNanos();
        return Source.single(first).concat(polls)
                .statefulMapConcat(() -> {
                    CampaignStatus[] lastStatus = {null};
                    Object[] lastProgress = {null};
                    long[] lastAt = {0};
                    return r -> {
                        Look l = look.apply(r);
                        long now = System.nanoTime();
                        boolean end = ends(l.status());
                        boolean changed = l.status() != lastStatus[0];
                        boolean moved = !l.progress().equals(lastProgress[0]) && now - lastAt[0] >= everyNanos;
                        if (!end && !changed && !moved) {
                            return List.of();
                        }
                        lastStatus[0] = l.status();
                        lastProgress[0] = l.progress();
                        lastAt[0] = now;
                        return List.of(ServerSentEvent.create(json(l.view()), end ? END : PROGRESS));
                    };
                })
                .takeWhile(e -> !e.getEventType().equals(Optional.of(END)), true)
                .keepAlive(timing.heartbeat(), ServerSentEvent::heartbeat);
    }

    /**
     * Failing a poll with this ends the stream (no {@value #END} event: the campaign did not end):
     * the client may no longer see the campaign (its key was revoked) or it is gone. Any other
     * failure is a skipped look.
     */
    public static final class Gone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** @param why what the look was answered */
        public Gone(String why) {
            super(why, null, false, false);
        }
    }

    private static String json(Object view) {
        try {
            return ApiDirectives.JSON.writeValueAsString(view);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a campaign view: " + e.getMessage(), e);
        }
    }
}
