package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.experiment.ExperimentState;
import dev.herald.dispatcher.experiment.WinnerDecision;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * One campaign: owns its {@link OutcomeLedger} (the single writer) and runs its stream, moving
 * through {@code scheduled → running ⇄ paused → completed | cancelled | failed}; every change of
 * status is stored ({@link CampaignStore}) before it is acknowledged, so a restarted JVM picks
 * the campaign up where it was.
 *
 * <pre>{@code
 * ActorRef<Campaign.Command> c = context.spawn(Campaign.create("c42", settings), "campaign-c42", BlockingIo.props());
 * c.tell(new Campaign.Pause(replyTo));
 * }</pre>
 *
 * <p><b>One behaviour per state.</b> {@link #scheduled} waits for the start instant;
 * {@link #running} runs the stream and waits for deferred recipients; {@link #paused} and
 * {@link #failed} wait for an operator; {@link #ending} waits for the active run to drain before
 * the actor stops (a cancel, whose bookkeeping then finishes, or a {@link Passivate}). A state
 * answers what it allows and refuses the rest ({@link CampaignRejection}); a transition stores the
 * new status and returns the next state's behaviour. A completed campaign's actor stops.
 *
 * <p><b>Running.</b> A run ({@link CampaignRun}) takes the pending ids and the deferred ones now
 * due through the graph. When it ends with deferred ids left, the campaign stays {@code running}
 * and runs again when the earliest is due (checked at least every {@link Settings#releasePoll()}):
 * released ids are re-checked for suppression, quiet hours and caps, and paced by the rate limiter.
 * Once every id has a final outcome it is {@code completed}. Past its {@code expiresAt}, what is
 * left becomes {@code expired}.
 *
 * <p><b>Pause, cancel, passivate.</b> These stop the active run ({@link CampaignRun.Control}): no
 * further hand-over; what was claimed but not handed over is pending again. A cancelled campaign
 * then records {@code failed:cancelled} for everyone left. {@link Passivate} (graceful shutdown)
 * waits for the run to drain, keeps the stored status, closes the ledger and stops the actor;
 * meanwhile changes are refused as {@code BUSY}.
 *
 * <p><b>Failures.</b> A connector failure is an outcome, not a failure of the campaign. A failed
 * run (a store, the throttle shards) gives back what it claimed and never handed over, reopens the
 * ledger (claimed ids become {@code unknown}; on a connector that deduplicates by idempotency key
 * they are sent again at once) and
 * is retried after {@link Settings#retryBackoff()}, up to {@link Settings#maxRunFailures()} times
 * in a row; then the campaign is {@code failed} (an operator may resume it) and the actor stops.
 * An exception in the actor itself stops it (the {@link CampaignManager} marks it failed); other
 * campaigns carry on.
 *
 * <p><b>Files.</b> The actor stores its record and writes its ledger while it handles a message,
 * so it must run on {@link BlockingIo}'s dispatcher (the manager spawns it there); the ledger is
 * closed after its last run drains on that dispatcher too.
 *
 * <p>Thread-safety: an actor; the ledger is written by the run's stream, which is never running
 * while the actor writes to the ledger itself.
 */
public final class Campaign {

    /** Messages a campaign understands. */
    public sealed interface Command permits GetStatus, OutcomeOf, Pause, Resume, Cancel, ResendUnknown, Passivate, RunEnded,
            Released, Tick, PickWinner, GetVariants, GetTestFigures, ApplyDecision {
    }

    /** Answers one recipient's standing, read from the ledger this actor holds open. */
    public record OutcomeOf(int recipient, ActorRef<StatusReply<RecipientLookup>> replyTo) implements Command {
    }

    /** Answers the record with live outcome counts. */
    public record GetStatus(ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Pauses a scheduled or running campaign (a paused one stays paused); else a {@link CampaignRejection}. */
    public record Pause(ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Resumes a paused or failed campaign (a running one keeps running); else a {@link CampaignRejection}. */
    public record Resume(ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Cancels a campaign that is not completed or cancelled; else a {@link CampaignRejection}. */
    public record Cancel(ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /**
     * Sends the campaign's {@code unknown} recipients again (at least once: the first message may
     * have reached them): they become pending and go through the whole pipeline like a released
     * deferral (suppression, quiet hours, caps re-checked). Their earlier cap reservation is kept,
     * so a recipient whose first message did arrive is never pushed over a cap (they may end
     * {@code capped}). A running campaign sends them in its next run; a paused or failed one when
     * resumed; a completed one runs again. Answers how many were queued, or a {@code CONFLICT}
     * {@link CampaignRejection} for a scheduled or cancelled campaign.
     */
    public record ResendUnknown(ActorRef<StatusReply<Resent>> replyTo) implements Command {
    }

    /**
     * The answer to {@link ResendUnknown}.
     *
     * @param campaign the campaign with its counts after the resend was queued
     * @param queued   how many {@code unknown} recipients are pending again
     */
    public record Resent(CampaignRecord campaign, long queued) {
    }

    /**
     * An operator picks the variant the held recipients get, before the A/B test's wait ends: the
     * decision is stored (by {@code operator}, with the figures as they are now) and the rest is sent
     * it. Answers the record, or a {@code CONFLICT} {@link CampaignRejection} when the campaign has no
     * undecided test (or is cancelled or completed), an {@code INVALID} one naming an unknown variant.
     */
    public record PickWinner(String variant, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /**
     * Answers what the campaign's A/B test would be decided on now ({@link TestFigures}): on a
     * cluster, the whole campaign's decision is made from every partition's figures summed.
     */
    public record GetTestFigures(ActorRef<StatusReply<TestFigures>> replyTo) implements Command {
    }

    /**
     * A campaign's A/B test as it stands, with the figures its rule decides on.
     *
     * @param status     the campaign's status
     * @param test       the test (null: the campaign has none)
     * @param experiment where it is (null: the sample is not drawn yet)
     * @param counts     per variant, in the campaign's order, exposed and successes now (empty before
     *                   the sample is drawn)
     */
    public record TestFigures(CampaignStatus status, dev.herald.dispatcher.experiment.AbTest test, ExperimentState experiment,
                              java.util.List<dev.herald.dispatcher.experiment.VariantCounts> counts) {
    }

    /**
     * The A/B test decided for the whole campaign elsewhere (a cluster's coordinator, from every
     * partition's figures): with {@code counts}, the test's own rule is applied to them (the figures
     * summed over the partitions, so the decision is the one a single node with every recipient
     * makes) and must send {@code send}; stored as decided by {@code by} ({@code rule}). Without
     * counts, {@code send} is applied as an operator's pick is. The held recipients then get it.
     * Idempotent: a test already decided the same way answers the record; decided otherwise, a
     * {@code CONFLICT}; an unknown variant, or counts deciding another variant, {@code INVALID}.
     */
    public record ApplyDecision(java.util.List<dev.herald.dispatcher.experiment.VariantCounts> counts, String send, String by,
                                ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Answers, per variant, who was given it and who was sent it ({@link VariantGroups}). */
    public record GetVariants(ActorRef<StatusReply<VariantGroups>> replyTo) implements Command {
    }

    /**
     * Who got which variant, for the funnel per variant.
     *
     * @param names    the variants' names
     * @param assigned per variant, the recipients it is (or will be) given; held recipients of an
     *                 undecided test are in none
     * @param sent     per variant, those of them sent it
     * @param sample   per variant, the test's sample recipients (empty lists without a test)
     */
    public record VariantGroups(java.util.List<String> names, java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> assigned,
                                java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sent,
                                java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample) {
    }

    /** Stops the actor once its run has drained, keeping the stored status (graceful shutdown). */
    public record Passivate(ActorRef<Done> replyTo) implements Command {
    }

    private record RunEnded(long runId, CampaignResult result, Throwable failure, java.util.Set<Long> stamps) implements Command {
    }

    private record Released(Throwable failure) implements Command {
    }

    private enum Tick implements Command { INSTANCE }

    /**
     * @param deps           shared services (the deps' ledger root is not used: the store decides)
     * @param store          where records and ledgers live
     * @param releasePoll    longest wait between checks for due deferred ids or the start instant
     * @param maxRunFailures failed runs in a row before the campaign is {@code failed}, ≥ 0
     * @param retryBackoff   wait before running again after a failed run
     * @param engagement     what an A/B test's variants are judged on (clicks, receipts, conversions)
     * @param tests          who decides A/B tests for the whole campaign ({@link TestCoordinator}); null:
     *                       each campaign decides its own at the end of its wait (a single node)
     */
    public record Settings(CampaignDeps deps, CampaignStore store, Duration releasePoll, int maxRunFailures,
                           Duration retryBackoff, dev.herald.dispatcher.funnel.Engagement engagement, TestCoordinator tests) {

        /** Settings whose campaigns decide their A/B tests themselves. */
        public Settings(CampaignDeps deps, CampaignStore store, Duration releasePoll, int maxRunFailures, Duration retryBackoff,
                        dev.herald.dispatcher.funnel.Engagement engagement) {
            this(deps, store, releasePoll, maxRunFailures, retryBackoff, engagement, null);
        }

        /**
         * @return these settings with A/B tests decided by {@code t} for the whole campaign (a
         *         cluster's partitions); null: each campaign decides its own
         */
        public Settings withTests(TestCoordinator t) {
            return new Settings(deps, store, releasePoll, maxRunFailures, retryBackoff, engagement, t);
        }

        /** Settings whose A/B tests see no engagement (no clicks, receipts or conversions). */
        public Settings(CampaignDeps deps, CampaignStore store, Duration releasePoll, int maxRunFailures, Duration retryBackoff) {
            this(deps, store, releasePoll, maxRunFailures, retryBackoff, dev.herald.dispatcher.funnel.Engagement.NONE);
        }

        /** @return these settings with A/B tests judged on {@code e} */
        public Settings withEngagement(dev.herald.dispatcher.funnel.Engagement e) {
            return new Settings(deps, store, releasePoll, maxRunFailures, retryBackoff, e, tests);
        }

        /** @throws IllegalArgumentException for a null component, a non-positive poll or negative counts */
        public Settings {
            if (deps == null || store == null || releasePoll == null || retryBackoff == null || engagement == null || releasePoll.isZero()
                    || releasePoll.isNegative() || retryBackoff.isNegative() || maxRunFailures < 0) {
                throw new IllegalArgumentException("campaign settings: need deps, store, releasePoll > 0, "
                        + "retryBackoff >= 0, maxRunFailures >= 0");
            }
        }

        /** @return polls every 30 s, retries 3 failed runs after 1 s each */
        public static Settings defaults(CampaignDeps deps, CampaignStore store) {
            return new Settings(deps, store, Duration.ofSeconds(30), 3, Duration.ofSeconds(1));
        }
    }

    private static final Object TIMER = "campaign-timer";
    private static final Duration MIN_WAIT = Duration.ofMillis(10);

    private final ActorContext<Command> context;
    private final Settings settings;
    private final TimerScheduler<Command> timers;
    /** Where the ledger is closed once the last run has drained (the run's stream completes elsewhere). */
    private final Executor blockingIo;
    private OutcomeLedger ledger;
    private final CampaignSpec spec;
    private CampaignRecord record;
    /** The active run, or null. The ledger is the stream's while this is set. */
    private CampaignRun.Control run;
    private CompletionStage<CampaignResult> runDone = CompletableFuture.completedFuture(null);
    private long runId;
    private int failuresInARow;
    /** Set by {@link Passivate}: the actor is ending, keeping its stored status. */
    private ActorRef<Done> passivateReplyTo;
    /** Set when a state returns {@link Behaviors#stopped()}. */
    private boolean stopped;
    private CampaignDeps ownDeps;
    /** The audience split by hash between the variants of a campaign without a test, once asked for. */
    private java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> hashedSplit;
    /** An A/B test's drawn sample, per variant (null: no test, or not drawn yet). */
    private java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample;

    private final Behavior<Command> scheduled;
    private final Behavior<Command> running;
    private final Behavior<Command> paused;
    private final Behavior<Command> failed;
    private final Behavior<Command> ending;

    private Campaign(ActorContext<Command> context, TimerScheduler<Command> timers, Settings settings,
                     CampaignRecord record, OutcomeLedger ledger, java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample) {
        this.context = context;
        this.sample = sample;
        this.timers = timers;
        this.settings = settings;
        this.record = record;
        this.ledger = ledger;
        this.spec = record.spec(ledger.audience());
        this.blockingIo = BlockingIo.executor(context.getSystem());
        this.scheduled = scheduled();
        this.running = running();
        this.paused = paused();
        this.failed = failed();
        this.ending = ending();
    }

    /**
     * @param id       a campaign stored in {@code settings.store()}
     * @param settings shared services and timing
     * @return the campaign's behaviour; setup loads its record, opens (and recovers) its ledger and
     *     carries on from the stored status (fails, stopping the actor, if they cannot be read).
     *     Spawn it with {@link BlockingIo#props()}: its messages store files.
     */
    public static Behavior<Command> create(String id, Settings settings) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            CampaignRecord record;
            OutcomeLedger ledger;
            try {
                record = settings.store().load(id)
                        .orElseThrow(() -> new IllegalStateException("campaign " + id + " is not in " + settings.store().root()));
                ledger = settings.store().openLedger(id);
            } catch (IOException e) {
                throw new CampaignDamagedException(id, e); // this campaign only: the manager shows it as damaged
            }
            java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample;
            try {
                sample = record.test() == null ? null
                        : dev.herald.dispatcher.experiment.SampleFile.read(settings.store().campaignDir(id)).orElse(null);
                if (record.experiment() != null && sample == null) {
                    throw new dev.herald.suppression.CorruptIndexException(settings.store().campaignDir(id)
                            .resolve(dev.herald.dispatcher.experiment.SampleFile.NAME), "the A/B test's sample is missing");
                }
            } catch (IOException e) {
                settings.store().closeLedger(ledger);
                throw new CampaignDamagedException(id, e);
            }
            if (ledger.recovery().unknownCount() > 0) {
                context.getLog().warn("campaign {}: {}", id, ledger.recovery().warnings());
            }
            Campaign c;
            Behavior<Command> first;
            try {
                c = new Campaign(context, timers, settings, record, ledger, sample);
                first = c.recovered();
            } catch (IOException | RuntimeException e) {
                settings.store().closeLedger(ledger);
                throw e;
            }
            if (c.stopped) {
                settings.store().closeLedger(ledger); // no PostStop reaches a behaviour that setup stops
            }
            return first;
        }));
    }

    /** The state the stored status calls for, after a (re)start: the one place that reads the status to choose. */
    private Behavior<Command> recovered() throws IOException {
        return switch (record.status()) {
            case SCHEDULED -> startIfDue();
            case RUNNING -> carryOnRunning();
            case PAUSED -> paused;
            case FAILED -> failed;
            case CANCELLED -> {
                finishCancel();
                yield endIfCancelled();
            }
            case COMPLETED -> stop();
            case DAMAGED -> throw new IllegalStateException("campaign " + record.id() + ": a damaged record is never stored");
        };
    }

    // ---------------------------------------------------------------- the states

    /** What every state answers alike, and the clean-up when the actor stops. */
    private BehaviorBuilder<Command> anyState() {
        return Behaviors.receive(Command.class)
                .onMessage(GetStatus.class, m -> {
                    m.replyTo().tell(StatusReply.success(view()));
                    return Behaviors.same();
                })
                .onMessage(OutcomeOf.class, m -> {
                    m.replyTo().tell(StatusReply.success(RecipientLookup.of(view(), ledger, m.recipient(), sample)));
                    return Behaviors.same();
                })
                .onMessage(GetVariants.class, m -> {
                    Campaign.VariantGroups g = Experiments.groups(record, sample, ledger, hashedSplit);
                    if (record.variants() != null && record.test() == null) {
                        hashedSplit = g.assigned(); // by hash over the fixed audience: computed once
                    }
                    m.replyTo().tell(StatusReply.success(g));
                    return Behaviors.same();
                })
                .onMessage(GetTestFigures.class, m -> {
                    m.replyTo().tell(testFigures());
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, s -> cleanUp())
                .onSignal(PreRestart.class, s -> cleanUp());
    }

    /** {@code scheduled}: waits for the start instant; no run is active. */
    private Behavior<Command> scheduled() {
        return anyState()
                .onMessage(Tick.class, m -> startIfDue())
                .onMessage(PickWinner.class, m -> refuse(m.replyTo(), "pick the winner of (its test has not started)"))
                .onMessage(ApplyDecision.class, m -> refuse(m.replyTo(), "decide the test of (it has not started)"))
                .onMessage(Pause.class, this::pause)
                .onMessage(Resume.class, m -> refuse(m.replyTo(), "resume"))
                .onMessage(Cancel.class, this::cancel)
                .onMessage(ResendUnknown.class, m -> refuse(m.replyTo(), "resend the unknown recipients of"))
                .onMessage(Passivate.class, this::passivate)
                .onMessage(RunEnded.class, m -> Behaviors.same()) // of no run of this actor: none runs before the start
                .onMessage(Released.class, this::released)
                .build();
    }

    /** {@code running}: a run is active, or the campaign waits for deferred recipients to come due. */
    private Behavior<Command> running() {
        return anyState()
                .onMessage(Tick.class, m -> carryOnRunning())
                .onMessage(PickWinner.class, m -> pickWinner(m, true))
                .onMessage(ApplyDecision.class, m -> applyDecision(m, true))
                .onMessage(RunEnded.class, this::runEndedWhileRunning)
                .onMessage(Released.class, m -> {
                    released(m);
                    tickIn(settings.retryBackoff()); // the failed run's reservations are back: run again
                    return Behaviors.same();
                })
                .onMessage(Pause.class, this::pause)
                .onMessage(Resume.class, m -> {
                    m.replyTo().tell(StatusReply.success(view()));
                    return Behaviors.same();
                })
                .onMessage(Cancel.class, this::cancel)
                .onMessage(ResendUnknown.class, m -> resendUnknown(m, true))
                .onMessage(Passivate.class, this::passivate)
                .build();
    }

    /** {@code paused}: waits for a resume; a run stopped by the pause may still be draining. */
    private Behavior<Command> paused() {
        return anyState()
                .onMessage(Pause.class, m -> {
                    m.replyTo().tell(StatusReply.success(view()));
                    return Behaviors.same();
                })
                .onMessage(Resume.class, this::resume)
                .onMessage(Cancel.class, this::cancel)
                .onMessage(ResendUnknown.class, m -> resendUnknown(m, false))
                .onMessage(PickWinner.class, m -> pickWinner(m, false))
                .onMessage(ApplyDecision.class, m -> applyDecision(m, false))
                .onMessage(Passivate.class, this::passivate)
                .onMessage(RunEnded.class, this::runEndedWhileWaiting)
                .onMessage(Released.class, this::released)
                .onMessage(Tick.class, m -> Behaviors.same())
                .build();
    }

    /** {@code failed}: its runs failed for good; waits for an operator to resume or cancel it. */
    private Behavior<Command> failed() {
        return anyState()
                .onMessage(Pause.class, m -> refuse(m.replyTo(), "pause"))
                .onMessage(Resume.class, this::resume)
                .onMessage(Cancel.class, this::cancel)
                .onMessage(ResendUnknown.class, m -> resendUnknown(m, false))
                .onMessage(PickWinner.class, m -> pickWinner(m, false))
                .onMessage(ApplyDecision.class, m -> applyDecision(m, false))
                .onMessage(Passivate.class, this::passivate)
                .onMessage(RunEnded.class, this::runEndedWhileWaiting)
                .onMessage(Released.class, this::released)
                .onMessage(Tick.class, m -> Behaviors.same())
                .build();
    }

    /**
     * {@code ending}: cancelled (the cancel is stored; {@code failed:cancelled} is recorded once the
     * run has drained) or passivated (the stored status is kept); the actor stops once the run has
     * drained. Changes are refused: a cancelled campaign's as {@code CONFLICT}, a passivated one's as
     * {@code BUSY} (it carries on after the restart).
     */
    private Behavior<Command> ending() {
        return anyState()
                .onMessage(Pause.class, m -> refuseEnding(m.replyTo(), "pause"))
                .onMessage(Resume.class, m -> refuseEnding(m.replyTo(), "resume"))
                .onMessage(Cancel.class, m -> refuseEnding(m.replyTo(), "cancel"))
                .onMessage(ResendUnknown.class, m -> refuseEnding(m.replyTo(), "resend the unknown recipients of"))
                .onMessage(PickWinner.class, m -> refuseEnding(m.replyTo(), "pick the winner of"))
                .onMessage(ApplyDecision.class, m -> refuseEnding(m.replyTo(), "decide the test of"))
                .onMessage(Passivate.class, this::passivate)
                .onMessage(RunEnded.class, this::runEndedWhileEnding)
                .onMessage(Released.class, this::released)
                .onMessage(Tick.class, m -> Behaviors.same())
                .build();
    }

    // ---------------------------------------------------------------- transitions

    /** scheduled → running once the start instant has come (deferring to local time first, if asked). */
    private Behavior<Command> startIfDue() throws IOException {
        Instant now = now();
        if (record.startAt() != null && now.isBefore(record.startAt())) {
            tickIn(Duration.between(now, record.startAt()));
            return scheduled;
        }
        prepareFirstRun(now);
        change(CampaignStatus.RUNNING);
        startRun();
        return running;
    }

    /**
     * Before the first run (from the start, or a resume of a campaign paused before it started):
     * draws an A/B test's sample and holds the rest, then defers to the local send times (a variant's
     * own, else the campaign's), then sets when the test is decided: its wait after the last of the
     * sample is due. Before the start is stored: after a crash this runs again, for who is left.
     */
    private void prepareFirstRun(Instant now) throws IOException {
        if (record.startedAt() != null) {
            return;
        }
        java.util.Map<String, Long> sizes = record.test() != null && record.experiment() == null ? drawSample() : null;
        deferVariantsToLocalTime(now, ledger.pending());
        if (record.localTime() != null) {
            deferToLocalTime(now, ledger.pending(), record.localTime());
        }
        if (sizes != null) {
            Instant lastDue = ledger.lastDeferred().filter(now::isBefore).orElse(now);
            record = record.withExperiment(ExperimentState.sampled(now, lastDue.plus(record.test().waitDuration()), sizes,
                    ledger.ids(dev.herald.dispatcher.outcome.Outcomes.HELD).getLongCardinality()));
            context.getLog().info("campaign {}: A/B test sample drawn: {}; {} held until {}", record.id(), sizes,
                    record.experiment().held(), record.experiment().decideAt());
        }
    }

    /** In {@code running} with no active run: completes, starts a run, or waits for the next due instant. */
    private Behavior<Command> carryOnRunning() throws IOException {
        if (run != null) {
            return running; // a run still draining after a pause is followed by a new one when it ends
        }
        Instant now = now();
        ExperimentState test = record.experiment();
        if (test != null && !test.isDecided() && !now.isBefore(test.decideAt())
                && (record.expiresAt() == null || now.isBefore(record.expiresAt())) && settings.tests() != null) {
            settings.tests().due(record.id()); // decided for the whole campaign; said again every releasePoll until then
        } else if (test != null && !test.isDecided() && !now.isBefore(test.decideAt())
                && (record.expiresAt() == null || now.isBefore(record.expiresAt()))) {
            try {
                decide(null, ExperimentState.BY_RULE, now);
            } catch (MeasureFailed e) {
                context.getLog().warn("campaign {}: the A/B test cannot be decided yet, its figures cannot be read"
                        + " (tried again in {}): {}", record.id(), settings.releasePoll(), e.getCause().toString());
                tickIn(settings.releasePoll());
                return running;
            }
        } else if (test != null && test.isDecided() && !ledger.ids(dev.herald.dispatcher.outcome.Outcomes.HELD).isEmpty()) {
            release(now); // decided before a crash (or a failed write) released them
        }
        if (ledger.isComplete()) {
            change(CampaignStatus.COMPLETED);
            return stop();
        }
        if (!ledger.pending().isEmpty() || !ledger.deferredDue(now).isEmpty()
                || (record.expiresAt() != null && !now.isBefore(record.expiresAt()))) {
            startRun();
        } else {
            Instant next = ledger.nextDeferred().orElse(null);
            ExperimentState t = record.experiment();
            if (t != null && !t.isDecided() && (next == null || t.decideAt().isBefore(next))) {
                next = t.decideAt(); // the held recipients wait for the decision
            }
            if (t != null && !t.isDecided() && settings.tests() != null && !next.isAfter(now)) {
                next = now.plus(settings.releasePoll()); // due: the coordinator is told again until it decides
            }
            if (next == null) {
                // nothing due and nothing deferred: only expiry can change that (or an operator)
                next = record.expiresAt() != null ? record.expiresAt() : now.plus(settings.releasePoll());
            }
            if (record.expiresAt() != null && record.expiresAt().isBefore(next)) {
                next = record.expiresAt();
            }
            tickIn(Duration.between(now, next));
        }
        return running;
    }

    /** scheduled | running → paused. */
    private Behavior<Command> pause(Pause m) throws IOException {
        change(CampaignStatus.PAUSED);
        stopRun();
        m.replyTo().tell(StatusReply.success(view()));
        return paused;
    }

    /** paused | failed → running. */
    private Behavior<Command> resume(Resume m) throws IOException {
        failuresInARow = 0;
        prepareFirstRun(now()); // paused before it started: its sample, holds and local times now
        change(CampaignStatus.RUNNING);
        Behavior<Command> next = carryOnRunning();
        m.replyTo().tell(StatusReply.success(view()));
        return next;
    }

    /** scheduled | running | paused | failed → ending (or stopped at once when no run has to drain). */
    private Behavior<Command> cancel(Cancel m) throws IOException {
        change(CampaignStatus.CANCELLED); // stored first: after a crash the cancel still holds
        stopRun();
        finishCancel();
        m.replyTo().tell(StatusReply.success(view()));
        return endIfCancelled();
    }

    /** any state → ending (or stopped at once when no run has to drain), keeping the stored status. */
    private Behavior<Command> passivate(Passivate m) throws IOException {
        passivateReplyTo = m.replyTo();
        timers.cancelAll();
        if (run == null) {
            save();
            return stop();
        }
        run.stop();
        return ending;
    }

    /** running | paused | failed: the unknown recipients become pending; a running campaign sends them now. */
    private Behavior<Command> resendUnknown(ResendUnknown m, boolean isRunning) throws IOException {
        long queued = CampaignRecovery.resendUnknown(ledger);
        Behavior<Command> next = Behaviors.same();
        if (queued > 0) {
            context.getLog().info("campaign {}: {} unknown recipient(s) queued to be sent again (operator, at least once)",
                    record.id(), queued);
            save();
            if (isRunning) {
                next = carryOnRunning();
            }
        }
        m.replyTo().tell(StatusReply.success(new Resent(view(), queued)));
        return next;
    }

    private Behavior<Command> runEndedWhileRunning(RunEnded m) throws IOException {
        if (m.runId() != runId) {
            return Behaviors.same();
        }
        run = null;
        if (m.failure() != null) {
            List<CompletableFuture<Integer>> releases = afterFailedRun(m);
            if (failuresInARow > settings.maxRunFailures()) {
                record = record.withStatus(CampaignStatus.FAILED, now()).withError(String.valueOf(m.failure().getMessage()));
                save();
                return stop();
            }
            // runs again once the releases are done, after the backoff
            context.pipeToSelf(CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new)), (v, e) -> new Released(e));
            return Behaviors.same();
        }
        failuresInARow = 0;
        save();
        return carryOnRunning();
    }

    /** In {@code paused} or {@code failed}: the run the pause stopped has drained. */
    private Behavior<Command> runEndedWhileWaiting(RunEnded m) throws IOException {
        if (m.runId() != runId) {
            return Behaviors.same();
        }
        run = null;
        settle(m);
        save();
        return Behaviors.same();
    }

    /** In {@code ending}: the run has drained; a passivated actor stops, a cancelled one finishes its bookkeeping. */
    private Behavior<Command> runEndedWhileEnding(RunEnded m) throws IOException {
        if (m.runId() != runId) {
            return Behaviors.same();
        }
        run = null;
        settle(m);
        save();
        if (passivateReplyTo != null) {
            return stop();
        }
        finishCancel();
        return endIfCancelled();
    }

    /** A cancelled campaign stops once no run is active and nothing it claimed is left without an outcome. */
    private Behavior<Command> endIfCancelled() {
        return run == null && ledger.claimed().isEmpty() ? stop() : ending;
    }

    private Behavior<Command> stop() {
        stopped = true;
        return Behaviors.stopped();
    }

    // ---------------------------------------------------------------- runs and the ledger

    private void startRun() {
        CampaignRun.Control control = new CampaignRun.Control();
        run = control;
        long id = ++runId;
        CampaignDeps deps;
        try {
            deps = runDeps();
        } catch (IllegalArgumentException e) {
            // the connector it names is no longer configured: the run fails, saying so
            deps = null;
            runDone = CompletableFuture.failedFuture(new IllegalStateException("campaign " + record.id() + ": "
                    + e.getMessage(), e));
        }
        if (deps != null) {
            runDone = CampaignRun.run(context.getSystem(), runSpec(), deps, ledger, control, new LongAdder());
        }
        context.pipeToSelf(runDone, (r, e) -> new RunEnded(id, r, e, control.stamps()));
    }

    /** Counts a run's end: a failed one is followed by {@link #afterFailedRun} (its releases not awaited). */
    private void settle(RunEnded m) throws IOException {
        if (m.failure() != null) {
            afterFailedRun(m);
        } else {
            failuresInARow = 0;
        }
    }

    /**
     * After a failed run: reopens the ledger (claimed ids may have reached the connector: they become
     * unknown, never resent, unless the peer deduplicates; and a ledger that refuses writes after a
     * failed one is fresh again) and gives back the cap reservations of the ids it never handed over.
     *
     * @return the releases, under way
     */
    private List<CompletableFuture<Integer>> afterFailedRun(RunEnded m) throws IOException {
        failuresInARow++;
        context.getLog().warn("campaign {}: run failed ({} in a row): {}", record.id(), failuresInARow, m.failure().toString());
        settings.store().closeLedger(ledger);
        try {
            ledger = settings.store().openLedger(record.id());
        } catch (IOException e) {
            throw new CampaignDamagedException(record.id(), e);
        }
        if (CampaignRecovery.idempotent(settings, record) && ledger.recovery().unknownCount() > 0) {
            // The peer deduplicates: this failure's unknowns are sent again (their reservations released below).
            ledger.resend(ledger.recovery().unknown());
        }
        // The failed run's cap reservations of ids it never handed over would cap them next time.
        MutableRoaringBitmap left = ledger.unsettled();
        List<CompletableFuture<Integer>> releases = new ArrayList<>();
        for (long stamp : m.stamps()) {
            releases.add(settings.deps().shards().release(left, stamp, settings.deps().askTimeout()).toCompletableFuture());
        }
        return releases;
    }

    private Behavior<Command> released(Released m) {
        if (m.failure() != null) {
            context.getLog().warn("campaign {}: releasing cap reservations failed: {}", record.id(), m.failure().toString());
        }
        return Behaviors.same();
    }

    /**
     * Defers {@code who} to the next {@code hhmm} (the campaign's {@link CampaignRecord#localTime()}, or a
     * variant's) in their own zone
     * (the first zone of their zone set; UTC for recipients the zone index does not hold). When that
     * time comes they are released like any deferred recipient: suppression, quiet hours and caps
     * are checked then.
     */
    private void deferToLocalTime(Instant now, org.roaringbitmap.buffer.ImmutableRoaringBitmap who, String hhmm) throws IOException {
        java.time.LocalTime at = CampaignRecord.parseLocalTime(hhmm);
        dev.herald.throttle.ZoneBuckets buckets = settings.deps().zones().snapshot();
        java.util.Map<Instant, MutableRoaringBitmap> byInstant = new java.util.TreeMap<>();
        buckets.split(who).forEach((bucket, ids) -> {
            java.time.ZoneId zone = bucket < 0 || buckets.buckets().get(bucket).zones().isEmpty() ? java.time.ZoneOffset.UTC
                    : buckets.buckets().get(bucket).zones().zones().get(0);
            java.time.ZonedDateTime next = now.atZone(zone).with(at);
            if (!next.toInstant().isAfter(now)) {
                next = next.plusDays(1).with(at);
            }
            byInstant.computeIfAbsent(next.toInstant(), i -> new MutableRoaringBitmap()).or(ids);
        });
        for (Map.Entry<Instant, MutableRoaringBitmap> e : byInstant.entrySet()) {
            ledger.defer(e.getKey(), e.getValue());
        }
        ledger.sync();
        context.getLog().info("campaign {}: {} recipient(s) deferred to {} local time in {} zone group(s)", record.id(),
                byInstant.values().stream().mapToLong(MutableRoaringBitmap::getLongCardinality).sum(), hhmm,
                byInstant.size());
    }

    // ---------------------------------------------------------------- A/B tests

    /** The spec of the next run: the campaign's, with its A/B test's plan once the sample is drawn. */
    private CampaignSpec runSpec() {
        if (record.variants() == null || sample == null) {
            return spec;
        }
        ExperimentState t = record.experiment();
        int rest = t == null || t.send() == null ? dev.herald.dispatcher.experiment.VariantPlan.NONE : record.variantIndex(t.send());
        return spec.withVariants(record.variants(), dev.herald.dispatcher.experiment.VariantPlan.sampled(sample, rest));
    }

    /**
     * Draws the test's sample (or reads the one drawn before a crash), stores it, then holds the rest:
     * the sample is on disk before anyone is held, so a restart never re-draws it.
     *
     * @return per variant, its sample's size
     */
    private java.util.Map<String, Long> drawSample() throws IOException {
        java.nio.file.Path dir = settings.store().campaignDir(record.id());
        if (sample == null) {
            dev.herald.dispatcher.experiment.VariantAssignment.Split split = dev.herald.dispatcher.experiment.VariantAssignment.split(
                    dev.herald.dispatcher.experiment.VariantAssignment.campaignKey(record.id()), ledger.audience(),
                    settings.deps().zones().snapshot(), record.test().sample(), record.variants().size());
            dev.herald.dispatcher.experiment.SampleFile.write(dir, split.variants());
            sample = java.util.List.copyOf(split.variants());
        }
        MutableRoaringBitmap rest = ledger.pending().toMutableRoaringBitmap();
        sample.forEach(rest::andNot);
        if (!rest.isEmpty()) {
            ledger.hold(rest);
            ledger.sync();
        }
        java.util.Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        for (int v = 0; v < sample.size(); v++) {
            sizes.put(record.variants().get(v).name(), sample.get(v).getLongCardinality());
        }
        return sizes;
    }

    /** Defers each variant's {@code who} with its own local time to that time (a send-time test). */
    private void deferVariantsToLocalTime(Instant now, org.roaringbitmap.buffer.ImmutableRoaringBitmap who) throws IOException {
        if (record.variants() == null || record.variants().stream().allMatch(v -> v.localTime() == null)) {
            return;
        }
        java.util.List<MutableRoaringBitmap> parts = runSpec().plan().split(who);
        for (int v = 0; v < parts.size(); v++) {
            String at = record.variants().get(v).localTime();
            if (at != null && !parts.get(v).isEmpty()) {
                deferToLocalTime(now, parts.get(v), at);
            }
        }
    }

    /**
     * Decides the test: {@code picked} (an operator's) or by its rule on the figures as they are now;
     * stores the decision, then releases the held recipients to the variant it sends (deferred to that
     * variant's local time, if it has one), or records {@code expired:no-winner} for them.
     */
    private void decide(String picked, String by, Instant now) throws IOException {
        WinnerDecision.Decision d;
        try {
            d = Experiments.measure(record, sample, ledger, settings.engagement());
        } catch (IOException | RuntimeException e) {
            if (picked == null) {
                throw new MeasureFailed(e);
            }
            // an operator's pick needs no figures: stored without them
            context.getLog().warn("campaign {}: the A/B test's figures cannot be read; the operator's pick is stored"
                    + " without them: {}", record.id(), e.toString());
            d = null;
        }
        decided(d, picked != null ? picked : d.send(), by, now);
    }

    /** Stores the test decided ({@code d}, null for an operator's pick without figures), then releases the held. */
    private void decided(WinnerDecision.Decision d, String send, String by, Instant now) throws IOException {
        record = record.withExperiment(record.experiment().decided(d, send, now, by));
        save(); // the decision first: after a crash the held recipients are released to the same variant (carryOnRunning)
        long held = release(now);
        context.getLog().info("campaign {}: A/B test decided by {}: {} ({}); {} held recipient(s) {}", record.id(), by,
                send == null ? "none sent" : send, d == null ? "picked" : d.reason().wire(), held,
                send == null ? "not sent (expired:no-winner)" : "released");
    }

    /**
     * Ends the held state of a decided test: the held get the variant it sends (deferred to that
     * variant's local time, else the campaign's, if set), or {@code expired:no-winner}. Idempotent: a
     * restart after the decision was stored runs it again for whoever is still held.
     *
     * @return how many were held
     */
    private long release(Instant now) throws IOException {
        String send = record.experiment().send();
        MutableRoaringBitmap held = ledger.ids(dev.herald.dispatcher.outcome.Outcomes.HELD).toMutableRoaringBitmap();
        if (held.isEmpty()) {
            return 0;
        }
        if (send == null) {
            ledger.record(dev.herald.dispatcher.outcome.Outcomes.NO_WINNER, held);
        } else {
            String at = record.variants().get(record.variantIndex(send)).localTime();
            at = at != null ? at : record.localTime();
            if (at != null) {
                deferToLocalTime(now, held, at); // a deferral ends the hold, in the same record
            } else {
                ledger.unhold(held);
            }
        }
        ledger.sync();
        save();
        return held.getLongCardinality();
    }

    /** The figures an A/B test is decided on could not be read (the engagement stores failed). */
    private static final class MeasureFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MeasureFailed(Throwable cause) {
            super(cause);
        }
    }

    /** The test's figures now, from the ledger this actor holds open. */
    private StatusReply<TestFigures> testFigures() {
        try {
            return StatusReply.success(Experiments.figures(record, sample, ledger, settings.engagement()));
        } catch (IOException | RuntimeException e) {
            return StatusReply.error(new IOException("campaign " + record.id() + ": the A/B test's figures cannot be read: "
                    + e.getMessage(), e));
        }
    }

    private Behavior<Command> applyDecision(ApplyDecision m, boolean isRunning) throws IOException {
        ExperimentState t = record.experiment();
        if (t != null && t.isDecided() && java.util.Objects.equals(t.send(), m.send()) && t.decidedBy().equals(m.by())) {
            m.replyTo().tell(StatusReply.success(view())); // an earlier try reached it
            return Behaviors.same();
        }
        if (t == null || t.isDecided()) {
            return refuse(m.replyTo(), t == null ? "decide the test of (it has no A/B test under way)"
                    : "decide the test of (it was decided " + t.decidedAt() + " by " + t.decidedBy() + ")");
        }
        if (m.counts() == null) {
            return pickWinner(new PickWinner(m.send(), m.replyTo()), isRunning);
        }
        WinnerDecision.Decision d;
        try {
            d = Experiments.decide(record, m.counts(), m.send());
        } catch (IllegalArgumentException e) {
            m.replyTo().tell(StatusReply.error(new CampaignRejection(CampaignRejection.Reason.INVALID, "campaign "
                    + record.id() + ": " + e.getMessage())));
            return Behaviors.same();
        }
        decided(d, d.send(), m.by(), now());
        Behavior<Command> next = isRunning ? carryOnRunning() : Behaviors.same();
        m.replyTo().tell(StatusReply.success(view()));
        return next;
    }

    private Behavior<Command> pickWinner(PickWinner m, boolean isRunning) throws IOException {
        ExperimentState t = record.experiment();
        if (t == null || t.isDecided()) {
            return refuse(m.replyTo(), t == null ? "pick a winner of (it has no A/B test under way)"
                    : "pick a winner of (its test was decided " + t.decidedAt() + " by " + t.decidedBy() + ")");
        }
        if (record.variantIndex(m.variant()) < 0) {
            m.replyTo().tell(StatusReply.error(new CampaignRejection(CampaignRejection.Reason.INVALID, "campaign "
                    + record.id() + " has no variant '" + m.variant() + "' (it has " + record.variants().stream()
                    .map(dev.herald.dispatcher.experiment.CampaignVariant::name).toList() + ")")));
            return Behaviors.same();
        }
        decide(m.variant(), ExperimentState.BY_OPERATOR, now());
        Behavior<Command> next = isRunning ? carryOnRunning() : Behaviors.same();
        m.replyTo().tell(StatusReply.success(view()));
        return next;
    }

    /**
     * The deps of this campaign's runs: the shared ones, or with the campaign's own token bucket at
     * {@link CampaignRecord#tps()} within the connector's shared bucket (if it has one): a send
     * takes a token from both, so the campaign goes no faster than its tps nor than the
     * connector's rate, and the connector's throttling answers slow it too. Its own bucket has a
     * burst of 50 ms of sending, at least 2, so that the scheduler's 10 ms tick does not lose
     * tokens, and no transactional reserve (it is the campaign's alone; the shared bucket keeps
     * its reserve). The bucket lives as long as this actor, so pausing does not reset it.
     */
    private CampaignDeps runDeps() {
        CampaignDeps d = settings.deps().forConnector(record.connector());
        if (record.tps() == null) {
            return d;
        }
        if (ownDeps == null) {
            dev.herald.throttle.RateLimit base = dev.herald.throttle.RateLimit.of(record.tps(),
                    (int) Math.max(2, Math.ceil(record.tps() * 0.05)));
            dev.herald.throttle.RateLimit own = new dev.herald.throttle.RateLimit(base.ratePerSecond(), base.burst(), 0.0,
                    base.initialBackoff(), base.maxBackoff(), base.decreaseFactor(), base.recoveryPerSecond(), base.minRateShare());
            dev.herald.throttle.RateLimiter limiter = d.rateLimiter() == null
                    ? new dev.herald.throttle.RateLimiter(own, System::nanoTime)
                    : new dev.herald.throttle.RateLimiter(own, d.rateLimiter());
            ownDeps = new CampaignDeps(d.directory(), d.suppression(), d.zones(), d.quietHours(), d.shards(), d.connector(),
                    limiter, d.ledgerRoot(), d.clock(), d.askTimeout(), d.unsubscribeLinks(), d.routes(), d.linkTokens());
        }
        return ownDeps;
    }

    /** Records {@code failed:cancelled} for everyone without a final outcome, once no run is active. */
    private void finishCancel() throws IOException {
        if (run != null) {
            return;
        }
        MutableRoaringBitmap left = ledger.unsettled();
        left.andNot(ledger.claimed());
        if (!left.isEmpty()) {
            // failed:* is only for claimed ids; the claim is never handed to a connector.
            ledger.claim(left);
            ledger.record(Outcomes.failed("cancelled"), left);
            ledger.sync();
        }
        save();
    }

    private void stopRun() {
        timers.cancelAll();
        if (run != null) {
            run.stop();
        }
    }

    private void change(CampaignStatus next) throws IOException {
        record = record.withStatus(next, now());
        save();
        context.getLog().info("campaign {}: {}", record.id(), next.wire());
    }

    private void save() throws IOException {
        record = record.withCounts(ledger.counts());
        settings.store().save(record);
    }

    private CampaignRecord view() {
        return record.withCounts(ledger.counts());
    }

    private void tickIn(Duration wait) {
        Duration d = wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT
                : wait.compareTo(settings.releasePoll()) > 0 ? settings.releasePoll() : wait;
        timers.startSingleTimer(TIMER, Tick.INSTANCE, d);
    }

    private Instant now() {
        return settings.deps().clock().instant();
    }

    private <T> Behavior<Command> refuse(ActorRef<StatusReply<T>> replyTo, String action) {
        replyTo.tell(StatusReply.error(refused(action)));
        return Behaviors.same();
    }

    private <T> Behavior<Command> refuseEnding(ActorRef<StatusReply<T>> replyTo, String action) {
        replyTo.tell(StatusReply.error(passivateReplyTo == null ? refused(action)
                : new CampaignRejection(CampaignRejection.Reason.BUSY, "campaign " + record.id()
                        + " is stopping (the service shuts down): cannot " + action + " it now, ask again after the restart")));
        return Behaviors.same();
    }

    private CampaignRejection refused(String action) {
        return new CampaignRejection(CampaignRejection.Reason.CONFLICT,
                "campaign " + record.id() + " is " + record.status().wire() + ": cannot " + action + " it");
    }

    /**
     * Stops the run (if any) and closes the ledger once it has drained, on the blocking dispatcher
     * (the run's stream completes on the default one); the actor is gone.
     */
    private Behavior<Command> cleanUp() {
        if (run != null) {
            run.stop();
        }
        OutcomeLedger open = ledger;
        ActorRef<Done> passivated = passivateReplyTo;
        if (run == null) {
            // no run to drain (its end was handled: runDone is complete): closed here (this actor runs on the blocking dispatcher), before the
            // manager sees it terminated, so an operator's next step (a resend) can open the ledger
            try {
                settings.store().closeLedger(open);
            } catch (IOException ex) {
                // The log is fsynced on every claim; a failed final fsync loses no claim.
            }
            if (passivated != null) {
                passivated.tell(Done.getInstance());
            }
            return Behaviors.same();
        }
        runDone.whenCompleteAsync((r, e) -> {
            try {
                settings.store().closeLedger(open);
            } catch (IOException ex) {
                // The log is fsynced on every claim; a failed final fsync loses no claim.
            }
            if (passivated != null) {
                passivated.tell(Done.getInstance());
            }
        }, blockingIo);
        return Behaviors.same();
    }
}
