package dev.herald.throttle;

import dev.herald.throttle.internal.QuietHoursConfigReader;

import com.typesafe.config.Config;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The named quiet-hours policies, read from the {@code herald.quiet-hours} section of the
 * configuration (defaults and every key documented in {@code herald-quiet-hours.conf}).
 *
 * <p>{@code QuietHoursPolicy p = QuietHoursPolicies.fromConfig(ConfigFactory.load()).get("default");}
 *
 * <p>Immutable and thread-safe.
 */
public final class QuietHoursPolicies {
    /** The configuration section this class reads. */
    public static final String ROOT = "herald.quiet-hours";

    private final Map<String, QuietHoursPolicy> byName;

    /**
     * @param byName the policies by name
     * @throws IllegalArgumentException if a policy is filed under another name
     */
    public QuietHoursPolicies(Map<String, QuietHoursPolicy> byName) {
        this.byName = Map.copyOf(byName);
        this.byName.forEach((name, p) -> {
            if (!name.equals(p.name())) {
                throw new IllegalArgumentException("policy " + p.name() + " filed under " + name);
            }
        });
    }

    /**
     * Reads and validates every policy under {@code herald.quiet-hours.policies}.
     *
     * @param config the application configuration (resolved), e.g. {@code ConfigFactory.load()}
     * @return the policies
     * @throws QuietHoursConfigException naming the key path and what is wrong: a missing section,
     *                                   a malformed time, date, day or zone, an unknown key or
     *                                   country, a window whose start equals its end, a category with
     *                                   no window that is not exempt, every day closed
     */
    public static QuietHoursPolicies fromConfig(Config config) {
        Objects.requireNonNull(config, "config");
        return new QuietHoursPolicies(QuietHoursConfigReader.read(config, ROOT));
    }

    /**
     * @param name a policy name
     * @return the policy
     * @throws IllegalArgumentException if there is no policy of that name (the message lists them)
     */
    public QuietHoursPolicy get(String name) {
        QuietHoursPolicy p = byName.get(Objects.requireNonNull(name, "name"));
        if (p == null) {
            throw new IllegalArgumentException("no quiet-hours policy '" + name + "'; configured: " + names());
        }
        return p;
    }

    /** @return the policy names, sorted */
    public Set<String> names() {
        return new TreeSet<>(byName.keySet());
    }
}
