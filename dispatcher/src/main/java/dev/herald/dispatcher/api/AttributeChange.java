package dev.herald.dispatcher.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.journey.DateAttributes;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Collections;
import java.util.IllformedLocaleException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of {@code PUT /v1/recipients/{phone}/attributes}, read and checked: which attributes
 * to set, which to remove, and an optional zone and locale.
 *
 * <pre>{@code
 * AttributeChange c = AttributeChange.read(body);   // {"birthday": "1990-03-14", "tier": null, "tz": "Europe/London"}
 * directory.updateFields(phone, c.zone(), c.locale(), c.set(), c.remove());
 * }</pre>
 *
 * <p><b>Rules.</b> A flat JSON object. Each key is an attribute name, 1-64 characters of
 * {@code a-z}, {@code 0-9}, {@code _}, {@code .} and {@code -}, not starting with a digit, dot or
 * dash: lower case, as CSV headers are stored, so an upload and the API write the same field.
 * A value is a string, a number or a boolean (stored as its JSON text: {@code 19.90}, {@code true}),
 * at most {@value #MAX_VALUE_CHARS} characters; {@code null} or a blank string removes the
 * attribute. {@code birthday}, {@code *_date} and {@code *_at} follow {@link DateAttributes}.
 * {@code tz} (an IANA zone id) and {@code locale} (a BCP 47 tag) set the recipient's zone and
 * locale instead (they cannot be removed); {@code phone} is refused (the number is the path's).
 *
 * <p><b>Errors</b> ({@link ApiError}, the offending key as {@code field}): 400 {@code missing_body},
 * {@code invalid_json}, {@code invalid_utf8} (as every JSON body), {@code wrong_type} (not an object;
 * a value that is an object or an array; a {@code tz} or {@code locale} that is not a string),
 * {@code duplicate_field}, {@code invalid_name}, {@code reserved_name}, {@code value_too_long},
 * {@code invalid_value} (a bad zone or locale, removing either), {@code no_attributes} (an empty
 * object); 422 {@code invalid_date} for a date attribute that is not one.
 *
 * @param set    attributes to set, in the body's order, values stripped; unmodifiable
 * @param remove attribute names to remove; unmodifiable
 * @param zone   the zone id to set, or null
 * @param locale the locale tag to set, or null
 */
public record AttributeChange(Map<String, String> set, Set<String> remove, String zone, String locale) {

    /** Longest attribute value, characters. */
    public static final int MAX_VALUE_CHARS = 1024;
    /** Longest attribute name, characters. */
    public static final int MAX_NAME_CHARS = 64;

    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0," + (MAX_NAME_CHARS - 1) + "}");

    /** @throws NullPointerException if {@code set} or {@code remove} is null */
    public AttributeChange {
        set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
        remove = Collections.unmodifiableSet(new LinkedHashSet<>(remove));
    }

    /**
     * @param body the request body, UTF-8 JSON
     * @return the change it asks for
     * @throws ApiError 400 or 422 naming the key, as listed in the class comment
     */
    public static AttributeChange read(byte[] body) {
        JsonNode tree = ApiDirectives.parse(body, JsonNode.class); // empty, UTF-8, syntax, trailing data: the shared answers
        if (!tree.isObject()) {
            throw ApiError.badRequest("wrong_type", "the body must be a JSON object of attributes, such as"
                    + " {\"birthday\": \"1990-03-14\", \"tier\": null}; got " + kind(tree.getNodeType().name()), null);
        }
        if (tree.isEmpty()) {
            throw ApiError.badRequest("no_attributes", "the body names no attribute: give at least one to set (a value)"
                    + " or remove (null)", null);
        }
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> remove = new LinkedHashSet<>();
        String zone = null;
        String locale = null;
        // Streamed again rather than read from the tree: the tree keeps the last of duplicate keys
        // and turns 19.90 into 19.9.
        try (JsonParser p = ApiDirectives.JSON.createParser(body)) {
            p.nextToken(); // START_OBJECT
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken token = p.nextToken();
                if (set.containsKey(name) || remove.contains(name) || (name.equals("tz") && zone != null)
                        || (name.equals("locale") && locale != null)) {
                    throw ApiError.badRequest("duplicate_field", "'" + shown(name) + "' appears twice in the body", shown(name));
                }
                switch (name) {
                    case "phone" -> throw ApiError.badRequest("reserved_name", "'phone' is not an attribute: the number is"
                            + " the one in the path", "phone");
                    case "tz" -> zone = zone(text(p, token, name));
                    case "locale" -> locale = locale(text(p, token, name));
                    default -> {
                        checkName(name);
                        String value = value(p, token, name);
                        if (value == null || value.isBlank()) {
                            remove.add(name);
                        } else {
                            set.put(name, check(name, value.strip()));
                        }
                    }
                }
            }
        } catch (IOException e) {
            // parse() has read these very bytes without fault: not expected, answered all the same
            throw ApiError.badRequest("invalid_json", "unreadable body: " + e.getMessage(), null);
        }
        return new AttributeChange(set, remove, zone, locale);
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw ApiError.badRequest("invalid_name", "attribute name '" + shown(name) + "' must be 1-" + MAX_NAME_CHARS
                    + " characters of a-z, 0-9, '_', '.' and '-', starting with a letter or '_' (lower case, as CSV"
                    + " headers are stored)", shown(name));
        }
    }

    /** @return the value as text, or null for JSON null */
    private static String value(JsonParser p, JsonToken token, String name) throws IOException {
        return switch (token) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE -> p.getText();
            case VALUE_NULL -> null;
            default -> throw ApiError.badRequest("wrong_type", "'" + name + "' must be a string, a number, a boolean or null"
                    + " (attributes are flat); got " + (token == JsonToken.START_ARRAY ? "an array" : "an object"), name);
        };
    }

    private static String check(String name, String value) {
        if (value.length() > MAX_VALUE_CHARS) {
            throw ApiError.badRequest("value_too_long", "'" + name + "' is " + value.length() + " characters long; at most "
                    + MAX_VALUE_CHARS, name);
        }
        try {
            DateAttributes.validate(name, value);
        } catch (IllegalArgumentException e) {
            throw new ApiError(422, "invalid_date", e.getMessage(), name);
        }
        return value;
    }

    private static String text(JsonParser p, JsonToken token, String name) throws IOException {
        if (token == JsonToken.VALUE_NULL) {
            throw ApiError.badRequest("invalid_value", "'" + name + "' cannot be removed, only set", name);
        }
        if (token != JsonToken.VALUE_STRING) {
            throw ApiError.badRequest("wrong_type", "'" + name + "' must be a string", name);
        }
        return p.getText();
    }

    private static String zone(String zone) {
        try {
            return ZoneId.of(zone.strip()).getId();
        } catch (DateTimeException e) {
            throw ApiError.badRequest("invalid_value", "'tz' must be an IANA time-zone id such as Europe/London; got '"
                    + shown(zone) + "'", "tz");
        }
    }

    private static String locale(String locale) {
        try {
            String tag = new Locale.Builder().setLanguageTag(locale.strip().replace('_', '-')).build().toLanguageTag();
            if (!tag.equals("und")) {
                return tag;
            }
        } catch (IllformedLocaleException e) {
            // answered below
        }
        throw ApiError.badRequest("invalid_value", "'locale' must be a BCP 47 language tag such as en-GB; got '"
                + shown(locale) + "'", "locale");
    }

    private static String kind(String nodeType) {
        return switch (nodeType) {
            case "ARRAY" -> "an array";
            case "STRING" -> "a string";
            case "NUMBER" -> "a number";
            case "BOOLEAN" -> "a boolean";
            default -> nodeType.toLowerCase(Locale.ROOT);
        };
    }

    private static String shown(String s) {
        return s.length() > 70 ? s.substring(0, 70) + "…" : s;
    }
}
