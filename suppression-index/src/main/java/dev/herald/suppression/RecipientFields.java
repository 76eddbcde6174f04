package dev.herald.suppression;

import java.util.Map;
import java.util.Objects;

/**
 * What a message needs of one recipient: its id, its number and the personal fields a template
 * names, read from the directory without decoding the rest of the record.
 *
 * <p>{@code RecipientFields r = directory.fields(id, List.of("first_name")).orElseThrow(); String name = r.fields().get("first_name");}
 *
 * <p>Immutable and thread-safe. Unlike {@link Recipient}, it says nothing about the fields it
 * was not asked for, nor about the region, zone or locale.
 *
 * @param id     dense id handed out by the directory, {@code >= 0}
 * @param e164   the number in E.164 form, e.g. {@code +447400123456}
 * @param fields of the names asked for, those the recipient has, with their values (never empty);
 *               unmodifiable
 */
public record RecipientFields(int id, String e164, Map<String, String> fields) {

    /**
     * @throws IllegalArgumentException if {@code id} is negative
     * @throws NullPointerException     if {@code e164} or {@code fields} is null
     */
    public RecipientFields {
        if (id < 0) {
            throw new IllegalArgumentException("recipient id must be >= 0, got " + id);
        }
        Objects.requireNonNull(e164, "e164");
        Objects.requireNonNull(fields, "fields");
    }
}
