package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.campaign.CampaignRecord;

import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class CampaignIdsTest {

    private static final Instant NOW = Instant.parse("2026-12-01T09:00:00Z");

    @Test
    void shouldDeriveTheSameIdFromTheSameKeyAsTheFirst24HexDigitsOfItsSha256() {
        // sha256("spring-1") = 8555c0d21d89b57e19d72e9a35767af5... (`printf %s spring-1 | sha256sum`)
        String id = CampaignIds.forKey("spring-1");
        assertEquals("c-8555c0d21d89b57e19d72e9a", id);
        assertEquals(id, CampaignIds.forKey("spring-1"));
        assertTrue(id.matches("c-[0-9a-f]{24}"), id);
        assertNotEquals(id, CampaignIds.forKey("spring-2"));
        CampaignRecord.checkId(id); // a valid stored id
    }

    @Test
    void shouldMintFreshIdsStampedWithTheInstantAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String id = CampaignIds.mint(Optional.empty(), NOW);
            assertTrue(id.matches("c-20261201-090000-[0-9a-f]{8}"), id);
            CampaignRecord.checkId(id);
            seen.add(id);
        }
        assertTrue(seen.size() > 95, "random suffixes: " + seen.size());
        assertEquals(CampaignIds.forKey("k"), CampaignIds.mint(Optional.of("k"), NOW));
    }

    @Test
    void shouldRefuseABlankOrOverlongKey() {
        for (String key : new String[] {"", "  ", "k".repeat(201)}) {
            ApiError e = assertThrows(ApiError.class, () -> CampaignIds.forKey(key));
            assertEquals(400, e.status());
            assertEquals("invalid_header", e.code());
            assertEquals("Idempotency-Key must be 1-200 characters", e.getMessage());
        }
        assertTrue(CampaignIds.forKey("k".repeat(200)).startsWith("c-"));
    }
}
