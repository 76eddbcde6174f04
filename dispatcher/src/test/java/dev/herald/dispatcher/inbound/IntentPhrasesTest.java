package dev.herald.dispatcher.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The intent phrase table: real phrasings of "stop texting me" in several languages, and replies
 * that look alike but are not opt-outs, with the shipped phrases.
 */
class IntentPhrasesTest {

    private static final IntentPhrases INTENTS = IntentPhrases.fromConfig(ConfigFactory.load());

    static Stream<Arguments> table() {
        List<Arguments> t = new ArrayList<>();
        // English: opt-outs in the recipient's own words
        t.add(Arguments.of("Please stop texting me", "US", "en"));
        t.add(Arguments.of("please stop texting me!!", "US", "en"));
        t.add(Arguments.of("PLEASE STOP TEXTING ME 🙏", "US", "en"));
        t.add(Arguments.of("Stop texting me.", "US", "en"));
        t.add(Arguments.of("Can you stop texting me? I never signed up for this", "US", "en"));
        t.add(Arguments.of("Remove me from this list", "US", "en"));
        t.add(Arguments.of("remove me from your list please", "CA", "en"));
        t.add(Arguments.of("Don't text me", "US", "en"));
        t.add(Arguments.of("Don’t text me again", "US", "en")); // typographic apostrophe
        t.add(Arguments.of("do not text me anymore", "US", "en"));
        t.add(Arguments.of("DONT MESSAGE ME", "US", "en"));
        t.add(Arguments.of("Take me off your list", "US", "en"));
        t.add(Arguments.of("No more texts please", "US", "en"));
        t.add(Arguments.of("I want to unsubscribe", "GB", "en"));
        t.add(Arguments.of("unsubscribe me", "GB", "en"));
        t.add(Arguments.of("please STOP", "US", "en"));
        t.add(Arguments.of("Stop please", "US", "en"));
        t.add(Arguments.of("who is this? stop sending me these", "US", "en"));
        t.add(Arguments.of("ｓｔｏｐ ｔｅｘｔｉｎｇ ｍｅ", "US", "en")); // full-width (NFKC)
        t.add(Arguments.of("leave me alone", "US", "en"));
        t.add(Arguments.of("Stop—texting—me", "US", "en")); // dashes are word breaks
        // English: look alike, are not
        t.add(Arguments.of("Don't stop the deals coming!", "US", null));
        t.add(Arguments.of("please don't stop texting me, I love these", "US", null));
        t.add(Arguments.of("Never stop sending me deals", "US", null));
        t.add(Arguments.of("don't remove me from the list", "US", null));
        t.add(Arguments.of("Stop by the store tomorrow?", "US", null));
        t.add(Arguments.of("Can I remove an item from my order?", "US", null));
        t.add(Arguments.of("Thanks, see you soon", "US", null));
        t.add(Arguments.of("unstoppable deals 😍", "US", null));
        t.add(Arguments.of("stopped by yesterday", "US", null));
        t.add(Arguments.of("texting me is fine", "US", null));
        // Spanish
        t.add(Arguments.of("No me envíen más mensajes", "MX", "es"));
        t.add(Arguments.of("no me envien mas", "US", "es")); // without accents
        t.add(Arguments.of("Por favor dejen de enviarme mensajes", "ES", "es"));
        t.add(Arguments.of("Quiero darme de baja", "ES", "es"));
        t.add(Arguments.of("No dejen de enviarme ofertas", "ES", null));
        t.add(Arguments.of("Nunca dejen de enviarme ofertas", "MX", null));
        t.add(Arguments.of("Gracias por la oferta", "MX", null));
        // French
        t.add(Arguments.of("Merci de ne plus m'envoyer de SMS", "FR", "fr"));
        t.add(Arguments.of("Ne m’envoyez plus rien", "FR", "fr"));
        t.add(Arguments.of("Arrêtez de m'envoyer des messages", "FR", "fr"));
        t.add(Arguments.of("ARRETEZ DE M ENVOYER", "FR", null)); // "M ENVOYER" is two words, not M'ENVOYER
        t.add(Arguments.of("désinscrivez-moi", "BE", "fr"));
        t.add(Arguments.of("N'arrêtez pas de m'envoyer vos offres", "FR", null));
        t.add(Arguments.of("Merci pour l'offre", "FR", null));
        // German
        t.add(Arguments.of("Bitte keine SMS mehr", "DE", "de"));
        t.add(Arguments.of("bitte keine sms mehr!", "AT", "de"));
        t.add(Arguments.of("Hören Sie auf, mir zu schreiben", "DE", "de"));
        t.add(Arguments.of("Ich möchte mich abmelden", "CH", "de"));
        t.add(Arguments.of("Schreiben Sie mir nicht mehr", "DE", "de"));
        t.add(Arguments.of("Hören Sie nicht auf, mir zu schreiben", "DE", null));
        t.add(Arguments.of("Danke, bis morgen", "DE", null));
        // Portuguese
        t.add(Arguments.of("Parem de me enviar mensagens", "BR", "pt"));
        t.add(Arguments.of("Não quero mais receber", "BR", "pt"));
        t.add(Arguments.of("Obrigado pela mensagem", "BR", null));
        // Chinese
        t.add(Arguments.of("不要再发了", "CN", "zh"));
        t.add(Arguments.of("别再发了！", "CN", "zh"));
        t.add(Arguments.of("你们别再发了好吗", "CN", "zh"));
        t.add(Arguments.of("请不要再给我发短信", "CN", "zh"));
        t.add(Arguments.of("我要退订，谢谢", "CN", "zh"));
        t.add(Arguments.of("不要停，继续发", "CN", null));
        t.add(Arguments.of("谢谢，收到了", "CN", null));
        // Japanese
        t.add(Arguments.of("もう送らないでください", "JP", "ja"));
        t.add(Arguments.of("ありがとうございます", "JP", null));
        // empty and emoji
        t.add(Arguments.of("", "US", null));
        t.add(Arguments.of("🛑🛑", "US", null));
        t.add(Arguments.of("please stop texting me " + "x".repeat(2_000), "US", null)); // over the cut-off: not looked at
        return t.stream();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" ({1}) → {2}")
    @MethodSource("table")
    void shouldFindTheIntentOfEveryReplyInTheTable(String text, String country, String language) {
        Optional<IntentPhrases.Match> m = INTENTS.match(text, null, country);
        assertEquals(Optional.ofNullable(language), m.map(IntentPhrases.Match::language), "'" + text + "' matched " + m);
    }

    @Test
    void shouldHaveAtLeastFortyRowsInFiveLanguagesBothWays() {
        List<Arguments> rows = table().toList();
        assertTrue(rows.size() >= 40, rows.size() + " rows");
        assertTrue(rows.stream().map(a -> a.get()[2]).filter(java.util.Objects::nonNull).distinct().count() >= 5);
        assertTrue(rows.stream().filter(a -> a.get()[2] == null).count() >= 15, "negative rows");
    }

    @Test
    void shouldUseTheCountrysAndTheSendersLanguagesAndTheSendersOwnPhrases() {
        IntentPhrases i = IntentPhrases.fromConfig(ConfigFactory.parseString("""
                herald.inbound.intent.countries { CN = [zh] }
                herald.inbound.senders { acme { intent-phrases = ["no more deals"] }, bolt { intent-languages = [de] } }
                """).withFallback(ConfigFactory.load()));
        assertEquals(Optional.empty(), i.match("please stop texting me", null, "CN"), "CN tries Chinese only");
        assertEquals("zh", i.match("别再发了", null, "CN").orElseThrow().language());
        assertEquals("sender", i.match("No more deals, thanks", "acme", "US").orElseThrow().language());
        assertEquals(Optional.empty(), i.match("No more deals, thanks", "other", "US"));
        assertEquals(Optional.empty(), i.match("please stop texting me", "bolt", "US"));
        assertEquals("de", i.match("keine SMS mehr", "bolt", "US").orElseThrow().language());
    }

    @Test
    void shouldRefuseAConfigurationWithAnEmptyPhraseOrAnUnknownLanguageNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IntentPhrases.fromConfig(
                ConfigFactory.parseString("herald.inbound.intent.languages.en.phrases = [\"!!\"]").withFallback(ConfigFactory.load())));
        assertTrue(e.getMessage().contains("herald.inbound.intent.languages.en.phrases"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> IntentPhrases.fromConfig(
                ConfigFactory.parseString("herald.inbound.intent.countries { US = [xx] }").withFallback(ConfigFactory.load())));
        assertTrue(e.getMessage().contains("'xx'"), e.getMessage());
    }

    @Test
    void shouldCompareWordsAsDocumented() {
        assertEquals(List.of("DONT", "TEXT", "ME"), IntentPhrases.words("Don’t   text-me!"));
        assertEquals(List.of("NO", "ME", "ENVIEN", "MAS"), IntentPhrases.words("¡No me envíen más!"));
        assertEquals(List.of("HOREN", "SIE", "AUF"), IntentPhrases.words("Hören Sie auf"));
        assertEquals(List.of("别再发了"), IntentPhrases.words("别再发了！"));
        assertEquals(List.of("STOP", "TEXTING"), IntentPhrases.words("ＳＴＯＰ 🙏 texting"));
    }
}
