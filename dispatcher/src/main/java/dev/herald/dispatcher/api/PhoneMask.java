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
            m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(run.length() > MAX_CHARS ? run : mask(run)));
        }
        m.appendTail(out);
        return out.toString();
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
