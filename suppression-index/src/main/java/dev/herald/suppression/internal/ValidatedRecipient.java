package dev.herald.suppression.internal;

import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.Collections;
import java.util.IllformedLocaleException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registration input that passed every check, ready to be applied without further failure: the
 * number fully validated, zone and locale canonical, fields cleaned, the record already encoded.
 * Validating everything first is what makes a CSV line apply completely or not at all.
 *
 * <p>{@code ValidatedRecipient v = ValidatedRecipient.of(numbers, "+447400123456", "Europe/London", "en-GB", Map.of());}
 *
 * <p>Cleaning rules: zone and locale are stripped, blank means absent; a zone must be a
 * {@link ZoneId} id (IANA region or offset) and is stored as {@link ZoneId#getId()}; a locale must
 * be a well-formed BCP 47 tag ({@code _} is accepted for {@code -}) and is stored as
 * {@link Locale#toLanguageTag()}; field values are stripped and an empty value means "no value".
 *
 * <p>Immutable (do not modify {@link #encoded()}) and thread-safe.
 *
 * @param key     E.164 key
 * @param e164    E.164 number
 * @param region  region of the number
 * @param zone    canonical zone id or null
 * @param locale  canonical language tag or null
 * @param fields  non-empty personal fields, insertion-ordered, unmodifiable
 * @param encoded the {@link RecipientCodec} record of all of the above
 */
public record ValidatedRecipient(long key, String e164, String region, String zone, String locale,
                                 Map<String, String> fields, byte[] encoded) {

    private static final int CACHE_LIMIT = 4096;
    private static final Map<String, String> ZONES = new ConcurrentHashMap<>();
    private static final Map<String, String> LOCALES = new ConcurrentHashMap<>();

    /**
     * @param numbers normalisation to apply to {@code phone}
     * @param phone   the number as given
     * @param zone    time-zone id, null or blank for unknown
     * @param locale  BCP 47 tag, null or blank for unknown
     * @param fields  personal fields, null for none; null or blank values are dropped
     * @return the validated input
     * @throws InvalidPhoneNumberException if the number is not valid
     * @throws IllegalArgumentException    if the zone, locale or a field name is invalid, or the
     *                                     record would exceed {@link RecipientCodec#MAX_ENCODED_BYTES}
     * @throws NullPointerException        if {@code numbers} or {@code phone} is null
     */
    public static ValidatedRecipient of(PhoneNumbers numbers, String phone, String zone, String locale,
                                        Map<String, String> fields) {
        PhoneNumbers.Normalized number = numbers.normalize(phone);
        String z = zone(zone);
        String l = locale(locale);
        Map<String, String> f = fields(fields);
        byte[] encoded = RecipientCodec.encode(number.key(), number.region(), z, l, f);
        return new ValidatedRecipient(number.key(), number.e164(), number.region(), z, l, f, encoded);
    }

    /**
     * The attributes after registering this input over an existing recipient: non-empty
     * incoming values overwrite, everything else is kept (fields keep their original order, new
     * ones are appended).
     *
     * @param existing the stored recipient with the same number
     * @return the merged recipient, equal to {@code existing} when nothing changes
     */
    public Recipient mergeInto(Recipient existing) {
        return mergeInto(existing, java.util.Set.of());
    }

    /**
     * As {@link #mergeInto(Recipient)}, first dropping the fields named in {@code remove} (names
     * the recipient does not have are ignored; a name also set by this input is set).
     *
     * @param existing the stored recipient with the same number
     * @param remove   field names to drop
     * @return the merged recipient, equal to {@code existing} when nothing changes
     */
    public Recipient mergeInto(Recipient existing, java.util.Set<String> remove) {
        Map<String, String> merged = new LinkedHashMap<>(existing.fields());
        merged.keySet().removeAll(remove);
        merged.putAll(fields);
        return new Recipient(existing.id(), existing.e164(), existing.region(),
                zone != null ? zone : existing.zone(),
                locale != null ? locale : existing.locale(), merged);
    }

    /**
     * @param zone a zone id as given, or null
     * @return the canonical id, or null when blank
     * @throws IllegalArgumentException if the zone is unknown
     */
    public static String zone(String zone) {
        if (zone == null || zone.isBlank()) {
            return null;
        }
        String cached = ZONES.get(zone);
        if (cached != null) {
            return cached;
        }
        String id;
        try {
            id = ZoneId.of(zone.strip()).getId();
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("unknown time zone '" + abbreviate(zone)
                    + "' (expected an IANA id such as Europe/London)");
        }
        return remember(ZONES, zone, id);
    }

    /**
     * @param locale a BCP 47 tag as given, or null
     * @return the canonical tag, or null when blank
     * @throws IllegalArgumentException if the tag is not well-formed
     */
    public static String locale(String locale) {
        if (locale == null || locale.isBlank()) {
            return null;
        }
        String cached = LOCALES.get(locale);
        if (cached != null) {
            return cached;
        }
        String tag;
        try {
            tag = new Locale.Builder().setLanguageTag(locale.strip().replace('_', '-')).build().toLanguageTag();
        } catch (IllformedLocaleException e) {
            throw new IllegalArgumentException("invalid locale '" + abbreviate(locale)
                    + "' (expected a BCP 47 language tag such as en-GB)");
        }
        return remember(LOCALES, locale, tag);
    }

    private static Map<String, String> fields(Map<String, String> fields) {
        Map<String, String> clean = new LinkedHashMap<>();
        if (fields == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> field : fields.entrySet()) {
            String name = Objects.requireNonNull(field.getKey(), "field name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("blank field name");
            }
            String value = field.getValue() == null ? "" : field.getValue().strip();
            if (!value.isEmpty()) {
                clean.put(name, value);
            }
        }
        return Collections.unmodifiableMap(clean);
    }

    private static String remember(Map<String, String> cache, String given, String canonical) {
        if (cache.size() < CACHE_LIMIT) {
            cache.put(given, canonical);
        }
        return canonical;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
