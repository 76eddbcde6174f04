package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.suppression.ConsentLedger;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.Recipient;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald ledger show|export}: the consent ledger, the evidence of every opt-out and opt-in. */
@Command(name = "ledger", description = "Consent ledger: every opt-out and opt-in with its evidence.",
        subcommands = {LedgerCommand.Show.class, LedgerCommand.Export.class})
final class LedgerCommand {

    @Command(name = "show", description = "Shows one recipient's consent history, oldest first.")
    static final class Show extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number.")
        String phone;

        @Option(names = "--json", description = "JSON lines instead of a table.")
        boolean json;

        @Override
        int run(HeraldData data) throws IOException {
            // idOf, not find: an erased person's evidence stays answerable by the number (its keyed hash finds the id)
            dev.herald.suppression.RecipientDirectory directory = data.directory();
            java.util.OptionalInt found = directory.idOf(phone);
            if (found.isEmpty()) {
                err().println("herald: " + phone + " is not in the directory: no consent history");
                return HeraldCommand.NO;
            }
            int id = found.getAsInt();
            String e164 = directory.get(id).map(Recipient::e164)
                    .orElseGet(() -> directory.phoneNumbers().normalize(phone.strip()).e164());
            ConsentLedger ledger = data.suppression().ledger();
            if (json) {
                ledger.exportJsonLines(Instant.MIN, Instant.MAX, id, out());
                out().flush();
                return 0;
            }
            ConsentLedger.History read = ledger.historyOf(id);
            List<ConsentRecord> history = read.records();
            for (ConsentLedger.DamagedSegment d : read.damaged()) {
                err().println("herald: history may be incomplete: archived ledger segment " + d.file() + " (seq "
                        + d.firstSeq() + "-" + d.lastSeq() + ") cannot be read: " + d.error());
            }
            if (history.isEmpty()) {
                out().println("no consent history for " + e164);
                return read.complete() ? 0 : HeraldCommand.DATA_ERROR;
            }
            for (ConsentRecord c : history) {
                out().printf("%-24s %-7s %-22s %-8s %-6s %s%s%n", c.time(), c.action().label(), c.scope(),
                        c.evidence().source().label(), c.evidence().channel() == null ? "-" : c.evidence().channel(),
                        c.evidence().rawText() == null ? "" : "\"" + c.evidence().rawText() + "\"",
                        c.evidence().campaignId() == null ? "" : " campaign=" + c.evidence().campaignId());
            }
            return read.complete() ? 0 : HeraldCommand.DATA_ERROR;
        }
    }

    /**
     * {@code herald ledger export [--from T] [--to T] [-o FILE]}: every record with {@code from <= time < to} as
     * one JSON object a line ({@link ConsentLedger#writeJson}: seq, time, action, recipientId, phone, scope,
     * source, channel, text, campaign, and sentAt when the opt-out is attributed to a send). Times are checked
     * before the data directory is opened: a bad date or {@code from >= to} exits 2 naming the option.
     */
    @Command(name = "export", description = "Writes the ledger as JSON lines for audits.")
    static final class Export extends DataCommand {
        @Option(names = "--from", description = {"Earliest time (inclusive): an ISO-8601 instant (2026-01-01T00:00:00Z)",
                "or a date (2026-01-01: the start of that day, UTC); default: the beginning."})
        String from;

        @Option(names = "--to", description = {"End time (exclusive), as --from: --to 2026-02-01 ends with the last",
                "record of January (UTC); default: now and later."})
        String to;

        @Option(names = {"-o", "--output"}, description = "Write to this file instead of standard output.")
        Path output;

        @Override
        int run(HeraldData data) throws IOException {
            Instant f = parse("--from", from, Instant.MIN);
            Instant t = parse("--to", to, Instant.MAX);
            if (!f.isBefore(t)) {
                throw new IllegalArgumentException("--from " + from + " must be before --to " + to + " (the end is exclusive)");
            }
            ConsentLedger ledger = data.suppression().ledger();
            long n;
            if (output == null) {
                n = ledger.exportJsonLines(f, t, -1, out());
                out().flush();
            } else {
                try (OutputStream os = Files.newOutputStream(output)) {
                    n = ledger.exportJsonLines(f, t, -1, os);
                }
            }
            err().println("exported " + n + " consent records");
            return 0;
        }

        private static Instant parse(String option, String text, Instant dflt) {
            if (text == null) {
                return dflt;
            }
            try {
                String t = text.strip();
                return t.length() == 10 ? LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(t);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(option + " '" + text + "' is neither an ISO-8601 instant such as "
                        + "2026-01-01T00:00:00Z nor a date such as 2026-01-01");
            }
        }
    }
}
