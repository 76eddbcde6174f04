package dev.herald.dispatcher.api;

/**
 * Masks phone numbers for logs and error listings: every digit but the last three becomes
 * {@code *}, so {@code +447400123456} reads {@code +*********456}. Other characters stay, and
 * input past {@value #MAX_CHARS} characters is cut.
 *
 * <p>{@code LOG.info("opted out {}", PhoneMask.mask(phone));}
 *
 * <p>Stateless and thread-safe.
 */
public final class PhoneMask {
    /** Longest input shown (then {@code ...}). */
    static final int MAX_CHARS = 40;

    private PhoneMask() {
    }

    private static final java.util.regex.Pattern NUMBER_IN_TEXT = java.util.regex.Pattern.compile("\\+?\\d[\\d \\-]{6,}\\d");

    /**
     * Masks every run of 8 or more digits (with optional {@code +}, spaces and dashes) in free text,
     * such as an exception message about to be logged: anything that may be a phone number.
     * File paths stay exact: a run inside a path name segment that also holds a letter, {@code .}
     * or {@code _} (e.g. {@code wal/00000000000000000001.log}, {@code campaigns/demo-20261206-163358/})
     * is left as it is, so a log names a damaged file exactly. A segment of digits only
     * ({@code /v1/recipients/447400123456}) is still masked.
     *
     * @return {@code text} with such runs masked, or null for null
     */
    public static String maskText(String text) {
        if (text == null) {
            return null;
        }
        java.util.regex.Matcher m = NUMBER_IN_TEXT.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String run = m.group();
            boolean keep = run.length() > MAX_CHARS || inFileName(text, m.start(), m.end());
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(keep ? run : mask(run)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * Whether {@code text[start, end)} lies in a path: a whitespace-free token holding a path
     * separator, inside one name segment (between separators) that has a character no phone
     * number has (a letter, {@code .} or {@code _}), and does not start with {@code +}.
     */
    private static boolean inFileName(String text, int start, int end) {
        if (text.charAt(start) == '+' || text.substring(start, end).indexOf(' ') >= 0) {
            return false;
        }
        int tokenStart = start;
        while (tokenStart > 0 && !Character.isWhitespace(text.charAt(tokenStart - 1))) {
            tokenStart--;
        }
        int tokenEnd = end;
        while (tokenEnd < text.length() && !Character.isWhitespace(text.charAt(tokenEnd))) {
            tokenEnd++;
        }
        String token = text.substring(tokenStart, tokenEnd);
        if (token.indexOf('/') < 0 && token.indexOf('\\') < 0) {
            return false;
        }
        int segStart = start;
        while (segStart > tokenStart && !isSeparator(text.charAt(segStart - 1))) {
            segStart--;
        }
        int segEnd = end;
        while (segEnd < tokenEnd && !isSeparator(text.charAt(segEnd))) {
            segEnd++;
        }
        for (int i = segStart; i < segEnd; i++) {
            char c = text.charAt(i);
            if (Character.isLetter(c) || c == '.' || c == '_') {
                return true;
            }
        }
        return false;
    }

    private static boolean isSeparator(char c) {
        return c == '/' || c == '\\';
    }

    /** @return {@code phone} masked, or null for null */
    public static String mask(String phone) {
        if (phone == null) {
            return null;
        }
        String s = phone.length() > MAX_CHARS ? phone.substring(0, MAX_CHARS) : phone;
        int digits = 0;
        for (int i = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i))) {
                digits++;
            }
        }
        StringBuilder out = new StringBuilder(s.length() + 3);
        int seen = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isDigit(c)) {
                seen++;
                out.append(seen > digits - 3 ? c : '*');
            } else {
                out.append(c);
            }
        }
        return phone.length() > MAX_CHARS ? out.append("...").toString() : out.toString();
    }
}
