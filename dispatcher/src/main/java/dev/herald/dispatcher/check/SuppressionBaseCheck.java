package dev.herald.dispatcher.check;

import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.StoredFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code suppression/base/}: the manifest's checksum and every bitmap it names (length, CRC, cardinality). Stateless. */
public final class SuppressionBaseCheck implements StoreCheck {

    @Override
    public String name() {
        return "suppression base";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path suppression = dataDir.resolve("suppression");
        if (!Files.exists(suppression.resolve("base").resolve("MANIFEST"))) {
            return new Result(0, List.of());
        }
        try {
            return new Result(1 + StoredFiles.checkSuppressionBase(suppression), List.of());
        } catch (CorruptIndexException | java.nio.file.NoSuchFileException e) {
            return new Result(1, List.of(Finding.from(e, suppression.resolve("base").resolve("MANIFEST"))));
        }
    }
}
