package dev.herald.dispatcher.delivery;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Delivery receipts matched to their recipients: the message-id map ({@link MessageIdMap}) filled
 * as messages are accepted, and each campaign's {@link DeliveryLedger}.
 *
 * <pre>{@code
 * Deliveries d = Deliveries.open(dataDir, numbers, 2_000_000, Duration.ofSeconds(5), Duration.ofDays(7), clock);
 * d.accepted("acme-smsc", "spring-sale", 7, List.of("41459", "41460"));   // a 2-part message
 * d.receipt("acme-smsc", receipt);        // MATCHED, HELD_THEN_MATCHED or UNMATCHED
 * d.counts("spring-sale");                // {delivered=1, ...}
 * }</pre>
 *
 * <p><b>Early receipts.</b> SMSCs may send a receipt before the {@code submit_sm_resp} that
 * gives its id. A receipt whose id is not known yet is held: {@link #receipt} waits up to the early
 * wait for {@link #accepted} to bring the id, then matches it; the connector acknowledges the
 * receipt only after that, so nothing is lost to a crash meanwhile.
 *
 * <p><b>Unmatched.</b> A receipt that matches no id (after the wait), or whose campaign is unknown,
 * is counted and written to {@code receipts/unmatched.log} (id, state, error, the receipt's text)
 * and logged — never dropped silently.
 *
 * <p><b>Forgetting.</b> An hourly sweep ({@link #startSweeping}) removes ids whose final receipt
 * came over {@link #REPORTED_GRACE} ago (until then a repeated receipt matches and changes
 * nothing), and ids older than the receipt wait (their receipts are not coming: they stay
 * {@code sent}).
 *
 * <p>Thread-safe.
 */
public final class Deliveries implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);
    /** The directory of the message-id map and the unmatched log, in the data directory. */
    public static final String DIR = "receipts";
    /** The unmatched receipts' log. */
    public static final String UNMATCHED = "unmatched.log";
    private static final LogFormat UNMATCHED_FORMAT = LogFormat.lines(2048);
    /** How long an id stays after its final receipt: a repeat of the receipt (our acknowledgement lost) still matches. */
    public static final Duration REPORTED_GRACE = Duration.ofHours(1);

    /** What became of a receipt. */
    public enum Match {
        /** Its id was known: recorded in its campaign's ledger. */
        MATCHED,
        /** It came before its id, which came within the early wait: recorded. */
        HELD_THEN_MATCHED,
        /** Nothing matched: counted, logged, written to the unmatched log. */
        UNMATCHED
    }

    private final MessageIdMap ids;
    private final CampaignNumbers numbers;
    private final Path campaigns;
    private final FramedLog unmatchedLog;
    private final Duration earlyWait;
    private final Duration receiptWait;
    private final Clock clock;
    private final Map<String, DeliveryLedger> ledgers = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<MessageIdMap.Target>> waiting = new ConcurrentHashMap<>();
    private final LongAdder matched = new LongAdder();
    private final LongAdder held = new LongAdder();
    private final LongAdder unmatched = new LongAdder();
    private final LongAdder swept = new LongAdder();
    private java.util.concurrent.ScheduledExecutorService sweeper;

    private Deliveries(MessageIdMap ids, CampaignNumbers numbers, Path campaigns, FramedLog unmatchedLog, Duration earlyWait,
                       Duration receiptWait, Clock clock) {
        this.ids = ids;
        this.numbers = numbers;
        this.campaigns = campaigns;
        this.unmatchedLog = unmatchedLog;
        this.earlyWait = earlyWait;
        this.receiptWait = receiptWait;
        this.clock = clock;
    }

    /**
     * @param dataDir     the data directory ({@code receipts/} and {@code campaigns/<id>/} in it)
     * @param numbers     campaign numbers (the map keeps a campaign's number, not its id)
     * @param capacity    message ids the map is sized for
     * @param earlyWait   how long a receipt that came before its id waits for it
     * @param receiptWait how long an id waits for its receipt before the sweep forgets it
     * @param clock       "now"
     * @return the open deliveries
     * @throws IOException naming the file if a store cannot be opened
     */
    public static Deliveries open(Path dataDir, CampaignNumbers numbers, long capacity, Duration earlyWait,
                                  Duration receiptWait, Clock clock) throws IOException {
        Path dir = dataDir.resolve(DIR);
        MessageIdMap ids = MessageIdMap.open(dir, capacity);
        try {
            FramedLog unmatched = FramedLog.open(dir.resolve(UNMATCHED), UNMATCHED_FORMAT, (data, at, p, n) -> { });
            return new Deliveries(ids, numbers, dataDir.resolve("campaigns"), unmatched, earlyWait, receiptWait, clock);
        } catch (IOException | RuntimeException e) {
            ids.close();
            throw e;
        }
    }

    /**
     * Records the ids an SMSC gave a message's parts; wakes receipts held for them.
     *
     * @param connector  the connector
     * @param campaignId the campaign
     * @param recipient  the recipient's id
     * @param partKeys   each part's id key, in part order
     * @throws IOException if the campaign cannot be numbered
     */
    public void accepted(String connector, String campaignId, int recipient, List<String> partKeys) throws IOException {
        int campaign = numbers.numberOf(campaignId);
        long now = clock.instant().getEpochSecond();
        int parts = Math.min(255, partKeys.size());
        for (int i = 0; i < parts; i++) {
            MessageIdMap.Target t = new MessageIdMap.Target(campaign, recipient, i + 1, parts, now);
            ids.put(connector, partKeys.get(i), t);
            CompletableFuture<MessageIdMap.Target> w = waiting.get(connector + "/" + partKeys.get(i));
            if (w != null) {
                w.complete(t);
            }
        }
    }

    /**
     * Matches a receipt and records it in its campaign's ledger (durable on return), waiting up to
     * the early wait for an id not known yet.
     *
     * @param connector the connector it came through
     * @param r         the receipt
     * @return what became of it
     * @throws IOException if it could not be recorded (the connector refuses it: the SMSC sends it again)
     */
    public Match receipt(String connector, PeerEvents.Receipt r) throws IOException {
        Optional<MessageIdMap.Target> target = ids.get(connector, r.idKey());
        Match how = Match.MATCHED;
        if (target.isEmpty()) {
            target = awaitId(connector, r.idKey());
            how = Match.HELD_THEN_MATCHED;
        }
        Optional<String> campaignId = target.flatMap(t -> numbers.campaignOf(t.campaign()));
        if (campaignId.isEmpty() || !Files.isDirectory(campaigns.resolve(campaignId.get()))) {
            unmatched(connector, r, target.isEmpty() ? "no message with this id" : "its campaign is not here");
            return Match.UNMATCHED;
        }
        MessageIdMap.Target t = target.get();
        ledger(campaignId.get()).record(t.recipient(), t.part(), t.parts(), r.state(), r.error(), r.idKey());
        if (r.state().isFinal() && !t.reported()) {
            ids.reported(connector, r.idKey(), clock.instant().getEpochSecond());
        }
        (how == Match.MATCHED ? matched : held).increment();
        return how;
    }

    private Optional<MessageIdMap.Target> awaitId(String connector, String key) throws IOException {
        String k = connector + "/" + key;
        CompletableFuture<MessageIdMap.Target> w = waiting.computeIfAbsent(k, x -> new CompletableFuture<>());
        try {
            Optional<MessageIdMap.Target> now = ids.get(connector, key); // put between the first look and the wait
            if (now.isPresent()) {
                return now;
            }
            return Optional.of(w.get(earlyWait.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while holding an early receipt", e);
        } finally {
            waiting.remove(k, w);
        }
    }

    private void unmatched(String connector, PeerEvents.Receipt r, String why) throws IOException {
        unmatched.increment();
        String line = clock.instant() + "\t" + connector + "\t" + r.idKey() + "\t" + r.state() + "\t"
                + (r.error().isEmpty() ? "-" : r.error()) + "\t" + why + "\t"
                + r.raw().replaceAll("[\\t\\n\\r\\p{Cntrl}]", " ");
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        if (b.length > UNMATCHED_FORMAT.maxPayload()) {
            b = java.util.Arrays.copyOf(b, UNMATCHED_FORMAT.maxPayload());
        }
        unmatchedLog.append(b, false);
        long n = unmatched.sum();
        if (n <= 100 || Long.bitCount(n) == 1) {
            LOG.warn("connector {}: receipt for message id {} ({}) matches nothing: {}; kept in {} ({} so far)", connector,
                    r.idKey(), r.state(), why, DIR + "/" + UNMATCHED, n);
        }
    }

    private DeliveryLedger ledger(String campaignId) throws IOException {
        try {
            return ledgers.computeIfAbsent(campaignId, id -> {
                try {
                    return DeliveryLedger.open(campaigns.resolve(id).resolve(DeliveryLedger.FILE));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * @param campaignId a campaign
     * @return its recipients per delivery result (empty if no receipt came)
     * @throws IOException if its ledger cannot be read
     */
    public Map<String, Long> counts(String campaignId) throws IOException {
        if (!ledgers.containsKey(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return Map.of();
        }
        return ledger(campaignId).counts();
    }

    /**
     * @param campaignId a campaign
     * @param recipient  a recipient's id
     * @return its delivery result and its parts' message ids, if any receipt came for it
     * @throws IOException if the ledger cannot be read
     */
    public Optional<RecipientDelivery> of(String campaignId, int recipient) throws IOException {
        if (!ledgers.containsKey(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return Optional.empty();
        }
        DeliveryLedger l = ledger(campaignId);
        Map<Integer, String> partIds = l.messageIds(recipient);
        if (partIds.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RecipientDelivery(l.resultOf(recipient), List.copyOf(partIds.values())));
    }

    /**
     * A recipient's delivery.
     *
     * @param result     {@code delivered}, {@code undelivered:<reason>}, {@code expired}, or null while
     *                   parts are still to be reported
     * @param messageIds the ids of the parts receipts came for, in part order
     */
    public record RecipientDelivery(String result, List<String> messageIds) {
    }

    /**
     * Forgets ids older than the receipt wait, and ids whose final receipt came more than
     * {@link #REPORTED_GRACE} ago; run hourly.
     *
     * @return how many
     */
    public long sweep() {
        long n = ids.sweep(clock.instant().minus(receiptWait).getEpochSecond(),
                clock.instant().minus(REPORTED_GRACE).getEpochSecond());
        swept.add(n);
        if (n > 0) {
            LOG.info("message-id map: {} id(s) older than {} forgotten without a receipt", n, receiptWait);
        }
        return n;
    }

    /**
     * Runs {@link #sweep} every {@code every} on a daemon thread of its own, until {@link #close}.
     *
     * @param every the interval (an hour in the service)
     */
    public synchronized void startSweeping(Duration every) {
        if (sweeper != null) {
            return;
        }
        sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-receipts-sweep");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("message-id map sweep failed; tried again in {}: {}", every, e.toString());
            }
        }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return the message-id map (its size, for metrics and benchmarks) */
    public MessageIdMap ids() {
        return ids;
    }

    /** @return receipts matched at once */
    public long matched() {
        return matched.sum();
    }

    /** @return receipts matched after waiting for their id */
    public long heldThenMatched() {
        return held.sum();
    }

    /** @return receipts that matched nothing */
    public long unmatched() {
        return unmatched.sum();
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (sweeper != null) {
                sweeper.shutdownNow();
                try {
                    sweeper.awaitTermination(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        IOException first = null;
        for (DeliveryLedger l : ledgers.values()) {
            try {
                l.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        ledgers.clear();
        try {
            unmatchedLog.close();
        } finally {
            ids.close();
        }
        if (first != null) {
            throw first;
        }
    }
}
