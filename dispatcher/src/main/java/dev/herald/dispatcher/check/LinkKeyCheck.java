package dev.herald.dispatcher.check;

import dev.herald.dispatcher.links.LinkTokens;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code links/secret.key} (the tracked links' key): magic, length and checksum. Stateless. */
public final class LinkKeyCheck implements StoreCheck {

    @Override
    public String name() {
        return "tracked links key";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("links");
        if (!Files.exists(dir.resolve("secret.key"))) {
            return new Result(0, List.of());
        }
        return new Result(1, LinkTokens.verifyKeyFile(dir).stream().map(e -> Finding.from(e, dir)).toList());
    }
}
