package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.campaign.CampaignSpec;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.WindowedConnector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.message.MessageLog;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimiter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.herald.throttle.QuietHoursDecision;
import dev.herald.throttle.QuietHoursPlan;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.roaringbitmap.IntIterator;

/**
 * The stage that sends: reserved ids in batches of {@link #batchSize(int) a quarter of the window}
 * (at most 512); per batch, directory reads and rendering ({@link RenderStep}), then rate limit
 * ({@link RateLimitStep}), a last suppression
 * check on one fresh snapshot once the group holds its slots of the connector's window, the
 * group's durable claim ({@link Settings#claims() just in time}), hand-over, and retries, with at
 * most {@link Connector#window()} sends of this campaign in flight.
 *
 * <p><b>Claims.</b> With {@link JustInTimeClaims} a group is claimed in the outcome ledger (one
 * fsynced record per group, shared with concurrent groups by group commit) only after it got its
 * window slots and passed its checks, right before the hand-over: a crash leaves claimed without
 * an answer only what this stage holds, at most one window. Ids decided before their group's
 * claim come out with {@link Delivery#claimed()} false. Without it, the input ids are claimed
 * already (the earlier claim-ahead mode).
 *
 * <pre>{@code
 * Flow<Claimed, Delivery, NotUsed> send = SendStage.flow(system, new SendStage.Settings(spec, directory,
 *         index, scopes, renderer, connector, limiter, Priority.MARKETING, SendStage.Retry.defaults()));
 * }</pre>
 *
 * <p><b>Opt-outs during the run.</b> The suppression check is repeated on a fresh snapshot right
 * before every hand-over to the connector (retries included), one snapshot per group handed over
 * together: an opt-out acknowledged before that moment stops the message. The connector is wrapped
 * in a {@link WindowedConnector} (shared by every campaign that passes the same wrapper) and a group
 * takes its window slots <em>before</em> that check, so a checked message never waits behind other
 * sends, this campaign's or another's. Such ids come out as {@code suppressed:<scope>}; the record
 * stage un-claims them first.
 *
 * <p><b>Rate limit.</b> A group takes its permits (its messages' segments) in one
 * {@link RateLimiter#tryAcquire} call, as many messages as the limiter's burst allows for the
 * priority; the rest of the batch follows in further groups.
 *
 * <p><b>Stopping.</b> Once {@link Settings#stop()} answers true, nothing more is handed over: the
 * ids of the batches still to send, those waiting for the rate limiter and those waiting to retry
 * come out as {@link Delivery#returned() returned}; sends already with the connector finish normally.
 *
 * <p><b>Waiting.</b> Rate-limit waits and retry backoffs are Pekko's {@code Patterns.after} on the
 * actor system's scheduler and dispatcher; no thread sleeps (see {@code BatchSend.later} for what
 * its use here must keep: a non-null value, results passed on from the dispatcher). A throttled or
 * transiently failed message keeps its place in flight (its batch completes only when every id has
 * an outcome) and is sent again with the others due after the same backoff, so it is neither lost
 * nor sent twice; a permanent failure (or retries exhausted) becomes {@code failed:<reason>}.
 * Pekko's {@code RetryFlow} does not fit these retries: it retries one element through a flow,
 * deciding from that element's own result, while here a group of messages waits as one and holds
 * what it must keep through the wait (a transient failure's group its connector window slots and
 * its claims, since the peer may have the messages), gives them back if the run stops meanwhile,
 * and is checked again (stop, suppression, quiet hours) before it is handed over again. Nor does
 * {@code RestartSource}, which restarts a failed source with backoff rather than resending part of
 * a batch.
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
     * @param stop        true once the run is to stop: ids not yet handed over (first sends and
     *                    retries alike) come out as {@link Delivery#returned() returned}
     * @param quietHours  the quiet-hours re-check at hand-over, or null for none
     * @param claims      just-in-time claims: each group is claimed right before its hand-over; or
     *                    null when the input ids are claimed already
     * @param variants    the run's messages per variant (null: one, {@code renderer} from the spec's
     *                    sender with {@code scopes}); a message's suppression scopes are its sender's
     * @param messages    where each accepted message's record goes (its fields, variant, hand-over time
     *                    and text checksum), written with its group's answers; or null for none
     */
    public record Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                           Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry,
                           BooleanSupplier stop, QuietHoursCheck quietHours, JustInTimeClaims claims, Variants variants,
                           MessageLog messages) {

        /** One message ({@code renderer}, the spec's sender, {@code scopes}) when {@code variants} is null. */
        public Settings {
            if (variants == null) {
                variants = Variants.single(renderer, spec.sender(), scopes);
            }
        }

        /** Settings that keep no message log. */
        public Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                        Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry,
                        BooleanSupplier stop, QuietHoursCheck quietHours, JustInTimeClaims claims, Variants variants) {
            this(spec, directory, suppression, scopes, renderer, connector, rateLimiter, priority, retry, stop, quietHours,
                    claims, variants, null);
        }

        /** Settings of a campaign with one message. */
        public Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                        Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry,
                        BooleanSupplier stop, QuietHoursCheck quietHours, JustInTimeClaims claims) {
            this(spec, directory, suppression, scopes, renderer, connector, rateLimiter, priority, retry, stop, quietHours,
                    claims, null);
        }

        /** Settings whose input ids are claimed already. */
        public Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                        Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry,
                        BooleanSupplier stop, QuietHoursCheck quietHours) {
            this(spec, directory, suppression, scopes, renderer, connector, rateLimiter, priority, retry, stop, quietHours, null);
        }

        /** Settings of a run that is never stopped and does not re-check quiet hours. */
        public Settings(CampaignSpec spec, RecipientDirectory directory, SuppressionIndex suppression, List<Scope> scopes,
                        Renderer renderer, Connector connector, RateLimiter rateLimiter, Priority priority, Retry retry) {
            this(spec, directory, suppression, scopes, renderer, connector, rateLimiter, priority, retry, () -> false, null, null);
        }
    }

    /**
     * Quiet hours again right before the hand-over, for ids whose chunk was decided more than
     * {@code maxAge} ago (a slow connector or rate limit can hold a message for minutes): those
     * now in quiet hours come out as {@link Outcome.Deferred deferred}.
     *
     * @param plans     the current plan (refreshed by the caller as the clock moves)
     * @param decidedAt chunk key ({@code id >>> 16}) → epoch ms of the plan that decided it
     * @param maxAge    how old a decision may be at hand-over
     */
    public record QuietHoursCheck(Supplier<QuietHoursPlan> plans, Map<Integer, Long> decidedAt, Duration maxAge) {
    }

    private SendStage() {
    }

    /**
     * @param system the actor system whose scheduler times the waits and whose dispatcher prepares batches
     * @param s      what and how to send
     * @return one {@link Delivery} per claimed id, in completion order
     */
    public static Flow<Claimed, Delivery, NotUsed> flow(ActorSystem<?> system, Settings settings) {
        // One window for all of this flow's batches (and for every campaign sharing the wrapper).
        Settings s = new Settings(settings.spec(), settings.directory(), settings.suppression(), settings.scopes(),
                settings.renderer(), WindowedConnector.wrap(settings.connector()), settings.rateLimiter(),
                settings.priority(), settings.retry(), settings.stop(), settings.quietHours(), settings.claims(),
                settings.variants(), settings.messages());
        int batchSize = batchSize(s.connector().window());
        int parallelism = Math.max(1, s.connector().window() / batchSize);
        Executor executor = system.executionContext();
        return Flow.<Claimed>create()
                .mapConcat(c -> batches(c, batchSize))
                .mapAsyncUnordered(parallelism, b -> CompletableFuture.supplyAsync(() -> new BatchSend(system, s, b), executor)
                        .thenCompose(BatchSend::run))
                .mapConcat(deliveries -> deliveries)
                .named("campaign-send");
    }

    /**
     * Ids per batch: a quarter of the window (so {@code window / batch} batches keep the window
     * full), at most {@link #MAX_BATCH}. A batch never exceeds the window, so nothing that passed
     * the last suppression check waits behind this campaign's own sends.
     */
    static int batchSize(int window) {
        return Math.max(1, Math.min(MAX_BATCH, window / 4));
    }

    /** Most ids per batch. */
    static final int MAX_BATCH = 512;

    /** Ids of one claimed unit, in batches of at most {@code size}. */
    private static List<Batch> batches(Claimed c, int size) {
        int n = c.ids().length;
        List<Batch> out = new ArrayList<>((n + size - 1) / size);
        for (int from = 0; from < n; from += size) {
            int to = Math.min(n, from + size);
            out.add(new Batch(java.util.Arrays.copyOfRange(c.stamps(), from, to), java.util.Arrays.copyOfRange(c.ids(), from, to)));
        }
        return out;
    }

    /** Up to {@link #MAX_BATCH} claimed ids with their cap reservation stamps (same positions). */
    private record Batch(long[] stamps, int[] ids) {
    }

    /** One message still to hand over, with the sends it has used so far and whether it is claimed yet. */
    private record Attempt(OutboundMessage message, RenderStep.Note note, int transientTry, int throttledTry, boolean claimed) {
    }

    /**
     * Sends one batch to the end: every id gets exactly one {@link Delivery}. Prepared (directory
     * read, render, validation) when constructed; {@link #run} hands the messages over in groups
     * that each pass the rate limiter and then one suppression check on one fresh snapshot, and
     * retries throttled and transient answers group-wise after their backoff.
     *
     * <p>Thread-safety: group continuations run concurrently (connector and scheduler threads);
     * each message is in exactly one group at a time, and the deliveries queue is concurrent.
     */
    private static final class BatchSend {
        private final ActorSystem<?> system;
        private final Settings s;
        /** The batch's one stamp, when {@link #stampById} is null. */
        private final long stamp;
        /** Stamps by id, when the batch spans several reservations. */
        private final Map<Integer, Long> stampById;
        private final int expected;
        private final ConcurrentLinkedQueue<Delivery> deliveries = new ConcurrentLinkedQueue<>();
        private final List<Attempt> first;
        private final WindowedConnector connector;
        /** Whether the batch's ids arrive claimed (no {@link JustInTimeClaims}). */
        private final boolean inputClaimed;

        BatchSend(ActorSystem<?> system, Settings s, Batch b) {
            this.system = system;
            this.s = s;
            this.connector = (WindowedConnector) s.connector();
            this.inputClaimed = s.claims() == null;
            this.stamp = b.stamps()[0];
            Map<Integer, Long> byId = null;
            for (int i = 1; i < b.stamps().length; i++) {
                if (b.stamps()[i] != stamp) {
                    byId = new java.util.HashMap<>();
                    for (int j = 0; j < b.ids().length; j++) {
                        byId.put(b.ids()[j], b.stamps()[j]);
                    }
                    break;
                }
            }
            this.stampById = byId;
            this.expected = b.ids().length;
            this.first = new ArrayList<>(b.ids().length);
            if (s.stop().getAsBoolean()) {
                for (int id : b.ids()) {
                    returned(id, inputClaimed);
                }
                return;
            }
            RenderStep.Prepared prepared = RenderStep.prepare(s.spec(), s.directory(), s.variants(), s.priority(), b.ids());
            prepared.failed().forEach((id, outcome) -> decide(id, outcome, inputClaimed));
            for (int i = 0; i < prepared.messages().size(); i++) {
                first.add(new Attempt(prepared.messages().get(i), prepared.notes().isEmpty() ? null : prepared.notes().get(i),
                        1, 1, inputClaimed));
            }
        }

        CompletionStage<List<Delivery>> run() {
            return handOver(first).thenApply(v -> {
                List<Delivery> out = new ArrayList<>(deliveries);
                if (out.size() != expected) {
                    throw new IllegalStateException("send batch: " + out.size() + " deliveries for " + expected + " ids");
                }
                return out;
            });
        }

        private void decide(int id, Outcome outcome, boolean claimed) {
            deliveries.add(Delivery.of(id, stampOf(id), outcome, claimed));
        }

        private void returned(int id, boolean claimed) {
            deliveries.add(Delivery.returned(id, stampOf(id), claimed));
        }

        private void returned(Attempt a) {
            returned(a.message().recipientId(), a.claimed());
        }

        private long stampOf(int id) {
            return stampById == null ? stamp : stampById.get(id);
        }

        private void decide(Attempt a, Outcome outcome) {
            decide(a.message().recipientId(), outcome, a.claimed());
        }

        /** Hands {@code waiting} over, rate limit permitting, and completes when each has an outcome. */
        private CompletionStage<Void> handOver(List<Attempt> waiting) {
            if (waiting.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            if (s.stop().getAsBoolean()) {
                // Not handed over (or answered throttled / transient-failed): safe to give back unsent.
                waiting.forEach(this::returned);
                return CompletableFuture.completedFuture(null);
            }
            List<Attempt> group = waiting;
            List<Attempt> rest = List.of();
            if (s.rateLimiter() != null) {
                List<OutboundMessage> messages = new ArrayList<>(waiting.size());
                waiting.forEach(a -> messages.add(a.message()));
                int end = RateLimitStep.groupSize(s.rateLimiter(), s.priority(), messages);
                long wait = RateLimitStep.tryAcquire(s.rateLimiter(), s.priority(), messages.subList(0, end));
                if (wait > 0) {
                    return later(Duration.ofNanos(wait), () -> handOver(waiting));
                }
                group = waiting.subList(0, end);
                rest = waiting.subList(end, waiting.size());
            }
            // Window slots first, then one fresh snapshot, then the hand-over at once: an opt-out
            // acknowledged while this group waited for the shared connector's window still stops it.
            List<Attempt> handing = group;
            CompletionStage<Void> sent = connector.acquire(group.size()).thenCompose(slots -> checkAndSend(handing, slots));
            if (rest.isEmpty()) {
                return sent;
            }
            CompletionStage<Void> others = handOver(rest);
            return sent.thenCombine(others, (a, b) -> null);
        }

        /**
         * Answers of claimed ids decided while their group holds its window slots: written to the
         * ledger ({@link JustInTimeClaims#settle}) before those slots are freed, so that claimed
         * ids without a recorded answer never outnumber the window. Used by one group's chain of
         * continuations at a time (each step happens-before the next).
         */
        private final class Settling {
            private final List<Attempt> attempts = new ArrayList<>();
            /** Same positions as {@link #attempts}; null where given back (returned). */
            private final List<Outcome> outcomes = new ArrayList<>();
            private final MutableRoaringBitmap unclaim = new MutableRoaringBitmap();
            /** The accepted messages' log records, written with the answers. */
            private List<MessageLog.Sent> sent;
            /** When the group was handed over, epoch ms (set right before the hand-over). */
            long handedAtMillis;

            /** Notes {@code a}'s message as accepted by the connector, for the message log. */
            void accepted(Attempt a) {
                if (s.messages() == null || a.note() == null) {
                    return;
                }
                if (sent == null) {
                    sent = new ArrayList<>();
                }
                OutboundMessage m = a.message();
                sent.add(new MessageLog.Sent(m.recipientId(), a.note().variant(), handedAtMillis, m.text(), a.note().fields()));
            }

            /** Decides {@code a}: held for the ledger if claimed under just-in-time claims, else at once. */
            void decide(Attempt a, Outcome outcome) {
                if (a.claimed() && s.claims() != null) {
                    attempts.add(a);
                    outcomes.add(outcome);
                } else {
                    BatchSend.this.decide(a, outcome);
                }
            }

            /** Gives {@code a} back unsent (the run stops): un-claimed, pending again. */
            void giveBack(Attempt a) {
                if (a.claimed() && s.claims() != null) {
                    attempts.add(a);
                    outcomes.add(null);
                } else {
                    returned(a);
                }
            }

            /** {@code id} was answered throttled: un-claimed with the others (it is retried, claimed again). */
            void unclaim(int id) {
                unclaim.add(id);
            }

            /**
             * Writes what was decided, then frees {@code free} of the group's slots and hands the
             * answers on as recorded.
             */
            CompletionStage<Void> write(WindowedConnector.Slots slots, int free) {
                List<MessageLog.Sent> records = sent;
                if (attempts.isEmpty() && unclaim.isEmpty()) {
                    if (records != null) {
                        // accepted ids not held for the ledger (claimed ahead): the record stage records them
                        Recording.io(() -> s.messages().append(records));
                    }
                    slots.free(free);
                    return CompletableFuture.completedFuture(null);
                }
                java.util.Map<Outcome, MutableRoaringBitmap> byOutcome = new java.util.HashMap<>();
                MutableRoaringBitmap givenBack = new MutableRoaringBitmap();
                for (int i = 0; i < attempts.size(); i++) {
                    int id = attempts.get(i).message().recipientId();
                    if (outcomes.get(i) == null) {
                        givenBack.add(id);
                    } else {
                        byOutcome.computeIfAbsent(outcomes.get(i).asRecorded(), k -> new MutableRoaringBitmap()).add(id);
                    }
                }
                return s.claims().settle(byOutcome, givenBack, unclaim,
                        records == null ? null : () -> s.messages().append(records)).thenRun(() -> {
                    for (int i = 0; i < attempts.size(); i++) {
                        int id = attempts.get(i).message().recipientId();
                        deliveries.add(new Delivery(id, stampOf(id), outcomes.get(i), true, true));
                    }
                    slots.free(free);
                });
            }
        }

        /**
         * Holding the group's window slots (exactly one per attempt): stop, suppression and
         * quiet-hours checks, then the hand-over. Every slot stays held until the answer of its
         * message is recorded (or its message is retried with it).
         */
        private CompletionStage<Void> checkAndSend(List<Attempt> group, WindowedConnector.Slots slots) {
            return holding(slots, () -> {
                List<Attempt> sending = new ArrayList<>(group.size());
                List<OutboundMessage> messages = new ArrayList<>(group.size());
                Settling settling = new Settling();
                if (s.stop().getAsBoolean()) {
                    group.forEach(settling::giveBack);
                    return settling.write(slots, slots.held());
                }
                SuppressionSnapshot snapshot = s.suppression().snapshot();
                for (Attempt a : group) {
                    String suppressedBy = suppressedBy(snapshot, a.message().recipientId(),
                            s.variants().scopes(a.message().from()));
                    if (suppressedBy != null) {
                        settling.decide(a, new Outcome.Suppressed(suppressedBy));
                    } else {
                        sending.add(a);
                        messages.add(a.message());
                    }
                }
                if (messages.isEmpty()) {
                    return settling.write(slots, slots.held());
                }
                MutableRoaringBitmap toClaim = new MutableRoaringBitmap();
                for (Attempt a : sending) {
                    if (!a.claimed()) {
                        toClaim.add(a.message().recipientId());
                    }
                }
                if (toClaim.isEmpty()) {
                    return gateAndSend(sending, messages, slots, settling);
                }
                // Just in time: claimed durably now that the group holds its window slots and passed its
                // checks, so a crash finds claimed only what holds a slot of the window.
                return s.claims().claim(toClaim).thenCompose(ticket -> {
                    if (!s.claims().take(ticket)) {
                        // The run ended meanwhile and released the group: it must not be handed over.
                        sending.forEach(a -> returned(a.message().recipientId(), false));
                        return settling.write(slots, slots.held());
                    }
                    List<Attempt> claimed = new ArrayList<>(sending.size());
                    sending.forEach(a -> claimed.add(new Attempt(a.message(), a.note(), a.transientTry(), a.throttledTry(), true)));
                    if (s.stop().getAsBoolean()) {
                        claimed.forEach(settling::giveBack);
                        return settling.write(slots, slots.held());
                    }
                    return gateAndSend(claimed, messages, slots, settling);
                });
            });
        }

        /**
         * Runs {@code step} with {@code slots} held; if it throws or fails, gives back whatever is
         * still held (the run fails; nothing more is handed over with them).
         */
        private CompletionStage<Void> holding(WindowedConnector.Slots slots, Supplier<CompletionStage<Void>> step) {
            CompletionStage<Void> out;
            try {
                out = step.get();
            } catch (RuntimeException e) {
                slots.release();
                return CompletableFuture.failedFuture(e);
            }
            return out.whenComplete((v, e) -> {
                if (e != null) {
                    slots.release();
                }
            });
        }

        /**
         * Quiet hours once more (after the claim: its fsync takes time), then through the index's
         * hand-over gate, each message checked once more right before its hand-over.
         */
        private CompletionStage<Void> gateAndSend(List<Attempt> sending, List<OutboundMessage> messages,
                                                  WindowedConnector.Slots slots, Settling settling) {
            if (s.quietHours() != null) {
                recheckQuietHours(sending, messages, settling);
                if (messages.isEmpty()) {
                    return settling.write(slots, slots.held());
                }
            }
            // And once more per message, right before its own hand-over, on the newest snapshot: the
            // group's hand-over takes a while, and an opt-out acknowledged meanwhile must still stop it.
            // The index's hand-over gate keeps an opt-out from being acknowledged between a message's
            // check and its hand-over.
            Map<Integer, String> lastMoment = new java.util.HashMap<>();
            settling.handedAtMillis = System.currentTimeMillis();
            return s.suppression().handOver(() -> slots.handOverEach(messages, m -> {
                String by = suppressedBy(s.suppression().snapshot(), m.recipientId(), s.variants().scopes(m.from()));
                if (by != null) {
                    lastMoment.put(m.recipientId(), by);
                }
                return by == null;
            })).thenCompose(results -> {
                List<Attempt> handed = new ArrayList<>(sending.size());
                List<SendResult> answers = new ArrayList<>(sending.size());
                for (int i = 0; i < sending.size(); i++) {
                    int id = sending.get(i).message().recipientId();
                    if (results.get(i) == null) {
                        settling.decide(sending.get(i), new Outcome.Suppressed(lastMoment.get(id)));
                    } else {
                        handed.add(sending.get(i));
                        answers.add(results.get(i));
                    }
                }
                return answered(handed, answers, slots, settling);
            });
        }

        /** Takes out of {@code sending} (and {@code messages}) who is in quiet hours now, if decided too long ago. */
        private void recheckQuietHours(List<Attempt> sending, List<OutboundMessage> messages, Settling settling) {
            QuietHoursPlan plan = s.quietHours().plans().get();
            long oldest = plan.now().toEpochMilli() - s.quietHours().maxAge().toMillis();
            MutableRoaringBitmap stale = new MutableRoaringBitmap();
            for (Attempt a : sending) {
                int id = a.message().recipientId();
                Long at = s.quietHours().decidedAt().get(id >>> 16);
                if (at == null || at < oldest) {
                    stale.add(id);
                }
            }
            if (stale.isEmpty()) {
                return;
            }
            QuietHoursDecision d = plan.decide(stale);
            if (d.deferredCount() == 0) {
                return;
            }
            MutableRoaringBitmap closed = new MutableRoaringBitmap();
            d.deferred().forEach((until, ids) -> {
                closed.or(ids);
            });
            for (int i = sending.size() - 1; i >= 0; i--) {
                Attempt a = sending.get(i);
                if (closed.contains(a.message().recipientId())) {
                    d.deferred().forEach((until, ids) -> {
                        if (ids.contains(a.message().recipientId())) {
                            settling.decide(a, new Outcome.Deferred(until));
                        }
                    });
                    sending.remove(i);
                    messages.remove(i);
                }
            }
        }

        /**
         * Records final answers (before their slots are freed); throttled ones are un-claimed and
         * wait for new slots; transient failures keep their claim and their slots through the
         * backoff (the peer may have them), retried grouped by backoff.
         */
        private CompletionStage<Void> answered(List<Attempt> sent, List<SendResult> results, WindowedConnector.Slots slots,
                                               Settling settling) {
            Map<Duration, List<Attempt>> throttledRetries = new TreeMap<>();
            Map<Duration, List<Attempt>> transientRetries = new TreeMap<>();
            int keep = 0;
            for (int i = 0; i < sent.size(); i++) {
                Attempt a = sent.get(i);
                int id = a.message().recipientId();
                SendResult result = results.get(i);
                if (result instanceof SendResult.Accepted accepted) {
                    settling.accepted(a);
                    settling.decide(a, new Outcome.Sent(accepted.messageId()));
                } else if (result instanceof SendResult.Failed f) {
                    settling.decide(a, new Outcome.Failed(reason(f.reason())));
                } else if (result instanceof SendResult.Unconfirmed) {
                    // the peer may have it: never sent again, as after a crash
                    settling.decide(a, Outcome.Unknown.INSTANCE);
                } else if (result instanceof SendResult.Throttled t) {
                    if (a.throttledTry() >= s.retry().throttledAttempts()) {
                        settling.decide(a, new Outcome.Failed("throttled"));
                    } else {
                        Duration wait = s.retry().backoff(a.throttledTry());
                        Duration after = t.retryAfter().filter(d -> d.compareTo(wait) > 0).orElse(wait);
                        // Not accepted, for certain: with just-in-time claims it waits unclaimed (a crash
                        // meanwhile leaves it pending, not unknown) and is claimed again before its retry.
                        boolean keepClaim = s.claims() == null;
                        if (!keepClaim) {
                            settling.unclaim(id);
                        }
                        throttledRetries.computeIfAbsent(after, d -> new ArrayList<>())
                                .add(new Attempt(a.message(), a.note(), a.transientTry(), a.throttledTry() + 1, keepClaim));
                    }
                } else {
                    SendResult.TransientFailure tf = (SendResult.TransientFailure) result;
                    if (a.transientTry() >= s.retry().transientAttempts()) {
                        settling.decide(a, new Outcome.Failed(reason(tf.reason())));
                    } else {
                        keep++;
                        transientRetries.computeIfAbsent(s.retry().backoff(a.transientTry()), d -> new ArrayList<>())
                                .add(new Attempt(a.message(), a.note(), a.transientTry() + 1, a.throttledTry(), true));
                    }
                }
            }
            // The transient retries take their slots with them; the rest are freed once written.
            List<WindowedConnector.Slots> carried = new ArrayList<>(transientRetries.size());
            transientRetries.values().forEach(group -> carried.add(slots.split(group.size())));
            CompletionStage<Void> written = settling.write(slots, slots.held());
            if (throttledRetries.isEmpty() && transientRetries.isEmpty()) {
                return written;
            }
            List<CompletableFuture<Void>> waits = new ArrayList<>();
            throttledRetries.forEach((delay, group) -> waits.add(written.toCompletableFuture()
                    .thenCompose(v -> later(delay, () -> handOver(group)))));
            int k = 0;
            for (Map.Entry<Duration, List<Attempt>> e : transientRetries.entrySet()) {
                WindowedConnector.Slots held = carried.get(k++);
                List<Attempt> group = e.getValue();
                waits.add(written.toCompletableFuture()
                        .thenCompose(v -> later(e.getKey(), () -> retryHolding(group, held)))
                        .whenComplete((v, error) -> {
                            if (error != null) {
                                held.release();
                            }
                        }));
            }
            return CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new));
        }

        /**
         * Sends a transient failure's retry again with the slots it kept: rate limit permitting
         * (waiting as long as it says), then the same checks as a first hand-over.
         */
        private CompletionStage<Void> retryHolding(List<Attempt> group, WindowedConnector.Slots slots) {
            if (s.rateLimiter() != null && !s.stop().getAsBoolean()) {
                List<OutboundMessage> messages = new ArrayList<>(group.size());
                group.forEach(a -> messages.add(a.message()));
                long wait = RateLimitStep.tryAcquire(s.rateLimiter(), s.priority(), messages);
                if (wait > 0) {
                    return later(Duration.ofNanos(wait), () -> retryHolding(group, slots));
                }
            }
            return checkAndSend(group, slots);
        }

        /**
         * Runs {@code next} after {@code delay} with Pekko's {@code Patterns.after} (the actor
         * system's scheduler, {@code next} on its dispatcher); completes as {@code next}'s stage
         * does, failed if {@code next} throws or its stage fails.
         *
         * <p>Three things keep a wait from losing its completion or overflowing the stack
         * ({@code SendStageTest} hangs or fails without any one of them):
         * <ul>
         *   <li>The stage handed to {@code Patterns.after} carries {@link Done}, never null: Pekko's
         *       {@code afterCompletionStage} (1.7.0) completes its result only on a non-null value
         *       or a failure, so a {@code CompletionStage<Void>} completing normally (with null)
         *       would leave it, and the batch and the run with it, incomplete for ever.</li>
         *   <li>Its result is passed on from the dispatcher ({@code thenApplyAsync}), not on the
         *       thread that completes it: a group retried k times is k waits each completing when
         *       the next does, and {@code Patterns.after} completes its result from a callback, so
         *       finishing the last would finish all k on one stack. About 1,000 deep (the default
         *       throttled attempts) that overflows, and the error is caught into a stage no one
         *       waits for: nothing completes.</li>
         *   <li>A delay of zero (a {@link Retry} with {@code initial} zero) is run from the
         *       dispatcher, as the scheduler did it, not inline as {@code Patterns.after} would: a
         *       peer that answers at once would otherwise add a whole send to the stack per retry.</li>
         * </ul>
         */
        private CompletionStage<Void> later(Duration delay, Supplier<CompletionStage<Void>> next) {
            Executor dispatcher = system.executionContext();
            if (delay.isZero() || delay.isNegative()) {
                return CompletableFuture.supplyAsync(next, dispatcher).thenCompose(stage -> stage);
            }
            return Patterns.after(delay, system, () -> next.get().thenApply(v -> Done.getInstance()))
                    .thenApplyAsync(done -> null, dispatcher);
        }
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
}
