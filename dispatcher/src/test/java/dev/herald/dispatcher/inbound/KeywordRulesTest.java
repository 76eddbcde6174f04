package dev.herald.dispatcher.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.herald.dispatcher.inbound.KeywordRules.Action;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The inbound keyword table: what each reply asks for, with the shipped defaults. */
class KeywordRulesTest {

    private static final KeywordRules RULES = KeywordRules.fromConfig(ConfigFactory.load());

    static Stream<Arguments> table() {
        List<Arguments> t = new ArrayList<>();
        // opt-out keywords, in their plain form
        for (String k : List.of("STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "退订", "取消订阅")) {
            t.add(Arguments.of(k, "GB", Action.OPT_OUT));
        }
        // casing, punctuation, white space
        t.add(Arguments.of("stop", "GB", Action.OPT_OUT));
        t.add(Arguments.of("Stop", "GB", Action.OPT_OUT));
        t.add(Arguments.of("sToP", "GB", Action.OPT_OUT));
        t.add(Arguments.of("Stop.", "GB", Action.OPT_OUT));
        t.add(Arguments.of("STOP!!", "GB", Action.OPT_OUT));
        t.add(Arguments.of("  stop  ", "GB", Action.OPT_OUT));
        t.add(Arguments.of("\tSTOP\n", "GB", Action.OPT_OUT));
        t.add(Arguments.of("\"STOP\"", "GB", Action.OPT_OUT));
        t.add(Arguments.of("(stop)", "GB", Action.OPT_OUT));
        t.add(Arguments.of("¡Stop!", "GB", Action.OPT_OUT));
        t.add(Arguments.of("...stop...", "GB", Action.OPT_OUT));
        t.add(Arguments.of("Opt out", "GB", Action.OPT_OUT));
        t.add(Arguments.of("OPT   OUT", "GB", Action.OPT_OUT));
        t.add(Arguments.of("unsubscribe.", "GB", Action.OPT_OUT));
        // full-width forms and other compatibility characters (NFKC)
        t.add(Arguments.of("ＳＴＯＰ", "GB", Action.OPT_OUT));
        t.add(Arguments.of("ｓｔｏｐ", "GB", Action.OPT_OUT));
        t.add(Arguments.of("ＳＴＯＰ！", "GB", Action.OPT_OUT));
        t.add(Arguments.of("ＳＴＯＰＡＬＬ", "GB", Action.OPT_OUT_ALL));
        t.add(Arguments.of("\u200BSTOP\u200B", "GB", Action.OPT_OUT)); // zero-width spaces around
        // other languages
        t.add(Arguments.of("退订。", "CN", Action.OPT_OUT));
        t.add(Arguments.of("  退订 ", "CN", Action.OPT_OUT));
        t.add(Arguments.of("TD", "CN", Action.OPT_OUT));
        t.add(Arguments.of("td", "CN", Action.OPT_OUT));
        t.add(Arguments.of("T", "CN", Action.OPT_OUT));
        t.add(Arguments.of("TD", "GB", Action.NONE)); // only where the market uses it
        t.add(Arguments.of("T", "US", Action.NONE));
        t.add(Arguments.of("R", "CN", Action.OPT_OUT)); // Chinese providers' rule: promotional SMS accept R
        t.add(Arguments.of("r", "CN", Action.OPT_OUT));
        t.add(Arguments.of("R", "US", Action.NONE));
        // the US/Canada required keywords and hyphens of every kind inside a word
        t.add(Arguments.of("REMOVE", "US", Action.OPT_OUT));
        t.add(Arguments.of("Remove.", "CA", Action.OPT_OUT));
        t.add(Arguments.of("OPT-OUT", "US", Action.OPT_OUT));
        t.add(Arguments.of("opt-out", "US", Action.OPT_OUT));
        t.add(Arguments.of("Opt–out", "US", Action.OPT_OUT));  // en dash
        t.add(Arguments.of("Opt—out", "US", Action.OPT_OUT));  // em dash
        t.add(Arguments.of("OPT‐OUT", "US", Action.OPT_OUT));  // U+2010 hyphen
        t.add(Arguments.of("OPT\u00ADOUT", "US", Action.OPT_OUT)); // soft hyphen
        t.add(Arguments.of("OPT−OUT", "US", Action.OPT_OUT));  // minus sign
        t.add(Arguments.of("ＯＰＴ－ＯＵＴ", "US", Action.OPT_OUT)); // full-width hyphen-minus
        t.add(Arguments.of("STOP-ALL", "US", Action.OPT_OUT_ALL));
        t.add(Arguments.of("OPT - OUT", "US", Action.OPT_OUT));
        t.add(Arguments.of("BAJA", "ES", Action.OPT_OUT));
        t.add(Arguments.of("baja.", "MX", Action.OPT_OUT));
        t.add(Arguments.of("Stopp", "DE", Action.OPT_OUT));
        t.add(Arguments.of("ABMELDEN", "DE", Action.OPT_OUT));
        t.add(Arguments.of("配信停止", "JP", Action.OPT_OUT));
        t.add(Arguments.of("ヘルプ。", "JP", Action.HELP));
        t.add(Arguments.of("수신거부", "KR", Action.OPT_OUT));
        t.add(Arguments.of("配信停止してください", "JP", Action.NONE));
        t.add(Arguments.of("Arrêt", "FR", Action.OPT_OUT));
        t.add(Arguments.of("ARRET", "FR", Action.OPT_OUT));
        t.add(Arguments.of("sair", "BR", Action.OPT_OUT));
        // everything
        t.add(Arguments.of("STOPALL", "GB", Action.OPT_OUT_ALL));
        t.add(Arguments.of("stop all", "GB", Action.OPT_OUT_ALL));
        t.add(Arguments.of("Stop All!", "GB", Action.OPT_OUT_ALL));
        // opt-in and help
        t.add(Arguments.of("START", "GB", Action.OPT_IN));
        t.add(Arguments.of("unstop", "GB", Action.OPT_IN));
        t.add(Arguments.of("Yes", "GB", Action.OPT_IN));
        t.add(Arguments.of("yes!", "GB", Action.OPT_IN));
        t.add(Arguments.of("HELP", "GB", Action.HELP));
        t.add(Arguments.of("help?", "GB", Action.HELP));
        t.add(Arguments.of("Info", "GB", Action.HELP));
        t.add(Arguments.of("帮助", "CN", Action.HELP));
        // multi-word: single-word exact match by default
        t.add(Arguments.of("STOP PLEASE", "GB", Action.NONE));
        t.add(Arguments.of("please stop", "GB", Action.NONE));
        t.add(Arguments.of("don't stop", "GB", Action.NONE));
        t.add(Arguments.of("stop it", "GB", Action.NONE));
        t.add(Arguments.of("I said STOP", "GB", Action.NONE));
        t.add(Arguments.of("STOPPING", "GB", Action.NONE));
        t.add(Arguments.of("ST OP", "GB", Action.NONE));
        t.add(Arguments.of("S.T.O.P", "GB", Action.NONE));
        t.add(Arguments.of("unstoppable", "GB", Action.NONE));
        t.add(Arguments.of("Thanks!", "GB", Action.NONE));
        t.add(Arguments.of("yes please", "GB", Action.NONE));
        // empty, emoji, long
        t.add(Arguments.of("", "GB", Action.NONE));
        t.add(Arguments.of("   ", "GB", Action.NONE));
        t.add(Arguments.of("!!!", "GB", Action.NONE));
        t.add(Arguments.of("🛑", "GB", Action.NONE));
        t.add(Arguments.of("STOP 🛑", "GB", Action.OPT_OUT)); // an emoji around the word is decoration
        t.add(Arguments.of("🙏 stop 🙏", "GB", Action.OPT_OUT));
        t.add(Arguments.of("👍", "GB", Action.NONE));
        t.add(Arguments.of("STOP " + "x".repeat(1_995), "GB", Action.NONE));
        t.add(Arguments.of(" ".repeat(1_990) + "STOP", "GB", Action.OPT_OUT)); // 1,994 chars
        t.add(Arguments.of(" ".repeat(1_997) + "STOP", "GB", Action.NONE));   // over 2,000 chars: not looked at
        t.add(Arguments.of("no country", null, Action.NONE));
        t.add(Arguments.of("stop", null, Action.OPT_OUT));
        return t.stream();
    }

    @ParameterizedTest(name = "[{index}] \"{0}\" ({1}) → {2}")
    @MethodSource("table")
    void shouldClassifyEveryReplyInTheTable(String text, String country, Action expected) {
        assertEquals(expected, RULES.classify(text, "acme", country), "reply '" + text + "' from " + country);
    }

    @Test
    void shouldHaveAtLeastSixtyRows() {
        assertTrue(table().count() >= 60, "the issue asks for at least 60 texts");
    }

    @Test
    void shouldTreatInvalidUtf8AsNoKeyword() {
        assertEquals(Action.NONE, RULES.classify(new byte[] {'S', 'T', 'O', 'P', (byte) 0xff}, "acme", "GB"));
        assertEquals(Action.NONE, RULES.classify(new byte[] {(byte) 0xc3, (byte) 0x28}, "acme", "GB"));
        assertEquals(Action.OPT_OUT, RULES.classify("stop".getBytes(StandardCharsets.UTF_8), "acme", "GB"));
        assertEquals(Action.OPT_OUT, RULES.classify("退订".getBytes(StandardCharsets.UTF_8), "acme", "CN"));
    }

    @Test
    void shouldApplyPerSenderListsAndContainsMatchingWhereConfigured() {
        KeywordRules rules = KeywordRules.fromConfig(ConfigFactory.parseString("""
                herald.inbound.senders.acme { opt-out = ["ALTO"] }
                herald.inbound.contains-countries = ["US"]
                """).withFallback(ConfigFactory.load()).resolve());
        assertEquals(Action.OPT_OUT, rules.classify("alto", "acme", "GB"));
        assertEquals(Action.NONE, rules.classify("stop", "acme", "GB"), "acme's list replaces the default");
        assertEquals(Action.OPT_OUT, rules.classify("stop", "other", "GB"));
        assertEquals(Action.HELP, rules.classify("help", "acme", "GB"), "lists acme does not set stay the default");
        assertEquals(Action.OPT_OUT, rules.classify("please stop texting me", "other", "US"));
        assertEquals(Action.OPT_OUT_ALL, rules.classify("stop all of these", "other", "US"));
        assertEquals(Action.NONE, rules.classify("unstoppable", "other", "US"), "whole words only");
        assertEquals(Action.NONE, rules.classify("please stop texting me", "other", "GB"));
    }

    @Test
    void shouldRefuseAConfigurationWithAnEmptyKeywordNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeywordRules.fromConfig(
                ConfigFactory.parseString("herald.inbound.keywords.help = [\"HELP\", \"  \"]").withFallback(ConfigFactory.load())
                        .resolve()));
        assertTrue(e.getMessage().contains("herald.inbound.keywords.help"), e.getMessage());
    }

    @Test
    void shouldNormaliseAsDocumented() {
        assertEquals("STOP", KeywordRules.normalize(" ＳＴＯＰ！ "));
        assertEquals("OPT OUT", KeywordRules.normalize("opt \t out."));
        assertEquals("", KeywordRules.normalize(null));
        assertEquals("WAIT, STOP", KeywordRules.normalize("wait, stop"));
    }
}
