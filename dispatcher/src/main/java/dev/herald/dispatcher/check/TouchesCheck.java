package dev.herald.dispatcher.check;

import dev.herald.dispatcher.funnel.TouchStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code funnel/touches.dat}: the Chronicle Map file's header. Stateless. */
public final class TouchesCheck implements StoreCheck {

    @Override
    public String name() {
        return "touches";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve(TouchStore.DIR);
        if (!Files.exists(dir.resolve(TouchStore.FILE))) {
            return new Result(0, List.of());
        }
        return new Result(1, TouchStore.verify(dir).stream().map(e -> Finding.from(e, dir.resolve(TouchStore.FILE))).toList());
    }
}
