package dev.herald.dispatcher.sender;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;

import dev.herald.suppression.Scope;

/**
 * What Herald says and checks on each sender's (brand's) behalf, from {@code herald.senders}
 * (see {@code herald-senders.conf}): brand name, the numbers replies arrive on, footer, brand prefix,
 * help text, opt-out and opt-in confirmations, flagged words and the preference page's categories.
 *
 * <pre>{@code
 * SenderProfiles senders = SenderProfiles.fromConfig(ConfigFactory.load());
 * senders.byNumber("+15005550006");             // Optional[demo]
 * senders.profile("acme").confirmOptOut();      // "You are unsubscribed from acme. Reply START to resubscribe."
 * }</pre>
 *
 * <p>A sender id with no entry of its own gets the {@code default} profile with its id as the brand.
 * Immutable and thread-safe.
 */
public final class SenderProfiles {

    /** What a flagged word in marketing text does. */
    public enum FlaggedPolicy {
        /** Preview and create answer with a warning. */
        WARN,
        /** Creating the campaign is refused; preview warns. */
        REFUSE
    }

    /** What a reply holding an intent phrase ({@code dev.herald.dispatcher.inbound.IntentPhrases}) does. */
    public enum IntentAction {
        /** Opts out at once, as a STOP. */
        OPT_OUT,
        /** Held in the operator's review queue ({@code GET /v1/inbound/review}) until opted out or dismissed. */
        REVIEW;

        /** @return {@code opt-out} or {@code review} */
        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One sender's profile, {@code {brand}} already replaced in every text.
     *
     * @param id               the sender id campaigns name (a suppression scope name)
     * @param brand            the name people know the sender by
     * @param numbers          numbers and short codes replies arrive on, normalised ({@link #normalizeNumber})
     * @param footer           appended to marketing text that lacks it; empty for none
     * @param prefix           marketing text must start with it; empty for not checked
     * @param help             the answer to HELP
     * @param confirmOptOut    the confirmation of a STOP
     * @param confirmOptOutAll the confirmation of a STOPALL
     * @param confirmOptIn     the confirmation of a START
     * @param flaggedWords     words flagged in marketing text, lower case
     * @param flaggedPolicy    warn or refuse
     * @param categories       the categories offered on the preference page, in order
     * @param intentAction     what a reply holding an intent phrase does
     */
    public record Profile(String id, String brand, List<String> numbers, String footer, String prefix, String help,
                          String confirmOptOut, String confirmOptOutAll, String confirmOptIn, List<String> flaggedWords,
                          FlaggedPolicy flaggedPolicy, List<String> categories, IntentAction intentAction) {

        public Profile {
            numbers = List.copyOf(numbers);
            flaggedWords = List.copyOf(flaggedWords);
            categories = List.copyOf(categories);
        }

        /** The sender's suppression scope, {@code sender:<id>}. */
        public Scope scope() {
            return Scope.sender(id);
        }
    }

    private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{6,14}");
    private static final Pattern SHORT_CODE = Pattern.compile("[0-9]{3,8}");
    private static final Pattern SEPARATORS = Pattern.compile("[\\s().-]");

    private final Config defaults;
    private final Map<String, Profile> profiles;
    private final Map<String, String> byNumber;

    private SenderProfiles(Config defaults, Map<String, Profile> profiles, Map<String, String> byNumber) {
        this.defaults = defaults;
        this.profiles = Map.copyOf(profiles);
        this.byNumber = Map.copyOf(byNumber);
    }

    /**
     * @param root the whole configuration
     * @throws IllegalArgumentException naming the key that is missing or wrong, or a number two senders list
     */
    public static SenderProfiles fromConfig(Config root) {
        try {
            Config c = root.getConfig("herald.senders");
            Config defaults = c.getConfig("default");
            Map<String, Profile> profiles = new HashMap<>();
            Map<String, String> byNumber = new HashMap<>();
            Config pc = c.getConfig("profiles");
            for (String key : pc.root().keySet()) {
                String id;
                try {
                    id = Scope.sender(key).name();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("configuration: herald.senders.profiles." + key
                            + ": not a valid sender id (1-64 characters of a-z, 0-9, '.', '_', '-')");
                }
                Config own = pc.getConfig("\"" + key + "\"").withFallback(defaults);
                Profile p = profile(id, own, "herald.senders.profiles." + key);
                profiles.put(id, p);
                for (String n : p.numbers()) {
                    String other = byNumber.putIfAbsent(n, id);
                    if (other != null) {
                        throw new IllegalArgumentException("configuration: number " + n + " is listed by senders '"
                                + other + "' and '" + id + "'");
                    }
                }
            }
            profile("default", defaults, "herald.senders.default"); // validated now
            if (!defaults.getStringList("numbers").isEmpty()) {
                throw new IllegalArgumentException("configuration: herald.senders.default.numbers must be empty: a number "
                        + "belongs to one sender (list it under herald.senders.profiles.<id>.numbers)");
            }
            return new SenderProfiles(defaults, profiles, byNumber);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    /** The built-in defaults ({@code reference.conf}). */
    public static SenderProfiles defaults() {
        return fromConfig(ConfigFactory.defaultReference());
    }

    /**
     * @param senderId a sender id, any case
     * @return its profile, or the default profile with the id as its brand
     * @throws IllegalArgumentException if the id is not a valid sender id
     */
    public Profile profile(String senderId) {
        String id = Scope.sender(senderId).name();
        Profile p = profiles.get(id);
        return p != null ? p : profile(id, defaults, "herald.senders.default");
    }

    /**
     * The {@code default} profile as configured, for showing it: with an empty brand (each sender's id
     * takes its place), {@code {brand}} is left in its brand and texts rather than replaced by an id.
     */
    public Profile defaultProfile() {
        Config c = defaults.getString("brand").isBlank()
                ? defaults.withValue("brand", com.typesafe.config.ConfigValueFactory.fromAnyRef("{brand}")) : defaults;
        return profile("default", c, "herald.senders.default");
    }

    /** @return what an intent phrase does in a reply to a number no sender lists ({@code default}'s choice) */
    public IntentAction defaultIntentAction() {
        return profile("default", defaults, "herald.senders.default").intentAction();
    }

    /** The categories of the default profile and of every sender's, in order, without repeats. */
    public List<String> allCategories() {
        java.util.Set<String> all = new LinkedHashSet<>(profile("default", defaults, "herald.senders.default").categories());
        for (String id : configured()) {
            all.addAll(profiles.get(id).categories());
        }
        return List.copyOf(all);
    }

    /** The ids of the senders with a profile of their own, sorted. */
    public List<String> configured() {
        return profiles.keySet().stream().sorted().toList();
    }

    /**
     * @param number the number or short code a reply was sent to, in any common notation
     * @return the sender that lists it
     */
    public Optional<Profile> byNumber(String number) {
        Optional<String> n = normalizeNumber(number);
        return n.map(byNumber::get).map(profiles::get);
    }

    /**
     * @param number {@code +44 7700 900123}, {@code (60) 777}, …
     * @return E.164 ({@code +447700900123}) or a short code of 3–8 digits; empty if it is neither.
     *     9–15 digits without {@code +} (as some providers post numbers) are taken as E.164.
     */
    public static Optional<String> normalizeNumber(String number) {
        if (number == null) {
            return Optional.empty();
        }
        String n = SEPARATORS.matcher(number.strip()).replaceAll("");
        if (n.startsWith("00") && n.length() > 2) {
            n = "+" + n.substring(2);
        } else if (n.length() >= 9 && n.length() <= 15 && n.chars().allMatch(Character::isDigit) && n.charAt(0) != '0') {
            n = "+" + n;
        }
        return E164.matcher(n).matches() || SHORT_CODE.matcher(n).matches() ? Optional.of(n) : Optional.empty();
    }

    private static Profile profile(String id, Config c, String path) {
        String brand = c.getString("brand").strip();
        if (brand.isEmpty()) {
            brand = id;
        }
        if (brand.length() > 64) {
            throw new IllegalArgumentException("configuration: " + path + ".brand is longer than 64 characters");
        }
        Set<String> numbers = new LinkedHashSet<>();
        for (String raw : c.getStringList("numbers")) {
            numbers.add(normalizeNumber(raw).orElseThrow(() -> new IllegalArgumentException("configuration: " + path
                    + ".numbers: '" + raw + "' is neither an E.164 number (+447700900123) nor a short code of 3-8 digits")));
        }
        List<String> words = new ArrayList<>();
        for (String w : c.getStringList("flagged-words")) {
            String t = w.strip().toLowerCase(Locale.ROOT);
            if (t.isEmpty()) {
                throw new IllegalArgumentException("configuration: " + path + ".flagged-words has an empty word");
            }
            words.add(t);
        }
        String policyText = c.getString("flagged-policy").strip().toUpperCase(Locale.ROOT);
        FlaggedPolicy policy;
        try {
            policy = FlaggedPolicy.valueOf(policyText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("configuration: " + path + ".flagged-policy must be 'warn' or 'refuse', got '"
                    + c.getString("flagged-policy") + "'");
        }
        IntentAction intent = switch (c.getString("intent-action").strip().toLowerCase(Locale.ROOT)) {
            case "opt-out" -> IntentAction.OPT_OUT;
            case "review" -> IntentAction.REVIEW;
            default -> throw new IllegalArgumentException("configuration: " + path + ".intent-action must be 'opt-out' or "
                    + "'review', got '" + c.getString("intent-action") + "'");
        };
        Set<String> categories = new LinkedHashSet<>();
        for (String cat : c.getStringList("categories")) {
            try {
                categories.add(Scope.category(cat).name());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("configuration: " + path + ".categories: " + e.getMessage());
            }
        }
        return new Profile(id, brand, List.copyOf(numbers), text(c, "footer", brand, path, true),
                text(c, "prefix", brand, path, true), text(c, "help", brand, path, false),
                text(c, "confirm-opt-out", brand, path, false), text(c, "confirm-opt-out-all", brand, path, false),
                text(c, "confirm-opt-in", brand, path, false), words, policy, List.copyOf(categories), intent);
    }

    private static String text(Config c, String key, String brand, String path, boolean mayBeEmpty) {
        String t = c.getString(key).replace("{brand}", brand);
        if (!mayBeEmpty && t.isBlank()) {
            throw new IllegalArgumentException("configuration: " + path + "." + key + " is empty");
        }
        if (t.length() > 640) {
            throw new IllegalArgumentException("configuration: " + path + "." + key + " is longer than 640 characters");
        }
        return t;
    }
}
