package dev.herald.dispatcher.render;

/**
 * The data coding of an SMS: the GSM 7-bit default alphabet (GSM 03.38 / 3GPP TS 23.038) when
 * every character of the text is in it, UCS-2 otherwise.
 *
 * <pre>{@code
 * Encoding e = Encoding.detect("Hi Ana, 20% off €5");   // GSM_7 (€ is in the extension table)
 * int septets = Encoding.gsmSeptets('€');                // 2
 * }</pre>
 *
 * <p><b>Tables.</b> The basic set is the 128 characters of GSM 03.38 except ESC (0x1B), which is
 * not a character: {@code @ £ $ ¥ è é ù ì ò Ç LF Ø ø CR Å å Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ Æ æ ß É},
 * space, {@code ! " # ¤ % & ' ( ) * + , - . /}, digits, {@code : ; < = > ? ¡}, A–Z,
 * {@code Ä Ö Ñ Ü § ¿}, a–z, {@code ä ö ñ ü à}. The extension table (reached through ESC, so each
 * costs 2 septets) is {@code FF ^ { } \ [ ~ ] | €}. Nothing is transliterated: {@code ç}, {@code á}
 * or a curly quote make the text UCS-2.
 *
 * <p>Immutable and thread-safe.
 */
public enum Encoding {
    /** GSM 7-bit default alphabet: 160 septets single, 153 per part when concatenated. */
    GSM_7(160, 153),
    /** UCS-2 (UTF-16 code units, an emoji is 2): 70 units single, 67 per part when concatenated. */
    UCS_2(70, 67);

    private static final String BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
            + "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private static final String EXTENSION = "\f^{}\\[~]|€";
    /** The extension table's codes (after ESC), in {@link #EXTENSION}'s order. */
    private static final int[] EXTENSION_CODES = {0x0A, 0x14, 0x28, 0x29, 0x2F, 0x3C, 0x3D, 0x3E, 0x40, 0x65};
    /** The escape to the extension table; the basic set's code 0x1B, so {@link #BASIC} skips it. */
    private static final int ESC = 0x1B;
    /** Septets per BMP char: 0 = not GSM-7, 1 = basic set, 2 = extension table. */
    private static final byte[] SEPTETS = new byte[0x10000];

    static {
        for (int i = 0; i < BASIC.length(); i++) {
            SEPTETS[BASIC.charAt(i)] = 1;
        }
        for (int i = 0; i < EXTENSION.length(); i++) {
            SEPTETS[EXTENSION.charAt(i)] = 2;
        }
    }

    private final int singleLimit;
    private final int partLimit;

    Encoding(int singleLimit, int partLimit) {
        this.singleLimit = singleLimit;
        this.partLimit = partLimit;
    }

    /** @return the most units (septets or UTF-16 code units) an unconcatenated message holds */
    public int singleLimit() {
        return singleLimit;
    }

    /** @return the most units one part of a concatenated message holds (the rest is the UDH) */
    public int partLimit() {
        return partLimit;
    }

    /**
     * @param text the message text
     * @return {@link #GSM_7} if every char is in the basic or extension table, else {@link #UCS_2}
     * @throws NullPointerException if {@code text} is null
     */
    public static Encoding detect(CharSequence text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            if (SEPTETS[text.charAt(i)] == 0) {
                return UCS_2;
            }
        }
        return GSM_7;
    }

    /**
     * @param c a UTF-16 char
     * @return 1 for the GSM-7 basic set, 2 for the extension table, 0 if GSM-7 cannot encode it
     */
    public static int gsmSeptets(char c) {
        return SEPTETS[c];
    }

    /**
     * The GSM 03.38 code of a character, for an SMSC's default alphabet (one septet per octet,
     * unpacked, as SMPP's {@code data_coding} 0 carries it).
     *
     * @param c a UTF-16 char
     * @return the basic-set code 0x00–0x7F; for an extension character {@code 0x1B00 | code} (ESC,
     *     then the code); -1 if GSM-7 cannot encode it
     */
    public static int gsmCode(char c) {
        int basic = BASIC.indexOf(c);
        if (basic >= 0) {
            return basic < ESC ? basic : basic + 1;
        }
        int ext = EXTENSION.indexOf(c);
        return ext >= 0 ? (ESC << 8) | EXTENSION_CODES[ext] : -1;
    }

    /**
     * The character of a GSM 03.38 code (inverse of {@link #gsmCode}).
     *
     * @param code    a septet, 0x00–0x7F
     * @param escaped whether it follows ESC (the extension table)
     * @return the character, or -1 for ESC itself (read the next septet as escaped) and for an
     *     extension code that has no character (a receiver shows such a pair as a space)
     */
    public static int gsmChar(int code, boolean escaped) {
        if (code < 0 || code > 0x7F) {
            return -1;
        }
        if (escaped) {
            for (int i = 0; i < EXTENSION_CODES.length; i++) {
                if (EXTENSION_CODES[i] == code) {
                    return EXTENSION.charAt(i);
                }
            }
            return -1;
        }
        if (code == ESC) {
            return -1;
        }
        return BASIC.charAt(code < ESC ? code : code - 1);
    }
}
