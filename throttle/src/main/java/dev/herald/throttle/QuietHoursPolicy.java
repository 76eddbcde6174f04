package dev.herald.throttle;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A named quiet-hours policy: the rule per message category, per-country rules that override it,
 * and the zones assumed for a recipient whose zone is unknown.
 *
 * <p>{@code Instant at = policies.get("default").nextOpen("marketing", "FR", ZoneSet.of("Europe/Paris"), now);}
 *
 * <p>Immutable and thread-safe. Usually loaded with {@link QuietHoursPolicies#fromConfig}.
 */
public final class QuietHoursPolicy {
    private final String name;
    private final ZoneSet unknownZones;
    private final Map<String, QuietHoursRule> categories;
    private final Map<String, CountryRule> countries;

    /**
     * @param name         the policy's name, e.g. {@code default}
     * @param unknownZones zones used for a recipient with no known zone, not empty
     * @param categories   the rule per category name
     * @param countries    the country rules by ISO region
     * @throws IllegalArgumentException if {@code unknownZones} is empty or a country is filed under
     *                                  another region
     */
    public QuietHoursPolicy(String name, ZoneSet unknownZones, Map<String, QuietHoursRule> categories,
                            Map<String, CountryRule> countries) {
        this.name = Objects.requireNonNull(name, "name");
        if (unknownZones.isEmpty()) {
            throw new IllegalArgumentException("policy " + name + ": unknown-zones must name at least one zone");
        }
        this.unknownZones = unknownZones;
        this.categories = Map.copyOf(categories);
        this.countries = Map.copyOf(countries);
        this.countries.forEach((region, rule) -> {
            if (!region.equals(rule.region())) {
                throw new IllegalArgumentException("policy " + name + ": country " + rule.region() + " filed under " + region);
            }
        });
    }

    /** @return the policy's name */
    public String name() {
        return name;
    }

    /** @return every category some rule of this policy names, sorted */
    public Set<String> categories() {
        Set<String> all = new TreeSet<>(categories.keySet());
        countries.values().forEach(c -> all.addAll(c.rules().keySet()));
        return all;
    }

    /** @return the zones assumed for a recipient with no known zone (never empty) */
    public ZoneSet unknownZones() {
        return unknownZones;
    }

    /** @return the policy's own rule per category (before any country's), unmodifiable */
    public Map<String, QuietHoursRule> categoryRules() {
        return categories;
    }

    /** @return the country rules by ISO region (each already merged with the policy's rules), unmodifiable */
    public Map<String, CountryRule> countries() {
        return countries;
    }

    /** @return the country rule for an ISO region, if the policy has one */
    public Optional<CountryRule> country(String region) {
        return Optional.ofNullable(region == null ? null : countries.get(region));
    }

    /**
     * The rule for a category in a region: the country's if it has one, else the policy's.
     *
     * @param category the message category, e.g. {@code marketing}
     * @param region   the recipient's ISO region, or null when unknown
     * @throws IllegalArgumentException if neither the country nor the policy has a rule for the
     *                                  category (sends are never assumed allowed)
     */
    public QuietHoursRule rule(String category, String region) {
        Objects.requireNonNull(category, "category");
        CountryRule country = region == null ? null : countries.get(region);
        QuietHoursRule rule = country == null ? null : country.rules().get(category);
        if (rule == null) {
            rule = categories.get(category);
        }
        if (rule == null) {
            throw new IllegalArgumentException("quiet-hours policy '" + name + "' has no rule for category '" + category
                    + "'" + (region == null ? "" : " (region " + region + ")") + "; configured: " + categories());
        }
        return rule;
    }

    /** The zones to evaluate for a recipient: {@code zones}, or the unknown-zones when empty. */
    public ZoneSet zonesFor(ZoneSet zones) {
        return zones.isEmpty() ? unknownZones : zones;
    }

    /**
     * The first instant at or after {@code from} when {@code category} may be sent in all the
     * recipient's zones ({@code from} itself if it may be sent now).
     *
     * @throws IllegalArgumentException if the category has no rule
     * @throws IllegalStateException    if nothing is open in all zones within a year
     */
    public Instant nextOpen(String category, String region, ZoneSet zones, Instant from) {
        return rule(category, region).nextOpen(zonesFor(zones), from);
    }

    /**
     * The recipients this policy can never reach: for each category and each zone set of
     * {@code buckets} (or the unknown-zones) whose zones are never all open together within
     * {@link QuietHoursRule#HORIZON_DAYS} days, one sentence naming the policy, category, zones and
     * how many recipients of the snapshot have them. Said once when the policy is loaded (a log
     * warning), since campaigns give those recipients an outcome saying so rather than failing.
     *
     * @param buckets a zone index snapshot
     * @param now     the instant searched from
     * @return the sentences, empty when every recipient can be reached in every category
     */
    public java.util.List<String> neverOpen(ZoneBuckets buckets, Instant now) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String category : categories()) {
            QuietHoursPlan plan;
            try {
                plan = QuietHoursPlan.of(this, buckets, category, now);
            } catch (IllegalArgumentException e) {
                continue; // a region without a rule for this category: campaigns of it are refused anyway
            }
            plan.neverOpenZones().forEach((zones, why) -> {
                long recipients = 0;
                for (ZoneBuckets.Bucket b : buckets.buckets()) {
                    if (zonesFor(b.zones()).equals(zones)) {
                        recipients += buckets.ids(b.index()).getLongCardinality();
                    }
                }
                out.add("quiet-hours policy '" + name + "', category '" + category + "': never open in all of "
                        + zones.size() + " zones together (" + why + "); " + recipients
                        + " recipient(s) there will get the outcome expired:never-open"
                        + (zones.equals(unknownZones) ? " (these are the policy's unknown-zones)" : ""));
            });
        }
        return out;
    }

    @Override
    public String toString() {
        return "QuietHoursPolicy[" + name + ", categories " + categories.keySet() + ", countries "
                + new TreeSet<>(countries.keySet()) + "]";
    }
}
