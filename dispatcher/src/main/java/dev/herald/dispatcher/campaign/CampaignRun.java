package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.pipeline.CampaignGraph;
import dev.herald.dispatcher.pipeline.JustInTimeClaims;
import dev.herald.dispatcher.pipeline.Recording;
import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.AudienceChunks;
import dev.herald.suppression.Scope;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.Priority;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.ZoneBuckets;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Runs one campaign to the end of its graph ({@link CampaignGraph}): every pending audience id gets an outcome
 * ({@code sent}, {@code suppressed:*}, {@code deferred}, {@code capped:*}, {@code failed:*}).
 *
 * <pre>{@code
 * CampaignResult r = CampaignRun.run(system, spec, deps).toCompletableFuture().join();
 * }</pre>
 *
 * <p>The outcome ledger is opened in {@code deps.ledgerRoot()/<spec.id()>} and closed when the
 * stream ends; running the same campaign again resumes it (only pending ids are processed,
 * claimed-but-unconfirmed ones from a crash become {@code unknown}). Deferred recipients keep the
 * outcome {@code deferred} with their instant; a later run takes those then due through the whole
 * graph again (re-checked for suppression, quiet hours and caps, paced by the rate limiter): the
 * {@code Campaign} actor schedules those runs.
 *
 * <p>Thread-safety: any number of campaigns may run at once on shared deps; one campaign id must
 * not run twice at the same time (its ledger directory is single writer).
 */
public final class CampaignRun {

    private CampaignRun() {
    }

    /**
     * @param system the actor system that materializes the stream and times the waits
     * @param spec   the campaign
     * @param deps   shared services
     * @return completed with the counts when every pending id has an outcome; failed if the
     *     ledger, a shard or the connector failed (claimed ids then become {@code unknown} on resume)
     * @throws IllegalArgumentException (in the stage) if the template does not parse, or a name in
     *     the spec is not a valid scope / cap context name
     */
    public static CompletionStage<CampaignResult> run(ActorSystem<?> system, CampaignSpec spec, CampaignDeps deps) {
        return run(system, spec, deps, new LongAdder());
    }

    /**
     * As {@link #run(ActorSystem, CampaignSpec, CampaignDeps)}, reporting progress.
     *
     * <pre>{@code
     * LongAdder decided = new LongAdder();
     * CompletionStage<CampaignResult> r = CampaignRun.run(system, spec, deps, decided); // poll decided.sum()
     * }</pre>
     *
     * @param system  the actor system that materializes the stream and times the waits
     * @param spec    the campaign
     * @param deps    shared services
     * @param decided incremented, from stream threads, by the ids that got an outcome in this run
     *                ({@code suppressed}, {@code deferred}, {@code capped}, {@code sent}, {@code failed}),
     *                right after it is recorded; when the run completes it has grown by the result's
     *                {@link CampaignResult#processed()}
     * @return as {@link #run(ActorSystem, CampaignSpec, CampaignDeps)}
     * @throws NullPointerException if {@code decided} is null
     */
    public static CompletionStage<CampaignResult> run(ActorSystem<?> system, CampaignSpec spec, CampaignDeps deps,
                                                      LongAdder decided) {
        Objects.requireNonNull(decided, "decided");
        OutcomeLedger ledger;
        try {
            ledger = OutcomeLedger.open(deps.ledgerRoot().resolve(spec.id()), spec.audience());
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<CampaignResult> out = new CompletableFuture<>();
        run(system, spec, deps, ledger, new Control(), decided).whenComplete((result, error) -> {
            Throwable failure = error instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : error;
            try {
                ledger.close();
            } catch (IOException e) {
                failure = failure == null ? new CampaignFailedException(spec.id(), e) : failure;
            }
            if (failure != null) {
                out.completeExceptionally(failure);
            } else {
                out.complete(result);
            }
        });
        return out;
    }

    /**
     * One run of a campaign on a ledger its caller owns (and closes): takes the ids still pending
     * plus the deferred ones due now through the whole graph. A campaign past its
     * {@link CampaignSpec#expiresAt()} instead records {@code expired} for every pending and
     * deferred id. Quiet hours and caps follow the clock (the plan is rebuilt when a chunk
     * arrives more than {@link CampaignGraph#PLAN_REFRESH} after it was made).
     *
     * <pre>{@code
     * CampaignRun.Control control = new CampaignRun.Control();
     * CompletionStage<CampaignResult> r = CampaignRun.run(system, spec, deps, ledger, control, new LongAdder());
     * control.stop(); // later: no further hand-over; unsent ids are pending again when r completes
     * }</pre>
     *
     * @param ledger  the campaign's open outcome ledger (its audience is the spec's); not closed here
     * @param control stops the run early: the source emits no further chunk and the send stage
     *                gives back what it has not handed over; the stream then drains and completes
     * @param decided as in {@link #run(ActorSystem, CampaignSpec, CampaignDeps, LongAdder)}
     * @return completed with the ledger's counts when the stream ends (deferred ids not yet due
     *     and, after a stop, pending ids may remain); failed with {@link CampaignFailedException}
     */
    public static CompletionStage<CampaignResult> run(ActorSystem<?> system, CampaignSpec spec, CampaignDeps deps,
                                                      OutcomeLedger ledger, Control control, LongAdder decided) {
        Objects.requireNonNull(ledger, "ledger");
        Objects.requireNonNull(control, "control");
        Objects.requireNonNull(decided, "decided");
        long start = System.nanoTime();
        AtomicLong processed = new AtomicLong();
        CompletionStage<?> done;
        try {
            Instant now = deps.clock().instant();
            if (spec.expiresAt() != null && !now.isBefore(spec.expiresAt())) {
                expireAll(ledger, decided, processed);
                done = CompletableFuture.completedFuture(null);
            } else {
                CampaignGraph.Running running = CampaignGraph.run(system, new CampaignGraph.Run(spec, deps,
                        new Recording(ledger, decided, spec.expiresAt(), BlockingIo.executor(system)), control::stopping, control.stamps::add, processed, now));
                control.claims = running.claims();
                done = running.done();
            }
        } catch (IOException | RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.handle((v, error) -> {
            Throwable failure = error;
            CampaignResult result = null;
            try {
                if (error != null) {
                    // No further hand-over by batches still under way; what they claimed and never
                    // handed over is pending again (not unknown), to be sent normally by the next run.
                    control.stop();
                    JustInTimeClaims claims = control.claims;
                    if (claims != null) {
                        ledger.release(claims.abandonAll());
                    }
                }
                ledger.sync();
                result = new CampaignResult(spec.id(), ledger.audienceSize(), processed.get(), ledger.counts(),
                        Duration.ofNanos(System.nanoTime() - start));
            } catch (IOException | RuntimeException e) {
                failure = failure == null ? e : failure;
            }
            if (failure != null) {
                throw new CampaignFailedException(spec.id(), failure instanceof CompletionException ce && ce.getCause() != null
                        ? ce.getCause() : failure);
            }
            return result;
        });
    }

    /** The cap context of the campaign's sends (its zone is set per zone group when reserving). */
    public static CapContext capContext(CampaignSpec spec) {
        return CampaignGraph.capContext(spec.channel(), spec.category());
    }

    /**
     * What a crash can make {@code unknown}, in connector windows: one. Claims are made just in
     * time ({@link JustInTimeClaims}) and every claimed id holds a slot of the connector's window
     * from its claim until its answer is written to the ledger ({@link JustInTimeClaims#settle}):
     * claimed before the hand-over, in flight, answered and being written, or waiting to retry a
     * transient failure. So the ids claimed without an answer, which a crash turns
     * {@code unknown}, are never more than the window — across every campaign that shares the
     * connector.
     */
    public static final int UNKNOWN_BOUND_WINDOWS = 1;

    /**
     * @param window the connector's window
     * @return the most ids one crash can make {@code unknown}: {@link #UNKNOWN_BOUND_WINDOWS} windows
     */
    public static long unknownBound(int window) {
        return (long) UNKNOWN_BOUND_WINDOWS * window;
    }

    private static void expireAll(OutcomeLedger ledger, LongAdder decided, AtomicLong processed) throws IOException {
        MutableRoaringBitmap left = ledger.unsettled();
        ledger.record(Outcomes.EXPIRED, left);
        processed.addAndGet(left.getLongCardinality());
        decided.add(left.getLongCardinality());
    }

    /**
     * Stops a run early. Once {@link #stop()} is called the run's source emits no further chunk
     * and its send stage hands nothing more to the connector; what was claimed but not handed over
     * is un-claimed. Thread-safe; one per run.
     */
    public static final class Control {
        private volatile boolean stop;
        /** The run's just-in-time claims, once its stream is built. */
        volatile JustInTimeClaims claims;
        private final java.util.Set<Long> stamps = java.util.concurrent.ConcurrentHashMap.newKeySet();

        /**
         * @return the cap reservation stamps the run's reservations used so far: after a failed
         *     run, the reservations of ids left pending are released with them
         */
        public java.util.Set<Long> stamps() {
            return java.util.Set.copyOf(stamps);
        }

        /** Asks the run to stop. Idempotent; any thread. */
        public void stop() {
            stop = true;
        }

        /** @return whether {@link #stop()} was called */
        public boolean stopping() {
            return stop;
        }
    }

    /** The stream of a campaign failed; its ledger is closed and the campaign can be resumed. */
    public static final class CampaignFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CampaignFailedException(String campaignId, Throwable cause) {
            super("campaign " + campaignId + " failed: " + cause, cause);
        }
    }
}
