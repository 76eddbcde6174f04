package dev.herald.dispatcher.sender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import java.util.List;

import org.junit.jupiter.api.Test;

class MarketingComplianceTest {

    private static final SenderProfiles SENDERS = SenderProfiles.fromConfig(ConfigFactory.parseString("""
            herald.senders.profiles {
              acme { brand = "ACME", prefix = "{brand}: ", flagged-words = ["free", "winner", "act now", "免费"],
                     flagged-policy = refuse }
              shop-cn { brand = "小店", footer = "回T退订", prefix = "【{brand}】" }
              quiet { footer = "" }
            }""").withFallback(ConfigFactory.defaultReference()).resolve());

    private static MarketingCompliance.Result check(String sender, String category, String text, String footer) {
        return MarketingCompliance.check(SENDERS.profile(sender), category, text, footer);
    }

    @Test
    void shouldUseTheSendersFooterWhenTheRequestGivesNoneOrAnEmptyOne() {
        assertEquals("Reply STOP to opt out", check("other", "marketing", "Sale", null).footer());
        assertEquals("Reply STOP to opt out", check("other", "marketing", "Sale", "").footer());
        assertEquals("Reply STOP to opt out", check("other", "marketing", "Sale", "   ").footer());
        assertEquals("回T退订", check("shop-cn", "promotions", "【小店】大促", null).footer());
    }

    @Test
    void shouldKeepTheCampaignsOwnFooterAndAddTheSendersWhenItLacksIt() {
        assertEquals("Thanks!\nReply STOP to opt out", check("other", "marketing", "Sale", "Thanks!").footer());
        assertEquals("Thanks, reply stop  to OPT out", check("other", "marketing", "Sale", "Thanks, reply stop  to OPT out")
                .footer());
        assertEquals("退订回T\n回T退订", check("shop-cn", "marketing", "【小店】大促", "退订回T").footer());
        assertEquals("感谢 回 T 退订", check("shop-cn", "marketing", "【小店】大促", "感谢 回 T 退订").footer());
    }

    @Test
    void shouldLeaveTransactionalCampaignsAndFooterlessProfilesAlone() {
        MarketingCompliance.Result r = check("acme", "transactional", "Your free parcel", null);
        assertEquals("", r.footer());
        assertFalse(r.marketing());
        assertEquals(List.of(), r.warnings());
        assertEquals("Order shipped", check("acme", "Transactional", "x", "Order shipped").footer());
        assertEquals("", check("quiet", "marketing", "Sale", null).footer());
        assertEquals("Bye", check("quiet", "marketing", "Sale", "Bye").footer());
    }

    @Test
    void shouldRequireTheBrandPrefixOnMarketingText() {
        assertFalse(check("acme", "marketing", "ACME: spring sale", null).missingPrefix());
        assertFalse(check("acme", "marketing", "  ACME: spring sale", null).missingPrefix());
        assertTrue(check("acme", "marketing", "Spring sale at ACME: today", null).missingPrefix());
        assertTrue(check("acme", "marketing", "acme: spring sale", null).missingPrefix(), "the brand's own spelling");
        assertEquals(MarketingCompliance.MISSING_BRAND_PREFIX,
                check("acme", "marketing", "Sale", null).warnings().get(0).code());
        assertFalse(check("shop-cn", "marketing", "【小店】双十一大促", null).missingPrefix());
        assertTrue(check("shop-cn", "marketing", "双十一大促【小店】", null).missingPrefix());
        assertFalse(check("other", "marketing", "anything", null).missingPrefix(), "no prefix configured: not checked");
    }

    @Test
    void shouldFlagWholeWordsOnlyCaseInsensitively() {
        List<String> words = List.of("free", "winner", "act now", "免费");
        assertEquals(List.of("free"), MarketingCompliance.flaggedWords("Get it FREE today", words));
        assertEquals(List.of("free"), MarketingCompliance.flaggedWords("Free!", words));
        assertEquals(List.of("free"), MarketingCompliance.flaggedWords("(free)", words));
        assertEquals(List.of(), MarketingCompliance.flaggedWords("Celebrate freedom", words));
        assertEquals(List.of(), MarketingCompliance.flaggedWords("carefree days, a winners' club", words));
        assertEquals(List.of(), MarketingCompliance.flaggedWords("free2play", words));
        assertEquals(List.of("free"), MarketingCompliance.flaggedWords("ＦＲＥＥ shipping", words), "full-width letters");
        assertEquals(List.of(), MarketingCompliance.flaggedWords("freé", words), "an accent makes another word");
        assertEquals(List.of("free", "winner", "act now"),
                MarketingCompliance.flaggedWords("Winner! ACT  NOW? no: act now, it's free", words));
        assertEquals(List.of("免费"), MarketingCompliance.flaggedWords("全场免费送", words), "Han needs no spaces");
        assertEquals(List.of("free"), MarketingCompliance.flaggedWords("全场free送", words));
        assertEquals(List.of(), MarketingCompliance.flaggedWords("", words));
    }

    @Test
    void shouldReportFlaggedWordsWithThePolicy() {
        MarketingCompliance.Result r = check("acme", "marketing", "ACME: free gifts for every winner", null);
        assertEquals(List.of("free", "winner"), r.flaggedWords());
        assertTrue(r.refuseWords());
        assertEquals("free", r.warnings().get(0).word());
        assertEquals(MarketingCompliance.FLAGGED_WORD, r.warnings().get(0).code());
        assertFalse(check("other", "marketing", "free", null).refuseWords());
        assertEquals(List.of(), check("acme", "transactional", "free", null).flaggedWords());
    }
}
