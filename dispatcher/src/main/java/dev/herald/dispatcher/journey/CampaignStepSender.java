package dev.herald.dispatcher.journey;

import dev.herald.dispatcher.campaign.CampaignDeps;
import dev.herald.dispatcher.campaign.CampaignRun;
import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.journey.JourneyDefinition.Step;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.render.Template;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import org.apache.pekko.actor.typed.ActorSystem;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Sends a journey's send step through the campaign pipeline ({@link CampaignRun}): the batch is a
 * campaign whose audience is its instances, on its own outcome ledger, so a journey message meets
 * the same suppression, quiet hours, caps, claim, rate limit and connector as any campaign, and
 * is exempt from nothing its category is not. Its messages carry the step's campaign id
 * ({@link JourneyPlan#campaignId}): deliveries, clicks and conversions are kept under
 * {@code campaigns/<that id>/} like a campaign's (that directory has no {@code campaign.json},
 * so it is not listed as a campaign).
 *
 * <pre>{@code
 * StepSender sender = new CampaignStepSender(system, campaignDeps, dataDir.resolve("campaigns"), blockingIo);
 * }</pre>
 */
public final class CampaignStepSender implements JourneyDeps.StepSender {

    private final ActorSystem<?> system;
    private final CampaignDeps deps;
    private final Path campaigns;
    private final Executor io;

    /**
     * @param system    materializes the runs' streams
     * @param deps      the campaigns' services (journeys send on the default connector)
     * @param campaigns {@code <data dir>/campaigns}
     * @param io        where ledgers are opened and closed (blocking file work)
     */
    public CampaignStepSender(ActorSystem<?> system, CampaignDeps deps, Path campaigns, Executor io) {
        this.system = system;
        this.deps = deps;
        this.campaigns = campaigns;
        this.io = io;
    }

    /** @return the campaign a run's batch is sent as */
    static CampaignSpec spec(StepRun run, boolean tracked) {
        Step s = run.plan().step(run.step()).step();
        boolean links = tracked && !Template.parse(s.template(), true).links().isEmpty();
        return new CampaignSpec(run.campaignId(), run.plan().def().name() + " / " + s.id(), s.channel(), s.category(),
                s.sender(), s.template(), s.footer(), run.ids(), null, null, links);
    }

    @Override
    public CompletionStage<StepRun.Result> run(StepRun run) {
        CampaignSpec spec = spec(run, deps.linkTokens() != null);
        return CompletableFuture.supplyAsync(() -> {
            try {
                Files.createDirectories(campaigns.resolve(spec.id()));
                OutcomeLedger ledger = OutcomeLedger.open(run.ledgerDir(), run.ids());
                try {
                    MutableRoaringBitmap cancel = ledger.unsettled();
                    cancel.and(run.cancelled());
                    if (!cancel.isEmpty()) {
                        ledger.record(StepRun.EXITED, cancel);
                    }
                } catch (IOException | RuntimeException e) {
                    ledger.close();
                    throw e;
                }
                return ledger;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, io).thenCompose(ledger -> {
            CampaignRun.Control control = new CampaignRun.Control();
            String key = key(run.journeyId(), run.seq());
            controls.put(key, control);
            return CampaignRun.run(system, spec, deps, ledger, control, new LongAdder()).handle((r, error) -> {
                controls.remove(key, control);
                StepRun.Result result;
                try {
                    result = result(ledger);
                } finally {
                    try {
                        ledger.close();
                    } catch (IOException e) {
                        if (error == null) {
                            throw new UncheckedIOException(e);
                        }
                    }
                }
                if (error != null) {
                    throw error instanceof RuntimeException re ? re : new IllegalStateException(error);
                }
                return result;
            });
        });
    }

    private final java.util.Map<String, CampaignRun.Control> controls = new java.util.concurrent.ConcurrentHashMap<>();

    private static String key(String journeyId, long seq) {
        return journeyId + "/" + seq;
    }

    @Override
    public void stop(String journeyId, long seq) {
        CampaignRun.Control c = controls.get(key(journeyId, seq));
        if (c != null) {
            c.stop();
        }
    }

    static StepRun.Result result(OutcomeLedger ledger) {
        Map<String, ImmutableRoaringBitmap> settled = new LinkedHashMap<>();
        for (String outcome : ledger.counts().keySet()) {
            if (Outcomes.isFinal(outcome) && !outcome.equals("claimed") && !outcome.equals("pending")) {
                settled.put(outcome, ledger.ids(outcome));
            }
        }
        long next = ledger.nextDeferred().map(java.time.Instant::toEpochMilli).orElse(0L);
        return new StepRun.Result(settled, next, ledger.isComplete());
    }

    @Override
    public void remove(StepRun run) throws IOException {
        Path dir = run.ledgerDir();
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
