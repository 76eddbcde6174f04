package dev.herald.dispatcher.demo;

import dev.herald.suppression.Scope;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What synthetic audience to build: how many recipients, from which {@link AudienceMix}, with
 * which seed, and how many of them to suppress in which scopes.
 *
 * <p>{@code AudienceSpec spec = AudienceSpec.defaults().withRecipients(50_000).withSeed(42);}
 *
 * <p>Immutable and thread-safe.
 *
 * @param recipients        data lines generated, {@code >= 1}
 * @param seed              seed of every random choice: same seed, same numbers, ids and
 *                          suppressions
 * @param mix               countries, zones and number ranges
 * @param explicitZoneShare chance, 0 to 1, that a recipient whose number implies its zone gets
 *                          an explicit {@code tz} anyway (recipients whose number does not imply
 *                          it always get one)
 * @param suppressedShare   chance, 0 to 1, that a recipient is opted out
 * @param scopeSplit        how the opted-out recipients are split over scopes: relative weights,
 *                          each recipient opted out of exactly one scope; kept in scope order
 */
public record AudienceSpec(int recipients, long seed, AudienceMix mix, double explicitZoneShare,
                           double suppressedShare, Map<Scope, Double> scopeSplit) {

    /** Default {@link #recipients()}. */
    public static final int DEFAULT_RECIPIENTS = 1_000_000;
    /** Default {@link #seed()}. */
    public static final long DEFAULT_SEED = 20_240_601L;

    /** @throws IllegalArgumentException if a count, share or weight is out of range */
    public AudienceSpec {
        Objects.requireNonNull(mix, "mix");
        if (recipients < 1) {
            throw new IllegalArgumentException("recipients must be >= 1, got " + recipients);
        }
        checkShare("explicitZoneShare", explicitZoneShare);
        checkShare("suppressedShare", suppressedShare);
        scopeSplit = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(scopeSplit, "scopeSplit")));
        if (scopeSplit.isEmpty() && suppressedShare > 0) {
            throw new IllegalArgumentException("suppressedShare is " + suppressedShare + " but no scope is given");
        }
        scopeSplit.forEach((scope, weight) -> {
            if (!(weight > 0) || Double.isInfinite(weight)) {
                throw new IllegalArgumentException("weight of scope " + scope + " must be > 0, got " + weight);
            }
        });
    }

    /**
     * @return {@value #DEFAULT_RECIPIENTS} recipients of {@link AudienceMix#world()}, 30% with an
     *     explicit zone, 10% suppressed: 40% globally, 35% for {@code sender:demo}, 25% for
     *     {@code category:marketing}
     */
    public static AudienceSpec defaults() {
        return new AudienceSpec(DEFAULT_RECIPIENTS, DEFAULT_SEED, AudienceMix.world(), 0.30, 0.10,
                Map.of(Scope.GLOBAL, 0.40, Scope.sender("demo"), 0.35, Scope.category("marketing"), 0.25));
    }

    /** @throws IllegalArgumentException if {@code n < 1} */
    public AudienceSpec withRecipients(int n) {
        return new AudienceSpec(n, seed, mix, explicitZoneShare, suppressedShare, scopeSplit);
    }

    public AudienceSpec withSeed(long s) {
        return new AudienceSpec(recipients, s, mix, explicitZoneShare, suppressedShare, scopeSplit);
    }

    public AudienceSpec withMix(AudienceMix m) {
        return new AudienceSpec(recipients, seed, m, explicitZoneShare, suppressedShare, scopeSplit);
    }

    /** @throws IllegalArgumentException if {@code share} is outside [0, 1] */
    public AudienceSpec withExplicitZoneShare(double share) {
        return new AudienceSpec(recipients, seed, mix, share, suppressedShare, scopeSplit);
    }

    /** @throws IllegalArgumentException if {@code share} is outside [0, 1] or a weight is not positive */
    public AudienceSpec withSuppression(double share, Map<Scope, Double> split) {
        return new AudienceSpec(recipients, seed, mix, explicitZoneShare, share, split);
    }

    /** @return each scope's expected share of the opted-out recipients, 0 to 1 */
    public double scopeShare(Scope scope) {
        double total = scopeSplit.values().stream().mapToDouble(Double::doubleValue).sum();
        return scopeSplit.getOrDefault(scope, 0.0) / total;
    }

    private static void checkShare(String name, double share) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + share);
        }
    }
}
