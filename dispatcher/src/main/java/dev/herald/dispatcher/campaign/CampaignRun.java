package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
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
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Runs one campaign to the end of its stream: every pending audience id gets an outcome
 * ({@code sent}, {@code suppressed:*}, {@code deferred}, {@code capped:*}, {@code failed:*}).
 *
 * <pre>{@code
 * CampaignResult r = CampaignRun.run(system, spec, deps).toCompletableFuture().join();
 * }</pre>
 *
 * <p>The outcome ledger is opened in {@code deps.ledgerRoot()/<spec.id()>} and closed when the
 * stream ends; running the same campaign again resumes it (only pending ids are processed,
 * claimed-but-unconfirmed ones from a crash become {@code unknown}). Deferred recipients keep the
 * outcome {@code deferred} with their instant: releasing them later (re-checked for suppression and
 * caps) is not part of this run.
 *
 * <p>Thread-safety: any number of campaigns may run at once on shared deps; one campaign id must
 * not run twice at the same time (its ledger directory is single writer).
 */
public final class CampaignRun {

    /** Chunks buffered between chunk stages; each is ≤ 65,536 ids (≤ 8 KiB as a bitmap). */
    public static final int CHUNK_BUFFER = 2;

    private static final String BLOCKING_IO = "pekko.actor.default-blocking-io-dispatcher";

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
        long start = System.nanoTime();
        AtomicLong processed = new AtomicLong();
        CompletionStage<?> done;
        try {
            Instant now = deps.clock().instant();
            List<Scope> scopes = Scope.forMessage(spec.sender(), spec.channel(), spec.category());
            ZoneBuckets buckets = deps.zones().snapshot();
            QuietHoursPlan plan = QuietHoursPlan.of(deps.quietHours(), buckets, spec.category(), now);
            Priority priority = "transactional".equalsIgnoreCase(spec.category()) ? Priority.TRANSACTIONAL : Priority.MARKETING;
            CapContext ctx = new CapContext(spec.channel(), spec.category(), priority == Priority.MARKETING, ZoneOffset.UTC);
            Renderer renderer = new Renderer(Template.parse(spec.template()),
                    spec.footer().isEmpty() ? null : Footer.of(spec.footer()));
            SendStage.Settings send = new SendStage.Settings(spec, deps.directory(), deps.suppression(), scopes, renderer,
                    deps.connector(), deps.rateLimiter(), priority, SendStage.Retry.defaults());
            Attributes chunkBuffer = Attributes.inputBuffer(1, CHUNK_BUFFER);
            done = CampaignPipeline.chunks(ledger)
                    .map(chunk -> {
                        processed.addAndGet(chunk.getLongCardinality());
                        return chunk;
                    })
                    .via(CampaignPipeline.suppression(deps.suppression(), scopes, ledger, decided).withAttributes(chunkBuffer))
                    .via(CampaignPipeline.quietHours(plan, ledger, decided).withAttributes(chunkBuffer))
                    .via(CampaignPipeline.caps(deps.shards(), ctx, buckets, now, deps.askTimeout(), ledger, 2, decided)
                            .withAttributes(chunkBuffer))
                    // the claim fsyncs: its own island on the blocking-I/O dispatcher
                    .via(CampaignPipeline.claim(ledger).withAttributes(chunkBuffer).async(BLOCKING_IO, CHUNK_BUFFER))
                    .via(SendStage.flow(system, send))
                    .via(CampaignPipeline.record(ledger, deps.shards(), deps.askTimeout(), 4096, Duration.ofMillis(20), decided))
                    .toMat(Sink.ignore(), Keep.right())
                    .run(system);
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.handle((v, error) -> {
            CampaignResult result = null;
            Throwable failure = error;
            try {
                ledger.sync();
                result = new CampaignResult(spec.id(), ledger.audienceSize(), processed.get(), ledger.counts(),
                        Duration.ofNanos(System.nanoTime() - start));
            } catch (IOException | RuntimeException e) {
                failure = failure == null ? e : failure;
            } finally {
                try {
                    ledger.close();
                } catch (IOException e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw new CampaignFailedException(spec.id(), failure);
            }
            return result;
        });
    }

    /** The stream of a campaign failed; its ledger is closed and the campaign can be resumed. */
    public static final class CampaignFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CampaignFailedException(String campaignId, Throwable cause) {
            super("campaign " + campaignId + " failed: " + cause, cause);
        }
    }
}
