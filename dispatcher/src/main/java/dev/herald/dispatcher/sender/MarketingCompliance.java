package dev.herald.dispatcher.sender;

import dev.herald.dispatcher.render.Footer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The compliance checks of a campaign's text against its sender's profile, made once per campaign
 * (never per recipient) before it is created or previewed:
 * <ul>
 *   <li><b>footer</b>: a marketing campaign always carries its sender's footer ("Reply STOP to opt
 *       out", "回T退订"). No footer, or an empty one, in the request: the profile's footer. A footer
 *       of the campaign's own: kept, and the profile's footer is added after it unless it already
 *       contains it (case and white space ignored, as {@link Footer#contains}). A sender cannot
 *       switch its footer off per campaign; only a profile with {@code footer = ""} has none.</li>
 *   <li><b>brand prefix</b>: when the profile has a prefix, marketing text must start with it
 *       (leading white space of the text and trailing white space of the prefix ignored; case
 *       matters: it is the brand's own spelling).</li>
 *   <li><b>flagged words</b>: the profile's words found in the text as whole words,
 *       case-insensitively, after NFKC normalisation (full-width {@code ＦＲＥＥ} is {@code free}).
 *       A word boundary is any code point that is not a letter, digit or combining mark, so
 *       {@code freedom} is not {@code free}; in scripts written without spaces (Han, Hiragana,
 *       Katakana, Thai, Lao, Khmer, Myanmar) a word needs no boundary next to such characters.</li>
 * </ul>
 * Transactional campaigns (category {@code transactional}) are not checked and keep their footer
 * as given.
 *
 * <pre>{@code
 * MarketingCompliance.Result r = MarketingCompliance.check(senders.profile("acme"), "marketing", text, null);
 * r.footer();    // the footer to store with the campaign
 * r.warnings();  // missing_brand_prefix, flagged_word
 * }</pre>
 *
 * <p>Stateless and thread-safe. Linear in the text's length times the number of flagged words.
 */
public final class MarketingCompliance {

    /** The category that is not marketing. */
    public static final String TRANSACTIONAL = "transactional";

    /** Warning code: the text does not start with the brand prefix. */
    public static final String MISSING_BRAND_PREFIX = "missing_brand_prefix";
    /** Warning code: a flagged word is in the text. */
    public static final String FLAGGED_WORD = "flagged_word";

    /**
     * One finding.
     *
     * @param code    {@link #MISSING_BRAND_PREFIX} or {@link #FLAGGED_WORD}
     * @param message what is wrong, for people
     * @param word    the flagged word (as configured, lower case), or null
     */
    public record Warning(String code, String message, String word) {
    }

    /**
     * @param footer      the footer to store with the campaign (may be empty: none)
     * @param marketing   whether the checks applied
     * @param warnings    the findings, prefix first, then flagged words in the profile's order
     * @param refuseWords whether the profile refuses a campaign with flagged words
     */
    public record Result(String footer, boolean marketing, List<Warning> warnings, boolean refuseWords) {

        public Result {
            warnings = List.copyOf(warnings);
        }

        /** @return whether the brand prefix is missing */
        public boolean missingPrefix() {
            return warnings.stream().anyMatch(w -> w.code().equals(MISSING_BRAND_PREFIX));
        }

        /** @return the flagged words found, in the profile's order */
        public List<String> flaggedWords() {
            return warnings.stream().filter(w -> w.code().equals(FLAGGED_WORD)).map(Warning::word).toList();
        }
    }

    private MarketingCompliance() {
    }

    /** @return whether {@code category} is marketing (anything but {@code transactional}, any case) */
    public static boolean isMarketing(String category) {
        return !TRANSACTIONAL.equalsIgnoreCase(category == null ? "" : category.strip());
    }

    /**
     * @param profile   the campaign's sender
     * @param category  the campaign's category
     * @param text      the message template
     * @param requested the footer the request gave, or null
     * @return the footer to use and the findings
     * @throws NullPointerException if {@code profile} or {@code text} is null
     */
    public static Result check(SenderProfiles.Profile profile, String category, String text, String requested) {
        String own = requested == null ? "" : requested.strip();
        if (!isMarketing(category)) {
            return new Result(own, false, List.of(), false);
        }
        List<Warning> warnings = new ArrayList<>();
        String prefix = profile.prefix().strip();
        if (!prefix.isEmpty() && !text.stripLeading().startsWith(prefix)) {
            warnings.add(new Warning(MISSING_BRAND_PREFIX, "marketing text of sender '" + profile.id()
                    + "' must start with its brand prefix '" + prefix + "'", null));
        }
        for (String w : flaggedWords(text, profile.flaggedWords())) {
            warnings.add(new Warning(FLAGGED_WORD, "'" + w + "' is a flagged word for sender '" + profile.id() + "'", w));
        }
        return new Result(footer(profile.footer(), own), true, warnings,
                profile.flaggedPolicy() == SenderProfiles.FlaggedPolicy.REFUSE);
    }

    /** The footer of a marketing campaign: the campaign's own with the profile's added if missing. */
    static String footer(String profileFooter, String own) {
        if (profileFooter.isBlank()) {
            return own;
        }
        if (own.isEmpty()) {
            return profileFooter.strip();
        }
        return Footer.of(profileFooter).applyTo(own);
    }

    /**
     * @param text  any text
     * @param words lower-case words (a word may hold spaces: a phrase)
     * @return the words that occur in {@code text} as whole words, in the order of {@code words}, once each
     */
    public static List<String> flaggedWords(String text, List<String> words) {
        if (words.isEmpty()) {
            return List.of();
        }
        String t = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        Set<String> found = new LinkedHashSet<>();
        for (String raw : words) {
            String w = Normalizer.normalize(raw, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
            if (!w.isEmpty() && occursAsWord(t, w)) {
                found.add(raw);
            }
        }
        return List.copyOf(found);
    }

    private static boolean occursAsWord(String t, String w) {
        int first = w.codePointAt(0);
        int last = w.codePointBefore(w.length());
        for (int at = t.indexOf(w); at >= 0; at = t.indexOf(w, at + 1)) {
            int end = at + w.length();
            boolean leftOk = at == 0 || !joins(t.codePointBefore(at), first);
            boolean rightOk = end == t.length() || !joins(t.codePointAt(end), last);
            if (leftOk && rightOk) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code neighbour} next to the word's edge {@code edge} makes them one word. */
    private static boolean joins(int neighbour, int edge) {
        if (!isWordChar(neighbour)) {
            return false;
        }
        // scripts without spaces: a word of them is found inside a run of them
        return !(unspaced(edge) || unspaced(neighbour)) || Character.getType(neighbour) == Character.NON_SPACING_MARK;
    }

    private static boolean isWordChar(int cp) {
        int type = Character.getType(cp);
        return Character.isLetterOrDigit(cp) || type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                || type == Character.ENCLOSING_MARK;
    }

    private static boolean unspaced(int cp) {
        Character.UnicodeScript s = Character.UnicodeScript.of(cp);
        return switch (s) {
            case HAN, HIRAGANA, KATAKANA, THAI, LAO, KHMER, MYANMAR -> true;
            default -> false;
        };
    }
}
