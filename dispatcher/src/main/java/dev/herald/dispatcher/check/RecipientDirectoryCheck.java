package dev.herald.dispatcher.check;

import dev.herald.suppression.StoredFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code directory/}: {@code directory.properties} and the Chronicle Map files' headers. Stateless. */
public final class RecipientDirectoryCheck implements StoreCheck {

    @Override
    public String name() {
        return "recipient directory";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("directory");
        if (!Files.isDirectory(dir)) {
            return new Result(0, List.of());
        }
        int files = 0;
        for (String f : List.of("directory.properties", "recipients-by-phone.cm3", "recipients-by-id.cm3")) {
            files += Files.exists(dir.resolve(f)) ? 1 : 0;
        }
        return new Result(files, StoredFiles.checkRecipientDirectory(dir).stream()
                .map(e -> Finding.from(e, dir)).toList());
    }
}
