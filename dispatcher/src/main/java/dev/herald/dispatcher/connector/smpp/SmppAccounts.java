package dev.herald.dispatcher.connector.smpp;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The real connectors of {@code herald.connectors}: each key is a connector's name, its block says
 * its {@code type}. Today's type is {@code smpp} ({@link SmppSettings}); anything else is refused
 * naming the key, as is a name the embedded connector already has.
 *
 * <pre>{@code
 * List<SmppSettings> accounts = SmppAccounts.fromConfig(config, "simulated", System::getenv);
 * }</pre>
 *
 * <p>Stateless.
 */
public final class SmppAccounts {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    private SmppAccounts() {
    }

    /**
     * @param root         the whole configuration
     * @param embeddedName the embedded connector's name, which no configured one may take
     * @param env          the environment, for {@code password-env}
     * @return the accounts, in the configuration's order of names (sorted)
     * @throws IllegalArgumentException naming the key that is wrong
     */
    public static List<SmppSettings> fromConfig(Config root, String embeddedName, Function<String, String> env) {
        List<SmppSettings> out = new ArrayList<>();
        if (!root.hasPath("herald.connectors")) {
            return out;
        }
        Config all = root.getConfig("herald.connectors");
        for (Map.Entry<String, ConfigValue> e : new java.util.TreeMap<>(all.root()).entrySet()) {
            String name = e.getKey();
            String at = "herald.connectors." + name;
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(at + ": a connector's name must be 1-32 of a-z 0-9 -");
            }
            if (name.equals(embeddedName)) {
                throw new IllegalArgumentException(at + ": the embedded connector is named '" + embeddedName
                        + "' (herald.service.connector.name); choose another name");
            }
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                throw new IllegalArgumentException(at + " must be a block { type = smpp, ... }");
            }
            Config c = all.getConfig("\"" + name + "\"");
            String type = c.hasPath("type") ? c.getString("type") : null;
            if (!"smpp".equals(type)) {
                throw new IllegalArgumentException(at + ".type must be smpp, got " + (type == null ? "nothing" : "'" + type + "'"));
            }
            out.add(SmppSettings.fromConfig(name, c, env));
        }
        return out;
    }
}
