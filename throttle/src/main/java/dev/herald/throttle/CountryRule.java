package dev.herald.throttle;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The quiet-hours rules of one country within a policy, already merged with the policy's
 * category rules: for every category the policy or the country names, the rule that applies to
 * recipients whose number belongs to {@code region}.
 *
 * <p>{@code QuietHoursRule r = policy.country("FR").flatMap(c -> c.rule("marketing")).orElseThrow();}
 *
 * <p>Immutable and thread-safe.
 *
 * @param region the ISO 3166 alpha-2 region, e.g. {@code FR}
 * @param rules  the effective rule per category name
 */
public record CountryRule(String region, Map<String, QuietHoursRule> rules) {
    private static final Pattern REGION = Pattern.compile("[A-Z]{2}");

    /**
     * @throws IllegalArgumentException if {@code region} is not two upper-case letters
     * @throws NullPointerException     if {@code rules} is null
     */
    public CountryRule {
        if (region == null || !REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("country must be an ISO 3166 alpha-2 code such as FR, got " + region);
        }
        rules = Map.copyOf(Objects.requireNonNull(rules, "rules"));
    }

    /** @return the rule for {@code category} in this country, if the policy or country names it */
    public Optional<QuietHoursRule> rule(String category) {
        return Optional.ofNullable(rules.get(category));
    }
}
