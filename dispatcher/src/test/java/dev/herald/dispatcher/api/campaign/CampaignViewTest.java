package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ApiDirectives;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.sender.MarketingCompliance;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CampaignViewTest {

    private static final Instant T = Instant.parse("2026-12-01T09:00:00Z");

    private static CampaignRecord campaign(long audience) {
        return CampaignRecord.create("c-1", "Spring", "sms", "marketing", "acme", "hi", "", audience, T, null, null);
    }

    @Test
    void shouldShowAllOfANewCampaignAsPendingInEveryFamilyOrder() {
        CampaignView v = CampaignView.of(campaign(42));
        assertEquals(List.of("sent", "suppressed", "deferred", "capped", "failed", "unknown", "pending", "expired", "inFlight", "held"),
                List.copyOf(v.counts().keySet()));
        assertEquals(42L, v.counts().get("pending"));
        assertEquals(42L, v.counts().values().stream().mapToLong(Long::longValue).sum());
        assertEquals(Map.of(), v.outcomes());
        assertEquals("scheduled", v.status());
        assertEquals(42, v.total());
    }

    @Test
    void shouldGroupDetailedOutcomesIntoTheirFamilies() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("sent", 5L);
        counts.put("suppressed:global", 2L);
        counts.put("suppressed:sender:acme", 1L);
        counts.put("deferred", 3L);
        counts.put("capped:daily", 4L);
        counts.put("failed:rejected", 1L);
        counts.put("expired:never-open", 2L);
        counts.put("unknown", 1L);
        counts.put("returned", 1L);           // not a family of its own: failed
        counts.put("claimed", 6L);            // handed towards the connector: inFlight
        counts.put("pending", 7L);
        counts.put("capped:weekly", 0L);      // no recipient: not listed among outcomes
        CampaignView v = CampaignView.of(campaign(34).withStatus(CampaignStatus.RUNNING, T).withCounts(counts));
        Map<String, Long> families = new LinkedHashMap<>();
        families.put("sent", 5L);
        families.put("suppressed", 3L);
        families.put("deferred", 3L);
        families.put("capped", 4L);
        families.put("failed", 2L);
        families.put("unknown", 1L);
        families.put("pending", 7L);
        families.put("expired", 2L);
        families.put("inFlight", 6L);
        families.put("held", 0L);
        assertEquals(families, v.counts());
        Map<String, Long> outcomes = new LinkedHashMap<>(counts);
        outcomes.keySet().removeAll(List.of("claimed", "pending", "capped:weekly"));
        assertEquals(outcomes, v.outcomes(), "every detailed outcome that has recipients, claimed and pending aside");
        assertEquals("running", v.status());
    }

    @Test
    void shouldFamilyAnOutcomeByItsHeadAndAnythingUnknownAsFailed() {
        assertEquals("suppressed", CampaignView.familyOf("suppressed:category:promo"));
        assertEquals("sent", CampaignView.familyOf("sent"));
        assertEquals("expired", CampaignView.familyOf("expired"));
        assertEquals("failed", CampaignView.familyOf("deferred@12345"));
        assertEquals("failed", CampaignView.familyOf("something-new"));
    }

    @Test
    void shouldWriteEveryFieldNullsIncludedAndAddTheComplianceToACreatesAnswer() throws Exception {
        CampaignView v = CampaignView.of(campaign(1));
        JsonNode json = ApiDirectives.JSON.readTree(ApiDirectives.JSON.writeValueAsBytes(v));
        assertEquals(List.of("id", "name", "status", "channel", "category", "sender", "total", "counts", "outcomes", "createdAt",
                "startAt", "localTime", "startedAt", "finishedAt", "expiresAt", "error", "connector", "trackLinks", "attribution", "delivery"),
                fieldNames(json));
        assertEquals("2026-12-01T09:00:00Z", json.path("createdAt").asText());
        assertEquals(true, json.path("startAt").isNull());
        assertEquals(true, json.path("connector").isNull(), "a bare view: the record names no connector");
        assertEquals(0, json.path("delivery").size(), "no receipts: an empty object");
        JsonNode shown = ApiDirectives.JSON.readTree(ApiDirectives.JSON.writeValueAsBytes(
                v.withDelivery("acme-smsc", Map.of("delivered", 3L, "undelivered:undeliverable", 1L))));
        assertEquals("acme-smsc", shown.path("connector").asText());
        assertEquals(3, shown.path("delivery").path("delivered").asLong());
        assertEquals(1, shown.path("delivery").path("undelivered:undeliverable").asLong());
        MarketingCompliance.Result r = new MarketingCompliance.Result("Reply STOP", true,
                List.of(new MarketingCompliance.Warning(MarketingCompliance.FLAGGED_WORD, "'free' is flagged", "free")), false);
        Map<String, Object> answer = v.withCompliance(r);
        List<String> keys = List.copyOf(answer.keySet());
        assertEquals(List.of("footer", "warnings"), keys.subList(keys.size() - 2, keys.size()));
        assertEquals("Reply STOP", answer.get("footer"));
        assertEquals(CampaignCompliance.warnings(r), answer.get("warnings"));
        assertEquals("c-1", answer.get("id"));
    }

    private static List<String> fieldNames(JsonNode json) {
        List<String> names = new java.util.ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
