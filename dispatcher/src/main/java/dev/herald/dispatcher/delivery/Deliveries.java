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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Delivery receipts matched to their recipients: the message-id map ({@link MessageIdMap}) filled
 * as messages are accepted, and each campaign's {@link DeliveryLedger}.
 *
 * <pre>{@code
 * Deliveries d = Deliveries.open(dataDir, numbers, 2_000_000, Duration.ofSeconds(5), Duration.ofDays(7), clock);
 * d.accepted("acme-smsc", "spring-sale", 7, List.of("41459", "41460"));   // a 2-part message
 * d.receipt("acme-smsc", receipt);        // MATCHED, HELD (its id not known yet) or UNMATCHED
 * d.counts("spring-sale");                // {delivered=1, ...}
 * }</pre>
 *
 * <p><b>Early receipts.</b> SMSCs may send a receipt before the {@code submit_sm_resp} that
 * gives its id. A receipt whose id is not known yet is held: written to {@code receipts/held.log}
 * (so the connector can acknowledge it at once, and a crash does not lose it) and matched when
 * {@link #accepted} brings its id; one still held after the early wait is unmatched. Nothing here
 * blocks the connector's threads: they also carry the answers the held receipt waits for. At
 * open, receipts held at a crash are held again (matched at once if their id came before it).
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
    /** The held receipts' log: {@code H} lines held, {@code R} lines resolved. */
    public static final String HELD = "held.log";
    private static final LogFormat UNMATCHED_FORMAT = LogFormat.lines(2048);
    /** A campaign's delivery ledger not used this long is closed (opened again by its next receipt or view). */
    static final Duration IDLE_LEDGER = Duration.ofMinutes(10);
    /** How long an id stays after its final receipt: a repeat of the receipt (our acknowledgement lost) still matches. */
    public static final Duration REPORTED_GRACE = Duration.ofHours(1);

    /** What became of a receipt. */
    public enum Match {
        /** Its id was known: recorded in its campaign's ledger. */
        MATCHED,
        /** Its id is not known yet: held (durably) until it comes, or the early wait ends. */
        HELD,
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
    private final Map<String, Long> lastUsed = new ConcurrentHashMap<>();
    /** Campaigns whose receipts are matched but not kept (the replies' confirmations). */
    private final java.util.Set<String> untracked = ConcurrentHashMap.newKeySet();
    /** Held receipts by {@code <connector>/<key>}: removing one is what resolves it (once). */
    private final Map<String, Held> holding = new ConcurrentHashMap<>();
    private final FramedLog heldLog;
    private final LongAdder matched = new LongAdder();
    private final LongAdder heldThenMatched = new LongAdder();
    private final LongAdder unmatched = new LongAdder();
    private final LongAdder swept = new LongAdder();
    private java.util.concurrent.ScheduledExecutorService sweeper;

    /** A receipt waiting for its id. */
    private record Held(String connector, PeerEvents.Receipt receipt, long atMillis) {
        String key() {
            return connector + "/" + receipt.idKey();
        }
    }

    private Deliveries(MessageIdMap ids, CampaignNumbers numbers, Path campaigns, FramedLog unmatchedLog, FramedLog heldLog,
                       Duration earlyWait, Duration receiptWait, Clock clock) {
        this.heldLog = heldLog;
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
        FramedLog unmatched = null;
        try {
            unmatched = FramedLog.open(dir.resolve(UNMATCHED), UNMATCHED_FORMAT, (data, at, p, n) -> { });
            Map<String, Held> stillHeld = new java.util.LinkedHashMap<>();
            Path heldFile = dir.resolve(HELD);
            if (Files.exists(heldFile)) {
                FramedLog.open(heldFile, UNMATCHED_FORMAT, (data, at, p, n) -> {
                    byte[] b = new byte[n];
                    data.get(p, b);
                    String[] f = new String(b, StandardCharsets.UTF_8).split("\t", -1);
                    try {
                        if (f[0].equals("H") && f.length == 7) {
                            Held h = new Held(f[1], new PeerEvents.Receipt(f[2], PeerEvents.DeliveryState.valueOf(f[3]),
                                    f[4], f[6]), Long.parseLong(f[5]));
                            stillHeld.put(h.key(), h);
                        } else if (f[0].equals("R") && f.length == 3) {
                            stillHeld.remove(f[1] + "/" + f[2]);
                        } else {
                            throw new IllegalArgumentException("not a held-receipt line");
                        }
                    } catch (IllegalArgumentException e) {
                        throw new IOException(heldFile + " at offset " + at + ": " + e.getMessage());
                    }
                }).close();
            }
            // the file is written anew with what is still held (it only grows while running)
            java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
            for (Held h : stillHeld.values()) {
                byte[] line = heldLine(h);
                java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(UNMATCHED_FORMAT.frames().frameLength(line.length));
                dev.herald.suppression.store.FrameFormat.putLine(frame, line);
                content.write(frame.array(), 0, frame.position());
            }
            FramedLog.replace(heldFile, java.nio.ByteBuffer.wrap(content.toByteArray()));
            FramedLog heldLog = FramedLog.open(heldFile, UNMATCHED_FORMAT, (data, at, p, n) -> { });
            Deliveries d = new Deliveries(ids, numbers, dataDir.resolve("campaigns"), unmatched, heldLog, earlyWait,
                    receiptWait, clock);
            for (Held h : stillHeld.values()) {
                d.holding.put(h.key(), h);
                if (ids.get(h.connector(), h.receipt().idKey()).isPresent()) {
                    d.resolve(h.key());
                }
            }
            if (!stillHeld.isEmpty()) {
                LOG.info("{} receipt(s) held at the last stop are held again", stillHeld.size());
            }
            return d;
        } catch (IOException | RuntimeException e) {
            if (unmatched != null) {
                unmatched.close();
            }
            ids.close();
            throw e;
        }
    }

    /** @return what a read-only check of the unmatched or held log finds (for {@code herald data check}) */
    public static dev.herald.suppression.store.VerifyResult verifyLog(Path file) throws IOException {
        return FramedLog.verify(file, UNMATCHED_FORMAT);
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
        int parts = Math.min(255, partKeys.size());
        for (int i = 0; i < parts; i++) {
            accepted(connector, campaignId, recipient, i + 1, parts, partKeys.get(i));
        }
    }

    /**
     * Records the id an SMSC gave one part of a message; matches a receipt held for it.
     *
     * @param connector  the connector
     * @param campaignId the campaign
     * @param recipient  the recipient's id
     * @param part       the part, 1..parts
     * @param parts      the message's parts, 1..255
     * @param key        the part's id key
     * @throws IOException if the campaign cannot be numbered
     */
    public void accepted(String connector, String campaignId, int recipient, int part, int parts, String key)
            throws IOException {
        int campaign;
        try {
            campaign = numbers.numberOf(campaignId);
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        ids.put(connector, key, new MessageIdMap.Target(campaign, recipient, part, parts, clock.instant().getEpochSecond()));
        if (!holding.isEmpty()) {
            resolve(connector + "/" + key);
        }
    }

    /**
     * Matches a receipt and records it in its campaign's ledger, or holds it (durably) when its id
     * is not known yet; returns at once, having written what it did.
     *
     * @param connector the connector it came through
     * @param r         the receipt
     * @return what became of it (a held one is matched or unmatched later)
     * @throws IOException if it could not be recorded or held (the connector refuses it: the SMSC sends it again)
     */
    public Match receipt(String connector, PeerEvents.Receipt r) throws IOException {
        Optional<MessageIdMap.Target> target = ids.get(connector, r.idKey());
        if (target.isEmpty()) {
            Held h = new Held(connector, r, clock.millis());
            Held before = holding.putIfAbsent(h.key(), h);
            if (before == null) {
                heldLog.append(heldLine(h), false);
            } else if (!before.receipt().state().isFinal() && r.state().isFinal()
                    && holding.replace(h.key(), before, new Held(connector, r, before.atMillis()))) {
                heldLog.append(heldLine(new Held(connector, r, before.atMillis())), false); // the last H line of a key wins
            }
            if (ids.get(connector, r.idKey()).isPresent()) {
                resolve(h.key()); // its id came meanwhile
            }
            return Match.HELD;
        }
        return record(connector, r, target.get(), matched);
    }

    private Match record(String connector, PeerEvents.Receipt r, MessageIdMap.Target t, LongAdder counter)
            throws IOException {
        Optional<String> campaignId = numbers.campaignOf(t.campaign());
        if (campaignId.isPresent() && untracked.contains(campaignId.get())) {
            counter.increment(); // a confirmation sent to a reply: matched, nothing to keep
            return Match.MATCHED;
        }
        if (campaignId.isEmpty() || (!ledgers.containsKey(campaignId.get())
                && !Files.isDirectory(campaigns.resolve(campaignId.get())))) {
            unmatched(connector, r, "its campaign is not here");
            return Match.UNMATCHED;
        }
        try {
            withLedger(campaignId.get(), l -> l.record(t.recipient(), t.part(), t.parts(), r.state(), r.error(), r.idKey()));
        } catch (dev.herald.suppression.store.DamagedStoreException e) {
            // one damaged ledger must not make the SMSC send its receipts for ever: kept aside, acknowledged
            unmatched(connector, r, "its campaign's delivery ledger is damaged: " + e.getMessage());
            return Match.UNMATCHED;
        }
        if (r.state().isFinal() && !t.reported()) {
            ids.reported(connector, r.idKey(), clock.instant().getEpochSecond());
        }
        counter.increment();
        return Match.MATCHED;
    }

    /**
     * Records a delivery report that names its recipient itself (an HTTP gateway's callback with a
     * {@link CallbackTokens signed token}): no message-id map involved. A repeat changes nothing.
     *
     * @param connector the connector
     * @param campaign  the campaign's number (from the token)
     * @param recipient the recipient's id (from the token)
     * @param state     the reported state
     * @param error     the gateway's error code or text, or empty
     * @param messageId what identifies the message in the report (kept for the recipient's view)
     * @return {@link Match#MATCHED}, or {@link Match#UNMATCHED} if the campaign is not here (counted, logged, kept)
     * @throws IOException if it could not be recorded
     */
    public Match callback(String connector, int campaign, int recipient, PeerEvents.DeliveryState state, String error,
                          String messageId) throws IOException {
        PeerEvents.Receipt r = new PeerEvents.Receipt(messageId, state, error, "callback " + state);
        return record(connector, r, new MessageIdMap.Target(campaign, recipient, 1, 1, clock.instant().getEpochSecond(),
                true), matched);
    }

    /** Resolves the held receipt {@code key} if it is still held: matched if its id is known now, else unmatched. */
    private void resolve(String key) {
        Held h = holding.remove(key);
        if (h == null) {
            return;
        }
        try {
            Optional<MessageIdMap.Target> t = ids.get(h.connector(), h.receipt().idKey());
            if (t.isPresent()) {
                record(h.connector(), h.receipt(), t.get(), heldThenMatched);
            } else {
                unmatched(h.connector(), h.receipt(), "no message with this id (held " + earlyWait + ")");
            }
            heldLog.append(("R\t" + h.connector() + "\t" + h.receipt().idKey()).getBytes(StandardCharsets.UTF_8), false);
        } catch (IOException | RuntimeException e) {
            LOG.error("connector {}: a held receipt for {} could not be recorded; it stays in {}: {}", h.connector(),
                    h.receipt().idKey(), DIR + "/" + HELD, e.toString());
        }
    }

    /** Ends the wait of receipts held longer than the early wait: unmatched. Run often (a quarter of the wait). */
    void expireHeld() {
        long limit = clock.millis() - earlyWait.toMillis();
        for (Held h : holding.values()) {
            if (h.atMillis() <= limit) {
                resolve(h.key());
            }
        }
    }

    private static byte[] heldLine(Held h) {
        String raw = h.receipt().raw().replaceAll("[\\t\\n\\r\\p{Cntrl}]", " ");
        String line = "H\t" + h.connector() + "\t" + h.receipt().idKey() + "\t" + h.receipt().state().name() + "\t"
                + h.receipt().error() + "\t" + h.atMillis() + "\t" + raw;
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        return b.length > UNMATCHED_FORMAT.maxPayload() ? java.util.Arrays.copyOf(b, UNMATCHED_FORMAT.maxPayload()) : b;
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

    /** Work on a campaign's ledger, opened if needed; runs under the map's lock for that campaign (so never on a closed one). */
    private interface LedgerWork<T> {
        T apply(DeliveryLedger l) throws IOException;
    }

    private <T> T withLedger(String campaignId, LedgerWork<T> work) throws IOException {
        Object[] out = {null};
        try {
            ledgers.compute(campaignId, (id, l) -> {
                try {
                    DeliveryLedger ledger = l != null ? l : DeliveryLedger.open(campaigns.resolve(id).resolve(DeliveryLedger.FILE));
                    lastUsed.put(id, System.nanoTime());
                    out[0] = work.apply(ledger);
                    return ledger;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        @SuppressWarnings("unchecked")
        T t = (T) out[0];
        return t;
    }

    /** Closes the ledgers not used for {@code idle} (they are opened again when needed). @return how many */
    int closeIdle(Duration idle) {
        long limit = System.nanoTime() - idle.toNanos();
        int[] closed = {0};
        for (String id : List.copyOf(ledgers.keySet())) {
            ledgers.computeIfPresent(id, (k, l) -> {
                if (lastUsed.getOrDefault(k, 0L) > limit) {
                    return l;
                }
                try {
                    l.close();
                } catch (IOException e) {
                    LOG.warn("campaign {}: closing its delivery ledger: {}", k, e.toString());
                }
                lastUsed.remove(k);
                closed[0]++;
                return null;
            });
        }
        return closed[0];
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
        return withLedger(campaignId, DeliveryLedger::counts);
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
        String result = withLedger(campaignId, l -> l.resultOf(recipient));
        Map<Integer, String> partIds = DeliveryLedger.messageIds(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE),
                recipient); // a scan of the file, outside any lock
        if (partIds.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RecipientDelivery(result, List.copyOf(partIds.values())));
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
     * Runs {@link #sweep} every {@code every}, and ends the early wait of held receipts, on a
     * daemon thread of its own, until {@link #close}.
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
        long tick = Math.max(10, earlyWait.toMillis() / 4);
        sweeper.scheduleWithFixedDelay(this::expireHeld, tick, tick, TimeUnit.MILLISECONDS);
        sweeper.scheduleWithFixedDelay(() -> closeIdle(IDLE_LEDGER), 1, 1, TimeUnit.MINUTES);
    }

    /**
     * Receipts of {@code campaignId}'s messages are matched and counted, not kept (the campaign
     * that confirmations to replies are sent as: it has no directory).
     */
    public void untracked(String campaignId) {
        untracked.add(campaignId);
    }

    /** @return the message-id map (its size, for metrics and benchmarks) */
    public MessageIdMap ids() {
        return ids;
    }

    /** @return receipts matched at once */
    public long matched() {
        return matched.sum();
    }

    /** @return receipts matched after being held for their id */
    public long heldThenMatched() {
        return heldThenMatched.sum();
    }

    /** @return receipts held now, waiting for their id */
    public int held() {
        return holding.size();
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
            heldLog.close();
        } finally {
            ids.close();
        }
        if (first != null) {
            throw first;
        }
    }
}
