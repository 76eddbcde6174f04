package dev.herald.dispatcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.api.PhoneMask;
import dev.herald.suppression.InvalidPhoneNumberException;
import dev.herald.suppression.PhoneNumbers;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A JSON opt-out request ({@code {"phones": [...], "scope", "reason"}}) split by partition: each
 * valid number goes to its partition in a request of its own (the same scope and reason); the
 * numbers that are not numbers are refused here, with their position and the reason a single node
 * gives.
 *
 * @param byPartition each partition with the positions (in {@code phones}) of its numbers
 * @param rejected    the refused numbers: {@code {"index", "phone" (masked), "reason"}}
 * @param phones      the request's numbers
 */
record OptOutSplit(Map<Integer, List<Integer>> byPartition, List<Map<String, Object>> rejected, List<String> phones) {

    private static final PhoneNumbers NUMBERS = PhoneNumbers.international();

    /** @return the split, or null if the body is not an object with a list of strings as {@code phones} */
    static OptOutSplit of(HttpCall call, Partitioner partitioner) {
        JsonNode body;
        try {
            body = ApiDirectives.JSON.readTree(call.body());
        } catch (java.io.IOException e) {
            return null;
        }
        if (body == null || !body.isObject() || !body.path("phones").isArray() || body.path("phones").isEmpty()) {
            return null;
        }
        List<String> phones = new ArrayList<>();
        for (JsonNode p : body.path("phones")) {
            if (!p.isTextual() && !p.isNull()) {
                return null;
            }
            phones.add(p.isNull() ? null : p.asText());
        }
        Map<Integer, List<Integer>> by = new TreeMap<>();
        List<Map<String, Object>> rejected = new ArrayList<>();
        for (int i = 0; i < phones.size(); i++) {
            String raw = phones.get(i);
            if (raw == null || raw.isBlank()) {
                rejected.add(error(i, raw, "missing phone number"));
                continue;
            }
            try {
                PhoneNumbers.Normalized n = NUMBERS.normalize(raw.strip());
                by.computeIfAbsent(partitioner.ofKey(n.key()), k -> new ArrayList<>()).add(i);
            } catch (InvalidPhoneNumberException e) {
                rejected.add(error(i, raw, e.reason().text()));
            }
        }
        return new OptOutSplit(by, rejected, phones);
    }

    private static Map<String, Object> error(long index, String phone, String reason) {
        Map<String, Object> e = new java.util.LinkedHashMap<>();
        e.put("index", index);
        e.put("phone", PhoneMask.mask(phone));
        e.put("reason", reason);
        return e;
    }

    /** @return {@code call} with only the numbers at {@code positions} */
    HttpCall callFor(HttpCall call, List<Integer> positions) {
        try {
            ObjectNode body = (ObjectNode) ApiDirectives.JSON.readTree(call.body());
            ArrayNode some = body.putArray("phones");
            positions.forEach(i -> some.add(phones.get(i)));
            return call.withBody(body.toString().getBytes(StandardCharsets.UTF_8), "application/json");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // parsed once already
        }
    }
}
