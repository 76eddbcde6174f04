package dev.herald.throttle.internal;

import dev.herald.throttle.CountryRule;
import dev.herald.throttle.QuietHoursConfigException;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.QuietHoursRule;
import dev.herald.throttle.SendWindow;
import dev.herald.throttle.ZoneSet;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.MonthDay;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Reads {@code herald.quiet-hours} into policies; every error names its full key path. Merge rule
 * for a category in a country: the country's {@code exempt}, {@code windows} and {@code closed-days}
 * replace the policy's when given; closed dates add up (policy category, country, country category);
 * the country's own {@code closed-days}/{@code closed-dates} apply to all its categories.
 *
 * <p>Stateless and thread-safe.
 */
public final class QuietHoursConfigReader {
    private static final Set<String> POLICY_KEYS = Set.of("unknown-zones", "categories", "countries");
    private static final Set<String> RULE_KEYS = Set.of("exempt", "windows", "closed-days", "closed-dates");
    private static final Set<String> COUNTRY_KEYS = Set.of("categories", "closed-days", "closed-dates");
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    /** One rule block as written; null fields were not given. */
    private record Partial(String path, Boolean exempt, List<SendWindow> windows, Set<DayOfWeek> closedDays,
                           Set<LocalDate> dates, Set<MonthDay> yearly) {
        static final Partial NONE = new Partial(null, null, null, null, Set.of(), Set.of());
    }

    private QuietHoursConfigReader() {
    }

    /** @return the policies by name */
    public static Map<String, QuietHoursPolicy> read(Config config, String root) {
        ConfigObject policies = object(config.root(), root + ".policies");
        Map<String, QuietHoursPolicy> out = new HashMap<>();
        policies.forEach((name, value) -> out.put(name, policy(name, object(value, root + ".policies." + name),
                root + ".policies." + name)));
        return out;
    }

    private static QuietHoursPolicy policy(String name, ConfigObject o, String path) {
        checkKeys(o, path, POLICY_KEYS);
        ZoneSet unknownZones = ZoneSet.of(list(o, path, "unknown-zones", (s, p) -> {
            try {
                return ZoneId.of(s);
            } catch (DateTimeException e) {
                throw new QuietHoursConfigException(p, "\"" + s + "\" is not a time-zone id this JVM knows (e.g. Europe/Paris, UTC)");
            }
        }, true));
        Map<String, Partial> base = new HashMap<>();
        object(o.get("categories"), path + ".categories").forEach((c, v) -> base.put(c, partial(v, path + ".categories." + c)));
        Map<String, QuietHoursRule> categories = new HashMap<>();
        base.forEach((c, p) -> categories.put(c, effective(c, p, Partial.NONE, Partial.NONE)));
        Map<String, CountryRule> countries = new HashMap<>();
        ConfigValue cs = o.get("countries");
        if (cs != null) {
            object(cs, path + ".countries").forEach((region, v) -> countries.put(region,
                    country(region, object(v, path + ".countries." + region), path + ".countries." + region, base)));
        }
        return new QuietHoursPolicy(name, unknownZones, categories, countries);
    }

    private static CountryRule country(String region, ConfigObject o, String path, Map<String, Partial> base) {
        if (!COUNTRIES.contains(region)) {
            throw new QuietHoursConfigException(path, "\"" + region + "\" is not an ISO 3166 alpha-2 country code (upper case, e.g. FR)");
        }
        checkKeys(o, path, COUNTRY_KEYS);
        Partial whole = partialFields(o, path, null);
        Map<String, Partial> own = new HashMap<>();
        ConfigValue cats = o.get("categories");
        if (cats != null) {
            object(cats, path + ".categories").forEach((c, v) -> own.put(c, partial(v, path + ".categories." + c)));
        }
        Set<String> names = new TreeSet<>(base.keySet());
        names.addAll(own.keySet());
        Map<String, QuietHoursRule> rules = new HashMap<>();
        for (String c : names) {
            rules.put(c, effective(c + " in " + region, base.getOrDefault(c, Partial.NONE), whole,
                    own.getOrDefault(c, Partial.NONE)));
        }
        return new CountryRule(region, rules);
    }

    private static QuietHoursRule effective(String label, Partial base, Partial country, Partial over) {
        String path = over.path != null ? over.path : base.path;
        boolean exempt = over.exempt != null ? over.exempt : base.exempt != null && base.exempt;
        if (exempt) {
            return QuietHoursRule.EXEMPT;
        }
        List<SendWindow> windows = over.windows != null ? over.windows : base.windows;
        if (windows == null || windows.isEmpty()) {
            throw new QuietHoursConfigException(path + ".windows", windows == null
                    ? "missing: give at least one \"HH:mm-HH:mm\" window or set exempt = true"
                    : "empty: give at least one \"HH:mm-HH:mm\" window or set exempt = true");
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        days.addAll(over.closedDays != null ? over.closedDays : base.closedDays != null ? base.closedDays : Set.of());
        if (country.closedDays != null) {
            days.addAll(country.closedDays);
        }
        if (days.size() == 7) {
            String where = over.closedDays != null ? over.path : country.closedDays != null ? country.path : base.path;
            throw new QuietHoursConfigException(where + ".closed-days", "every day of the week is closed, so " + label + " could never be sent");
        }
        Set<LocalDate> dates = new HashSet<>(base.dates);
        dates.addAll(country.dates);
        dates.addAll(over.dates);
        Set<MonthDay> yearly = new HashSet<>(base.yearly);
        yearly.addAll(country.yearly);
        yearly.addAll(over.yearly);
        return QuietHoursRule.of(label, windows, days, dates, yearly);
    }

    private static Partial partial(ConfigValue v, String path) {
        ConfigObject o = object(v, path);
        checkKeys(o, path, RULE_KEYS);
        Boolean exempt = null;
        ConfigValue e = o.get("exempt");
        if (e != null) {
            if (e.valueType() != ConfigValueType.BOOLEAN) {
                throw new QuietHoursConfigException(path + ".exempt", "must be true or false, got " + e.render());
            }
            exempt = (Boolean) e.unwrapped();
        }
        List<SendWindow> windows = o.containsKey("windows") ? list(o, path, "windows", (s, p) -> {
            try {
                return SendWindow.parse(s);
            } catch (IllegalArgumentException bad) {
                throw new QuietHoursConfigException(p, bad.getMessage());
            }
        }, false) : null;
        return partialFields(o, path, exempt, windows);
    }

    private static Partial partialFields(ConfigObject o, String path, Boolean exempt) {
        return partialFields(o, path, exempt, null);
    }

    private static Partial partialFields(ConfigObject o, String path, Boolean exempt, List<SendWindow> windows) {
        Set<DayOfWeek> days = o.containsKey("closed-days") ? EnumSet.noneOf(DayOfWeek.class) : null;
        if (days != null) {
            days.addAll(list(o, path, "closed-days", (s, p) -> {
                try {
                    return DayOfWeek.valueOf(s.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException bad) {
                    throw new QuietHoursConfigException(p, "\"" + s + "\" is not a day of the week (MONDAY ... SUNDAY)");
                }
            }, false));
        }
        Set<LocalDate> dates = new HashSet<>();
        Set<MonthDay> yearly = new HashSet<>();
        if (o.containsKey("closed-dates")) {
            list(o, path, "closed-dates", (s, p) -> {
                try {
                    return s.startsWith("--") ? yearly.add(MonthDay.parse(s)) : dates.add(LocalDate.parse(s));
                } catch (DateTimeException bad) {
                    throw new QuietHoursConfigException(p, "\"" + s + "\" is not a date yyyy-MM-dd or a yearly date --MM-dd");
                }
            }, false);
        }
        return new Partial(path, exempt, windows, days, dates, yearly);
    }

    private static <T> List<T> list(ConfigObject o, String path, String key, BiFunction<String, String, T> parse,
                                    boolean required) {
        ConfigValue v = o.get(key);
        String at = path + "." + key;
        if (v == null) {
            if (required) {
                throw new QuietHoursConfigException(at, "missing");
            }
            return List.of();
        }
        if (v.valueType() != ConfigValueType.LIST) {
            throw new QuietHoursConfigException(at, "must be a list of strings, got " + v.render());
        }
        List<T> out = new ArrayList<>();
        ConfigList items = (ConfigList) v;
        for (int i = 0; i < items.size(); i++) {
            ConfigValue item = items.get(i);
            String p = at + "[" + i + "]";
            if (item.valueType() != ConfigValueType.STRING) {
                throw new QuietHoursConfigException(p, "must be a string, got " + item.render());
            }
            out.add(parse.apply((String) item.unwrapped(), p));
        }
        if (required && out.isEmpty()) {
            throw new QuietHoursConfigException(at, "must not be empty");
        }
        return out;
    }

    private static ConfigObject object(ConfigObject root, String path) {
        ConfigValue v = root;
        for (String key : path.split("\\.")) {
            v = v instanceof ConfigObject o ? o.get(key) : null;
            if (v == null) {
                throw new QuietHoursConfigException(path, "missing");
            }
        }
        return object(v, path);
    }

    private static ConfigObject object(ConfigValue v, String path) {
        if (v == null) {
            throw new QuietHoursConfigException(path, "missing");
        }
        if (v.valueType() != ConfigValueType.OBJECT) {
            throw new QuietHoursConfigException(path, "must be an object { ... }, got " + v.render());
        }
        return (ConfigObject) v;
    }

    private static void checkKeys(ConfigObject o, String path, Set<String> allowed) {
        for (String key : o.keySet()) {
            if (!allowed.contains(key)) {
                throw new QuietHoursConfigException(path + "." + key, "unknown key; expected one of " + new TreeSet<>(allowed));
            }
        }
    }
}
