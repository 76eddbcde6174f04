package dev.herald.dispatcher.connector;

import dev.herald.dispatcher.connector.http.KannelSettings;
import dev.herald.dispatcher.connector.smpp.SmppSettings;

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
 * its {@code type}: {@code smpp} ({@link SmppSettings}), {@code kannel} ({@link KannelSettings}) or
 * {@code http-json} ({@link dev.herald.dispatcher.connector.http.JsonGatewaySettings});
 * anything else is refused naming the key, as is a name the embedded connector already has.
 *
 * <pre>{@code
 * ConnectorAccounts a = ConnectorAccounts.fromConfig(config, "simulated", System::getenv);
 * a.smpp();     // the SMPP accounts
 * a.kannel();   // the Kannel gateways
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param smpp   the SMPP accounts, by name
 * @param kannel the Kannel gateways, by name
 */
public record ConnectorAccounts(List<SmppSettings> smpp, List<KannelSettings> kannel,
                                List<dev.herald.dispatcher.connector.http.JsonGatewaySettings> json) {

    /** @return no accounts */
    public static ConnectorAccounts none() {
        return new ConnectorAccounts(List.of(), List.of(), List.of());
    }

    /** @return the JSON gateway of that name, if there is one */
    public java.util.Optional<dev.herald.dispatcher.connector.http.JsonGatewaySettings> json(String name) {
        return json.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    /** @return whether an HTTP gateway (Kannel or JSON) of that name takes delivery-report callbacks */
    public boolean takesCallbacks(String name) {
        return kannel(name).map(k -> !k.callbackBase().isEmpty()).orElse(false)
                || json(name).map(j -> !j.callbackBase().isEmpty()).orElse(false);
    }

    /** @return the Kannel gateway of that name, if there is one */
    public java.util.Optional<KannelSettings> kannel(String name) {
        return kannel.stream().filter(k -> k.name().equals(name)).findFirst();
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    /**
     * @param root         the whole configuration
     * @param embeddedName the embedded connector's name, which no configured one may take
     * @param env          the environment, for {@code password-env}
     * @return the accounts, each list sorted by name
     * @throws IllegalArgumentException naming the key that is wrong
     */
    public static ConnectorAccounts fromConfig(Config root, String embeddedName, Function<String, String> env) {
        List<SmppSettings> out = new ArrayList<>();
        List<KannelSettings> kannels = new ArrayList<>();
        List<dev.herald.dispatcher.connector.http.JsonGatewaySettings> jsons = new ArrayList<>();
        if (!root.hasPath("herald.connectors")) {
            return none();
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
                throw new IllegalArgumentException(at + " must be a block { type = smpp | kannel, ... }");
            }
            Config c = all.getConfig("\"" + name + "\"");
            String type = c.hasPath("type") ? c.getString("type") : null;
            if ("smpp".equals(type)) {
                out.add(SmppSettings.fromConfig(name, c, env));
            } else if ("kannel".equals(type)) {
                kannels.add(KannelSettings.fromConfig(name, c, env));
            } else if ("http-json".equals(type)) {
                jsons.add(dev.herald.dispatcher.connector.http.JsonGatewaySettings.fromConfig(name, c, env));
            } else {
                throw new IllegalArgumentException(at + ".type must be smpp, kannel or http-json, got "
                        + (type == null ? "nothing" : "'" + type + "'"));
            }
        }
        return new ConnectorAccounts(List.copyOf(out), List.copyOf(kannels), List.copyOf(jsons));
    }
}
