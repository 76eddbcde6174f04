package dev.herald.dispatcher.connector.smpp;

import com.typesafe.config.ConfigFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SmppSettings#fromConfig}: the defaults of a minimal account, and for every wrong setting an
 * {@link IllegalArgumentException} naming the key as {@code herald.connectors.<name>.<key>}.
 */
class SmppSettingsTest {

    private static final String MINIMAL = "type = smpp, host = smsc.example.net, port = 2775, system-id = herald\n";
    private static final Map<String, String> ENV = Map.of("ACME_SMPP_PASSWORD", "s3cr3t");

    private static SmppSettings parse(String config) {
        return SmppSettings.fromConfig("acme", ConfigFactory.parseString(config), ENV::get);
    }

    private static void assertRefused(String config, String key, String... also) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> parse(config), config);
        String message = ex.getMessage();
        assertTrue(message.contains("herald.connectors.acme." + key + " ") || message.endsWith("herald.connectors.acme." + key),
                "names herald.connectors.acme." + key + ": " + message);
        for (String a : also) {
            assertTrue(message.contains(a), "says '" + a + "': " + message);
        }
    }

    @Test
    void shouldGiveAMinimalAccountTheDocumentedDefaults() {
        SmppSettings s = parse(MINIMAL);
        assertEquals("acme", s.name());
        assertEquals("smsc.example.net", s.host());
        assertEquals(2775, s.port());
        assertEquals("herald", s.systemId());
        assertEquals("", s.password());
        assertEquals("", s.systemType());
        assertEquals(SmppSettings.BindMode.TRANSCEIVER, s.bindMode());
        assertEquals(1, s.sessionsPerBind());
        assertEquals(1, s.binds());
        assertEquals(10, s.window());
        assertEquals(0.0, s.rate(), "unlimited");
        assertEquals("", s.serviceType());
        assertEquals("", s.sourceAddress(), "the campaign's sender");
        assertEquals(-1, s.sourceTon(), "auto");
        assertEquals(-1, s.sourceNpi(), "auto");
        assertEquals(1, s.destTon());
        assertEquals(1, s.destNpi());
        assertEquals(SmppSettings.LongMessages.UDH, s.longMessages());
        assertTrue(s.receipts());
        assertEquals(Duration.ofSeconds(30), s.enquireLink());
        assertEquals(Duration.ofSeconds(10), s.responseTimeout());
        assertEquals(Duration.ofSeconds(10), s.bindTimeout());
        assertEquals(Duration.ofSeconds(1), s.reconnectInitial());
        assertEquals(Duration.ofSeconds(60), s.reconnectMax());
        assertEquals(MessageIds.Format.TEXT, s.submitIds());
        assertEquals(MessageIds.Format.TEXT, s.receiptIds());
    }

    @Test
    void shouldReadEveryKey() {
        SmppSettings s = parse(MINIMAL + "password = pw, system-type = VMA, bind = \"transmitter+receiver\", binds = 4,"
                + " window = 50, rate = 125.5, service-type = CMT, source-address = ACME, source-ton = 5, source-npi = 0,"
                + " dest-ton = 2, dest-npi = 9, long-messages = payload, receipts = false, enquire-link = 15s,"
                + " response-timeout = 4s, bind-timeout = 3s, reconnect-initial = 250ms, reconnect-max = 2m,"
                + " submit-id-format = hex, receipt-id-format = decimal");
        assertEquals("pw", s.password());
        assertEquals("VMA", s.systemType());
        assertEquals(SmppSettings.BindMode.TRANSMITTER_RECEIVER, s.bindMode());
        assertEquals(2, s.sessionsPerBind());
        assertEquals(4, s.binds());
        assertEquals(50, s.window());
        assertEquals(125.5, s.rate());
        assertEquals("CMT", s.serviceType());
        assertEquals("ACME", s.sourceAddress());
        assertEquals(5, s.sourceTon());
        assertEquals(0, s.sourceNpi());
        assertEquals(2, s.destTon());
        assertEquals(9, s.destNpi());
        assertEquals(SmppSettings.LongMessages.PAYLOAD, s.longMessages());
        assertFalse(s.receipts());
        assertEquals(Duration.ofSeconds(15), s.enquireLink());
        assertEquals(Duration.ofSeconds(4), s.responseTimeout());
        assertEquals(Duration.ofSeconds(3), s.bindTimeout());
        assertEquals(Duration.ofMillis(250), s.reconnectInitial());
        assertEquals(Duration.ofMinutes(2), s.reconnectMax());
        assertEquals(MessageIds.Format.HEX, s.submitIds());
        assertEquals(MessageIds.Format.DECIMAL, s.receiptIds());
        assertEquals(-1, parse(MINIMAL + "source-ton = auto, source-npi = \" auto \"").sourceTon());
    }

    @Test
    void shouldTakeThePasswordFromTheNamedEnvironmentVariable() {
        assertEquals("s3cr3t", parse(MINIMAL + "password-env = ACME_SMPP_PASSWORD").password());
        assertEquals("12345678", parse(MINIMAL + "password = \"12345678\"").password(), "8 characters is the most");
    }

    @Test
    void shouldNotShowThePasswordInToString() {
        SmppSettings s = parse(MINIMAL + "password = pAs5w0rd");
        assertFalse(s.toString().contains("pAs5w0rd"), s.toString());
        assertTrue(s.toString().contains("herald@smsc.example.net:2775"), s.toString());
        SmppSettings fromEnv = parse(MINIMAL + "password-env = ACME_SMPP_PASSWORD");
        assertFalse(fromEnv.toString().contains("s3cr3t"), fromEnv.toString());
    }

    @Test
    void shouldRefuseAnUnknownKey() {
        assertRefused(MINIMAL + "windw = 20", "windw", "is not a key");
        assertRefused(MINIMAL + "Port = 2775", "Port", "is not a key");
        assertRefused(MINIMAL + "tls { enabled = true }", "tls", "is not a key");
    }

    @Test
    void shouldRefuseAMissingHostPortOrSystemId() {
        assertRefused("port = 2775, system-id = herald", "host", "missing");
        assertRefused("host = \"  \", port = 2775, system-id = herald", "host", "missing");
        assertRefused("host = smsc, system-id = herald", "port", "missing");
        assertRefused("host = smsc, port = 2775", "system-id", "missing");
    }

    @Test
    void shouldRefuseAPortOutOfRange() {
        assertRefused(MINIMAL + "port = 0", "port", "1-65535", "got 0");
        assertRefused(MINIMAL + "port = 70000", "port", "1-65535", "got 70000");
        assertRefused(MINIMAL + "port = -1", "port", "1-65535");
        assertEquals(65_535, parse(MINIMAL + "port = 65535").port());
        assertEquals(1, parse(MINIMAL + "port = 1").port());
    }

    @Test
    void shouldRefuseASettingOfTheWrongType() {
        assertRefused(MINIMAL + "port = abc", "port");
        assertRefused(MINIMAL + "port = 99999999999", "port");
        assertRefused(MINIMAL + "port = 2775.5", "port", "whole number");
        assertRefused(MINIMAL + "binds = two", "binds");
        assertRefused(MINIMAL + "binds = 2.5", "binds", "whole number");
        assertRefused(MINIMAL + "window = [1, 2]", "window");
        assertRefused(MINIMAL + "rate = fast", "rate");
        assertRefused(MINIMAL + "receipts = maybe", "receipts");
        assertRefused(MINIMAL + "enquire-link = 5 parsecs", "enquire-link");
        assertRefused(MINIMAL + "dest-ton = one", "dest-ton");
        assertRefused("host { name = smsc }, port = 2775, system-id = herald", "host");
        assertRefused(MINIMAL + "password-env { name = X }", "password-env");
    }

    @Test
    void shouldRefuseAnOverlongOrDuplicatedPassword() {
        assertRefused(MINIMAL + "password = \"123456789\"", "password", "at most 8");
        assertRefused(MINIMAL + "password = pw, password-env = ACME_SMPP_PASSWORD", "password", "not both");
        assertRefused(MINIMAL + "password-env = NOT_SET_ANYWHERE", "password-env", "NOT_SET_ANYWHERE", "not set");
    }

    @Test
    void shouldRefuseTextsLongerThanSmppAllows() {
        assertRefused("host = h, port = 1, system-id = \"" + "s".repeat(16) + "\"", "system-id", "1-15");
        assertRefused(MINIMAL + "system-type = \"" + "t".repeat(13) + "\"", "system-type", "12");
        assertRefused(MINIMAL + "service-type = CMTXYZ", "service-type", "5");
        assertRefused(MINIMAL + "source-address = \"" + "1".repeat(21) + "\"", "source-address", "20");
    }

    @Test
    void shouldRefuseBindsAndWindowOutOfRange() {
        assertRefused(MINIMAL + "binds = 0", "binds", "1-64", "got 0");
        assertRefused(MINIMAL + "binds = 65", "binds", "1-64", "got 65");
        assertEquals(64, parse(MINIMAL + "binds = 64").binds());
        assertRefused(MINIMAL + "window = 0", "window", "1-1000", "got 0");
        assertRefused(MINIMAL + "window = 1001", "window", "1-1000");
        assertEquals(1000, parse(MINIMAL + "window = 1000").window());
    }

    @Test
    void shouldRefuseANegativeRate() {
        assertRefused(MINIMAL + "rate = -1", "rate", ">= 0");
        assertRefused(MINIMAL + "rate = -0.5", "rate", ">= 0");
        assertEquals(0.0, parse(MINIMAL + "rate = 0").rate());
    }

    @Test
    void shouldRefuseAnUnknownBindModeOrLongMessageMode() {
        assertRefused(MINIMAL + "bind = transmitter", "bind", "transceiver or transmitter+receiver", "'transmitter'");
        assertRefused(MINIMAL + "bind = TRANSCEIVER", "bind", "'TRANSCEIVER'");
        assertRefused(MINIMAL + "long-messages = sar", "long-messages", "udh or payload", "'sar'");
    }

    @Test
    void shouldRefuseReconnectInitialBeyondReconnectMax() {
        assertRefused(MINIMAL + "reconnect-initial = 2m, reconnect-max = 1m", "reconnect-initial", "reconnect-max");
        assertRefused(MINIMAL + "reconnect-initial = 0s", "reconnect-initial", "> 0");
        assertEquals(Duration.ofSeconds(5), parse(MINIMAL + "reconnect-initial = 5s, reconnect-max = 5s").reconnectMax());
    }

    @Test
    void shouldRefuseNonPositiveTimeouts() {
        assertRefused(MINIMAL + "enquire-link = 0s", "enquire-link", "> 0");
        assertRefused(MINIMAL + "response-timeout = -1s", "response-timeout", "> 0");
        assertRefused(MINIMAL + "bind-timeout = 0ms", "bind-timeout", "> 0");
    }

    @Test
    void shouldRefuseAnUnknownIdFormat() {
        assertRefused(MINIMAL + "submit-id-format = hexadecimal", "submit-id-format", "text, hex or decimal");
        assertRefused(MINIMAL + "receipt-id-format = int", "receipt-id-format", "text, hex or decimal");
    }

    @Test
    void shouldRefuseTonAndNpiThatAreNotNumbersOrOutOfRange() {
        assertRefused(MINIMAL + "source-ton = x", "source-ton", "auto or a number", "'x'");
        assertRefused(MINIMAL + "source-npi = e164", "source-npi", "auto or a number");
        assertRefused(MINIMAL + "source-ton = 7", "source-ton", "got 7");
        assertRefused(MINIMAL + "source-npi = 19", "source-npi", "got 19");
        assertRefused(MINIMAL + "source-ton = -2", "source-ton");
        assertRefused(MINIMAL + "dest-ton = 7", "dest-ton", "0-6");
        assertRefused(MINIMAL + "dest-npi = -1", "dest-npi", "[0, 1, 3, 4, 6, 8, 9, 10, 14, 18]");
        // within 0-18 but not a plan SMPP defines: jSMPP would refuse it at every send
        assertRefused(MINIMAL + "dest-npi = 2", "dest-npi", "got 2");
        assertRefused(MINIMAL + "source-npi = 17", "source-npi", "got 17");
    }
}
