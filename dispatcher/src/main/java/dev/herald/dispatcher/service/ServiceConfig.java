package dev.herald.dispatcher.service;

import com.typesafe.config.Config;
import dev.herald.dispatcher.inbound.InboundSettings;
import dev.herald.dispatcher.inbound.IntentPhrases;
import dev.herald.dispatcher.inbound.KeywordRules;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.SendLedgerOptions;

import java.util.Map;

/**
 * The parts of the configuration a service reads besides {@code herald.service} ({@link ServiceSettings}),
 * read before anything is opened so that a bad setting fails the start with nothing touched.
 *
 * <pre>{@code
 * ServiceConfig c = ServiceConfig.read(ConfigFactory.load(), System.getenv());
 * }</pre>
 *
 * @param senders  the sender profiles ({@code herald.senders})
 * @param policy   the default quiet-hours policy
 * @param caps     the configured frequency-cap rules (the recipients' preferences add theirs)
 * @param ledger   the cap ledger's options
 * @param keywords the inbound keywords (STOP, START, HELP, ...)
 * @param inbound  the inbound webhook's settings (its secret from the environment)
 * @param intents  the phrases that read as an opt-out intent
 * @param accounts the real connectors ({@code herald.connectors}: SMPP accounts, Kannel gateways)
 * @param receipts how delivery receipts are matched ({@code herald.receipts})
 * @param conversions how conversions are attributed and which are taken ({@code herald.funnel})
 * @param events   which events {@code POST /v1/events} takes ({@code herald.journeys.events})
 * @param rfm      the RFM and lifecycle segments ({@code herald.segments.rfm})
 */
record ServiceConfig(SenderProfiles senders, QuietHoursPolicy policy, FrequencyCaps caps, SendLedgerOptions ledger,
                     KeywordRules keywords, InboundSettings inbound, IntentPhrases intents,
                     dev.herald.dispatcher.connector.ConnectorAccounts accounts,
                     dev.herald.dispatcher.delivery.ReceiptSettings receipts,
                     dev.herald.dispatcher.funnel.ConversionSettings conversions,
                     dev.herald.dispatcher.journey.EventSettings events,
                     dev.herald.dispatcher.segment.rfm.RfmSettings rfm) {

    /**
     * @param config the whole configuration
     * @param env    the environment (the inbound webhook's secret)
     * @return the settings read
     * @throws RuntimeException naming the setting that is wrong (each part's own message)
     */
    static ServiceConfig read(Config config, Map<String, String> env) {
        return new ServiceConfig(SenderProfiles.fromConfig(config), QuietHoursPolicies.fromConfig(config).get("default"),
                FrequencyCaps.fromConfig(config), SendLedgerOptions.fromConfig(config), KeywordRules.fromConfig(config),
                InboundSettings.fromConfig(config, env), IntentPhrases.fromConfig(config),
                dev.herald.dispatcher.connector.ConnectorAccounts.fromConfig(config,
                        config.getString("herald.service.connector.name"), env::get),
                dev.herald.dispatcher.delivery.ReceiptSettings.fromConfig(config),
                dev.herald.dispatcher.funnel.ConversionSettings.fromConfig(config),
                dev.herald.dispatcher.journey.EventSettings.fromConfig(config),
                dev.herald.dispatcher.segment.rfm.RfmSettings.fromConfig(config));
    }
}
