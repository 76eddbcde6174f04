package dev.herald.dispatcher.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.campaign.CampaignFixture;
import dev.herald.dispatcher.connector.OutboundMessage;
import dev.herald.dispatcher.outcome.Outcome;
import dev.herald.dispatcher.render.Footer;
import dev.herald.dispatcher.render.Renderer;
import dev.herald.dispatcher.render.Template;
import dev.herald.suppression.Recipient;
import dev.herald.throttle.Priority;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The render step reads a batch's numbers and fields in one go and renders each message with its footer. */
class RenderStepTest {

    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 500);
    }

    @AfterAll
    static void shutdown() {
        fx.close();
    }

    @Test
    void shouldRenderEachKnownRecipientAndFailTheUnknownOnes() {
        int unknown = fx.directory.size() + 10; // never handed out
        int[] ids = {3, 17, 42, unknown};
        Renderer renderer = new Renderer(Template.parse("Hi {{first_name|there}}, sale today"), Footer.of("Reply STOP to opt out"));
        RenderStep.Prepared p = RenderStep.prepare(CampaignFixture.spec("c-render", CampaignFixture.range(500)), fx.directory,
                renderer, Priority.MARKETING, ids);
        assertEquals(Map.of(unknown, new Outcome.Failed("unknown-recipient")), p.failed());
        assertEquals(3, p.messages().size());
        for (int i = 0; i < 3; i++) {
            OutboundMessage m = p.messages().get(i);
            Recipient r = fx.directory.get(ids[i]).orElseThrow();
            assertEquals(ids[i], m.recipientId(), "in the batch's order");
            assertEquals(r.e164(), m.to());
            String name = r.fields().getOrDefault("first_name", "there");
            assertTrue(m.text().startsWith("Hi " + name + ", sale today"), m.text());
            assertTrue(m.text().endsWith("Reply STOP to opt out"), m.text());
            assertEquals("c-render", m.campaignId());
            assertEquals(Priority.MARKETING, m.priority());
        }
    }
}
