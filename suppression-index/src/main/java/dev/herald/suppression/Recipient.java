package dev.herald.suppression;

import java.time.ZoneId;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One recipient of the directory: its dense id, its number and the attributes used to reach it
 * (time zone, locale) and to personalise messages.
 *
 * <p>{@code String name = directory.get(id).map(r -> r.fields().get("first_name")).orElse("there");}
 *
 * <p>Immutable and thread-safe; {@link #fields()} is an unmodifiable, insertion-ordered copy.
 *
 * @param id     dense id handed out by the directory, {@code >= 0}
 * @param e164   the number in E.164 form, e.g. {@code +447400123456}
 * @param region the number's ISO 3166 alpha-2 region, e.g. {@code GB} ({@code 001} for
 *               non-geographic numbers)
 * @param zone   IANA time-zone id given for the recipient, or null when unknown (quiet hours then
 *               use {@link PhoneNumbers#zonesOf} of the number)
 * @param locale BCP 47 language tag, e.g. {@code en-GB}, or null when unknown
 * @param fields personal fields, e.g. {@code first_name}; never null, values never empty
 */
public record Recipient(int id, String e164, String region, String zone, String locale, Map<String, String> fields) {

    /**
     * @throws IllegalArgumentException if {@code id} is negative
     * @throws NullPointerException     if {@code e164}, {@code region}, or a field name or value is
     *                                  null
     */
    public Recipient {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        Objects.requireNonNull(e164, "e164");
        Objects.requireNonNull(region, "region");
        Map<String, String> copy = new LinkedHashMap<>();
        if (fields != null) {
            fields.forEach((name, value) -> copy.put(Objects.requireNonNull(name, "field name"),
                    Objects.requireNonNull(value, () -> "value of field " + name)));
        }
        fields = Collections.unmodifiableMap(copy);
    }

    /** @return the directory key of the number (its E.164 digits) */
    public long key() {
        return PhoneNumbers.toKey(e164);
    }

    /**
     * @return the recipient's own zone, if one was given
     * @throws java.time.DateTimeException if the stored zone id is no longer known to this JVM's
     *                                     time-zone database
     */
    public Optional<ZoneId> zoneId() {
        return zone == null ? Optional.empty() : Optional.of(ZoneId.of(zone));
    }
}
