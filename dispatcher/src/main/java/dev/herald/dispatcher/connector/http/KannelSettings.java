package dev.herald.dispatcher.connector.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import dev.herald.dispatcher.connector.ConnectorKeys;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * One Kannel gateway, as {@code herald.connectors.<name>} configures it ({@code type = kannel});
 * every key is documented in {@code herald-connectors.conf}.
 *
 * <p>Immutable.
 *
 * @param name           the connector's name
 * @param sendsms        Kannel smsbox's {@code sendsms} URL, e.g. {@code http://127.0.0.1:13013/cgi-bin/sendsms}
 * @param username       a {@code sendsms-user}'s name
 * @param password       its password
 * @param smsc           the {@code smsc-id} to route through, or empty for Kannel's choice
 * @param window         requests to Kannel at once, 1–1,000
 * @param rate           messages per second for every campaign on it together (0: unlimited);
 *                       Kannel reports an SMSC's throttling only by queueing, so this paces it
 * @param callbackBase   Herald's base URL as Kannel reaches it, e.g. {@code http://10.0.0.5:8080}:
 *                       delivery reports come to {@code <callbackBase>/v1/receipts/<name>}; empty:
 *                       no delivery reports are asked for
 * @param moSecret       the secret Kannel's {@code get-url} carries as {@code k=} for replies to
 *                       {@code /v1/inbound/kannel/<name>}; empty: replies through Kannel are refused
 * @param requestTimeout how long a {@code sendsms} request may take; after that it is
 *                       unconfirmed (Kannel may have queued it)
 */
public record KannelSettings(String name, URI sendsms, String username, String password, String smsc, int window,
                             double rate, String callbackBase, String moSecret, Duration requestTimeout) {

    /** The keys a Kannel connector may have. */
    public static final Set<String> KEYS = Set.of("type", "sendsms-url", "username", "password", "password-env", "smsc",
            "window", "rate", "callback-base", "mo-secret", "mo-secret-env", "request-timeout");

    /** @throws IllegalArgumentException naming the key that is wrong */
    public KannelSettings {
        String at = "herald.connectors." + name + ".";
        check(sendsms != null && ("http".equals(sendsms.getScheme()) || "https".equals(sendsms.getScheme()))
                && sendsms.getHost() != null, at + "sendsms-url must be an http(s) URL, got " + sendsms);
        check(username != null && !username.isEmpty(), at + "username is missing");
        check(password != null, at + "password is missing");
        check(smsc != null, at + "smsc is missing");
        check(window >= 1 && window <= 1_000, at + "window must be 1-1000, got " + window);
        check(rate >= 0 && Double.isFinite(rate), at + "rate must be >= 0 (0: unlimited), got " + rate);
        check(callbackBase != null && (callbackBase.isEmpty() || callbackBase.matches("https?://[^/?#\\s]+(/[^?#\\s]*)?")),
                at + "callback-base must be empty or an http(s) base URL without query, got '" + callbackBase + "'");
        check(moSecret != null && (moSecret.isEmpty() || moSecret.length() >= 16),
                at + "mo-secret must be empty or at least 16 characters");
        check(requestTimeout != null && !requestTimeout.isZero() && !requestTimeout.isNegative(),
                at + "request-timeout must be > 0");
    }

    /** @return this gateway with that window and rate (a cluster node's share of it) */
    public KannelSettings withShare(int window, double rate) {
        return new KannelSettings(name, sendsms, username, password, smsc, window, rate, callbackBase, moSecret, requestTimeout);
    }

    /**
     * @param name the connector's name
     * @param c    its configuration block
     * @param env  the environment ({@code password-env}, {@code mo-secret-env})
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, unknown, of the wrong type or out of range
     */
    public static KannelSettings fromConfig(String name, Config c, Function<String, String> env) {
        String at = "herald.connectors." + name + ".";
        ConnectorKeys.refuseUnknown(c, at, KEYS, "a Kannel connector");
        try {
            check(c.hasPath("sendsms-url"), at + "sendsms-url is missing");
            URI url;
            try {
                url = URI.create(c.getString("sendsms-url"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + "sendsms-url is not a URL: " + e.getMessage());
            }
            return new KannelSettings(name, url, c.hasPath("username") ? c.getString("username") : "",
                    ConnectorKeys.secret(c, env, at, "password"), c.hasPath("smsc") ? c.getString("smsc") : "",
                    c.hasPath("window") ? c.getInt("window") : 20, c.hasPath("rate") ? c.getDouble("rate") : 0,
                    c.hasPath("callback-base") ? c.getString("callback-base").replaceAll("/+$", "") : "",
                    ConnectorKeys.secret(c, env, at, "mo-secret"),
                    c.hasPath("request-timeout") ? c.getDuration("request-timeout") : Duration.ofSeconds(10));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + at + e.getMessage().replaceFirst("^[^:]*: ", ""), e);
        }
    }

    /** @return the settings without secrets, for logs */
    @Override
    public String toString() {
        return "KannelSettings[" + name + " " + sendsms + " as " + username + ", window " + window + ", rate " + rate + "]";
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
