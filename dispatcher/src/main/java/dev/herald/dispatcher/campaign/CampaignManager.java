package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.OutcomeLedger;

import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.Scope;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Creates, finds and supervises the {@link Campaign} actors of one data directory. On start it
 * brings back every campaign whose stored status needs an actor (scheduled, running, paused, and
 * cancelled ones whose bookkeeping did not finish), so a restarted JVM carries on where it was.
 *
 * <pre>{@code
 * ActorRef<CampaignManager.Command> manager = system.systemActorOf(CampaignManager.create(settings), "campaigns", BlockingIo.props());
 * manager.tell(new CampaignManager.Create(record, audience, replyTo));
 * }</pre>
 *
 * <p><b>Supervision.</b> Each campaign is a child stopped on failure: an exception in one campaign
 * stops that campaign only; the manager records it as {@code failed} with the exception, and an
 * operator may resume it. Campaigns that end (completed, cancelled, failed) stop their actors; the
 * manager answers for them from the store.
 *
 * <p><b>Damage.</b> A campaign whose record or outcome ledger fails its checks (at start, or when
 * its actor opens them) is that campaign's problem only: it is listed and shown with status
 * {@code damaged} and an error naming the file and what is wrong, is neither run nor changed
 * (pause, resume, cancel and recipient look-ups answer a {@code DAMAGED} rejection naming the
 * damage), and every other campaign carries on.
 *
 * <p><b>Files.</b> The manager reads and writes campaign records and ledgers while it handles a
 * message (creation writes the campaign's ledger and record before it answers), and so does each
 * campaign actor: all of them run on {@link BlockingIo}'s dispatcher ({@code herald.blocking-io-dispatcher}
 * in HOCON), never on Pekko's default one, whatever props the manager is spawned with.
 *
 * <p>Thread-safety: an actor.
 */
public final class CampaignManager extends AbstractBehavior<CampaignManager.Command> {

    /** Messages the manager understands. */
    public sealed interface Command permits Create, Get, ListAll, OutcomeOf, Pause, Resume, Cancel, Shutdown, Answered,
            LookedUp, ResendUnknown, ResendAnswered, PickWinner, GetVariants, VariantsAnswered, GetTestFigures,
            TestFiguresAnswered, ApplyDecision {
    }

    /** Answers campaign {@code id}'s A/B test and its figures now ({@link Campaign.TestFigures}), live or stored. */
    public record GetTestFigures(String id, ActorRef<StatusReply<Campaign.TestFigures>> replyTo) implements Command {
    }

    private record TestFiguresAnswered(GetTestFigures request, StatusReply<Campaign.TestFigures> reply, Throwable failure)
            implements Command {
    }

    /**
     * The A/B test of campaign {@code id} decided for the whole campaign elsewhere; see
     * {@link Campaign.ApplyDecision} (a paused or failed campaign's actor is started for it; a
     * completed one, which holds nobody, has the decision stored in its record).
     */
    public record ApplyDecision(String id, java.util.List<dev.herald.dispatcher.experiment.VariantCounts> counts, String send,
                                String by, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /**
     * Picks the variant an A/B test's held recipients get, before its wait ends; see
     * {@link Campaign.PickWinner} (a paused or failed campaign's actor is started for it).
     */
    public record PickWinner(String id, String variant, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Answers who got which variant of campaign {@code id} ({@link Campaign.VariantGroups}), live or stored. */
    public record GetVariants(String id, ActorRef<StatusReply<Campaign.VariantGroups>> replyTo) implements Command {
    }

    private record VariantsAnswered(GetVariants request, StatusReply<Campaign.VariantGroups> reply, Throwable failure)
            implements Command {
    }

    /**
     * Sends campaign {@code id}'s {@code unknown} recipients again, at least once; see
     * {@link Campaign.ResendUnknown} (a completed or failed campaign's actor is started for it).
     * A {@code NOT_FOUND} rejection for an unknown campaign, {@code CONFLICT} when its status does
     * not allow it (scheduled, cancelled).
     */
    public record ResendUnknown(String id, ActorRef<StatusReply<Campaign.Resent>> replyTo) implements Command {
    }

    /** A campaign actor's answer to a {@link ResendUnknown}, or why there was none. */
    private record ResendAnswered(ResendUnknown request, StatusReply<Campaign.Resent> reply, Throwable failure) implements Command {
    }

    /**
     * Answers one recipient's standing in campaign {@code id}: from the campaign's actor (which
     * holds the ledger open) if it runs, else from the stored ledger, opened here and closed
     * again (the manager is the only one that spawns campaign actors, so none holds it meanwhile).
     * A {@code NOT_FOUND} rejection for an unknown campaign.
     */
    public record OutcomeOf(String id, int recipient, ActorRef<StatusReply<RecipientLookup>> replyTo) implements Command {
    }

    /** A campaign actor's answer to an {@link OutcomeOf}, or why there was none. */
    private record LookedUp(OutcomeOf request, StatusReply<RecipientLookup> reply, Throwable failure) implements Command {
    }

    /**
     * Creates (and starts or schedules) a campaign: answers its record, or a {@link CampaignRejection}
     * ({@code INVALID}: bad template, footer, names or an empty audience; {@code CONFLICT}: the id exists).
     *
     * @param record       a {@link CampaignRecord#create new} record
     * @param audience     its recipients (size as in the record)
     * @param emptyAllowed whether an empty audience is a campaign of no recipients (a cluster
     *                     partition's slice of a campaign whose recipients are elsewhere), not refused
     */
    public record Create(CampaignRecord record, ImmutableRoaringBitmap audience, boolean emptyAllowed,
                         ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
        /** A campaign with recipients: an empty audience is refused. */
        public Create(CampaignRecord record, ImmutableRoaringBitmap audience, ActorRef<StatusReply<CampaignRecord>> replyTo) {
            this(record, audience, false, replyTo);
        }
    }

    /** Answers the campaign's record with current counts, or a {@code NOT_FOUND} rejection. */
    public record Get(String id, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Answers every campaign's record, oldest first (live counts for those with an actor). */
    public record ListAll(ActorRef<StatusReply<List<CampaignRecord>>> replyTo) implements Command {
    }

    /** Pauses campaign {@code id}; see {@link Campaign.Pause}. */
    public record Pause(String id, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Resumes campaign {@code id} (also a failed one whose actor has stopped); see {@link Campaign.Resume}. */
    public record Resume(String id, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Cancels campaign {@code id}; see {@link Campaign.Cancel}. */
    public record Cancel(String id, ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** Passivates every campaign (runs drain, statuses kept), answers when all have stopped, then stops. */
    public record Shutdown(ActorRef<Done> replyTo) implements Command {
    }

    /** A campaign actor's answer to a forwarded request, or why there was none. */
    private record Answered(long seq, String id, boolean isGet, StatusReply<CampaignRecord> reply, Throwable failure,
                            ActorRef<StatusReply<CampaignRecord>> replyTo) implements Command {
    }

    /** A request forwarded to a campaign actor and not answered yet (answered here if the actor stops first). */
    private record Forwarded(String id, boolean isGet, ActorRef<StatusReply<CampaignRecord>> replyTo) {
    }

    private final Map<Long, Forwarded> forwarded = new HashMap<>();
    private long forwardSeq;

    /** How long a campaign actor may take to answer a forwarded request. */
    static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

    @SuppressWarnings("unchecked")
    private static final Class<StatusReply<CampaignRecord>> REPLY = (Class<StatusReply<CampaignRecord>>) (Class<?>) StatusReply.class;

    private final Campaign.Settings settings;
    private final CampaignStore store;
    private final Map<String, ActorRef<Campaign.Command>> live = new HashMap<>();
    private final Map<ActorRef<Void>, String> byRef = new HashMap<>();
    private final Set<ActorRef<Done>> shutdownWaiters = new HashSet<>();
    /** Campaigns whose outcome ledger failed its checks (their records are fine): id → the file and what is wrong. */
    private final Map<String, String> damaged = new HashMap<>();

    private CampaignManager(ActorContext<Command> context, Campaign.Settings settings) {
        super(context);
        this.settings = settings;
        this.store = settings.store();
    }

    /**
     * @param settings shared by every campaign
     * @return the manager's behaviour; setup spawns the campaigns the store says need an actor. It
     *     does its file work on {@link BlockingIo}'s dispatcher: spawned with {@link BlockingIo#props()}
     *     it is the manager itself, spawned with other props it starts the manager as its child
     *     there and hands it every command
     */
    public static Behavior<Command> create(Campaign.Settings settings) {
        return Behaviors.setup(context -> {
            if (BlockingIo.runsOn(context)) {
                return start(context, settings);
            }
            // Spawned elsewhere (an application's own guardian, a test kit): the manager proper runs as
            // this actor's child on the blocking dispatcher, and this one hands it every command.
            ActorRef<Command> manager = context.spawn(Behaviors.setup(c -> start(c, settings)), "manager", BlockingIo.props());
            context.watch(manager);
            return Behaviors.receive(Command.class)
                    .onAnyMessage(m -> {
                        manager.tell(m);
                        return Behaviors.same();
                    })
                    .onSignal(ChildFailed.class, f -> {
                        throw new IllegalStateException("campaign manager failed: " + f.getCause(), f.getCause());
                    })
                    .onSignal(Terminated.class, t -> Behaviors.stopped())
                    .build();
        });
    }

    /** The manager proper, on the blocking dispatcher: spawns the campaigns the store says need an actor. */
    private static Behavior<Command> start(ActorContext<Command> context, Campaign.Settings settings) throws IOException {
        CampaignManager m = new CampaignManager(context, settings);
        List<CampaignRecord> records = settings.store().list();
        // Before any campaign runs: what a killed process reserved and never sent must not cap anyone.
        for (CampaignRecord r : records) {
            if (r.status() != CampaignStatus.COMPLETED && r.status() != CampaignStatus.DAMAGED) {
                try {
                    int released = CampaignRecovery.recoverReservations(settings, r);
                    if (released > 0) {
                        context.getLog().info("campaign {}: released {} cap reservation(s) left by a stopped process",
                                r.id(), released);
                    }
                } catch (CampaignDamagedException e) {
                    context.getLog().error("{}; the other campaigns carry on", e.getMessage());
                    m.damaged.put(r.id(), settings.store().relative(e.damage()));
                } catch (IOException | RuntimeException e) {
                    context.getLog().warn("campaign {}: start-up recovery failed: {}", r.id(), e.toString());
                }
            }
        }
        for (CampaignRecord r : records) {
            if (r.status() != CampaignStatus.COMPLETED && r.status() != CampaignStatus.FAILED
                    && r.status() != CampaignStatus.DAMAGED && !m.damaged.containsKey(r.id())) {
                m.spawn(r.id());
            }
        }
        long damagedCount = records.stream().filter(r -> r.status() == CampaignStatus.DAMAGED).count() + m.damaged.size();
        if (damagedCount > 0) {
            context.getLog().error("campaign manager: {} damaged campaign(s), listed with status damaged", damagedCount);
        }
        context.getLog().info("campaign manager: {} campaign(s) carried on from {}", m.live.size(),
                settings.store().root());
        return m;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Create.class, this::onCreate)
                .onMessage(Get.class, this::onGet)
                .onMessage(ListAll.class, this::onList)
                .onMessage(OutcomeOf.class, this::onOutcomeOf)
                .onMessage(LookedUp.class, this::onLookedUp)
                .onMessage(Pause.class, m -> forward(m.id(), m.replyTo(), false, r -> new Campaign.Pause(r)))
                .onMessage(Resume.class, m -> forward(m.id(), m.replyTo(), true, r -> new Campaign.Resume(r)))
                .onMessage(Cancel.class, m -> forward(m.id(), m.replyTo(), true, r -> new Campaign.Cancel(r)))
                .onMessage(ResendUnknown.class, this::onResendUnknown)
                .onMessage(PickWinner.class, m -> forward(m.id(), m.replyTo(), true, r -> new Campaign.PickWinner(m.variant(), r)))
                .onMessage(GetVariants.class, this::onGetVariants)
                .onMessage(GetTestFigures.class, this::onGetTestFigures)
                .onMessage(TestFiguresAnswered.class, m -> {
                    if (m.reply() != null) {
                        m.request().replyTo().tell(m.reply());
                    } else if (!live.containsKey(m.request().id())) {
                        m.request().replyTo().tell(testFiguresStored(m.request().id())); // it stopped: its ledger is closed
                    } else {
                        m.request().replyTo().tell(StatusReply.error(new CampaignRejection(notAnswered(m.failure()),
                                "campaign " + m.request().id() + " did not answer: " + m.failure())));
                    }
                    return this;
                })
                .onMessage(ApplyDecision.class, this::onApplyDecision)
                .onMessage(VariantsAnswered.class, m -> {
                    if (m.reply() != null) {
                        m.request().replyTo().tell(m.reply());
                    } else if (!live.containsKey(m.request().id())) {
                        m.request().replyTo().tell(variantsStored(m.request().id())); // it stopped: its ledger is closed
                    } else {
                        m.request().replyTo().tell(StatusReply.error(new CampaignRejection(notAnswered(m.failure()),
                                "campaign " + m.request().id() + " did not answer: " + m.failure())));
                    }
                    return this;
                })
                .onMessage(ResendAnswered.class, m -> {
                    if (m.reply() == null && !live.containsKey(m.request().id())) {
                        return onResendUnknown(m.request()); // it stopped before answering: from the store
                    }
                    m.request().replyTo().tell(m.reply() != null ? m.reply() : StatusReply.error(new CampaignRejection(
                            notAnswered(m.failure()), "campaign " + m.request().id() + " did not answer: " + m.failure())));
                    return this;
                })
                .onMessage(Shutdown.class, this::onShutdown)
                .onMessage(Answered.class, this::onAnswered)
                .onSignal(ChildFailed.class, this::onChildFailed)
                .onSignal(Terminated.class, this::onTerminated)
                .build();
    }

    private Behavior<Command> onCreate(Create m) {
        CampaignRecord r = m.record();
        try {
            validate(r, m.audience(), m.emptyAllowed());
            boolean exists;
            try {
                exists = store.load(r.id()).isPresent();
            } catch (dev.herald.suppression.CorruptIndexException e) {
                throw new CampaignRejection(CampaignRejection.Reason.CONFLICT, "campaign " + r.id()
                        + " already exists (damaged: " + e.getMessage() + ")");
            }
            if (exists) {
                throw new CampaignRejection(CampaignRejection.Reason.CONFLICT, "campaign " + r.id() + " already exists");
            }
            store.create(r, m.audience());
        } catch (CampaignRejection e) {
            m.replyTo().tell(StatusReply.error(e));
            return this;
        } catch (IOException | RuntimeException e) {
            getContext().getLog().error("campaign {}: could not be stored", r.id(), e);
            m.replyTo().tell(StatusReply.error(new IOException("campaign " + r.id() + " could not be stored: " + e.getMessage(), e)));
            return this;
        }
        getContext().getLog().info("campaign {}: created, {} recipients", r.id(), r.audienceSize());
        spawn(r.id());
        m.replyTo().tell(StatusReply.success(r));
        return this;
    }

    /**
     * @throws CampaignRejection ({@code INVALID}) naming what is wrong: an empty audience, a template
     *     or footer that does not parse, a name that is not a valid scope
     */
    static void validate(CampaignRecord r, ImmutableRoaringBitmap audience) {
        validate(r, audience, false);
    }

    private static void validate(CampaignRecord r, ImmutableRoaringBitmap audience, boolean emptyAllowed) {
        try {
            if (audience.isEmpty() && !emptyAllowed) {
                throw new IllegalArgumentException("the audience is empty");
            }
            Template.parse(r.template(), r.trackLinks());
            if (!r.footer().isEmpty()) {
                Footer.of(r.footer());
            }
            Scope.forMessage(r.sender(), r.channel(), r.category());
            r.spec(audience);
        } catch (IllegalArgumentException e) {
            throw new CampaignRejection(CampaignRejection.Reason.INVALID, "campaign " + r.id() + ": " + e.getMessage());
        }
    }

    private Behavior<Command> onGet(Get m) {
        ActorRef<Campaign.Command> child = live.get(m.id());
        if (child != null) {
            ask(m.id(), true, child, m.replyTo(), Campaign.GetStatus::new);
            return this;
        }
        m.replyTo().tell(stored(m.id()));
        return this;
    }

    @SuppressWarnings("unchecked")
    private static final Class<StatusReply<RecipientLookup>> LOOKUP =
            (Class<StatusReply<RecipientLookup>>) (Class<?>) StatusReply.class;

    private Behavior<Command> onOutcomeOf(OutcomeOf m) {
        ActorRef<Campaign.Command> child = live.get(m.id());
        if (child != null) {
            getContext().ask(LOOKUP, child, ASK_TIMEOUT, r -> new Campaign.OutcomeOf(m.recipient(), r),
                    (reply, failure) -> new LookedUp(m, reply, failure));
        } else {
            m.replyTo().tell(lookUpStored(m));
        }
        return this;
    }

    private Behavior<Command> onLookedUp(LookedUp m) {
        if (m.reply() != null) {
            m.request().replyTo().tell(m.reply());
        } else if (!live.containsKey(m.request().id())) {
            m.request().replyTo().tell(lookUpStored(m.request())); // it stopped before answering: its ledger is closed
        } else {
            m.request().replyTo().tell(StatusReply.error(new CampaignRejection(notAnswered(m.failure()),
                    "campaign " + m.request().id() + " did not answer: " + m.failure())));
        }
        return this;
    }

    /** From the stored ledger; only while no actor of this campaign runs (it would hold the ledger). */
    private StatusReply<RecipientLookup> lookUpStored(OutcomeOf m) {
        StatusReply<CampaignRecord> r = stored(m.id());
        if (r.isError()) {
            return StatusReply.error(r.getError());
        }
        if (r.getValue().status() == CampaignStatus.DAMAGED) {
            return StatusReply.error(damagedRejection(r.getValue()));
        }
        try (OutcomeLedger ledger = store.openLedger(m.id())) {
            java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample = r.getValue().test() == null ? null
                    : dev.herald.dispatcher.experiment.SampleFile.read(store.campaignDir(m.id())).orElse(null);
            return StatusReply.success(RecipientLookup.of(r.getValue().withCounts(ledger.counts()), ledger, m.recipient(),
                    sample));
        } catch (IOException e) {
            return StatusReply.error(new CampaignRejection(CampaignRejection.Reason.DAMAGED, "campaign " + m.id()
                    + " is damaged: its outcome ledger could not be read: " + store.relative(e.getMessage())));
        } catch (RuntimeException e) {
            return StatusReply.error(new IOException("campaign " + m.id() + ": its outcome ledger could not be read: "
                    + e.getMessage(), e));
        }
    }

    @SuppressWarnings("unchecked")
    private static final Class<StatusReply<Campaign.VariantGroups>> GROUPS =
            (Class<StatusReply<Campaign.VariantGroups>>) (Class<?>) StatusReply.class;

    private Behavior<Command> onGetVariants(GetVariants m) {
        ActorRef<Campaign.Command> child = live.get(m.id());
        if (child != null) {
            getContext().ask(GROUPS, child, ASK_TIMEOUT, Campaign.GetVariants::new,
                    (reply, failure) -> new VariantsAnswered(m, reply, failure));
        } else {
            m.replyTo().tell(variantsStored(m.id()));
        }
        return this;
    }

    /** From the stored ledger and sample; only while no actor of this campaign runs. */
    private StatusReply<Campaign.VariantGroups> variantsStored(String id) {
        return fromStored(id, "its variants", true, (record, sample, ledger) -> Experiments.groups(record, sample, ledger));
    }

    /** What a campaign's stored record, A/B sample and outcome ledger give. */
    private interface FromStored<T> {
        T read(CampaignRecord record, java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample,
               OutcomeLedger ledger) throws IOException;
    }

    /**
     * {@code read} over campaign {@code id}'s stored record, A/B sample (null without a test) and
     * outcome ledger; only while no actor of this campaign runs. A damaged record or, with
     * {@code damagedOnIo}, an unreadable ledger or sample is a {@code DAMAGED} rejection; any other
     * failure an error naming {@code what} could not be read.
     */
    private <T> StatusReply<T> fromStored(String id, String what, boolean damagedOnIo, FromStored<T> read) {
        StatusReply<CampaignRecord> r = stored(id);
        if (r.isError()) {
            return StatusReply.error(r.getError());
        }
        if (r.getValue().status() == CampaignStatus.DAMAGED) {
            return StatusReply.error(damagedRejection(r.getValue()));
        }
        try (OutcomeLedger ledger = store.openLedger(id)) {
            java.util.List<org.roaringbitmap.buffer.ImmutableRoaringBitmap> sample = r.getValue().test() == null ? null
                    : dev.herald.dispatcher.experiment.SampleFile.read(store.campaignDir(id)).orElse(null);
            return StatusReply.success(read.read(r.getValue(), sample, ledger));
        } catch (IOException e) {
            if (damagedOnIo) {
                return StatusReply.error(new CampaignRejection(CampaignRejection.Reason.DAMAGED, "campaign " + id
                        + " is damaged: " + store.relative(e.getMessage())));
            }
            return StatusReply.error(new IOException("campaign " + id + ": " + what + " could not be read: "
                    + e.getMessage(), e));
        } catch (RuntimeException e) {
            return StatusReply.error(new IOException("campaign " + id + ": " + what + " could not be read: "
                    + e.getMessage(), e));
        }
    }

    @SuppressWarnings("unchecked")
    private static final Class<StatusReply<Campaign.TestFigures>> FIGURES =
            (Class<StatusReply<Campaign.TestFigures>>) (Class<?>) StatusReply.class;

    private Behavior<Command> onGetTestFigures(GetTestFigures m) {
        ActorRef<Campaign.Command> child = live.get(m.id());
        if (child != null) {
            getContext().ask(FIGURES, child, ASK_TIMEOUT, Campaign.GetTestFigures::new,
                    (reply, failure) -> new TestFiguresAnswered(m, reply, failure));
        } else {
            m.replyTo().tell(testFiguresStored(m.id()));
        }
        return this;
    }

    /** From the stored record, ledger and sample; only while no actor of this campaign runs. */
    private StatusReply<Campaign.TestFigures> testFiguresStored(String id) {
        return fromStored(id, "its A/B test's figures", false,
                (record, sample, ledger) -> Experiments.figures(record, sample, ledger, settings.engagement()));
    }

    /**
     * A live, paused or failed campaign's actor applies it; a completed one holds nobody, so the
     * decision is only stored in its record (its view then shows the whole campaign's decision).
     */
    private Behavior<Command> onApplyDecision(ApplyDecision m) {
        if (!live.containsKey(m.id())) {
            StatusReply<CampaignRecord> r = stored(m.id());
            if (r.isSuccess() && r.getValue().status() == CampaignStatus.COMPLETED) {
                m.replyTo().tell(applyStored(r.getValue(), m));
                return this;
            }
        }
        return forward(m.id(), m.replyTo(), true, r -> new Campaign.ApplyDecision(m.counts(), m.send(), m.by(), r));
    }

    private StatusReply<CampaignRecord> applyStored(CampaignRecord r, ApplyDecision m) {
        dev.herald.dispatcher.experiment.ExperimentState t = r.experiment();
        if (t != null && t.isDecided() && java.util.Objects.equals(t.send(), m.send()) && t.decidedBy().equals(m.by())) {
            return StatusReply.success(r);
        }
        if (t == null || t.isDecided() || m.counts() == null) {
            return StatusReply.error(new CampaignRejection(CampaignRejection.Reason.CONFLICT, "campaign " + m.id()
                    + " is completed: cannot decide its test"));
        }
        try {
            dev.herald.dispatcher.experiment.WinnerDecision.Decision d = Experiments.decide(r, m.counts(), m.send());
            CampaignRecord decided = r.withExperiment(t.decided(d, d.send(), settings.deps().clock().instant(), m.by()));
            store.save(decided);
            return StatusReply.success(decided);
        } catch (IllegalArgumentException e) {
            return StatusReply.error(new CampaignRejection(CampaignRejection.Reason.INVALID, "campaign " + m.id() + ": "
                    + e.getMessage()));
        } catch (IOException e) {
            return StatusReply.error(new IOException("campaign " + m.id() + ": its test's decision could not be stored: "
                    + e.getMessage(), e));
        }
    }

    @SuppressWarnings("unchecked")
    private static final Class<StatusReply<Campaign.Resent>> RESENT =
            (Class<StatusReply<Campaign.Resent>>) (Class<?>) StatusReply.class;

    private Behavior<Command> onResendUnknown(ResendUnknown m) {
        ActorRef<Campaign.Command> child = live.get(m.id());
        if (child == null) {
            StatusReply<CampaignRecord> r = stored(m.id());
            if (r.isError()) {
                m.replyTo().tell(StatusReply.error(r.getError()));
                return this;
            }
            CampaignStatus s = r.getValue().status();
            if (s == CampaignStatus.DAMAGED) {
                m.replyTo().tell(StatusReply.error(damagedRejection(r.getValue())));
                return this;
            }
            if (s != CampaignStatus.COMPLETED && s != CampaignStatus.FAILED) {
                m.replyTo().tell(StatusReply.error(new CampaignRejection(CampaignRejection.Reason.CONFLICT,
                        "campaign " + m.id() + " is " + s.wire() + ": cannot resend its unknown recipients")));
                return this;
            }
            // Ended campaigns have no actor: queue the resend in the stored ledger (nobody holds it),
            // then start the actor, which carries on from the stored status.
            long queued;
            CampaignRecord rec;
            try (OutcomeLedger ledger = store.openLedger(m.id())) {
                queued = CampaignRecovery.resendUnknown(ledger);
                rec = r.getValue().withCounts(ledger.counts());
                if (queued > 0 && s == CampaignStatus.COMPLETED) {
                    rec = rec.withStatus(CampaignStatus.RUNNING, settings.deps().clock().instant());
                }
                if (queued > 0) {
                    store.save(rec);
                }
            } catch (IOException | RuntimeException e) {
                m.replyTo().tell(StatusReply.error(new IOException("campaign " + m.id()
                        + ": its unknown recipients could not be queued: " + e.getMessage(), e)));
                return this;
            }
            if (queued > 0) {
                getContext().getLog().info("campaign {}: {} unknown recipient(s) queued to be sent again"
                        + " (operator, at least once)", m.id(), queued);
                if (s == CampaignStatus.COMPLETED) {
                    spawn(m.id()); // the ledger is closed: the actor opens it
                }
            }
            m.replyTo().tell(StatusReply.success(new Campaign.Resent(rec, queued)));
            return this;
        }
        getContext().ask(RESENT, child, ASK_TIMEOUT, Campaign.ResendUnknown::new,
                (reply, failure) -> new ResendAnswered(m, reply, failure));
        return this;
    }

    private Behavior<Command> onList(ListAll m) {
        try {
            List<CampaignRecord> out = new ArrayList<>();
            for (CampaignRecord r : store.list()) {
                String why = damaged.get(r.id());
                out.add(why == null || r.status() == CampaignStatus.DAMAGED ? r : r.asDamaged(why));
            }
            m.replyTo().tell(StatusReply.success(out));
        } catch (IOException | RuntimeException e) {
            m.replyTo().tell(StatusReply.error(e));
        }
        return this;
    }

    private interface ToChild {
        Campaign.Command make(ActorRef<StatusReply<CampaignRecord>> replyTo);
    }

    /** Sends the request to the campaign's actor, spawning it for a stored one if {@code spawnIfStored}. */
    private Behavior<Command> forward(String id, ActorRef<StatusReply<CampaignRecord>> replyTo, boolean spawnIfStored,
                                      ToChild message) {
        ActorRef<Campaign.Command> child = live.get(id);
        if (child == null) {
            StatusReply<CampaignRecord> r = stored(id);
            if (r.isError()) {
                replyTo.tell(r);
                return this;
            }
            CampaignStatus s = r.getValue().status();
            if (s == CampaignStatus.DAMAGED) {
                replyTo.tell(StatusReply.error(damagedRejection(r.getValue())));
                return this;
            }
            if (!spawnIfStored || s == CampaignStatus.COMPLETED || s == CampaignStatus.CANCELLED) {
                replyTo.tell(StatusReply.error(new CampaignRejection(CampaignRejection.Reason.CONFLICT,
                        "campaign " + id + " is " + s.wire() + ": cannot change it")));
                return this;
            }
            child = spawn(id);
        }
        ask(id, false, child, replyTo, message::make);
        return this;
    }

    /**
     * Asks the campaign's actor; if it stops before answering (it completed, or failed), a
     * {@link Get} is answered from the store and a change is reported as not done.
     */
    private void ask(String id, boolean isGet, ActorRef<Campaign.Command> child, ActorRef<StatusReply<CampaignRecord>> replyTo,
                     java.util.function.Function<ActorRef<StatusReply<CampaignRecord>>, Campaign.Command> message) {
        long seq = ++forwardSeq;
        forwarded.put(seq, new Forwarded(id, isGet, replyTo));
        getContext().ask(REPLY, child, ASK_TIMEOUT, message::apply,
                (reply, failure) -> new Answered(seq, id, isGet, reply, failure, replyTo));
    }

    private Behavior<Command> onAnswered(Answered m) {
        if (forwarded.remove(m.seq()) == null) {
            return this; // answered already: the campaign stopped before it answered
        }
        if (m.reply() != null) {
            m.replyTo().tell(m.reply());
        } else if (m.isGet()) {
            m.replyTo().tell(stored(m.id()));
        } else {
            // The actor may have stopped before it saw the change (it completed or was cancelled just
            // then, and its Terminated is not handled yet): a stored end is the answer, as for a
            // campaign no actor runs, not a "busy, retry" that would never succeed.
            // Only then: an actor still alive that timed out may yet apply the change (a slow cancel).
            boolean gone = !live.containsKey(m.id()) || (m.failure() != null && m.failure().getMessage() != null
                    && m.failure().getMessage().contains("had already been terminated"));
            StatusReply<CampaignRecord> now = gone ? stored(m.id()) : null;
            CampaignStatus s = now == null || now.isError() ? null : now.getValue().status();
            if (s == CampaignStatus.COMPLETED || s == CampaignStatus.CANCELLED) {
                m.replyTo().tell(StatusReply.error(new CampaignRejection(CampaignRejection.Reason.CONFLICT,
                        "campaign " + m.id() + " is " + s.wire() + ": cannot change it")));
            } else {
                m.replyTo().tell(StatusReply.error(new CampaignRejection(notAnswered(m.failure()),
                        "campaign " + m.id() + " did not answer (it may just have finished or failed): " + m.failure())));
            }
        }
        return this;
    }

    /** Why a live campaign's answer is missing: a timeout is a busy machine (retry), anything else a conflict. */
    private static CampaignRejection.Reason notAnswered(Throwable failure) {
        return failure instanceof java.util.concurrent.TimeoutException || failure instanceof org.apache.pekko.pattern.AskTimeoutException
                ? CampaignRejection.Reason.BUSY : CampaignRejection.Reason.CONFLICT;
    }

    /** Why a damaged campaign cannot be changed or looked into, naming the damage. */
    private static CampaignRejection damagedRejection(CampaignRecord r) {
        return new CampaignRejection(CampaignRejection.Reason.DAMAGED, "campaign " + r.id() + " is damaged and cannot be "
                + "changed or looked into until its files are repaired or restored: " + r.error());
    }

    /** The stored record (shown as damaged when it or the campaign's ledger failed its checks), or why there is none. */
    private StatusReply<CampaignRecord> stored(String id) {
        try {
            Optional<CampaignRecord> r = store.load(id);
            String why = damaged.get(id);
            return r.map(x -> StatusReply.success(why == null ? x : x.asDamaged(why))).orElseGet(() -> StatusReply.error(
                    new CampaignRejection(CampaignRejection.Reason.NOT_FOUND, "no campaign '" + id + "'")));
        } catch (dev.herald.suppression.CorruptIndexException e) {
            return StatusReply.success(CampaignRecord.damaged(id, store.recordModified(id), store.relative(e.getMessage())));
        } catch (IllegalArgumentException e) {
            return StatusReply.error(new CampaignRejection(CampaignRejection.Reason.NOT_FOUND, e.getMessage()));
        } catch (IOException e) {
            return StatusReply.error(e);
        }
    }

    private ActorRef<Campaign.Command> spawn(String id) {
        // Pekko's default for a failing child is to stop it; left unwrapped so the failure reaches
        // this actor as ChildFailed (a supervise(..).onFailure(stop()) would turn it into a plain stop).
        ActorRef<Campaign.Command> child = getContext().spawn(Campaign.create(id, settings), "campaign-" + id,
                BlockingIo.props()); // its messages store files
        getContext().watch(child);
        live.put(id, child);
        byRef.put(child.unsafeUpcast(), id);
        return child;
    }

    private Behavior<Command> onShutdown(Shutdown m) {
        shutdownWaiters.add(m.replyTo());
        if (live.isEmpty()) {
            return shutDown();
        }
        for (ActorRef<Campaign.Command> child : live.values()) {
            child.tell(new Campaign.Passivate(getContext().getSystem().ignoreRef()));
        }
        return this;
    }

    private Behavior<Command> shutDown() {
        shutdownWaiters.forEach(w -> w.tell(Done.getInstance()));
        return Behaviors.stopped();
    }

    private Behavior<Command> onChildFailed(ChildFailed s) {
        String id = forget(s.getRef());
        if (id != null && s.getCause() instanceof CampaignDamagedException d) {
            getContext().getLog().error("{}; shown as damaged, the other campaigns carry on", d.getMessage());
            damaged.put(id, store.relative(d.damage()));
        } else if (id != null) {
            getContext().getLog().error("campaign {}: stopped by an error; marked failed", id, s.getCause());
            try {
                Optional<CampaignRecord> r = store.load(id);
                if (r.isPresent() && !r.get().status().isTerminal()) {
                    store.save(r.get().withStatus(CampaignStatus.FAILED, settings.deps().clock().instant())
                            .withError("internal error: " + s.getCause()));
                }
            } catch (IOException | RuntimeException e) {
                getContext().getLog().error("campaign {}: could not record the failure", id, e);
            }
        }
        answerForwarded(id);
        return afterChildGone();
    }

    private Behavior<Command> onTerminated(Terminated s) {
        String id = forget(s.getRef());
        answerForwarded(id);
        return afterChildGone();
    }

    /**
     * Answers the status requests forwarded to a campaign actor that has stopped (its mailbox is
     * gone) from the stored record, at once rather than after the ask timeout. A forwarded change
     * keeps waiting for its answer: the actor may have answered just before it stopped (a cancel
     * does), and that answer travels through the ask's own actor, so it can arrive after the stop
     * is seen; answering "not done" here would report a cancel that was stored as refused. If no
     * answer was sent, the ask times out and the change is answered as not answered (retry).
     */
    private void answerForwarded(String id) {
        if (id == null) {
            return;
        }
        forwarded.entrySet().removeIf(e -> {
            Forwarded f = e.getValue();
            if (!f.id().equals(id) || !f.isGet()) {
                return false;
            }
            f.replyTo().tell(stored(id));
            return true;
        });
    }

    private String forget(ActorRef<Void> ref) {
        String id = byRef.remove(ref);
        if (id != null) {
            live.remove(id);
        }
        return id;
    }

    private Behavior<Command> afterChildGone() {
        return !shutdownWaiters.isEmpty() && live.isEmpty() ? shutDown() : this;
    }
}
