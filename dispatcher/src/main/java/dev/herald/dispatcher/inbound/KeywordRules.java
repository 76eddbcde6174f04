package dev.herald.dispatcher.inbound;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides what an inbound reply asks for: opt out of the sender, opt out of every sender, opt back
 * in, help, or nothing. Keyword lists come from {@code herald.inbound} (see {@code herald-inbound.conf}):
 * defaults, additions per recipient country, and per-sender replacements.
 *
 * <pre>{@code
 * KeywordRules rules = KeywordRules.fromConfig(ConfigFactory.load());
 * rules.classify("Stop.", "acme", "GB");   // Action.OPT_OUT
 * rules.classify("STOP PLEASE", "acme", "GB"); // Action.NONE (single-word exact match)
 * }</pre>
 *
 * <p><b>Normalisation</b> ({@link #normalize}): Unicode NFKC (full-width forms become ASCII),
 * upper case, white space and punctuation removed around the text, hyphens and dashes of every kind
 * removed inside it ({@code OPT-OUT}, {@code OPT–OUT} and {@code OPT‐OUT} are {@code OPTOUT}), inner
 * white space collapsed to one space. A keyword matches the whole normalised reply, or, in the
 * countries configured for it, any run of whole words in it.
 *
 * <p><b>Length.</b> A reply longer than {@value #MAX_CHARS} characters (UTF-16 units, before
 * normalisation) is never a keyword: it is classified {@link Action#NONE} without being looked at.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeywordRules {

    /** What a reply asks for. */
    public enum Action {
        /** Opt out of the sender the reply is addressed to. */
        OPT_OUT,
        /** Opt out of every sender. */
        OPT_OUT_ALL,
        /** Opt back in to the sender. */
        OPT_IN,
        /** The sender's help text. */
        HELP,
        /** Nothing: not a keyword. */
        NONE;

        /** @return the wire name: {@code opt-out} (both opt-outs), {@code opt-in}, {@code help}, {@code none} */
        public String wire() {
            return switch (this) {
                case OPT_OUT, OPT_OUT_ALL -> "opt-out";
                case OPT_IN -> "opt-in";
                case HELP -> "help";
                case NONE -> "none";
            };
        }
    }

    /** Longest reply looked at; longer ones are not keywords (a keyword reply is short). */
    public static final int MAX_CHARS = 2_000;

    private record Lists(Set<String> optOut, Set<String> optOutAll, Set<String> optIn, Set<String> help) {
        Lists plus(Lists more) {
            return new Lists(union(optOut, more.optOut), union(optOutAll, more.optOutAll), union(optIn, more.optIn),
                    union(help, more.help));
        }

        private static Set<String> union(Set<String> a, Set<String> b) {
            Set<String> out = new HashSet<>(a);
            out.addAll(b);
            return Set.copyOf(out);
        }
    }

    private final Lists defaults;
    private final Map<String, Lists> byCountry;
    private final Map<String, Config> bySender;
    private final Set<String> containsCountries;

    private KeywordRules(Lists defaults, Map<String, Lists> byCountry, Map<String, Config> bySender, Set<String> containsCountries) {
        this.defaults = defaults;
        this.byCountry = Map.copyOf(byCountry);
        this.bySender = Map.copyOf(bySender);
        this.containsCountries = Set.copyOf(containsCountries);
    }

    /**
     * @param root the whole configuration
     * @throws IllegalArgumentException naming the key that is missing or wrong
     */
    public static KeywordRules fromConfig(Config root) {
        try {
            Config c = root.getConfig("herald.inbound");
            Lists defaults = lists(c.getConfig("keywords"), null, "herald.inbound.keywords");
            Map<String, Lists> countries = new HashMap<>();
            Config cc = c.getConfig("countries");
            for (String country : cc.root().keySet()) {
                countries.put(country.toUpperCase(Locale.ROOT), lists(cc.getConfig(country), emptyLists(),
                        "herald.inbound.countries." + country));
            }
            Map<String, Config> senders = new HashMap<>();
            Config sc = c.getConfig("senders");
            for (String sender : sc.root().keySet()) {
                Config s = sc.getConfig("\"" + sender + "\"");
                lists(s, defaults, "herald.inbound.senders." + sender); // validated now
                senders.put(sender, s);
            }
            Set<String> contains = new HashSet<>();
            for (String country : c.getStringList("contains-countries")) {
                contains.add(country.toUpperCase(Locale.ROOT));
            }
            return new KeywordRules(defaults, countries, senders, contains);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    private static Lists emptyLists() {
        return new Lists(Set.of(), Set.of(), Set.of(), Set.of());
    }

    /** The four lists of {@code c}, each falling back to {@code base}'s (null: all required). */
    private static Lists lists(Config c, Lists base, String path) {
        return new Lists(list(c, "opt-out", base == null ? null : base.optOut(), path),
                list(c, "opt-out-all", base == null ? null : base.optOutAll(), path),
                list(c, "opt-in", base == null ? null : base.optIn(), path),
                list(c, "help", base == null ? null : base.help(), path));
    }

    private static Set<String> list(Config c, String key, Set<String> fallback, String path) {
        if (!c.hasPath(key)) {
            if (fallback == null) {
                throw new IllegalArgumentException("configuration: " + path + "." + key + " is missing");
            }
            return fallback;
        }
        Set<String> out = new HashSet<>();
        for (String k : c.getStringList(key)) {
            String n = normalize(k);
            if (n.isEmpty()) {
                throw new IllegalArgumentException("configuration: " + path + "." + key + " has an empty keyword");
            }
            out.add(n);
        }
        return Set.copyOf(out);
    }

    /**
     * @param text a reply
     * @return it in the form keywords are compared in (see the class comment); empty for null
     */
    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toUpperCase(Locale.ROOT);
        int start = 0;
        int end = s.length();
        while (start < end && isTrimmed(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isTrimmed(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        StringBuilder out = new StringBuilder(end - start);
        boolean space = false;
        for (int i = start; i < end; ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                space = true;
            } else if (isHyphen(cp)) {
                continue; // OPT-OUT is OPTOUT; white space on either side still separates words
            } else {
                if (space && out.length() > 0) {
                    out.append(' ');
                }
                space = false;
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /** Hyphens and dashes of every kind (Unicode Pd, the minus sign, the soft hyphen, the hyphen bullet). */
    static boolean isHyphen(int cp) {
        return Character.getType(cp) == Character.DASH_PUNCTUATION || cp == 0x2212 || cp == 0x00AD || cp == 0x2043;
    }

    /** White space, punctuation, symbols (emoji included) and invisible format characters around a reply. */
    private static boolean isTrimmed(int cp) {
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                 Character.OTHER_SYMBOL, Character.FORMAT, Character.CONTROL, Character.SURROGATE, Character.NON_SPACING_MARK,
                 Character.ENCLOSING_MARK -> true;
            default -> false;
        };
    }

    /**
     * @param text    the reply
     * @param sender  the sender it answers (for that sender's lists), or null
     * @param country ISO region of the replying number (for that country's lists and matching), or null
     * @return what it asks for
     */
    public Action classify(String text, String sender, String country) {
        if (text == null || text.length() > MAX_CHARS) {
            return Action.NONE;
        }
        String n = normalize(text);
        if (n.isEmpty()) {
            return Action.NONE;
        }
        Lists l = listsFor(sender, country);
        String c = country == null ? null : country.toUpperCase(Locale.ROOT);
        if (c != null && containsCountries.contains(c)) {
            return containing(n, l);
        }
        return exact(n, l);
    }

    /**
     * As {@link #classify(String, String, String)} for a raw body: bytes that are not valid UTF-8
     * are no keyword.
     */
    public Action classify(byte[] utf8, String sender, String country) {
        Objects.requireNonNull(utf8, "utf8");
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(utf8)).toString();
            return classify(text, sender, country);
        } catch (CharacterCodingException e) {
            return Action.NONE;
        }
    }

    private Lists listsFor(String sender, String country) {
        Lists l = defaults;
        if (sender != null && bySender.containsKey(sender)) {
            l = lists(bySender.get(sender), defaults, "herald.inbound.senders." + sender);
        }
        Lists extra = country == null ? null : byCountry.get(country.toUpperCase(Locale.ROOT));
        return extra == null ? l : l.plus(extra);
    }

    private static Action exact(String n, Lists l) {
        if (l.optOutAll().contains(n)) {
            return Action.OPT_OUT_ALL;
        }
        if (l.optOut().contains(n)) {
            return Action.OPT_OUT;
        }
        if (l.optIn().contains(n)) {
            return Action.OPT_IN;
        }
        if (l.help().contains(n)) {
            return Action.HELP;
        }
        return Action.NONE;
    }

    /** Any run of whole words (or the whole text, for scripts without spaces) that is a keyword; opt-outs first. */
    private static Action containing(String n, Lists l) {
        String[] words = n.split(" ");
        Action best = Action.NONE;
        for (int from = 0; from < words.length; from++) {
            StringBuilder run = new StringBuilder();
            for (int to = from; to < words.length && to < from + 3; to++) {
                if (to > from) {
                    run.append(' ');
                }
                run.append(stripWord(words[to]));
                Action a = exact(run.toString(), l);
                if (rank(a) < rank(best)) {
                    best = a;
                }
            }
        }
        if (best == Action.NONE) {
            for (String k : l.optOut()) {
                if (k.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN) && n.contains(k)) {
                    return Action.OPT_OUT;
                }
            }
        }
        return best;
    }

    /** Which keyword wins when a reply holds several: everything, then the sender, then opt-in, then help. */
    private static int rank(Action a) {
        return switch (a) {
            case OPT_OUT_ALL -> 0;
            case OPT_OUT -> 1;
            case OPT_IN -> 2;
            case HELP -> 3;
            case NONE -> 4;
        };
    }

    private static String stripWord(String w) {
        return normalize(w);
    }
}
