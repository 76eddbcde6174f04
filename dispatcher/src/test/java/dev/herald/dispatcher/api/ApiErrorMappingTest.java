package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import dev.herald.dispatcher.campaign.CampaignRejection;

/** How campaign refusals become HTTP answers: a campaign too busy to answer is 503 (retry), not a 409. */
class ApiErrorMappingTest {

    @Test
    void campaignRejectionsMapToTheirStatus() {
        assertEquals(404, status(CampaignRejection.Reason.NOT_FOUND));
        assertEquals(409, status(CampaignRejection.Reason.CONFLICT));
        assertEquals(400, status(CampaignRejection.Reason.INVALID));
        assertEquals(503, status(CampaignRejection.Reason.BUSY));
        assertEquals("busy", ApiDirectives.toApiError(new CampaignRejection(CampaignRejection.Reason.BUSY, "c1 did not answer"))
                .code());
    }

    private static int status(CampaignRejection.Reason reason) {
        return ApiDirectives.toApiError(new CampaignRejection(reason, "campaign c1: " + reason)).status();
    }
}
