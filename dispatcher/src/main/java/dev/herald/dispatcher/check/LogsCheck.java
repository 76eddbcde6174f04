package dev.herald.dispatcher.check;

import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.inbound.ReplayGuard;
import dev.herald.dispatcher.inbound.ReviewQueue;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.store.LineLog;
import dev.herald.dispatcher.unsubscribe.ReasonLog;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.store.VerifyResult;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every append-only log of a data directory by the one store rule ({@code dev.herald.suppression.store}):
 * the suppression write-ahead log and archived ledger segments, each campaign's outcome ledger
 * (audience, checkpoint, log against its sync mark), message log and delivery log, the receipts' unmatched and
 * held logs, {@code campaign-numbers.log},
 * {@code unsubscribe/preferences.log} and {@code reasons.jsonl}, {@code inbound/replay-keys.*} and
 * {@code review-queue.log}, {@code privacy/erasures.log}, {@code rfm/activity.log}, and the segment metas. A damaged file is a finding; an incomplete last
 * record (a torn write, dropped and reported at the next open) is a note, not damage. Each file
 * is read through its store's own read-only verifier, so this check and the stores' open apply
 * the same rule. Stateless.
 */
public final class LogsCheck implements StoreCheck {

    @Override
    public String name() {
        return "logs";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        List<VerifyResult> results = new ArrayList<>();
        Path suppression = dataDir.resolve("suppression");
        if (Files.isDirectory(suppression)) {
            results.addAll(SuppressionIndex.verifyLogs(suppression));
        }
        for (Path outcomes : children(dataDir.resolve("campaigns"), CampaignStore.OUTCOMES)) {
            results.addAll(OutcomeLedger.verify(outcomes));
        }
        for (Path outcomes : children(dataDir.resolve("campaigns"), CampaignStore.OUTCOMES)) {
            Path messages = outcomes.resolve(dev.herald.dispatcher.message.MessageLog.FILE);
            if (Files.exists(messages)) {
                results.add(dev.herald.dispatcher.message.MessageLog.verify(messages));
            }
        }
        for (Path deliveries : files(dataDir.resolve("campaigns"), dev.herald.dispatcher.delivery.DeliveryLedger.FILE)) {
            results.add(dev.herald.dispatcher.delivery.DeliveryLedger.verify(deliveries));
        }
        for (Path clicks : files(dataDir.resolve("campaigns"), dev.herald.dispatcher.links.ClickLedger.FILE)) {
            results.add(dev.herald.dispatcher.links.ClickLedger.verify(clicks));
        }
        addIfExists(results, dataDir.resolve("journeys").resolve(dev.herald.dispatcher.journey.JourneyStore.FILE),
                dev.herald.dispatcher.journey.JourneyStore::verify);
        Path receipts = dataDir.resolve(dev.herald.dispatcher.delivery.Deliveries.DIR);
        addIfExists(results, receipts.resolve(dev.herald.dispatcher.delivery.Deliveries.UNMATCHED),
                dev.herald.dispatcher.delivery.Deliveries::verifyLog);
        addIfExists(results, receipts.resolve(dev.herald.dispatcher.delivery.Deliveries.HELD),
                dev.herald.dispatcher.delivery.Deliveries::verifyLog);
        addIfExists(results, dataDir.resolve("campaign-numbers.log"), LineLog::verify);
        addIfExists(results, dataDir.resolve("unsubscribe").resolve("preferences.log"), LineLog::verify);
        addIfExists(results, dataDir.resolve("unsubscribe").resolve("reasons.jsonl"), ReasonLog::verify);
        Path inbound = dataDir.resolve("inbound");
        if (Files.isDirectory(inbound)) {
            results.addAll(ReplayGuard.verify(inbound));
        }
        addIfExists(results, inbound.resolve(ReviewQueue.FILE), LineLog::verify);
        addIfExists(results, dataDir.resolve(dev.herald.dispatcher.privacy.Erasures.FILE),
                f -> dev.herald.dispatcher.privacy.Erasures.verify(dataDir));
        addIfExists(results, dataDir.resolve(dev.herald.dispatcher.funnel.Conversions.DIR)
                .resolve(dev.herald.dispatcher.funnel.Conversions.FILE), f -> dev.herald.dispatcher.funnel.Conversions.verify(f.getParent()));
        addIfExists(results, dataDir.resolve(dev.herald.dispatcher.journey.Events.DIR)
                .resolve(dev.herald.dispatcher.journey.Events.FILE), f -> dev.herald.dispatcher.journey.Events.verify(f.getParent()));
        addIfExists(results, dataDir.resolve(dev.herald.dispatcher.segment.rfm.RfmLog.DIR)
                .resolve(dev.herald.dispatcher.segment.rfm.RfmLog.FILE), f -> dev.herald.dispatcher.segment.rfm.RfmLog.verify(f.getParent()));
        Path journeys = dataDir.resolve(dev.herald.dispatcher.journey.Events.DIR);
        Path instances = journeys.resolve(dev.herald.dispatcher.journey.JourneyEngine.INSTANCES);
        if (Files.isDirectory(instances)) {
            try (DirectoryStream<Path> logs = Files.newDirectoryStream(instances, "*.log")) {
                for (Path log : logs) {
                    results.add(dev.herald.dispatcher.journey.JourneyLog.verify(log));
                }
            }
        }
        Path runs = journeys.resolve(dev.herald.dispatcher.journey.JourneyEngine.RUNS);
        if (Files.isDirectory(runs)) {
            try (DirectoryStream<Path> perJourney = Files.newDirectoryStream(runs, Files::isDirectory)) {
                for (Path j : perJourney) {
                    try (DirectoryStream<Path> ledgers = Files.newDirectoryStream(j, Files::isDirectory)) {
                        for (Path ledger : ledgers) {
                            results.addAll(OutcomeLedger.verify(ledger));
                        }
                    }
                }
            }
        }
        Path segments = dataDir.resolve(SegmentStore.DIR);
        if (Files.isDirectory(segments)) {
            try (DirectoryStream<Path> metas = Files.newDirectoryStream(segments, "*.json")) {
                for (Path meta : metas) {
                    results.add(SegmentStore.verifyMeta(meta));
                }
            }
        }
        List<Finding> damaged = new ArrayList<>();
        List<Finding> torn = new ArrayList<>();
        for (VerifyResult r : results) {
            if (r.isDamaged()) {
                damaged.add(Finding.of(r.file(), r.damage()));
            } else if (r.tornBytes() > 0) {
                torn.add(new Finding(r.file(), "incomplete last record (" + r.tornBytes() + " bytes at offset "
                        + r.tornAt() + "), dropped and reported at the next open"));
            }
        }
        return new Result(results.size(), damaged, torn);
    }

    private interface Verifier {
        VerifyResult verify(Path file) throws IOException;
    }

    private static void addIfExists(List<VerifyResult> out, Path file, Verifier verifier) throws IOException {
        if (Files.isRegularFile(file)) {
            out.add(verifier.verify(file));
        }
    }

    /** {@code <dir>/<each child>/<name>} where it is a regular file. */
    private static List<Path> files(Path dir, String name) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> kids = Files.newDirectoryStream(dir)) {
            for (Path kid : kids) {
                if (Files.isRegularFile(kid.resolve(name))) {
                    out.add(kid.resolve(name));
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** {@code <dir>/<each child>/<name>} where it is a directory. */
    private static List<Path> children(Path dir, String name) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> kids = Files.newDirectoryStream(dir)) {
            for (Path kid : kids) {
                if (Files.isDirectory(kid.resolve(name))) {
                    out.add(kid.resolve(name));
                }
            }
        }
        out.sort(null);
        return out;
    }
}
