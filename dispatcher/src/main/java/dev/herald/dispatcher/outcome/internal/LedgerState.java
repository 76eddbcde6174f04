package dev.herald.dispatcher.outcome.internal;

import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;

import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The in-memory state of one campaign's outcome ledger, and the rules of every transition.
 *
 * <p>Each audience id is in exactly one of: pending (in no bitmap), claimed, deferred (one
 * until-group), held (until an A/B test's decision), or one final outcome bitmap. Invariants kept here: the final bitmaps are
 * disjoint and their union is {@code decided}; {@code claimed}, {@code deferredAll} and
 * {@code decided} are disjoint; {@code deferredAll} is the union of the until-groups; everything
 * is inside the audience. {@code check*} methods validate without mutating; {@code apply*}
 * methods mutate and assume the matching check passed (replay re-runs both).
 *
 * <p>Not thread-safe: the owning {@code OutcomeLedger} serialises writers and guards readers.
 */
public final class LedgerState {
    private final ImmutableRoaringBitmap audience;
    private final Map<String, MutableRoaringBitmap> finals = new TreeMap<>();
    private final MutableRoaringBitmap decided = new MutableRoaringBitmap();
    private final MutableRoaringBitmap claimed = new MutableRoaringBitmap();
    private final TreeMap<Long, MutableRoaringBitmap> deferred = new TreeMap<>();
    private final MutableRoaringBitmap deferredAll = new MutableRoaringBitmap();
    /** Held back until an A/B test's decision: not final, not pending, disjoint from the rest. */
    private final MutableRoaringBitmap held = new MutableRoaringBitmap();

    public LedgerState(ImmutableRoaringBitmap audience) {
        this.audience = audience;
    }

    public ImmutableRoaringBitmap audience() {
        return audience;
    }

    /** The final-outcome bitmaps by outcome (live; do not mutate). */
    public Map<String, MutableRoaringBitmap> finals() {
        return finals;
    }

    /** Deferred ids grouped by until-instant in epoch ms (live; do not mutate). */
    public TreeMap<Long, MutableRoaringBitmap> deferred() {
        return deferred;
    }

    /** Held ids (live; do not mutate). */
    public MutableRoaringBitmap held() {
        return held;
    }

    /** Claimed ids without a final outcome (live; do not mutate). */
    public MutableRoaringBitmap claimed() {
        return claimed;
    }

    // ---- checks -------------------------------------------------------------------------------

    /** @throws IllegalArgumentException naming how many ids are outside the audience and one of them */
    public void checkInAudience(ImmutableRoaringBitmap ids) {
        if (!audience.contains(ids)) {
            MutableRoaringBitmap outside = ImmutableRoaringBitmap.andNot(ids, audience);
            throw new IllegalArgumentException(outside.getLongCardinality() + " id(s) are not in the campaign audience"
                    + " (e.g. id " + Integer.toUnsignedString(outside.first()) + ")");
        }
    }

    private void checkNotFinal(ImmutableRoaringBitmap ids, String attempted) {
        if (ImmutableRoaringBitmap.intersects(ids, decided)) {
            int id = ImmutableRoaringBitmap.and(ids, decided).first();
            long n = ImmutableRoaringBitmap.andCardinality(ids, decided);
            throw new IllegalStateException("recipient " + Integer.toUnsignedString(id) + " already has final outcome '"
                    + finalOutcomeOf(id) + "'; refusing '" + attempted + "' (" + n + " id(s) of the batch already final):"
                    + " every recipient ends with exactly one outcome");
        }
    }

    private void checkNotClaimed(ImmutableRoaringBitmap ids, String attempted) {
        if (ImmutableRoaringBitmap.intersects(ids, claimed)) {
            int id = ImmutableRoaringBitmap.and(ids, claimed).first();
            throw new IllegalStateException("recipient " + Integer.toUnsignedString(id) + " is claimed (possibly handed to"
                    + " the connector); refusing '" + attempted + "': record sent/failed/unknown or release it first");
        }
    }

    private void checkAllClaimed(ImmutableRoaringBitmap ids, String attempted) {
        if (!claimed.contains(ids)) {
            MutableRoaringBitmap notClaimed = ImmutableRoaringBitmap.andNot(ids, claimed);
            throw new IllegalStateException(notClaimed.getLongCardinality() + " id(s) are not claimed, e.g. recipient "
                    + Integer.toUnsignedString(notClaimed.first()) + "; refusing '" + attempted
                    + "': only claimed ids may be recorded sent or failed, or released");
        }
    }

    /** @throws IllegalArgumentException outside the audience @throws IllegalStateException if claimed or final */
    public void checkClaim(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        checkNotFinal(ids, "claim");
        checkNotClaimed(ids, "claim");
    }

    /** @throws IllegalArgumentException outside the audience @throws IllegalStateException if not all claimed */
    public void checkRelease(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        checkAllClaimed(ids, "release");
    }

    /**
     * @throws IllegalArgumentException outside the audience, or for {@code deferred} (which needs an instant)
     * @throws IllegalStateException for a second final outcome, sent/failed on unclaimed ids, or
     *     suppressed/capped/expired on claimed ids
     */
    public void checkRecord(String outcome, ImmutableRoaringBitmap ids) {
        Outcomes.check(outcome);
        if (!Outcomes.isFinal(outcome)) {
            throw new IllegalArgumentException(outcome + " is not a final outcome: use " + (Outcomes.HELD.equals(outcome)
                    ? "hold(ids)" : "defer(until, ids)"));
        }
        checkInAudience(ids);
        checkNotFinal(ids, outcome);
        if (Outcomes.needsClaim(outcome)) {
            checkAllClaimed(ids, outcome);
        } else if (!Outcomes.UNKNOWN.equals(outcome)) {
            checkNotClaimed(ids, outcome);
        }
    }

    /** @throws IllegalArgumentException outside the audience @throws IllegalStateException if claimed or final */
    public void checkDefer(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        checkNotFinal(ids, Outcomes.DEFERRED);
        checkNotClaimed(ids, Outcomes.DEFERRED);
    }

    /**
     * @throws IllegalArgumentException outside the audience
     * @throws IllegalStateException naming a recipient whose outcome is not {@code unknown}
     */
    public void checkResend(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        MutableRoaringBitmap unknown = finals.get(Outcomes.UNKNOWN);
        if (unknown == null || !unknown.contains(ids)) {
            MutableRoaringBitmap other = unknown == null ? ids.toMutableRoaringBitmap() : ImmutableRoaringBitmap.andNot(ids, unknown);
            int id = other.first();
            String now = finalOutcomeOf(id);
            throw new IllegalStateException(other.getLongCardinality() + " id(s) are not unknown, e.g. recipient "
                    + Integer.toUnsignedString(id) + " (" + (now == null ? "not final" : "'" + now + "'")
                    + "); refusing 'resend': only unknown recipients may be sent again");
        }
    }

    /** @throws IllegalArgumentException outside the audience @throws IllegalStateException if claimed or final */
    public void checkHold(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        checkNotFinal(ids, Outcomes.HELD);
        checkNotClaimed(ids, Outcomes.HELD);
    }

    /** @throws IllegalArgumentException outside the audience @throws IllegalStateException naming a recipient not held */
    public void checkUnhold(ImmutableRoaringBitmap ids) {
        checkInAudience(ids);
        if (!held.contains(ids)) {
            MutableRoaringBitmap not = ImmutableRoaringBitmap.andNot(ids, held);
            throw new IllegalStateException(not.getLongCardinality() + " id(s) are not held, e.g. recipient "
                    + Integer.toUnsignedString(not.first()) + "; refusing 'unhold'");
        }
    }

    // ---- transitions --------------------------------------------------------------------------

    public void applyClaim(ImmutableRoaringBitmap ids) {
        undefer(ids);
        unhold(ids);
        claimed.or(ids);
    }

    public void applyRelease(ImmutableRoaringBitmap ids) {
        claimed.andNot(ids);
    }

    public void applyRecord(String outcome, ImmutableRoaringBitmap ids) {
        undefer(ids);
        unhold(ids);
        if (ImmutableRoaringBitmap.intersects(ids, claimed)) {
            claimed.andNot(ids);
        }
        finals.computeIfAbsent(outcome, k -> new MutableRoaringBitmap()).or(ids);
        decided.or(ids);
    }

    /** Unknown ids become pending again. */
    public void applyResend(ImmutableRoaringBitmap ids) {
        MutableRoaringBitmap unknown = finals.get(Outcomes.UNKNOWN);
        unknown.andNot(ids);
        if (unknown.isEmpty()) {
            finals.remove(Outcomes.UNKNOWN);
        }
        decided.andNot(ids);
    }

    public void applyDefer(long untilMillis, ImmutableRoaringBitmap ids) {
        undefer(ids);
        unhold(ids);
        deferred.computeIfAbsent(untilMillis, k -> new MutableRoaringBitmap()).or(ids);
        deferredAll.or(ids);
    }

    public void applyHold(ImmutableRoaringBitmap ids) {
        undefer(ids);
        held.or(ids);
    }

    /** Held ids become pending. */
    public void applyUnhold(ImmutableRoaringBitmap ids) {
        unhold(ids);
    }

    private void unhold(ImmutableRoaringBitmap ids) {
        if (!held.isEmpty() && ImmutableRoaringBitmap.intersects(ids, held)) {
            held.andNot(ids);
        }
    }

    private void undefer(ImmutableRoaringBitmap ids) {
        if (!ImmutableRoaringBitmap.intersects(ids, deferredAll)) {
            return;
        }
        for (Iterator<MutableRoaringBitmap> it = deferred.values().iterator(); it.hasNext(); ) {
            MutableRoaringBitmap group = it.next();
            if (ImmutableRoaringBitmap.intersects(ids, group)) {
                group.andNot(ids);
                if (group.isEmpty()) {
                    it.remove();
                }
            }
        }
        deferredAll.andNot(ids);
    }

    // ---- queries ------------------------------------------------------------------------------

    private String finalOutcomeOf(int id) {
        for (Map.Entry<String, MutableRoaringBitmap> e : finals.entrySet()) {
            if (e.getValue().contains(id)) {
                return e.getKey();
            }
        }
        return null;
    }

    /** The recorded outcome of {@code id}, or null if it is pending or claimed. */
    public RecipientOutcome outcomeOf(int id) {
        if (decided.contains(id)) {
            return new RecipientOutcome(finalOutcomeOf(id), null);
        }
        if (held.contains(id)) {
            return new RecipientOutcome(Outcomes.HELD, null);
        }
        if (deferredAll.contains(id)) {
            for (Map.Entry<Long, MutableRoaringBitmap> e : deferred.entrySet()) {
                if (e.getValue().contains(id)) {
                    return new RecipientOutcome(Outcomes.DEFERRED, Instant.ofEpochMilli(e.getKey()));
                }
            }
        }
        return null;
    }

    /** A copy of the ids with {@code outcome} ({@code deferred}: all deferred ids). */
    public MutableRoaringBitmap ids(String outcome) {
        if (Outcomes.DEFERRED.equals(outcome)) {
            return deferredAll.clone();
        }
        if (Outcomes.HELD.equals(outcome)) {
            return held.clone();
        }
        MutableRoaringBitmap bm = finals.get(outcome);
        return bm == null ? new MutableRoaringBitmap() : bm.clone();
    }

    /** Audience ids that are not claimed, deferred, held or final: what the campaign still has to process. */
    public MutableRoaringBitmap pending() {
        MutableRoaringBitmap p = ImmutableRoaringBitmap.andNot(audience, decided);
        p.andNot(claimed);
        p.andNot(deferredAll);
        if (!held.isEmpty()) {
            p.andNot(held);
        }
        return p;
    }

    /** Deferred ids whose until-instant is at or before {@code nowMillis}. */
    public MutableRoaringBitmap deferredDue(long nowMillis) {
        MutableRoaringBitmap due = new MutableRoaringBitmap();
        for (MutableRoaringBitmap group : deferred.headMap(nowMillis, true).values()) {
            due.or(group);
        }
        return due;
    }

    public long decidedCount() {
        return decided.getLongCardinality();
    }

    /** The earliest until-instant of a deferred id, in epoch ms, or -1 when none is deferred. */
    public long nextDeferredMillis() {
        return deferred.isEmpty() ? -1 : deferred.firstKey();
    }

    public long heldCount() {
        return held.getLongCardinality();
    }

    public long deferredCount() {
        return deferredAll.getLongCardinality();
    }

    public boolean isComplete() {
        return decided.getLongCardinality() == audience.getLongCardinality();
    }
}
