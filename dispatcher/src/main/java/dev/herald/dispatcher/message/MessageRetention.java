package dev.herald.dispatcher.message;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.campaign.CampaignStore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import com.typesafe.config.Config;

/**
 * Deletes the message logs of campaigns that finished ({@code completed} or {@code cancelled})
 * longer ago than {@code herald.messages.retention} (default 400 days): what a person was sent is
 * personal data, kept only as long as it may be asked for. The campaign itself, its outcomes and
 * the consent ledger are kept. Run by {@code herald suppression compact} and
 * {@code herald messages purge}.
 *
 * <pre>{@code
 * MessageRetention.Purged p = MessageRetention.purge(new CampaignStore(dataDir.resolve("campaigns")),
 *         MessageRetention.retention(config), Instant.now());
 * }</pre>
 *
 * <p>Stateless. Run it where no campaign of the data directory is being resumed at the same moment
 * (a resumed campaign starts a new log; an open one is never deleted under its writer on Linux, but its
 * records would be lost).
 */
public final class MessageRetention {

    /** The configuration key. */
    public static final String KEY = "herald.messages.retention";

    /**
     * @param campaigns how many campaigns' logs were deleted
     * @param bytes     how many bytes they held
     */
    public record Purged(int campaigns, long bytes) {
    }

    private MessageRetention() {
    }

    /**
     * @return {@code herald.messages.retention}
     * @throws com.typesafe.config.ConfigException naming the key if it is missing, malformed or not positive
     */
    public static Duration retention(Config config) {
        Duration d = config.getDuration(KEY);
        if (d.isNegative() || d.isZero()) {
            throw new com.typesafe.config.ConfigException.BadValue(config.origin(), KEY, "must be positive, got " + d);
        }
        return d;
    }

    /**
     * Deletes {@code messages.log} (and the torn tails kept beside it) of every campaign that finished
     * before {@code now - retention}.
     *
     * @throws IOException if the campaigns cannot be listed or a file cannot be deleted
     */
    public static Purged purge(CampaignStore store, Duration retention, Instant now) throws IOException {
        Instant before = now.minus(retention);
        int campaigns = 0;
        long bytes = 0;
        for (CampaignRecord c : store.list()) {
            if (c.status() == CampaignStatus.DAMAGED || !c.status().isTerminal() || c.finishedAt() == null
                    || !c.finishedAt().isBefore(before)) {
                continue;
            }
            Path dir = store.ledgerDir(c.id());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            long deleted = 0;
            boolean any = false;
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, MessageLog.FILE + "*")) {
                for (Path p : files) {
                    deleted += Files.size(p);
                    Files.delete(p);
                    any = true;
                }
            }
            if (any) {
                campaigns++;
                bytes += deleted;
            }
        }
        return new Purged(campaigns, bytes);
    }
}
