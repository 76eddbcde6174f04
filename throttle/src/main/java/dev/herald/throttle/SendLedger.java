package dev.herald.throttle;

import dev.herald.throttle.internal.CapPlan;
import dev.herald.throttle.internal.SendLedgerChronicleStore;
import dev.herald.throttle.internal.SendLedgerCodes;
import dev.herald.throttle.internal.SendLedgerFiles;
import dev.herald.throttle.internal.SendLedgerLocks;
import dev.herald.throttle.internal.SendLedgerMmapStore;
import dev.herald.throttle.internal.SendLedgerSlots;
import dev.herald.throttle.internal.SendLedgerStore;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

import org.roaringbitmap.BatchIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * The per-recipient ledger of recent sends that enforces the {@link FrequencyCaps}:
 * check-and-reserve, atomic per recipient, durable across restarts.
 *
 * <pre>{@code
 * try (SendLedger ledger = SendLedger.open(dataDir.resolve("send-ledger"), caps, SendLedgerOptions.defaults(), segments::get)) {
 *     ReservationBatch b = ledger.reserve(chunk, CapContext.marketing("sms", "promo", zone), Instant.now());
 *     ledger.confirm(handedOver, b.stamp());   // or ledger.release(failedBeforeAccept, b.stamp())
 * }
 * }</pre>
 *
 * <p><b>Semantics.</b> A reservation counts at once, in every window, like a confirmed send;
 * {@code confirm} marks it handed over, {@code release} (only while still reserved) forgets it.
 * A recipient is capped when an applicable rule already counts {@code limit} sends in its window;
 * a drop hit wins over defer hits, and a defer reports the latest instant any hit rule frees.
 *
 * <p><b>Record.</b> Each recipient has K = {@link SendLedgerOptions#slotsPerUser()} slots (epoch
 * second, channel, category, marketing bit, state; see {@code SendLedgerSlots}). A reservation
 * takes an empty slot or one whose send counts in no rule's window any more. K must be at least
 * the largest limit + 1. A send that no rule counts (no rule's scope matches it) is granted
 * without being recorded; confirm and release then find nothing for it. If all K slots still
 * count (possible only when overlapping scopes add up to more than K live sends), the send is
 * dropped as {@code capped:}{@value #LEDGER_FULL}:
 * the ledger never forgets a send that counts, so it never lets a recipient over a cap.
 *
 * <p><b>Durability.</b> Records are memory-mapped (or in a Chronicle Map) and not fsynced per
 * write: everything survives a killed process (kill -9), power loss can lose recent sends.
 * Name codes and new segments are fsynced. One process at a time: the directory is locked.
 *
 * <p><b>Damage.</b> The mmap store's segment files carry a checksummed header and a check byte
 * per slot (a zero-filled page is damage, never "no sends"): a wrong length or header refuses
 * the ledger at open, a damaged page the first time it is read (once per page, not per access),
 * naming the file and offset. A ledger written before (format 1) is migrated at open.
 *
 * <p><b>Thread-safety.</b> Safe from any number of threads. Every read-decide-write of one
 * recipient holds the lock of its stripe (ids {@code [1024 k, 1024 k + 1024)} share one of
 * 4,096 locks), so concurrent reservations never take a recipient over a cap. The
 * intended use is a single owner per id range (one ThrottleShard actor): its locks are then
 * uncontended and the batch path takes one lock per 1,024 consecutive ids.
 */
public final class SendLedger implements AutoCloseable {

    /** Rule name reported when a recipient's K slots all hold sends that still count. */
    public static final String LEDGER_FULL = "ledger-full";

    private final List<CapRule> rules;
    private final List<String> ruleNames;
    private final Function<String, ImmutableRoaringBitmap> segments;
    private final SendLedgerStore store;
    private final SendLedgerCodes codes;
    private final int k;
    private final SendLedgerLocks locks;
    private final SendLedgerFiles files;

    private SendLedger(FrequencyCaps caps, Function<String, ImmutableRoaringBitmap> segments, SendLedgerStore store,
                       SendLedgerCodes codes, SendLedgerFiles files, SendLedgerLocks locks) {
        this.locks = locks;
        this.rules = caps.rules();
        this.ruleNames = rules.stream().map(CapRule::name).toList();
        this.segments = segments;
        this.store = store;
        this.codes = codes;
        this.k = store.slots();
        this.files = files;
    }

    /**
     * Opens (creating if absent) the ledger in {@code dir}.
     *
     * @param dir      the ledger's own directory
     * @param caps     the rules to enforce
     * @param options  store and K; must match what {@code dir} was created with
     * @param segments resolves a rule's segment name to its ids; called once per reserve call
     * @return the ledger; the caller closes it
     * @throws IOException              if the directory cannot be created, locked or mapped
     * @throws dev.herald.suppression.DamagedFileException if a segment file has the wrong length or
     *                                  header (named, with the offset); a page of slots is checked the
     *                                  first time it is read, and a damaged one refuses the ledger:
     *                                  every later call throws an {@link java.io.UncheckedIOException}
     *                                  wrapping the same damage
     * @throws IllegalArgumentException if K &lt; largest limit + 1, or a rule is named {@value #LEDGER_FULL}
     * @throws IllegalStateException    if the directory is locked by another ledger, or holds a
     *                                  ledger with another store or K
     */
    public static SendLedger open(Path dir, FrequencyCaps caps, SendLedgerOptions options,
                                  Function<String, ImmutableRoaringBitmap> segments) throws IOException {
        if (options.slotsPerUser() < caps.maxLimit() + 1) {
            throw new IllegalArgumentException("slots per user (" + options.slotsPerUser()
                    + ") must be at least the largest cap limit + 1 (" + (caps.maxLimit() + 1) + ")");
        }
        if (caps.rules().stream().anyMatch(r -> r.name().equals(LEDGER_FULL))) {
            throw new IllegalArgumentException("cap rule name '" + LEDGER_FULL + "' is reserved");
        }
        SendLedgerFiles files = SendLedgerFiles.acquire(dir, options.store().name().toLowerCase(Locale.ROOT), options.slotsPerUser());
        try {
            SendLedgerCodes codes = SendLedgerCodes.open(dir);
            SendLedgerLocks locks = new SendLedgerLocks();
            SendLedgerStore store;
            if (options.store() == SendLedgerOptions.Store.MMAP) {
                store = SendLedgerMmapStore.open(dir, options.slotsPerUser(), files.oldFormat(), locks::refuse);
                files.markMigrated();
            } else {
                store = SendLedgerChronicleStore.open(dir, options.slotsPerUser(), options.expectedUsers());
            }
            return new SendLedger(caps, segments, store, codes, files, locks);
        } catch (IOException | RuntimeException e) {
            files.release();
            throw e;
        }
    }

    /**
     * Checks a ledger directory without changing anything (for {@code herald data check}): its
     * header, and for the mmap store every segment file's length, header and slots. A ledger of
     * the previous format (migrated at its next open) or of the Chronicle store has its headers
     * ({@code ledger.properties}, {@code codes.properties}) checked only.
     *
     * @param dir the ledger's directory
     * @return the damage found, one per damaged file (each names its file and offset)
     * @throws IOException if a file cannot be read
     */
    public static List<dev.herald.suppression.DamagedFileException> verify(Path dir) throws IOException {
        java.util.Properties header;
        try {
            header = SendLedgerFiles.read(dir);
        } catch (dev.herald.suppression.DamagedFileException e) {
            return List.of(e);
        }
        if (header == null) {
            return List.of();
        }
        List<dev.herald.suppression.DamagedFileException> damage = new java.util.ArrayList<>();
        try {
            SendLedgerCodes.open(dir);
        } catch (dev.herald.suppression.DamagedFileException e) {
            damage.add(e);
        }
        int slots;
        try {
            slots = Integer.parseInt(header.getProperty("slots-per-user", ""));
            if (slots < 2 || slots > SendLedgerOptions.MAX_SLOTS) {
                throw new NumberFormatException("out of range: " + slots);
            }
        } catch (NumberFormatException e) {
            damage.add(new dev.herald.suppression.DamagedFileException(dir.resolve("ledger.properties"),
                    dev.herald.suppression.DamagedFileException.NO_OFFSET, "bad slots-per-user: " + e.getMessage()));
            return damage;
        }
        if ("mmap".equals(header.getProperty("store")) && "2".equals(header.getProperty("format"))) {
            damage.addAll(SendLedgerMmapStore.verify(dir, slots));
        }
        return damage;
    }

    /**
     * Check-and-reserve for a chunk of recipients, all in {@code ctx}'s zone.
     *
     * @param chunk recipient ids (any size; one Roaring container is the natural chunk)
     * @param ctx   the send
     * @param now   the current instant (truncated to the second)
     * @return every id of the chunk as reserved, capped per rule or deferred
     * @throws IllegalArgumentException if the chunk holds an id above {@link Integer#MAX_VALUE}
     *                                  (negative as an int), a segment does not resolve, or
     *                                  {@code now} is before 1970
     * @throws IllegalStateException    if the ledger is closed
     */
    public ReservationBatch reserve(ImmutableRoaringBitmap chunk, CapContext ctx, Instant now) {
        return decideAll(chunk, ctx, now, true);
    }

    /**
     * Read-only twin of {@link #reserve(ImmutableRoaringBitmap, CapContext, Instant)}: what a
     * reservation would decide for each id of {@code chunk} now, without recording anything
     * (for previews). The answer's {@link ReservationBatch#reserved()} are the ids that would be
     * reserved; its stamp must not be confirmed or released (nothing was reserved).
     *
     * <pre>{@code
     * ReservationBatch wouldBe = ledger.check(chunk, CapContext.marketing("sms", "promo", zone), Instant.now());
     * }</pre>
     *
     * <p>Each id is read under its stripe lock, so it sees a consistent record; ids of one chunk
     * are not checked atomically together (a concurrent reserve may change the answer a moment later).
     *
     * @throws IllegalArgumentException as {@code reserve}
     * @throws IllegalStateException    if the ledger is closed
     */
    public ReservationBatch check(ImmutableRoaringBitmap chunk, CapContext ctx, Instant now) {
        return decideAll(chunk, ctx, now, false);
    }

    /**
     * {@link #reserve} ({@code write}: the reserved ids are recorded with the batch's stamp) or
     * {@link #check} (nothing is written): every id decided under its stripe lock.
     */
    private ReservationBatch decideAll(ImmutableRoaringBitmap chunk, CapContext ctx, Instant now, boolean write) {
        if (!chunk.isEmpty() && chunk.last() < 0) {
            throw new IllegalArgumentException("recipient ids must be >= 0, chunk holds " + Integer.toUnsignedString(chunk.last()));
        }
        CapPlan plan = plan(ctx, now, true);
        long stamp = stamp(ctx, now);
        ReservationBatch batch = new ReservationBatch(stamp, ruleNames);
        if (!plan.anyApplies()) {
            locks.checkOpen();
            batch.addAllReserved(chunk); // no rule counts this send: nothing to check or record
            return batch;
        }
        long[] record = new long[k];
        int[] ids = new int[4 << SendLedgerLocks.SHIFT];
        try (SendLedgerStore.Stripe stripe = store.stripe()) {
            BatchIterator it = chunk.getBatchIterator();
            // One pass per stripe (≤ 1,024 ids under one lock): read at once, decided, written back at once.
            while (it.hasNext()) {
                int n = it.nextBatch(ids);
                int i = 0;
                while (i < n) {
                    int block = ids[i] >>> SendLedgerLocks.SHIFT;
                    ReentrantLock l = locks.of(ids[i]);
                    l.lock();
                    try {
                        locks.checkOpen();
                        stripe.open(block);
                        do {
                            decide(ids[i++], plan, stamp, record, batch, write, stripe);
                        } while (i < n && ids[i] >>> SendLedgerLocks.SHIFT == block);
                        if (write) {
                            stripe.writeBack();
                        }
                    } finally {
                        l.unlock();
                    }
                }
            }
        }
        batch.flush();
        return batch;
    }

    /** Decides one id, recording a reservation if {@code write}; the caller holds its stripe lock (single writer per id). */
    private void decide(int id, CapPlan plan, long stamp, long[] record, ReservationBatch batch, boolean write,
                        SendLedgerStore.Stripe stripe) {
        stripe.load(id, record);
        int d = plan.decide(id, record, k);
        if (d >= 0) {
            if (write) {
                stripe.write(id, d, stamp, record);
            }
            batch.addReserved(id);
        } else if (d == CapPlan.DEFERRED) {
            batch.addDeferred(id, plan.deferUntil());
        } else {
            batch.addCapped(d == CapPlan.LEDGER_FULL ? rules.size() : -1 - d, id);
        }
    }

    /**
     * Check-and-reserve for one recipient.
     *
     * @param id  recipient id, ≥ 0
     * @param ctx the send (zone: the recipient's)
     * @param now the current instant
     * @return the outcome
     * @throws IllegalArgumentException if {@code id < 0}, a segment does not resolve or {@code now} is before 1970
     * @throws IllegalStateException    if the ledger is closed
     */
    public Reservation reserve(int id, CapContext ctx, Instant now) {
        checkId(id);
        CapPlan plan = plan(ctx, now, false);
        long stamp = stamp(ctx, now);
        if (!plan.anyApplies()) {
            locks.checkOpen();
            return new Reservation(Reservation.Outcome.RESERVED, null, null, stamp);
        }
        long[] record = new long[k];
        ReentrantLock l = locks.of(id);
        l.lock();
        try {
            locks.checkOpen();
            store.load(id, record);
            int d = plan.decide(id, record, k);
            if (d >= 0) {
                store.write(id, d, stamp, record);
                return new Reservation(Reservation.Outcome.RESERVED, null, null, stamp);
            }
            if (d == CapPlan.DEFERRED) {
                return new Reservation(Reservation.Outcome.DEFERRED, null, Instant.ofEpochSecond(plan.deferUntil()), 0);
            }
            String rule = d == CapPlan.LEDGER_FULL ? LEDGER_FULL : rules.get(-1 - d).name();
            return new Reservation(Reservation.Outcome.CAPPED, rule, null, 0);
        } finally {
            l.unlock();
        }
    }

    /**
     * Marks reservations handed over to the connector: they keep counting, and can no longer be released.
     *
     * @param ids   the recipients
     * @param stamp the reservation stamp ({@link ReservationBatch#stamp()} or {@link Reservation#stamp()})
     * @return how many reservations were found and confirmed
     * @throws IllegalStateException if the ledger is closed
     */
    public int confirm(ImmutableRoaringBitmap ids, long stamp) {
        return update(ids, stamp, SendLedgerSlots.confirmed(stamp));
    }

    /**
     * Forgets reservations whose send failed before the connector accepted it.
     *
     * @param ids   the recipients
     * @param stamp the reservation stamp
     * @return how many reservations were found (still reserved) and released
     * @throws IllegalStateException if the ledger is closed
     */
    public int release(ImmutableRoaringBitmap ids, long stamp) {
        return update(ids, stamp, SendLedgerSlots.EMPTY);
    }

    /**
     * Forgets every reservation (not confirmed sends) of {@code ids} made for sends like
     * {@code ctx} (same channel, category and marketing flag), whatever their second: the
     * reservations a killed process left behind for recipients it never handed over. Only safe
     * while nothing else reserves for these recipients in that context (at start-up, before any
     * campaign runs).
     *
     * @param ids the recipients (never handed to a connector)
     * @param ctx the kind of send whose reservations to forget (its zone does not matter)
     * @return how many reservations were forgotten
     * @throws IllegalStateException if the ledger is closed
     */
    public int releaseStale(ImmutableRoaringBitmap ids, CapContext ctx) {
        long mask = SendLedgerSlots.CHANNEL_MASK | SendLedgerSlots.CATEGORY_MASK | SendLedgerSlots.MARKETING
                | SendLedgerSlots.STATE_MASK;
        long match = SendLedgerSlots.reserved(0, codes.channel(ctx.channel()), codes.category(ctx.category()), ctx.marketing()) & mask;
        return locks.replaceMatching(store, ids, mask, match, SendLedgerSlots.EMPTY);
    }

    /** @see #confirm(ImmutableRoaringBitmap, long) @return whether the reservation was found */
    public boolean confirm(int id, long stamp) {
        return update(ImmutableRoaringBitmap.bitmapOf(id), stamp, SendLedgerSlots.confirmed(stamp)) == 1;
    }

    /** @see #release(ImmutableRoaringBitmap, long) @return whether the reservation was found */
    public boolean release(int id, long stamp) {
        return update(ImmutableRoaringBitmap.bitmapOf(id), stamp, SendLedgerSlots.EMPTY) == 1;
    }

    private int update(ImmutableRoaringBitmap ids, long stamp, long replacement) {
        if (SendLedgerSlots.state(stamp) != SendLedgerSlots.RESERVED) {
            throw new IllegalArgumentException("not a reservation stamp: " + stamp);
        }
        return locks.replace(store, ids, stamp, replacement);
    }

    /**
     * @param id a recipient id, ≥ 0
     * @return how many of its K slots hold a send (reserved or confirmed, counting or not)
     * @throws IllegalStateException if the ledger is closed
     */
    public int recorded(int id) {
        checkId(id);
        return locks.recorded(store, id);
    }

    private CapPlan plan(CapContext ctx, Instant now, boolean batch) {
        return new CapPlan(rules, codes, ctx, now.getEpochSecond(), segments, batch);
    }

    private long stamp(CapContext ctx, Instant now) {
        long second = now.getEpochSecond();
        if (second < 0 || second > SendLedgerSlots.MAX_SECOND) {
            throw new IllegalArgumentException("send time out of range: " + now);
        }
        return SendLedgerSlots.reserved(second, codes.channel(ctx.channel()), codes.category(ctx.category()), ctx.marketing());
    }

    private static void checkId(int id) {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
    }

    /** Closes the store and releases the directory lock; waits for calls in progress. Idempotent. */
    @Override
    public void close() {
        locks.close(() -> {
            try {
                store.close();
            } finally {
                files.release();
            }
        });
    }
}
