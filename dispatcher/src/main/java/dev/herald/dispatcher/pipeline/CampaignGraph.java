package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.Scope;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.Priority;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.ZoneBuckets;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Wires one campaign's stages into its graph, in DESIGN.md's order:
 *
 * <pre>
 * {@link AudienceSource} → {@link SuppressionStage} → {@link QuietHoursStage} → {@link CapsStage}
 *   → {@link ClaimStage#units units} → {@link SendStage} (just-in-time claim, render, rate limit,
 *     last checks, connector window, hand-over, retries) → {@link RecordStage}
 * </pre>
 *
 * <pre>{@code
 * CampaignGraph.Running r = CampaignGraph.run(system, new CampaignGraph.Run(spec, deps, rec, stopping, stamps::add, processed, now));
 * r.done().whenComplete(...);        // on failure: ledger.release(r.claims().abandonAll())
 * }</pre>
 *
 * <p>Work moves as chunks of ids (one Roaring container, ≤ 65,536 ids) until the send stage,
 * which works in small batches and emits one {@link Delivery} per recipient. Every stage that
 * removes ids records their outcome ({@link Recording}) before it emits the rest. Back-pressure
 * holds end to end: no stage buffers more than {@link #CHUNK_BUFFER} chunks.
 */
public final class CampaignGraph {

    /** Chunks buffered between two filtering stages. */
    public static final int CHUNK_BUFFER = 2;

    /** How old a quiet-hours plan may get before it is made again for the current time. */
    public static final Duration PLAN_REFRESH = Duration.ofSeconds(1);

    /**
     * Quiet hours are checked again at hand-over for recipients whose chunk was decided longer
     * ago than this (so a message held by a slow connector does not go out after its window closed).
     */
    public static final Duration QUIET_HOURS_RECHECK = Duration.ofSeconds(2);

    /**
     * One run's inputs.
     *
     * @param spec          the campaign
     * @param deps          shared services
     * @param rec           the campaign's ledger, progress counter and end
     * @param stopping      true once the run is to stop: no further chunk, nothing more handed over
     * @param onReservation told each cap reservation stamp the run uses (released after a failed run)
     * @param processed     incremented by the ids the source emits
     * @param now           the run's start (quiet hours and caps then follow the deps' clock)
     */
    public record Run(CampaignSpec spec, CampaignDeps deps, Recording rec, BooleanSupplier stopping, LongConsumer onReservation,
                      AtomicLong processed, Instant now) {
    }

    /**
     * A materialized graph.
     *
     * @param done   completes when the stream ends; failed if a stage failed
     * @param claims the send stage's just-in-time claims (what was claimed and not handed over
     *               is released from here after a failure)
     */
    public record Running(CompletionStage<?> done, JustInTimeClaims claims) {
    }

    private CampaignGraph() {
    }

    /**
     * Builds and materializes the graph of {@code r}.
     *
     * @throws IllegalArgumentException if the template does not parse, or a name in the spec is not
     *     a valid scope / cap context name
     */
    public static Running run(ActorSystem<?> system, Run r) {
        CampaignSpec spec = r.spec();
        CampaignDeps deps = r.deps();
        OutcomeLedger ledger = r.rec().ledger();
        List<Scope> scopes = Scope.forMessage(spec.sender(), spec.channel(), spec.category());
        ZoneBuckets buckets = deps.zones().snapshot();
        Supplier<QuietHoursPlan> plans = planSource(deps, buckets, spec.category(), r.now());
        Variants variants = variants(spec, deps);
        Renderer renderer = variants.renderer(0);
        Map<Integer, Long> decidedAt = new ConcurrentHashMap<>();
        // the claims' fsyncs and the answers' writes run where the stages' writes do: the blocking-I/O dispatcher
        JustInTimeClaims claims = new JustInTimeClaims(ledger, r.rec().io(), spec.expiresAt());
        MessageLog messages = messageLog(ledger, deps.directory().cipher(MessageLog.PURPOSE), deps.connector().name(), variants,
                r.now());
        SendStage.Settings send = new SendStage.Settings(spec, deps.directory(), deps.suppression(), scopes, renderer,
                deps.connector(), deps.rateLimiter(), priority(spec.category()), SendStage.Retry.defaults(), r.stopping(),
                new SendStage.QuietHoursCheck(plans, decidedAt, QUIET_HOURS_RECHECK), claims, variants, messages);
        Attributes chunkBuffer = Attributes.inputBuffer(1, CHUNK_BUFFER);
        int window = deps.connector().window();
        CompletionStage<?> done = AudienceSource.due(ledger, r.now())
                .takeWhile(chunk -> !r.stopping().getAsBoolean())
                .map(chunk -> {
                    r.processed().addAndGet(chunk.getLongCardinality());
                    return chunk;
                })
                .via(SuppressionStage.flow(deps.suppression(), variants, r.rec()).withAttributes(chunkBuffer))
                .via(QuietHoursStage.flow(plans, decidedAt, r.rec()).withAttributes(chunkBuffer))
                .via(CapsStage.flow(new CapsStage.Settings(deps.shards(), capContext(spec.channel(), spec.category()), buckets,
                        deps.clock(), deps.askTimeout(), 2), r.rec()).withAttributes(chunkBuffer))
                .map(reservations -> {
                    reservations.forEach(b -> r.onReservation().accept(b.stamp()));
                    return reservations;
                })
                // in units of the connector's window, not claimed yet: the send stage claims each group
                // just in time, once it holds its window slots, so a crash makes at most one window unknown
                .mapConcat(reservations -> ClaimStage.units(reservations, window))
                .via(SendStage.flow(system, send).addAttributes(Attributes.inputBuffer(1, 1)))
                // the send stage wrote the claimed ids' answers already; this settles cap reservations
                // and records what was decided before a claim (unknown recipient, render failures)
                .via(RecordStage.flow(new RecordStage.Settings(deps.shards(), deps.askTimeout(), window, Duration.ofMillis(20)),
                        r.rec()))
                .toMat(Sink.ignore(), Keep.right())
                .named("campaign-" + spec.id())
                .run(system);
        return new Running(done, claims);
    }

    /**
     * The campaign's message log ({@code messages.log} beside its ledger, made durable with it), with
     * this run's connector and each variant's placeholder names written first; its groups sealed with
     * {@code cipher} if it is enabled (the data directory has a master key).
     *
     * @throws java.io.UncheckedIOException if it cannot be opened or written (a damaged one is named)
     */
    static MessageLog messageLog(OutcomeLedger ledger, dev.herald.suppression.DataCipher cipher, String connector,
                                 Variants variants, Instant now) {
        try {
            MessageLog log = ledger.companion(MessageLog.class, dir -> MessageLog.open(dir, cipher));
            List<List<String>> names = new java.util.ArrayList<>();
            variants.renderers().forEach(v -> names.add(v.template().fieldNames()));
            log.startRun(connector, names, now.toEpochMilli());
            return log;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("message log of " + ledger.dir() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The run's messages: per variant its template and footer (the campaign's, for one message), its
     * unsubscribe URLs, and its tracked links numbered after the earlier variants' (a link's index is
     * its place in {@link #linkUrls} of the campaign's texts, which the link route redirects by).
     */
    static Variants variants(CampaignSpec spec, CampaignDeps deps) {
        List<String> senders = new java.util.ArrayList<>();
        if (spec.variants() == null) {
            senders.add(spec.sender());
        } else {
            spec.variants().forEach(v -> senders.add(v.senderOr(spec.sender())));
        }
        List<Renderer> renderers = renderers(spec, deps.unsubscribeLinks(), deps.linkTokens());
        return Variants.of(spec.plan(), renderers, senders, s -> Scope.forMessage(s, spec.channel(), spec.category()));
    }

    /**
     * Each variant's renderer exactly as a run of {@code spec} renders its messages: template, footer,
     * unsubscribe URLs and tracked links numbered after the earlier variants' (what the message log's
     * reader rebuilds texts with).
     *
     * @param spec             the campaign
     * @param unsubscribeLinks the unsubscribe links, or null for none
     * @param linkTokens       the tracked links, or null for none
     * @return per variant (one for a campaign of one message), its renderer
     * @throws IllegalArgumentException if a text does not parse
     */
    public static List<Renderer> renderers(CampaignSpec spec, dev.herald.dispatcher.unsubscribe.UnsubscribeLinks unsubscribeLinks,
                                           dev.herald.dispatcher.links.LinkTokens linkTokens) {
        List<String> texts = new java.util.ArrayList<>();
        List<String> footers = new java.util.ArrayList<>();
        if (spec.variants() == null) {
            texts.add(spec.template());
            footers.add(spec.footer());
        } else {
            spec.variants().forEach(v -> {
                texts.add(v.text());
                footers.add(v.footer());
            });
        }
        List<Renderer> renderers = new java.util.ArrayList<>();
        int firstLink = 0;
        for (int v = 0; v < texts.size(); v++) {
            Template t = Template.parse(texts.get(v), spec.trackLinks());
            Renderer renderer = new Renderer(t, footers.get(v) == null || footers.get(v).isEmpty() ? null : Footer.of(footers.get(v)));
            if (unsubscribeLinks != null && renderer.template().fields().contains(Renderer.UNSUBSCRIBE_URL)) {
                renderer = renderer.withUnsubscribeUrls(unsubscribeLinks.urls(spec.id()));
            }
            if (spec.trackLinks() && linkTokens != null) {
                Template.LinkUrls urls = linkTokens.urls(spec.id());
                int offset = firstLink;
                renderer = renderer.withTrackedLinks(offset == 0 ? urls : (id, link) -> urls.url(id, offset + link));
            }
            firstLink += t.links().size();
            renderers.add(renderer);
        }
        return renderers;
    }

    /** @return the tracked links of a campaign's texts (its variants' in order), as their tokens number them */
    public static List<String> linkUrls(List<String> texts) {
        List<String> out = new java.util.ArrayList<>();
        texts.forEach(t -> out.addAll(Template.parse(t, true).links()));
        return out;
    }

    /** Whether a category is transactional (not marketing): its own priority, exempt from marketing caps. */
    public static boolean transactional(String category) {
        return dev.herald.dispatcher.sender.MarketingCompliance.TRANSACTIONAL.equalsIgnoreCase(category);
    }

    /** The priority of a category's sends at the rate limiter. */
    public static Priority priority(String category) {
        return transactional(category) ? Priority.TRANSACTIONAL : Priority.MARKETING;
    }

    /** The cap context of a campaign's sends (its zone is set per zone group when reserving). */
    public static CapContext capContext(String channel, String category) {
        return new CapContext(channel, category, !transactional(category), ZoneOffset.UTC);
    }

    /** The plan at {@code first}, then a fresh one per chunk once the clock is {@link #PLAN_REFRESH} past it. */
    private static Supplier<QuietHoursPlan> planSource(CampaignDeps deps, ZoneBuckets buckets, String category, Instant first) {
        AtomicReference<QuietHoursPlan> current = new AtomicReference<>(QuietHoursPlan.of(deps.quietHours(), buckets, category, first));
        return () -> {
            QuietHoursPlan plan = current.get();
            Instant now = deps.clock().instant();
            if (Duration.between(plan.now(), now).compareTo(PLAN_REFRESH) >= 0) {
                plan = QuietHoursPlan.of(deps.quietHours(), buckets, category, now);
                current.set(plan);
            }
            return plan;
        };
    }
}
