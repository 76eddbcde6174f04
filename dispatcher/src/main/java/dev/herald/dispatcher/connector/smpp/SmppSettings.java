package dev.herald.dispatcher.connector.smpp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import dev.herald.dispatcher.connector.ConnectorKeys;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One SMPP account, as {@code herald.connectors.<name>} configures it ({@code type = smpp}); every
 * key is documented in {@code herald-connectors.conf}.
 *
 * <pre>{@code
 * SmppSettings s = SmppSettings.fromConfig("acme-smsc", config.getConfig("herald.connectors.acme-smsc"), System::getenv);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param name             the connector's name (metrics, a campaign's {@code connector})
 * @param host             the SMSC's host
 * @param port             the SMSC's port
 * @param systemId         {@code system_id} of the bind, 1–15 characters
 * @param password         {@code password} of the bind, 0–8 characters
 * @param systemType       {@code system_type}, 0–12 characters
 * @param bindMode         one transceiver per bind, or a transmitter and a receiver per bind
 * @param binds            binds (sessions) to open, 1–64; each has its own window
 * @param window           unanswered {@code submit_sm} per bind, 1–1,000
 * @param rate             the most messages per second the account may send (0: unlimited); the
 *                         shared token bucket of every campaign on this connector
 * @param serviceType      {@code service_type} of each {@code submit_sm}, 0–5 characters
 * @param sourceAddress    fixed {@code source_addr}, or empty for the campaign's sender
 * @param sourceTon        {@code source_addr_ton}, or -1 to choose from the address (alphanumeric 5,
 *                         international number 1, short code 3)
 * @param sourceNpi        {@code source_addr_npi}, or -1 to choose with the TON
 * @param destTon          {@code dest_addr_ton} (1: international)
 * @param destNpi          {@code dest_addr_npi} (1: E.164)
 * @param longMessages     concatenated parts with a UDH, or the whole text in {@code message_payload}
 * @param receipts         whether to ask for delivery receipts ({@code registered_delivery} 1)
 * @param enquireLink      idle time after which an {@code enquire_link} checks the session
 * @param responseTimeout  how long a {@code submit_sm} waits for its answer; after that it is
 *                         unconfirmed: the recipient becomes {@code unknown}, never resent
 * @param bindTimeout      how long connecting and binding may take
 * @param reconnectInitial first wait before binding again after a bind broke or failed
 * @param reconnectMax     longest such wait (doubling, with jitter, up to it)
 * @param submitIds        how the SMSC writes message ids in {@code submit_sm_resp}
 * @param receiptIds       how it writes them in receipts
 */
public record SmppSettings(String name, String host, int port, String systemId, String password, String systemType,
                           BindMode bindMode, int binds, int window, double rate, String serviceType, String sourceAddress,
                           int sourceTon, int sourceNpi, int destTon, int destNpi, LongMessages longMessages,
                           boolean receipts, Duration enquireLink, Duration responseTimeout, Duration bindTimeout,
                           Duration reconnectInitial, Duration reconnectMax, MessageIds.Format submitIds,
                           MessageIds.Format receiptIds) {

    /** How an account binds. */
    public enum BindMode {
        /** One {@code bind_transceiver} per bind: submits, receipts and replies share it. */
        TRANSCEIVER,
        /** A {@code bind_transmitter} and a {@code bind_receiver} per bind. */
        TRANSMITTER_RECEIVER
    }

    /** How a message longer than one part goes out. */
    public enum LongMessages {
        /** Concatenated parts, each with a user data header (IEI 0x00, 8-bit reference). */
        UDH,
        /** One {@code submit_sm} whose {@code message_payload} TLV carries the whole text. */
        PAYLOAD
    }

    /** The numbering plans SMPP 3.4 defines (and jSMPP takes): unknown, ISDN, data, telex, land mobile, national, private, ERMES, internet, WAP. */
    public static final java.util.SortedSet<Integer> NPIS = java.util.Collections.unmodifiableSortedSet(
            new java.util.TreeSet<>(java.util.List.of(0, 1, 3, 4, 6, 8, 9, 10, 14, 18)));

    /** The keys an account may have; any other is refused (a typo must not pass silently). */
    public static final Set<String> KEYS = Set.of("type", "host", "port", "system-id", "password", "password-env",
            "system-type", "bind", "binds", "window", "rate", "service-type", "source-address", "source-ton",
            "source-npi", "dest-ton", "dest-npi", "long-messages", "receipts", "enquire-link", "response-timeout",
            "bind-timeout", "reconnect-initial", "reconnect-max", "submit-id-format", "receipt-id-format");

    /** @throws IllegalArgumentException naming the key ({@code herald.connectors.<name>.<key>}) that is wrong */
    public SmppSettings {
        String at = "herald.connectors." + name + ".";
        check(host != null && !host.isBlank(), at + "host is missing");
        check(port >= 1 && port <= 65_535, at + "port must be 1-65535, got " + port);
        check(systemId != null && !systemId.isEmpty() && systemId.length() <= 15,
                at + "system-id must be 1-15 characters, got '" + systemId + "'");
        check(password != null && password.length() <= 8, at + "password must be at most 8 characters (SMPP 3.4)");
        check(systemType != null && systemType.length() <= 12, at + "system-type must be at most 12 characters");
        check(bindMode != null, at + "bind is missing");
        check(binds >= 1 && binds <= 64, at + "binds must be 1-64, got " + binds);
        check(window >= 1 && window <= 1_000, at + "window must be 1-1000, got " + window);
        check(rate >= 0 && Double.isFinite(rate), at + "rate must be >= 0 (0: unlimited), got " + rate);
        check(serviceType != null && serviceType.length() <= 5, at + "service-type must be at most 5 characters");
        check(sourceAddress != null && sourceAddress.length() <= 20, at + "source-address must be at most 20 characters");
        check(sourceTon >= -1 && sourceTon <= 6, at + "source-ton must be auto or 0-6, got " + sourceTon);
        check(sourceNpi == -1 || NPIS.contains(sourceNpi), at + "source-npi must be auto or one of " + NPIS + ", got " + sourceNpi);
        check(destTon >= 0 && destTon <= 6, at + "dest-ton must be 0-6, got " + destTon);
        check(NPIS.contains(destNpi), at + "dest-npi must be one of " + NPIS + ", got " + destNpi);
        check(longMessages != null, at + "long-messages is missing");
        check(positive(enquireLink), at + "enquire-link must be > 0");
        check(positive(responseTimeout), at + "response-timeout must be > 0");
        check(positive(bindTimeout), at + "bind-timeout must be > 0");
        check(positive(reconnectInitial) && reconnectMax != null && reconnectMax.compareTo(reconnectInitial) >= 0,
                at + "reconnect-initial must be > 0 and <= reconnect-max");
        check(submitIds != null && receiptIds != null, at + "submit-id-format and receipt-id-format are required");
    }

    /**
     * @param binds how many binds (1-64)
     * @param rate  messages a second, 0 for no limit
     * @return this account with those binds and that rate (a cluster node's share of it)
     */
    public SmppSettings withShare(int binds, double rate) {
        return new SmppSettings(name, host, port, systemId, password, systemType, bindMode, binds, window, rate, serviceType,
                sourceAddress, sourceTon, sourceNpi, destTon, destNpi, longMessages, receipts, enquireLink, responseTimeout,
                bindTimeout, reconnectInitial, reconnectMax, submitIds, receiptIds);
    }

    /**
     * @param name   the connector's name (the key under {@code herald.connectors})
     * @param c      its configuration block
     * @param env    the environment, for {@code password-env}
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, unknown, of the wrong type or out of range
     */
    public static SmppSettings fromConfig(String name, Config c, Function<String, String> env) {
        String at = "herald.connectors." + name + ".";
        ConnectorKeys.refuseUnknown(c, at, KEYS, "an SMPP connector");
        try {
            String password;
            if (c.hasPath("password-env")) {
                check(!c.hasPath("password"), at + "password and password-env: give one, not both");
                String variable = read(c, at, "password-env", "a string", true, c::getString);
                password = env.apply(variable);
                check(password != null, at + "password-env names the environment variable " + variable
                        + ", which is not set");
            } else {
                password = c.hasPath("password") ? read(c, at, "password", "a string", false, c::getString) : "";
            }
            return new SmppSettings(name, required(c, at, "host"), integer(c, at, "port", null), required(c, at, "system-id"),
                    password, string(c, at, "system-type", ""), bindMode(string(c, at, "bind", "transceiver"), at),
                    integer(c, at, "binds", 1), integer(c, at, "window", 10),
                    c.hasPath("rate") ? read(c, at, "rate", "a number", true, c::getDouble) : 0,
                    string(c, at, "service-type", ""), string(c, at, "source-address", ""),
                    tonNpi(c, "source-ton", at), tonNpi(c, "source-npi", at),
                    integer(c, at, "dest-ton", 1), integer(c, at, "dest-npi", 1),
                    longMessages(string(c, at, "long-messages", "udh"), at),
                    !c.hasPath("receipts") || read(c, at, "receipts", "true or false", true, c::getBoolean),
                    duration(c, at, "enquire-link", Duration.ofSeconds(30)),
                    duration(c, at, "response-timeout", Duration.ofSeconds(10)),
                    duration(c, at, "bind-timeout", Duration.ofSeconds(10)),
                    duration(c, at, "reconnect-initial", Duration.ofSeconds(1)),
                    duration(c, at, "reconnect-max", Duration.ofSeconds(60)),
                    MessageIds.Format.parse(string(c, at, "submit-id-format", "text"), at + "submit-id-format"),
                    MessageIds.Format.parse(string(c, at, "receipt-id-format", "text"), at + "receipt-id-format"));
        } catch (ConfigException e) {
            // every key is read through read(), which names it; this is a net for what Typesafe Config adds
            throw new IllegalArgumentException("configuration: herald.connectors." + name + ": " + e.getMessage(), e);
        }
    }

    /** @return the sessions each bind opens: 1 (transceiver) or 2 (transmitter and receiver) */
    public int sessionsPerBind() {
        return bindMode == BindMode.TRANSCEIVER ? 1 : 2;
    }

    /** @return the settings with the password masked, for logs */
    @Override
    public String toString() {
        return "SmppSettings[" + name + " " + systemId + "@" + host + ":" + port + ", " + bindMode + " x" + binds
                + ", window " + window + ", rate " + rate + "]";
    }

    /**
     * Reads {@code key} with {@code get}, turning Typesafe Config's type errors (which name the key
     * only relative to the block, after the origin) into one that names {@code herald.connectors.<name>.<key>}.
     */
    private static <T> T read(Config c, String at, String key, String what, boolean echo, Function<String, T> get) {
        try {
            return get.apply(key);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(at + key + " must be " + what
                    + (echo ? ", got " + c.getValue(key).render(ConfigRenderOptions.concise()) : ""), e);
        }
    }

    private static String required(Config c, String at, String key) {
        check(c.hasPath(key), at + key + " is missing");
        return read(c, at, key, "a string", true, c::getString);
    }

    private static String string(Config c, String at, String key, String fallback) {
        return c.hasPath(key) ? read(c, at, key, "a string", true, c::getString) : fallback;
    }

    /** A whole number; Typesafe Config's getInt would quietly cut {@code 2775.5} to 2775. */
    private static int integer(Config c, String at, String key, Integer fallback) {
        if (!c.hasPath(key)) {
            check(fallback != null, at + key + " is missing");
            return fallback;
        }
        int v = read(c, at, key, "a whole number (32-bit)", true, c::getInt);
        check(c.getDouble(key) == v, at + key + " must be a whole number, got "
                + c.getValue(key).render(ConfigRenderOptions.concise()));
        return v;
    }

    private static Duration duration(Config c, String at, String key, Duration fallback) {
        return c.hasPath(key) ? read(c, at, key, "a duration (e.g. 10s, 500ms)", true, c::getDuration) : fallback;
    }

    private static int tonNpi(Config c, String key, String at) {
        if (!c.hasPath(key)) {
            return -1;
        }
        String v = read(c, at, key, "auto or a number", true, c::getString).strip();
        if (v.equals("auto")) {
            return -1;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + key + " must be auto or a number, got '" + v + "'");
        }
    }

    private static BindMode bindMode(String v, String at) {
        return switch (v.strip()) {
            case "transceiver" -> BindMode.TRANSCEIVER;
            case "transmitter+receiver" -> BindMode.TRANSMITTER_RECEIVER;
            default -> throw new IllegalArgumentException(at + "bind must be transceiver or transmitter+receiver, got '" + v + "'");
        };
    }

    private static LongMessages longMessages(String v, String at) {
        return switch (v.strip()) {
            case "udh" -> LongMessages.UDH;
            case "payload" -> LongMessages.PAYLOAD;
            default -> throw new IllegalArgumentException(at + "long-messages must be udh or payload, got '" + v + "'");
        };
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isZero() && !d.isNegative();
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
