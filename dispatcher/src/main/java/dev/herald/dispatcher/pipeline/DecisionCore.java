package dev.herald.dispatcher.pipeline;

import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.QuietHoursDecision;
import dev.herald.throttle.QuietHoursPlan;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.ZoneBuckets;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The decisions of a campaign's filtering stages, as plain functions of their inputs (no Pekko,
 * no I/O): who is suppressed, who waits for quiet hours, who is over a cap. The campaign's
 * graph ({@link SuppressionStage}, {@link QuietHoursStage}, {@link CapsStage}) records these
 * decisions in the outcome ledger; the preview ({@link dev.herald.dispatcher.campaign.CampaignPreview})
 * only counts them. Both call the same functions, so a preview cannot drift from a run.
 *
 * <pre>{@code
 * DecisionCore.Split s = DecisionCore.suppression(snapshot, chunk, scopes);
 * s.decided().forEach((outcome, ids) -> ledger.record(outcome, ids));   // suppressed:<scope>
 * DecisionCore.Split q = DecisionCore.quietHours(plan, s.kept(), expiresAt);
 * DecisionCore.byCapZone(buckets, q.kept()).forEach((zone, ids) -> reserveOrCheck(ids, ctx.inZone(zone)));
 * }</pre>
 *
 * <p>Thread-safety: stateless; the inputs are snapshots.
 */
public final class DecisionCore {

    private DecisionCore() {
    }

    /**
     * A stage's answer for a chunk: the ids it lets through, and the others by outcome.
     *
     * @param kept    ids that go on to the next stage
     * @param decided ids this stage decided, by outcome (each id once; none empty)
     */
    public record Split(MutableRoaringBitmap kept, Map<Outcome, MutableRoaringBitmap> decided) {
        /** @return how many ids this stage decided */
        public long decidedCount() {
            long n = 0;
            for (MutableRoaringBitmap ids : decided.values()) {
                n += ids.getLongCardinality();
            }
            return n;
        }
    }

    /**
     * Suppression: ids in any of the message's scopes are {@link Outcome.Suppressed} under the
     * first scope (in {@code scopes}' order) that holds them.
     *
     * @param snapshot one suppression snapshot
     * @param chunk    the ids
     * @param scopes   the message's scopes, most general first
     */
    public static Split suppression(SuppressionSnapshot snapshot, ImmutableRoaringBitmap chunk, List<Scope> scopes) {
        Map<Outcome, MutableRoaringBitmap> decided = new LinkedHashMap<>();
        MutableRoaringBitmap kept = snapshot.filter(chunk, scopes,
                (scope, hit) -> add(decided, new Outcome.Suppressed(scope.toString()), hit));
        return new Split(kept, decided);
    }

    /**
     * Quiet hours: ids whose local time is in quiet hours wait ({@link Outcome.Deferred} until the
     * window opens), or {@link Outcome.Expired} if it opens only after {@code expiresAt}; ids whose
     * zones are never all open together are {@link Outcome.Expired#NEVER_OPEN}.
     *
     * @param plan      the plan, decided at its {@code now()}
     * @param chunk     the ids
     * @param expiresAt the campaign's end, or null for none
     */
    public static Split quietHours(QuietHoursPlan plan, ImmutableRoaringBitmap chunk, Instant expiresAt) {
        QuietHoursDecision d = plan.decide(chunk);
        Map<Outcome, MutableRoaringBitmap> decided = new LinkedHashMap<>();
        d.deferred().forEach((until, ids) -> add(decided, deferOrExpire(until, expiresAt), ids));
        add(decided, Outcome.Expired.NEVER_OPEN, d.neverOpen());
        return new Split(d.sendNow(), decided);
    }

    /**
     * A cap reservation's (or read-only check's) answer for one zone group: the reserved ids go
     * on; the others are {@link Outcome.Capped} by rule, or deferred by a deferring rule (expired
     * past {@code expiresAt}).
     *
     * @param b         the reservation batch
     * @param expiresAt the campaign's end, or null for none
     */
    public static Split caps(ReservationBatch b, Instant expiresAt) {
        Map<Outcome, MutableRoaringBitmap> decided = new LinkedHashMap<>();
        b.capped().forEach((outcome, ids) -> add(decided, Outcome.parse(outcome), ids));
        for (int i = 0; i < b.deferredCount(); i++) {
            decided.computeIfAbsent(deferOrExpire(b.deferredUntilAt(i), expiresAt), k -> new MutableRoaringBitmap())
                    .add(b.deferredIdAt(i));
        }
        return new Split(b.reserved(), decided);
    }

    /**
     * Groups ids for the cap check by the zone their calendar windows are counted in: the first
     * zone of the recipient's zone set, or UTC for a recipient without one. (A recipient of
     * several zones is counted in its first.)
     *
     * @param buckets the zone snapshot
     * @param ids     the ids
     * @return ids by zone, in no particular order
     */
    public static Map<ZoneId, MutableRoaringBitmap> byCapZone(ZoneBuckets buckets, ImmutableRoaringBitmap ids) {
        Map<ZoneId, MutableRoaringBitmap> byZone = new HashMap<>();
        List<ZoneBuckets.Bucket> all = buckets.buckets();
        buckets.split(ids).forEach((bucket, part) -> {
            ZoneId zone = bucket < 0 || all.get(bucket).zones().isEmpty() ? ZoneOffset.UTC : all.get(bucket).zones().zones().get(0);
            MutableRoaringBitmap group = byZone.get(zone);
            if (group == null) {
                byZone.put(zone, part);
            } else {
                group.or(part);
            }
        });
        return byZone;
    }

    /**
     * @param until     when the recipient could be sent to
     * @param expiresAt the campaign's end, or null
     * @return {@link Outcome.Deferred} until {@code until}, or {@link Outcome.Expired#AT_END} if that is after {@code expiresAt}
     */
    public static Outcome deferOrExpire(Instant until, Instant expiresAt) {
        Objects.requireNonNull(until, "until");
        return expiresAt != null && until.isAfter(expiresAt) ? Outcome.Expired.AT_END : new Outcome.Deferred(until);
    }

    private static void add(Map<Outcome, MutableRoaringBitmap> decided, Outcome outcome, ImmutableRoaringBitmap ids) {
        if (ids.isEmpty()) {
            return;
        }
        MutableRoaringBitmap have = decided.get(outcome);
        if (have == null) {
            decided.put(outcome, ids.toMutableRoaringBitmap());
        } else {
            have.or(ids);
        }
    }
}
