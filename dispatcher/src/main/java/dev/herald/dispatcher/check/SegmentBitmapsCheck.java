package dev.herald.dispatcher.check;

import dev.herald.dispatcher.segment.SegmentStore;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code segments/}: each segment's bitmap file against the length and CRC-32 its meta records,
 * and that it deserialises. (The meta files themselves get their own check with the framed log
 * formats; a meta that cannot be read is reported here too, since its bitmap cannot be checked.) Stateless.
 */
public final class SegmentBitmapsCheck implements StoreCheck {

    @Override
    public String name() {
        return "segments";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve(SegmentStore.DIR);
        if (!Files.isDirectory(dir)) {
            return new Result(0, List.of());
        }
        SegmentStore store = SegmentStore.readOnly(dataDir);
        int files = 0;
        List<Finding> damaged = new ArrayList<>();
        try (DirectoryStream<Path> metas = Files.newDirectoryStream(dir, "*.json")) {
            for (Path meta : metas) {
                String file = meta.getFileName().toString();
                String name = file.substring(0, file.length() - ".json".length());
                if (!SegmentStore.isValidName(name)) {
                    continue;
                }
                files += 2;
                try {
                    store.get(name);
                } catch (IOException e) {
                    damaged.add(new Finding(meta, e.getMessage()));
                }
            }
        }
        return new Result(files, damaged);
    }
}
