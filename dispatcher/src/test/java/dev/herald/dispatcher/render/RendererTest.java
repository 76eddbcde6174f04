package dev.herald.dispatcher.render;

import dev.herald.suppression.Recipient;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RendererTest {

    private static final Recipient ANA = new Recipient(1, "+447400123456", "GB", null, null, Map.of("first_name", "Ana"));

    @Test
    void shouldRenderTemplateFooterEncodingAndSegments() {
        Renderer r = new Renderer(Template.parse("Hi {{first_name|there}}, {{deal}}"), Footer.of("Reply STOP to opt out"));
        RenderedMessage m = r.render(ANA, Map.of("deal", "€5 off"));
        assertEquals(new RenderedMessage("Hi Ana, €5 off\nReply STOP to opt out", Encoding.GSM_7, 1), m);
        RenderedMessage emoji = r.render(ANA, Map.of("deal", "a".repeat(40) + "😀"));
        assertEquals(Encoding.UCS_2, emoji.encoding());
        assertEquals(2, emoji.segments(), "8 + 42 + 1 + 21 = 72 UTF-16 units");
    }

    @Test
    void shouldReuseItsBufferAcrossCallsWithoutLeakingText() {
        Renderer r = new Renderer(Template.parse("{{deal}}"), null);
        assertEquals("x".repeat(5000), r.render(ANA, Map.of("deal", "x".repeat(5000))).text());
        assertEquals("short", r.render(ANA, Map.of("deal", "short")).text());
    }
}
