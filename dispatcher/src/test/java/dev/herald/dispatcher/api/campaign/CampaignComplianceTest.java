package dev.herald.dispatcher.api.campaign;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.api.ApiError;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.sender.MarketingCompliance;
import dev.herald.dispatcher.sender.SenderProfiles;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CampaignComplianceTest {

    private static CampaignCompliance compliance(String profiles) {
        return new CampaignCompliance(SenderProfiles.fromConfig(ConfigFactory.parseString(profiles)
                .withFallback(ConfigFactory.defaultReference()).resolve()));
    }

    private static CampaignRecord campaign(String sender, String category, String text) {
        return CampaignRecord.create("c-1", "n", "sms", category, sender, text, "", 0, Instant.parse("2026-12-01T09:00:00Z"),
                null, null);
    }

    @Test
    void shouldAddTheProfilesFooterToMarketingAndNothingToTransactional() {
        CampaignCompliance c = compliance("herald.senders.profiles { acme { footer = \"Reply STOP to end\" } }");
        MarketingCompliance.Result marketing = c.check(campaign("acme", "marketing", "Sale today"));
        assertEquals("Reply STOP to end", marketing.footer());
        assertEquals(List.of(), CampaignCompliance.warnings(marketing));
        assertDoesNotThrow(() -> CampaignCompliance.refuseIfNotCompliant(marketing));
        assertEquals("", c.check(campaign("acme", "transactional", "Your code is 1234")).footer());
    }

    @Test
    void shouldRefuseMarketingTextWithoutTheBrandPrefixWith422() {
        CampaignCompliance c = compliance("herald.senders.profiles { acme { brand = ACME, prefix = \"{brand}: \" } }");
        MarketingCompliance.Result r = c.check(campaign("acme", "marketing", "Sale today"));
        ApiError e = assertThrows(ApiError.class, () -> CampaignCompliance.refuseIfNotCompliant(r));
        assertEquals(422, e.status());
        assertEquals("missing_brand_prefix", e.code());
        assertEquals("text", e.field());
        assertEquals("marketing text of sender 'acme' must start with its brand prefix 'ACME:'", e.getMessage());
        Map<String, Object> shown = CampaignCompliance.warnings(r).get(0);
        assertEquals("missing_brand_prefix", shown.get("code"));
        assertEquals(true, shown.get("blocking"));
        assertTrue(shown.containsKey("word") && shown.get("word") == null, "word listed, null: " + shown);
        assertDoesNotThrow(() -> CampaignCompliance.refuseIfNotCompliant(
                c.check(campaign("acme", "marketing", "ACME: Sale today"))));
    }

    @Test
    void shouldWarnOfFlaggedWordsAndRefuseThemOnlyWhenThePolicySaysSo() {
        String words = "flagged-words = [\"free\", \"winner\"]";
        MarketingCompliance.Result warned = compliance("herald.senders.profiles { acme { " + words + " } }")
                .check(campaign("acme", "marketing", "A FREE gift for every winner"));
        assertDoesNotThrow(() -> CampaignCompliance.refuseIfNotCompliant(warned));
        List<Map<String, Object>> shown = CampaignCompliance.warnings(warned);
        assertEquals(List.of("free", "winner"), shown.stream().map(w -> w.get("word")).toList());
        assertEquals(List.of(false, false), shown.stream().map(w -> w.get("blocking")).toList());
        MarketingCompliance.Result refused = compliance("herald.senders.profiles { acme { " + words
                + ", flagged-policy = refuse } }").check(campaign("acme", "marketing", "A FREE gift for every winner"));
        ApiError e = assertThrows(ApiError.class, () -> CampaignCompliance.refuseIfNotCompliant(refused));
        assertEquals(422, e.status());
        assertEquals("flagged_words", e.code());
        assertEquals("'text' has words the sender's policy refuses: free, winner", e.getMessage());
        assertEquals(List.of(true, true), CampaignCompliance.warnings(refused).stream().map(w -> w.get("blocking")).toList());
    }
}
