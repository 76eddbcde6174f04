package dev.herald.dispatcher.demo;

import dev.herald.suppression.Scope;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@link SyntheticAudience#populate} did.
 *
 * <p>{@code System.out.println(audience.populate(data, Progress.NONE).describe());}
 *
 * <p>Immutable.
 *
 * @param seed               the seed the audience was generated with (print it to reproduce a run)
 * @param recipients         recipients in the audience (lines generated and imported)
 * @param created            of those, recipients new to the directory (0 when rerun on the same
 *                           data with the same seed)
 * @param perCountry         recipients per ISO region, largest first
 * @param perZone            recipients per zone they live in, largest first
 * @param suppressed         recipients of the audience opted out, per scope (whether by this run
 *                           or an earlier one)
 * @param suppressionChanges opt-outs this run wrote to the consent ledger (0 when all were
 *                           already in place)
 * @param importMs           time to generate and import the directory, in ms
 * @param elapsedMs          total time including suppression and compaction, in ms
 */
public record AudienceSummary(long seed, long recipients, long created, Map<String, Long> perCountry,
                              Map<String, Long> perZone, Map<Scope, Long> suppressed, long suppressionChanges,
                              long importMs, long elapsedMs) {

    /** Copies the maps, keeping their iteration order. */
    public AudienceSummary {
        perCountry = SyntheticAudience.ordered(perCountry);
        perZone = SyntheticAudience.ordered(perZone);
        suppressed = SyntheticAudience.ordered(suppressed);
    }

    /** @return recipients opted out in any scope */
    public long suppressedTotal() {
        return suppressed.values().stream().mapToLong(Long::longValue).sum();
    }

    /** @return a few human-readable lines, starting with the seed */
    public String describe() {
        return "synthetic audience: seed " + seed + ", " + recipients + " recipients (" + created + " new) in "
                + perCountry.size() + " countries, " + perZone.size() + " zones; import " + importMs + " ms, total "
                + elapsedMs + " ms\n  countries: " + join(perCountry) + "\n  suppressed: " + join(suppressed)
                + " (" + suppressionChanges + " opt-outs written)";
    }

    private static String join(Map<?, Long> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }
}
