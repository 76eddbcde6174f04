package dev.herald.dispatcher.api;

import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.CountryRule;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.QuietHoursRule;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The read-only settings a running service decides with, as {@code GET /v1/settings} answers them:
 * the sender profiles, the frequency-cap rules and the quiet-hours policy.
 *
 * <pre>{@code
 * Map<String, Object> body = SettingsView.of(conf.senders(), Preferences.withRules(conf.caps()),
 *         Set.of(Preferences.WEEKLY_RULE, Preferences.MONTHLY_RULE), conf.policy()).body();
 * }</pre>
 *
 * <p>Only what these three objects hold is shown: they carry no API key, secret, password or
 * connector credential (those live in other configuration sections, never read here). Quiet-hours
 * windows and calendar cap periods are in each recipient's local wall-clock time, as configured.
 *
 * <p>Built once at start (the configuration does not change while the service runs); immutable and
 * thread-safe.
 */
public final class SettingsView {

    /** What the times in the answer are, said in it. */
    static final String TIMES = "Quiet-hours windows, closed days and dates, and calendar cap periods are in each"
            + " recipient's local time (their zone, or the policy's unknown-zones), as configured.";

    private final Map<String, Object> body;

    private SettingsView(Map<String, Object> body) {
        this.body = body;
    }

    /**
     * @param senders the sender profiles
     * @param caps    every cap rule the send ledger applies
     * @param builtIn names of the rules among {@code caps} that Herald adds itself (the preference page's)
     * @param policy  the quiet-hours policy campaigns use
     * @throws NullPointerException if an argument is null
     */
    public static SettingsView of(SenderProfiles senders, FrequencyCaps caps, Set<String> builtIn, QuietHoursPolicy policy) {
        Objects.requireNonNull(senders, "senders");
        Objects.requireNonNull(caps, "caps");
        Objects.requireNonNull(builtIn, "builtIn");
        Objects.requireNonNull(policy, "policy");
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("times", TIMES);
        b.put("senders", senders(senders));
        List<Map<String, Object>> rules = new ArrayList<>();
        for (CapRule r : caps.rules()) {
            rules.add(cap(r, builtIn.contains(r.name())));
        }
        b.put("caps", rules);
        b.put("quietHours", quietHours(policy));
        return new SettingsView(deepUnmodifiable(b));
    }

    /** @return the answer's body */
    public Map<String, Object> body() {
        return body;
    }

    private static List<Map<String, Object>> senders(SenderProfiles senders) {
        List<Map<String, Object>> out = new ArrayList<>();
        // what a sender with no profile of its own gets: the defaults, with its id as the brand
        out.add(profile(senders.defaultProfile(), true));
        for (String id : senders.configured()) {
            out.add(profile(senders.profile(id), false));
        }
        return out;
    }

    private static Map<String, Object> profile(SenderProfiles.Profile p, boolean isDefault) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("default", isDefault);
        m.put("brand", p.brand());
        m.put("scope", isDefault ? "sender:<id>" : p.scope().toString());
        m.put("numbers", p.numbers());
        m.put("categories", p.categories());
        m.put("footer", p.footer());
        m.put("prefix", p.prefix());
        m.put("help", p.help());
        m.put("confirmOptOut", p.confirmOptOut());
        m.put("confirmOptOutAll", p.confirmOptOutAll());
        m.put("confirmOptIn", p.confirmOptIn());
        m.put("flaggedWords", p.flaggedWords());
        m.put("flaggedPolicy", p.flaggedPolicy().name().toLowerCase(Locale.ROOT));
        m.put("intentAction", p.intentAction().wire());
        return m;
    }

    private static Map<String, Object> cap(CapRule r, boolean builtIn) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("limit", r.limit());
        m.put("window", window(r.window()));
        m.put("rolling", r.window().isRolling());
        m.put("scope", r.scope().toString());
        m.put("segment", r.segment().orElse(null));
        m.put("action", r.action().name().toLowerCase(Locale.ROOT));
        m.put("source", builtIn ? "preferences" : "configured");
        return m;
    }

    /** {@code day}, {@code week}, {@code month}, {@code quarter}, or a rolling length: {@code 7d}, {@code 24h}, {@code 90m}, {@code 45s}. */
    static String window(CapWindow w) {
        if (!w.isRolling()) {
            return w.toString(); // the period in lower case
        }
        long s = w.rollingSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }

    private static Map<String, Object> quietHours(QuietHoursPolicy policy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("policy", policy.name());
        m.put("unknownZones", policy.unknownZones().zones().stream().map(ZoneId::getId).toList());
        List<Map<String, Object>> categories = new ArrayList<>();
        new TreeMap<>(policy.categoryRules()).forEach((name, rule) -> categories.add(rule(name, rule)));
        m.put("categories", categories);
        List<Map<String, Object>> countries = new ArrayList<>();
        for (CountryRule c : new TreeMap<>(policy.countries()).values()) {
            List<Map<String, Object>> differ = new ArrayList<>();
            new TreeMap<>(c.rules()).forEach((name, rule) -> {
                QuietHoursRule own = policy.categoryRules().get(name);
                if (own == null || !same(own, rule)) {
                    differ.add(rule(name, rule));
                }
            });
            Map<String, Object> country = new LinkedHashMap<>();
            country.put("country", c.region());
            country.put("categories", differ);
            countries.add(country);
        }
        m.put("countries", countries);
        return m;
    }

    private static Map<String, Object> rule(String category, QuietHoursRule r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("category", category);
        m.put("exempt", r.isExempt());
        m.put("windows", r.windows().stream().map(Object::toString).toList());
        m.put("closedDays", r.closedDays().stream().sorted().map(d -> d.name()).toList());
        Set<String> dates = new TreeSet<>();
        r.closedYearly().forEach(d -> dates.add(d.toString())); // --12-25
        List<String> closed = new ArrayList<>(dates);
        r.closedDates().stream().sorted().forEach(d -> closed.add(d.toString()));
        m.put("closedDates", closed);
        return m;
    }

    private static boolean same(QuietHoursRule a, QuietHoursRule b) {
        return a.isExempt() == b.isExempt() && a.windows().equals(b.windows()) && a.closedDays().equals(b.closedDays())
                && a.closedDates().equals(b.closedDates()) && a.closedYearly().equals(b.closedYearly());
    }

    @SuppressWarnings("unchecked")
    private static <T> T deepUnmodifiable(T value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put((String) k, deepUnmodifiable(v)));
            return (T) java.util.Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(deepUnmodifiable(v)));
            return (T) java.util.Collections.unmodifiableList(copy);
        }
        return value;
    }
}
