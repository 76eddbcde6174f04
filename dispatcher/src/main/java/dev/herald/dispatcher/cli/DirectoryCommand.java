package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.Recipient;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.herald.suppression.PhoneNumbers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code herald directory import|show}: the recipient directory. */
@Command(name = "directory", description = "Recipient directory: phone numbers, ids and attributes.",
        subcommands = {DirectoryCommand.Import.class, DirectoryCommand.Show.class, DirectoryCommand.Erase.class})
final class DirectoryCommand {

    @Command(name = "import", description = {
            "Imports recipients from a CSV file with a header row: a 'phone' column, optional 'tz' and 'locale',",
            "and any personal fields (e.g. first_name). Prints 'line N: reason' for each rejected line and",
            "ends with 'imported X (N new, K already known), rejected Y, L lines read'. Re-importing is idempotent."})
    static final class Import extends DataCommand {
        @Parameters(paramLabel = "FILE.csv", description = "The CSV file.")
        Path file;

        @Override
        boolean createsData() {
            return true;
        }

        @Override
        int run(HeraldData data) throws Exception {
            ImportReport report = data.directory().importCsv(inputFile(file), new ImportListener() {
                @Override
                public void onRejected(long lineNumber, String reason) {
                    out().println("line " + lineNumber + ": " + reason);
                }
            });
            out().println(summary(report));
            return 0;
        }
    }

    /** The last line of an import: {@code imported 3 (2 new, 1 already known), rejected 3, 6 lines read}. */
    static String summary(ImportReport report) {
        return "imported " + report.imported() + " (" + report.created() + " new, " + report.duplicates()
                + " already known), rejected " + report.rejected() + ", " + report.lines() + " lines read";
    }

    @Command(name = "show", description = "Shows one recipient: id, number, region, zone, locale, fields, suppressions.")
    static final class Show extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number (E.164, or national with --default-region).")
        String phone;

        @Override
        int run(HeraldData data) throws Exception {
            Optional<Recipient> found = data.directory().find(phone);
            if (found.isEmpty()) {
                err().println("herald: " + phone + " is not in the directory");
                return HeraldCommand.NO;
            }
            Recipient r = found.get();
            List<String> zones = r.zone() != null ? List.of(r.zone()) : PhoneNumbers.zonesOf(r.e164());
            out().printf("id          %d%n", r.id());
            out().printf("phone       %s%n", r.e164());
            out().printf("region      %s%n", r.region());
            out().printf("zone        %s%n", zones.isEmpty() ? "unknown"
                    : String.join(", ", zones) + (r.zone() != null ? "" : " (from the number)"));
            out().printf("locale      %s%n", r.locale() == null ? "-" : r.locale());
            for (Map.Entry<String, String> f : r.fields().entrySet()) {
                out().printf("%-11s %s%n", f.getKey(), f.getValue());
            }
            String scopes = data.suppression().snapshot().scopesOf(r.id()).stream()
                    .map(Object::toString).collect(Collectors.joining(" "));
            out().printf("suppressed  %s%n", scopes.isEmpty() ? "no" : scopes);
            return 0;
        }
    }

    @Command(name = "erase", description = {
            "Erases a person: their directory record (number, fields, zone, locale) now; the number and words in their",
            "unsubscribe reasons and held replies, their touches and preference now; their messages' fields and texts,",
            "clicks, event properties and the number and words of their earlier consent records at the next",
            "`herald suppression compact`. Kept: their suppressions and the ledger's evidence of when and how they",
            "opted out, with the number only as a keyed hash, so a later upload of the number is still suppressed.",
            "The consent ledger and privacy/erasures.log record the erasure. Exit 1 if the number is not in the directory."})
    static final class Erase extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number (E.164, or national with --default-region).")
        String phone;

        @Override
        int run(HeraldData data) throws Exception {
            dev.herald.suppression.RecipientDirectory directory = data.directory();
            java.nio.file.Path root = data.root();
            try (dev.herald.dispatcher.privacy.Erasures erasures = dev.herald.dispatcher.privacy.Erasures.open(root);
                 dev.herald.dispatcher.unsubscribe.Preferences preferences =
                         dev.herald.dispatcher.unsubscribe.Preferences.open(root.resolve("unsubscribe"));
                 dev.herald.dispatcher.unsubscribe.ReasonLog reasons =
                         dev.herald.dispatcher.unsubscribe.ReasonLog.open(root.resolve("unsubscribe"));
                 dev.herald.dispatcher.inbound.ReviewQueue review =
                         dev.herald.dispatcher.inbound.ReviewQueue.open(root.resolve("inbound"));
                 dev.herald.dispatcher.funnel.TouchStore touches = java.nio.file.Files.isDirectory(
                         root.resolve(dev.herald.dispatcher.funnel.TouchStore.DIR))
                         ? dev.herald.dispatcher.funnel.TouchStore.open(root.resolve(dev.herald.dispatcher.funnel.TouchStore.DIR),
                         Math.max(1, directory.size())) : null) {
                dev.herald.dispatcher.privacy.RecipientErasure erasure = new dev.herald.dispatcher.privacy.RecipientErasure(
                        directory, data.suppression(), new dev.herald.dispatcher.privacy.PersonalDataEraser(erasures, touches,
                        preferences, review, reasons), java.time.Clock.systemUTC());
                java.util.Optional<dev.herald.dispatcher.privacy.RecipientErasure.Outcome> o =
                        erasure.erase(phone, "cli", dev.herald.suppression.ConsentSource.OPERATOR);
                if (o.isEmpty()) {
                    err().println("herald: " + phone + " is not in the directory");
                    return HeraldCommand.NO;
                }
                dev.herald.dispatcher.privacy.RecipientErasure.Outcome e = o.get();
                out().printf("erased      recipient %d at %s%n", e.recipientId(), e.at());
                out().printf("number      kept only as %s%n", e.phoneHash());
                out().printf("ledger      erasure recorded as #%d%n", e.ledgerSeq());
                out().printf("suppressed  %s%n", e.suppressed().isEmpty() ? "no" : String.join(" ", e.suppressed()));
                for (String line : e.now()) {
                    out().printf("removed     %s%n", line);
                }
                out().println("next        `herald suppression compact` removes their messages, clicks, event properties "
                        + "and the number and words of their earlier consent records");
                return 0;
            }
        }
    }
}
