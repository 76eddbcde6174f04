package dev.herald.dispatcher.render;

import dev.herald.suppression.Recipient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemplateTest {

    private static final Recipient ANA = new Recipient(7, "+447400123456", "GB", null, "en-GB",
            Map.of("first_name", "Ana", "city", "Leeds"));
    private static final Recipient NAMELESS = new Recipient(8, "+447400123457", "GB", null, null, Map.of());

    @Test
    void shouldRenderFieldsFallbacksAndExtras() {
        Template t = Template.parse("Hi {{first_name|there}}, {{ city }} sale! {{unsubscribe_url}}");
        assertEquals("Hi Ana, Leeds sale! https://u/7",
                t.render(ANA, Map.of("unsubscribe_url", "https://u/7")));
        assertEquals("Hi there, Paris sale! x",
                t.render(NAMELESS, Map.of("unsubscribe_url", "x", "city", "Paris")));
        assertEquals(Set.of("first_name", "city", "unsubscribe_url"), t.fields());
        assertEquals(List.of("first_name", "city", "unsubscribe_url"), List.copyOf(t.fields()));
    }

    @Test
    void shouldPreferExtraOverRecipientFieldsAndAllowEmptyFallback() {
        Template t = Template.parse("{{first_name|}}!{{city}}");
        assertEquals("Bo!Leeds", t.render(ANA, Map.of("first_name", "Bo")));
        assertEquals("!York", t.render(NAMELESS, Map.of("city", "York")));
    }

    @Test
    void shouldRenderPlainTextAndLoneClosingBracesVerbatim() {
        assertEquals("no fields }} here", Template.parse("no fields }} here").render(ANA, Map.of()));
        assertEquals("", Template.parse("").render(ANA, Map.of()));
        assertEquals("AnaAna", Template.parse("{{first_name}}{{first_name}}").render(ANA, Map.of()));
    }

    @Test
    void shouldAppendToAReusedBuilder() {
        StringBuilder b = new StringBuilder("> ");
        Template.parse("Hi {{first_name}}").renderTo(b, ANA, Map.of());
        assertEquals("> Hi Ana", b.toString());
    }

    @Test
    void shouldRejectAnUnclosedPlaceholderWithItsPosition() {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("Hi {{first_name, bye"));
        assertEquals(3, e.position());
        assertNull(e.field());
        assertEquals("unclosed '{{' at position 3: expected '}}'", e.getMessage());
        TemplateException nested = assertThrows(TemplateException.class, () -> Template.parse("{{a {{b}}"));
        assertEquals(0, nested.position());
    }

    @Test
    void shouldRejectAnInvalidFieldName() {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("ok {{first name}}"));
        assertEquals(3, e.position());
        assertTrue(e.getMessage().startsWith("invalid field name 'first name' at position 3"), e.getMessage());
        assertThrows(TemplateException.class, () -> Template.parse("{{}}"));
        assertThrows(TemplateException.class, () -> Template.parse("{{|x}}"));
        assertThrows(TemplateException.class, () -> Template.parse("{{1st}}"));
    }

    @Test
    void shouldNameTheUnknownFieldAndItsPositionOnValidation() {
        Template t = Template.parse("Hi {{first_name}}, {{frist_name|there}}");
        TemplateException e = assertThrows(TemplateException.class, () -> t.validate(Set.of("first_name", "city")));
        assertEquals("frist_name", e.field());
        assertEquals(19, e.position());
        assertEquals("unknown field 'frist_name' at position 19; known fields: city, first_name", e.getMessage());
        Template.parse("{{first_name}} {{unsubscribe_url}}").validate(Set.of("first_name", "unsubscribe_url"));
    }

    @Test
    void shouldNameFieldAndRecipientWhenAValueIsMissing() {
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse("Hi {{first_name}}").render(NAMELESS, Map.of()));
        assertEquals("first_name", e.field());
        assertEquals("recipient 8 has no value for field 'first_name' (position 3) and the placeholder has no fallback",
                e.getMessage());
    }

    private static String withLinks(Template t, Recipient r) {
        return t.renderTo(new StringBuilder(), r, Map.of(), (id, link) -> "https://h.st/" + id + "-" + link).toString();
    }

    @Test
    void trackedTemplatesTurnEveryHttpUrlAndEachPlacedLinkIntoARecipientsLink() {
        Template t = Template.parse("Hi {{first_name}}: https://shop.example/sale?a=1&b=2. Again https://shop.example/sale?a=1&b=2,"
                + " (see http://x.example/t) and {{link:https://y.example/z}}!", true);
        assertEquals(List.of("https://shop.example/sale?a=1&b=2", "http://x.example/t", "https://y.example/z"), t.links());
        assertEquals("Hi Ana: https://h.st/7-0. Again https://h.st/7-0, (see https://h.st/7-1) and https://h.st/7-2!",
                withLinks(t, ANA), "sentence punctuation and an unmatched ')' stay outside the link; the same URL is one link");
        assertEquals("Hi Ana: https://shop.example/sale?a=1&b=2. Again https://shop.example/sale?a=1&b=2, (see"
                + " http://x.example/t) and https://y.example/z!", t.render(ANA, Map.of()), "without link URLs: the URLs");
        assertEquals(Set.of("first_name"), t.fields(), "links are not directory fields");
        assertEquals(List.of("first_name"), t.fieldNames());
        t.validate(Set.of("first_name"));
    }

    @Test
    void untrackedTemplatesKeepTextUrlsAndRenderPlacedLinksAsTheirUrl() {
        Template t = Template.parse("Go https://a.example/x or {{ link: https://b.example/y }}", false);
        assertEquals(List.of("https://b.example/y"), t.links());
        assertEquals("Go https://a.example/x or https://b.example/y", t.render(ANA, Map.of()));
        assertEquals("Go https://a.example/x or https://h.st/7-0", withLinks(t, ANA));
        assertTrue(Template.parse("no links here", true).links().isEmpty());
    }

    @Test
    void aLinkThatIsNotAnAbsoluteHttpUrlIsRefusedNamingIt() {
        for (String bad : List.of("{{link:javascript:alert(1)}}", "{{link:ftp://f.example/x}}", "{{link:/relative}}",
                "{{link:}}", "{{link:https://}}", "{{link:https://a b.example/}}")) {
            TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("x " + bad, false), bad);
            assertTrue(e.getMessage().contains("position 2") && e.getMessage().contains("http"), e.getMessage());
        }
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse("Click javascript:alert(document.cookie) now", true));
        assertTrue(e.getMessage().contains("'javascript:alert(document.cookie)' at position 6"), e.getMessage());
        assertThrows(TemplateException.class, () -> Template.parse("see data:text/html;base64,AAAA", true));
        assertThrows(TemplateException.class, () -> Template.parse("{{link:https://x.example/" + "a".repeat(2_100) + "}}"));
        // words that merely look like a scheme are text
        assertEquals(List.of(), Template.parse("Your data: 5 GB left. Note: javascript: is a word here", true).links());
    }

    @Test
    void aTrackedUrlThatRunsIntoAPlaceholderIsRefusedNotCutInTwo() {
        // the link would be https://shop.example/?u= and each message "<short link>Ana": a dead link for everyone
        TemplateException e = assertThrows(TemplateException.class,
                () -> Template.parse("Sale https://shop.example/?u={{first_name}} today", true));
        assertEquals(Template.LINK_ERROR, e.field(), e.getMessage());
        assertTrue(e.getMessage().contains("position 5"), e.getMessage());
        // a placeholder after the URL's end is text, as is any placeholder in an untracked URL
        assertEquals(List.of("https://shop.example/sale"), Template.parse("See https://shop.example/sale. {{first_name}}", true).links());
        assertEquals("Go https://a.example/?u=Ana", Template.parse("Go https://a.example/?u={{first_name}}", false).render(ANA, Map.of()));
    }
}
