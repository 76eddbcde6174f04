package dev.herald.dispatcher.render;

import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientFields;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
    void aTrackedMessagesLengthAndPartsAreThoseOfItsShortLinks() {
        String longUrl = "https://shop.example/spring-sale/" + "x".repeat(150) + "?utm_source=sms";
        Template t = Template.parse("Hi {{first_name}}, our sale: " + longUrl, true);
        Renderer plain = new Renderer(t, null);
        Renderer tracked = plain.withTrackedLinks((id, link) -> "https://h.st/l/EABya48aXt5C8g");
        RenderedMessage untracked = plain.render(ANA, Map.of());
        assertEquals(2, untracked.segments(), "the long URL as it is: two parts");
        RenderedMessage m = tracked.render(ANA, Map.of());
        assertEquals("Hi Ana, our sale: https://h.st/l/EABya48aXt5C8g", m.text());
        assertEquals(1, m.segments(), "the short link: one part");
        assertEquals(Encoding.GSM_7, m.encoding());
    }

    @Test
    void shouldReuseItsBufferAcrossCallsWithoutLeakingText() {
        Renderer r = new Renderer(Template.parse("{{deal}}"), null);
        assertEquals("x".repeat(5000), r.render(ANA, Map.of("deal", "x".repeat(5000))).text());
        assertEquals("short", r.render(ANA, Map.of("deal", "short")).text());
    }

    @Test
    void shouldGiveTheSameMessageAsTemplateThenFooterThenDetectAndCount() {
        long seed = 0x5E6E7L;
        System.out.println("RendererTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        String[] pieces = {"a", "Zoë", "Siobhán", "€", "{", " ", "\n", "😀", "回T退订", "Reply STOP to opt out",
            "reply stop", "x".repeat(40), "ç"};
        Footer footer = Footer.of("Reply STOP to opt out");
        Template template = Template.parse("Hi {{first_name}}, {{deal}}");
        Renderer r = new Renderer(template, footer);
        for (int n = 0; n < 50_000; n++) {
            StringBuilder deal = new StringBuilder();
            for (int len = rnd.nextInt(12); len > 0; len--) {
                deal.append(pieces[rnd.nextInt(pieces.length)]);
            }
            Map<String, String> extra = Map.of("deal", deal.toString());
            String text = footer.applyTo(template.render(ANA, extra));
            Encoding e = Encoding.detect(text);
            assertEquals(new RenderedMessage(text, e, Segments.count(text, e)), r.render(ANA, extra), text);
        }
    }

    @Test
    void shouldRenderTheSameFromTheNamedFieldsAsFromTheWholeRecipient() {
        Renderer r = new Renderer(Template.parse("Hi {{first_name}}, {{city|friend}}: {{deal}} {{first_name}}"),
                Footer.of("Reply STOP to opt out"));
        assertEquals(List.of("first_name", "city", "deal"), r.template().fieldNames());
        RecipientFields ana = new RecipientFields(1, "+447400123456", Map.of("first_name", "Ana"));
        assertEquals(r.render(ANA, Map.of("deal", "€5 off")), r.render(ana, Map.of("deal", "€5 off")));
        TemplateException e = assertThrows(TemplateException.class, () -> r.render(ana, Map.of()));
        assertEquals("recipient 1 has no value for field 'deal' (position 36) and the placeholder has no fallback",
                e.getMessage());
    }
}
