package dev.herald.dispatcher.check;

import dev.herald.dispatcher.inbound.LastSends;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code last-sends/marks.bin}: header, length and every mark's check byte. Stateless. */
public final class LastSendsCheck implements StoreCheck {

    @Override
    public String name() {
        return "last sends";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("last-sends");
        if (!Files.exists(dir.resolve("marks.bin"))) {
            return new Result(0, List.of());
        }
        return new Result(1, LastSends.verify(dir).stream().map(e -> Finding.from(e, dir)).toList());
    }
}
