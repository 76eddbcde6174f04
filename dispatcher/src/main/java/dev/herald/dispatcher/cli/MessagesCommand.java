package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.delivery.Deliveries;
import dev.herald.dispatcher.delivery.DeliveryLedger;
import dev.herald.dispatcher.links.LinkTokens;
import dev.herald.dispatcher.message.MessageRetention;
import dev.herald.dispatcher.message.SentMessages;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.suppression.Recipient;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald messages show|purge}: what was sent to whom, from the campaigns' message logs. */
@Command(name = "messages", description = "What was sent: each campaign's message log.",
        subcommands = {MessagesCommand.Show.class, MessagesCommand.Purge.class})
final class MessagesCommand {

    /** The configuration: the defaults, or {@code file} over them (as {@code herald serve --config}). */
    static Config config(Path file) {
        if (file == null) {
            return ConfigFactory.load();
        }
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--config: no such file: " + file);
        }
        return ConfigFactory.defaultOverrides().withFallback(ConfigFactory.parseFile(file.toFile()))
                .withFallback(ConfigFactory.load()).resolve();
    }

    @Command(name = "show", description = {
            "Shows every message the number was handed over, across campaigns, newest first: campaign, variant, time,",
            "connector, the exact text (rebuilt from the template and the stored fields, checked against the CRC-32",
            "of the text handed over; never a guess), encoding, parts, the fields, and the receipts' message ids.",
            "Reads only: no lock taken, nothing written."})
    static final class Show extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number (E.164, or national with --default-region).")
        String phone;

        @Option(names = "--from", paramLabel = "WHEN", description = "An instant (2026-12-01T00:00:00Z) or a date (2026-12-01, UTC), inclusive.")
        String from;

        @Option(names = "--to", paramLabel = "WHEN", description = "An instant or a date (that day's start, UTC), exclusive; default: now.")
        String to;

        @Option(names = "--config", paramLabel = "FILE",
                description = "The service's HOCON file (its link and unsubscribe base URLs and secrets rebuild the texts).")
        Path configFile;

        @Override
        int run(HeraldData data) throws Exception {
            Instant start = from == null ? Instant.EPOCH : instant(from, "--from");
            Instant end = to == null ? Instant.now().plusMillis(1) : instant(to, "--to");
            if (!start.isBefore(end)) {
                throw new IllegalArgumentException("--from (" + start + ") must be before --to (" + end + ")");
            }
            Optional<Recipient> found = data.directory().find(phone);
            if (found.isEmpty()) {
                err().println("herald: " + phone + " is not in the directory");
                return HeraldCommand.NO;
            }
            Recipient r = found.get();
            Path root = data.root();
            Config config = config(configFile);
            CampaignStore store = new CampaignStore(root.resolve("campaigns"));
            List<SentMessages.Message> all = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            try (CampaignNumbers numbers = Files.exists(root.resolve("campaign-numbers.log"))
                    ? CampaignNumbers.open(root.resolve("campaign-numbers.log")) : null) {
                SentMessages sent = new SentMessages(unsubscribeLinks(root, config, numbers), linkTokens(root, config, numbers),
                        (campaign, recipient) -> receipts(store, campaign, recipient),
                        data.directory().cipher(dev.herald.dispatcher.message.MessageLog.PURPOSE));
                for (CampaignRecord c : store.list()) {
                    if (c.status() == CampaignStatus.DAMAGED || c.startedAt() == null || !c.startedAt().isBefore(end)
                            || c.finishedAt() != null && c.finishedAt().isBefore(start)) {
                        continue;
                    }
                    try {
                        // the outcome ledger's bitmaps first: a campaign that never sent to the number is not read further
                        Optional<RecipientOutcome> o = OutcomeLedger.readOutcomeOf(store.ledgerDir(c.id()), r.id());
                        if (o.isEmpty() || !(o.get().outcome().equals(Outcomes.SENT) || o.get().outcome().equals(Outcomes.UNKNOWN))) {
                            continue;
                        }
                        all.addAll(sent.of(c, store.ledgerDir(c.id()), r.id(), r.e164()));
                    } catch (NoSuchFileException e) {
                        // a campaign created but never run has no ledger files yet
                    } catch (java.io.IOException | RuntimeException e) {
                        problems.add(c.id() + ": " + e.getMessage());
                    }
                }
            }
            all.removeIf(m -> m.handedAt().isBefore(start) || !m.handedAt().isBefore(end));
            all.sort(Comparator.comparing(SentMessages.Message::handedAt).reversed());
            out().printf("%s: %d message(s) handed over from %s to %s%n", r.e164(), all.size(), start, end);
            for (SentMessages.Message m : all) {
                out().println();
                out().printf("campaign    %s%s%n", m.campaign(), m.variant() == null ? "" : " (variant " + m.variant() + ")");
                out().printf("handed      %s via %s%n", m.handedAt(), m.connector());
                if (m.text() != null) {
                    out().printf("text        %s%n", m.text().replace("\n", "\n            "));
                    out().printf("encoding    %s, %d part(s)%n", m.encoding().name(), m.parts());
                } else {
                    out().printf("text        (not shown) %s%n", m.notRebuilt());
                }
                out().printf("fields      %s%n", m.fields().isEmpty() ? "-" : m.fields());
                out().printf("receipt     %s%n", m.delivery().map(d -> "message ids " + d.messageIds()
                        + (d.at() == null ? "" : ", last receipt at " + d.at())).orElse("no receipt yet"));
            }
            for (String p : problems) {
                err().println("herald: could not read campaign " + p);
            }
            return problems.isEmpty() ? 0 : HeraldCommand.DATA_ERROR;
        }

        /** The receipts' message ids and last time, read from the campaign's delivery log (no result: that is the service's state). */
        private static Optional<Deliveries.RecipientDelivery> receipts(CampaignStore store, String campaign, int recipient)
                throws java.io.IOException {
            Path file = store.campaignDir(campaign).resolve(DeliveryLedger.FILE);
            if (!Files.exists(file)) {
                return Optional.empty();
            }
            DeliveryLedger.RecipientLines lines = DeliveryLedger.recipientLines(file, recipient);
            return lines.messageIds().isEmpty() ? Optional.empty()
                    : Optional.of(new Deliveries.RecipientDelivery(null, List.copyOf(lines.messageIds().values()),
                    lines.lastAtMillis() < 0 ? null : Instant.ofEpochMilli(lines.lastAtMillis()), null));
        }
    }

    @Command(name = "purge", description = {
            "Deletes the message logs of campaigns finished longer ago than herald.messages.retention (default 400 days).",
            "The campaigns, their outcomes and the consent ledger are kept. `herald suppression compact` does this too."})
    static final class Purge extends DataCommand {
        @Option(names = "--config", paramLabel = "FILE", description = "A HOCON file overriding the defaults.")
        Path configFile;

        @Override
        int run(HeraldData data) throws Exception {
            MessageRetention.Purged p = MessageRetention.purge(new CampaignStore(data.root().resolve("campaigns")),
                    MessageRetention.retention(config(configFile)), Instant.now());
            out().printf("message logs: %d campaign(s) past retention, %d bytes deleted%n", p.campaigns(), p.bytes());
            return 0;
        }
    }

    /** An ISO-8601 instant or a date (that day's start, UTC). @throws IllegalArgumentException naming the option */
    static Instant instant(String text, String option) {
        String t = text.strip();
        try {
            return t.length() == 10 ? LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(t);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(option + " must be an ISO-8601 instant (2026-12-01T00:00:00Z) or a date"
                    + " (2026-12-01), got '" + text + "'");
        }
    }

    /** The unsubscribe links as the service signs them, if it ever made or was given their key. */
    private static UnsubscribeLinks unsubscribeLinks(Path root, Config config, CampaignNumbers numbers) throws java.io.IOException {
        boolean keyed = Files.exists(root.resolve("unsubscribe").resolve("secret.key"))
                || config.hasPath("herald.unsubscribe.secret") && !config.getString("herald.unsubscribe.secret").isBlank();
        return numbers != null && keyed ? UnsubscribeLinks.open(root.resolve("unsubscribe"), config, numbers) : null;
    }

    /** The tracked links as the service signs them, if it ever made or was given their key. */
    private static LinkTokens linkTokens(Path root, Config config, CampaignNumbers numbers) throws java.io.IOException {
        boolean keyed = Files.exists(root.resolve("links").resolve("secret.key"))
                || config.hasPath("herald.links.secret") && !config.getString("herald.links.secret").isBlank();
        return numbers != null && keyed ? LinkTokens.open(root.resolve("links"), config, numbers) : null;
    }
}
