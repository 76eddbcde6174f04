package dev.herald.dispatcher.inbound;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * {@code herald.inbound}'s settings for the reply webhook (see {@code herald-inbound.conf}); the
 * keyword lists are {@link KeywordRules}'.
 *
 * @param secret            the signature secret's bytes; empty when none is configured (every request refused)
 * @param allChannels       whether a STOP covers every channel of the recipient
 * @param replayWindow      older timestamps are refused; ids and bodies are remembered (a little longer than) this long
 * @param requireTimestamp  whether a request without a timestamp is refused
 * @param attributionWindow how old the last marketing message may be for an opt-out to be attributed to it
 * @param maxBody           largest request body, in bytes
 * @param replyCampaign     the campaign id confirmations carry in the connector's logs
 */
public record InboundSettings(Optional<byte[]> secret, boolean allChannels, Duration replayWindow, boolean requireTimestamp,
                              Duration attributionWindow, long maxBody, String replyCampaign) {

    /** The environment variable that, when set, is the secret. */
    public static final String SECRET_ENV = "HERALD_INBOUND_SECRET";

    /**
     * @param root the whole configuration
     * @param env  the environment ({@value #SECRET_ENV})
     * @throws IllegalArgumentException naming the key that is missing or wrong
     */
    public static InboundSettings fromConfig(Config root, Map<String, String> env) {
        try {
            Config c = root.getConfig("herald.inbound");
            String secret = env.getOrDefault(SECRET_ENV, "");
            if (secret.isEmpty()) {
                secret = c.getString("secret");
            }
            if (!secret.isEmpty() && secret.length() < 16) {
                throw new IllegalArgumentException("configuration: herald.inbound.secret (or " + SECRET_ENV
                        + ") must be at least 16 characters");
            }
            Duration replay = positive(c, "replay-window");
            Duration attribution = positive(c, "attribution-window");
            long maxBody = c.getBytes("max-body");
            if (maxBody < 256 || maxBody > 16L << 20) {
                throw new IllegalArgumentException("configuration: herald.inbound.max-body must be 256 B..16 MiB, got " + maxBody);
            }
            String reply = c.getString("reply-campaign");
            if (reply.isBlank() || reply.length() > 128 || reply.chars().anyMatch(ch -> ch == '\t' || ch == '\n' || ch == '\r')) {
                throw new IllegalArgumentException("configuration: herald.inbound.reply-campaign must be 1-128 characters without tab or line break");
            }
            return new InboundSettings(secret.isEmpty() ? Optional.empty() : Optional.of(secret.getBytes(StandardCharsets.UTF_8)),
                    c.getBoolean("all-channels"), replay, c.getBoolean("require-timestamp"), attribution, maxBody, reply);
        } catch (ConfigException e) {
            throw new IllegalArgumentException("configuration: " + e.getMessage(), e);
        }
    }

    private static Duration positive(Config c, String key) {
        Duration d = c.getDuration(key);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("configuration: herald.inbound." + key + " must be positive, got " + d);
        }
        return d;
    }
}
