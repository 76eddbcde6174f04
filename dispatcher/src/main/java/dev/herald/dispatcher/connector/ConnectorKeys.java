package dev.herald.dispatcher.connector;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * What every connector's settings do with their {@code herald.connectors.<name>} block: refuse a
 * key they do not know (a typo must not pass silently), read a secret given directly or through
 * an environment variable ({@code <key>-env}), and name the key in every error.
 *
 * <pre>{@code
 * ConnectorKeys.refuseUnknown(c, "herald.connectors.acme.", KEYS, "an SMPP connector");
 * String password = ConnectorKeys.secret(c, System::getenv, "herald.connectors.acme.", "password");
 * }</pre>
 *
 * <p>Stateless.
 */
public final class ConnectorKeys {

    private ConnectorKeys() {
    }

    /**
     * @param c    the block
     * @param at   the block's path with a trailing dot, e.g. {@code herald.connectors.acme.}
     * @param keys the keys it may have
     * @param kind what it configures, for the message, e.g. {@code an SMPP connector}
     * @throws IllegalArgumentException naming the first unknown key and listing the known ones
     */
    public static void refuseUnknown(Config c, String at, Set<String> keys, String kind) {
        Set<String> unknown = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : c.root().entrySet()) {
            if (!keys.contains(e.getKey())) {
                unknown.add(e.getKey());
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(at + unknown.iterator().next() + " is not a key of " + kind + " (keys: "
                    + new TreeSet<>(keys) + ")");
        }
    }

    /**
     * A secret given as {@code key} or, to keep it out of files, as {@code key-env} naming an
     * environment variable; not both.
     *
     * @return the secret, or empty if neither is given
     * @throws IllegalArgumentException naming the key if both are given or the variable is not set
     */
    public static String secret(Config c, Function<String, String> env, String at, String key) {
        if (c.hasPath(key + "-env")) {
            check(!c.hasPath(key), at + key + " and " + key + "-env: give one, not both");
            String variable = c.getString(key + "-env");
            String v = env.apply(variable);
            check(v != null, at + key + "-env names the environment variable " + variable + ", which is not set");
            return v;
        }
        return c.hasPath(key) ? c.getString(key) : "";
    }

    /** @throws IllegalArgumentException with {@code message} unless {@code ok} */
    public static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
