package dev.herald.throttle;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValueType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The frequency-cap rules in force: up to {@value #MAX_RULES}, combined with AND (a send goes
 * out only if no applicable rule is hit).
 *
 * <pre>{@code
 * FrequencyCaps caps = FrequencyCaps.fromConfig(ConfigFactory.load()); // herald.frequency-caps.rules
 * }</pre>
 *
 * <p>Rules are kept in name order; when several drop rules are hit, the outcome names the first.
 *
 * <p>Immutable and thread-safe.
 */
public final class FrequencyCaps {

    /** The most rules one ledger evaluates. */
    public static final int MAX_RULES = 10;

    /** Configuration path of the rules object. */
    public static final String RULES_PATH = "herald.frequency-caps.rules";

    private final List<CapRule> rules;

    private FrequencyCaps(List<CapRule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * @param rules the rules, in the order drop outcomes are reported
     * @return the rule set
     * @throws IllegalArgumentException if there are more than {@value #MAX_RULES} or two share a name
     */
    public static FrequencyCaps of(List<CapRule> rules) {
        if (rules.size() > MAX_RULES) {
            throw new IllegalArgumentException("at most " + MAX_RULES + " cap rules, got " + rules.size());
        }
        Set<String> names = new HashSet<>();
        for (CapRule r : rules) {
            if (!names.add(r.name())) {
                throw new IllegalArgumentException("cap rule name '" + r.name() + "' is used twice");
            }
        }
        return new FrequencyCaps(rules);
    }

    /**
     * Reads {@value #RULES_PATH}: an object of rules keyed by name, each
     * {@code { limit = 3, window = "day" | "week" | "month" | "quarter" | <duration>,
     * scope = "marketing" | "channel:<name>" | "category:<name>", segment = <name> (optional),
     * action = drop | defer }}.
     *
     * @param root the application configuration (with reference defaults)
     * @return the rule set
     * @throws ConfigException naming the full key path of the first missing or bad value
     */
    public static FrequencyCaps fromConfig(Config root) {
        ConfigObject object = root.getObject(RULES_PATH);
        if (object.size() > MAX_RULES) {
            throw new ConfigException.BadValue(object.origin(), RULES_PATH, "at most " + MAX_RULES + " cap rules, got " + object.size());
        }
        List<CapRule> rules = new ArrayList<>();
        for (String name : new TreeSet<>(object.keySet())) {
            String path = RULES_PATH + "." + quoted(name);
            if (object.get(name).valueType() != ConfigValueType.OBJECT) {
                throw new ConfigException.WrongType(object.get(name).origin(), path, "object", object.get(name).valueType().name());
            }
            rules.add(rule(root, name, path));
        }
        return new FrequencyCaps(rules);
    }

    private static CapRule rule(Config root, String name, String path) {
        int limit = root.getInt(path + ".limit");
        if (limit < 1) {
            throw new ConfigException.BadValue(root.getValue(path + ".limit").origin(), path + ".limit", "must be at least 1, got " + limit);
        }
        CapWindow window = window(root, path + ".window");
        CapScope scope = parse(root, path + ".scope", () -> CapScope.parse(root.getString(path + ".scope")));
        CapAction action = parse(root, path + ".action", () -> CapAction.parse(root.getString(path + ".action")));
        Optional<String> segment = Optional.empty();
        if (root.hasPath(path + ".segment")) {
            segment = Optional.of(root.getString(path + ".segment").trim());
            if (segment.get().isEmpty()) {
                throw new ConfigException.BadValue(root.getValue(path + ".segment").origin(), path + ".segment", "must not be empty");
            }
        }
        Optional<String> seg = segment;
        return parse(root, path, () -> new CapRule(name, limit, window, scope, seg, action));
    }

    private static CapWindow window(Config root, String key) {
        String text = root.getString(key).trim().toLowerCase(Locale.ROOT);
        for (CapWindow.Period p : CapWindow.Period.values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(text)) {
                return CapWindow.calendar(p);
            }
        }
        Duration d;
        try {
            d = root.getDuration(key);
        } catch (ConfigException.BadValue e) {
            throw new ConfigException.BadValue(root.getValue(key).origin(), key,
                    "must be day, week, month, quarter or a duration such as 24h or 7d, got '" + text + "'");
        }
        return parse(root, key, () -> CapWindow.rolling(d));
    }

    private interface Parser<T> {
        T parse();
    }

    private static <T> T parse(Config root, String key, Parser<T> parser) {
        try {
            return parser.parse();
        } catch (IllegalArgumentException e) {
            throw new ConfigException.BadValue(root.getValue(key).origin(), key, e.getMessage());
        }
    }

    private static String quoted(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : "\"" + key + "\"";
    }

    /**
     * These rules plus rules Herald itself always adds (such as the recipients' frequency
     * preferences, issue 6). Those do not count against the {@value #MAX_RULES} configured rules,
     * so a configuration that was valid stays valid.
     *
     * <p>{@code FrequencyCaps all = FrequencyCaps.fromConfig(config).plus(List.of(weeklyRule));}
     *
     * @param builtIn rules to add after the configured ones
     * @return the combined rule set
     * @throws IllegalArgumentException if a built-in rule's name is already used, naming it
     */
    public FrequencyCaps plus(List<CapRule> builtIn) {
        Set<String> names = new HashSet<>();
        rules.forEach(r -> names.add(r.name()));
        List<CapRule> all = new ArrayList<>(rules);
        for (CapRule r : builtIn) {
            if (!names.add(r.name())) {
                throw new IllegalArgumentException("cap rule name '" + r.name() + "' is reserved for a rule Herald adds itself;"
                        + " rename the configured rule");
            }
            all.add(r);
        }
        return new FrequencyCaps(all);
    }

    /** @return the rules, in reporting order */
    public List<CapRule> rules() {
        return rules;
    }

    /** @return the largest limit over the rules, 0 if there are none */
    public int maxLimit() {
        return rules.stream().mapToInt(CapRule::limit).max().orElse(0);
    }

    @Override
    public String toString() {
        return "FrequencyCaps" + rules;
    }
}
