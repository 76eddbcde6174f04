package dev.herald.dispatcher.delivery;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.connector.PeerEvents;
import dev.herald.dispatcher.funnel.Touches;
import dev.herald.suppression.store.FramedLog;
import dev.herald.suppression.store.LogFormat;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
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
 * <p><b>Loading ledgers.</b> A campaign's ledger is opened by the first receipt or view that needs
 * it (after a start, or after {@link #IDLE_LEDGER} unused), and opening replays its whole log:
 * seconds for millions of recipients. A log up to 1 MiB is opened on the caller's thread; a longer
 * one is loaded in the background ({@link Ledgers}) and its receipts (or callbacks) are held
 * meanwhile, durably, like early ones, and recorded when it is loaded: the connector is answered
 * at once. A held receipt is resolved once ({@code R} line); after a crash, one recorded but not
 * yet resolved is recorded again, which changes nothing (the ledger keeps the first final result).
 * Views ({@link #counts}, {@link #of}) wait for the load.
 *
 * <p><b>Times and touches.</b> A result is recorded with the receipt's arrival (a held one's first
 * arrival) and the part's acceptance time from the message-id map (a callback's from
 * {@link #sentTimes}, if one is known): the ledger's send-to-delivery histogram. A recipient that
 * becomes {@code delivered} is a delivery touch ({@link Touches#delivered}, at the receipt's
 * arrival), written after its ledger line: a process killed between the two keeps the result
 * without the touch (attribution only; never a wrong one).
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
    /**
     * The held receipts' log: {@code H} lines held (by message id), {@code T} lines held callbacks
     * (naming their campaign, recipient and acceptance time, -1 if not known: waiting for the
     * ledger), {@code R} lines resolved.
     */
    public static final String HELD = "held.log";
    private static final LogFormat UNMATCHED_FORMAT = LogFormat.lines(2048);
    /** A campaign's delivery ledger not used this long is closed (opened again by its next receipt or view). */
    static final Duration IDLE_LEDGER = Duration.ofMinutes(10);
    /** How long an id stays after its final receipt: a repeat of the receipt (our acknowledgement lost) still matches. */
    public static final Duration REPORTED_GRACE = Duration.ofHours(1);

    /** When a recipient's message of a campaign was accepted by its peer, for callbacks (no message-id map entry). */
    @FunctionalInterface
    public interface SentAt {
        /** Acceptance times are not known. */
        SentAt UNKNOWN = (campaign, recipient) -> -1;

        /** @return epoch seconds of the acceptance of {@code campaign}'s message to {@code recipient}, or -1 if not known */
        long acceptedAtEpochSeconds(int campaign, int recipient);
    }

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
    private final Ledgers ledgers;
    /** Told of each recipient that becomes delivered; null: nobody is. */
    private final Touches touches;
    private volatile SentAt sentAt = SentAt.UNKNOWN;
    /** Keys of receipts held because their campaign's ledger is loading, by campaign: resolved when it is loaded. */
    private final Map<String, java.util.Set<String>> waitingFor = new ConcurrentHashMap<>();
    /** Campaigns whose receipts are matched but not kept (the replies' confirmations). */
    private final java.util.Set<String> untracked = ConcurrentHashMap.newKeySet();
    /** Held receipts by {@code <connector>/<key>}: removing one is what resolves it (once). */
    private final Map<String, Held> holding = new ConcurrentHashMap<>();
    /** Held receipts taken out of {@code holding} by a resolve that has not finished: still held for {@link #held}. */
    private final java.util.concurrent.atomic.AtomicInteger resolving = new java.util.concurrent.atomic.AtomicInteger();
    private final FramedLog heldLog;
    private final LongAdder matched = new LongAdder();
    private final LongAdder heldThenMatched = new LongAdder();
    private final LongAdder unmatched = new LongAdder();
    private final LongAdder swept = new LongAdder();
    private java.util.concurrent.ScheduledExecutorService sweeper;

    /**
     * A receipt waiting for its id, or for its campaign's ledger to load.
     *
     * @param direct the recipient a callback named itself (no id to wait for), or null
     */
    private record Held(String connector, PeerEvents.Receipt receipt, long atMillis, MessageIdMap.Target direct) {
        Held(String connector, PeerEvents.Receipt receipt, long atMillis) {
            this(connector, receipt, atMillis, null);
        }

        String key() {
            return connector + "/" + keyInLog();
        }

        /** The key as the {@code R} line names it (after the connector). */
        String keyInLog() {
            return direct == null ? receipt.idKey()
                    : "#" + direct.campaign() + "/" + direct.recipient() + "/" + receipt.idKey();
        }

        Held withReceipt(PeerEvents.Receipt r) {
            return new Held(connector, r, atMillis, direct);
        }
    }

    private Deliveries(MessageIdMap ids, CampaignNumbers numbers, Path campaigns, FramedLog unmatchedLog, FramedLog heldLog,
                       Duration earlyWait, Duration receiptWait, Clock clock, long inlineOpenBytes, Touches touches) {
        this.heldLog = heldLog;
        this.touches = touches;
        this.ids = ids;
        this.numbers = numbers;
        this.campaigns = campaigns;
        this.unmatchedLog = unmatchedLog;
        this.earlyWait = earlyWait;
        this.receiptWait = receiptWait;
        this.clock = clock;
        this.ledgers = new Ledgers(campaigns, inlineOpenBytes, this::drain);
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
        return open(dataDir, numbers, capacity, earlyWait, receiptWait, clock, Ledgers.INLINE_OPEN_BYTES, null);
    }

    /**
     * As {@link #open(Path, CampaignNumbers, long, Duration, Duration, Clock)}, telling {@code touches}
     * of each recipient that becomes delivered (receipts held at the last stop included).
     *
     * @param touches the recipients' touches (not closed here), or null
     */
    public static Deliveries open(Path dataDir, CampaignNumbers numbers, long capacity, Duration earlyWait,
                                  Duration receiptWait, Clock clock, Touches touches) throws IOException {
        return open(dataDir, numbers, capacity, earlyWait, receiptWait, clock, Ledgers.INLINE_OPEN_BYTES, touches);
    }

    /** As {@link #open(Path, CampaignNumbers, long, Duration, Duration, Clock)}, loading in the background every log longer than {@code inlineOpenBytes}. */
    static Deliveries open(Path dataDir, CampaignNumbers numbers, long capacity, Duration earlyWait,
                           Duration receiptWait, Clock clock, long inlineOpenBytes) throws IOException {
        return open(dataDir, numbers, capacity, earlyWait, receiptWait, clock, inlineOpenBytes, null);
    }

    /** As {@link #open(Path, CampaignNumbers, long, Duration, Duration, Clock, Touches)}, loading in the background every log longer than {@code inlineOpenBytes}. */
    static Deliveries open(Path dataDir, CampaignNumbers numbers, long capacity, Duration earlyWait,
                           Duration receiptWait, Clock clock, long inlineOpenBytes, Touches touches) throws IOException {
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
                        } else if (f[0].equals("T") && (f.length == 9 || f.length == 10 || f.length == 12)) {
                            // 10 fields: the acceptance time (epoch s or -1) before the text; 9: written before it was
                            // kept; 12: then a part's number and the message's parts (a message reported part by part)
                            long accepted = f.length >= 10 ? Long.parseLong(f[8]) : -1;
                            int part = f.length == 12 ? Integer.parseInt(f[9]) : 1;
                            int parts = f.length == 12 ? Integer.parseInt(f[10]) : 1;
                            if (parts < 1 || parts > 255 || part < 1 || part > parts) {
                                throw new IllegalArgumentException("part " + part + "/" + parts + " out of range");
                            }
                            Held h = new Held(f[1], new PeerEvents.Receipt(f[2], PeerEvents.DeliveryState.valueOf(f[3]),
                                    f[4], f[f.length - 1]), Long.parseLong(f[5]), new MessageIdMap.Target(Integer.parseInt(f[6]),
                                    Integer.parseInt(f[7]), part, parts, Math.max(-1, accepted), true));
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
                    receiptWait, clock, inlineOpenBytes, touches);
            for (Held h : stillHeld.values()) {
                d.holding.put(h.key(), h);
                if (h.direct() != null || ids.get(h.connector(), h.receipt().idKey()).isPresent()) {
                    d.resolve(h.key()); // matched, or waits for its campaign's ledger to load
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
     * is not known yet or its campaign's ledger is still loading; returns at once, having written
     * what it did (never waits for a ledger's replay: the caller is a connector's thread).
     *
     * @param connector the connector it came through
     * @param r         the receipt
     * @return what became of it (a held one is matched or unmatched later)
     * @throws IOException if it could not be recorded or held (the connector refuses it: the SMSC sends it again)
     */
    public Match receipt(String connector, PeerEvents.Receipt r) throws IOException {
        long now = clock.millis();
        Optional<MessageIdMap.Target> target = ids.get(connector, r.idKey());
        if (target.isPresent()) {
            Match m = recordIfOpen(connector, r, target.get(), matched, now, acceptedOf(target.get(), false));
            if (m != null) {
                return m;
            }
        }
        return hold(new Held(connector, r, now));
    }

    /**
     * @return the receipt held here for message id {@code key} of {@code connector} (its id not
     *         known here yet), if there is one; it stays held until {@link #forwarded}
     */
    public Optional<PeerEvents.Receipt> heldReceipt(String connector, String key) {
        Held h = holding.get(connector + "/" + key);
        return h == null || h.direct() != null ? Optional.empty() : Optional.of(h.receipt());
    }

    /**
     * Receipt {@code receipt}, held for {@code key} of {@code connector}, was stored where its
     * message was sent (a cluster's other partition): it is no longer held here, and not
     * unmatched. If another receipt for the key replaced it meanwhile (a final one after an
     * intermediate one), that one stays held.
     *
     * @return whether it was still held (and now is not)
     * @throws IOException if the held log cannot be written (it is held again after a restart, and
     *                     then matched or unmatched here as any held receipt)
     */
    public boolean forwarded(String connector, String key, PeerEvents.Receipt receipt) throws IOException {
        String k = connector + "/" + key;
        Held h = holding.get(k);
        if (h == null || h.direct() != null || !h.receipt().equals(receipt) || !holding.remove(k, h)) {
            return false;
        }
        heldLog.append(("R\t" + h.connector() + "\t" + h.keyInLog()).getBytes(StandardCharsets.UTF_8), false);
        return true;
    }

    /** @return {@code [connector, id key]} of every receipt held here for its id (not callbacks) */
    public List<String[]> heldIds() {
        List<String[]> out = new java.util.ArrayList<>();
        for (Held h : holding.values()) {
            if (h.direct() == null) {
                out.add(new String[] {h.connector(), h.receipt().idKey()});
            }
        }
        return out;
    }

    /**
     * @param direct whether the target is a callback's (its acceptance time is {@link #sentAt}'s, or -1)
     * @return the target's acceptance time, epoch seconds, or -1 if not known (an id whose final
     *     receipt came keeps that receipt's time instead)
     */
    private static long acceptedOf(MessageIdMap.Target t, boolean direct) {
        return direct || !t.reported() ? t.acceptedAtEpochSeconds() : -1;
    }

    /**
     * Tells where callbacks' acceptance times come from (the send-to-delivery histogram; a callback
     * names no message-id map entry): e.g. the recipients' last sends. Until set, they are not known.
     *
     * @param sentAt the acceptance times
     */
    public void sentTimes(SentAt sentAt) {
        this.sentAt = sentAt == null ? SentAt.UNKNOWN : sentAt;
    }

    /** Holds a receipt durably (the last final one of a key wins), then matches it if it can be now. */
    private Match hold(Held h) throws IOException {
        Held before = holding.putIfAbsent(h.key(), h);
        if (before == null) {
            heldLog.append(heldLine(h), false);
        } else if (!before.receipt().state().isFinal() && h.receipt().state().isFinal()) {
            Held replaced = before.withReceipt(h.receipt());
            if (holding.replace(h.key(), before, replaced)) {
                heldLog.append(heldLine(replaced), false); // the last H line of a key wins
            }
        }
        if (h.direct() != null || ids.get(h.connector(), h.receipt().idKey()).isPresent()) {
            resolve(h.key()); // its id came meanwhile, or its ledger is loading (then it waits for it)
        }
        return Match.HELD;
    }

    /**
     * Records a matched receipt in its campaign's ledger if that is open.
     *
     * @return MATCHED or UNMATCHED, or null if the ledger is not open (it is loading: hold the receipt)
     */
    private Match recordIfOpen(String connector, PeerEvents.Receipt r, MessageIdMap.Target t, LongAdder counter,
                               long arrivedMillis, long acceptedSeconds) throws IOException {
        Optional<String> campaignId = numbers.campaignOf(t.campaign());
        if (campaignId.isPresent() && untracked.contains(campaignId.get())) {
            counter.increment(); // a confirmation sent to a reply: matched, nothing to keep
            return Match.MATCHED;
        }
        if (campaignId.isEmpty() || (!ledgers.isOpen(campaignId.get())
                && !Files.isDirectory(campaigns.resolve(campaignId.get())))) {
            unmatched(connector, r, "its campaign is not here");
            return Match.UNMATCHED;
        }
        // true: this receipt made its recipient delivered (the ledger keeps the first final result only)
        Ledgers.LedgerWork<Boolean> work = l -> l.record(t.recipient(), t.part(), t.parts(), r.state(), r.error(), r.idKey(),
                arrivedMillis, acceptedSeconds) && r.state() == PeerEvents.DeliveryState.DELIVERED && l.isDelivered(t.recipient());
        Object[] becameDelivered = new Object[1];
        boolean open = ledgers.ifOpen(campaignId.get(), work, becameDelivered);
        if (!open && ledgers.openNowIfSmall(campaignId.get())) {
            open = ledgers.ifOpen(campaignId.get(), work, becameDelivered);
        }
        if (!open) {
            IOException failure = ledgers.recentFailure(campaignId.get());
            if (failure instanceof dev.herald.suppression.store.DamagedStoreException) {
                // one damaged ledger must not make the SMSC send its receipts for ever: kept aside, acknowledged
                unmatched(connector, r, "its campaign's delivery ledger is damaged: " + failure.getMessage());
                return Match.UNMATCHED;
            }
            return null;
        }
        if (Boolean.TRUE.equals(becameDelivered[0]) && touches != null) {
            try {
                touches.delivered(t.recipient(), t.campaign(), arrivedMillis);
            } catch (IOException | RuntimeException e) {
                // the result is recorded; the touch is for attribution only: never refuse the receipt for it
                LOG.warn("campaign {}: recipient {} delivered, but its touch could not be recorded: {}", campaignId.get(),
                        t.recipient(), e.toString());
            }
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
     * If the campaign's ledger is loading, the report is held (durably) and recorded when it is.
     *
     * @param connector the connector
     * @param campaign  the campaign's number (from the token)
     * @param recipient the recipient's id (from the token)
     * @param state     the reported state
     * @param error     the gateway's error code or text, or empty
     * @param messageId what identifies the message in the report (kept for the recipient's view)
     * @return {@link Match#MATCHED}, {@link Match#HELD} (its ledger is loading), or {@link Match#UNMATCHED}
     *     if the campaign is not here (counted, logged, kept)
     * @throws IOException if it could not be recorded or held
     */
    public Match callback(String connector, int campaign, int recipient, PeerEvents.DeliveryState state, String error,
                          String messageId) throws IOException {
        return callback(connector, campaign, recipient, 1, 1, state, error, messageId);
    }

    /**
     * As {@link #callback(String, int, int, PeerEvents.DeliveryState, String, String)}, for one part
     * of a message sent part by part (each with its own callback): the recipient is delivered when
     * every part was, undelivered by the first part that was not. A repeat of a part changes nothing.
     *
     * @param part  the part, 1..parts (from the token)
     * @param parts the message's parts, 1..255 (from the token)
     * @throws IllegalArgumentException if the part is out of range
     */
    public Match callback(String connector, int campaign, int recipient, int part, int parts, PeerEvents.DeliveryState state,
                          String error, String messageId) throws IOException {
        if (parts < 1 || parts > 255 || part < 1 || part > parts) {
            throw new IllegalArgumentException("part " + part + "/" + parts + " out of range (1 <= part <= parts <= 255)");
        }
        PeerEvents.Receipt r = new PeerEvents.Receipt(oneField(messageId), state, oneField(error), "callback " + state);
        long now = clock.millis();
        long accepted = state == PeerEvents.DeliveryState.DELIVERED ? sentAt.acceptedAtEpochSeconds(campaign, recipient) : -1;
        MessageIdMap.Target t = new MessageIdMap.Target(campaign, recipient, part, parts, Math.max(-1, accepted), true);
        Match m = recordIfOpen(connector, r, t, matched, now, t.acceptedAtEpochSeconds());
        return m != null ? m : hold(new Held(connector, r, now, t));
    }

    /** A text field of a held line: no tab or line break (the ledger makes whitespace '_' anyway). */
    private static String oneField(String s) {
        return s == null ? "" : s.replaceAll("[\\t\\n\\r\\p{Cntrl}]", "_");
    }

    /**
     * Resolves the held receipt {@code key} if it is still held: matched if its id is known now and
     * its ledger open; kept waiting for the ledger if that is loading; else unmatched.
     */
    private void resolve(String key) {
        resolving.incrementAndGet();
        try {
            resolve(holding.remove(key));
        } finally {
            resolving.decrementAndGet(); // after a put back: held() never drops to 0 while one is in hand
        }
    }

    private void resolve(Held h) {
        if (h == null) {
            return;
        }
        try {
            Optional<MessageIdMap.Target> t = h.direct() != null ? Optional.of(h.direct())
                    : ids.get(h.connector(), h.receipt().idKey());
            if (t.isPresent()) {
                if (recordIfOpen(h.connector(), h.receipt(), t.get(), heldThenMatched, h.atMillis(),
                        acceptedOf(t.get(), h.direct() != null)) == null) {
                    waitForLedger(h, t.get());
                    return;
                }
            } else {
                unmatched(h.connector(), h.receipt(), "no message with this id (held " + earlyWait + ")");
            }
            heldLog.append(("R\t" + h.connector() + "\t" + h.keyInLog()).getBytes(StandardCharsets.UTF_8), false);
        } catch (IOException | RuntimeException e) {
            LOG.error("connector {}: a held receipt for {} could not be recorded; it stays in {}: {}", h.connector(),
                    h.receipt().idKey(), DIR + "/" + HELD, e.toString());
        }
    }

    /**
     * Keeps a held receipt (its H line stays: no R) until its campaign's ledger is loaded, and starts
     * the load; {@link #drain} resolves it then.
     */
    private void waitForLedger(Held h, MessageIdMap.Target t) {
        String campaignId = numbers.campaignOf(t.campaign()).orElseThrow();
        holding.merge(h.key(), h, (now, mine) -> !now.receipt().state().isFinal() && mine.receipt().state().isFinal()
                ? now.withReceipt(mine.receipt()) : now);
        waitingFor.computeIfAbsent(campaignId, k -> ConcurrentHashMap.newKeySet()).add(h.key());
        ledgers.load(campaignId);
        if (ledgers.isOpen(campaignId)) {
            drain(campaignId); // it was loaded (and drained) while this receipt was being put back
        }
    }

    /** Resolves the receipts that waited for the campaign's ledger: runs after each of its loads. */
    private void drain(String campaignId) {
        java.util.Set<String> keys = waitingFor.remove(campaignId);
        if (keys == null) {
            return;
        }
        for (String key : keys) {
            resolve(key); // a ledger that failed to load again keeps it waiting (or unmatched if damaged)
        }
    }

    /**
     * Ends the wait of receipts held longer than the early wait: unmatched (or, if their id came,
     * still waiting for their campaign's ledger). Run often (a quarter of the wait).
     */
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
        String common = h.connector() + "\t" + h.receipt().idKey() + "\t" + h.receipt().state().name() + "\t"
                + h.receipt().error() + "\t" + h.atMillis() + "\t";
        String line = h.direct() == null ? "H\t" + common + raw
                : "T\t" + common + h.direct().campaign() + "\t" + h.direct().recipient() + "\t"
                        + h.direct().acceptedAtEpochSeconds() + "\t"
                        + (h.direct().parts() > 1 ? h.direct().part() + "\t" + h.direct().parts() + "\t" : "") + raw;
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

    /** Closes the ledgers not used for {@code idle} (they are opened again when needed). @return how many */
    int closeIdle(Duration idle) {
        return ledgers.closeIdle(idle);
    }

    /**
     * @param campaignId a campaign
     * @return its recipients per delivery result (empty if no receipt came)
     * @throws IOException if its ledger cannot be read
     */
    public Map<String, Long> counts(String campaignId) throws IOException {
        if (!ledgers.isOpen(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return Map.of();
        }
        return ledgers.withLedger(campaignId, DeliveryLedger::counts);
    }

    /**
     * @param campaignId a campaign
     * @return its recipients with a delivery receipt (empty if none came): a journey's branch on {@code delivered}
     * @throws IOException if its ledger cannot be read
     */
    public org.roaringbitmap.buffer.ImmutableRoaringBitmap delivered(String campaignId) throws IOException {
        if (!ledgers.isOpen(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return new org.roaringbitmap.buffer.MutableRoaringBitmap();
        }
        return ledgers.withLedger(campaignId, DeliveryLedger::delivered);
    }

    /**
     * @param campaignId a campaign
     * @return the seconds from each delivered recipient's send to its delivery (empty if no receipt came)
     * @throws IOException if its ledger cannot be read
     */
    public dev.herald.dispatcher.links.DelayHistogram sendToDelivery(String campaignId) throws IOException {
        if (!ledgers.isOpen(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return new dev.herald.dispatcher.links.DelayHistogram();
        }
        return ledgers.withLedger(campaignId, DeliveryLedger::sendToDelivery);
    }

    /**
     * @param campaignId a campaign
     * @param recipient  a recipient's id
     * @return its delivery result and its parts' message ids, if any receipt came for it
     * @throws IOException if the ledger cannot be read
     */
    public Optional<RecipientDelivery> of(String campaignId, int recipient) throws IOException {
        if (!ledgers.isOpen(campaignId)
                && !Files.exists(campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE))) {
            return Optional.empty();
        }
        String result = ledgers.withLedger(campaignId, l -> l.resultOf(recipient));
        DeliveryLedger.RecipientLines lines = DeliveryLedger.recipientLines(
                campaigns.resolve(campaignId).resolve(DeliveryLedger.FILE), recipient); // a scan of the file, outside any lock
        if (lines.messageIds().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new RecipientDelivery(result, List.copyOf(lines.messageIds().values()),
                lines.lastAtMillis() < 0 ? null : java.time.Instant.ofEpochMilli(lines.lastAtMillis()),
                lines.acceptedSeconds() < 0 ? null : java.time.Instant.ofEpochSecond(lines.acceptedSeconds())));
    }

    /**
     * A recipient's delivery.
     *
     * @param result     {@code delivered}, {@code undelivered:<reason>}, {@code expired}, or null while
     *                   parts are still to be reported
     * @param messageIds the ids of the parts receipts came for, in part order
     * @param at         when its last receipt arrived (for a result, when it was decided); null if not known
     * @param acceptedAt when the connector accepted its message; null if not known
     */
    public record RecipientDelivery(String result, List<String> messageIds, java.time.Instant at, java.time.Instant acceptedAt) {

        /** A delivery without its times (as a test states what it expects). */
        public RecipientDelivery(String result, List<String> messageIds) {
            this(result, messageIds, null, null);
        }

        /** @return this delivery without its times */
        public RecipientDelivery untimed() {
            return new RecipientDelivery(result, messageIds);
        }
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

    /** Tests only: the campaigns' ledgers. */
    Ledgers ledgers() {
        return ledgers;
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

    /** @return receipts held now, waiting for their id or their campaign's ledger */
    public int held() {
        return holding.size() + resolving.get();
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
        try {
            ledgers.close(); // after the loads in progress, whose waiting receipts stay held
        } catch (IOException e) {
            first = e;
        }
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
