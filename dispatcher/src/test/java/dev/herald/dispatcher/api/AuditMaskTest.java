package dev.herald.dispatcher.api;

import dev.herald.suppression.PhoneNumbers;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** A number the API accepts in a path, in any form, never reaches the audit log unmasked (found in review). */
class AuditMaskTest {

    @Test
    void everyFormTheApiAcceptsIsMasked() {
        PhoneNumbers numbers = PhoneNumbers.international();
        long key = numbers.lookupKey("+447700900123");
        // path segments as Pekko renders them; each is the same recipient for phoneId (it strips, then lookupKey)
        String[][] forms = {
                {"+44.7700.900.123", "+44.7700.900.123"},
                {"%20+447700900123", " +447700900123"},
                {"+44%20(0)%207700%20-%20900%20-%20123", "+44 (0) 7700 - 900 - 123"},
                {"%EF%BC%8B447700900123", "\uFF0B447700900123"},
        };
        StringBuilder leaked = new StringBuilder();
        for (String[] f : forms) {
            assertEquals(key, numbers.lookupKey(f[1].strip()), f[1]);
            String masked = AuditLog.maskPath("/v1/suppressions/" + f[0]);
            if (masked.contains("900") && (masked.contains("7700") || masked.contains("123"))) {
                leaked.append(masked).append('\n');
            }
        }
        assertFalse(leaked.length() > 0, "unmasked in the audit log:\n" + leaked);
        // on every route that takes a number, and never a campaign id (digits, but no number)
        assertEquals("/v1/recipients/+*********123/campaigns", AuditLog.maskPath("/v1/recipients/%2B447700900123/campaigns"));
        assertEquals("/v1/campaigns/c-20261207-123824-6a56dc17/recipients/+*********123",
                AuditLog.maskPath("/v1/campaigns/c-20261207-123824-6a56dc17/recipients/%2B447700900123"));
        assertEquals("/v1/campaigns/c-20261207-123824-6a56dc17/pause", AuditLog.maskPath("/v1/campaigns/c-20261207-123824-6a56dc17/pause"));
        assertEquals("/v1/suppressions", AuditLog.maskPath("/v1/suppressions"));
    }
}
