package dev.herald.dispatcher.cli;

import dev.herald.dispatcher.HeraldData;
import dev.herald.suppression.CompactionReport;
import dev.herald.suppression.ConsentChange;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.ConsentRecord;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.ImportListener;
import dev.herald.suppression.ImportReport;
import dev.herald.suppression.IndexOptions;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.roaringbitmap.buffer.MutableRoaringBitmap;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald suppression add|remove|import|check|export|compact}: the suppression index. */
@Command(name = "suppression", description = "Suppression index: opt-outs and do-not-contact lists per scope.",
        subcommands = {SuppressionCommand.Add.class, SuppressionCommand.Remove.class, SuppressionCommand.Import.class,
                SuppressionCommand.Check.class, SuppressionCommand.Export.class, SuppressionCommand.Counts.class,
                SuppressionCommand.Compact.class})
final class SuppressionCommand {

    /** Options that record how a change was made, kept in the consent ledger. */
    static final class EvidenceOptions {
        @Option(names = "--source",
                description = "Where the change came from: keyword, link, api, import, carrier, operator "
                        + "(default: operator for add/remove, import for import).")
        String source;

        @Option(names = "--channel", description = "Channel it came through, e.g. sms.")
        String channel;

        @Option(names = "--reason", description = "Raw text or reason, kept as evidence.")
        String reason;

        @Option(names = "--campaign", description = "Campaign the change answered.")
        String campaign;

        ConsentEvidence evidence(String defaultSource) {
            ConsentSource s = ConsentSource.parse(source == null ? defaultSource : source);
            return new ConsentEvidence(s, channel, reason, campaign, null);
        }
    }

    abstract static class Change extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number.")
        String phone;

        @Option(names = "--scope", required = true, description = "global, sender:<id>, channel:<name> or category:<name>.")
        String scope;

        @ArgGroup(exclusive = false)
        EvidenceOptions evidence = new EvidenceOptions();

        int change(HeraldData data, boolean optOut) throws IOException {
            Scope s = Scope.parse(scope);
            ConsentEvidence e = evidence.evidence("operator");
            Recipient r;
            if (optOut) {
                r = recipientOrRegister(data.directory(), phone);
            } else {
                Optional<Recipient> known = data.directory().find(phone);
                if (known.isEmpty()) {
                    out().println(phone + " is not in the directory: nothing to remove");
                    return HeraldCommand.NO;
                }
                r = known.get();
            }
            SuppressionIndex index = data.suppression();
            ConsentRecord rec = optOut ? index.optOut(r.id(), r.e164(), s, e) : index.optIn(r.id(), r.e164(), s, e);
            out().printf("%s %s (id %d) %s %s [ledger #%d]%n", optOut ? "suppressed" : "unsuppressed", r.e164(), r.id(),
                    optOut ? "in" : "from", s, rec.seq());
            return 0;
        }
    }

    @Command(name = "add", description = "Suppresses a number in a scope (durable before this returns).")
    static final class Add extends Change {
        @Override
        boolean createsData() {
            return true;
        }

        @Override
        int run(HeraldData data) throws IOException {
            return change(data, true);
        }
    }

    @Command(name = "remove", description = "Lifts a number's suppression in a scope (an opt-in, kept in the ledger).")
    static final class Remove extends Change {
        @Override
        int run(HeraldData data) throws IOException {
            return change(data, false);
        }
    }

    @Command(name = "import", description = {
            "Suppresses every number of a CSV file (header row with a 'phone' column) in a scope.",
            "Prints 'line N: reason' for each rejected line and ends with 'imported X, rejected Y'."})
    static final class Import extends DataCommand {
        private static final int BATCH = 10_000;

        @Parameters(paramLabel = "FILE.csv", description = "The CSV file.")
        Path file;

        @Option(names = "--scope", required = true, description = "global, sender:<id>, channel:<name> or category:<name>.")
        String scope;

        @ArgGroup(exclusive = false)
        EvidenceOptions evidence = new EvidenceOptions();

        @Override
        boolean createsData() {
            return true;
        }

        @Override
        int run(HeraldData data) throws IOException {
            Scope s = Scope.parse(scope);
            ConsentEvidence e = evidence.evidence("import");
            RecipientDirectory directory = data.directory();
            SuppressionIndex index = data.suppression();
            List<ConsentChange> batch = new ArrayList<>(BATCH);
            ImportReport report = directory.importCsv(inputFile(file), new ImportListener() {
                @Override
                public void onAccepted(long lineNumber, int id, boolean created) {
                    String e164 = directory.get(id).map(Recipient::e164).orElse(null);
                    batch.add(ConsentChange.optOut(id, e164, s, e));
                    if (batch.size() == BATCH) {
                        flush(index, batch);
                    }
                }

                @Override
                public void onRejected(long lineNumber, String reason) {
                    out().println("line " + lineNumber + ": " + reason);
                }
            });
            flush(index, batch);
            out().println("imported " + report.imported() + ", rejected " + report.rejected());
            return 0;
        }

        private static void flush(SuppressionIndex index, List<ConsentChange> batch) {
            try {
                index.apply(batch);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            batch.clear();
        }
    }

    @Command(name = "check", description = {
            "Tells whether a number is suppressed. Exits 0 printing 'suppressed' and the scopes,",
            "or exits 1 printing 'not suppressed'."})
    static final class Check extends DataCommand {
        @Parameters(paramLabel = "PHONE", description = "The phone number.")
        String phone;

        @Option(names = "--scope", description = "Only these scopes (repeatable); default: every scope.")
        List<String> scopes;

        @Override
        int run(HeraldData data) throws IOException {
            // idOf, not find: an erased person's number still finds its id (by its keyed hash), and its opt-out holds
            java.util.OptionalInt r = data.directory().idOf(phone);
            List<Scope> found = List.of();
            if (r.isPresent()) {
                found = data.suppression().snapshot().scopesOf(r.getAsInt());
                if (scopes != null) {
                    List<Scope> wanted = scopes.stream().map(Scope::parse).toList();
                    found = found.stream().filter(wanted::contains).toList();
                }
            } else if (scopes != null) {
                scopes.forEach(Scope::parse);
            }
            if (found.isEmpty()) {
                out().println("not suppressed");
                return HeraldCommand.NO;
            }
            out().println("suppressed " + found.stream().map(Object::toString).collect(Collectors.joining(" ")));
            return 0;
        }
    }

    @Command(name = "export", description = "Writes a scope's suppressed numbers, one E.164 number a line.")
    static final class Export extends DataCommand {
        @Option(names = "--scope", required = true, description = "global, sender:<id>, channel:<name> or category:<name>.")
        String scope;

        @Option(names = "--ids", description = "Write recipient ids instead of numbers.")
        boolean ids;

        @Option(names = {"-o", "--output"}, description = "Write to this file instead of standard output.")
        Path output;

        @Override
        int run(HeraldData data) throws IOException {
            Scope s = Scope.parse(scope);
            MutableRoaringBitmap members = data.suppression().snapshot().export(s);
            RecipientDirectory directory = ids ? null : data.directory();
            long n;
            if (output == null) {
                n = write(members, directory, out());
                out().flush();
            } else {
                try (BufferedWriter w = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
                    n = write(members, directory, w);
                }
            }
            err().println("exported " + n + " from " + s);
            return 0;
        }

        private long write(MutableRoaringBitmap members, RecipientDirectory directory, Writer w) throws IOException {
            long n = 0;
            for (int id : members) {
                w.write(ids ? Integer.toString(id) : directory.get(id).map(Recipient::e164).orElse("#" + id));
                w.write('\n');
                n++;
            }
            return n;
        }
    }

    @Command(name = "counts", description = "Prints how many numbers each scope suppresses, one 'scope count' a line.")
    static final class Counts extends DataCommand {
        @Override
        int run(HeraldData data) throws IOException {
            SuppressionIndex index = data.suppression();
            index.snapshot().counts().forEach((scope, n) -> out().println(scope + " " + n));
            err().printf("(%d changes since the last compaction; opened in %.1f ms, %d log records replayed)%n",
                    index.snapshot().deltaSize(), (index.openReport().baseLoadNanos() + index.openReport().replayNanos()) / 1e6,
                    index.openReport().replayedRecords());
            return 0;
        }
    }

    @Command(name = "compact", description = {"Folds recent changes into the memory-mapped base files and archives the log;",
            "then deletes the message logs of campaigns finished longer ago than herald.messages.retention (400 days),",
            "and rewrites the logs that still hold records of erased recipients without them."})
    static final class Compact extends DataCommand {
        @Option(names = "--retention-days", paramLabel = "DAYS", defaultValue = "1100",
                description = {"Archived consent evidence older than this is deleted (default ${DEFAULT-VALUE};",
                        "at least 1095: three years). Evidence still needed to replay the log is never deleted."})
        long retentionDays;

        @Override
        IndexOptions indexOptions() {
            return IndexOptions.defaults().withRetention(java.time.Duration.ofDays(retentionDays));
        }

        @Override
        int run(HeraldData data) throws IOException {
            CompactionReport r = data.suppression().compact();
            out().printf("compacted: generation %d covers the log up to #%d, %d ids in %d scopes, %d changes folded, "
                            + "%d log segments archived, %d purged past retention, %.1f ms%n",
                    r.generation(), r.baseSeq(), r.ids(), data.suppression().snapshot().counts().size(),
                    r.foldedChanges(), r.archivedSegments(), r.purgedSegments(), r.nanos() / 1e6);
            if (r.redactedRecords() > 0 || r.unredactedSegments() > 0) {
                out().printf("erasures: %d earlier ledger record(s) of erased recipients redacted in %d segment(s)%s%n",
                        r.redactedRecords(), r.redactedSegments(), r.unredactedSegments() == 0 ? ""
                                : "; " + r.unredactedSegments() + " damaged segment(s) could not be redacted (see the log)");
            }
            // the same maintenance for what was sent: message logs past their retention
            dev.herald.dispatcher.message.MessageRetention.Purged p = dev.herald.dispatcher.message.MessageRetention.purge(
                    new dev.herald.dispatcher.campaign.CampaignStore(data.root().resolve("campaigns")),
                    dev.herald.dispatcher.message.MessageRetention.retention(com.typesafe.config.ConfigFactory.load()),
                    java.time.Instant.now());
            out().printf("message logs: %d campaign(s) past retention, %d bytes deleted%n", p.campaigns(), p.bytes());
            // erased recipients: their records go from every log that still holds them
            try (dev.herald.dispatcher.privacy.Erasures erasures = dev.herald.dispatcher.privacy.Erasures.open(data.root())) {
                dev.herald.dispatcher.privacy.PersonalDataScrub.Report s =
                        dev.herald.dispatcher.privacy.PersonalDataScrub.run(data.root(), erasures.erasedIds(),
                                data.directory().cipher(dev.herald.dispatcher.message.MessageLog.PURPOSE));
                out().printf("erasures: %d recipient(s) erased; %d log(s) read, %d rewritten, %d record(s) dropped, "
                                + "%d scrubbed of personal values, %d interrupted rewrite(s) removed%n",
                        erasures.erasedIds().getCardinality(), s.files(), s.written(), s.dropped(), s.changed(), s.leftover());
                s.problems().forEach(line -> err().println(line));
                return s.problems().isEmpty() ? 0 : 3;
            }
        }
    }
}
