package dev.herald.dispatcher.inbound;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * Phrases that revoke consent in the recipient's own words ("please stop texting me", "remove me
 * from this list", "不要再发了", "bitte keine SMS mehr"), per language, from
 * {@code herald.inbound.intent} (see {@code herald-inbound.conf}). Since the FCC's 2024 rule a US
 * recipient may revoke consent "by any reasonable means"; a reply that is no keyword
 * ({@link KeywordRules}) but holds such a phrase is an opt-out or, for a sender that chooses it, held
 * for an operator's review ({@link ReviewQueue}).
 *
 * <pre>{@code
 * IntentPhrases intents = IntentPhrases.fromConfig(ConfigFactory.load());
 * intents.match("Please stop texting me 🙏", "acme", "US");   // Optional[Match[language=en, phrase=STOP TEXTING ME]]
 * intents.match("Don't stop the deals coming!", "acme", "US"); // Optional.empty
 * }</pre>
 *
 * <p><b>Matching.</b> Text and phrases are compared as words ({@link #words}): Unicode NFKC, upper
 * case, accents of Latin letters removed, apostrophes removed ({@code DON'T} is {@code DONT}), and
 * every other character that is not a letter, digit or mark (punctuation, hyphens, symbols, emoji,
 * white space) a word break. A phrase matches a run of whole words anywhere in the reply, unless the
 * words right before it are one of its language's negations ("never stop sending") and the phrase
 * does not itself start with one ("don't text me"). A phrase written in Han, Hiragana or Katakana
 * (scripts without spaces) matches anywhere in the text with word breaks removed. Replies longer than
 * {@link KeywordRules#MAX_CHARS} characters are not looked at.
 *
 * <p>Immutable and thread-safe.
 */
public final class IntentPhrases {

    /**
     * A phrase found in a reply.
     *
     * @param language the language whose list holds it ({@code sender} for a sender's own phrase)
     * @param phrase   the phrase, normalised (words separated by one space)
     */
    public record Match(String language, String phrase) {
    }

    /** One language's phrases and negations, each as words. */
    private record Language(String name, List<List<String>> phrases, List<List<String>> negations) {
    }

    private final Map<String, Language> languages;
    private final Map<String, List<String>> byCountry;
    private final Map<String, Language> senderPhrases;
    private final Map<String, List<String>> senderLanguages;

    private IntentPhrases(Map<String, Language> languages, Map<String, List<String>> byCountry,
                          Map<String, Language> senderPhrases, Map<String, List<String>> senderLanguages) {
        this.languages = languages;
        this.byCountry = Map.copyOf(byCountry);
        this.senderPhrases = Map.copyOf(senderPhrases);
        this.senderLanguages = Map.copyOf(senderLanguages);
    }

    /**
     * @param root the whole configuration
     * @throws IllegalArgumentException naming the key that is missing or wrong (an empty phrase, a
     *     country or sender naming a language that is not configured)
     */
    public static IntentPhrases fromConfig(Config root) {
        try {
            Config c = root.getConfig("herald.inbound.intent");
            Map<String, Language> languages = new LinkedHashMap<>();
            Config lc = c.getConfig("languages");
            for (String name : lc.root().keySet().stream().sorted().toList()) {
                Config l = lc.getConfig("\"" + name + "\"");
                String path = "herald.inbound.intent.languages." + name;
                languages.put(name, new Language(name, phrases(l.getStringList("phrases"), path + ".phrases"),
                        phrases(l.getStringList("negations"), path + ".negations")));
            }
            Map<String, List<String>> countries = new HashMap<>();
            Config cc = c.getConfig("countries");
            for (String country : cc.root().keySet()) {
                countries.put(country.toUpperCase(Locale.ROOT), known(cc.getStringList(country), languages,
                        "herald.inbound.intent.countries." + country));
            }
            Map<String, Language> senderPhrases = new HashMap<>();
            Map<String, List<String>> senderLanguages = new HashMap<>();
            Config sc = root.getConfig("herald.inbound.senders");
            for (String sender : sc.root().keySet()) {
                Config s = sc.getConfig("\"" + sender + "\"");
                String path = "herald.inbound.senders." + sender;
                if (s.hasPath("intent-phrases")) {
                    List<List<String>> negations = new ArrayList<>();
                    languages.values().forEach(l -> negations.addAll(l.negations()));
                    senderPhrases.put(sender, new Language("sender", phrases(s.getStringList("intent-phrases"),
                            path + ".intent-phrases"), negations));
                }
                if (s.hasPath("intent-languages")) {
                    senderLanguages.put(sender, known(s.getStringList("intent-languages"), languages, path + ".intent-languages"));
                }
            }
            return new IntentPhrases(languages, countries, senderPhrases, senderLanguages);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    private static List<List<String>> phrases(List<String> raw, String path) {
        List<List<String>> out = new ArrayList<>();
        for (String p : raw) {
            List<String> w = words(p);
            if (w.isEmpty()) {
                throw new IllegalArgumentException("configuration: " + path + " has an empty phrase ('" + p + "')");
            }
            out.add(w);
        }
        return List.copyOf(out);
    }

    private static List<String> known(List<String> names, Map<String, Language> languages, String path) {
        for (String n : names) {
            if (!languages.containsKey(n)) {
                throw new IllegalArgumentException("configuration: " + path + " names language '" + n
                        + "', which herald.inbound.intent.languages does not configure");
            }
        }
        return List.copyOf(names);
    }

    /**
     * @param text a reply or a phrase
     * @return its words in the form phrases are compared in (see the class comment); empty for null
     */
    public static List<String> words(String text) {
        if (text == null) {
            return List.of();
        }
        String s = Normalizer.normalize(Normalizer.normalize(text, Normalizer.Form.NFKC), Normalizer.Form.NFD);
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int previousBase = -1;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            int type = Character.getType(cp);
            if (type == Character.NON_SPACING_MARK && previousBase >= 0
                    && Character.UnicodeScript.of(previousBase) == Character.UnicodeScript.LATIN) {
                continue; // an accent of a Latin letter: ENVÍEN is ENVIEN
            }
            if (cp == '\'' || cp == 0x2019 || cp == 0x2018 || cp == 0x02BC || cp == 0x0060 || cp == 0x00B4) {
                continue; // DON'T is DONT
            }
            if (Character.isLetterOrDigit(cp) || type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK) {
                word.appendCodePoint(cp);
                if (type != Character.NON_SPACING_MARK && type != Character.COMBINING_SPACING_MARK) {
                    previousBase = cp;
                }
            } else if (word.length() > 0) {
                out.add(finish(word));
                previousBase = -1;
            }
        }
        if (word.length() > 0) {
            out.add(finish(word));
        }
        return out;
    }

    private static String finish(StringBuilder word) {
        String w = Normalizer.normalize(word, Normalizer.Form.NFC).toUpperCase(Locale.ROOT);
        word.setLength(0);
        return w;
    }

    /**
     * @param text    the reply (null: no match)
     * @param sender  the sender it answers (its own phrases and languages), or null
     * @param country ISO region of the replying number (its languages), or null
     * @return the first phrase found, trying the languages in configuration order, then the sender's own
     */
    public Optional<Match> match(String text, String sender, String country) {
        if (text == null || text.length() > KeywordRules.MAX_CHARS) {
            return Optional.empty();
        }
        List<String> w = words(text);
        if (w.isEmpty()) {
            return Optional.empty();
        }
        String joined = String.join("", w);
        List<String> names = sender != null && senderLanguages.containsKey(sender) ? senderLanguages.get(sender)
                : country != null && byCountry.containsKey(country.toUpperCase(Locale.ROOT))
                ? byCountry.get(country.toUpperCase(Locale.ROOT)) : List.copyOf(languages.keySet());
        List<Language> tried = new ArrayList<>();
        names.forEach(n -> tried.add(languages.get(n)));
        if (sender != null && senderPhrases.containsKey(sender)) {
            tried.add(senderPhrases.get(sender));
        }
        for (Language l : tried) {
            for (List<String> p : l.phrases()) {
                if (isUnspaced(p) ? joined.contains(String.join("", p)) : found(w, p, l.negations())) {
                    return Optional.of(new Match(l.name(), String.join(" ", p)));
                }
            }
        }
        return Optional.empty();
    }

    /** Whether {@code phrase} is written in a script without spaces between words. */
    private static boolean isUnspaced(List<String> phrase) {
        return phrase.stream().anyMatch(w -> w.codePoints().anyMatch(cp -> {
            Character.UnicodeScript s = Character.UnicodeScript.of(cp);
            return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA
                    || s == Character.UnicodeScript.KATAKANA;
        }));
    }

    /** Whether {@code phrase} occurs as a run of {@code words} that is not right after a negation. */
    private static boolean found(List<String> words, List<String> phrase, List<List<String>> negations) {
        boolean negatable = negations.stream().noneMatch(n -> startsWith(phrase, 0, n));
        for (int i = 0; i + phrase.size() <= words.size(); i++) {
            if (!startsWith(words, i, phrase)) {
                continue;
            }
            if (!negatable || !negated(words, i, negations)) {
                return true;
            }
        }
        return false;
    }

    private static boolean negated(List<String> words, int at, List<List<String>> negations) {
        for (List<String> n : negations) {
            if (at >= n.size() && startsWith(words, at - n.size(), n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean startsWith(List<String> words, int from, List<String> part) {
        if (from + part.size() > words.size()) {
            return false;
        }
        for (int k = 0; k < part.size(); k++) {
            if (!words.get(from + k).equals(part.get(k))) {
                return false;
            }
        }
        return true;
    }
}
