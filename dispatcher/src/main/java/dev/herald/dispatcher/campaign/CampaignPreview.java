package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.pipeline.CampaignGraph;
import dev.herald.dispatcher.pipeline.DecisionCore;

import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.AudienceChunks;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapContext;
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
import java.util.TreeMap;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * What a campaign would decide for its audience right now, without sending or storing anything:
 * the same decisions as the campaign's graph ({@link DecisionCore}: suppression, quiet hours,
 * frequency caps), each read-only, chunk by chunk with bitmap algebra (never one object per recipient).
 *
 * <pre>{@code
 * CampaignPreview.Result r = CampaignPreview.of(deps, audience, "acme", "sms", "marketing", Instant.now(), null);
 * r.counts().get("sendNow");
 * }</pre>
 *
 * <p>Consistency: one suppression snapshot and one zone snapshot for the whole preview; quiet
 * hours decided at {@code at} (now, or the schedule's start) and caps checked at {@code at}
 * against the cap ledger as it is now ({@link dev.herald.throttle.SendLedger#check}). A real run
 * decides later, so its answers may differ by what changed in between (new opt-outs, the clock
 * crossing a window edge, sends of other campaigns).
 *
 * <p>Outcome names are the ledger's ({@code suppressed:<scope>}, {@code deferred},
 * {@code expired}, {@code expired:never-open}, {@code capped:<rule>}), plus {@value #SEND_NOW} for the recipients a run would
 * hand to the connector (and record as {@code sent} once it accepts them).
 *
 * <p>Thread-safety: stateless; safe from any thread while the deps are open.
 */
public final class CampaignPreview {

    /** The outcome of recipients that pass every stage. */
    public static final String SEND_NOW = "sendNow";

    /** Outcome families, in the order they are listed. */
    public static final List<String> FAMILIES = List.of(SEND_NOW, Outcome.Family.SUPPRESSED.wire(), Outcome.Family.DEFERRED.wire(),
            Outcome.Family.CAPPED.wire(), Outcome.Family.EXPIRED.wire());

    /** Checks caps read-only for ids in one zone: what a reservation would decide, nothing recorded. */
    @FunctionalInterface
    public interface CapCheck {
        /** @return the decisions; its {@code reserved()} are the ids a reservation would grant */
        ReservationBatch check(ImmutableRoaringBitmap ids, CapContext ctx, Instant now);
    }

    /**
     * A preview's answer.
     *
     * @param total    audience size
     * @param counts   recipients per family ({@link #FAMILIES}, every family listed); they add up to {@code total}
     * @param outcomes recipients per detailed outcome, only non-zero ones
     * @param at       the decision instant
     * @param elapsedNanos how long the computation took
     */
    public record Result(long total, Map<String, Long> counts, Map<String, Long> outcomes, Instant at, long elapsedNanos) {
    }

    private CampaignPreview() {
    }

    /**
     * The checks a create makes of a campaign before storing it ({@link CampaignManager}'s), so a
     * preview refuses what a create would.
     *
     * @throws CampaignRejection ({@code INVALID}) naming what is wrong
     */
    public static void validate(CampaignRecord record, ImmutableRoaringBitmap audience) {
        CampaignManager.validate(record, audience);
    }

    /**
     * Previews a campaign on the service's deps.
     *
     * @param deps      shared services (suppression, zones, quiet hours, throttle shards)
     * @param audience  the recipients
     * @param sender    the sender (a suppression scope)
     * @param channel   the channel
     * @param category  the category (quiet-hours rules, caps)
     * @param at        when the campaign would start
     * @param expiresAt the campaign's end, or null
     * @return the counts
     * @throws IllegalArgumentException if a name is not a valid scope, or the category has no quiet-hours rule
     */
    public static Result of(CampaignDeps deps, ImmutableRoaringBitmap audience, String sender, String channel, String category,
                            Instant at, Instant expiresAt) {
        ZoneBuckets buckets = deps.zones().snapshot();
        return of(audience, Scope.forMessage(sender, channel, category), deps.suppression().snapshot(),
                QuietHoursPlan.of(deps.quietHours(), buckets, category, at), buckets, CampaignGraph.capContext(channel, category),
                deps.shards()::check, expiresAt);
    }

    /**
     * The core, on explicit snapshots.
     *
     * @param audience  the recipients
     * @param scopes    the message's suppression scopes, in the order they are reported
     * @param snapshot  one suppression snapshot, used for every chunk
     * @param plan      quiet hours, decided at {@code plan.now()} (also the caps' instant)
     * @param buckets   the zone snapshot the plan was made with (caps are checked per zone)
     * @param ctx       the send's cap context (its zone is replaced per zone group)
     * @param caps      the read-only cap check
     * @param expiresAt the campaign's end, or null: deferrals past it count as {@code expired}
     * @return the counts
     */
    public static Result of(ImmutableRoaringBitmap audience, List<Scope> scopes, SuppressionSnapshot snapshot,
                            QuietHoursPlan plan, ZoneBuckets buckets, CapContext ctx, CapCheck caps, Instant expiresAt) {
        Objects.requireNonNull(audience, "audience");
        long start = System.nanoTime();
        Instant at = plan.now();
        Map<String, long[]> outcomes = new TreeMap<>();
        if (expiresAt != null && !at.isBefore(expiresAt)) {
            add(outcomes, Outcomes.EXPIRED, audience.getLongCardinality());
        } else {
            AudienceChunks.forEach(audience, chunk -> {
                // the same decisions as the run's stages (DecisionCore), counted instead of recorded
                DecisionCore.Split suppressed = DecisionCore.suppression(snapshot, chunk, scopes);
                count(outcomes, suppressed);
                if (suppressed.kept().isEmpty()) {
                    return;
                }
                DecisionCore.Split quiet = DecisionCore.quietHours(plan, suppressed.kept(), expiresAt);
                count(outcomes, quiet);
                if (!quiet.kept().isEmpty()) {
                    DecisionCore.byCapZone(buckets, quiet.kept()).forEach((zone, group) -> {
                        ReservationBatch b = caps.check(group, ctx.inZone(zone), at);
                        add(outcomes, SEND_NOW, b.reserved().getLongCardinality());
                        count(outcomes, DecisionCore.caps(b, expiresAt));
                    });
                }
            });
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        FAMILIES.forEach(f -> counts.put(f, 0L));
        Map<String, Long> detailed = new LinkedHashMap<>();
        outcomes.forEach((k, v) -> {
            detailed.put(k, v[0]);
            counts.merge(familyOf(k), v[0], Long::sum);
        });
        return new Result(audience.getLongCardinality(), counts, detailed, at, System.nanoTime() - start);
    }

    private static void count(Map<String, long[]> outcomes, DecisionCore.Split split) {
        split.decided().forEach((outcome, ids) -> add(outcomes, outcome.wire(), ids.getLongCardinality()));
    }

    private static void add(Map<String, long[]> outcomes, String outcome, long n) {
        if (n > 0) {
            outcomes.computeIfAbsent(outcome, k -> new long[1])[0] += n;
        }
    }

    /**
     * {@code suppressed:global} → {@code suppressed}, {@code expired:never-open} → {@code expired}
     * ({@link Outcome.Family}); {@value #SEND_NOW} as it is.
     */
    static String familyOf(String outcome) {
        return SEND_NOW.equals(outcome) ? SEND_NOW : Outcome.Family.of(outcome).wire();
    }
}
