package dev.herald.dispatcher.inbound;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.connector.SendResult;
import dev.herald.dispatcher.metrics.HeraldMetrics;
import dev.herald.dispatcher.render.RenderedMessage;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.Priority;
import dev.herald.throttle.RateLimiter;

/**
 * Acts on one inbound reply: classifies it ({@link KeywordRules}), makes an opt-out or opt-in
 * durable in the suppression index, and sends the confirmation or help text back through the
 * connector as a transactional message (no caps, no quiet hours, no suppression: it answers the
 * recipient's own message).
 *
 * <pre>{@code
 * InboundHandler h = new InboundHandler(rules, senders, settings, directory, index, lastSends, connector, null, metrics, clock);
 * h.handle(new InboundHandler.Reply("+447700900123", "60600", "Stop.", "sms"))
 *  .thenAccept(a -> ...);   // Answer[action=opt-out, scope=sender:demo, reply=You are unsubscribed from ...]
 * }</pre>
 *
 * <p><b>Scopes.</b> STOP: the sender the reply was sent to ({@code sender:<id>}, or
 * {@code sender-channel:<id>/<channel>} when {@link InboundSettings#allChannels()} is off); a STOP
 * to a number no sender lists is taken as STOPALL (nothing may be lost). STOPALL: {@code global}
 * (or {@code channel:<channel>}). START: the sender's scopes; a STOPALL stays in force.
 *
 * <p><b>Once.</b> The replies of one number are handled one after the other. Every STOP is written
 * (also a repeated one: an opt-in from elsewhere may be on its way, and the later STOP must win; the
 * ledger keeps it as evidence), but it is confirmed only when it changes something: a second STOP
 * is answered with {@code reply: null} and sends nothing; likewise a START when nothing was suppressed.
 *
 * <p><b>Durable before the answer.</b> The returned stage completes only once the change is
 * fsynced and visible to every campaign's send stage (the index's hand-over gate: no campaign
 * hands over a marketing message to the recipient after that).
 *
 * <p><b>Intent phrases.</b> A reply that is no keyword but holds an intent phrase
 * ({@link IntentPhrases}: "please stop texting me") is an opt-out with the scope of a STOP, or,
 * when the sender's {@code intent-action} is {@code review}, held in the {@link ReviewQueue}
 * (answer {@code review}, nothing sent) until an operator {@link #decide decides}: an opt-out then
 * is made as a STOP would be (confirmed once), with source {@code operator} and the text
 * {@code review <id> by key <key>: <the recipient's words>} as evidence.
 *
 * <p><b>Evidence.</b> Source {@code keyword}, the channel, the raw text, and the campaign the reply
 * answered with its send time ({@link LastSends}: the recipient's last marketing message, if it
 * came from that sender, or from any for a STOPALL, within the attribution window).
 *
 * <p>Thread-safe.
 */
public final class InboundHandler {

    private static final Logger LOG = LoggerFactory.getLogger(InboundHandler.class);

    /** Sender id used in the connector's logs for replies to numbers no sender lists. */
    private static final String NO_SENDER = "herald";

    /**
     * One inbound message.
     *
     * @param from        the recipient's number, as the provider gives it
     * @param to          the number or short code it was sent to
     * @param text        the text; null when it was not valid UTF-8 (then it is no keyword)
     * @param channel     {@code sms}, {@code whatsapp}, ... (a scope name)
     */
    public record Reply(String from, String to, String text, String channel) {
    }

    /**
     * What was done.
     *
     * @param action {@code opt-out}, {@code opt-in}, {@code help}, {@code review} (held for an operator) or {@code none}
     * @param scope  the scope changed or asked about (for {@code review}: the one an opt-out would change),
     *               e.g. {@code sender:acme}; null for help and none
     * @param reply  the text sent back; null when nothing is sent
     * @param review the {@link ReviewQueue} item's id, for {@code review} only (left out of JSON otherwise)
     */
    public record Answer(String action, String scope, String reply,
                         @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                         String review) {
        /** An answer without a review item. */
        public Answer(String action, String scope, String reply) {
            this(action, scope, reply, null);
        }
    }

    /** A reply's number that is not a phone number: the caller answers 400 naming {@code from}. */
    public static final class InvalidSender extends IllegalArgumentException {
        InvalidSender(String message) {
            super(message);
        }
    }

    private final KeywordRules rules;
    private final IntentPhrases intents;
    private final ReviewQueue review;
    private final SenderProfiles senders;
    private final InboundSettings settings;
    private final RecipientDirectory directory;
    private final SuppressionIndex index;
    private final LastSends lastSends;
    private final Connector connector;
    private final RateLimiter limiter;
    private final HeraldMetrics metrics;
    private final Clock clock;
    private final Executor io;
    /** Per number: the last reply's work, so that the next one runs after it. */
    private final ConcurrentHashMap<String, CompletableFuture<?>> queues = new ConcurrentHashMap<>();

    /**
     * @param lastSends may be null (no attribution)
     * @param limiter   may be null (the connector is not rate-limited)
     * @param io        runs directory and index work (may block briefly)
     */
    public InboundHandler(KeywordRules rules, SenderProfiles senders, InboundSettings settings, RecipientDirectory directory,
                          SuppressionIndex index, LastSends lastSends, Connector connector, RateLimiter limiter,
                          HeraldMetrics metrics, Clock clock, Executor io) {
        this(rules, null, null, senders, settings, directory, index, lastSends, connector, limiter, metrics, clock, io);
    }

    /**
     * @param intents   the intent phrases; null: only keywords count
     * @param review    where replies are held for review; null: intent phrases always opt out
     * @param lastSends may be null (no attribution)
     * @param limiter   may be null (the connector is not rate-limited)
     * @param io        runs directory, index and queue work (may block briefly)
     */
    public InboundHandler(KeywordRules rules, IntentPhrases intents, ReviewQueue review, SenderProfiles senders,
                          InboundSettings settings, RecipientDirectory directory, SuppressionIndex index, LastSends lastSends,
                          Connector connector, RateLimiter limiter, HeraldMetrics metrics, Clock clock, Executor io) {
        this.rules = rules;
        this.intents = intents;
        this.review = review;
        this.senders = senders;
        this.settings = settings;
        this.directory = directory;
        this.index = index;
        this.lastSends = lastSends;
        this.connector = connector;
        this.limiter = limiter;
        this.metrics = metrics;
        this.clock = clock;
        this.io = io;
    }

    /**
     * @return completed with what was done once it is durable; exceptionally with
     *     {@link InvalidSender} for a {@code from} that is not a phone number, or the index's
     *     {@link java.io.IOException} (wrapped) when the change could not be made durable
     */
    public CompletionStage<Answer> handle(Reply reply) {
        PhoneNumbers.Normalized from;
        try {
            from = directory.phoneNumbers().normalize(stripChannelPrefix(reply.from()));
        } catch (InvalidPhoneNumberException e) {
            return CompletableFuture.failedFuture(new InvalidSender("'from' is not a valid phone number: " + e.reason().text()));
        }
        Optional<SenderProfiles.Profile> profile = senders.byNumber(stripChannelPrefix(reply.to()));
        String senderId = profile.map(SenderProfiles.Profile::id).orElse(null);
        KeywordRules.Action action = reply.text() == null ? KeywordRules.Action.NONE
                : rules.classify(reply.text(), senderId, from.region());
        if (action == KeywordRules.Action.NONE && reply.text() != null && intents != null) {
            Optional<IntentPhrases.Match> intent = intents.match(reply.text(), senderId, from.region());
            if (intent.isPresent()) {
                SenderProfiles.IntentAction what = profile.map(SenderProfiles.Profile::intentAction)
                        .orElseGet(senders::defaultIntentAction);
                if (what == SenderProfiles.IntentAction.REVIEW && review != null) {
                    return serially(from.e164(), () -> hold(from.e164(), profile, reply, intent.get()));
                }
                action = KeywordRules.Action.OPT_OUT; // by any reasonable means: as a STOP
            }
        }
        KeywordRules.Action chosen = action;
        switch (action) {
            case NONE:
                return CompletableFuture.completedFuture(new Answer("none", null, null));
            case HELP:
                if (profile.isEmpty()) {
                    return CompletableFuture.completedFuture(new Answer("help", null, null));
                }
                send(from.e164(), -1, profile.get(), reply.channel(), profile.get().help());
                return CompletableFuture.completedFuture(new Answer("help", null, profile.get().help()));
            default:
                break;
        }
        if (action == KeywordRules.Action.OPT_IN && profile.isEmpty()) {
            return CompletableFuture.completedFuture(new Answer("opt-in", null, null)); // nobody to resubscribe to
        }
        // one recipient's replies in arrival order, from before the directory look-up on
        return serially(from.e164(), () -> change(directory.register(from.e164(), null, null, null).id(), from.e164(), chosen,
                profile, reply, ConsentEvidence.of(ConsentSource.KEYWORD).channel(reply.channel()).rawText(reply.text())));
    }

    /** The scope a STOP from {@code profile}'s recipient through {@code channel} changes (everything for no profile). */
    private Scope optOutScope(Optional<SenderProfiles.Profile> profile, String channel) {
        if (profile.isEmpty()) {
            return settings.allChannels() ? Scope.GLOBAL : Scope.channel(channel);
        }
        return settings.allChannels() ? profile.get().scope() : Scope.senderChannel(profile.get().id(), channel);
    }

    /** Holds a reply with an intent phrase for review: durable before the answer, nothing sent. */
    private CompletionStage<Answer> hold(String e164, Optional<SenderProfiles.Profile> profile, Reply reply,
                                         IntentPhrases.Match match) {
        int id = directory.register(e164, null, null, null).id();
        Scope scope = optOutScope(profile, reply.channel());
        try {
            ReviewQueue.Item item = review.hold(clock.instant(), e164, id, stripChannelPrefix(reply.to()),
                    profile.map(SenderProfiles.Profile::id).orElse(null), reply.channel(), reply.text(), match, scope.toString());
            LOG.info("reply of recipient {} held for review as item {} (intent phrase '{}', {})", id, item.id(), match.phrase(),
                    match.language());
            return CompletableFuture.completedFuture(new Answer("review", scope.toString(), null, String.valueOf(item.id())));
        } catch (java.io.IOException e) {
            return CompletableFuture.failedFuture(new java.io.UncheckedIOException("the reply could not be held for review", e));
        }
    }

    /**
     * An operator's decision on a held reply: an opt-out is made durable (as a STOP to the item's
     * sender, confirmed once), then the decision is stored; a dismissal is stored. Deciding the same
     * again answers the item as it is.
     *
     * @param itemId   the item's id
     * @param decision {@link ReviewQueue.Status#OPTED_OUT} or {@link ReviewQueue.Status#DISMISSED}
     * @param by       the deciding API key's id
     * @return completed with the item as decided; exceptionally with {@link java.util.NoSuchElementException}
     *     for an unknown id, {@link ReviewQueue.Conflict} for an item with the other decision, or an
     *     {@link java.io.IOException} (wrapped) when the change could not be made durable
     * @throws IllegalStateException if this handler has no review queue
     */
    public CompletionStage<ReviewQueue.Item> decide(String itemId, ReviewQueue.Status decision, String by) {
        if (review == null) {
            throw new IllegalStateException("no review queue");
        }
        Optional<ReviewQueue.Item> found = review.get(itemId);
        if (found.isEmpty()) {
            return CompletableFuture.failedFuture(new java.util.NoSuchElementException("no review item '" + itemId + "'"));
        }
        ReviewQueue.Item item = found.get();
        return serially(item.phone(), () -> {
            ReviewQueue.Item now = review.get(itemId).orElseThrow();
            if (decision == ReviewQueue.Status.DISMISSED || now.status() != ReviewQueue.Status.PENDING) {
                return stored(now.id(), decision, by); // a dismissal, a repeat, or a conflict
            }
            Optional<SenderProfiles.Profile> profile = Optional.ofNullable(now.sender()).map(senders::profile);
            Reply reply = new Reply(now.phone(), now.to(), now.text(), now.channel());
            ConsentEvidence evidence = ConsentEvidence.of(ConsentSource.OPERATOR).channel(now.channel())
                    .rawText("review " + now.id() + " by key " + by + ": " + now.text());
            return change(now.recipientId(), now.phone(), KeywordRules.Action.OPT_OUT, profile, reply, evidence)
                    .thenCompose(a -> stored(now.id(), decision, by));
        });
    }

    private CompletionStage<ReviewQueue.Item> stored(long id, ReviewQueue.Status decision, String by) {
        try {
            return CompletableFuture.completedFuture(review.decide(id, decision, clock.instant(), by));
        } catch (java.io.IOException e) {
            return CompletableFuture.failedFuture(new java.io.UncheckedIOException("the decision could not be stored", e));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Runs {@code work} after every earlier reply from number {@code e164} is done. */
    private <T> CompletableFuture<T> serially(String e164, java.util.function.Supplier<CompletionStage<T>> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<?> previous = queues.put(e164, result);
        CompletableFuture<?> before = previous == null ? CompletableFuture.completedFuture(null) : previous;
        before.handle((v, e) -> null).thenComposeAsync(v -> work.get(), io).whenComplete((v, e) -> {
            queues.remove(e164, result);
            if (e != null) {
                result.completeExceptionally(e);
            } else {
                result.complete(v);
            }
        });
        return result;
    }

    private CompletionStage<Answer> change(int id, String e164, KeywordRules.Action action,
                                           Optional<SenderProfiles.Profile> profile, Reply reply, ConsentEvidence evidence) {
        String channel = reply.channel();
        SuppressionSnapshot now = index.snapshot();
        List<ConsentChange> changes = new ArrayList<>(2);
        Scope answered;
        String confirmation;
        boolean changed;
        if (action == KeywordRules.Action.OPT_IN) {
            SenderProfiles.Profile p = profile.orElseThrow();
            answered = settings.allChannels() ? p.scope() : Scope.senderChannel(p.id(), channel);
            changed = false;
            for (Scope s : List.of(p.scope(), Scope.senderChannel(p.id(), channel))) {
                boolean suppressed = now.isSuppressed(id, s);
                changed |= suppressed;
                // the answered scope always (another writer's opt-out may be on its way), the other if in force
                if (suppressed || s.equals(answered)) {
                    changes.add(ConsentChange.optIn(id, e164, s, evidence));
                }
            }
            confirmation = p.confirmOptIn();
        } else {
            boolean all = action == KeywordRules.Action.OPT_OUT_ALL || profile.isEmpty();
            if (all) {
                answered = settings.allChannels() ? Scope.GLOBAL : Scope.channel(channel);
            } else {
                answered = settings.allChannels() ? profile.get().scope() : Scope.senderChannel(profile.get().id(), channel);
            }
            // Written even when the snapshot already shows it: an opt-in by another writer (the page,
            // the API) may be on its way, and the STOP must win. The snapshot decides the confirmation.
            changed = !now.isSuppressed(id, answered);
            changes.add(ConsentChange.optOut(id, e164, answered, attributed(id, evidence, all ? null : profile.get().id())));
            confirmation = profile.map(p -> all ? p.confirmOptOutAll() : p.confirmOptOut()).orElse(null);
        }
        String wire = action.wire();
        String answerText = changed ? confirmation : null; // confirmed once: a repeat changes nothing and says nothing
        return index.applyAsync(changes).thenApply(records -> {
            if (answerText != null) {
                send(e164, id, profile.get(), channel, answerText);
            }
            return new Answer(wire, answered.toString(), answerText);
        });
    }

    /** The evidence with the campaign it answered: the last marketing send from {@code sender} (any when null). */
    private ConsentEvidence attributed(int id, ConsentEvidence evidence, String sender) {
        if (lastSends == null) {
            return evidence;
        }
        Instant oldest = clock.instant().minus(settings.attributionWindow());
        for (LastSends.Mark mark : lastSends.recent(id)) {
            if ((sender == null || sender.equals(mark.sender())) && !mark.at().isBefore(oldest)) {
                return evidence.campaign(mark.campaignId()).sentAt(mark.at());
            }
        }
        return evidence;
    }

    /** Sends {@code text} to the recipient as a transactional message; the answer is logged and counted. */
    private void send(String e164, int id, SenderProfiles.Profile profile, String channel, String text) {
        int recipient = id >= 0 ? id : directory.idOf(e164).orElse(0);
        OutboundMessage m = OutboundMessage.of(settings.replyCampaign(), recipient, e164,
                profile == null ? NO_SENDER : profile.id(), RenderedMessage.of(text), Priority.TRANSACTIONAL, channel);
        paced(m, 0).whenComplete((r, e) -> {
            String result = e != null ? "exception" : r instanceof SendResult.Accepted ? "accepted"
                    : r instanceof SendResult.Throttled ? "throttled" : r instanceof SendResult.Unconfirmed ? "unconfirmed" : "failed";
            metrics.inboundReply(result);
            if (!"accepted".equals(result)) {
                LOG.warn("reply to recipient {} was not accepted by the connector: {}", recipient, e != null ? e.toString() : r);
            }
        });
    }

    /** Through the rate limiter as transactional (before any marketing), retrying a throttled answer a few times. */
    private CompletionStage<SendResult> paced(OutboundMessage m, int attempt) {
        if (limiter != null) {
            long wait = limiter.tryAcquire(Priority.TRANSACTIONAL, m.segments(), System.nanoTime());
            if (wait > 0) {
                return later(Duration.ofNanos(wait), () -> paced(m, attempt));
            }
        }
        return connector.send(m).thenCompose(r -> {
            if (r instanceof SendResult.Throttled && attempt < 5) {
                return later(Duration.ofMillis(200L << attempt), () -> paced(m, attempt + 1));
            }
            return CompletableFuture.completedFuture(r);
        });
    }

    private <T> CompletionStage<T> later(Duration d, java.util.function.Supplier<CompletionStage<T>> then) {
        return CompletableFuture.supplyAsync(() -> null,
                CompletableFuture.delayedExecutor(d.toNanos(), TimeUnit.NANOSECONDS, io)).thenCompose(v -> then.get());
    }

    /** {@code whatsapp:+447700900123} (how some providers write other channels) → {@code +447700900123}. */
    static String stripChannelPrefix(String number) {
        if (number == null) {
            return null;
        }
        int colon = number.indexOf(':');
        return colon > 0 && colon < 16 && number.substring(0, colon).chars().allMatch(Character::isLetter)
                ? number.substring(colon + 1) : number;
    }
}
