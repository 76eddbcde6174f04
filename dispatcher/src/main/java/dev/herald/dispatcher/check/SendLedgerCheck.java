package dev.herald.dispatcher.check;

import dev.herald.throttle.SendLedger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** {@code send-ledger/}: its header, and every segment file's length, header and slot check bytes. Stateless. */
public final class SendLedgerCheck implements StoreCheck {

    @Override
    public String name() {
        return "send ledger";
    }

    @Override
    public Result check(Path dataDir) throws IOException {
        Path dir = dataDir.resolve("send-ledger");
        if (!Files.isDirectory(dir)) {
            return new Result(0, List.of());
        }
        int files;
        try (Stream<Path> all = Files.list(dir)) {
            files = (int) all.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("ledger.properties") || n.equals("codes.properties") || n.startsWith("slots-") && n.endsWith(".bin");
            }).count();
        }
        return new Result(files, SendLedger.verify(dir).stream().map(e -> Finding.from(e, dir)).toList());
    }
}
