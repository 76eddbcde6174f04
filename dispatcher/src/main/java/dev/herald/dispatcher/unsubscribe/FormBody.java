package dev.herald.dispatcher.unsubscribe;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A strictly decoded {@code application/x-www-form-urlencoded} body: percent escapes must be
 * complete and the decoded bytes valid UTF-8, otherwise {@link #parse} names the problem.
 *
 * <p>{@code FormBody f = FormBody.parse("action=reason&reason=other".getBytes(UTF_8)); f.single("reason")}
 */
public final class FormBody {

    private final Map<String, List<String>> values;

    private FormBody(Map<String, List<String>> values) {
        this.values = values;
    }

    /**
     * @param body the raw body
     * @return the fields, in order
     * @throws IllegalArgumentException naming the field with a malformed escape or invalid UTF-8
     */
    public static FormBody parse(byte[] body) {
        Map<String, List<String>> values = new LinkedHashMap<>();
        String ascii = new String(body, StandardCharsets.ISO_8859_1);
        if (ascii.isEmpty()) {
            return new FormBody(values);
        }
        for (String pair : ascii.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), "a field name");
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), "field '" + name + "'");
            values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return new FormBody(values);
    }

    private static String decode(String s, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out.write(' ');
            } else if (c == '%') {
                if (i + 2 >= s.length() || Character.digit(s.charAt(i + 1), 16) < 0 || Character.digit(s.charAt(i + 2), 16) < 0) {
                    throw new IllegalArgumentException(what + " has a malformed percent escape");
                }
                out.write(Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8");
        }
    }

    /** @return every value of {@code name}, empty if absent */
    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /**
     * @return the one value of {@code name}, empty if absent
     * @throws IllegalArgumentException if it is given more than once
     */
    public Optional<String> single(String name) {
        List<String> v = all(name);
        if (v.size() > 1) {
            throw new IllegalArgumentException("field '" + name + "' is given " + v.size() + " times; give it once");
        }
        return v.stream().findFirst();
    }

    /** @return true if the body has {@code name} */
    public boolean has(String name) {
        return values.containsKey(name);
    }
}
