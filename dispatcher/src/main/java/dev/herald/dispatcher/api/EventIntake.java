package dev.herald.dispatcher.api;

import com.fasterxml.jackson.databind.JsonNode;

import dev.herald.dispatcher.journey.Event;
import dev.herald.dispatcher.journey.EventSettings;
import dev.herald.suppression.RecipientDirectory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads one event of {@code POST /v1/events} (a JSON object, or one NDJSON line) into an
 * {@link Event}: every field checked, the recipient found.
 *
 * <pre>{@code
 * EventIntake intake = new EventIntake(directory, settings, clock);
 * Event e = intake.read(lineBytes);   // or an ApiError naming the field
 * }</pre>
 *
 * <p><b>Fields.</b> {@code id} 1-128 characters without control characters (a retry with the same
 * id changes nothing); {@code phone} a number the recipient directory knows; {@code name} 1-64
 * characters of {@code [a-z0-9_.-]}; {@code at} optional, an ISO-8601 instant, not more than
 * {@code future-skew} ahead of now nor older than {@code max-age} (default: now);
 * {@code properties} optional, a flat JSON object of at most {@code max-properties} keys (1-64
 * characters each), each value a string, a number or a boolean, at most
 * {@code max-properties-bytes} as compact JSON. Unknown fields are refused.
 *
 * <p>Thread-safe (the directory is).
 */
public final class EventIntake {

    /**
     * One event as posted.
     *
     * @param id         the caller's event id: a retry with the same one changes nothing
     * @param phone      the recipient's number, E.164 (or national with the directory's default region)
     * @param name       what happened, e.g. {@code cart_abandoned}
     * @param at         when it happened, ISO-8601 (optional: now)
     * @param properties a flat object of strings, numbers and booleans (optional)
     */
    public record EventJson(String id, String phone, String name, String at, JsonNode properties) {
    }


    private final RecipientDirectory directory;
    private final EventSettings settings;
    private final Clock clock;

    /**
     * @param directory resolves phones
     * @param settings  age, skew, batch and property limits
     * @param clock     now
     */
    public EventIntake(RecipientDirectory directory, EventSettings settings, Clock clock) {
        this.directory = directory;
        this.settings = settings;
        this.clock = clock;
    }

    /** @return the settings this intake checks against */
    public EventSettings settings() {
        return settings;
    }

    /**
     * @param json one JSON object
     * @return the event, received now
     * @throws ApiError 400 naming the field for anything wrong
     */
    public Event read(byte[] json) {
        return check(ApiDirectives.parse(json, EventJson.class));
    }

    /** As {@link #read}, for a body already parsed. */
    public Event check(EventJson j) {
        long now = clock.millis();
        String id = id(j.id());
        String name = name(j.name());
        long at = at(j.at(), now);
        Map<String, Object> properties = properties(j.properties());
        int recipient = recipient(j.phone());
        return new Event(id, recipient, name, at, now, properties);
    }

    private static String id(String id) {
        if (id == null) {
            throw ApiError.badRequest("missing_field", "'id' is required: the event's id makes a retry change nothing", "id");
        }
        if (!Event.validId(id)) {
            throw ApiError.badRequest("invalid_value", "'id' must be 1-" + Event.MAX_ID
                    + " characters without control characters", "id");
        }
        return id;
    }

    private static String name(String name) {
        if (name == null) {
            throw ApiError.badRequest("missing_field", "'name' is required: what happened, e.g. signed_up or cart_abandoned",
                    "name");
        }
        if (!Event.validName(name)) {
            throw ApiError.badRequest("invalid_value", "'name' must be 1-" + Event.MAX_NAME + " characters of a-z, 0-9, '_', '.'"
                    + " and '-', got '" + (name.length() > 70 ? name.substring(0, 70) + "…" : name) + "'", "name");
        }
        return name;
    }

    private long at(String t, long now) {
        if (t == null) {
            return now;
        }
        Instant at;
        try {
            at = Instant.parse(t.strip());
        } catch (DateTimeParseException e) {
            throw ApiError.badRequest("invalid_value", "'at' must be an ISO-8601 instant such as 2026-12-07T09:00:00Z, got '"
                    + (t.length() > 40 ? t.substring(0, 40) + "…" : t) + "'", "at");
        }
        if (at.isAfter(Instant.ofEpochMilli(now).plus(settings.futureSkew()))) {
            throw ApiError.badRequest("invalid_value", "'at' " + at + " is in the future (more than "
                    + settings.futureSkew() + " ahead of this server's clock; herald.journeys.events.future-skew)", "at");
        }
        if (at.isBefore(Instant.ofEpochMilli(now).minus(settings.maxAge()))) {
            throw ApiError.badRequest("invalid_value", "'at' " + at + " is older than " + settings.maxAge()
                    + " (herald.journeys.events.max-age)", "at");
        }
        return at.toEpochMilli();
    }

    private Map<String, Object> properties(JsonNode p) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (p == null || p.isNull()) {
            return out;
        }
        if (!p.isObject()) {
            throw ApiError.badRequest("wrong_type", "'properties' must be a JSON object of strings, numbers and booleans",
                    "properties");
        }
        if (p.size() > settings.maxProperties()) {
            throw ApiError.badRequest("too_many_properties", "'properties' has " + p.size() + " keys; at most "
                    + settings.maxProperties() + " (herald.journeys.events.max-properties)", "properties");
        }
        int bytes = p.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > settings.maxPropertiesBytes()) {
            throw ApiError.badRequest("properties_too_large", "'properties' is " + bytes + " bytes as JSON; at most "
                    + settings.maxPropertiesBytes() + " (herald.journeys.events.max-properties-bytes)", "properties");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (!Event.validKey(key)) {
                throw ApiError.badRequest("invalid_value", "'properties': a key must be 1-" + Event.MAX_KEY
                        + " characters without control characters", "properties");
            }
            JsonNode v = e.getValue();
            String shown = key.length() > 40 ? key.substring(0, 40) + "…" : key;
            if (v.isTextual()) {
                out.put(key, v.textValue());
            } else if (v.isBoolean()) {
                out.put(key, v.booleanValue());
            } else if (v.isNumber()) {
                if (v.isFloatingPointNumber() && !Double.isFinite(v.doubleValue()) && !v.isBigDecimal()) {
                    throw ApiError.badRequest("invalid_value", "'properties." + shown + "' is not a finite number", "properties");
                }
                out.put(key, v.decimalValue());
            } else {
                throw ApiError.badRequest("invalid_value", "'properties." + shown + "' must be a string, a number or a boolean"
                        + " (properties are flat; got " + v.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ")",
                        "properties");
            }
        }
        return out;
    }

    private int recipient(String phone) {
        return PhoneField.recipient(directory, phone, "whose event it is");
    }
}
