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
 * One provider-style JSON gateway, as {@code herald.connectors.<name>} configures it
 * ({@code type = http-json}); every key is documented in {@code herald-connectors.conf}.
 *
 * <p>Immutable.
 *
 * @param name           the connector's name
 * @param url            where each message is POSTed as JSON
 * @param authorization  the {@code Authorization} header's value (e.g. {@code Bearer …}), or empty
 * @param idField        the answer's JSON field that holds the provider's message id
 * @param window         requests at once, 1–1,000
 * @param rate           messages per second for every campaign on it together (0: unlimited)
 * @param callbackBase   Herald's base URL as the provider reaches it; empty: no status callbacks
 * @param requestTimeout how long a request may take; after that it is unconfirmed
 */
public record JsonGatewaySettings(String name, URI url, String authorization, String idField, int window, double rate,
                                  String callbackBase, Duration requestTimeout) {

    /** The keys a JSON gateway may have. */
    public static final Set<String> KEYS = Set.of("type", "url", "authorization", "authorization-env", "id-field",
            "window", "rate", "callback-base", "request-timeout");

    /** @throws IllegalArgumentException naming the key that is wrong */
    public JsonGatewaySettings {
        String at = "herald.connectors." + name + ".";
        check(url != null && ("http".equals(url.getScheme()) || "https".equals(url.getScheme())) && url.getHost() != null,
                at + "url must be an http(s) URL, got " + url);
        check(authorization != null, at + "authorization is missing");
        check(idField != null && !idField.isBlank(), at + "id-field must not be empty");
        check(window >= 1 && window <= 1_000, at + "window must be 1-1000, got " + window);
        check(rate >= 0 && Double.isFinite(rate), at + "rate must be >= 0 (0: unlimited), got " + rate);
        check(callbackBase != null && (callbackBase.isEmpty() || callbackBase.matches("https?://[^/?#\\s]+(/[^?#\\s]*)?")),
                at + "callback-base must be empty or an http(s) base URL without query, got '" + callbackBase + "'");
        check(requestTimeout != null && !requestTimeout.isZero() && !requestTimeout.isNegative(),
                at + "request-timeout must be > 0");
    }

    /** @return this gateway with that window and rate (a cluster node's share of it) */
    public JsonGatewaySettings withShare(int window, double rate) {
        return new JsonGatewaySettings(name, url, authorization, idField, window, rate, callbackBase, requestTimeout);
    }

    /**
     * @param name the connector's name
     * @param c    its configuration block
     * @param env  the environment ({@code authorization-env})
     * @return the settings
     * @throws IllegalArgumentException naming the key that is missing, unknown, of the wrong type or out of range
     */
    public static JsonGatewaySettings fromConfig(String name, Config c, Function<String, String> env) {
        String at = "herald.connectors." + name + ".";
        ConnectorKeys.refuseUnknown(c, at, KEYS, "an http-json connector");
        try {
            check(c.hasPath("url"), at + "url is missing");
            URI url;
            try {
                url = URI.create(c.getString("url"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + "url is not a URL: " + e.getMessage());
            }
            String auth = ConnectorKeys.secret(c, env, at, "authorization");
            return new JsonGatewaySettings(name, url, auth, c.hasPath("id-field") ? c.getString("id-field") : "id",
                    c.hasPath("window") ? c.getInt("window") : 20, c.hasPath("rate") ? c.getDouble("rate") : 0,
                    c.hasPath("callback-base") ? c.getString("callback-base").replaceAll("/+$", "") : "",
                    c.hasPath("request-timeout") ? c.getDuration("request-timeout") : Duration.ofSeconds(10));
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + at + e.getMessage().replaceFirst("^[^:]*: ", ""), e);
        }
    }

    /** @return the settings without the authorization, for logs */
    @Override
    public String toString() {
        return "JsonGatewaySettings[" + name + " " + url + ", window " + window + ", rate " + rate + "]";
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
