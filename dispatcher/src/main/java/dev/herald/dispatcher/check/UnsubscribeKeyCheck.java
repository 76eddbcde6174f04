package dev.herald.dispatcher.check;

import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code unsubscribe/secret.key}: magic, length and checksum. Stateless. */
public final class UnsubscribeKeyCheck implements StoreCheck {

    @Override
    public String name() {
        return "unsubscribe key";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("unsubscribe");
        if (!Files.exists(dir.resolve("secret.key"))) {
            return new Result(0, List.of());
        }
        return new Result(1, UnsubscribeLinks.verifyKeyFile(dir).stream().map(e -> Finding.from(e, dir)).toList());
    }
}
