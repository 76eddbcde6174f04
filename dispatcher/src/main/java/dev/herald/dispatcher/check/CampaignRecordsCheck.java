package dev.herald.dispatcher.check;

import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** {@code campaigns/<id>/campaign.json}: each parses as the record of its campaign. Stateless. */
public final class CampaignRecordsCheck implements StoreCheck {

    @Override
    public String name() {
        return "campaign records";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path root = dataDir.resolve("campaigns");
        if (!Files.isDirectory(root)) {
            return new Result(0, List.of());
        }
        CampaignStore store = new CampaignStore(root);
        int files = 0;
        List<Finding> damaged = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                String id = dir.getFileName().toString();
                Path record = dir.resolve(CampaignStore.RECORD);
                try {
                    CampaignRecord.checkId(id);
                } catch (IllegalArgumentException e) {
                    continue; // not a campaign's directory
                }
                if (!Files.exists(record)) {
                    continue; // a creation that never finished
                }
                files++;
                try {
                    store.load(id);
                } catch (IOException e) {
                    damaged.add(Finding.from(e, record));
                }
            }
        }
        return new Result(files, damaged);
    }
}
